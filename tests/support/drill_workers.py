"""A chaos drill's worker pool made of the tests' own worker processes (the session's database and queue)."""

from __future__ import annotations

import os
import signal
import threading

from control_plane.settings import Settings
from tests.support.workers import WorkerProcess


class DrillWorkers:
    """Real arq worker processes for the drill (the tests' own, on the session's queue)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._workers: dict[str, WorkerProcess] = {}
        self._started: list[WorkerProcess] = []
        self._restarting = threading.Lock()
        """The drill and the restart policy may both bring a worker back, from different threads."""

    def start(self, count: int) -> None:
        for index in range(1, count + 1):
            self.restart(f"chaos-worker-{os.getpid()}-{index}")

    def live(self) -> dict[str, int]:
        return {name: worker.pid for name, worker in self._workers.items() if worker.alive()}

    def kill(self, name: str, signum: int) -> None:
        self._workers[name].signal(signal.Signals(signum))

    def restart(self, name: str) -> None:
        """Start ``name`` unless it already runs: a second process of one name would outlive the test."""
        with self._restarting:
            current = self._workers.get(name)
            if current is not None and current.alive():
                return
            worker = WorkerProcess(self._settings, name).start()
            self._workers[name] = worker
            self._started.append(worker)

    def stop_all(self) -> None:
        for worker in self._started:
            worker.stop()
