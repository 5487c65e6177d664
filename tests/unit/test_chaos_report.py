"""Chaos harness logic: verdict rules, report shape and Markdown, and job accounting (no I/O)."""

from __future__ import annotations

import json
import uuid
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaos.invariants import accounting_checks, canary_check
from chaos.model import SEED_FAILURES, Check, DrillRecord, as_json, detection_check, recovery_check, verdict
from chaos.report import gameday_json, gameday_markdown, run_id, summary_markdown, write_drill
from chaos.workload import WorkloadResult

START = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
Row = namedtuple("Row", "id status idempotency_key products_total products_processed last_error")


def record(*, recover_s: float | None = 12.0, injected: bool = True) -> DrillRecord:
    rec = DrillRecord("redis-outage", run_id(START, "redis-outage"), "redis-outage.md", SEED_FAILURES["redis"], START)
    rec.before = [Check("API ready", True, 200, 200)]
    rec.after = [Check("API ready", True, 200, 200)]
    rec.invariants = [Check("lost jobs", True, 0, 0)]
    if injected:
        rec.note(START + timedelta(seconds=2), "inject", "redis proxy disabled", proxy="redis", enabled=False)
    rec.recover_s = recover_s
    rec.detect_s = 1.5
    rec.finished_at = START + timedelta(seconds=90)
    return rec


def test_a_clean_run_that_recovers_within_the_mttr_passes() -> None:
    assert verdict(record()) == "pass"


def test_recovery_slower_than_the_seed_target_fails() -> None:
    slow = record(recover_s=SEED_FAILURES["redis"].mttr_s + 1)
    assert verdict(slow) == "fail"
    assert not recovery_check(slow).ok


def test_never_recovering_fails() -> None:
    assert verdict(record(recover_s=None)) == "fail"


def test_a_fault_the_system_never_signalled_fails() -> None:
    unnoticed = record()
    unnoticed.detect_s = None
    assert verdict(unnoticed) == "fail"
    assert detection_check(unnoticed).detail == "the system never signalled the fault"


def test_detection_slower_than_the_drills_target_fails() -> None:
    late = record()
    late.detect_s = late.detect_target_s + 0.5
    assert verdict(late) == "fail"
    assert as_json(late)["items"][-2] == {
        "name": "time to detect (s)",
        "value": round(late.detect_s, 2),
        "target": f"< {late.detect_target_s:g}",
        "verdict": "fail",
        "detail": "",
    }


def test_a_run_without_after_checks_or_invariants_proves_nothing() -> None:
    unchecked = record()
    unchecked.invariants = []
    assert verdict(unchecked) == "fail"
    unsteady = record()
    unsteady.after = []
    assert verdict(unsteady) == "fail"


def test_a_run_that_injected_nothing_proves_nothing() -> None:
    assert verdict(record(injected=False)) == "fail"


def test_a_broken_invariant_or_steady_state_fails() -> None:
    lost = record()
    lost.invariants.append(Check("duplicate products", False, 3, 0))
    assert verdict(lost) == "fail"
    unsteady = record()
    unsteady.after = [Check("API ready", False, 503, 200)]
    assert verdict(unsteady) == "fail"


def test_an_aborted_drill_reports_fail() -> None:
    rec = record()
    rec.aborted = "steady state did not hold before injection"
    assert verdict(rec) == "aborted"
    assert as_json(rec)["verdict"] == "fail"


def test_report_json_has_the_shared_shape_and_timeline_attributes(tmp_path: Path) -> None:
    folder = write_drill(tmp_path, record())
    document = json.loads((folder / "report.json").read_text())
    assert folder == tmp_path / "chaos" / "20261123T130000Z-redis-outage"
    assert {"kind", "name", "run_id", "started_at", "finished_at", "verdict", "items", "charts"} <= document.keys()
    assert document["kind"] == "chaos" and document["verdict"] == "pass"
    assert {item["verdict"] for item in document["items"]} == {"pass"}
    assert document["timeline"][0]["attributes"] == {"proxy": "redis", "enabled": False}
    assert document["timeline"][0]["offset_s"] == 2.0
    assert "time to recover (s)" in [item["name"] for item in document["items"]]


def test_summary_shows_before_and_after_side_by_side_and_the_target() -> None:
    text = summary_markdown(record())
    assert "| API ready | ok (200) | ok (200) |" in text
    assert "target < 60 s" in text
    assert "| 2.0 | inject | redis proxy disabled | proxy=redis, enabled=False |" in text


def test_gameday_fails_when_any_drill_fails_and_lists_mttr_per_drill() -> None:
    good, bad = record(), record(recover_s=None)
    bad.drill = "db-outage"
    document = gameday_json("gameday", "gd", START, START, [good, bad])
    assert document["verdict"] == "fail"
    assert [item["verdict"] for item in document["items"]] == ["pass", "fail"]
    assert document["items"][0]["value"]["lost_jobs"] == 0
    assert "| redis-outage | 1.5 | 12 | 60 | 0 | pass |" in gameday_markdown(document)


def _workload(*keys: tuple[str, uuid.UUID]) -> WorkloadResult:
    result = WorkloadResult()
    result.accepted.update(dict(keys))
    return result


def test_accounting_finds_an_accepted_job_without_a_row() -> None:
    kept, gone = uuid.uuid4(), uuid.uuid4()
    rows = [Row(kept, "COMPLETED", "k1", None, 10, None)]
    checks = {c.name: c for c in accounting_checks(rows, _workload(("k1", kept), ("k2", gone)), 10)}
    assert checks["lost jobs"].value == 1 and not checks["lost jobs"].ok
    assert not checks["submitted = accounted"].ok


def test_accounting_flags_wrong_failures_and_completions_short_of_the_catalog() -> None:
    done, failed = uuid.uuid4(), uuid.uuid4()
    rows = [Row(done, "COMPLETED", "a", None, 7, None), Row(failed, "FAILED", "b", None, 0, "boom")]
    checks = {c.name: c for c in accounting_checks(rows, _workload(("a", done), ("b", failed)), 10)}
    assert checks["lost jobs"].ok
    assert checks["jobs wrongly failed"].value == 1
    assert checks["jobs completed without their whole catalog"].value == 1


def test_accounting_accepts_legitimately_queued_jobs_as_not_lost_but_not_finished() -> None:
    queued = uuid.uuid4()
    checks = {
        c.name: c for c in accounting_checks([Row(queued, "QUEUED", "q", None, 0, None)], _workload(("q", queued)), 5)
    }
    assert checks["lost jobs"].ok
    assert not checks["jobs finished"].ok


async def test_a_canary_vendor_whose_import_was_never_accepted_fails_the_drill() -> None:
    refused = WorkloadResult(not_accepted=["chaos-run-8-canary-1"])
    check = await canary_check(None, refused)  # type: ignore[arg-type]  # nothing accepted: the store is not read
    assert not check.ok and check.detail == "chaos-run-8-canary-1"
    assert (await canary_check(None, WorkloadResult())).ok  # type: ignore[arg-type]  # process drills: no canary
