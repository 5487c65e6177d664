"""Real processes a browser can reach: the API on the test database, and the Streamlit dashboard.

Both run on free loopback ports with the session's database, Redis db and
queue name, and are polled for readiness with a deadline.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt

from control_plane.settings import Settings
from harness.stack.apps import api_argv
from harness.stack.dashboard import health_url, streamlit_argv
from tests.support.workers import ROOT

LOG_DIR = ROOT / "artifacts" / "test-dashboard"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def session_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment that points a child process at this test session's stores."""
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ICP_DB_NAME": settings.database.name,
        "ICP_REDIS_DATABASE": str(settings.redis.database),
        "ICP_REDIS_QUEUE_NAME": settings.redis.queue_name,
        **overrides,
    }


def service_token(settings: Settings, role: str, subject: str) -> str:
    """A JWT for a global role; unlike an API key it survives the per-test table truncation."""
    auth = settings.auth
    now = datetime.now(UTC)
    claims = {"sub": subject, "iss": auth.jwt_issuer, "aud": auth.jwt_audience, "role": role}
    claims |= {"iat": now, "exp": now + timedelta(hours=1)}
    return jwt.encode(claims, auth.jwt_secret.get_secret_value(), algorithm=auth.jwt_algorithm)


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: process exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # readiness poll interval, bounded by the deadline above
    raise AssertionError(f"{url} not ready after {timeout_s}s:\n{log.read_text()[-3000:]}")


class Served:
    """One child process serving HTTP on ``port``; stopped with SIGTERM (then killed)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, ready_path: str) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name, self.port = name, port
        self.log_path = LOG_DIR / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.ready_url = f"http://127.0.0.1:{port}{ready_path}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float = 60) -> Served:
        wait_http(self.ready_url, self.process, self.log_path, timeout_s)
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def serve_api(settings: Settings, **env: str) -> Served:
    """The API as the stack serves it (the same uvicorn options), one process on a free port."""
    port = free_port()
    argv = api_argv(settings.api, host="127.0.0.1", port=port, workers=1)
    return Served("api", argv, session_env(settings, **env), port, "/health/live")


def serve_dashboard(name: str, api_url: str, token: str, **env: str) -> Served:
    port = free_port()
    dashboard_env = {
        "ICP_DASHBOARD_API_URL": api_url,
        "ICP_DASHBOARD_API_KEY": token,
        "ICP_DASHBOARD_REFRESH_S": "2",
        "ICP_DASHBOARD_TIMEOUT_S": "20",  # a busy test machine must not read as an outage
        **env,
    }
    served = Served(name, streamlit_argv("127.0.0.1", port), {**os.environ, **dashboard_env}, port, "")
    served.ready_url = health_url("127.0.0.1", port)
    return served
