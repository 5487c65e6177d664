"""No transaction stays open while an import waits on the provider, S3 or image hosts.

The probe is what a migration does: ``ALTER TABLE`` on each table an import
writes, with a one-second lock timeout, rolled back. An open transaction that
merely read a table holds a lock the ALTER must wait for, so a worker idling
in a transaction across a slow provider call makes the probe fail — shown by
the second test, which does exactly that on purpose.
"""

from __future__ import annotations

import asyncio

import httpx
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob
from tests.integration.conftest import Rig
from tests.support.jobs import job_row, poll

TABLES = (
    "import_jobs",
    "job_events",
    "products",
    "product_images",
    "import_seen_products",
    "integrations",
    "field_mappings",
    "companies",
)
LOCK_TIMEOUT_MS = 1000
SLOW_CALL_MS = 1500
SLOW_SHOP = {
    "products": 40,
    "images_min": 1,
    "images_max": 1,
    "plan": "plus",
    "faults": {"latency_ms": SLOW_CALL_MS, "slow_images_ms": SLOW_CALL_MS},
}
"""Every provider call and image download takes longer than the probe waits for a lock."""


async def blocked_tables(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    """Tables an ``ALTER TABLE`` could not lock within the timeout (each ALTER is rolled back)."""
    blocked = []
    for table in TABLES:
        async with sessions() as session:
            await session.execute(sa.text(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}"))
            try:
                await session.execute(sa.text(f'ALTER TABLE "{table}" ADD COLUMN lock_probe integer'))
            except DBAPIError as exc:
                if "lock timeout" not in str(exc):
                    raise
                blocked.append(table)
            finally:
                await session.rollback()
    return blocked


async def _someone_else_locks(sessions: async_sessionmaker[AsyncSession], table: str) -> bool:
    async with sessions() as session:
        holders = await session.scalar(
            sa.text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = :table AND l.pid <> pg_backend_pid()"
            ),
            {"table": table},
        )
    return bool(holders)


async def test_a_slow_import_never_blocks_a_migration(rig: Rig) -> None:
    await rig.shop(**SLOW_SHOP)
    rig.start_workers(1)
    job_id = await rig.submit()
    probes_while_running = 0
    found: list[str] = []
    deadline = asyncio.get_running_loop().time() + 240
    while (job := await job_row(rig.sessions, job_id)).status.value not in ("COMPLETED", "FAILED", "CANCELLED"):
        assert asyncio.get_running_loop().time() < deadline, "the import did not finish"
        running = job.status.value == "RUNNING"
        blocked = await blocked_tables(rig.sessions)
        if running:
            probes_while_running += 1
            found += blocked
    assert job.status.value == "COMPLETED", job.last_error
    assert probes_while_running >= 3, "the probe must have run while the import waited on slow calls"
    assert found == [], f"tables locked past {LOCK_TIMEOUT_MS} ms by the running import: {found}"


async def test_the_probe_catches_a_transaction_held_across_a_slow_call(rig: Rig, sim: httpx.AsyncClient) -> None:
    """Broken on purpose: read a table, then wait on the slow provider inside the same transaction."""
    await rig.shop(**SLOW_SHOP)

    async def read_then_call_the_provider() -> None:
        async with rig.sessions() as session:
            await session.execute(sa.select(ImportJob.id).limit(1))
            image = await sim.get(f"/images/shopify/{rig.tenants.acme.account}/1/1.jpg", timeout=30)
            assert image.status_code == 200
            await session.commit()

    holder = asyncio.create_task(read_then_call_the_provider())
    await poll(lambda: _someone_else_locks(rig.sessions, "import_jobs"), timeout_s=10, what="the holder's read")
    blocked = await blocked_tables(rig.sessions)
    await holder
    assert "import_jobs" in blocked
