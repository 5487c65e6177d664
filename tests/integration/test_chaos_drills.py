"""The fast chaos drills (the CI subset) on the test stack, with second-scale timers.

Each drill runs end to end through the harness: steady state, seeded workload
through the API, injection, rollback, invariants against PostgreSQL and S3.
The assertions are the drill's own verdict plus the invariants it must show.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from chaos.context import DrillContext
from chaos.drill_kit import apply
from chaos.drills import DRILLS
from chaos.env import ChaosEnv, open_env
from chaos.faults import ProxyDisabled
from chaos.model import DrillRecord, verdict
from chaos.runner import run_drill
from control_plane.api.app import create_app
from control_plane.db.models import ImportJob, JobEvent
from control_plane.settings import BreakerSettings, Settings
from harness.settings import harness_settings_of
from harness.settings.chaos import ChaosSettings
from harness.stack.toxiproxy import ToxiproxyClient
from tests.support.drill_workers import DrillWorkers
from tests.support.workers import FAST_TIMERS

OPEN_SECONDS = float(FAST_TIMERS["ICP_BREAKER_OPEN_SECONDS"])
FAST = ChaosSettings(
    jobs=5,
    submit_interval_s=0.5,
    products=40,
    provider_latency_ms=250,
    images_max=1,
    degrade_s=5.0,
    worker_kills=1,
    restart_delay_s=0.5,
    recovery_timeout_s=60.0,
    settle_timeout_s=90.0,
)


@pytest.fixture
async def chaos_env(
    migrated: Settings, clean: None, toxiproxy: ToxiproxyClient
) -> AsyncIterator[Callable[[], ChaosEnv]]:
    settings = replace(migrated, breaker=BreakerSettings(open_seconds=OPEN_SECONDS))
    workers = DrillWorkers(settings)
    workers.start(2)
    async with AsyncTestClient(app=create_app(settings)) as api:
        env = open_env(harness_settings_of(settings), api, workers)
        env.reset_all_proxies = False  # others share this toxiproxy; the drill lifts its own faults
        try:
            yield lambda: env
        finally:
            workers.stop_all()
            await env.redis.aclose()
            await env.engine.dispose()
            await env.sim_admin.aclose()


def _failures(record: DrillRecord) -> list[str]:
    checks = [*record.before, *record.after, *record.invariants]
    return [f"{c.name}={c.value} (target {c.target}) {c.detail}" for c in checks if not c.ok]


async def _story(env: ChaosEnv, record: DrillRecord) -> str:
    """Failures plus the timeline of every job that did not finish: what a red test needs to be read."""
    async with env.sessions() as session:
        rows = await session.execute(
            sa.select(JobEvent.job_id, JobEvent.at, JobEvent.kind, JobEvent.actor, JobEvent.message)
            .join(ImportJob, ImportJob.id == JobEvent.job_id)
            .where(ImportJob.status.not_in(["COMPLETED", "FAILED", "CANCELLED"]))
            .order_by(JobEvent.id)
        )
        events = [f"{r.job_id} {r.at:%H:%M:%S.%f} {r.kind} {r.actor} {r.message or ''}" for r in rows]
    aborted = [f"aborted: {record.aborted}"] if record.aborted else []
    timeline = [f"+{a.offset_s:.1f}s {a.kind} {a.what} {a.attributes}" for a in record.timeline]
    return "\n".join([*aborted, *_failures(record), *timeline, *events])


async def test_provider_down_opens_the_breaker_defers_jobs_and_completes_them(
    chaos_env: Callable[[], ChaosEnv],
) -> None:
    env = chaos_env()
    record = await run_drill(env, "provider-down", FAST, lambda _line: None)

    assert verdict(record) == "pass", await _story(env, record)
    checks = {c.name: c for c in record.invariants}
    assert checks["breaker opened"].ok
    assert checks["jobs wrongly failed"].value == 0
    assert checks["half-open not before the open time (s)"].ok
    assert record.detect_s is not None


async def test_a_sick_shop_trips_only_its_own_breaker_while_other_vendors_import(
    chaos_env: Callable[[], ChaosEnv],
) -> None:
    env = chaos_env()
    record = await run_drill(env, "sick-shop", FAST, lambda _line: None)

    assert verdict(record) == "pass", await _story(env, record)
    checks = {c.name: c for c in record.invariants}
    assert checks["sick shop's own breaker opened"].ok and checks["sick shop's jobs deferred or retried"].ok
    assert checks["provider-wide breaker stayed closed"].ok
    assert checks["other vendors' imports completed while the shop was sick"].value == 3
    assert checks["lost jobs"].value == 0 and checks["jobs wrongly failed"].value == 0


async def test_worker_sigkill_mid_job_is_resumed_by_another_worker(chaos_env: Callable[[], ChaosEnv]) -> None:
    env = chaos_env()
    record = await run_drill(env, "worker-sigkill", FAST, lambda _line: None)

    assert verdict(record) == "pass", await _story(env, record)
    assert any(a.kind == "inject" and a.attributes["signal"] == "SIGKILL" for a in record.timeline)
    assert record.recover_s is not None and record.recover_s < record.failure.mttr_s


async def test_redis_latency_slows_but_loses_nothing_and_proxies_are_restored(
    chaos_env: Callable[[], ChaosEnv], toxiproxy: ToxiproxyClient
) -> None:
    try:
        record = await run_drill(chaos_env(), "redis-latency", FAST, lambda _line: None)
    finally:
        redis_toxics = [t["name"] for t in toxiproxy.proxies()["redis"]["toxics"] if t["name"].startswith("chaos-")]
    assert redis_toxics == []
    assert verdict(record) == "pass", _failures(record)
    assert {a.attributes.get("toxic") for a in record.timeline if a.kind == "inject"} == {"latency", "bandwidth"}


async def _redis_cut_for_good(ctx: DrillContext) -> None:
    """A broken drill: it cuts Redis and never lifts the cut (only the runner's safety net does, at the end)."""
    await apply(ctx, ProxyDisabled(ctx.env.toxiproxy, "redis"))


async def test_a_fault_that_is_never_lifted_reports_fail(
    chaos_env: Callable[[], ChaosEnv], monkeypatch: pytest.MonkeyPatch, toxiproxy: ToxiproxyClient
) -> None:
    """The verdict can fail: imports never flow again, so the drill is not a pass, and Redis is given back."""
    broken = replace(DRILLS["redis-outage"], name="redis-cut-for-good", inject=_redis_cut_for_good)
    monkeypatch.setitem(DRILLS, broken.name, broken)
    quick = FAST.model_copy(update={"recovery_timeout_s": 5.0, "settle_timeout_s": 5.0})
    record = await run_drill(chaos_env(), broken.name, quick, lambda _line: None)

    assert verdict(record) in ("fail", "aborted")
    assert record.recover_s is None
    assert toxiproxy.proxies()["redis"]["enabled"], "the runner's safety net lifted the cut"
