"""The operators' dashboard (Streamlit) as a local-stack service.

It reads only the API, so it starts after it.  Unless ICP_DASHBOARD_API_KEY is
set, the stack issues the dashboard its own operator key once and keeps it in
the state folder (mode 600), re-issuing it only when it stops being valid.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.domain.principals import Role
from control_plane.services.tenants import TenantService
from harness.demo import key_is_valid
from harness.settings import HarnessSettings
from harness.stack.paths import StackPaths
from harness.stack.process import spawn
from harness.stack.service import Service, http_ready

NAME = "dashboard"
APP_SCRIPT = "dashboard/app.py"
ROOT = Path(__file__).resolve().parents[2]


def streamlit_argv(host: str, port: int) -> list[str]:
    """The Streamlit server for ``dashboard/app.py``: headless, no file watcher, no usage stats."""
    return [
        sys.executable,
        *("-m", "streamlit", "run", str(ROOT / APP_SCRIPT)),
        *("--server.address", host, "--server.port", str(port)),
        *("--server.headless", "true", "--server.fileWatcherType", "none"),
        *("--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"),
    ]


def health_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/_stcore/health"


def _credentials_file(settings: HarnessSettings) -> Path:
    return settings.stack.state_dir / "dashboard-credentials.json"


async def ensure_key(settings: HarnessSettings) -> str:
    path = _credentials_file(settings)
    pepper = settings.auth.api_key_pepper.get_secret_value()
    engine = create_engine(settings.database)
    try:
        async with create_session_factory(engine)() as session:
            stored = json.loads(path.read_text()).get("key") if path.exists() else None
            if stored and await key_is_valid(session, stored, pepper):
                return str(stored)
            issued = await TenantService(session, pepper).issue_key(
                company=None, role=Role.OPERATOR, name="local dashboard"
            )
            await session.commit()
    finally:
        await engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": issued.key}))
    os.chmod(path, 0o600)
    return issued.key


def _launch(settings: HarnessSettings, paths: StackPaths) -> subprocess.Popen[bytes]:
    config = settings.dashboard
    key = config.api_key.get_secret_value() if config.api_key else asyncio.run(ensure_key(settings))
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ICP_DASHBOARD_API_URL": config.api_url,
        "ICP_DASHBOARD_API_KEY": key,
    }
    return spawn(paths, NAME, streamlit_argv(config.host, config.port), env=env, cwd=ROOT)


def service(settings: HarnessSettings, paths: StackPaths) -> Service:
    config = settings.dashboard
    return Service(
        name=NAME,
        marker=APP_SCRIPT,
        launch=lambda _report: _launch(settings, paths),
        probe=lambda: http_ready(health_url(config.host, config.port)),
        port=config.port,
        stop_signal=signal.SIGTERM,
        stop_timeout_s=10.0,
    )
