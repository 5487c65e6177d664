"""Local defaults vs AWS: static S3 keys or the task role; plain Redis or TLS."""

from __future__ import annotations

from redis.asyncio import Connection, SSLConnection

from control_plane.integrations.images.storage import s3_client_factory, store_config
from control_plane.integrations.queue import create_redis
from control_plane.settings import RedisSettings, S3Settings


def test_local_settings_pass_the_static_keys_and_path_style_addressing() -> None:
    config = store_config(S3Settings(access_key_id="local-id", secret_access_key="local-secret"))
    assert config["access_key_id"] == "local-id" and config["secret_access_key"] == "local-secret"
    assert config["virtual_hosted_style_request"] is False


def test_default_credentials_pass_no_keys_so_the_client_finds_the_task_role() -> None:
    settings = S3Settings(use_default_credentials=True, endpoint_url="", region="eu-west-1")
    assert store_config(settings) == {"region": "eu-west-1"}
    assert s3_client_factory(settings)() is not None, "a client without keys is built; credentials come per request"


def test_an_empty_endpoint_means_the_aws_endpoint() -> None:
    assert S3Settings(endpoint_url="").endpoint_url is None
    assert S3Settings(endpoint_url="http://127.0.0.1:9000").endpoint_url == "http://127.0.0.1:9000"


def test_redis_tls_switches_the_connection_class() -> None:
    assert create_redis(RedisSettings(tls=True)).connection_pool.connection_class is SSLConnection
    assert create_redis(RedisSettings()).connection_pool.connection_class is Connection
