"""Requests that change something share only part of an API process's pool; the rest stays for reads.

Two writes try to hold a connection each (a test-only route waits on an event
after using its session) in a pool of two, then a tenant reads: with one
connection kept for reads, the surplus write is told to retry (503
database_busy) once it waited as long as the pool would, and the read is
served; with none kept, both writes hold and the same read fails, which is what
a burst of submissions did to status reads before.  A long-poll is patient:
it waits for a connection as long as it would wait for its job.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from control_plane.api.request_db import write_share_limit
from control_plane.settings import Settings
from tests.conftest import Tenants
from tests.support.held_connections import HOLD, HOLDING, RELEASE, serving, tiny_pool
from tests.support.jobs import poll


def _reserving(settings: Settings, reserved: int) -> Settings:
    """A pool of two, ``reserved`` of them kept for reads; one company may use all (the reserve alone is tested)."""
    return tiny_pool(settings, 2, api={"read_reserved_connections": reserved, "company_pool_share": 1.0})


@pytest.fixture
async def release() -> AsyncIterator[asyncio.Event]:
    RELEASE.clear()
    yield RELEASE
    RELEASE.set()


async def _two_holds_and_a_read(
    settings: Settings, tenants: Tenants, release: asyncio.Event
) -> tuple[list[int], httpx.Response]:
    async with serving(settings) as (_, client):
        holds = [asyncio.create_task(client.post(HOLD, headers=tenants.acme.auth)) for _ in range(2)]

        async def writes_settled() -> bool | None:
            """Both writes hold a connection, or one holds and the other was turned away."""
            return len(HOLDING) == 2 or (len(HOLDING) == 1 and any(task.done() for task in holds)) or None

        await poll(writes_settled, timeout_s=10, what="two writes holding connections or one turned away")
        read = await client.get("/api/v1/imports", headers=tenants.beans.auth)
        release.set()
        statuses = sorted(response.status_code for response in await asyncio.gather(*holds))
    return statuses, read


async def test_reads_keep_their_connection_while_writes_fill_theirs(
    migrated: Settings, clean: None, tenants: Tenants, release: asyncio.Event
) -> None:
    statuses, read = await _two_holds_and_a_read(_reserving(migrated, 1), tenants, release)
    assert read.status_code == 200, read.text
    assert statuses == [200, 503], "the write beyond its share is told to retry"


async def test_without_a_reserve_the_same_read_fails(
    migrated: Settings, clean: None, tenants: Tenants, release: asyncio.Event
) -> None:
    """The check above can fail: with no connection kept for reads, two writes starve the read."""
    statuses, read = await _two_holds_and_a_read(_reserving(migrated, 0), tenants, release)
    assert read.status_code == 503 and read.json()["type"].endswith(":database_busy"), read.text
    assert statuses == [200, 200]


def test_writes_always_keep_one_connection() -> None:
    assert write_share_limit(20, 4) == 16
    assert write_share_limit(2, 5) == 1


class _Asked(logging.Handler):
    """Counts a patient request asking the pool again."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "asks again" in record.getMessage()


@pytest.fixture
def asked() -> Iterator[_Asked]:
    logger, handler = logging.getLogger("control_plane.api"), _Asked()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


async def test_a_long_poll_waits_for_a_connection_as_long_as_it_waits_for_the_job(
    migrated: Settings, clean: None, tenants: Tenants, asked: _Asked
) -> None:
    """With the pool's only connection taken, a plain read is told to retry; a long-poll gets its answer."""
    job = f"/api/v1/imports/{uuid.uuid4()}"  # unknown: a 404 means the request got a connection and ran
    async with serving(tiny_pool(migrated, 1)) as (app, client):
        taken = await app.state.engine.connect()
        try:
            impatient = await client.get(job, headers=tenants.acme.auth)
            patient = asyncio.create_task(client.get(f"{job}?wait=10", headers=tenants.acme.auth))
            await poll(lambda: _count(asked), timeout_s=10, what="the long-poll asking the pool again")
        finally:
            await taken.close()
        answered = await patient
    assert impatient.status_code == 503 and impatient.json()["type"].endswith(":database_busy"), impatient.text
    assert answered.status_code == 404, answered.text


async def _count(asked: _Asked) -> int | None:
    return asked.count or None
