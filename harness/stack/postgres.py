"""PostgreSQL: a private initdb cluster under ``<state_dir>/postgres``.

The cluster is ours alone (its own port, sockets and superuser), so the stack
never touches a system-wide PostgreSQL.  PostgreSQL refuses to run as root,
so as root both initdb and the server run as the ``postgres`` system user.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped,unused-ignore]

from harness.settings import HarnessSettings, StackSettings
from harness.stack.paths import StackPaths
from harness.stack.process import Reporter, StackError, spawn
from harness.stack.service import Service

NAME = "postgres"
_SYSTEM_USER = "postgres"
_CONF_NAME = "stack.conf"
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes, minus "/.s.PGSQL.NNNNN"
_MIGRATE_MODULE = "control_plane.db.migrate"


def run_as() -> str | None:
    """The account the server runs under: ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_SYSTEM_USER)
    except KeyError as exc:
        raise StackError(f"running as root needs a '{_SYSTEM_USER}' system user", NAME) from exc
    return _SYSTEM_USER


def find_bin_dir(stack: StackSettings) -> Path:
    """Folder with ``initdb`` and ``postgres``: the setting, PATH, or Debian's layout."""
    candidates: list[Path] = []
    if stack.postgres_bin_dir is not None:
        candidates.append(stack.postgres_bin_dir)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise StackError(
        "PostgreSQL server binaries (initdb, postgres) not found; run scripts/bootstrap.sh "
        "or set ICP_STACK_POSTGRES_BIN_DIR",
        NAME,
    )


def _data_dir(paths: StackPaths) -> Path:
    return paths.data(NAME) / "data"


def _socket_dir(paths: StackPaths) -> Path:
    return paths.data(NAME) / "sockets"


def _chown(paths: list[Path], user: str | None) -> None:
    """Hand freshly written files and folders to the server account when we run as root."""
    if user is None:
        return
    account = pwd.getpwnam(user)
    for path in paths:
        os.chown(path, account.pw_uid, account.pw_gid)


def _check_traversable(path: Path, user: str | None) -> None:
    """Fail early, with a hint, if the server account cannot reach the state folder."""
    if user is None:
        return
    uid = pwd.getpwnam(user).pw_uid
    for folder in path.parents:
        info = folder.stat()
        if info.st_uid != uid and not info.st_mode & stat.S_IXOTH:
            raise StackError(
                f"the '{user}' account cannot enter {folder}; move the state folder "
                "(ICP_STACK_STATE_DIR) or allow others to traverse that folder",
                NAME,
            )


def _initdb(paths: StackPaths, settings: HarnessSettings, user: str | None, report: Reporter) -> None:
    """Create the cluster once; the database superuser is the application role."""
    data = _data_dir(paths)
    if (data / "PG_VERSION").exists():
        return
    if data.exists():
        shutil.rmtree(data)  # a failed initdb leaves a half-written folder behind
    data.mkdir(parents=True, mode=0o700)
    pwfile = paths.data(NAME) / "initdb.pw"
    pwfile.write_text(settings.database.password.get_secret_value() + "\n")
    pwfile.chmod(0o600)
    _chown([paths.data(NAME), data, pwfile], user)
    argv = [
        str(find_bin_dir(settings.stack) / "initdb"),
        *("-D", str(data), "-U", settings.database.user, f"--pwfile={pwfile}"),
        *("--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"),
    ]
    report(f"{NAME}: initialising a new cluster in {data}")
    try:
        with paths.log_file(NAME).open("ab") as log:
            result = subprocess.run(  # noqa: S603 - argv built here, no shell
                argv, stdout=log, stderr=subprocess.STDOUT, user=user, check=False
            )
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        raise StackError(f"initdb failed with code {result.returncode}", NAME)


