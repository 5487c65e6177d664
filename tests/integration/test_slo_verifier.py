"""The SLO verifier on crafted job histories in the real PostgreSQL: each SLI counts what its definition says."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.cli.main import cli
from control_plane.db.models import ImportJob, JobEvent
from control_plane.domain.jobs import JobStatus
from control_plane.domain.slo import Evaluation, Verdict, wilson_interval
from control_plane.services.slo import SloVerifier, load_slos
from control_plane.settings import Settings, get_settings
from tests.conftest import Tenants
from tests.support.job_history import Event, History, seconds

SLOS = {slo.name: slo for slo in load_slos()}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = seconds(3600)
PERMANENT = "PermanentProviderError: shopify: HTTP 401: bad credentials"
EXHAUSTED = "gave up after 4 attempts: ProviderError: shopify: HTTP 503"


async def judge(sessions: async_sessionmaker[AsyncSession], name: str, since: datetime, until: datetime) -> Evaluation:
    async with sessions() as session:
        (report,) = await SloVerifier(session).verify([SLOS[name]], since=since, until=until)
    return report.evaluation


@pytest.fixture
def history(tenants: Tenants) -> History:
    return History(tenants.acme)


async def test_latency_passes_in_one_window_and_breaches_in_the_next(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    for i in range(19):
        history.completed(T0 + seconds(60 * i), 120)
    history.completed(T0 + seconds(1200), 299.9)  # just in time
    history.completed(T0 + seconds(1300), 900, products=150)  # a big catalog: not this SLO's business
    history.cancelled(T0 + seconds(1400), 30)  # cancelled: not counted
    for i in range(8):
        history.completed(T0 + HOUR + seconds(60 * i), 90)
    history.completed(T0 + HOUR + seconds(600), 300)  # exactly 5 minutes is not under 5 minutes
    history.failed(T0 + HOUR + seconds(700), 10, PERMANENT)  # failed: did not complete
    history.queued(T0 + HOUR + seconds(800))  # still waiting well past 5 minutes: overdue
    history.queued(T0 + 2 * HOUR - seconds(60))  # queued a minute ago: undecided, not counted
    await history.save(sessions)

    first = await judge(sessions, "job-latency", T0, T0 + HOUR)
    assert (first.verdict, first.value, first.samples) == (Verdict.PASS, 1.0, 20)
    assert first.error_budget_left == 1.0

    second = await judge(sessions, "job-latency", T0 + HOUR, T0 + 2 * HOUR)
    assert second.verdict is Verdict.BREACH
    assert (second.value, second.samples) == (pytest.approx(8 / 11), 11)
    assert dict(second.details) == {"failed": 1, "overdue": 1}
    # 5% of 11 runs may be slow (0.55); 3 were: the budget is overspent 3 / 0.55 - 1 times over
    assert second.error_budget_left == pytest.approx((0.55 - 3) / 0.55)


async def test_success_ratio_excludes_cancellations_and_carries_its_interval(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    for i in range(197):
        history.completed(T0 + seconds(10 * i), 60)
    history.failed(T0 + seconds(5), 20, PERMANENT)
    history.failed(T0 + seconds(15), 400, EXHAUSTED)
    retried = T0 + seconds(30)
    history.job(  # failed, retried by an operator, then completed: one failed run and one completed run
        retried,
        JobStatus.COMPLETED,
        [
            Event("failed", retried + seconds(10), JobStatus.FAILED, message=EXHAUSTED),
            Event("retry_requested", retried + seconds(60), JobStatus.PENDING),
            Event("completed", retried + seconds(120), JobStatus.COMPLETED),
        ],
        finished_at=retried + seconds(120),
        products_processed=5,
    )
    history.cancelled(T0 + seconds(50), 5)
    await history.save(sessions)

    result = await judge(sessions, "import-success", T0, T0 + HOUR)
    assert (result.value, result.samples) == (pytest.approx(198 / 201), 201)
    assert result.verdict is Verdict.BREACH  # 98.5% < 99%
    assert result.interval == pytest.approx(wilson_interval(198, 201))
    assert result.interval is not None and result.interval[0] < 198 / 201 < result.interval[1]
    assert result.error_budget_left == pytest.approx((0.01 * 201 - 3) / (0.01 * 201))
    assert result.details["cancelled_excluded"] == 1


async def test_orphans_are_jobs_waiting_over_ten_minutes_at_until(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    until = T0 + HOUR
    lost = history.queued(until - seconds(1200))
    history.job(until - seconds(700), JobStatus.PENDING, [])  # never reached Redis
    history.queued(until - seconds(300))  # five minutes in line: fine
    history.queued(until - seconds(1800), Event("reconcile.requeued", until - seconds(120)))  # put back in line
    history.queued(until - seconds(1800), Event("started", until - seconds(900), JobStatus.RUNNING))  # picked up
    # Waiting for 20 minutes at `until`, picked up only later: an orphan at `until` all the same.
    late = history.queued(until - seconds(1200), Event("started", until + seconds(60), JobStatus.RUNNING))
    history.completed(until - seconds(3000), 60)
    await history.save(sessions)

    result = await judge(sessions, "no-orphaned-jobs", T0, until)
    assert (result.verdict, result.value) == (Verdict.BREACH, 3)
    assert set(result.details["examples"]) >= {str(lost), str(late)}
    assert result.details["longest_wait_s"] == pytest.approx(1200)

    earlier = await judge(sessions, "no-orphaned-jobs", T0, until - seconds(1500))
    assert (earlier.verdict, earlier.value) == (Verdict.PASS, 0)


async def test_window_boundaries_include_since_and_exclude_until(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    since, until = T0, T0 + HOUR
    history.completed(since, 60)  # requested at `since`: in
    history.failed(since - seconds(0.001), 5, PERMANENT)  # a millisecond before: out
    history.failed(until, 5, PERMANENT)  # requested at `until`: out
    history.completed(until - seconds(30), 60)  # finishes after `until`: no outcome yet
    await history.save(sessions)

    result = await judge(sessions, "import-success", since, until)
    assert (result.verdict, result.value, result.samples) == (Verdict.PASS, 1.0, 1)
    assert result.details["without_outcome"] == 1
    empty = await judge(sessions, "import-success", until + HOUR, until + 2 * HOUR)
    assert (empty.verdict, empty.value, empty.error_budget_left, empty.interval) == (Verdict.NO_DATA, None, None, None)


async def test_stalls_count_detection_delays_and_stalls_nobody_noticed(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    lapsed = T0 + seconds(100)
    swept = {"expired_for_s": 12.5, "lease_expires_at": lapsed.isoformat(), "previous_worker": "a"}
    history.queued(
        T0,
        Event("started", T0 + seconds(1), JobStatus.RUNNING),
        Event("reconcile.lease_expired", lapsed + seconds(12.5), JobStatus.QUEUED, data=swept),
    )
    await history.save(sessions)
    detected = await judge(sessions, "stalled-jobs-detected", T0, T0 + HOUR)
    assert (detected.verdict, detected.value, detected.samples) == (Verdict.PASS, 12.5, 1)

    forgotten = history.running(T0 + seconds(200), lease_expires_at=T0 + seconds(600))
    await history.save(sessions)
    late = await judge(sessions, "stalled-jobs-detected", T0, T0 + seconds(600 + 2700))
    assert (late.verdict, late.value, late.samples) == (Verdict.BREACH, 2700, 2)
    assert late.details["undetected_examples"] == [str(forgotten)]


async def test_runs_without_stalls_or_failures_are_a_measurement_and_no_runs_are_no_data(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    """Two runs watched, none stalled and none failed: both SLOs hold at 0 over 2 samples; an empty window has none."""
    history.completed(T0, 60)
    history.completed(T0 + seconds(5), 30)
    await history.save(sessions)
    for name in ("stalled-jobs-detected", "failures-retryable"):
        watched = await judge(sessions, name, T0, T0 + HOUR)
        assert (watched.verdict, watched.value, watched.samples) == (Verdict.PASS, 0, 2), name
        assert watched.details["runs_watched"] == 2
        empty = await judge(sessions, name, T0 + HOUR, T0 + 2 * HOUR)
        assert (empty.verdict, empty.value, empty.samples) == (Verdict.NO_DATA, None, 0), name


async def test_a_past_window_keeps_its_undetected_stall_after_a_later_sweep(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    """A stall nobody had detected at ``until`` stays counted when a sweep takes the job back afterwards."""
    lapsed = T0 + seconds(600)
    until = lapsed + seconds(2700)
    stalled = history.running(T0 + seconds(200), lease_expires_at=lapsed)
    await history.save(sessions)
    before = await judge(sessions, "stalled-jobs-detected", T0, until)
    assert (before.verdict, before.value, before.samples) == (Verdict.BREACH, 2700, 1)
    lost_before = await judge(sessions, "zero-data-loss", T0, until)
    assert lost_before.details["abandoned"] == 1

    swept = {"expired_for_s": 3000.0, "lease_expires_at": lapsed.isoformat(), "previous_worker": "host-a:worker"}
    async with sessions() as session:  # the sweep, after `until`: the job goes back to its line
        await session.execute(
            sa.update(ImportJob)
            .where(ImportJob.id == stalled)
            .values(status=JobStatus.QUEUED, worker_id=None, lease_expires_at=None)
        )
        session.add(
            JobEvent(
                job_id=stalled,
                at=lapsed + seconds(3000),
                kind="reconcile.lease_expired",
                to_status=JobStatus.QUEUED.value,
                actor="test",
                data=swept,
            )
        )
        await session.commit()
    after = await judge(sessions, "stalled-jobs-detected", T0, until)
    assert (after.verdict, after.value, after.samples) == (before.verdict, before.value, before.samples)
    assert after.details["undetected_examples"] == [str(stalled)]
    lost_after = await judge(sessions, "zero-data-loss", T0, until)
    assert (lost_after.value, lost_after.details["abandoned"]) == (lost_before.value, 1)
    later = await judge(sessions, "stalled-jobs-detected", T0, lapsed + seconds(3600))
    assert (later.value, later.samples, later.details["detected"]) == (3000, 1, 1)


async def test_data_loss_flags_lost_abandoned_and_inconsistent_jobs(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    history.completed(T0, 60)
    history.running(T0 + seconds(10), lease_expires_at=T0 + seconds(300))  # live a while, then stalled
    await history.save(sessions)
    clean = await judge(sessions, "zero-data-loss", T0, T0 + seconds(1200))
    assert (clean.verdict, clean.value, clean.samples) == (Verdict.PASS, 0, 2)

    lost = history.queued(T0 + seconds(20))
    short = history.job(
        T0 + seconds(30),
        JobStatus.COMPLETED,
        [Event("completed", T0 + seconds(90), JobStatus.COMPLETED, data={"products_processed": 40})],
        finished_at=T0 + seconds(90),
        products_processed=35,  # five products' worth of checkpoints went missing
    )
    await history.save(sessions)
    result = await judge(sessions, "zero-data-loss", T0, T0 + seconds(2400))
    assert (result.verdict, result.value, result.samples) == (Verdict.BREACH, 3, 4)
    assert {key: result.details[key] for key in ("orphaned", "abandoned", "inconsistent_completions")} == {
        "orphaned": 1,
        "abandoned": 1,
        "inconsistent_completions": 1,
    }
    assert {str(lost), str(short)} <= set(result.details["examples"])


async def test_failures_are_permanent_or_exhausted_or_counted(
    sessions: async_sessionmaker[AsyncSession], history: History
) -> None:
    history.failed(T0, 5, PERMANENT)
    history.failed(T0 + seconds(1), 5, "InvalidMapping: rules[2]: unknown transform")
    history.failed(T0 + seconds(2), 300, EXHAUSTED)
    await history.save(sessions)
    fine = await judge(sessions, "failures-retryable", T0, T0 + HOUR)
    assert (fine.verdict, fine.value, fine.samples) == (Verdict.PASS, 0, 3)

    odd = history.failed(T0 + seconds(3), 5, "RuntimeError: failed outside the retry policy")
    await history.save(sessions)
    result = await judge(sessions, "failures-retryable", T0, T0 + HOUR)
    assert (result.verdict, result.value) == (Verdict.BREACH, 1)
    assert result.details["examples"] == [str(odd)]
    assert (result.details["permanent"], result.details["retries_exhausted"]) == (2, 1)
    assert (await judge(sessions, "failures-retryable", T0 + HOUR, T0 + 2 * HOUR)).verdict is Verdict.NO_DATA


@pytest.fixture
def importctl(settings: Settings) -> Iterator[CliRunner]:
    """`importctl` against this session's test database; settings are cached per process, so reset them."""
    get_settings.cache_clear()
    yield CliRunner(env={"ICP_DB_NAME": settings.database.name})
    get_settings.cache_clear()


