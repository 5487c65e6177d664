"""One company's flood is refused with 429s before it takes the pool; another company is served throughout.

The API is admitted per company in Redis before a request takes a database
connection (requests in flight and rate, one round trip), and a company's
requests hold at most its share of each process's pool. The flood below is
real submissions through the real app on the real database and Redis; the
held-connection cases show each fence on its own, and what happens without.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.api.tenant_admission import TenantAdmission
from control_plane.settings import Settings
from tests.conftest import Tenants, Vendor
from tests.support.held_connections import HOLD, HOLDING, RELEASE, serving, tiny_pool
from tests.support.jobs import poll

pytestmark = pytest.mark.integration

IMPORTS = "/api/v1/imports"
FLOODERS = 100
NEIGHBOUR_TURNS = 12


@pytest.fixture
async def release() -> AsyncIterator[asyncio.Event]:
    RELEASE.clear()
    yield RELEASE
    RELEASE.set()


def _submit(client: httpx.AsyncClient, vendor: Vendor) -> asyncio.Task[httpx.Response]:
    body = {"integration_id": str(vendor.integration_id)}
    return asyncio.create_task(client.post(IMPORTS, json=body, headers=vendor.auth))


def _refused_for_rate(response: httpx.Response) -> bool:
    return (
        response.status_code == 429
        and int(response.headers["Retry-After"]) >= 1
        and response.json()["type"].endswith(":rate_limited")
    )


async def _stored_jobs(sessions: async_sessionmaker[AsyncSession], company_id: uuid.UUID) -> set[str]:
    async with sessions() as session:
        rows = await session.execute(sa.text("SELECT id FROM import_jobs WHERE company_id = :c"), {"c": company_id})
        return {str(row.id) for row in rows}


async def _flooder(
    client: httpx.AsyncClient, vendor: Vendor, done: asyncio.Event, answers: list[httpx.Response]
) -> None:
    """A hostile client: submits again the moment it is answered, whatever the answer, until ``done``."""
    while not done.is_set():
        answers.append(await _submit(client, vendor))


async def _neighbour(client: httpx.AsyncClient, vendor: Vendor, done: asyncio.Event) -> list[httpx.Response]:
    """A well-behaved company, one request at a time: it reads its jobs and submits now and then."""
    answers = []
    try:
        for turn in range(NEIGHBOUR_TURNS):
            answers.append(await client.get(IMPORTS, headers=vendor.auth))
            if turn % 3 == 2:
                answers.append(await _submit(client, vendor))
    finally:
        done.set()
    return answers


async def _flood(
    settings: Settings, tenants: Tenants, flooders: int = FLOODERS
) -> tuple[list[httpx.Response], list[httpx.Response]]:
    """Acme floods with ``flooders`` clients while beans does its usual work: acme's answers and beans's."""
    acme, beans = tenants.acme, tenants.beans
    done, flooded = asyncio.Event(), list[httpx.Response]()
    async with serving(settings) as (_, client):
        assert (await client.get(IMPORTS, headers=acme.auth)).status_code == 200  # its key is known from now on
        flood = [asyncio.create_task(_flooder(client, acme, done, flooded)) for _ in range(flooders)]

        async def under_way() -> bool:
            return len(flooded) >= flooders

        await poll(under_way, timeout_s=30, every_s=0.05, what="the flood under way")
        served = await _neighbour(client, beans, done)
        await asyncio.gather(*flood)
    return flooded, served


async def test_a_flood_of_submissions_gets_429s_while_another_company_is_served(
    migrated: Settings, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    settings = tiny_pool(migrated, 4, api={"read_reserved_connections": 1}, api_max_in_flight=8)
    flooded, served = await _flood(settings, tenants)

    failed = [r.text for r in served if r.status_code not in (200, 202)]
    assert len(served) == NEIGHBOUR_TURNS * 4 // 3 and not failed, failed
    accepted = {r.json()["job"]["id"] for r in flooded if r.status_code == 202}
    refused = [r for r in flooded if r.status_code != 202]
    assert refused and all(_refused_for_rate(r) for r in refused), {r.status_code: r.text for r in refused}
    assert accepted, "some of the flood was admitted"
    assert await _stored_jobs(sessions, tenants.acme.company_id) == accepted, "every 202 is a stored job, nothing else"


async def test_without_admission_the_flood_takes_the_pool_from_the_neighbour(
    migrated: Settings, tenants: Tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: with no admission before the database (as before), the neighbour gets 503s.

    The flood is made deep enough that the line for the three write connections
    is several pool timeouts long: with a shallow one, the neighbour's turn can
    come just inside the half-second timeout and the broken case would pass by luck.
    """

    async def no_admission(self: TenantAdmission, connection: object, principal: object) -> None:
        return None

    monkeypatch.setattr(TenantAdmission, "admit", no_admission)
    settings = tiny_pool(migrated, 4, api={"read_reserved_connections": 1})
    flooded, served = await _flood(settings, tenants, flooders=4 * FLOODERS)
    assert any(r.status_code == 503 for r in served), "the neighbour's submissions waited behind the flood"
    assert not any(r.status_code == 429 for r in flooded)


async def _holds_then_a_neighbour(settings: Settings, tenants: Tenants) -> tuple[list[int], int]:
    """Acme asks for four held connections; then beans changes something. Acme's statuses and beans's."""
    async with serving(settings) as (_, client):
        assert (await client.get(IMPORTS, headers=tenants.acme.auth)).status_code == 200
        holds = [asyncio.create_task(client.post(HOLD, headers=tenants.acme.auth)) for _ in range(4)]

        async def settled() -> bool:
            return len(HOLDING) + sum(task.done() for task in holds) == 4

        await poll(settled, timeout_s=10, what="acme's requests holding a connection or turned away")
        neighbour = await _submit(client, tenants.beans)
        RELEASE.set()
        statuses = sorted(response.status_code for response in await asyncio.gather(*holds))
    return statuses, neighbour.status_code


@pytest.mark.parametrize(
    "fence",
    [
        pytest.param({"api": {"company_pool_share": 0.5}}, id="its-share-of-the-pool"),
        pytest.param({"api": {"company_pool_share": 1.0}, "api_max_in_flight": 2}, id="its-requests-in-flight"),
    ],
)
async def test_a_company_beyond_its_fence_gets_429_and_its_neighbour_is_served(
    migrated: Settings, clean: None, tenants: Tenants, release: asyncio.Event, fence: dict[str, Any]
) -> None:
    """Pool 4, one kept for reads: acme holds 2 (its share, or its requests in flight); the rest get 429."""
    api = {"read_reserved_connections": 1, **fence.pop("api")}
    statuses, neighbour = await _holds_then_a_neighbour(tiny_pool(migrated, 4, api=api, **fence), tenants)
    assert statuses == [200, 200, 429, 429]
    assert neighbour == 202


async def test_without_either_fence_one_company_takes_every_write_connection(
    migrated: Settings, clean: None, tenants: Tenants, release: asyncio.Event
) -> None:
    """The check above can fail: with a company allowed the whole pool, acme's holds leave beans a 503."""
    settings = tiny_pool(migrated, 4, api={"read_reserved_connections": 1, "company_pool_share": 1.0})
    statuses, neighbour = await _holds_then_a_neighbour(settings, tenants)
    assert statuses == [200, 200, 200, 503]
    assert neighbour == 503