def _write_config(paths: StackPaths, stack: StackSettings, user: str | None) -> None:
    """Regenerate our settings file on every start so setting changes take effect."""
    data, sockets = _data_dir(paths), _socket_dir(paths)
    sockets.mkdir(parents=True, exist_ok=True)
    socket_dirs = str(sockets) if len(str(sockets)) <= _MAX_SOCKET_PATH else ""
    (data / _CONF_NAME).write_text(
        "# Written by `importctl stack up`; edits are overwritten.\n"
        "listen_addresses = '127.0.0.1'\n"
        f"port = {stack.postgres_port}\n"
        f"unix_socket_directories = '{socket_dirs}'\n"
        "max_connections = 300\n"
        "shared_buffers = '256MB'\n"
        "logging_collector = off\n"
        "log_line_prefix = '%m [%p] %q%u@%d '\n"
    )
    main_conf = data / "postgresql.conf"
    include = f"include_if_exists = '{_CONF_NAME}'\n"
    if include not in main_conf.read_text():
        with main_conf.open("a") as handle:
            handle.write("\n" + include)
    _chown([sockets, data / _CONF_NAME], user)


def _launch(paths: StackPaths, settings: HarnessSettings, report: Reporter) -> subprocess.Popen[bytes]:
    user = run_as()
    _check_traversable(paths.data(NAME), user)
    paths.data(NAME).mkdir(parents=True, exist_ok=True)
    _initdb(paths, settings, user, report)
    _write_config(paths, settings.stack, user)
    server = find_bin_dir(settings.stack) / "postgres"
    return spawn(paths, NAME, [str(server), "-D", str(_data_dir(paths))], user=user)


def direct_settings(settings: HarnessSettings) -> HarnessSettings:
    """HarnessSettings that reach the real server, bypassing the toxiproxy listener."""
    database = settings.database.model_copy(update={"host": "127.0.0.1", "port": settings.stack.postgres_port})
    return dataclasses.replace(settings, database=database)


async def _connect(settings: HarnessSettings, database: str) -> asyncpg.Connection:
    db = settings.database
    return await asyncpg.connect(
        host="127.0.0.1",
        port=settings.stack.postgres_port,
        user=db.user,
        password=db.password.get_secret_value(),
        database=database,
        timeout=2.0,
    )


async def _select_one(settings: HarnessSettings) -> bool:
    conn = await _connect(settings, "postgres")
    try:
        return bool(await conn.fetchval("SELECT 1") == 1)
    finally:
        await conn.close()


def _probe(settings: HarnessSettings) -> bool:
    try:
        return asyncio.run(_select_one(settings))
    except Exception:  # any failure simply means "not ready yet"
        return False


async def _create_database(settings: HarnessSettings) -> bool:
    """Create the application database if missing; True if it was created."""
    name = settings.database.name
    conn = await _connect(settings, "postgres")
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        quoted = '"' + name.replace('"', '""') + '"'
        await conn.execute(f"CREATE DATABASE {quoted}")
        return True
    finally:
        await conn.close()


def _migrate(settings: HarnessSettings, report: Reporter) -> None:
    """Bring the schema to head; skipped while the migration module does not exist."""
    try:
        module = importlib.import_module(_MIGRATE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is None or not _MIGRATE_MODULE.startswith(exc.name):
            raise
        report(f"{NAME}: {_MIGRATE_MODULE} not found yet, migrations skipped")
        return
    upgrade = cast(Callable[[HarnessSettings], Coroutine[Any, Any, None]], module.upgrade_head)
    try:
        asyncio.run(upgrade(direct_settings(settings)))
    except Exception as exc:
        raise StackError(f"{NAME}: migrations failed: {exc!r}", NAME) from exc
    report(f"{NAME}: migrations at head")


def _after_ready(settings: HarnessSettings, report: Reporter) -> None:
    if asyncio.run(_create_database(settings)):
        report(f"{NAME}: created database {settings.database.name}")
    _migrate(settings, report)


def service(settings: HarnessSettings, paths: StackPaths) -> Service:
    return Service(
        name=NAME,
        marker="postgres",
        launch=lambda report: _launch(paths, settings, report),
        probe=lambda: _probe(settings),
        port=settings.stack.postgres_port,
        stop_signal=signal.SIGINT,
        stop_timeout_s=60.0,
        after_ready=lambda report: _after_ready(settings, report),
    )
