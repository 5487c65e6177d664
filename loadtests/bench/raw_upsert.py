"""The raw baseline for product throughput: the same rows upserted with plain asyncpg.

The rows are the ones the pipeline just wrote, read back and decoded into
Python values first, so the baseline writes the same columns and the same
JSONB payloads (encoded again inside the timed part, as the pipeline must).
Each batch is one transaction of the pipeline's page size, into a company of
its own, with the pipeline's conflict rule (update only what changed).  Two
ways are measured and the faster one is the baseline:

- ``executemany``: one parameterised ``INSERT … ON CONFLICT`` pipelined per row;
- ``copy``: ``copy_records_to_table`` into a temporary table, then one
  ``INSERT … SELECT … ON CONFLICT`` from it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from control_plane.db.repositories.catalog import PRODUCT_FIELDS
from control_plane.domain.providers import Provider
from control_plane.settings import DatabaseSettings

ROW_FIELDS = ("external_id", "integration_id", "last_import_job_id", *PRODUCT_FIELDS)
COLUMNS = ("id", "company_id", "provider", *ROW_FIELDS)
STAGE = "bench_stage"
JSONB_VERSION = b"\x01"
_UPDATED = (*PRODUCT_FIELDS, "integration_id", "last_import_job_id")
_CONFLICT = (
    "ON CONFLICT (company_id, provider, external_id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in _UPDATED)
    + ", updated_at = now() WHERE ("
    + ", ".join(f"products.{name}" for name in PRODUCT_FIELDS)
    + ") IS DISTINCT FROM ("
    + ", ".join(f"EXCLUDED.{name}" for name in PRODUCT_FIELDS)
    + ")"
)
_COLUMN_LIST = ", ".join(COLUMNS)
# Column names are the constants above; values are always bound parameters.
EXECUTEMANY_SQL = (
    f"INSERT INTO products ({_COLUMN_LIST}) VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))}) "  # noqa: S608
    + _CONFLICT
)
COPY_UPSERT_SQL = f"INSERT INTO products ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {STAGE} " + _CONFLICT  # noqa: S608

Row = tuple[Any, ...]
Strategy = Callable[[asyncpg.Connection, uuid.UUID, Sequence[Sequence[Row]]], Awaitable[None]]


@dataclass(frozen=True)
class RawRun:
    method: str
    rows: int
    seconds: float
    cpu_seconds: float
    """CPU time of this process during the writes: what a plain client spends per row."""

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


async def connect(db: DatabaseSettings) -> asyncpg.Connection:
    """A plain connection through the same proxy as the pipeline's, JSONB as Python values (stdlib json)."""
    conn = await asyncpg.connect(
        host=db.host, port=db.port, user=db.user, password=db.password.get_secret_value(), database=db.name
    )
    await set_jsonb_codec(conn)
    return conn


async def set_jsonb_codec(conn: asyncpg.Connection) -> None:
    """JSONB in and out as Python values, encoded by the standard library (what a plain client would use)."""
    await conn.set_type_codec(
        "jsonb", encoder=_encode_jsonb, decoder=_decode_jsonb, schema="pg_catalog", format="binary"
    )


def _encode_jsonb(value: Any) -> bytes:
    """JSONB's binary form is a version byte and the JSON text; binary is what COPY needs."""
    return JSONB_VERSION + json.dumps(value).encode()


def _decode_jsonb(data: bytes) -> Any:
    return json.loads(data[1:])


async def read_rows(conn: asyncpg.Connection, company_id: uuid.UUID) -> list[Row]:
    """The products the pipeline wrote for ``company_id``, page by page (a page shares its commit's ``created_at``)."""
    records = await conn.fetch(
        f"SELECT {', '.join(ROW_FIELDS)} FROM products WHERE company_id = $1 ORDER BY created_at, id",  # noqa: S608
        company_id,
    )
    return [tuple(record) for record in records]


def batched(rows: Sequence[Row], size: int) -> list[Sequence[Row]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def _records(company_id: uuid.UUID, batch: Sequence[Row]) -> list[Row]:
    return [(uuid.uuid4(), company_id, Provider.SHOPIFY.value, *row) for row in batch]


async def upsert_executemany(conn: asyncpg.Connection, company_id: uuid.UUID, batches: Sequence[Sequence[Row]]) -> None:
    for batch in batches:
        async with conn.transaction():
            await conn.executemany(EXECUTEMANY_SQL, _records(company_id, batch))


async def upsert_copy(conn: asyncpg.Connection, company_id: uuid.UUID, batches: Sequence[Sequence[Row]]) -> None:
    for batch in batches:
        async with conn.transaction():
            await conn.copy_records_to_table(STAGE, records=_records(company_id, batch), columns=COLUMNS)
            await conn.execute(COPY_UPSERT_SQL)


STRATEGIES: dict[str, Strategy] = {"executemany": upsert_executemany, "copy": upsert_copy}


async def prepare(conn: asyncpg.Connection) -> None:
    """The staging table ``copy`` fills; emptied by every commit, created before any timing."""
    await conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE products INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )


async def measure(
    conn: asyncpg.Connection, method: str, company_id: uuid.UUID, rows: Sequence[Row], batch_size: int
) -> RawRun:
    """Upsert ``rows`` for a fresh ``company_id`` in batches; only the writes are timed (wall and CPU)."""
    batches = batched(rows, batch_size)
    started, cpu_started = time.perf_counter(), time.process_time()
    await STRATEGIES[method](conn, company_id, batches)
    return RawRun(method, len(rows), time.perf_counter() - started, time.process_time() - cpu_started)
