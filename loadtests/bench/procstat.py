"""Memory and CPU of a process, read from ``/proc`` (no extra dependency for a few numbers).

``VmHWM`` is the kernel's own peak resident set, so a spike between two
samples is still counted; the samples show how memory moved over the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")
MIB = 1024 * 1024


def status_kib(pid: int, key: str) -> int | None:
    """A ``kB`` field of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``), or None once the process is gone."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0])
    return None


def mib(kib: int | None) -> float:
    return (kib or 0) / 1024


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process has used so far."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw.rpartition(")")[2].split()  # the command name may contain spaces
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks after boot): with the pid, it names one process for good."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(raw.rpartition(")")[2].split()[19])  # starttime, field 22 of stat(5)


def running(pid: int, ticks: int | None) -> bool:
    """Whether the process that started at ``ticks`` still runs (not exited, not a zombie, pid not reused)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    fields = raw.rpartition(")")[2].split()
    return fields[0] != "Z" and int(fields[19]) == ticks


def parent_pid(stat: str) -> int:
    """The parent pid in the text of a ``/proc/<pid>/stat`` file (field 4 of stat(5))."""
    return int(stat.rpartition(")")[2].split()[1])


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children of children too), found by their parent pids."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = parent_pid((entry / "stat").read_text())
            except OSError:
                continue  # exited while the table was read
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time used so far by ``pid`` and by each live process below it, by pid."""
    readings = {member: cpu_seconds(member) for member in [pid, *descendants(pid)]}
    return {member: seconds for member, seconds in readings.items() if seconds is not None}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds a process tree used between two readings; a process born in between counts from zero."""
    return sum(seconds - before.get(member, 0.0) for member, seconds in after.items())


@dataclass
class RssSampler:
    """Samples ``VmRSS`` every ``interval_s`` in the background while in use (``async with``)."""

    pid: int
    interval_s: float = 0.2
    samples_kib: list[int] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RssSampler:
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sample(self) -> None:
        while True:
            rss = status_kib(self.pid, "VmRSS")
            if rss is not None:
                self.samples_kib.append(rss)
            await asyncio.sleep(self.interval_s)

    @property
    def peak_kib(self) -> int:
        return max(self.samples_kib, default=0)
