"""Recorded SLO observations in the real PostgreSQL: kept once per run, read back by window, judged by the verifier."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chaos.model import SEED_FAILURES, DrillRecord
from chaos.slo_evidence import measure, record_observations
from control_plane.cli.main import cli
from control_plane.db.repositories.load_runs import LoadRunRepository
from control_plane.domain.slo import Verdict
from control_plane.domain.slo_spec import Observation, SloSpecError
from control_plane.services.slo import SloVerifier, load_slos
from control_plane.services.slo_evidence import SloEvidence
from control_plane.settings import Settings, get_settings
from harness.settings.chaos import ChaosSettings
from tests.support.job_history import seconds

SLOS = load_slos()
BY_NAME = {slo.name: slo for slo in SLOS}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = seconds(3600)


def _seen(slo: str, at_s: float, value: float, run_id: str, source: str = "chaos:redis-outage") -> Observation:
    return Observation(slo, T0 + seconds(at_s), value, source, run_id)


async def _record(sessions: async_sessionmaker[AsyncSession], *observations: Observation) -> int:
    async with sessions() as session:
        added = await SloEvidence(session).record(observations, SLOS)
        await session.commit()
    return added


@pytest.mark.usefixtures("clean")
async def test_observations_are_read_back_in_their_window_once_per_run(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = _seen("redis-failover-recovery", 0, 12.5, "run-a")
    assert await _record(sessions, first, _seen("redis-failover-recovery", 3600, 70.0, "run-b")) == 2
    assert await _record(sessions, _seen("redis-failover-recovery", 0, 99.0, "run-a")) == 0  # the same run again
    async with sessions() as session:
        seen = await SloEvidence(session).observed(SLOS, T0, T0 + HOUR)
    assert [(o.slo, o.at, o.value, o.source, o.run_id) for o in seen] == [
        ("redis-failover-recovery", T0, 12.5, "chaos:redis-outage", "run-a")
    ]


@pytest.mark.usefixtures("clean")
async def test_the_verifier_judges_recorded_observations_of_its_window(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _record(
        sessions,
        _seen("redis-failover-recovery", 60, 20.0, "r1"),
        _seen("graceful-shutdown", 120, 31.0, "w1", "chaos:worker-sigterm"),
        _seen("graceful-shutdown", 3600, 5.0, "w2", "chaos:worker-sigterm"),  # at until: not in the window
    )
    async with sessions() as session:
        reports = await SloVerifier(session).verify(
            [BY_NAME["redis-failover-recovery"], BY_NAME["graceful-shutdown"]], since=T0, until=T0 + HOUR
        )
    verdicts = {(e := r.evaluation).slo.name: (e.verdict, e.value, e.samples) for r in reports}
    assert verdicts == {
        "redis-failover-recovery": (Verdict.PASS, 20.0, 1),
        "graceful-shutdown": (Verdict.BREACH, 31.0, 1),
    }


async def test_only_drill_sourced_slos_take_observations(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        with pytest.raises(SloSpecError, match="job store"):
            await SloEvidence(session).record([_seen("job-latency", 0, 1.0, "x")], SLOS)
        with pytest.raises(SloSpecError, match="no SLO named"):
            await SloEvidence(session).record([_seen("nonsense", 0, 1.0, "x")], SLOS)


@pytest.fixture
def importctl(settings: Settings) -> Iterator[CliRunner]:
    get_settings.cache_clear()
    yield CliRunner(env={"ICP_DB_NAME": settings.database.name})
    get_settings.cache_clear()


@pytest.mark.usefixtures("clean")
async def test_cli_verify_reads_the_table_without_evidence_files(
    sessions: async_sessionmaker[AsyncSession], importctl: CliRunner
) -> None:
    await _record(sessions, _seen("breaker-protection", 30, 0.0, "p1", "chaos:provider-down"))
    args = ["slo", "verify", "--since", T0.isoformat(), "--until", (T0 + HOUR).isoformat(), "--json"]
    result = await asyncio.to_thread(importctl.invoke, cli, args)
    assert result.exit_code == 0, result.output
    items = {item["name"]: item for item in json.loads(result.output)["slos"]}
    assert (items["breaker-protection"]["verdict"], items["breaker-protection"]["samples"]) == ("pass", 1)
    assert items["breaker-protection"]["details"] == {"sources": ["chaos:provider-down"], "worst_run": "p1"}


@pytest.mark.usefixtures("clean")
async def test_a_finished_drill_records_what_it_measured_for_the_verifier(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    record = DrillRecord("redis-outage", "run-redis", "redis-outage.md", SEED_FAILURES["redis"], T0)
    record.note(T0 + seconds(5), "inject", "redis proxy disabled")
    record.recover_s = 8.5
    record.finished_at = T0 + seconds(120)
    measure(record, {}, ChaosSettings())
    assert await record_observations(sessions, record) == 1
    assert await record_observations(sessions, record) == 0  # written twice, kept once
    async with sessions() as session:
        (report,) = await SloVerifier(session).verify([BY_NAME["redis-failover-recovery"]], since=T0, until=T0 + HOUR)
    assert (report.evaluation.verdict, report.evaluation.value) == (Verdict.PASS, 8.5)
    assert report.evaluation.details == {"sources": ["chaos:redis-outage"], "worst_run": "run-redis"}


@pytest.mark.usefixtures("clean")
async def test_a_load_run_reset_keeps_what_earlier_runs_measured(sessions: async_sessionmaker[AsyncSession]) -> None:
    await _record(sessions, _seen("graceful-shutdown", 10, 3.0, "w1", "chaos:worker-sigterm"))
    async with sessions() as session:
        emptied = await LoadRunRepository(session).truncate_everything()
        await session.commit()
    assert "import_jobs" in emptied and "slo_observations" not in emptied
    async with sessions() as session:
        assert [o.run_id for o in await SloEvidence(session).observed(SLOS, T0, T0 + HOUR)] == ["w1"]
