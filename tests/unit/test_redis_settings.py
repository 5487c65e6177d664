"""Sentinel addresses are checked when the settings are read, not when the first connection fails."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from control_plane.settings import RedisSettings
from workers.main import arq_redis_settings


def test_sentinels_are_host_port_pairs_and_give_arq_its_sentinel_mode() -> None:
    settings = RedisSettings(sentinels="10.0.0.1:26379, 10.0.0.2:26380", sentinel_master="queue")
    assert settings.sentinel_addresses() == [("10.0.0.1", 26379), ("10.0.0.2", 26380)]
    arq = arq_redis_settings(settings)
    assert arq.sentinel and arq.host == [("10.0.0.1", 26379), ("10.0.0.2", 26380)] and arq.sentinel_master == "queue"


def test_without_sentinels_the_clients_use_host_and_port() -> None:
    settings = RedisSettings(host="redis.internal", port=6380)
    assert settings.sentinel_addresses() == []
    arq = arq_redis_settings(settings)
    assert not arq.sentinel and (arq.host, arq.port) == ("redis.internal", 6380)


@pytest.mark.parametrize("bad", ["10.0.0.1", "10.0.0.1:0", ":26379", "10.0.0.1:port"])
def test_a_malformed_sentinel_address_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="host:port"):
        RedisSettings(sentinels=bad)
