"""The local stack: every dependency answers through its toxiproxy proxy.

Needs `importctl stack up --infra-only` (run by `make test`).  The proxy tests
also prove that cutting a proxy cuts the applications' path only, which is
what every chaos drill relies on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg
import pytest
import redis

from harness.settings import HarnessSettings, load_harness_settings
from harness.stack import redis_server, seaweedfs
from harness.stack.process import StackError, port_open
from harness.stack.toxiproxy import ToxiproxyClient, proxy_specs

pytestmark = pytest.mark.integration

DEADLINE_S = 10.0


@pytest.fixture(scope="module")
def stack_settings() -> HarnessSettings:
    return load_harness_settings()


@pytest.fixture(scope="module")
def proxy_admin(stack_settings: HarnessSettings) -> ToxiproxyClient:
    client = ToxiproxyClient.from_settings(stack_settings)
    try:
        client.version()
    except StackError as exc:
        pytest.fail(f"toxiproxy is not running; run `importctl stack up --infra-only` first ({exc})")
    return client


def eventually(condition: Callable[[], bool], timeout_s: float = DEADLINE_S) -> bool:
    """Poll ``condition`` until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def pings(settings: HarnessSettings, *, direct: bool) -> bool:
    """A fresh connection (never a pooled one) answers PING."""
    try:
        with redis_server.client(settings, direct=direct) as conn:
            return bool(conn.ping())
    except (redis.RedisError, OSError):
        return False


async def test_postgres_answers_through_its_proxy(stack_settings: HarnessSettings) -> None:
    db = stack_settings.database
    conn = await asyncpg.connect(
        host=db.host,
        port=db.port,
        user=db.user,
        password=db.password.get_secret_value(),
        database=db.name,
        timeout=5,
    )
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


def test_redis_answers_through_its_proxy(stack_settings: HarnessSettings) -> None:
    assert pings(stack_settings, direct=False)


def test_s3_bucket_is_listable_through_its_proxy(stack_settings: HarnessSettings) -> None:
    client = seaweedfs.s3_client(stack_settings.s3)
    try:
        response = client.list_objects_v2(Bucket=stack_settings.s3.bucket, MaxKeys=1)
    finally:
        client.close()
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["Name"] == stack_settings.s3.bucket


def test_every_proxy_exists_and_is_enabled(stack_settings: HarnessSettings, proxy_admin: ToxiproxyClient) -> None:
    proxies = proxy_admin.proxies()
    specs = proxy_specs(stack_settings)
    assert {"postgres", "redis", "s3"} <= {spec.name for spec in specs}
    for spec in specs:
        assert spec.name in proxies, f"proxy {spec.name} is missing"
        proxy = proxies[spec.name]
        assert proxy["enabled"] is True
        assert (proxy["listen"], proxy["upstream"]) == (spec.listen, spec.upstream)


def test_redis_is_configured_for_durability(stack_settings: HarnessSettings) -> None:
    with redis_server.client(stack_settings, direct=False) as conn:
        config = {key: conn.config_get(key)[key] for key in ("appendonly", "appendfsync", "maxmemory-policy")}
    assert config == {"appendonly": "yes", "appendfsync": "everysec", "maxmemory-policy": "noeviction"}


def test_disabling_the_redis_proxy_cuts_only_the_app_side(
    stack_settings: HarnessSettings, proxy_admin: ToxiproxyClient
) -> None:
    app_host, app_port = stack_settings.redis.host, stack_settings.redis.port
    assert pings(stack_settings, direct=False)
    proxy_admin.set_enabled("redis", False)
    try:
        assert eventually(lambda: not port_open(app_host, app_port)), "app-side port still accepts"
        assert not pings(stack_settings, direct=False)
        assert pings(stack_settings, direct=True), "the real Redis must keep answering"
    finally:
        proxy_admin.set_enabled("redis", True)
    assert eventually(lambda: pings(stack_settings, direct=False)), "re-enabling did not restore Redis"
