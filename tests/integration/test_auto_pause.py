"""Emergency auto-pause: a collapsed success rate pauses the queue once per alarm episode; resume stays manual."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, JobEvent, OpsAction
from control_plane.domain.jobs import JobStatus
from control_plane.domain.pausing import PauseTarget
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.alarms import Evaluation, OpsEvaluator
from control_plane.settings import OpsSettings, Settings
from tests.conftest import Tenants

Sessions = async_sessionmaker[AsyncSession]


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Hook", (_Hook,), {"received": received}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


async def _finished(sessions: Sessions, tenants: Tenants, *, completed: int, failed: int) -> None:
    """Jobs that finished within the last hour, with their outcome on the timeline."""
    now = datetime.now(UTC)
    statuses = [JobStatus.COMPLETED] * completed + [JobStatus.FAILED] * failed
    async with sessions() as session:
        for status in statuses:
            job = ImportJob(
                company_id=tenants.acme.company_id,
                integration_id=tenants.acme.integration_id,
                provider=Provider.SHOPIFY,
                tier=Tier.PRO,
                status=status,
                correlation_id=str(uuid.uuid4()),
                started_at=now - timedelta(seconds=60),
                finished_at=now - timedelta(seconds=10),
            )
            session.add(job)
            await session.flush()
            session.add(JobEvent(job_id=job.id, kind="x", actor="t", to_status=status.value))
        await session.commit()


async def _tick(sessions: Sessions, redis: Redis, settings: Settings) -> Evaluation:
    async with sessions() as session:
        result = await OpsEvaluator(session, redis, settings).run()
        await session.commit()
    return result


async def _pause_actions(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = (await session.execute(sa.select(OpsAction.actor, OpsAction.action))).all()
    return [(actor, action) for actor, action in rows]


async def test_collapse_pauses_the_queue_once_and_says_so(
    tenants: Tenants,
    sessions: Sessions,
    redis: Redis,
    settings: Settings,
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = webhook
    tuned = replace(settings, ops=OpsSettings(min_workers=0, alarm_webhook_url=url))
    state = RedisOpsState(redis, settings.redis.queue_name)
    await _finished(sessions, tenants, completed=5, failed=20)  # 20% over 25 finished jobs

    first = await _tick(sessions, redis, tuned)
    assert first.auto_paused is True
    (pause,) = await state.pauses()
    assert (pause.target.key, pause.actor) == ("queue", "auto") and "success rate" in pause.reason
    (notice,) = received
    assert "low-success-rate firing" in notice["text"] and "queue auto-paused" in notice["text"]
    assert await _pause_actions(sessions) == [("auto", "pause")]

    second = await _tick(sessions, redis, tuned)  # still firing and paused: nothing new
    assert second.auto_paused is False and second.changes == [] and len(received) == 1
    await state.resume(PauseTarget.parse("queue", None))  # an operator resumes while the alarm still fires
    third = await _tick(sessions, redis, tuned)
    assert third.auto_paused is False and await state.pauses() == []
    assert await _pause_actions(sessions) == [("auto", "pause")]


async def test_a_low_rate_on_few_jobs_alarms_without_pausing(
    tenants: Tenants, sessions: Sessions, redis: Redis, settings: Settings
) -> None:
    tuned = replace(settings, ops=OpsSettings(min_workers=0))
    await _finished(sessions, tenants, completed=2, failed=8)  # 20%, but only 10 finished
    result = await _tick(sessions, redis, tuned)
    assert [c.check.name for c in result.changes] == ["low-success-rate"] and result.auto_paused is False
    assert await RedisOpsState(redis, settings.redis.queue_name).pauses() == []
    assert await _pause_actions(sessions) == []


async def test_a_new_episode_may_pause_again(
    tenants: Tenants, sessions: Sessions, redis: Redis, settings: Settings
) -> None:
    tuned = replace(settings, ops=OpsSettings(min_workers=0))
    await _finished(sessions, tenants, completed=0, failed=20)
    assert (await _tick(sessions, redis, tuned)).auto_paused is True
    state = RedisOpsState(redis, settings.redis.queue_name)
    await state.resume(PauseTarget.parse("queue", None))
    await _finished(sessions, tenants, completed=400, failed=0)  # recovered: the alarm resolves
    assert [c.status for c in (await _tick(sessions, redis, tuned)).changes] == ["resolved"]
    await _finished(sessions, tenants, completed=0, failed=800)  # collapses again
    assert (await _tick(sessions, redis, tuned)).auto_paused is True
    assert await _pause_actions(sessions) == [("auto", "pause"), ("auto", "pause")]
