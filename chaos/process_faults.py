"""Process faults: a worker killed (SIGKILL, SIGTERM, out of memory) or the Redis server crashed.

Each is a :class:`chaos.faults.Fault`: ``rollback`` is what the orchestrator
would do (restart the process) and is a no-op when it already runs again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos.env import RedisProcess, WorkerPool


@dataclass
class WorkerKilled:
    workers: WorkerPool
    worker: str
    signum: int = signal.SIGKILL
    restart_delay_s: float = 2.0
    name: str = ""
    killed_at: float | None = None
    exited_after_s: float | None = None
    pid: int | None = None

    def __post_init__(self) -> None:
        self.name = self.name or f"{signal.Signals(self.signum).name} {self.worker}"

    def attributes(self) -> dict[str, Any]:
        pid = self.pid if self.pid is not None else self.workers.live().get(self.worker)
        return {"worker": self.worker, "pid": pid, "signal": signal.Signals(self.signum).name}

    async def inject(self) -> None:
        self.pid = self.workers.live().get(self.worker)
        self.killed_at = time.monotonic()
        self.workers.kill(self.worker, self.signum)

    async def wait_exit(self, timeout_s: float) -> float | None:
        """Seconds from the signal until the process was gone (None if it outlived ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while self.worker in self.workers.live():
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.1)
        self.exited_after_s = time.monotonic() - (self.killed_at or time.monotonic())
        return self.exited_after_s

    async def rollback(self) -> None:
        if self.worker in self.workers.live():
            return
        await asyncio.sleep(self.restart_delay_s)
        await asyncio.to_thread(self.workers.restart, self.worker)


@dataclass
class RedisCrashed:
    """``kill -9`` of redis-server, then a restart that loads its AOF (what a failover would replace)."""

    redis: RedisProcess
    name: str = "redis-server SIGKILL"
    restarted: bool = False

    def attributes(self) -> dict[str, Any]:
        return {"signal": "SIGKILL", "restart": "from AOF (appendfsync everysec)"}

    async def inject(self) -> None:
        await asyncio.to_thread(self.redis.crash)

    async def rollback(self) -> None:
        if not self.restarted:
            await asyncio.to_thread(self.redis.restart)
            self.restarted = True


def rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


@dataclass
class MemoryLimit:
    """A memory limit enforced like a container's: the process is SIGKILLed when its RSS crosses it.

    Locally there is no cgroup to delegate, so the drill plays the kernel's
    OOM killer: it watches VmRSS and kills on the first sample over the limit.
    The limit sits ``headroom_mib`` above the worker's resting size: the
    smallest RSS seen over ``RESTING_WINDOW_S`` (a sample taken mid-decode would
    put the limit out of reach of the next one).
    """

    workers: WorkerPool
    worker: str
    headroom_mib: int
    restart_delay_s: float = 2.0
    name: str = ""
    resting_mib: float | None = None
    limit_mib: float | None = None
    peak_mib: float = 0.0
    killed_at: float | None = None
    _watch: asyncio.Task[None] | None = field(default=None, repr=False)

    RESTING_WINDOW_S = 1.0
    SAMPLE_S = 0.05

    def __post_init__(self) -> None:
        self.name = self.name or f"memory limit on {self.worker}"

    def attributes(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "resting_mib": self.resting_mib,
            "limit_mib": self.limit_mib,
            "headroom_mib": self.headroom_mib,
        }

    async def inject(self) -> None:
        pid = self.workers.live()[self.worker]
        samples = []
        for _ in range(round(self.RESTING_WINDOW_S / self.SAMPLE_S)):
            rss = rss_mib(pid)
            if rss is not None:
                samples.append(rss)
            await asyncio.sleep(self.SAMPLE_S)
        self.resting_mib = round(min(samples, default=0.0), 1)
        self.limit_mib = round(self.resting_mib + self.headroom_mib, 1)
        self._watch = asyncio.create_task(self._enforce(pid))

    async def _enforce(self, pid: int) -> None:
        while True:
            rss = rss_mib(pid)
            if rss is None:
                return
            self.peak_mib = max(self.peak_mib, rss)
            if self.limit_mib is not None and rss > self.limit_mib:
                self.killed_at = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                return
            await asyncio.sleep(self.SAMPLE_S)

    async def wait_killed(self, timeout_s: float) -> bool:
        if self._watch is None:
            return False
        try:
            await asyncio.wait_for(asyncio.shield(self._watch), timeout_s)
        except TimeoutError:
            return False
        return self.killed_at is not None

    async def rollback(self) -> None:
        if self._watch is not None and not self._watch.done():
            self._watch.cancel()
        if self.worker not in self.workers.live():
            await asyncio.sleep(self.restart_delay_s)
            await asyncio.to_thread(self.workers.restart, self.worker)
