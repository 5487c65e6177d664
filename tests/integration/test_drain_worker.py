"""Operators drain one worker: it stops, leaves the live set, and the action is audited."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import OpsAction
from tests.conftest import Tenants
from tests.integration.conftest import StartWorkers
from tests.support.jobs import poll

pytestmark = pytest.mark.integration

WORKERS = "/api/v1/ops/workers"


async def _live_ids(client: AsyncTestClient[Any], tenants: Tenants) -> set[str]:
    response = await client.get(WORKERS, headers=tenants.operator)
    assert response.status_code == 200, response.text
    return {worker["worker_id"] for worker in response.json()["workers"]}


async def test_a_drained_worker_exits_leaves_the_live_set_and_is_audited(
    client: AsyncTestClient[Any],
    tenants: Tenants,
    start_workers: StartWorkers,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    draining, staying = start_workers(2)
    drained_id, staying_id = (f"{socket.gethostname()}:{w.name}" for w in (draining, staying))

    async def both_live() -> bool:
        return {drained_id, staying_id} <= await _live_ids(client, tenants)

    await poll(both_live, timeout_s=60, what="both workers to stamp their presence")
    response = await client.post(
        f"{WORKERS}/{drained_id}/drain", json={"reason": "move to a new host"}, headers=tenants.operator
    )
    assert response.status_code == 202, response.text
    assert response.json()["worker_id"] == drained_id

    async def exited() -> int | None:
        return None if draining.alive() else draining.wait_exit(1)

    assert await poll(exited, timeout_s=60, what="the drained worker to exit") == 0
    assert staying.alive(), "only the named worker drains"
    live = await _live_ids(client, tenants)
    assert drained_id not in live and staying_id in live
    async with sessions() as session:
        action = (await session.execute(sa.select(OpsAction).where(OpsAction.action == "drain_worker"))).scalar_one()
    assert action.scope == f"worker:{drained_id}" and action.details["reason"] == "move to a new host"


async def test_draining_needs_the_operator_role_and_a_live_worker(
    client: AsyncTestClient[Any], tenants: Tenants
) -> None:
    body = {"reason": "test"}
    vendor = await client.post(f"{WORKERS}/some-host:w1/drain", json=body, headers=tenants.acme.auth)
    assert vendor.status_code == 403, vendor.text
    unknown = await client.post(f"{WORKERS}/no-such-host:w9/drain", json=body, headers=tenants.operator)
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/problem+json")
    missing_reason = await client.post(f"{WORKERS}/no-such-host:w9/drain", json={}, headers=tenants.operator)
    assert missing_reason.status_code == 400 and "reason" in missing_reason.text
