"""The provider simulator (Shopify and Roastify surfaces), part of the infra stack.

Tests and load runs need a provider to import from, so it starts with
``--infra-only`` too.  Clients reach it only through the ``shopify`` and
``roastify`` toxiproxy proxies; readiness is checked on its real port.  The
simulator lives in ``loadtests/`` (not an installed package), so it runs with
the project root as working directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from harness.settings import HarnessSettings
from harness.stack.paths import StackPaths
from harness.stack.process import StackError, spawn
from harness.stack.service import Service, http_ready

NAME = "simulator"
MODULE = "loadtests.simulator.app"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def direct_url(settings: HarnessSettings) -> str:
    """The real simulator, bypassing toxiproxy (readiness and diagnostics only)."""
    return f"http://127.0.0.1:{settings.simulator.port}"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _check_importable() -> None:
    """Report a broken simulator import with its traceback, not as a readiness timeout."""
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed module name
        [sys.executable, "-c", f"import {MODULE}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=PROJECT_ROOT,
        check=False,
    )
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-12:])
        raise StackError(f"{MODULE} does not import:\n{detail}", NAME)


def _launch(settings: HarnessSettings, paths: StackPaths) -> subprocess.Popen[bytes]:
    _check_importable()
    argv = [
        sys.executable,
        *("-m", "uvicorn", f"{MODULE}:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(settings.simulator.port), "--no-access-log"),
    ]
    return spawn(paths, NAME, argv, env=_env(), cwd=PROJECT_ROOT)


def _probe(settings: HarnessSettings) -> bool:
    return http_ready(f"{direct_url(settings)}/_sim/health")


def service(settings: HarnessSettings, paths: StackPaths) -> Service:
    return Service(
        name=NAME,
        marker=f"{MODULE}:create_app",
        launch=lambda _report: _launch(settings, paths),
        probe=lambda: _probe(settings),
        port=settings.simulator.port,
        stop_signal=signal.SIGTERM,
        stop_timeout_s=10.0,
    )
