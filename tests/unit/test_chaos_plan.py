"""Chaos plans for a load run: the shipped default parses, a bad plan names its fault and field, and the verdict
under chaos judges zero loss, the latency SLO and the faults themselves, and fails when a fault was not carried out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.load.chaos_plan import FaultKind, FaultWindow, PlanError, load_plan, parse_plan
from loadtests.load.chaos_verdict import judge_under_chaos
from loadtests.load.report import Report


def test_the_default_plan_has_one_of_each_fault_in_time_order() -> None:
    plan = load_plan("default")
    assert [fault.kind for fault in plan.faults] == list(FaultKind)
    assert [fault.at_s for fault in plan.faults] == sorted(fault.at_s for fault in plan.faults)
    database = next(fault for fault in plan.faults if fault.kind is FaultKind.DATABASE_OUTAGE)
    assert database.for_s == 10  # the documented 10 s database outage


def test_a_plan_file_is_read_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[[fault]]\nat = 1\nkind = "provider-storm"\nfor = 2\nshare = 0.5\n')
    plan = load_plan(str(path))
    assert plan.faults[0].share == 0.5 and plan.faults[0].ends_s == 3


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[[fault]]\nat = 1\nkind = "meteor"\nfor = 2\n', "kind must be one of"),
        ('[[fault]]\nat = 1\nkind = "redis-kill"\n', "for must be a number"),
        ('[[fault]]\nat = -1\nkind = "redis-kill"\nfor = 2\n', "at must be a number"),
        ('[[fault]]\nat = 1\nkind = "redis-kill"\nfor = 2\ncolour = "red"\n', "unknown field(s) colour"),
        ('[[fault]]\nat = 1\nkind = "provider-storm"\nfor = 2\nshare = 2\n', "share must be a number in (0, 1]"),
        ('[[fault]]\nat = 1\nkind = "worker-kill"\nfor = 2\nworker = ""\n', "worker must name a worker"),
        ('title = "x"\n', "one or more [[fault]] tables"),
        ("[[fault]\n", "not TOML"),
        (
            '[[fault]]\nat = 0\nkind = "redis-kill"\nfor = 10\n[[fault]]\nat = 5\nkind = "redis-kill"\nfor = 1\n',
            "starts before",
        ),
    ],
)
def test_a_bad_plan_is_refused_naming_what_is_wrong(text: str, names: str) -> None:
    with pytest.raises(PlanError) as refused:
        parse_plan(text, name="plan")
    assert names in str(refused.value)


def test_faults_of_different_kinds_may_overlap() -> None:
    text = '[[fault]]\nat = 0\nkind = "redis-kill"\nfor = 10\n[[fault]]\nat = 5\nkind = "database-outage"\nfor = 1\n'
    assert len(parse_plan(text, name="plan").faults) == 2


def test_an_unknown_plan_name_lists_the_shipped_ones() -> None:
    with pytest.raises(PlanError, match="default"):
        load_plan("no-such-plan")


PLAN = {"name": "test", "faults": [], "windows": []}


def _report() -> Report:
    report = Report(name="chaos", run_id="r", started_at="t")
    report.item("SLO job-latency", 0.97, ">= 95.00%", True)
    report.item("lost jobs (accepted, not terminal or missing)", 0, 0, True)
    report.item("peak concurrent in-flight jobs (requested -> ended, job store)", 700, ">= 1000", False)
    report.extra["slo"] = {"slos": [{"name": "job-latency", "error_budget_left": 0.4}]}
    return report


def _window(error: str | None = None, evidence: str | None = "the API's /health/ready answered 503") -> FaultWindow:
    return FaultWindow(
        "+1 s redis-kill for 5 s", "redis-kill", injected_at=1.0, lifted_at=6.0, evidence=evidence, error=error
    )


def test_under_chaos_a_figure_the_faults_distort_is_reported_not_judged() -> None:
    report = _report()
    judge_under_chaos(report, [_window()], PLAN)
    peak = next(item for item in report.items if item["name"].startswith("peak"))
    assert peak["verdict"] == "fail" and peak["judged"] is False
    latency = next(item for item in report.items if item["name"] == "SLO job-latency")
    assert latency["error_budget_left"] == 0.4 and "judged" not in latency
    assert report.verdict == "pass"
    assert "fail (not judged under chaos)" in report.markdown()


def test_a_fault_that_was_not_carried_out_fails_the_verdict() -> None:
    report = _report()
    judge_under_chaos(report, [_window(), _window(error="StackError: worker-9 is not running")], PLAN)
    item = next(item for item in report.items if item["name"].startswith("chaos faults"))
    assert item["verdict"] == "fail" and item["value"] == "1 of 2"
    assert report.verdict == "fail"


def test_a_loss_under_chaos_fails_the_verdict() -> None:
    report = _report()
    report.items[1]["verdict"] = "fail"
    judge_under_chaos(report, [_window()], PLAN)
    assert report.verdict == "fail"


def test_a_fault_the_system_never_showed_fails_the_verdict() -> None:
    """A fault injected where nothing depends on it (say, a proxy nobody uses) tested nothing."""
    report = _report()
    judge_under_chaos(report, [_window(evidence=None)], PLAN)
    item = next(item for item in report.items if item["name"].startswith("chaos faults"))
    assert item["verdict"] == "fail" and "nothing showed it reached the system" in str(item["problems"])
    assert report.verdict == "fail"


def test_a_worker_that_died_of_a_fault_it_was_not_the_target_of_fails_the_verdict() -> None:
    """A Redis restart that takes the workers with it is a defect, even if the restart policy hides it."""
    report = _report()
    exits = {"name": "test", "faults": [], "windows": [], "unprompted_exits": [{"worker": "worker-2", "at": 111.0}]}
    judge_under_chaos(report, [_window()], exits)
    item = next(item for item in report.items if item["name"].startswith("worker exits"))
    assert (item["value"], item["verdict"]) == (1, "fail")
    assert report.verdict == "fail"
