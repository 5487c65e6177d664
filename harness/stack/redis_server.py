"""Redis: the work queue, configured for durability over speed.

The queue is volatile by design (PostgreSQL is the authority), but AOF with
``everysec`` plus RDB snapshots keeps a restart from silently dropping most
queued jobs, and ``noeviction`` makes memory pressure fail loudly instead of
evicting jobs.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import redis

from harness.settings import HarnessSettings
from harness.stack import redis_ha
from harness.stack.paths import StackPaths
from harness.stack.process import StackError, spawn
from harness.stack.service import Service

NAME = "redis"


def find_binary() -> Path:
    found = shutil.which("redis-server")
    if found is None:
        raise StackError("redis-server not found; run scripts/bootstrap.sh", NAME)
    return Path(found)


def config_text(settings: HarnessSettings, data_dir: Path, *, port: int | None = None) -> str:
    """The generated redis.conf (of the primary, or of the node on ``port``); every start rewrites it."""
    password = settings.redis.password
    lines = [
        "# Written by `importctl stack up`; edits are overwritten.",
        "bind 127.0.0.1",
        f"port {port or settings.stack.redis_port}",
        "protected-mode yes",
        "daemonize no",
        'logfile ""',
        f'dir "{data_dir}"',
        "appendonly yes",
        "appendfsync everysec",
        'appendfilename "appendonly.aof"',
        "aof-use-rdb-preamble yes",
        'dbfilename "dump.rdb"',
        "save 3600 1 300 100 60 10000",
        "maxmemory-policy noeviction",
    ]
    if password is not None:
        secret = password.get_secret_value()
        lines += [f'requirepass "{secret}"', f'masterauth "{secret}"']  # a replica authenticates to its primary
    return "\n".join(lines) + "\n"


def client(settings: HarnessSettings, *, direct: bool = True, node: bool = False) -> redis.Redis:
    """A client for the real server (``direct``: the primary, or with ``node`` this node whatever its role)
    or through the toxiproxy listener."""
    password = settings.redis.password
    port = settings.stack.redis_port
    if direct and not node and settings.stack.redis_ha:  # after a failover the first primary is a replica
        port = (redis_ha.current_primary(settings) or ("", port))[1]
    return redis.Redis(
        host="127.0.0.1" if direct else settings.redis.host,
        port=port if direct else settings.redis.port,
        db=settings.redis.database,
        password=password.get_secret_value() if password else None,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
    )


def _launch(paths: StackPaths, settings: HarnessSettings) -> subprocess.Popen[bytes]:
    data_dir = paths.data(NAME)
    data_dir.mkdir(parents=True, exist_ok=True)
    conf = data_dir / "redis.conf"
    text = config_text(settings, data_dir)
    if settings.stack.redis_ha:
        text += redis_ha.replica_line(settings, settings.stack.redis_port)
    conf.write_text(text)
    return spawn(paths, NAME, [str(find_binary()), str(conf)])


def _probe(settings: HarnessSettings) -> bool:
    """This node answers, whether or not it is the primary now."""
    try:
        with client(settings, node=True) as conn:
            return bool(conn.ping())
    except (redis.RedisError, OSError):
        return False


def service(settings: HarnessSettings, paths: StackPaths) -> Service:
    return Service(
        name=NAME,
        marker="redis-server",
        launch=lambda _report: _launch(paths, settings),
        probe=lambda: _probe(settings),
        port=settings.stack.redis_port,
        stop_signal=signal.SIGTERM,
    )
