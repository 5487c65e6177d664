"""A real API process (uvicorn, as the stack starts it) pointed at the bench database and Redis db.

It listens on a free loopback port of its own, so it never meets the stack's
API, receives the bench's settings as environment variables, and is stopped
with SIGTERM (uvicorn drains its workers); whatever of its process tree still
runs after the timeouts is killed by pid (and start time, so a reused pid is
never hit).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

from harness.settings import HarnessSettings
from loadtests.bench.environment import api_environment
from loadtests.bench.procstat import descendants, running, start_ticks

API_SERVER = "control_plane.api.server"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
ORPHAN_GRACE_S = 5.0
"""How long the supervisor's own processes (workers, multiprocessing's resource tracker) may outlive it."""
POLL_S = 0.2


def free_port() -> int:
    """A loopback port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class ApiProcess:
    def __init__(
        self, settings: HarnessSettings, log_path: Path, *, workers: int, overrides: Mapping[str, str] | None = None
    ) -> None:
        self._settings = settings
        self._log_path = log_path
        self.workers = workers
        self._overrides = dict(overrides or {})
        self.port = free_port()
        self._process: asyncio.subprocess.Process | None = None
        self.exit_code: int | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "the API is not started"
        return self._process.pid

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def __aenter__(self) -> ApiProcess:
        env = {**os.environ, **api_environment(self._settings, self.port, self.workers), **self._overrides}
        argv = (sys.executable, "-m", API_SERVER, "--host", HOST, "--port", str(self.port))
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                *argv, "--workers", str(self.workers), env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
            )
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _wait_ready(self) -> None:
        """Ready once every worker can answer: ``/health/live`` answers 200 (polled with a deadline)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as http:
            while True:
                if self._process is not None and self._process.returncode is not None:
                    raise RuntimeError(f"the bench API exited with {self._process.returncode}; see {self._log_path}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/health/live")).status_code == httpx.codes.OK:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the bench API was not ready within {READY_TIMEOUT_S:.0f} s")
                await asyncio.sleep(POLL_S)

    async def stop(self) -> None:
        """SIGTERM to the supervisor, then SIGKILL by pid to whatever of its tree still runs after a grace period."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        started = {pid: start_ticks(pid) for pid in descendants(process.pid)}
        process.send_signal(signal.SIGTERM)
        try:
            self.exit_code = await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            self.exit_code = await process.wait()
        await self._reap(started)

    @staticmethod
    async def _reap(started: dict[int, int | None]) -> None:
        """Give the supervisor's processes a grace period to exit on their own, then kill what still runs."""
        deadline = time.monotonic() + ORPHAN_GRACE_S
        while any(running(pid, ticks) for pid, ticks in started.items()):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(POLL_S)
        for pid, ticks in started.items():
            if running(pid, ticks):  # still the process it started, not a reused pid
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
