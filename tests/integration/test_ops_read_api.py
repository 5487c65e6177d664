"""The operator dashboard's read API over crafted jobs and Redis state: workers, providers, alarms, SLOs."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob
from control_plane.domain.breaker import BreakerPolicy
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from control_plane.domain.slo_spec import Observation
from control_plane.integrations.metrics.presence import WorkerPresence
from control_plane.integrations.metrics.provider_calls import ProviderCallCounters
from control_plane.integrations.redis_state.circuit_breaker import RedisCircuitBreaker
from control_plane.services.alarms import OpsEvaluator
from control_plane.services.slo import SloVerifier, load_slos
from control_plane.services.slo_evidence import SloEvidence
from control_plane.settings import OpsSettings, Settings
from tests.conftest import Tenants

OPS = "/api/v1/ops"
Client = AsyncTestClient  # type: ignore[type-arg]


async def _get(client: Any, tenants: Tenants, path: str) -> Any:
    response = await client.get(f"{OPS}{path}", headers=tenants.operator)
    assert response.status_code == 200, response.text
    return response.json()


async def test_vendors_get_403_problems(client: Client, tenants: Tenants) -> None:
    for path in ("/workers", "/providers", "/alarms", "/slo?since=24h"):
        response = await client.get(f"{OPS}{path}", headers=tenants.acme.auth)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_workers_show_presence_running_jobs_and_desired(
    client: Client, tenants: Tenants, sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings
) -> None:
    now = datetime.now(UTC)
    jobs = [
        ImportJob(
            company_id=tenants.acme.company_id,
            integration_id=tenants.acme.integration_id,
            provider=Provider.SHOPIFY,
            tier=Tier.PRO,
            status=JobStatus.RUNNING,
            correlation_id=str(uuid.uuid4()),
            worker_id=worker,
            started_at=now - timedelta(seconds=30),
            lease_expires_at=now + timedelta(seconds=15),
        )
        for worker in ("host:w-1", "host:w-1", "host:w-2")
    ]
    async with sessions() as session:
        session.add_all(jobs)
        await session.commit()
    presence = WorkerPresence(redis, fresh_for_s=settings.worker.lease_ttl_s)
    await presence.stamp("host:w-1", now=time.time() - 3)
    await presence.stamp("host:w-3")
    await presence.stamp("host:gone", now=time.time() - 3600)
    await redis.zadd(settings.redis.queue_name, {f"j{i}": 0 for i in range(25)})
    tuned = replace(settings, ops=OpsSettings(jobs_per_worker=10, autoscale_min=1, autoscale_max=8))
    async with sessions() as session:
        await OpsEvaluator(session, redis, tuned).run()

    body = await _get(client, tenants, "/workers")
    assert (body["live"], body["desired"]) == (2, 3)  # ceil((25 waiting + 3 running) / 10)
    by_id = {w["worker_id"]: w for w in body["workers"]}
    assert set(by_id) == {"host:w-1", "host:w-3"}
    assert 2 <= by_id["host:w-1"]["last_seen_age_s"] < 30 and by_id["host:w-3"]["last_seen_age_s"] < 2
    assert {j["id"] for j in by_id["host:w-1"]["running_jobs"]} == {str(j.id) for j in jobs[:2]}
    assert by_id["host:w-3"]["running_jobs"] == []
    assert [j["id"] for j in body["running_elsewhere"]] == [str(jobs[2].id)]  # w-2 stopped stamping


async def test_providers_show_calls_breakers_and_transitions(
    client: Client, tenants: Tenants, redis: Redis, settings: Settings
) -> None:
    counters = ProviderCallCounters(redis)
    for status in ("200", "200", "429", "503", "transport_error"):
        await counters.call_finished("shopify", status)
    await counters.call_finished("roastify", "200")
    await counters.rate_limit_waited("shopify")
    await counters.rate_limit_waited("shopify")
    scope = f"shopify:integration:{tenants.acme.integration_id}"
    breaker = RedisCircuitBreaker(redis, BreakerPolicy(2, 60), transitions_kept=10)
    await breaker.record_failure([scope], "HTTP 503")
    await breaker.record_failure([scope], "HTTP 503")
    await breaker.record_failure(["shopify"], "timeout")

    body = await _get(client, tenants, "/providers")
    assert body["recent_error_ratio"] == 2 / 6
    by_name = {p["provider"]: p for p in body["providers"]}
    shopify, roastify = by_name["shopify"], by_name["roastify"]
    assert (shopify["requests"], shopify["errors"], shopify["rate_limit_waits"]) == (5, 2, 2)
    assert shopify["requests_by_status"] == {"200": 2, "429": 1, "503": 1, "transport_error": 1}
    assert (roastify["requests"], roastify["errors"], roastify["breakers"]) == (1, 0, {})
    opened = shopify["breakers"][scope]
    assert (opened["state"], opened["failures"]) == ("open", 2) and 0 < opened["retry_after_s"] <= 60
    assert shopify["breakers"]["shopify"]["state"] == "closed" and shopify["breakers"]["shopify"]["failures"] == 1
    assert [(t["scope"], t["from"], t["to"]) for t in shopify["recent_transitions"]] == [(scope, "closed", "open")]


async def test_alarms_show_firing_and_history_with_runbooks(
    client: Client, tenants: Tenants, sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings
) -> None:
    tuned = replace(settings, ops=OpsSettings(min_workers=1))
    async with sessions() as session:
        await OpsEvaluator(session, redis, tuned).run()
    body = await _get(client, tenants, "/alarms")
    (firing,) = body["firing"]
    assert (firing["alarm"], firing["severity"], firing["runbook"]) == (
        "low-worker-count",
        "high",
        "runbooks/low-worker-count.md",
    )
    assert [(h["alarm"], h["status"], h["runbook"]) for h in body["history"]] == [
        ("low-worker-count", "firing", "runbooks/low-worker-count.md")
    ]


async def test_slo_returns_the_verifiers_document(client: Client, tenants: Tenants) -> None:
    body = await _get(client, tenants, "/slo?since=24h")
    names = {item["name"] for item in body["slos"]}
    assert {"import-success", "job-latency", "zero-data-loss"} <= names
    assert body["breaches"] == 0
    success = next(item for item in body["slos"] if item["name"] == "import-success")
    assert success["verdict"] == "no data" and success["runbook"]
    start, end = datetime.fromisoformat(success["since"]), datetime.fromisoformat(success["until"])
    assert end - start == timedelta(hours=24)
    bad = await client.get(f"{OPS}/slo?since=yesterday", headers=tenants.operator)
    assert bad.status_code == 422, bad.text  # decodes (a string), rejected by our rule for windows
    empty = await client.get(f"{OPS}/slo?since=", headers=tenants.operator)
    assert empty.status_code == 422, empty.text  # an empty window start is not "each SLO's own window"


async def test_slo_judges_what_drills_recorded_in_the_window(
    client: Client, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The dashboard's SLO page reads this: a drill's recorded observation gives its SLO a verdict."""
    async with sessions() as session:
        now = await SloVerifier(session).now()
        observations = [
            Observation("graceful-shutdown", now - timedelta(minutes=10), 4.5, "chaos:worker-sigterm", "w-1"),
            Observation("graceful-shutdown", now - timedelta(hours=2), 90.0, "chaos:worker-sigterm", "w-0"),
        ]
        await SloEvidence(session).record(observations, load_slos())
        await session.commit()
    body = await _get(client, tenants, "/slo?since=1h")
    shutdown = next(item for item in body["slos"] if item["name"] == "graceful-shutdown")
    assert (shutdown["verdict"], shutdown["value"], shutdown["samples"]) == ("pass", 4.5, 1)
    assert shutdown["details"] == {"sources": ["chaos:worker-sigterm"], "worst_run": "w-1"}
    wider = await _get(client, tenants, "/slo?since=3h")
    assert next(i for i in wider["slos"] if i["name"] == "graceful-shutdown")["verdict"] == "breach"
