"""A real arq worker process pointed at the bench database, Redis db and queue.

Started as the stack starts its workers (``python -m arq workers.main.WorkerSettings``),
with the bench's settings passed as environment variables, and stopped with
SIGTERM so it drains as in production.  Its output goes to a log file in the
run's report folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from types import TracebackType

from arq.connections import ArqRedis

from harness.settings import HarnessSettings
from loadtests.bench.environment import worker_environment

WORKER_SETTINGS = "workers.main.WorkerSettings"
HEALTH_SUFFIX = ":health-check"  # arq's health-check key is the queue name plus this
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 45.0


class WorkerProcess:
    def __init__(self, settings: HarnessSettings, redis: ArqRedis, log_path: Path, name: str = "bench-worker") -> None:
        self._settings = settings
        self._redis = redis
        self._log_path = log_path
        self._name = name
        self._process: asyncio.subprocess.Process | None = None
        self.exit_code: int | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "the worker is not started"
        return self._process.pid

    async def __aenter__(self) -> WorkerProcess:
        health_key = self._settings.redis.queue_name + HEALTH_SUFFIX
        await self._redis.delete(health_key)
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "workers", WORKER_SETTINGS),
                env={**os.environ, **worker_environment(self._settings, self._name)},
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        await self._wait_ready(health_key)
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _wait_ready(self, health_key: str) -> None:
        """Ready once arq has written its health-check key, i.e. startup ran and it polls the queue."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not await self._redis.exists(health_key):
            if self._process is not None and self._process.returncode is not None:
                raise RuntimeError(f"the bench worker exited with {self._process.returncode}; see {self._log_path}")
            if time.monotonic() > deadline:
                await self.stop()
                raise RuntimeError(f"the bench worker was not ready within {READY_TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        """SIGTERM (drain), then SIGKILL if it has not exited in time; only this process is signalled."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            self.exit_code = await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            self.exit_code = await process.wait()
