"""Operator controls: pause/resume (API and a real worker), retry-dead, the audit trail, operator-only access."""

from __future__ import annotations

import uuid
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa
from arq.connections import ArqRedis
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob
from control_plane.domain.principals import Tier
from control_plane.integrations.queue import RedisWorkQueue
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.imports import ImportRequest, ImportService
from control_plane.services.ops_controls import auto_pause
from control_plane.settings import Settings
from tests.conftest import OPERATOR, Tenants
from tests.integration.conftest import IMPORTS, Rig
from tests.support.companies import shopify_company
from tests.support.jobs import event_kinds, job_row, wait_for_status
from tests.support.queue import in_line_now

OPS = "/api/v1/ops"


@pytest.fixture(autouse=True)
async def _no_actions(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await session.execute(sa.text("TRUNCATE ops_actions"))
        await session.commit()


async def _submit(client: Any, vendor: Any) -> dict[str, Any]:
    response = await client.post(IMPORTS, json={"integration_id": str(vendor.integration_id)}, headers=vendor.auth)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def _ops(client: Any, tenants: Tenants, verb: str, path: str, body: Any = None) -> Any:
    response = await client.request(verb, f"{OPS}{path}", json=body, headers=tenants.operator)
    assert response.status_code == 200, response.text
    return response.json()


async def test_vendors_get_403_problems(client: Any, tenants: Tenants) -> None:
    calls = [
        ("POST", "/pause", {"scope": "queue", "reason": "x"}),
        ("POST", "/resume", {"scope": "queue", "reason": "x"}),
        ("GET", "/state", None),
        ("POST", "/retry-dead", {}),
        ("GET", "/jobs/recent", None),
        ("GET", "/actions", None),
    ]
    for verb, path, body in calls:
        response = await client.request(verb, f"{OPS}{path}", json=body, headers=tenants.acme.auth)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["type"].endswith("permission_denied")
    assert (await _ops(client, tenants, "GET", "/state"))["paused"] == []


@pytest.mark.parametrize("scope", ["queue", "provider", "company"])
async def test_paused_scope_holds_new_jobs_pending_until_resumed(client: Any, tenants: Tenants, scope: str) -> None:
    target = {"queue": None, "provider": "roastify", "company": str(tenants.beans.company_id)}[scope]
    request = {"scope": scope, "target": target, "reason": "maintenance"}
    pause = await _ops(client, tenants, "POST", "/pause", request)
    assert pause["actor"] and pause["reason"] == "maintenance"
    held = await _submit(client, tenants.beans)
    assert held["enqueued"] is False and held["job"]["status"] == "PENDING" and "paused" in held["message"]
    other = await _submit(client, tenants.acme)
    assert other["enqueued"] is (scope != "queue")
    state = await _ops(client, tenants, "GET", "/state")
    assert [p["key"] for p in state["paused"]] == [pause["key"]]
    resumed = await _ops(client, tenants, "POST", "/resume", request)
    assert resumed["was_paused"] is True and resumed["requeued"] >= 1
    job = (await client.get(f"{IMPORTS}/{held['job']['id']}", headers=tenants.beans.auth)).json()
    assert job["status"] == "QUEUED"
    actions = (await _ops(client, tenants, "GET", "/actions"))["items"]
    assert [a["action"] for a in actions] == ["resume", "pause"]
    assert {a["scope"] for a in actions} == {pause["key"]} and actions[1]["details"] == {"reason": "maintenance"}


async def test_pause_rejects_unknown_targets(client: Any, tenants: Tenants) -> None:
    for body, status in (
        ({"scope": "provider", "target": "ebay", "reason": "x"}, 422),
        ({"scope": "company", "target": str(uuid.uuid4()), "reason": "x"}, 404),
        ({"scope": "company", "reason": "x"}, 422),
    ):
        response = await client.post(f"{OPS}/pause", json=body, headers=tenants.operator)
        assert response.status_code == status, response.text


async def test_a_worker_does_not_run_a_paused_companys_job_until_resumed(
    rig: Rig, settings: Settings, sim: httpx.AsyncClient, redis: Redis
) -> None:
    shop = {"products": 5, "images_min": 0, "images_max": 0}
    await rig.shop(**shop)
    company = {"scope": "company", "target": str(rig.tenants.acme.company_id), "reason": "vendor asked"}
    await _ops(rig.client, rig.tenants, "POST", "/pause", company)
    rig.start_workers(1)
    job_id = await rig.submit()
    # The reconciler files the held job in its company's line; the feeder skips that line while paused.
    await wait_for_status(rig.sessions, job_id, "QUEUED", timeout_s=30)
    other = await shopify_company(rig.sessions, settings, sim, slug="other", tier=Tier.BASIC, shop=shop)
    try:
        async with rig.sessions() as session:
            imports = ImportService(session, actor=OPERATOR)
            created = (await imports.submit(ImportRequest(other.integration_id), idempotency_key=None)).job
            await session.commit()
            await imports.file(created, RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name))
            await session.commit()
        done = await wait_for_status(rig.sessions, created.id, "COMPLETED", "FAILED", timeout_s=60)
    finally:
        await sim.delete(f"/_sim/accounts/shopify/{other.account}")
    assert done.status.value == "COMPLETED", done.last_error  # the worker and its feeder were busy meanwhile
    assert (await job_row(rig.sessions, job_id)).status.value == "QUEUED"
    assert "started" not in await event_kinds(rig.sessions, job_id)
    assert await in_line_now(redis, settings, job_id)  # still waiting in its line, place kept
    await _ops(rig.client, rig.tenants, "POST", "/resume", company)
    job = await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED", timeout_s=60)
    assert job.status.value == "COMPLETED", job.last_error


async def test_retry_dead_requeues_failed_jobs_of_a_company(
    client: Any, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    dead = [uuid.UUID((await _submit(client, tenants.acme))["job"]["id"]) for _ in range(2)]
    alive = uuid.UUID((await _submit(client, tenants.beans))["job"]["id"])
    async with sessions() as session:
        await session.execute(
            sa.update(ImportJob).where(ImportJob.id.in_([*dead, alive])).values(status="FAILED", last_error="boom")
        )
        await session.commit()
    body = {"company_id": str(tenants.acme.company_id)}
    response = await client.post(f"{OPS}/retry-dead", json=body, headers=tenants.acme.auth)
    assert response.status_code == 403
    assert await _ops(client, tenants, "POST", "/retry-dead", body) == {"retried": 2, "enqueued": 2}
    assert {(await job_row(sessions, job_id)).status.value for job_id in dead} == {"QUEUED"}
    assert (await job_row(sessions, alive)).status.value == "FAILED"
    (action,) = (await _ops(client, tenants, "GET", "/actions"))["items"]
    assert action["action"] == "retry_dead" and action["details"]["count"] == 2
    recent = await _ops(client, tenants, "GET", "/jobs/recent?limit=2")
    assert len(recent["items"]) == 2


async def test_auto_pause_hook_pauses_and_audits(
    client: Any, tenants: Tenants, sessions: async_sessionmaker[AsyncSession], redis: Any, settings: Any
) -> None:
    async with sessions() as session:
        state = RedisOpsState(redis, settings.redis.queue_name)
        await auto_pause(session, state, reason="database unreachable")
        await session.commit()
    (pause,) = (await _ops(client, tenants, "GET", "/state"))["paused"]
    assert (pause["key"], pause["actor"]) == ("queue", "auto")
    (action,) = (await _ops(client, tenants, "GET", "/actions"))["items"]
    assert (action["actor"], action["action"], action["scope"]) == ("auto", "pause", "queue")
