"""Zero-loss accounting of a load run, checked against PostgreSQL and S3.

Three questions, each answered with counts and a few examples of what is wrong:
every accepted job reached a terminal state (submitted = completed + failed +
cancelled), every product the provider catalogs served is stored exactly once,
and every stored image's original and thumbnail objects exist in the bucket.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories.load_runs import ImageRow, LoadRunRepository

EXAMPLES = 5


@dataclass(frozen=True)
class ExpectedCatalog:
    """What one integration's provider account serves: product external id -> its image count."""

    images_by_product: Mapping[str, int]


@dataclass
class Accounting:
    submitted: int = 0
    in_store: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    unfinished: int = 0
    missing_jobs: int = 0
    products_expected: int = 0
    products_found: int = 0
    products_missing: int = 0
    products_duplicated: int = 0
    products_unexpected: int = 0
    images_expected: int = 0
    images_stored: int = 0
    images_not_stored: int = 0
    objects_checked: int = 0
    objects_missing: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def jobs_balance(self) -> bool:
        terminal = self.completed + self.failed + self.cancelled
        return self.missing_jobs == 0 and self.unfinished == 0 and self.submitted == terminal == self.in_store

    @property
    def lost_jobs(self) -> int:
        return self.missing_jobs + self.unfinished

    @property
    def lost_products(self) -> int:
        return self.products_missing + self.products_duplicated

    @property
    def lost_images(self) -> int:
        return self.images_not_stored + self.objects_missing

    def note(self, kind: str, example: str) -> None:
        bucket = self.examples.setdefault(kind, [])
        if len(bucket) < EXAMPLES:
            bucket.append(example)

    def as_dict(self) -> dict[str, Any]:
        body = {k: v for k, v in self.__dict__.items() if k != "examples"}
        body.update(
            jobs_balance=self.jobs_balance,
            lost_jobs=self.lost_jobs,
            lost_products=self.lost_products,
            lost_images=self.lost_images,
            examples=self.examples,
        )
        return body


async def account_run(
    session: AsyncSession,
    accepted: Collection[uuid.UUID],
    catalogs: Mapping[uuid.UUID, ExpectedCatalog],
    bucket_keys: Collection[str],
) -> Accounting:
    """Compare the accepted jobs and the served catalogs with what PostgreSQL and S3 hold now."""
    repo = LoadRunRepository(session)
    result = Accounting()
    _account_jobs(result, accepted, {row.id: row.status for row in await repo.jobs()})
    _account_products(result, catalogs, await repo.product_ids())
    _account_images(result, catalogs, await repo.images(), set(bucket_keys))
    return result


def _account_jobs(result: Accounting, accepted: Collection[uuid.UUID], statuses: Mapping[uuid.UUID, str]) -> None:
    result.submitted, result.in_store = len(accepted), len(statuses)
    for job_id in accepted:
        status = statuses.get(job_id)
        if status is None:
            result.missing_jobs += 1
            result.note("missing_jobs", str(job_id))
    counts = Counter(statuses.values())
    result.completed, result.failed, result.cancelled = counts["COMPLETED"], counts["FAILED"], counts["CANCELLED"]
    result.unfinished = len(statuses) - result.completed - result.failed - result.cancelled
    for job_id, status in statuses.items():
        if status not in ("COMPLETED", "FAILED", "CANCELLED"):
            result.note("unfinished_jobs", f"{job_id} {status}")


def _account_products(
    result: Accounting, catalogs: Mapping[uuid.UUID, ExpectedCatalog], found: Mapping[uuid.UUID, list[str]]
) -> None:
    for integration_id, catalog in catalogs.items():
        stored = Counter(found.get(integration_id, []))
        expected = catalog.images_by_product.keys()
        result.products_expected += len(expected)
        result.products_found += sum(1 for external_id in expected if stored[external_id] >= 1)
        for external_id in expected:
            if stored[external_id] == 0:
                result.products_missing += 1
                result.note("missing_products", f"{integration_id}/{external_id}")
            elif stored[external_id] > 1:
                result.products_duplicated += 1
                result.note("duplicated_products", f"{integration_id}/{external_id} x{stored[external_id]}")
        unexpected = set(stored) - set(expected)
        result.products_unexpected += len(unexpected)
        for external_id in sorted(unexpected)[:EXAMPLES]:
            result.note("unexpected_products", f"{integration_id}/{external_id}")


def _account_images(
    result: Accounting,
    catalogs: Mapping[uuid.UUID, ExpectedCatalog],
    rows: Sequence[ImageRow],
    bucket: set[str],
) -> None:
    stored: Counter[tuple[uuid.UUID, str]] = Counter()
    checked: set[str] = set()
    for row in rows:
        if row.status != "stored":
            continue
        stored[(row.integration_id, row.external_id)] += 1
        for key in (row.s3_key, row.thumbnail_key):
            if key is None or key in checked:
                continue
            checked.add(key)
            if key not in bucket:
                result.objects_missing += 1
                result.note("missing_objects", key)
    result.objects_checked = len(checked)
    for integration_id, catalog in catalogs.items():
        for external_id, count in catalog.images_by_product.items():
            result.images_expected += count
            have = min(stored[(integration_id, external_id)], count)
            result.images_stored += have
            if have < count:
                result.images_not_stored += count - have
                result.note("images_not_stored", f"{integration_id}/{external_id} {have}/{count}")
