"""Smoke test of the control plane's image against the running local stack.

``python -m harness.image_smoke --image <tag>`` (``make image`` runs it after
the build): migrate with the image, run its API and one worker (host
networking, so they reach the stack's toxiproxy listeners as the stack's own
processes do), seed the demo tenants, submit one import through the image's
API and follow it to the end.  The last line is ``image smoke test: pass``, or
``image smoke test: fail: <why>`` with exit status 1.

The containers use a Redis database of their own, so workers of a full stack
(``importctl stack up``) can never take the smoke test's import.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.cli.session import integration_service, run_in_session
from control_plane.domain.jobs import JobStatus
from control_plane.settings import Settings
from harness.demo import SeededVendor, ensure_demo_vendors, issue_demo_keys
from harness.settings import HarnessSettings, get_harness_settings
from harness.stack.apps import simulator_hosts

ROOT = Path(__file__).resolve().parents[1]
PODMAN_CONF = ROOT / "container" / "containers.conf"
SMOKE_REDIS_DB = 15
START_PATIENCE_S = 60.0
IMPORT_PATIENCE_S = 240.0
HEALTHCHECK_PATIENCE_S = 45.0
POLL_S = 0.5
API_CONTAINER = "icp-image-smoke-api"
WORKER_CONTAINER = "icp-image-smoke-worker"
TERMINAL = {JobStatus.COMPLETED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value}


class SmokeFailure(Exception):
    """The image did not do what the smoke test asked of it."""


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(PODMAN_CONF))}
    argv = ["podman", "--runtime", "runc", *args]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    if check and done.returncode != 0:
        raise SmokeFailure(f"podman {args[0]} exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return done


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _env_args(overrides: dict[str, str]) -> list[str]:
    """This shell's ICP_* settings (ports of the local stack) with the smoke test's overrides."""
    env = {key: value for key, value in os.environ.items() if key.startswith("ICP_")} | overrides
    return [arg for key, value in sorted(env.items()) for arg in ("--env", f"{key}={value}")]


def _start(image: str, name: str, role: str, env: dict[str, str]) -> None:
    _podman("rm", "--force", name, check=False)
    _podman("run", "--pull=never", "--detach", "--network", "host", "--name", name, *_env_args(env), image, role)


def _poll(what: str, patience_s: float, attempt: Callable[[], Any]) -> Any:
    """Call ``attempt`` until it returns something, or fail after ``patience_s``."""
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        result = attempt()
        if result is not None:
            return result
        time.sleep(POLL_S)
    raise SmokeFailure(f"{what} not within {patience_s:.0f} s")


def _live(base_url: str) -> httpx.Response | None:
    try:
        response = httpx.get(f"{base_url}/health/live", timeout=3)
    except httpx.TransportError:
        return None
    return response if response.status_code == 200 else None


def _seed(settings: HarnessSettings) -> tuple[SeededVendor, str]:
    """The demo's tenants, and a fresh key of the first vendor."""

    async def action(session: AsyncSession, _product: Settings) -> tuple[SeededVendor, str]:
        pepper = settings.auth.api_key_pepper.get_secret_value()
        vendors = await ensure_demo_vendors(session, pepper, integration_service(session, settings), settings.simulator)
        keys = await issue_demo_keys(session, pepper, vendors)
        return vendors[0], keys[vendors[0].slug]

    return run_in_session(action)


def _submit_and_follow(base_url: str, vendor: SeededVendor, key: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, timeout=10, headers=headers) as client:
        response = client.post(
            "/api/v1/imports",
            json={"integration_id": str(vendor.integration_id)},
            headers={"Idempotency-Key": f"image-smoke-{uuid.uuid4()}"},
        )
        if response.status_code != 202:
            raise SmokeFailure(f"submitting an import: HTTP {response.status_code} {response.text[:300]}")
        job_id = response.json()["job"]["id"]
        click.echo(f"submitted import {job_id} as {vendor.slug}: HTTP {response.status_code}")

        def finished() -> dict[str, Any] | None:
            job: dict[str, Any] = client.get(f"/api/v1/imports/{job_id}").json()
            return job if job["status"] in TERMINAL else None

        job: dict[str, Any] = _poll(f"import {job_id} finishing", IMPORT_PATIENCE_S, finished)
        return job


