"""Delete image objects no image row references any more, and give their bytes back to the company.

A sweep works in three steps so that no transaction stays open across S3
calls: claim a batch of garbage rows past the grace and check, in the same
short transaction, which of their keys no image row (of any company: objects
are content addressed and shared) references; delete those objects; then drop
the claimed rows and decrement each company's usage by the bytes its removed
rows were charged.  The caller commits after the first and the last step.

A key that is referenced again (another product, or another company, holds the
same bytes) keeps its object; its garbage rows are still released, because
usage counts what each image row was charged, not distinct objects.  Every
step can be repeated: a sweep that dies after deleting leaves a claim that
goes stale and is taken again, and deleting a missing object is a no-op.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories.catalog_removals import CatalogRemovalRepository, GarbageClaim
from control_plane.integrations.images import S3ImageStore

SWEEP_BATCH = 200
"""Garbage rows per claim: bounded work per transaction and per round of S3 deletes."""
DELETES_IN_FLIGHT = 8
CLAIM_TTL_S = 600.0
"""A claim older than this belonged to a sweep that died; its rows are taken again."""


@dataclass
class SweepReport:
    released: int = 0
    """Garbage rows cleared (and their bytes given back)."""
    deleted: int = 0
    """Objects deleted from S3."""

    def as_dict(self) -> dict[str, int]:
        return {"released": self.released, "deleted": self.deleted}


async def forget_settled_jobs(session: AsyncSession) -> int:
    """Before sweeping: drop what settled jobs saw (their workers normally do it as they settle)."""
    return await CatalogRemovalRepository(session).forget_settled_jobs()


async def claim_garbage(session: AsyncSession, *, grace_s: float) -> GarbageClaim:
    """Step 1: take a batch past the grace; its unreferenced keys are decided now, just before the deletes."""
    return await CatalogRemovalRepository(session).claim_garbage(
        grace_s=grace_s, claim_ttl_s=CLAIM_TTL_S, limit=SWEEP_BATCH
    )


async def delete_objects(store: S3ImageStore, keys: Sequence[str]) -> int:
    """Step 2 (no transaction open): delete the objects; a failure leaves the claim to be retried."""
    slots = asyncio.Semaphore(DELETES_IN_FLIGHT)

    async def one(key: str) -> None:
        async with slots:
            await store.delete(key)

    await asyncio.gather(*(one(key) for key in keys))
    return len(keys)


async def release_garbage(session: AsyncSession, claim: GarbageClaim) -> None:
    """Step 3: clear the claimed rows and decrement storage usage by their bytes."""
    await CatalogRemovalRepository(session).release_garbage(claim.ids)
