"""Bring the whole local stack up, down, or report on it, in dependency order.

Order matters: PostgreSQL, Redis, S3 and the provider simulator must be ready
before toxiproxy opens listeners in front of them, and the applications come
last because they connect through those listeners at startup.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import signal
from collections.abc import Iterator
from dataclasses import dataclass

from harness.settings import HarnessSettings
from harness.stack import apps, dashboard, postgres, redis_ha, redis_server, seaweedfs, simulator, toxiproxy
from harness.stack.paths import StackPaths
from harness.stack.process import Reporter, StackError
from harness.stack.service import Service, ServiceStatus, ensure_running, status, stop

INFRA_ONLY = "infra"
FULL = "full"


@contextlib.contextmanager
def locked(paths: StackPaths) -> Iterator[None]:
    """Serialise concurrent ``up``/``down`` runs on the same state folder."""
    paths.ensure()
    with (paths.run / "stack.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def infra_services(settings: HarnessSettings, paths: StackPaths) -> list[Service]:
    return [
        postgres.service(settings, paths),
        redis_server.service(settings, paths),
        *(redis_ha.services(settings, paths) if settings.stack.redis_ha else []),
        seaweedfs.service(settings, paths),
        simulator.service(settings, paths),
        toxiproxy.service(settings, paths),
    ]


def app_services(settings: HarnessSettings, paths: StackPaths, indices: list[int]) -> list[Service]:
    workers = [apps.worker_service(settings, paths, index) for index in indices]
    return [apps.api_service(settings, paths), *workers, dashboard.service(settings, paths)]


def _mode_file(paths: StackPaths) -> str:
    try:
        return (paths.run / "mode").read_text().strip()
    except FileNotFoundError:
        return FULL


def up(settings: HarnessSettings, *, infra_only: bool, report: Reporter) -> None:
    """Start whatever is not running yet and wait until each service is ready."""
    paths = StackPaths.from_settings(settings.stack)
    timeout = settings.stack.start_timeout_s
    with locked(paths):
        services = infra_services(settings, paths)
        if not infra_only:
            configured = list(range(1, settings.stack.workers + 1))
            services += app_services(settings, paths, configured)
        for service in services:
            ensure_running(paths, service, timeout, report)
        if not infra_only:
            extra = [i for i in apps.worker_indices(settings, paths) if i > settings.stack.workers]
            for service in app_services(settings, paths, extra)[1:-1]:  # the extra workers only
                stop(paths, service, report)
        (paths.run / "mode").write_text((INFRA_ONLY if infra_only else FULL) + "\n")


def stop_workers(settings: HarnessSettings, *, report: Reporter) -> list[int]:
    """SIGKILL the stack's running workers (their work is about to be thrown away); the indices stopped.

    A reset that truncates the job store while workers still write to it waits on
    their locks or deadlocks with them; killed workers hold nothing (PostgreSQL
    rolls their transactions back as their connections close). :func:`start_workers` starts them again.
    """
    paths = StackPaths.from_settings(settings.stack)
    if not paths.run.is_dir():
        return []
    stopped: list[int] = []
    with locked(paths):
        for index in apps.worker_indices(settings, paths):
            service = dataclasses.replace(apps.worker_service(settings, paths, index), stop_signal=signal.SIGKILL)
            if stop(paths, service, report):
                stopped.append(index)
    return stopped


def start_workers(settings: HarnessSettings, indices: list[int], *, report: Reporter) -> None:
    """Start (and wait for) the workers ``indices`` of the stack, e.g. those :func:`stop_workers` stopped."""
    paths = StackPaths.from_settings(settings.stack)
    with locked(paths):
        for index in indices:
            ensure_running(paths, apps.worker_service(settings, paths, index), settings.stack.start_timeout_s, report)


def down(settings: HarnessSettings, *, report: Reporter) -> bool:
    """Stop everything in reverse start order; False if nothing was running."""
    paths = StackPaths.from_settings(settings.stack)
    if not paths.run.is_dir():
        return False
    with locked(paths):
        indices = apps.worker_indices(settings, paths)
        services = infra_services(settings, paths) + app_services(settings, paths, indices)
        if not settings.stack.redis_ha:  # a replicated Redis started earlier goes down too
            services[2:2] = redis_ha.services(settings, paths)
        stopped = [stop(paths, service, report) for service in reversed(services)]
        (paths.run / "mode").unlink(missing_ok=True)
    return any(stopped)


@dataclass(frozen=True)
class StackStatus:
    """Every known service, and which of them must be ready for a healthy stack."""

    services: list[ServiceStatus]
    expected: list[str]

    @property
    def not_ready(self) -> list[str]:
        ready = {s.name for s in self.services if s.ready}
        return [name for name in self.expected if name not in ready]


def stack_status(settings: HarnessSettings) -> StackStatus:
    """Status of every service; apps are expected unless the stack is infra-only."""
    paths = StackPaths.from_settings(settings.stack)
    infra = infra_services(settings, paths)
    app_list = app_services(settings, paths, apps.worker_indices(settings, paths))
    configured = {apps.API, dashboard.NAME} | {apps.worker_name(i + 1) for i in range(settings.stack.workers)}
    apps_expected = _mode_file(paths) != INFRA_ONLY
    expected = [s.name for s in infra]
    expected += [s.name for s in app_list if apps_expected and s.name in configured]
    return StackStatus([status(paths, s) for s in infra + app_list], expected)


def proxy_lines(settings: HarnessSettings) -> list[str]:
    """One line per expected proxy (state and toxics), empty if toxiproxy is down."""
    try:
        with toxiproxy.ToxiproxyClient.from_settings(settings) as client:
            current = client.proxies()
    except StackError:
        return []
    lines = []
    for spec in toxiproxy.proxy_specs(settings):
        proxy = current.get(spec.name)
        state = "missing" if proxy is None else ("enabled" if proxy["enabled"] else "DISABLED")
        toxics = len(proxy.get("toxics") or []) if proxy else 0
        extra = f", {toxics} toxic(s)" if toxics else ""
        lines.append(f"proxy {spec.name:<9} {spec.listen} -> {spec.upstream}  {state}{extra}")
    return lines


def endpoints(settings: HarnessSettings) -> list[tuple[str, str]]:
    """Human-readable pointers printed after ``up``."""
    paths = StackPaths.from_settings(settings.stack)
    stack, db, redis, sim = settings.stack, settings.database, settings.redis, settings.simulator
    real = "127.0.0.1"
    return [
        ("API", f"{settings.api.base_url}  (OpenAPI: {settings.api.base_url}/schema)"),
        (
            "Dashboard",
            f"{settings.dashboard.url}  (operator key: {settings.stack.state_dir}/dashboard-credentials.json)",
        ),
        (
            "PostgreSQL",
            f"postgresql://{db.user}@{db.host}:{db.port}/{db.name}  (real: {real}:{stack.postgres_port})",
        ),
        ("Redis", f"redis://{redis.host}:{redis.port}/{redis.database}  (real: {real}:{stack.redis_port})"),
        ("S3", f"{settings.s3.endpoint_url} bucket {settings.s3.bucket}  (real: {real}:{stack.s3_port})"),
        ("Toxiproxy API", f"http://{real}:{stack.toxiproxy_port}"),
        (
            "Simulator",
            f"Shopify {sim.shopify_base}/shopify/<shop>, Roastify {sim.roastify_base}/roastify/<account>"
            f"  (real: {real}:{sim.port})",
        ),
        ("Logs", str(paths.logs)),
    ]
