"""One supervised service: how to launch it, probe it and stop it.

Each service module builds a :class:`Service`; this module holds the shared
lifecycle (idempotent start, readiness with a deadline, stop, status) so every
service behaves the same way.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from harness.stack.paths import StackPaths
from harness.stack.process import (
    Reporter,
    StackError,
    family,
    owns,
    port_open,
    read_pid,
    terminate,
)

_POLL_INTERVAL_S = 0.2


@dataclass(frozen=True)
class Service:
    """A long-running child process of the stack."""

    name: str
    marker: str
    """Substring of the process command line that proves a pid is still ours."""
    launch: Callable[[Reporter], subprocess.Popen[bytes]]
    probe: Callable[[], bool]
    """Cheap readiness check; must swallow its own errors and return False."""
    port: int | None = None
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout_s: float = 30.0
    after_ready: Callable[[Reporter], None] | None = None
    """Idempotent setup run on every ``up`` once the service is ready."""


@dataclass(frozen=True)
class ServiceStatus:
    """One row of ``stack status``."""

    name: str
    pid: int | None
    running: bool
    port: int | None
    ready: bool


def running_pid(paths: StackPaths, service: Service) -> int | None:
    """Pid of our live process for ``service``, or None."""
    pid = read_pid(paths.pid_file(service.name))
    if pid is not None and owns(pid, service.marker):
        return pid
    return None


def _clear_stale(paths: StackPaths, service: Service, report: Reporter) -> None:
    """Remove a pid file whose process is gone, killing any orphans of its group."""
    pid_file = paths.pid_file(service.name)
    pid = read_pid(pid_file)
    if pid is None and not pid_file.exists():
        return
    if pid is not None:
        for orphan in family(pid):
            if owns(orphan, service.marker):
                terminate(orphan, signal.SIGKILL, 5.0)
    pid_file.unlink(missing_ok=True)
    report(f"{service.name}: removed stale pid file (pid {pid} is gone)")


def wait_ready(service: Service, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``service.probe`` until it passes; fail fast if ``proc`` exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc is not None and proc.poll() is not None:
            raise StackError(
                f"{service.name} exited with code {proc.returncode} before becoming ready",
                service.name,
            )
        if service.probe():
            return
        if time.monotonic() >= deadline:
            raise StackError(f"{service.name} not ready after {timeout_s:g}s", service.name)
        time.sleep(_POLL_INTERVAL_S)


def ensure_running(paths: StackPaths, service: Service, timeout_s: float, report: Reporter) -> None:
    """Start ``service`` unless it already runs, then wait until it is ready."""
    pid = running_pid(paths, service)
    if pid is not None:
        wait_ready(service, timeout_s)
        report(f"{service.name}: already running (pid {pid})")
    else:
        _clear_stale(paths, service, report)
        if service.port is not None and port_open("127.0.0.1", service.port):
            raise StackError(
                f"{service.name}: port {service.port} is taken by a process this stack did "
                "not start; stop it or change the port setting"
            )
        proc = service.launch(report)
        report(f"{service.name}: started (pid {proc.pid}), waiting until ready")
        started = time.monotonic()
        try:
            wait_ready(service, timeout_s, proc)
        except StackError:
            stop(paths, service, report)
            raise
        report(f"{service.name}: ready after {time.monotonic() - started:.1f}s")
    if service.after_ready is not None:
        service.after_ready(report)


def stop(paths: StackPaths, service: Service, report: Reporter) -> bool:
    """Stop ``service`` if it runs; True if there was something to stop."""
    pid = running_pid(paths, service)
    if pid is None:
        _clear_stale(paths, service, report)
        return False
    try:
        graceful = terminate(pid, service.stop_signal, service.stop_timeout_s)
    except PermissionError as exc:
        raise StackError(f"{service.name}: not allowed to signal pid {pid}: {exc}") from exc
    paths.pid_file(service.name).unlink(missing_ok=True)
    how = f"on {service.stop_signal.name}" if graceful else "after SIGKILL"
    report(f"{service.name}: stopped (pid {pid}, {how})")
    return True


def status(paths: StackPaths, service: Service) -> ServiceStatus:
    pid = running_pid(paths, service)
    running = pid is not None
    return ServiceStatus(
        name=service.name,
        pid=pid,
        running=running,
        port=service.port,
        ready=running and service.probe(),
    )


def http_ready(url: str) -> bool:
    """True when ``url`` answers 200 within a second (readiness of our HTTP processes)."""
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False
