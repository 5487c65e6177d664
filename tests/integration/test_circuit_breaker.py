"""Circuit breakers shared through the real Redis (through toxiproxy): open, refuse, one probe, close or re-open."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid

import pytest
from redis.asyncio import Redis

from control_plane.domain.breaker import BreakerOpen, BreakerPolicy, BreakerState
from control_plane.integrations.redis_state import RedisCircuitBreaker
from control_plane.integrations.redis_state.circuit_breaker import breaker_key
from tests.support import breaker_oracle as rules
from tests.support.breaker_oracle import Breaker

OPEN_S = 0.6
PROVIDER = "shopify"

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


@pytest.fixture
def breaker(redis: Redis, clean: None) -> RedisCircuitBreaker:
    policy = BreakerPolicy(failure_threshold=5, open_seconds=OPEN_S, half_open_retry_s=0.2)
    return RedisCircuitBreaker(redis, policy, transitions_kept=100)


def integration_scope() -> str:
    return f"{PROVIDER}:integration:{uuid.uuid4()}"


async def fail(breaker: RedisCircuitBreaker, scopes: list[str], times: int) -> None:
    for attempt in range(times):
        await breaker.record_failure(scopes, f"HTTP 503 #{attempt + 1}")


async def wait_until_half_open(breaker: RedisCircuitBreaker, scope: str) -> None:
    deadline = time.monotonic() + OPEN_S + 2.0
    while (await breaker.state(scope)).state is not HALF_OPEN:
        assert time.monotonic() < deadline, "the breaker never became half-open"
        await asyncio.sleep(0.05)


async def test_five_consecutive_failures_open_it_and_four_do_not(breaker: RedisCircuitBreaker) -> None:
    scopes = [PROVIDER]
    await fail(breaker, scopes, 4)
    await breaker.before_call(scopes)
    assert (await breaker.state(PROVIDER))[:2] == (CLOSED, 4)
    await fail(breaker, scopes, 1)
    state, failures, opened_at, retry_after = (await breaker.state(PROVIDER))[:4]
    assert (state, failures) == (OPEN, 5) and opened_at is not None and 0 < retry_after <= OPEN_S
    with pytest.raises(BreakerOpen) as info:
        await breaker.before_call(scopes)
    assert info.value.scope == PROVIDER and 0 < info.value.retry_after_s <= OPEN_S


async def test_a_success_in_between_resets_the_count(breaker: RedisCircuitBreaker) -> None:
    scopes = [PROVIDER]
    await fail(breaker, scopes, 4)
    await breaker.record_success(scopes)
    assert (await breaker.state(PROVIDER))[:2] == (CLOSED, 0)
    await fail(breaker, scopes, 4)
    await breaker.before_call(scopes)
    assert (await breaker.state(PROVIDER)).state is CLOSED


async def test_half_open_lets_exactly_one_of_many_racing_callers_probe(breaker: RedisCircuitBreaker) -> None:
    scopes = [PROVIDER]
    await fail(breaker, scopes, 5)
    await wait_until_half_open(breaker, PROVIDER)
    outcomes = await asyncio.gather(*(breaker.before_call(scopes) for _ in range(20)), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, BreakerOpen)]
    assert outcomes.count(None) == 1 and len(refused) == 19
    assert all(0 < error.retry_after_s <= 0.2 for error in refused)  # short: the probe's answer comes soon
    await breaker.record_success(scopes)
    assert (await breaker.state(PROVIDER))[:2] == (CLOSED, 0)
    await asyncio.gather(*(breaker.before_call(scopes) for _ in range(20)))


async def test_a_failed_probe_reopens_with_a_fresh_timer(breaker: RedisCircuitBreaker) -> None:
    scopes = [PROVIDER]
    await fail(breaker, scopes, 5)
    await wait_until_half_open(breaker, PROVIDER)
    await breaker.before_call(scopes)
    await breaker.record_failure(scopes, "connection reset")
    state, _, _, retry_after = (await breaker.state(PROVIDER))[:4]
    assert state is OPEN and retry_after > OPEN_S - 0.2
    with pytest.raises(BreakerOpen):
        await breaker.before_call(scopes)


async def test_transitions_are_recorded_in_order(breaker: RedisCircuitBreaker) -> None:
    scopes = [PROVIDER]
    await fail(breaker, scopes, 5)
    for outcome in ("failure", "success"):
        await wait_until_half_open(breaker, PROVIDER)
        await breaker.before_call(scopes)
        if outcome == "failure":
            await breaker.record_failure(scopes, "timeout")
        else:
            await breaker.record_success(scopes)
    transitions = await breaker.recent_transitions(10)
    assert [(t.from_state, t.to_state) for t in transitions] == [
        (CLOSED, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, CLOSED),
    ]
    assert {t.scope for t in transitions} == {PROVIDER}
    assert [t.reason for t in transitions][::2] == [
        "5 consecutive failures; last: HTTP 503 #5",
        "probe failed: timeout",
        "probe succeeded",
    ]
    times = [t.at for t in transitions]
    assert times == sorted(times) and (times[-1] - times[0]).total_seconds() >= 2 * OPEN_S
    assert [t.to_state for t in await breaker.recent_transitions(2)] == [HALF_OPEN, CLOSED]


async def test_provider_and_integration_scopes_are_independent_but_both_checked(
    breaker: RedisCircuitBreaker,
) -> None:
    acme, beans = integration_scope(), integration_scope()
    await fail(breaker, [PROVIDER, acme], 4)
    await fail(breaker, [acme], 1)
    assert (await breaker.state(acme)).state is OPEN
    assert (await breaker.state(PROVIDER))[:2] == (CLOSED, 4)
    with pytest.raises(BreakerOpen) as info:
        await breaker.before_call([PROVIDER, acme])
    assert info.value.scope == acme
    await breaker.before_call([PROVIDER, beans])  # another company is not held back

    await fail(breaker, [PROVIDER], 1)
    with pytest.raises(BreakerOpen) as info:
        await breaker.before_call([PROVIDER, beans])  # the whole provider is
    assert info.value.scope == PROVIDER
    assert (await breaker.state(beans))[:2] == (CLOSED, 0)


async def test_a_refusal_by_one_scope_does_not_spend_another_scopes_probe(breaker: RedisCircuitBreaker) -> None:
    acme = integration_scope()
    await fail(breaker, [PROVIDER], 5)
    await wait_until_half_open(breaker, PROVIDER)
    await fail(breaker, [acme], 5)
    with pytest.raises(BreakerOpen) as info:
        await breaker.before_call([PROVIDER, acme])
    assert info.value.scope == acme
    await breaker.before_call([PROVIDER])  # the provider's probe is still free
    with pytest.raises(BreakerOpen):
        await breaker.before_call([PROVIDER])


async def test_a_probe_that_never_reports_is_replaced_after_its_lease(redis: Redis, clean: None) -> None:
    policy = BreakerPolicy(failure_threshold=1, open_seconds=0.3, probe_lease_s=0.3)
    breaker = RedisCircuitBreaker(redis, policy, transitions_kept=10)
    await breaker.record_failure([PROVIDER], "HTTP 500")
    await asyncio.sleep(0.35)
    await breaker.before_call([PROVIDER])  # this probe's worker "dies"
    with pytest.raises(BreakerOpen):
        await breaker.before_call([PROVIDER])
    await asyncio.sleep(0.35)
    await breaker.before_call([PROVIDER])


async def test_scopes_must_be_a_list_of_names(breaker: RedisCircuitBreaker) -> None:
    with pytest.raises(TypeError):
        await breaker.before_call(PROVIDER)
    with pytest.raises(ValueError, match="scopes"):
        await breaker.record_failure([""], "x")


async def test_one_sick_shop_trips_only_itself(redis: Redis, clean: None) -> None:
    shared = RedisCircuitBreaker(redis, BreakerPolicy(5, OPEN_S, min_sources=3), transitions_kept=100)
    sick, healthy = integration_scope(), integration_scope()
    for attempt in range(50):
        with contextlib.suppress(BreakerOpen):
            await shared.before_call([PROVIDER, sick])
        await shared.record_failure([PROVIDER, sick], f"HTTP 500 #{attempt + 1}")
    assert (await shared.state(sick)).state is OPEN
    assert tuple(await shared.state(PROVIDER))[:2] == (CLOSED, 50) and (await shared.state(PROVIDER)).sources == 1
    await shared.before_call([PROVIDER, healthy])  # every other shop of the provider goes on
    assert {t.scope for t in await shared.recent_transitions(100)} == {sick}


async def test_failures_of_three_distinct_shops_open_the_provider(redis: Redis, clean: None) -> None:
    shared = RedisCircuitBreaker(redis, BreakerPolicy(5, OPEN_S, min_sources=3), transitions_kept=100)
    shops = [integration_scope() for _ in range(4)]
    for index in range(4):
        await shared.record_failure([PROVIDER, shops[index % 2]], "HTTP 500")
    assert (await shared.state(PROVIDER))[:2] == (CLOSED, 4)
    await shared.record_failure([PROVIDER, shops[2]], "HTTP 500")
    assert (await shared.state(PROVIDER)).state is OPEN
    with pytest.raises(BreakerOpen) as info:
        await shared.before_call([PROVIDER, shops[3]])
    assert info.value.scope == PROVIDER
    (opened,) = [t for t in await shared.recent_transitions(10) if t.scope == PROVIDER]
    assert opened.reason == "5 consecutive failures across 3 integrations; last: HTTP 500"


@pytest.mark.parametrize("seed", [7, 11, 2026])
async def test_the_shared_breaker_follows_the_reference_rules(redis: Redis, clean: None, seed: int) -> None:
    """Random calls of a few shops (each guarded by the provider and itself) and lone-scope reports."""
    policy = BreakerPolicy(failure_threshold=4, open_seconds=3600, min_sources=2 + seed % 2)
    shared = RedisCircuitBreaker(redis, policy, transitions_kept=100)
    shops = [integration_scope() for _ in range(4)]
    model = {scope: Breaker() for scope in [PROVIDER, *shops]}
    chance = random.Random(seed)
    for _ in range(120):
        shop = chance.choice(shops[: chance.randint(1, len(shops))])  # some shops much busier than others
        chosen = [PROVIDER, shop] if chance.random() < 0.85 else [chance.choice([PROVIDER, shop])]
        if chance.random() < 0.7:
            await shared.record_failure(chosen, "HTTP 502")
            steps = rules.on_call_failure({s: model[s] for s in chosen}, policy, 0.0, "HTTP 502")
            model.update({s: step.breaker for s, step in steps.items()})
        else:
            await shared.record_success(chosen)
            model.update({s: rules.on_success(s, model[s], policy, 0.0).breaker for s in chosen})
        for scope, expected in model.items():
            got = await shared.state(scope)
            assert (got.state, got.failures, got.sources) == (expected.state, expected.failures, len(expected.sources))
            if expected.state is OPEN:  # an operator's reset, so the rest of the run keeps counting
                await redis.delete(breaker_key(scope))
                model[scope] = Breaker()
