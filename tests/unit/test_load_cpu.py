"""CPU-seconds per process class: /proc parsing, process trees, reaped children, and the judged item."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.load.cpu import (
    CpuUsage,
    ProcessClass,
    ProcStat,
    parse_stat,
    snapshot,
    stack_roots,
    tree_ticks,
    usage,
)
from loadtests.load.efficiency import judge_cpu
from loadtests.load.report import Report

STAT = "4242 (postgres: app db (idle)) S 100 4242 4242 0 -1 4194560 10 0 0 0 {u} {s} {cu} {cs} 20 0 1 0 5 0 0"


class FakeProc:
    def __init__(self, stats: dict[int, ProcStat]) -> None:
        self._stats = stats

    def stats(self) -> dict[int, ProcStat]:
        return dict(self._stats)

    def ticks_per_second(self) -> int:
        return 100


def test_stat_line_with_spaces_and_parentheses_in_the_name() -> None:
    stat = parse_stat(STAT.format(u=7, s=3, cu=20, cs=5))
    assert stat == ProcStat(pid=4242, ppid=100, ticks=35)
    assert parse_stat("garbage") is None


def test_a_tree_counts_live_descendants_once() -> None:
    stats = {1: ProcStat(1, 0, 5), 10: ProcStat(10, 1, 100), 11: ProcStat(11, 10, 30), 12: ProcStat(12, 11, 7)}
    stats[99] = ProcStat(99, 1, 1000)  # not in the tree of 10
    assert tree_ticks(stats, frozenset({10})) == 137
    assert tree_ticks(stats, frozenset({10, 11})) == 137
    assert tree_ticks(stats, frozenset({404})) == 0


def test_reaped_backends_still_count_through_the_parent() -> None:
    """A backend lives at the start and ends before the end: its time moved into the postmaster's cutime."""
    roots = {ProcessClass.POSTGRES: frozenset({50})}
    before = snapshot(FakeProc({50: ProcStat(50, 1, 200), 51: ProcStat(51, 50, 40)}), roots)
    after = snapshot(FakeProc({50: ProcStat(50, 1, 200 + 90), 52: ProcStat(52, 50, 25)}), roots)

    measured = usage(before, after, 100, 30.0, {})

    # backend 51 used 90 - 40 = 50 more ticks before it was reaped, postmaster 0, new backend 52: 25
    assert measured.seconds[ProcessClass.POSTGRES] == pytest.approx(0.75)


def test_restarted_or_absent_classes_are_not_measured() -> None:
    before = snapshot(FakeProc({5: ProcStat(5, 1, 10)}), {ProcessClass.REDIS: frozenset({5})})
    after = snapshot(FakeProc({6: ProcStat(6, 1, 1)}), {ProcessClass.REDIS: frozenset({6})})

    measured = usage(before, after, 100, 30.0, {ProcessClass.LOCUST: 4.0})

    assert ProcessClass.REDIS not in measured.seconds
    assert measured.not_measured[ProcessClass.REDIS] == "restarted during the run"
    assert measured.not_measured[ProcessClass.API] == "no live process from a pid file"
    assert measured.seconds[ProcessClass.LOCUST] == 4.0


def test_roots_come_from_the_stack_pid_files(tmp_path: Path) -> None:
    (tmp_path / "worker-1.pid").write_text("11\n")
    (tmp_path / "worker-2.pid").write_text("12\n")
    (tmp_path / "api.pid").write_text("not a pid")
    roots = stack_roots(tmp_path)
    assert roots == {ProcessClass.WORKERS: frozenset({11, 12})}


def product_usage(per_class_s: float) -> CpuUsage:
    classes = (ProcessClass.API, ProcessClass.WORKERS, ProcessClass.POSTGRES, ProcessClass.REDIS, ProcessClass.S3)
    seconds = dict.fromkeys(classes, per_class_s) | {ProcessClass.LOCUST: 100.0}
    return CpuUsage(seconds, {}, 60.0)


def test_product_cpu_per_job_is_judged_against_the_goal() -> None:
    cheap, costly = Report("t", "r", "now"), Report("t", "r", "now")
    judge_cpu(cheap, product_usage(4.0), jobs=100)  # 20 s of product CPU over 100 jobs; locust left out
    judge_cpu(costly, product_usage(10.0), jobs=100)
    assert (cheap.items[0]["value"], cheap.items[0]["verdict"]) == (0.2, "pass")
    assert (costly.items[0]["value"], costly.items[0]["verdict"]) == (0.5, "fail")
    assert costly.extra["cpu"]["cpu_s_per_job"]["locust"] == 1.0


def test_an_unmeasured_product_class_leaves_the_item_not_judged() -> None:
    report = Report("t", "r", "now")
    judge_cpu(report, CpuUsage({ProcessClass.API: 1.0}, {ProcessClass.WORKERS: "gone"}, 60.0), jobs=10)
    assert report.items == []
    assert "workers" in report.extra["not_judged"][0]
