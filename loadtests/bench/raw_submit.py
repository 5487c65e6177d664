"""The raw baseline of the submit path: the same rows with plain asyncpg, the same filing in Redis.

The rows are copied from a job the API just wrote (every column of the job,
its ``created`` and ``queued`` events with their data), so the baseline
writes what the API writes and nothing less: the job already QUEUED with its
``queued_at``, both events, in one transaction; then the job is filed in its
company's line by the dispatcher's own script (``FairDispatcher.file``).  No
authentication, admission, quota or ORM: what is left is the work itself.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from control_plane.domain.idempotency import request_fingerprint
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.queueing import QueueEntry
from control_plane.integrations.dispatcher import FairDispatcher
from control_plane.settings import DatabaseSettings
from loadtests.bench.raw_upsert import set_jsonb_codec
from loadtests.bench.submit_clients import SubmitRun, Vendor

SERVER_DEFAULTS = ("requested_at",)
"""Columns the database fills itself, as it does for the API's insert."""
EVENT_COLUMNS = ("kind", "from_status", "to_status", "actor", "message", "data")
EVENT_SQL = (
    f"INSERT INTO job_events (job_id, {', '.join(EVENT_COLUMNS)}) "  # noqa: S608 - fixed column names
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(EVENT_COLUMNS) + 2))})"
)


@dataclass(frozen=True)
class JobTemplate:
    """One job as the API stored it, and its events: what every baseline submission writes again."""

    columns: tuple[str, ...]
    values: dict[str, Any]
    events: list[tuple[Any, ...]]

    @property
    def insert_sql(self) -> str:
        names = ", ".join(self.columns)
        params = ", ".join(f"${i}" for i in range(1, len(self.columns) + 1))
        return f"INSERT INTO import_jobs ({names}) VALUES ({params})"  # noqa: S608 - names read from the table

    def row(self, job_id: uuid.UUID, vendor: Vendor) -> tuple[Any, ...]:
        """The template's row for a new job of ``vendor``: own ids, fingerprint and queue time."""
        options = self.values["options"]
        own = {
            "id": job_id,
            "company_id": vendor.company_id,
            "integration_id": vendor.integration_id,
            "correlation_id": str(job_id),
            "request_fingerprint": request_fingerprint(
                {"integration_id": str(vendor.integration_id), "options": options}
            ),
            "queued_at": datetime.now(UTC),
        }
        return tuple(own.get(name, self.values[name]) for name in self.columns)


async def create_pool(db: DatabaseSettings, size: int) -> asyncpg.Pool:
    """``size`` plain connections through the same proxy as the API's, opened before any timing."""
    return await asyncpg.create_pool(
        host=db.host,
        port=db.port,
        user=db.user,
        password=db.password.get_secret_value(),
        database=db.name,
        min_size=size,
        max_size=size,
        init=set_jsonb_codec,
    )


async def read_template(conn: asyncpg.Connection, job_id: uuid.UUID) -> JobTemplate:
    job = await conn.fetchrow("SELECT * FROM import_jobs WHERE id = $1", job_id)
    if job is None:
        raise RuntimeError(f"the API's job {job_id} is not in the database")
    events = await conn.fetch(
        f"SELECT {', '.join(EVENT_COLUMNS)} FROM job_events WHERE job_id = $1 ORDER BY id",  # noqa: S608
        job_id,
    )
    values = dict(job.items())
    columns = tuple(name for name in values if name not in SERVER_DEFAULTS)
    return JobTemplate(columns, values, [tuple(event) for event in events])


async def submit_raw(
    pool: asyncpg.Pool,
    dispatcher: FairDispatcher,
    template: JobTemplate,
    vendors: Sequence[Vendor],
    shares: Sequence[int],
) -> SubmitRun:
    """Every vendor's share at once, one submission after another per vendor, as the API's clients did."""
    tier = Tier(template.values["tier"])
    latencies: list[float] = []
    job_ids: list[uuid.UUID] = []

    async def one_vendor(vendor: Vendor, share: int) -> None:
        for _ in range(share):
            started, job_id = time.perf_counter(), uuid.uuid4()
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(template.insert_sql, *template.row(job_id, vendor))
                await conn.executemany(EVENT_SQL, [(job_id, *event) for event in template.events])
            await dispatcher.file(QueueEntry(job_id, vendor.company_id, tier))
            latencies.append(time.perf_counter() - started)
            job_ids.append(job_id)

    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one_vendor(vendor, share) for vendor, share in zip(vendors, shares, strict=True)))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return SubmitRun(sum(shares), seconds, latencies, cpu, {"ok": len(latencies)}, job_ids)


async def count_written(conn: asyncpg.Connection, job_ids: Sequence[uuid.UUID]) -> tuple[int, int]:
    """How many of ``job_ids`` are QUEUED with a ``queued_at``, and how many events they have."""
    queued = await conn.fetchval(
        "SELECT count(*) FROM import_jobs WHERE id = ANY($1::uuid[]) AND status = $2 AND queued_at IS NOT NULL",
        list(job_ids),
        JobStatus.QUEUED.value,
    )
    events = await conn.fetchval("SELECT count(*) FROM job_events WHERE job_id = ANY($1::uuid[])", list(job_ids))
    return int(queued), int(events)