def _healthcheck(name: str) -> str:
    """The image's HEALTHCHECK, run now in container ``name`` until it passes (a worker needs a few seconds)."""
    last = ""

    def attempt() -> str | None:
        nonlocal last
        done = _podman("healthcheck", "run", name, check=False)
        last = (done.stdout + done.stderr).strip()[-200:]
        return "healthy" if done.returncode == 0 else None

    try:
        result: str = _poll(f"HEALTHCHECK of {name}", HEALTHCHECK_PATIENCE_S, attempt)
    except SmokeFailure as error:
        raise SmokeFailure(f"{error}: {last}") from error
    return result


def smoke(image: str) -> None:
    """Raise SmokeFailure on the first thing that does not work; print what was seen."""
    settings = get_harness_settings()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    shared = {"ICP_REDIS_DATABASE": str(SMOKE_REDIS_DB), "ICP_API_PORT": str(port), "ICP_API_WORKERS": "1"}
    migrate = _podman("run", "--pull=never", "--rm", "--network", "host", *_env_args(shared), image, "migrate")
    click.echo(f"migrate (in the image): {migrate.stdout.strip().splitlines()[-1:]}")
    _start(image, API_CONTAINER, "api", shared)
    _start(image, WORKER_CONTAINER, "worker", shared | worker_env(settings))
    live = _poll("/health/live answering 200", START_PATIENCE_S, lambda: _live(base_url))
    click.echo(f"/health/live: HTTP {live.status_code} {live.text}")
    click.echo(f"HEALTHCHECK api: {_healthcheck(API_CONTAINER)}")
    vendor, key = _seed(settings)
    job = _submit_and_follow(base_url, vendor, key)
    progress = job["progress"]
    click.echo(
        f"import {job['id']}: {job['status']}, {progress['products_processed']} products, "
        f"{progress['images_processed']}/{progress['images_total']} images"
        + (f", last error: {job['last_error']}" if job.get("last_error") else "")
    )
    click.echo(f"HEALTHCHECK worker: {_healthcheck(WORKER_CONTAINER)}")
    if job["status"] != JobStatus.COMPLETED.value or progress["products_processed"] < 1:
        raise SmokeFailure(f"the import ended {job['status']} with {progress['products_processed']} products")


def worker_env(settings: HarnessSettings) -> dict[str, str]:
    """As the stack starts its workers: a name, and the simulator as the only loopback image host."""
    return {"ICP_WORKER_NAME": "image-smoke-worker", "ICP_IMAGES_ALLOW_HOSTS": simulator_hosts(settings)}


def _logs_and_stop(show_logs: bool) -> None:
    for name in (API_CONTAINER, WORKER_CONTAINER):
        if show_logs:
            logs = _podman("logs", "--tail", "20", name, check=False)
            click.echo(f"--- last lines of {name} ---\n{(logs.stdout + logs.stderr).strip()}", err=True)
        _podman("stop", "--time", "30", name, check=False)
        _podman("rm", "--force", name, check=False)


@click.command()
@click.option("--image", required=True, help="The image to test, e.g. localhost/import-control-plane:dev.")
def main(image: str) -> None:
    """Run the image's API and a worker against the local stack; one import must complete."""
    failure: str | None = None
    try:
        smoke(image)
    except (SmokeFailure, httpx.HTTPError, OSError, subprocess.TimeoutExpired) as error:
        failure = str(error) or type(error).__name__
    finally:
        _logs_and_stop(show_logs=failure is not None)
    if failure is not None:
        click.echo(f"image smoke test: fail: {failure}")
        sys.exit(1)
    click.echo("image smoke test: pass")


if __name__ == "__main__":
    main()
