"""A replicated Redis fails over and the control plane's clients follow it; a client without Sentinel does not.

The stack's HA option runs the real thing: a primary, two replicas and three
Sentinels (Debian's redis-sentinel) on ports of their own. The primary is
SIGKILLed; Sentinel must promote a replica, the product's client (API and
services) and arq's (workers) must write to it, and the old primary, started
again, must rejoin as a replica of the new one.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from arq.connections import create_pool

from control_plane.integrations.queue import create_redis
from control_plane.settings import load_settings
from harness.settings import HarnessSettings, harness_settings_of
from harness.settings.localstack import StackSettings
from harness.stack import redis_ha, redis_server
from harness.stack.paths import StackPaths
from harness.stack.service import Service, ensure_running, running_pid, stop
from tests.support.jobs import poll
from workers.main import arq_redis_settings

pytestmark = pytest.mark.integration

PRIMARY, REPLICAS, SENTINELS = 27379, [27380, 27381], [27390, 27391, 27392]
"""Below the ephemeral port range, so a busy machine's outgoing connections cannot hold them."""
DOWN_AFTER_MS = 1000


def _quiet(_line: str) -> None:
    return None


@pytest.fixture
def ha(tmp_path: Path) -> Iterator[tuple[HarnessSettings, list[Service]]]:
    """The HA set, started by the stack's own code on its own ports and folder; stopped afterwards."""
    stack = StackSettings(
        state_dir=tmp_path / "state",
        redis_port=PRIMARY,
        redis_ha=True,
        redis_replica_ports=REPLICAS,
        sentinel_ports=SENTINELS,
        sentinel_down_after_ms=DOWN_AFTER_MS,
    )
    product = load_settings()
    own = product.redis.model_copy(update={"queue_name": f"icp:test:{uuid.uuid4().hex[:8]}"})
    settings = harness_settings_of(dataclasses.replace(product, redis=own), stack=stack)
    paths = StackPaths.from_settings(stack)
    paths.ensure()
    services = [redis_server.service(settings, paths), *redis_ha.services(settings, paths)]
    try:
        for service in services:
            ensure_running(paths, service, 30.0, _quiet)
        yield settings, services
    finally:
        for service in reversed(services):
            stop(paths, service, _quiet)


def _node(settings: HarnessSettings, port: int) -> redis.Redis:
    password = settings.redis.password
    secret = password.get_secret_value() if password else None
    return redis.Redis(port=port, password=secret, socket_timeout=1.0, decode_responses=True)


async def _replicated(settings: HarnessSettings) -> bool:
    """Both replicas follow the primary, and every Sentinel knows it and the two other Sentinels (a quorum)."""
    with _node(settings, PRIMARY) as primary:
        connected = int(primary.info("replication")["connected_slaves"])
    peers = []
    for port in SENTINELS:
        with redis.Redis(port=port, socket_timeout=1.0) as sentinel:
            peers.append(len(sentinel.sentinel_sentinels(settings.redis.sentinel_master)))
    agreed = redis_ha.current_primary(settings) == ("127.0.0.1", PRIMARY)
    return connected == len(REPLICAS) and agreed and peers == [len(SENTINELS) - 1] * len(SENTINELS)


def _kill_primary(settings: HarnessSettings, service: Service) -> None:
    pid = running_pid(StackPaths.from_settings(settings.stack), service)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)


async def test_the_primary_is_killed_a_replica_is_promoted_and_every_client_writes_to_it(
    ha: tuple[HarnessSettings, list[Service]],
) -> None:
    settings, services = ha
    await poll(lambda: _replicated(settings), timeout_s=30, what="replicas connected and Sentinels agreeing")
    product = create_redis(settings.redis)
    workers = await create_pool(arq_redis_settings(settings.redis))
    await product.set("before", "1")
    acked = await product.execute_command("WAIT", len(REPLICAS), 5000)  # type: ignore[no-untyped-call]
    assert acked == len(REPLICAS), "the write is on both replicas before the kill"

    _kill_primary(settings, services[0])
    killed = time.monotonic()

    async def written_again() -> bool:
        try:
            return bool(await product.set("after", "1")) and bool(await workers.set("after-arq", "1"))
        except (redis.RedisError, OSError):
            return False

    await poll(written_again, timeout_s=60, every_s=0.2, what="writes through Sentinel after the failover")
    print(f"failover: writes resumed {time.monotonic() - killed:.1f} s after the primary's SIGKILL")
    promoted = redis_ha.current_primary(settings)
    assert promoted is not None and promoted[1] in REPLICAS
    assert await product.get("before") == b"1", "a write the replicas had before the kill survives"

    paths = StackPaths.from_settings(settings.stack)
    ensure_running(paths, services[0], 30.0, _quiet)  # the stack restarts the old primary: it must follow

    async def rejoined() -> bool:
        with _node(settings, PRIMARY) as old:
            return str(old.role()[0]) == "slave"

    await poll(rejoined, timeout_s=30, what="the old primary rejoining as a replica")
    await product.aclose()
    await workers.aclose()


async def test_a_client_given_only_the_old_primarys_address_cannot_write_after_the_failover(
    ha: tuple[HarnessSettings, list[Service]],
) -> None:
    """The check above can fail: what follows the failover is the Sentinel discovery, not luck."""
    settings, services = ha
    await poll(lambda: _replicated(settings), timeout_s=30, what="replicas connected and Sentinels agreeing")
    pinned = create_redis(settings.redis.model_copy(update={"sentinels": "", "host": "127.0.0.1", "port": PRIMARY}))
    await pinned.set("before", "1")
    _kill_primary(settings, services[0])

    async def promoted() -> bool:
        return (redis_ha.current_primary(settings) or ("", PRIMARY))[1] != PRIMARY

    await poll(promoted, timeout_s=60, every_s=0.2, what="Sentinel promoting a replica")
    with pytest.raises((redis.RedisError, OSError)):
        await pinned.set("after", "1")
    await pinned.aclose()
