"""CPU-seconds per process class of the local stack over a run's drive phase, read from /proc.

A class's CPU time is the sum, over its root processes (from the stack's pid files) and every live
descendant, of ``utime + stime + cutime + cstime``: a child that ended and was reaped (a PostgreSQL
backend, an API worker process) has moved its time into its parent's ``cutime``/``cstime``, a live one
still holds its own, so nothing is counted twice or lost while the tree's parents reap their children.
The drive's figure is the difference of two snapshots; a class whose root pids changed in between
(restarted) or that has no pid file is reported as not measured, never estimated.
"""

from __future__ import annotations

import os
import resource
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from harness.stack.process import read_pid


class ProcessClass(StrEnum):
    API = "api"
    WORKERS = "workers"
    POSTGRES = "postgres"
    REDIS = "redis"
    S3 = "s3"
    TOXIPROXY = "toxiproxy"
    SIMULATOR = "simulator"
    LOCUST = "locust"


PRODUCT_CLASSES = (ProcessClass.API, ProcessClass.WORKERS, ProcessClass.POSTGRES, ProcessClass.REDIS, ProcessClass.S3)
"""The product's own processes, the ones the per-job CPU goal is about."""
PID_FILES: Mapping[ProcessClass, str] = {
    ProcessClass.API: "api.pid",
    ProcessClass.WORKERS: "worker-*.pid",
    ProcessClass.POSTGRES: "postgres.pid",
    ProcessClass.REDIS: "redis.pid",
    ProcessClass.S3: "s3.pid",
    ProcessClass.TOXIPROXY: "toxiproxy.pid",
    ProcessClass.SIMULATOR: "simulator.pid",
}
"""Locust is not a stack process: the runner measures it as its own child (``resource.RUSAGE_CHILDREN``)."""


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    ticks: int
    """utime + stime + cutime + cstime, in clock ticks."""


class ProcReader(Protocol):
    def stats(self) -> dict[int, ProcStat]: ...

    def ticks_per_second(self) -> int: ...


def parse_stat(text: str) -> ProcStat | None:
    """One /proc/<pid>/stat line (the command name may hold spaces and parentheses)."""
    try:
        pid = int(text[: text.index("(")].strip())
        fields = text[text.rindex(")") + 2 :].split()
        return ProcStat(pid, int(fields[1]), sum(int(fields[i]) for i in (11, 12, 13, 14)))
    except (ValueError, IndexError):
        return None


class SystemProc:
    """The machine's /proc."""

    def __init__(self, root: Path = Path("/proc")) -> None:
        self._root = root

    def stats(self) -> dict[int, ProcStat]:
        found: dict[int, ProcStat] = {}
        for entry in self._root.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = parse_stat((entry / "stat").read_text())
            except OSError:  # it ended while we looked
                continue
            if stat is not None:
                found[stat.pid] = stat
        return found

    def ticks_per_second(self) -> int:
        return os.sysconf("SC_CLK_TCK")


def tree_ticks(stats: Mapping[int, ProcStat], roots: frozenset[int]) -> int:
    """Ticks of the roots and all their live descendants."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in stats.values():
        children[stat.ppid].append(stat.pid)
    total, stack, seen = 0, [pid for pid in roots if pid in stats], set[int]()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += stats[pid].ticks
        stack.extend(children.get(pid, ()))
    return total


@dataclass(frozen=True)
class Snapshot:
    roots: dict[ProcessClass, frozenset[int]]
    ticks: dict[ProcessClass, int]


def stack_roots(run_dir: Path) -> dict[ProcessClass, frozenset[int]]:
    """Root pids of each stack process class, from its pid files (classes without any are left out)."""
    roots: dict[ProcessClass, frozenset[int]] = {}
    for name, pattern in PID_FILES.items():
        pids = {read_pid(path) for path in sorted(run_dir.glob(pattern))}
        found = frozenset(pid for pid in pids if pid is not None)
        if found:
            roots[name] = found
    return roots


def snapshot(reader: ProcReader, roots: Mapping[ProcessClass, frozenset[int]]) -> Snapshot:
    stats = reader.stats()
    live = {name: pids for name, pids in roots.items() if any(pid in stats for pid in pids)}
    return Snapshot(live, {name: tree_ticks(stats, pids) for name, pids in live.items()})


@dataclass(frozen=True)
class CpuUsage:
    seconds: dict[ProcessClass, float]
    not_measured: dict[ProcessClass, str]
    window_s: float

    def product_seconds(self) -> float:
        return sum(self.seconds.get(name, 0.0) for name in PRODUCT_CLASSES)

    def as_dict(self, jobs: int) -> dict[str, object]:
        per_job = {name.value: round(s / jobs, 4) for name, s in self.seconds.items()} if jobs else {}
        return {
            "drive_window_s": round(self.window_s, 1),
            "jobs": jobs,
            "cpu_s": {name.value: round(s, 2) for name, s in self.seconds.items()},
            "cpu_s_per_job": per_job,
            "product_cpu_s": round(self.product_seconds(), 2),
            "product_cpu_s_per_job": round(self.product_seconds() / jobs, 4) if jobs else None,
            "not_measured": {name.value: why for name, why in self.not_measured.items()},
        }


def usage(
    start: Snapshot, end: Snapshot, ticks_per_second: int, window_s: float, extra: Mapping[ProcessClass, float]
) -> CpuUsage:
    """CPU-seconds per class between two snapshots; ``extra`` holds classes measured another way (locust)."""
    seconds: dict[ProcessClass, float] = {}
    missing: dict[ProcessClass, str] = {}
    for name in PID_FILES:
        if name not in start.roots or name not in end.roots:
            missing[name] = "no live process from a pid file"
        elif start.roots[name] != end.roots[name]:
            missing[name] = "restarted during the run"
        else:
            seconds[name] = (end.ticks[name] - start.ticks[name]) / ticks_per_second
    seconds.update(extra)
    return CpuUsage(seconds, missing, window_s)


def children_cpu_s() -> float:
    """CPU-seconds of this process's ended and reaped children (locust, during the drive)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


@dataclass
class CpuMeter:
    """Snapshots at the start and the end of the drive phase; locust is this process's child meanwhile."""

    run_dir: Path
    reader: ProcReader = field(default_factory=SystemProc)
    _roots: dict[ProcessClass, frozenset[int]] = field(default_factory=dict)
    _start: Snapshot | None = None
    _children_s: float = 0.0
    _started: float = 0.0

    def start(self) -> None:
        self._roots = stack_roots(self.run_dir)
        self._start = snapshot(self.reader, self._roots)
        self._children_s, self._started = children_cpu_s(), time.monotonic()

    def stop(self) -> CpuUsage:
        if self._start is None:
            raise RuntimeError("CpuMeter.stop before start")
        end = snapshot(self.reader, self._roots)
        locust = {ProcessClass.LOCUST: children_cpu_s() - self._children_s}
        return usage(self._start, end, self.reader.ticks_per_second(), time.monotonic() - self._started, locust)