async def _verify(runner: CliRunner, *args: str) -> Result:
    """In a thread: the command runs its own event loop."""
    return await asyncio.to_thread(runner.invoke, cli, ["slo", "verify", *args])


async def test_cli_exits_1_on_a_breach_and_0_on_passes_and_no_data(
    sessions: async_sessionmaker[AsyncSession], history: History, importctl: CliRunner
) -> None:
    for i in range(10):
        history.completed(T0 + seconds(60 * i), 60)
    history.completed(T0 + HOUR, 900)  # slow, in the second hour
    await history.save(sessions)

    good = await _verify(importctl, "--since", T0.isoformat(), "--until", (T0 + HOUR).isoformat())
    assert good.exit_code == 0, good.output
    assert "job-latency" in good.output and "no data" in good.output and "breach" not in good.output

    bad = await _verify(importctl, "--since", "1h", "--until", (T0 + 2 * HOUR).isoformat(), "--json")
    assert bad.exit_code == 1, bad.output
    document = json.loads(bad.output)
    verdicts = {item["name"]: item["verdict"] for item in document["slos"]}
    assert verdicts["job-latency"] == "breach" and verdicts["redis-failover-recovery"] == "no data"
    assert document["breaches"] >= 1

    wrong = await _verify(importctl, "--since", "yesterday-ish")
    assert wrong.exit_code == 2, wrong.output


