"""The local stack's other processes, whose CPU time competes with the pipeline's on a small machine.

The simulator, SeaweedFS and toxiproxy run on the same cores as the pipeline;
their CPU time during a timed run says how much of the machine the pipeline
really had.  (PostgreSQL's backends are children of the postmaster and are not
counted here.)
"""

from __future__ import annotations

from harness.settings import HarnessSettings
from harness.stack.paths import StackPaths
from harness.stack.process import read_pid
from loadtests.bench.procstat import cpu_seconds

WATCHED = ("simulator", "s3", "toxiproxy")


class StackCpu:
    """CPU seconds the watched stack processes used between :meth:`start` and :meth:`used`."""

    def __init__(self, settings: HarnessSettings) -> None:
        run = StackPaths.from_settings(settings.stack).run
        found = {name: read_pid(run / f"{name}.pid") for name in WATCHED}
        self._pids = {name: pid for name, pid in found.items() if pid is not None}
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        readings = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        return {name: value for name, value in readings.items() if value is not None}

    def start(self) -> None:
        self._start = self._now()

    def used(self) -> dict[str, float]:
        now = self._now()
        return {name: now[name] - self._start[name] for name in now if name in self._start}


def cpu_text(used: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in used.items()) or "unknown"
