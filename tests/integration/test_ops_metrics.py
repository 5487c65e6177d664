"""/metrics, alarm evaluation, webhook notices and the autoscaler endpoint, over crafted jobs and Redis state."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, JobEvent
from control_plane.domain.breaker import BreakerPolicy
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from control_plane.integrations.metrics.ops_state import AlarmStore, current_desired_workers
from control_plane.integrations.metrics.presence import WorkerPresence
from control_plane.integrations.metrics.provider_calls import ProviderCallCounters
from control_plane.integrations.redis_state.circuit_breaker import RedisCircuitBreaker
from control_plane.services.alarms import OpsEvaluator
from control_plane.settings import OpsSettings, Settings
from tests.conftest import Tenants

Sessions = async_sessionmaker[AsyncSession]


def _job(tenants: Tenants, status: JobStatus, *, run_s: float | None = None, **values: Any) -> ImportJob:
    now = datetime.now(UTC)
    if run_s is not None:
        values.update(started_at=now - timedelta(seconds=run_s + 5), finished_at=now - timedelta(seconds=5))
    return ImportJob(
        company_id=tenants.acme.company_id,
        integration_id=tenants.acme.integration_id,
        provider=Provider.SHOPIFY,
        tier=Tier.PRO,
        status=status,
        correlation_id=str(uuid.uuid4()),
        **values,
    )


async def _craft_jobs(sessions: Sessions, tenants: Tenants) -> None:
    """2 running, 4 completed in 2 s, 2 failed after 40 s, 1 queued for two minutes; one reconcile action."""
    now = datetime.now(UTC)
    jobs = [_job(tenants, JobStatus.RUNNING, started_at=now) for _ in range(2)]
    jobs += [_job(tenants, JobStatus.COMPLETED, run_s=2) for _ in range(4)]
    jobs += [_job(tenants, JobStatus.FAILED, run_s=40) for _ in range(2)]
    queued = _job(tenants, JobStatus.QUEUED, queued_at=now - timedelta(seconds=120))
    async with sessions() as session:
        session.add_all([*jobs, queued])
        await session.flush()
        for job in jobs:
            session.add(JobEvent(job_id=job.id, kind="started", actor="t", to_status="RUNNING"))
            if job.status is not JobStatus.RUNNING:
                session.add(JobEvent(job_id=job.id, kind="x", actor="t", to_status=job.status.value))
        session.add(JobEvent(job_id=queued.id, kind="reconcile.requeued", actor="t"))
        await session.commit()


async def _queue(redis: Redis, settings: Settings, *, due: int, later: int) -> None:
    now_ms = int(time.time() * 1000)
    entries = {f"due-{i}": now_ms - 1000 for i in range(due)} | {f"later-{i}": now_ms + 600_000 for i in range(later)}
    if entries:
        await redis.zadd(settings.redis.queue_name, entries)


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_expose_the_crafted_state(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: Sessions,
    redis: Redis,
    settings: Settings,
) -> None:
    await _craft_jobs(sessions, tenants)
    await _queue(redis, settings, due=3, later=2)
    presence = WorkerPresence(redis, fresh_for_s=settings.worker.lease_ttl_s)
    await presence.stamp("host:worker-1")
    await presence.stamp("host:worker-2")
    await presence.stamp("host:worker-gone", now=time.time() - 3600)
    counters = ProviderCallCounters(redis)
    for status in ("200", "200", "200", "503"):
        await counters.call_finished("shopify", status)
    await counters.rate_limit_waited("shopify")
    breaker = RedisCircuitBreaker(redis, BreakerPolicy(1, 60), transitions_kept=10)
    await breaker.record_failure(["roastify"], "HTTP 503")

    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    got = _samples(response.text)

    def value(name: str, **labels: str) -> float:
        return got[(name, frozenset(labels.items()))]

    assert [value("icp_queue_depth", state=s) for s in ("waiting", "delayed", "active", "dead")] == [3, 2, 2, 2]
    assert 115 <= value("icp_queue_oldest_waiting_age_seconds") < 180
    assert (value("icp_jobs_started_total"), value("icp_jobs_completed_total"), value("icp_jobs_failed_total")) == (
        8,
        4,
        2,
    )
    assert value("icp_jobs_last_hour", event="completed") == 4
    assert value("icp_job_duration_seconds_bucket", le="5.0") == 4
    assert value("icp_job_duration_seconds_bucket", le="30.0") == 4
    assert value("icp_job_duration_seconds_bucket", le="60.0") == 6
    assert value("icp_job_duration_seconds_count") == 6
    assert value("icp_success_rate_last_hour") == pytest.approx(4 / 6)
    assert value("icp_workers_live") == 2
    assert value("icp_circuit_state", scope="roastify") == 2
    assert value("icp_reconcile_actions_total", action="requeued") == 1
    assert value("icp_provider_requests_total", provider="shopify", status="200") == 3
    assert value("icp_provider_errors_total", provider="shopify") == 1
    assert value("icp_provider_error_ratio") == pytest.approx(0.25)
    assert value("icp_rate_limit_waits_total", provider="shopify") == 1
    assert value("icp_alarm_firing", alarm="low-success-rate", severity="high") == 0  # not evaluated yet


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Hook", (_Hook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


async def test_alarms_fire_notify_and_resolve(
    clean: None,
    sessions: Sessions,
    redis: Redis,
    settings: Settings,
    webhook: tuple[str, list[dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, received = webhook
    ops = OpsSettings(overload_at=2, min_workers=1, alarm_webhook_url=url, emf_enabled=True, autoscale_min=1)
    tuned = replace(settings, ops=ops)
    await _queue(redis, settings, due=3, later=0)
    async with sessions() as session:
        first = await OpsEvaluator(session, redis, tuned).run()
    assert {(c.check.name, c.status) for c in first.changes} == {
        ("queue-overload", "firing"),
        ("low-worker-count", "firing"),
    }
    assert first.notified == 2
    assert set(await AlarmStore(redis).firing()) == {"queue-overload", "low-worker-count"}
    texts = " | ".join(message["text"] for message in received)
    assert "[CRITICAL] queue-overload firing" in texts and "[HIGH] low-worker-count firing" in texts
    assert all(m["attachments"][0]["fields"][-1]["value"].startswith("runbooks/") for m in received)
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert emf["QueueDepth"] == 3 and emf["LiveWorkers"] == 0

    await redis.delete(settings.redis.queue_name)
    await WorkerPresence(redis, fresh_for_s=settings.worker.lease_ttl_s).stamp("host:worker-1")
    async with sessions() as session:
        second = await OpsEvaluator(session, redis, tuned).run()
    assert {(c.check.name, c.status) for c in second.changes} == {
        ("queue-overload", "resolved"),
        ("low-worker-count", "resolved"),
    }
    assert await AlarmStore(redis).firing() == {}
    assert len(received) == 4
    history = await AlarmStore(redis).history()
    assert [entry["status"] for entry in history] == ["resolved", "resolved", "firing", "firing"]


async def test_an_unreachable_webhook_is_logged_not_raised(
    clean: None, sessions: Sessions, redis: Redis, settings: Settings
) -> None:
    tuned = replace(settings, ops=OpsSettings(min_workers=1, alarm_webhook_url="http://127.0.0.1:9/hook"))
    async with sessions() as session:
        result = await OpsEvaluator(session, redis, tuned).run()
    assert [c.check.name for c in result.changes] == ["low-worker-count"]
    assert result.notified == 0


async def test_autoscaler_endpoint_is_for_operators(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: Sessions,
    redis: Redis,
    settings: Settings,
) -> None:
    denied = await client.get("/api/v1/ops/autoscaler", headers=tenants.acme.auth)
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")
    empty = await client.get("/api/v1/ops/autoscaler", headers=tenants.operator)
    assert empty.status_code == 200 and empty.json()["desired_workers"] is None

    await _queue(redis, settings, due=45, later=0)
    tuned = replace(settings, ops=OpsSettings(jobs_per_worker=10, autoscale_min=2, autoscale_max=4))
    async with sessions() as session:
        await OpsEvaluator(session, redis, tuned).run()
    assert await current_desired_workers(redis) == 4  # ceil(45 / 10) = 5, clamped to 4
    body = (await client.get("/api/v1/ops/autoscaler", headers=tenants.operator)).json()
    assert body["desired_workers"] == 4 and body["last"]["target"] == 4 and len(body["recent"]) == 1
    scraped = _samples((await client.get("/metrics")).text)
    assert scraped[("icp_autoscaler_desired_workers", frozenset())] == 4
