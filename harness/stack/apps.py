"""The application processes: the HTTP API (``control_plane.api.server``) and the arq workers.

They talk to every dependency through the toxiproxy listeners configured in
Settings, exactly as in production-like drills.  Before launching, each
module is imported in a throwaway interpreter so a broken import is reported
with its traceback instead of as a vague readiness timeout.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import redis

from control_plane.api.server import server_argv
from control_plane.settings import ApiSettings
from harness.settings import HarnessSettings
from harness.stack import redis_server
from harness.stack.paths import StackPaths
from harness.stack.process import StackError, connected_to, owns, read_pid, spawn
from harness.stack.service import Service, http_ready

API = "api"
API_MODULE = "control_plane.api.app"
API_SERVER = "control_plane.api.server"
WORKER_SETTINGS = "workers.main.WorkerSettings"
_WORKER_NAME = re.compile(r"^worker-(\d+)$")
_HEALTH_SUFFIX = ":health-check"  # arq's default health-check key suffix


def _env(settings: HarnessSettings | None = None, **extra: str) -> dict[str, str]:
    """The applications' environment: ours, and with a replicated Redis the Sentinels to find its primary by."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    if settings is not None and settings.stack.redis_ha:
        env["ICP_REDIS_SENTINELS"] = settings.stack.sentinels()
    env.update(extra)
    return env


def check_importable(module: str) -> None:
    """Raise a StackError carrying the traceback if ``module`` does not import."""
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed module name
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        check=False,
    )
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-12:])
        raise StackError(f"{module} does not import yet:\n{detail}")


def api_argv(api: ApiSettings, *, host: str, port: int, workers: int) -> list[str]:
    """The API's command line with the server limits of ``api`` (the container's entry point runs the same server)."""
    served = api.model_copy(update={"host": host, "port": port, "workers": workers})
    return [sys.executable, "-m", API_SERVER, *server_argv(served)]


def _launch_api(settings: HarnessSettings, paths: StackPaths) -> subprocess.Popen[bytes]:
    check_importable(API_MODULE)
    argv = api_argv(settings.api, host=settings.api.host, port=settings.api.port, workers=settings.api.workers)
    return spawn(paths, API, argv, env=_env(settings))


def _api_live(settings: HarnessSettings) -> bool:
    return http_ready(f"{settings.api.base_url}/health/live")


def api_service(settings: HarnessSettings, paths: StackPaths) -> Service:
    return Service(
        name=API,
        marker=API_SERVER,
        launch=lambda _report: _launch_api(settings, paths),
        probe=lambda: _api_live(settings),
        port=settings.api.port,
        stop_signal=signal.SIGTERM,
    )


def worker_name(index: int) -> str:
    return f"worker-{index}"


def worker_indices(settings: HarnessSettings, paths: StackPaths) -> list[int]:
    """Configured workers plus any left running by an earlier, larger setting."""
    found = set(range(1, settings.stack.workers + 1))
    if paths.run.is_dir():
        for pid_file in paths.run.glob("worker-*.pid"):
            match = _WORKER_NAME.match(pid_file.stem)
            if match:
                found.add(int(match.group(1)))
    return sorted(found)


def _health_key(settings: HarnessSettings) -> str:
    return settings.redis.queue_name + _HEALTH_SUFFIX


def _any_worker_alive(paths: StackPaths) -> bool:
    pids = (read_pid(path) for path in paths.run.glob("worker-*.pid"))
    return any(pid is not None and owns(pid, WORKER_SETTINGS) for pid in pids)


def _launch_worker(settings: HarnessSettings, paths: StackPaths, index: int) -> subprocess.Popen[bytes]:
    check_importable(WORKER_SETTINGS.rsplit(".", 1)[0])
    if not _any_worker_alive(paths):
        # A health key left by a killed worker would make readiness pass too early.
        with redis_server.client(settings) as conn:
            conn.delete(_health_key(settings))
    argv = [sys.executable, "-m", "workers", WORKER_SETTINGS]
    name = worker_name(index)
    return spawn(
        paths, name, argv, env=_env(settings, ICP_WORKER_NAME=name, ICP_IMAGES_ALLOW_HOSTS=simulator_hosts(settings))
    )


def simulator_hosts(settings: HarnessSettings) -> str:
    """The simulator's proxy listeners: the only loopback hosts workers may fetch images from locally."""
    sim = settings.simulator
    return f"127.0.0.1:{sim.shopify_proxy_port},127.0.0.1:{sim.roastify_proxy_port}"


def _worker_healthy(settings: HarnessSettings, paths: StackPaths, index: int) -> bool:
    """Connected to Redis, and arq's health-check key written (after its startup hook)."""
    pid = read_pid(paths.pid_file(worker_name(index)))
    if pid is None or not connected_to(pid, settings.redis.port):
        return False
    try:
        with redis_server.client(settings) as conn:
            return bool(conn.exists(_health_key(settings)))
    except (redis.RedisError, OSError):
        return False


def worker_service(settings: HarnessSettings, paths: StackPaths, index: int) -> Service:
    return Service(
        name=worker_name(index),
        marker=WORKER_SETTINGS,
        launch=lambda _report: _launch_worker(settings, paths, index),
        probe=lambda: _worker_healthy(settings, paths, index),
        stop_signal=signal.SIGTERM,
        stop_timeout_s=30.0,
    )
