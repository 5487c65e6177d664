"""Process supervision primitives: pid files, spawning, liveness and stopping.

Every child runs in its own session (so its process group id equals its pid)
with output appended to one log file per service.  ``stack up`` exits while
the children keep running; later commands find them again through pid files
and verify the pid still belongs to us before signalling it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from harness.stack.paths import StackPaths

Reporter = Callable[[str], None]
"""Receives one human-readable progress line (the CLI echoes it)."""

_PROC = Path("/proc")


class StackError(Exception):
    """A stack operation failed; ``service`` names the log worth showing."""

    def __init__(self, message: str, service: str | None = None) -> None:
        super().__init__(message)
        self.service = service


def read_pid(path: Path) -> int | None:
    """The pid stored in ``path``, or None when absent or unreadable."""
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, ...)."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def is_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    fields = _stat_fields(pid)
    return fields is None or fields[0] != "Z"


def command_line(pid: int) -> str | None:
    """The command line of ``pid`` (None where /proc is unavailable)."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def owns(pid: int, marker: str) -> bool:
    """True if ``pid`` is alive and still runs our program (guards against pid reuse)."""
    if not is_alive(pid):
        return False
    cmd = command_line(pid)
    return cmd is None or marker in cmd


def family(pid: int) -> list[int]:
    """Live processes in group ``pid`` plus direct children of ``pid``.

    Children are listed too because some servers (PostgreSQL) move their
    children into sessions of their own, out of the leader's group.
    """
    if not _PROC.is_dir():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, 0)
            return [pid]
        return []
    members: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and fields[0] != "Z" and str(pid) in (fields[1], fields[2]):
            members.append(int(entry.name))
    return members


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    try:
        descriptors = list((_PROC / str(pid) / "fd").iterdir())
    except OSError:
        return inodes
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            target = os.readlink(descriptor)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return inodes


def connected_to(pid: int, port: int) -> bool:
    """True if ``pid`` holds an established TCP connection to remote ``port``.

    Tells apart processes that share every other readiness signal (arq
    workers share one health-check key).  Without /proc it cannot tell: True.
    """
    if not _PROC.is_dir():
        return True
    inodes = _socket_inodes(pid)
    for table in ("tcp", "tcp6"):
        try:
            rows = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            established = fields[3] == "01"
            if established and int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                return True
    return False


def spawn(
    paths: StackPaths,
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached in a new session, logging to ``logs/<name>.log``."""
    log_path = paths.log_file(name)
    with log_path.open("ab") as log:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"\n=== {stamp} starting: {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(  # noqa: S603 - argv built by the service modules, no shell
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            user=user,
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
        )
    paths.pid_file(name).write_text(f"{proc.pid}\n")
    return proc


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _wait_gone(pids: Callable[[], list[int]], timeout_s: float) -> bool:
    """Poll until ``pids()`` is empty or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = pids()
        for pid in remaining:
            _reap(pid)
        if not [pid for pid in remaining if is_alive(pid)]:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _alive(pids: set[int]) -> list[int]:
    return [pid for pid in pids if is_alive(pid)]


def terminate(pid: int, sig: signal.Signals, timeout_s: float) -> bool:
    """Signal the session leader, wait, then SIGKILL it and anything it left behind.

    Returns True if the process exited on ``sig`` alone.  Either way nothing of
    its group, nor any child it had when signalled, survives.
    """
    tracked = {pid, *family(pid)}
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    graceful = _wait_gone(lambda: _alive({pid}), timeout_s)
    if not graceful:
        _kill_group(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(lambda: _alive({pid}), 5.0)
    leftovers = _alive(tracked | set(family(pid)))
    if leftovers:
        _kill_group(pid)
        for orphan in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(orphan, signal.SIGKILL)
        _wait_gone(lambda: _alive(tracked | set(family(pid))), 5.0)
    return graceful


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def tail(path: Path, lines: int = 40) -> list[str]:
    """The last ``lines`` lines of a log file (empty when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))
            data = handle.read()
    except FileNotFoundError:
        return []
    return data.decode(errors="replace").splitlines()[-lines:]
