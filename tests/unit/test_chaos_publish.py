"""A game day's figures reach the runbooks and the README from its reports, with the reason of any failure."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chaos.model import SEED_FAILURES, Check, DrillRecord
from chaos.publish import HEADING, NO_DRILL, load_game_day, publish, replace_section
from chaos.report import gameday_json, run_id, write_drill, write_gameday

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
CONDITIONS = {
    "jobs": 30,
    "products": 120,
    "shop_plan": "plus",
    "provider_latency_ms": 300,
    "submit_interval_s": 1.5,
    "workers": 2,
    "breaker_open_s": 60.0,
    "lease_ttl_s": 15.0,
    "heartbeat_interval_s": 3.0,
    "lease_sweep_interval_s": 5,
    "reconcile_interval_s": 300,
}


def drill(name: str, runbook: str, failure: str, at_s: int, *, finished: bool = True) -> DrillRecord:
    started = START + timedelta(seconds=at_s)
    record = DrillRecord(name, run_id(started, name), runbook, SEED_FAILURES[failure], started)
    record.before = record.after = [Check("API ready", True, 200, 200)]
    record.invariants = [
        Check("lost jobs", True, 0, 0),
        Check("jobs finished", finished, [("COMPLETED", 30)] if finished else [("QUEUED", 21)], "all terminal"),
    ]
    record.note(started + timedelta(seconds=2), "inject", "fault", proxy="redis")
    record.detect_s, record.recover_s = 0.24, 2.55
    record.workload = {"accepted": 30}
    record.conditions = CONDITIONS
    record.finished_at = started + timedelta(seconds=300)
    return record


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the runbooks and the README to publish into."""
    shutil.copytree(ROOT / "runbooks", tmp_path / "runbooks")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def game_day(reports: Path, records: list[DrillRecord]) -> Path:
    for record in records:
        write_drill(reports, record)
    document = gameday_json("gameday", run_id(START, "gameday"), START, START + timedelta(hours=1), records)
    return write_gameday(reports, document)


def drill_results(path: Path) -> str:
    return path.read_text().split(HEADING + "\n", 1)[1].split("\n## ", 1)[0]


def test_each_runbook_gets_its_drills_rows_and_the_reason_a_drill_failed(project: Path, tmp_path: Path) -> None:
    records = [
        drill("redis-outage", "redis-outage.md", "redis", 0, finished=False),
        drill("db-outage", "database-outage.md", "db", 400),
        drill("db-latency", "database-outage.md", "db", 800),
    ]
    publish(load_game_day(game_day(tmp_path / "reports", records)), project)

    redis = drill_results(project / "runbooks" / "redis-outage.md")
    assert "game day `20261204T200000Z-gameday`" in redis and "FAIL" in redis
    assert "| redis-outage | `20261204T200000Z-redis-outage` | 0.24 | < 30 | 2.55 | < 60 | 30 | 0 | **FAIL** |" in redis
    assert "`redis-outage` failed: invariant: jobs finished [['QUEUED', 21]] (target all terminal)" in redis
    assert "30 imports of a 120-product shop (Shopify plus plan, 300 ms per call" in redis
    database = drill_results(project / "runbooks" / "database-outage.md")
    assert database.count("| pass |") == 2 and "failed:" not in database
    assert drill_results(project / "runbooks" / "low-success-rate.md").strip() == NO_DRILL


def test_runbooks_of_drills_the_game_day_did_not_run_keep_their_results(project: Path, tmp_path: Path) -> None:
    before = (project / "runbooks" / "worker-crash.md").read_text()
    publish(
        load_game_day(game_day(tmp_path / "reports", [drill("redis-outage", "redis-outage.md", "redis", 0)])), project
    )
    assert (project / "runbooks" / "worker-crash.md").read_text() == before


def test_the_readme_row_counts_the_passes_and_names_the_slowest_recovery(project: Path, tmp_path: Path) -> None:
    records = [
        drill("redis-outage", "redis-outage.md", "redis", 0, finished=False),
        drill("db-outage", "database-outage.md", "db", 400),
    ]
    records[1].recover_s = 4.1
    publish(load_game_day(game_day(tmp_path / "reports", records)), project)
    row = next(line for line in (project / "README.md").read_text().splitlines() if line.startswith("| game day,"))
    assert row.startswith("| game day, 2 chaos drills | `20261204T200000Z-gameday` | **1 of 2 pass**, 0 lost jobs;")
    assert "slowest recovery 4.1 s (`db-outage`, target < 5 s)" in row
    assert "(docs/results/2026-12-04-chaos-gameday.md)" in row
    assert (project / "docs" / "results" / "2026-12-04-chaos-gameday.md").is_file()


def test_publishing_twice_changes_nothing_the_second_time(project: Path, tmp_path: Path) -> None:
    folder = game_day(tmp_path / "reports", [drill("redis-outage", "redis-outage.md", "redis", 0)])
    publish(load_game_day(folder), project)
    assert publish(load_game_day(folder), project) == [project / "docs" / "results" / "2026-12-04-chaos-gameday.md"]


def test_a_section_is_replaced_up_to_the_next_heading_only() -> None:
    text = "# T\n\n## Chaos drill\n\nkeep\n\n## Drill results\n\nold\n\n## Later\n\nalso kept\n"
    assert (
        replace_section(text, "new")
        == "# T\n\n## Chaos drill\n\nkeep\n\n## Drill results\n\nnew\n\n## Later\n\nalso kept\n"
    )
    assert replace_section("## Drill results\n\nold\n", "new\n") == "## Drill results\n\nnew\n"


def test_a_folder_that_is_not_a_game_day_is_refused(tmp_path: Path) -> None:
    folder = write_drill(tmp_path, drill("redis-outage", "redis-outage.md", "redis", 0))
    with pytest.raises(ValueError, match="not a game day"):
        load_game_day(folder)
