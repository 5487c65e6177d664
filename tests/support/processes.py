"""Processes of a test's own: a provider simulator for hostile-provider tests, the API for fuzzing.

Each runs on a free loopback port: the simulator's hostile mode is switched per
shop without touching the stack's shared simulator, and the API serves the
test session's own database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from tests.support.workers import LOG_DIR, ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class HostileSimulator:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def shop_base(self, shop: str) -> str:
        return f"{self.url}/shopify/{shop}"

    def turn_on(self, shop: str, case: str) -> None:
        response = httpx.put(f"{self.url}/_sim/hostile/{shop}", json={"case": case}, timeout=10)
        assert response.status_code == 200, response.text


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the simulator exited with {process.returncode}"
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # readiness poll interval, bounded by the deadline
    raise AssertionError(f"{url} not ready after {timeout_s}s")


@contextmanager
def served(name: str, module: str, ready_path: str, env: dict[str, str], timeout_s: float = 60) -> Iterator[int]:
    """``uvicorn <module>:create_app`` on a free loopback port, ready; yields the port, stops it afterwards."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", f"{module}:create_app", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with (LOG_DIR / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **env}, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}{ready_path}", process, timeout_s)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def hostile_simulator() -> Iterator[HostileSimulator]:
    with served("hostile-simulator", "loadtests.simulator.app", "/_sim/health", {}) as port:
        yield HostileSimulator(port)
