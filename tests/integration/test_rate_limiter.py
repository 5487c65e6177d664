"""Token buckets in the real Redis (through toxiproxy): bursts, refills, costs, keys, and two processes sharing one."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.ratelimit import BucketSpec, RateLimited, bucket_key
from control_plane.integrations.redis_state import RedisTokenBucket
from control_plane.settings import Settings
from harness.stack.toxiproxy import ToxiproxyClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bucket(redis: Redis, clean: None) -> RedisTokenBucket:
    return RedisTokenBucket(redis)


def company_key() -> str:
    return bucket_key("shopify", "company", str(uuid.uuid4()))


async def test_a_full_bucket_bursts_to_capacity_then_says_when_to_retry(bucket: RedisTokenBucket) -> None:
    key, spec = company_key(), BucketSpec(capacity=5, refill_per_second=0.5)
    decisions = [await bucket.acquire(key, spec) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [round(d.tokens_left) for d in decisions[:5]] == [4, 3, 2, 1, 0]
    denied = decisions[-1]
    # One token at 0.5/s takes 2 s; only the few milliseconds since the last grant have refilled.
    assert 1.8 < denied.retry_after_s <= 2.0
    assert denied.at_s is not None and denied.at_s >= (decisions[0].at_s or 0)


async def test_tokens_come_back_over_time(bucket: RedisTokenBucket) -> None:
    key, spec = company_key(), BucketSpec(capacity=2, refill_per_second=10)
    assert all([(await bucket.acquire(key, spec)).allowed for _ in range(2)])
    assert not (await bucket.acquire(key, spec)).allowed
    deadline = time.monotonic() + 2.0
    while not (decision := await bucket.acquire(key, spec)).allowed:
        assert time.monotonic() < deadline, "the bucket never refilled"
        await asyncio.sleep(0.02)
    assert decision.allowed


async def test_a_costly_request_waits_for_all_its_tokens(bucket: RedisTokenBucket) -> None:
    key, spec = company_key(), BucketSpec(capacity=10, refill_per_second=5)
    assert (await bucket.acquire(key, spec, cost=7)).allowed
    denied = await bucket.acquire(key, spec, cost=7)
    assert not denied.allowed and denied.tokens_left == pytest.approx(3, abs=0.2)
    assert denied.retry_after_s == pytest.approx(0.8, abs=0.05)  # 4 missing tokens at 5/s
    assert (await bucket.acquire(key, spec, cost=3)).allowed  # what is there can still be spent
    with pytest.raises(ValueError, match="cost"):
        await bucket.acquire(key, spec, cost=11)


async def test_each_company_has_its_own_bucket(bucket: RedisTokenBucket, redis: Redis) -> None:
    spec = BucketSpec(capacity=3, refill_per_second=0.1)
    acme, beans = company_key(), company_key()
    assert all([(await bucket.acquire(acme, spec)).allowed for _ in range(3)])
    assert not (await bucket.acquire(acme, spec)).allowed
    assert all([(await bucket.acquire(beans, spec)).allowed for _ in range(3)])
    ttl_ms = await redis.pttl(acme)
    assert 0 < ttl_ms <= (spec.full_refill_s + 1) * 1000  # idle buckets disappear once full again


async def test_wait_sleeps_until_allowed_or_gives_up_early(bucket: RedisTokenBucket) -> None:
    key, spec = company_key(), BucketSpec(capacity=1, refill_per_second=5)
    assert await bucket.wait(key, spec, max_wait_s=1.0) < 0.1
    waited = await bucket.wait(key, spec, max_wait_s=2.0)
    assert 0.1 < waited < 1.5
    with pytest.raises(RateLimited) as info:
        await bucket.wait(key, spec, max_wait_s=0.05)
    assert 0.1 < info.value.retry_after_s <= 0.2 and info.value.key == key


async def test_an_unreachable_redis_is_reported_as_such(bucket: RedisTokenBucket, toxiproxy: ToxiproxyClient) -> None:
    with toxiproxy.disabled("redis"), pytest.raises(DependencyUnavailable) as info:
        await bucket.acquire(company_key(), BucketSpec(capacity=1, refill_per_second=1))
    assert info.value.dependency == "redis"


async def _start_probe(settings: Settings, key: str, capacity: float, rate: float) -> asyncio.subprocess.Process:
    redis = settings.redis
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "tests.support.limiter_probe", "--key", key, "--capacity", str(capacity), "--rate", str(rate)),
        *("--host", redis.host, "--port", str(redis.port), "--db", str(redis.database)),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def test_two_worker_processes_together_hold_the_rate(redis: Redis, settings: Settings, clean: None) -> None:
    capacity, rate, window = 10.0, 20.0, 6.0
    key = bucket_key("jobs", "probe", uuid.uuid4().hex)
    probes = [await _start_probe(settings, key, capacity, rate) for _ in range(2)]
    try:
        for probe in probes:
            assert probe.stdout is not None and probe.stdin is not None
            assert (await asyncio.wait_for(probe.stdout.readline(), 20)).strip() == b"ready"
        seconds, micros = await redis.time()
        end = seconds + micros / 1e6 + window
        for probe in probes:
            assert probe.stdin is not None
            probe.stdin.write(f"{end!r}\n".encode())
            await probe.stdin.drain()
        outputs = await asyncio.wait_for(asyncio.gather(*(probe.communicate() for probe in probes)), window + 10)
    finally:
        for probe in probes:
            if probe.returncode is None:
                probe.kill()
                await probe.wait()
    results = [json.loads(stdout) for stdout, _ in outputs]
    grants = sorted(t for result in results for t in result["grants"])
    measured_window = end - grants[0]  # the bucket is created, full, by the first grant
    expected = capacity + rate * measured_window
    error = abs(len(grants) - expected) / expected
    busiest = max(sum(1 for u in grants if t <= u < t + 1.0) for t in grants)
    figures = (
        f"two processes, {measured_window:.3f} s at {rate:g}/s with capacity {capacity:g}: "
        f"granted {len(grants)} (per process {[len(r['grants']) for r in results]}, "
        f"calls {[r['calls'] for r in results]}), expected {expected:.1f}, error {error:.2%}, "
        f"busiest second {busiest}"
    )
    print(figures)
    assert error <= 0.05, figures
    assert all(len(result["grants"]) >= 0.1 * len(grants) for result in results), figures
    assert busiest <= capacity + rate + 1, figures
