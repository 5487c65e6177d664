"""Real arq worker processes for tests: started, signalled and killed like in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from control_plane.settings import Settings
from harness.settings import SimulatorSettings

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "artifacts" / "test-workers"

FAST_TIMERS = {
    "ICP_WORKER_LEASE_TTL_S": "3",
    "ICP_WORKER_HEARTBEAT_INTERVAL_S": "0.5",
    "ICP_WORKER_LEASE_SWEEP_INTERVAL_S": "1",
    "ICP_WORKER_RECONCILE_INTERVAL_S": "2",
    "ICP_WORKER_PENDING_GRACE_S": "1",
    "ICP_WORKER_RETRY_DELAYS_S": "[1,1,1]",
    "ICP_WORKER_DRAIN_TIMEOUT_S": "2",
    "ICP_BREAKER_OPEN_SECONDS": "2",
}
"""Seconds instead of minutes, so crash and outage recovery fits in a test."""


def worker_env(settings: Settings, name: str, **overrides: str) -> dict[str, str]:
    sim = SimulatorSettings()
    env = {
        **os.environ,
        **FAST_TIMERS,
        "ICP_DB_NAME": settings.database.name,
        "ICP_REDIS_DATABASE": str(settings.redis.database),
        "ICP_REDIS_QUEUE_NAME": settings.redis.queue_name,
        "ICP_IMAGES_ALLOW_HOSTS": f"127.0.0.1:{sim.shopify_proxy_port},127.0.0.1:{sim.roastify_proxy_port}",
        "ICP_WORKER_NAME": name,
    }
    return {**env, **overrides}


class WorkerProcess:
    def __init__(self, settings: Settings, name: str, **overrides: str) -> None:
        self.name = name
        self._env = worker_env(settings, name, **overrides)
        self._process: subprocess.Popen[bytes] | None = None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}.log"
        self._log_from = 0
        """Where this process's output starts: the file is appended to by every run of a worker of that name."""

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self._log_from = log.tell()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "workers", "workers.main.WorkerSettings"],
            cwd=ROOT,
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def signal(self, signum: signal.Signals) -> float:
        """Send ``signum``; returns when it was sent (monotonic), to time the exit from."""
        assert self._process is not None
        self._process.send_signal(signum)
        return time.monotonic()

    def wait_exit(self, timeout_s: float) -> int:
        assert self._process is not None
        return self._process.wait(timeout=timeout_s)

    def peak_rss_mib(self) -> float:
        """VmHWM: the most resident memory this process has held."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        return kib / 1024

    def stop(self) -> None:
        if not self.alive():
            return
        assert self._process is not None
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)

    def log_text(self) -> str:
        """What this process wrote since it started (not earlier runs of a worker of the same name)."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_from)
            return log.read().decode(errors="replace")
