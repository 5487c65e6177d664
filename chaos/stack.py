"""The local stack as a drill target: its API over HTTP, its worker processes and its Redis server."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx

from chaos.env import ChaosEnv, open_env
from harness.settings import HarnessSettings
from harness.stack import apps, redis_server
from harness.stack.paths import StackPaths
from harness.stack.process import Reporter, StackError, is_alive
from harness.stack.service import ensure_running, running_pid


class StackWorkers:
    """``worker-N`` processes of the stack; restart means what ``stack up`` does for one worker."""

    def __init__(self, settings: HarnessSettings, report: Reporter) -> None:
        self._settings = settings
        self._paths = StackPaths.from_settings(settings.stack)
        self._report = report
        self._restarting: dict[str, threading.Lock] = {}
        self._locks = threading.Lock()

    def live(self) -> dict[str, int]:
        found = {}
        for index in apps.worker_indices(self._settings, self._paths):
            pid = running_pid(self._paths, apps.worker_service(self._settings, self._paths, index))
            if pid is not None:
                found[apps.worker_name(index)] = pid
        return found

    def kill(self, name: str, signum: int) -> None:
        pid = self.live().get(name)
        if pid is None:
            raise StackError(f"{name} is not running")
        os.kill(pid, signum)

    def restart(self, name: str) -> None:
        """Idempotent and serialised: the drill and the restart policy may both ask for the same worker."""
        index = int(name.rsplit("-", 1)[1])
        service = apps.worker_service(self._settings, self._paths, index)
        with self._locks:
            lock = self._restarting.setdefault(name, threading.Lock())
        with lock:
            ensure_running(self._paths, service, self._settings.stack.start_timeout_s, self._report)


class StackRedis:
    """The stack's redis-server: killed with SIGKILL, restarted from its data folder (AOF)."""

    def __init__(self, settings: HarnessSettings, report: Reporter) -> None:
        self._settings = settings
        self._paths = StackPaths.from_settings(settings.stack)
        self._service = redis_server.service(settings, self._paths)
        self._report = report

    def crash(self) -> None:
        pid = running_pid(self._paths, self._service)
        if pid is None:
            raise StackError("redis is not running")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10.0
        while is_alive(pid) and time.monotonic() < deadline:  # gone before anyone restarts it
            time.sleep(0.05)

    def restart(self) -> None:
        ensure_running(self._paths, self._service, self._settings.stack.start_timeout_s, self._report)


def stack_env(settings: HarnessSettings, report: Reporter) -> ChaosEnv:
    api = httpx.AsyncClient(base_url=settings.api.base_url, timeout=15.0)
    return open_env(settings, api, StackWorkers(settings, report), StackRedis(settings, report))
