"""Local defaults vs AWS: static S3 keys or the task role; plain Redis or TLS."""

from __future__ import annotations

from redis.asyncio import Connection, SSLConnection

from control_plane.integrations.images.storage import _explicit_keys
from control_plane.integrations.queue import create_redis
from control_plane.settings import RedisSettings, S3Settings


def test_local_settings_pass_the_static_keys() -> None:
    keys = _explicit_keys(S3Settings(access_key_id="local-id", secret_access_key="local-secret"))
    assert keys == {"aws_access_key_id": "local-id", "aws_secret_access_key": "local-secret"}


def test_default_credentials_pass_no_keys_so_boto_finds_the_task_role() -> None:
    assert _explicit_keys(S3Settings(use_default_credentials=True)) == {}


def test_an_empty_endpoint_means_the_aws_endpoint() -> None:
    assert S3Settings(endpoint_url="").endpoint_url is None
    assert S3Settings(endpoint_url="http://127.0.0.1:9000").endpoint_url == "http://127.0.0.1:9000"


def test_redis_tls_switches_the_connection_class() -> None:
    assert create_redis(RedisSettings(tls=True)).connection_pool.connection_class is SSLConnection
    assert create_redis(RedisSettings()).connection_pool.connection_class is Connection
