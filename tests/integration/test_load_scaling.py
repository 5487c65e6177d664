"""A load run measures its autoscaling response from the autoscaler's decisions (Redis) and the jobs' timelines
(PostgreSQL), and records it for the SLO verifier."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import JobEvent
from control_plane.domain.autoscaling import ScalingDecision
from control_plane.domain.jobs import JobStatus
from control_plane.domain.slo import Verdict
from control_plane.integrations.metrics.ops_state import AutoscalerStore
from control_plane.services.slo import SloVerifier, load_slos
from harness.settings import HarnessSettings
from loadtests.load.report import Report
from loadtests.load.runner import measure_scaling
from tests.conftest import Tenants
from tests.support.job_history import History

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SLO = next(slo for slo in load_slos() if slo.name == "autoscaling-response")


async def _claims(
    sessions: async_sessionmaker[AsyncSession], history: History, claims: list[tuple[str, float]]
) -> None:
    """One queued job per claim, then its ``started`` event by that worker."""
    jobs = [history.queued(T0) for _ in claims]
    await history.save(sessions)
    async with sessions() as session:
        session.add_all(
            JobEvent(
                job_id=job,
                at=T0 + timedelta(seconds=at_s),
                kind="started",
                to_status=JobStatus.RUNNING.value,
                actor=worker,
                data={},
            )
            for job, (worker, at_s) in zip(jobs, claims, strict=True)
        )
        await session.commit()


async def test_a_run_records_how_soon_a_new_worker_answered_the_scale_out(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, tenants: Tenants, harness_settings: HarnessSettings
) -> None:
    await _claims(sessions, History(tenants.acme), [("w1", 1), ("w2", 2), ("w3", 75)])
    store = AutoscalerStore(redis)
    for at_s, desired, reason in ((0, 2, "initial"), (15, 2, "steady"), (30, 6, "scale out")):
        at = T0.timestamp() + at_s
        await store.save(ScalingDecision(desired, desired, desired * 10, at, at, reason))
    settings = replace(harness_settings, stack=harness_settings.stack.model_copy(update={"workers": 2}))
    report = Report(name="scaling", run_id="load-run-1", started_at=T0.isoformat())
    until = T0 + timedelta(seconds=300)

    await measure_scaling(report, sessions, settings, ("load-run-1", 3), (T0, until))

    assert report.extra["autoscaling_response"]["seconds"] == 45.0
    assert report.extra["autoscaling_response"]["recorded"] is True
    async with sessions() as session:
        (judged,) = await SloVerifier(session).verify([SLO], since=T0, until=until + timedelta(seconds=1))
    assert (judged.evaluation.verdict, judged.evaluation.value) == (Verdict.PASS, 45.0)
    assert judged.evaluation.details == {"sources": ["load"], "worst_run": "load-run-1"}


@pytest.mark.usefixtures("clean")
async def test_a_fixed_pool_records_nothing(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, harness_settings: HarnessSettings
) -> None:
    at = T0.timestamp() + 30
    await AutoscalerStore(redis).save(ScalingDecision(6, 6, 60, at, at, "scale out"))
    settings = replace(harness_settings, stack=harness_settings.stack.model_copy(update={"workers": 2}))
    report = Report(name="scaling", run_id="load-run-2", started_at=T0.isoformat())
    until = T0 + timedelta(seconds=300)

    await measure_scaling(report, sessions, settings, ("load-run-2", 2), (T0, until))

    assert report.extra["autoscaling_response"]["recorded"] is False
    async with sessions() as session:
        (judged,) = await SloVerifier(session).verify([SLO], since=T0, until=until + timedelta(seconds=1))
    assert judged.evaluation.verdict is Verdict.NO_DATA
