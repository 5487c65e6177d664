"""Replicated Redis for the local stack: a primary, two replicas and three Sentinels, the shape production runs.

Production's queue is one primary with two replicas and automatic failover.
With ``ICP_STACK_REDIS_HA`` the stack runs the same on loopback: the ``redis``
service is the first primary, ``redis-replica-N`` replicate it, and
``sentinel-N`` (Debian's ``redis-sentinel``) watch it and promote a replica when
it stops answering. A node that starts asks the Sentinels which node is the
primary now and replicates it, so a restarted old primary rejoins as a replica.
The applications are given the Sentinels' addresses, never the ``redis`` proxy.
"""

from __future__ import annotations

import functools
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import redis

from harness.settings import HarnessSettings
from harness.stack import redis_server
from harness.stack.paths import StackPaths
from harness.stack.process import StackError, spawn
from harness.stack.service import Service

LOOPBACK = "127.0.0.1"
QUORUM = 2
"""Sentinels that must agree the primary is down: a majority of three."""
FAILOVER_TIMEOUT_MS = 60_000


def _client(settings: HarnessSettings, port: int) -> redis.Redis:
    password = settings.redis.password
    secret = password.get_secret_value() if password else None
    return redis.Redis(host=LOOPBACK, port=port, password=secret, socket_connect_timeout=0.5, socket_timeout=1.0)


def _sentinel_client(port: int) -> redis.Redis:
    return redis.Redis(host=LOOPBACK, port=port, socket_connect_timeout=0.5, socket_timeout=1.0, decode_responses=True)


def current_primary(settings: HarnessSettings) -> tuple[str, int] | None:
    """The primary the first answering Sentinel names, or None when no Sentinel answers."""
    for port in settings.stack.sentinel_ports:
        try:
            with _sentinel_client(port) as sentinel:
                address = sentinel.sentinel_get_master_addr_by_name(settings.redis.sentinel_master)
        except (redis.RedisError, OSError):
            continue
        if address:
            return str(address[0]), int(address[1])
    return None


def replica_line(settings: HarnessSettings, port: int) -> str:
    """The ``replicaof`` line of the node on ``port``: empty when it is (or first starts as) the primary."""
    host, primary = current_primary(settings) or (LOOPBACK, settings.stack.redis_port)
    return "" if primary == port else f"replicaof {host} {primary}\n"


def sentinel_config(settings: HarnessSettings, port: int, data_dir: Path) -> str:
    """A Sentinel's first configuration; it rewrites the file itself from then on (its view of the primary)."""
    name, password = settings.redis.sentinel_master, settings.redis.password
    lines = [
        f"bind {LOOPBACK}",
        f"port {port}",
        "daemonize no",
        'logfile ""',
        f'dir "{data_dir}"',
        f"sentinel monitor {name} {LOOPBACK} {settings.stack.redis_port} {QUORUM}",
        f"sentinel down-after-milliseconds {name} {settings.stack.sentinel_down_after_ms}",
        f"sentinel failover-timeout {name} {FAILOVER_TIMEOUT_MS}",
        f"sentinel parallel-syncs {name} 1",
    ]
    if password is not None:
        lines.append(f'sentinel auth-pass {name} "{password.get_secret_value()}"')
    return "\n".join(lines) + "\n"


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StackError(f"{name} not found; run scripts/bootstrap.sh", name)
    return found


def _launch_replica(settings: HarnessSettings, paths: StackPaths, name: str, port: int) -> subprocess.Popen[bytes]:
    data_dir = paths.data(name)
    data_dir.mkdir(parents=True, exist_ok=True)
    conf = data_dir / "redis.conf"
    conf.write_text(redis_server.config_text(settings, data_dir, port=port) + replica_line(settings, port))
    return spawn(paths, name, [_binary("redis-server"), str(conf)])


def _launch_sentinel(settings: HarnessSettings, paths: StackPaths, name: str, port: int) -> subprocess.Popen[bytes]:
    data_dir = paths.data(name)
    data_dir.mkdir(parents=True, exist_ok=True)
    conf = data_dir / "sentinel.conf"
    if not conf.exists():  # afterwards the file is the Sentinel's own state: which node is the primary now
        conf.write_text(sentinel_config(settings, port, data_dir))
    return spawn(paths, name, [_binary("redis-sentinel"), str(conf)])


def _answers(client: redis.Redis) -> bool:
    try:
        with client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def _replica(settings: HarnessSettings, paths: StackPaths, index: int, port: int) -> Service:
    name = f"redis-replica-{index}"
    launch = functools.partial(_launch_replica, settings, paths, name, port)
    return _node(name, "redis-server", launch, lambda: _answers(_client(settings, port)), port)


def _sentinel(settings: HarnessSettings, paths: StackPaths, index: int, port: int) -> Service:
    name = f"sentinel-{index}"
    launch = functools.partial(_launch_sentinel, settings, paths, name, port)
    return _node(name, "sentinel", launch, lambda: _answers(_sentinel_client(port)), port)


def _node(
    name: str, marker: str, launch: Callable[[], subprocess.Popen[bytes]], probe: Callable[[], bool], port: int
) -> Service:
    return Service(name, marker, lambda _report: launch(), probe, port=port, stop_signal=signal.SIGTERM)


def services(settings: HarnessSettings, paths: StackPaths) -> list[Service]:
    """The replicas, then the Sentinels (the ``redis`` service, the first primary, comes before them)."""
    stack = settings.stack
    replicas = [_replica(settings, paths, i, port) for i, port in enumerate(stack.redis_replica_ports, start=1)]
    return replicas + [_sentinel(settings, paths, i, port) for i, port in enumerate(stack.sentinel_ports, start=1)]