async def test_cli_judges_drill_evidence_within_the_window(
    tenants: Tenants, importctl: CliRunner, tmp_path: Path
) -> None:
    observations = [
        {"slo": "graceful-shutdown", "at": (T0 + seconds(60)).isoformat(), "value": 21.0, "source": "drill"},
        {"slo": "redis-failover-recovery", "at": (T0 + seconds(90)).isoformat(), "value": 75.0, "source": "drill"},
        {"slo": "redis-failover-recovery", "at": (T0 + 2 * HOUR).isoformat(), "value": 500.0, "source": "later"},
    ]
    evidence = tmp_path / "drills.json"
    evidence.write_text(json.dumps(observations), encoding="utf-8")
    window = ["--since", T0.isoformat(), "--until", (T0 + HOUR).isoformat(), "--evidence", str(evidence), "--json"]

    result = await _verify(importctl, *window)
    assert result.exit_code == 1, result.output
    items = {item["name"]: item for item in json.loads(result.output)["slos"]}
    assert (items["graceful-shutdown"]["verdict"], items["graceful-shutdown"]["value"]) == ("pass", 21.0)
    assert (items["redis-failover-recovery"]["verdict"], items["redis-failover-recovery"]["value"]) == ("breach", 75.0)
    assert items["autoscaling-response"]["verdict"] == "no data"

    evidence.write_text(json.dumps([{"slo": "job-latency", "at": T0.isoformat(), "value": 1}]), encoding="utf-8")
    refused = await _verify(importctl, *window)
    assert refused.exit_code == 2 and "job-latency" in refused.output
