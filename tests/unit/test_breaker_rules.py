"""The breaker's test oracle, checked on its own: counting, opening, the single probe, closing and re-opening.

The Redis script is held to this model in ``tests/integration/test_circuit_breaker.py``.
"""

from __future__ import annotations

import pytest

from control_plane.domain.breaker import BreakerPolicy, BreakerState, breaker_scopes
from tests.support.breaker_oracle import (
    Breaker,
    admit,
    elapse,
    on_call_failure,
    on_failure,
    on_success,
    refusal,
    status,
)

POLICY = BreakerPolicy(failure_threshold=5, open_seconds=60.0)
SHARED = BreakerPolicy(failure_threshold=5, open_seconds=60.0, min_sources=3)
SCOPE = "shopify"
T0 = 1_800_000_000.0


def fail(breaker: Breaker, times: int, now: float = T0) -> Breaker:
    for _ in range(times):
        breaker = on_failure(SCOPE, breaker, POLICY, now, "503").breaker
    return breaker


def opened() -> Breaker:
    return fail(Breaker(), 5)


def test_four_failures_keep_it_closed_and_the_fifth_opens_it() -> None:
    four = fail(Breaker(), 4)
    assert four.state is BreakerState.CLOSED and four.failures == 4
    step = on_failure(SCOPE, four, POLICY, T0, "timeout")
    assert step.breaker.state is BreakerState.OPEN and step.breaker.opened_at == T0
    (moved,) = step.transitions
    assert (moved.scope, moved.from_state, moved.to_state) == (SCOPE, BreakerState.CLOSED, BreakerState.OPEN)
    assert moved.reason == "5 consecutive failures; last: timeout"


def test_only_consecutive_failures_count() -> None:
    reset = on_success(SCOPE, fail(Breaker(), 4), POLICY, T0).breaker
    assert reset == Breaker()
    assert fail(reset, 4).state is BreakerState.CLOSED


def test_an_open_breaker_refuses_until_its_time_is_up() -> None:
    breaker = opened()
    assert refusal(breaker, POLICY, T0 + 10) == pytest.approx(50.0)
    assert elapse(SCOPE, breaker, POLICY, T0 + 59.9).breaker.state is BreakerState.OPEN
    step = elapse(SCOPE, breaker, POLICY, T0 + 60)
    assert step.breaker.state is BreakerState.HALF_OPEN
    assert [(t.from_state, t.to_state) for t in step.transitions] == [(BreakerState.OPEN, BreakerState.HALF_OPEN)]


def test_half_open_grants_exactly_one_probe() -> None:
    now = T0 + 61
    first = admit({SCOPE: opened()}, POLICY, now)
    assert first.allowed and first.breakers[SCOPE].probe_until == now + POLICY.lease_s
    second = admit(first.breakers, POLICY, now + 0.1)
    assert not second.allowed and second.refused_scope == SCOPE
    assert second.retry_after_s == pytest.approx(POLICY.half_open_retry_s)


def test_a_lost_probe_is_replaced_after_its_lease() -> None:
    probing = admit({SCOPE: opened()}, POLICY, T0 + 61).breakers
    assert admit(probing, POLICY, T0 + 61 + POLICY.lease_s).allowed


def test_probe_success_closes_and_probe_failure_reopens_with_a_fresh_timer() -> None:
    probing = admit({SCOPE: opened()}, POLICY, T0 + 61).breakers[SCOPE]
    closed = on_success(SCOPE, probing, POLICY, T0 + 62)
    assert closed.breaker == Breaker() and closed.transitions[-1].reason == "probe succeeded"
    reopened = on_failure(SCOPE, probing, POLICY, T0 + 62, "reset")
    assert reopened.breaker.state is BreakerState.OPEN and reopened.breaker.opened_at == T0 + 62
    assert reopened.transitions[-1].reason == "probe failed: reset"
    assert refusal(reopened.breaker, POLICY, T0 + 62) == pytest.approx(60.0)


def test_late_answers_do_not_move_an_open_breaker() -> None:
    breaker = opened()
    assert on_failure(SCOPE, breaker, POLICY, T0 + 30, "late").breaker == breaker
    assert on_success(SCOPE, breaker, POLICY, T0 + 30).breaker == breaker


def test_an_answer_after_the_timer_records_both_transitions() -> None:
    step = on_success(SCOPE, opened(), POLICY, T0 + 90)
    assert [t.to_state for t in step.transitions] == [BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_every_scope_must_allow_and_a_refusal_takes_no_probe() -> None:
    now = T0 + 61
    breakers = {"shopify": opened(), "shopify:integration:x": fail(Breaker(), 5, now=now - 1)}
    refused = admit(breakers, POLICY, now)
    assert refused.refused_scope == "shopify:integration:x"
    assert refused.retry_after_s == pytest.approx(59.0)
    assert refused.breakers["shopify"].state is BreakerState.HALF_OPEN
    assert refused.breakers["shopify"].probe_until is None  # still free for a caller that can use it
    assert admit({"shopify": Breaker(), "other": Breaker()}, POLICY, now).allowed


def test_status_applies_the_timer_without_changing_anything() -> None:
    breaker = opened()
    assert status(breaker, POLICY, T0 + 1).state is BreakerState.OPEN
    later = status(breaker, POLICY, T0 + 61)
    assert later.state is BreakerState.HALF_OPEN and later.retry_after_s == 0 and later.failures == 5


def shop(name: str) -> str:
    return breaker_scopes(SCOPE, name)[1]


def fail_calls(breakers: dict[str, Breaker], integrations: list[str], now: float = T0) -> dict[str, Breaker]:
    """One failed call per entry of ``integrations``, each guarded by the provider and that integration."""
    for integration in integrations:
        call = {SCOPE: breakers.get(SCOPE, Breaker()), shop(integration): breakers.get(shop(integration), Breaker())}
        breakers = {**breakers, **{s: step.breaker for s, step in on_call_failure(call, SHARED, now, "500").items()}}
    return breakers


def test_one_sick_shop_failing_50_times_opens_its_own_breaker_and_never_the_providers() -> None:
    breakers = fail_calls({}, ["sick"] * 50)
    assert breakers[shop("sick")].state is BreakerState.OPEN
    provider = breakers[SCOPE]
    assert provider.state is BreakerState.CLOSED and provider.failures == 50 and provider.sources == {shop("sick")}


def test_failures_from_three_distinct_shops_open_the_provider() -> None:
    two = fail_calls({}, ["a", "b"] * 5)
    assert two[SCOPE].state is BreakerState.CLOSED and len(two[SCOPE].sources) == 2
    call = {SCOPE: two[SCOPE], shop("c"): Breaker()}
    steps = on_call_failure(call, SHARED, T0, "HTTP 500")
    assert steps[SCOPE].breaker.state is BreakerState.OPEN and steps[SCOPE].breaker.sources == frozenset()
    (moved,) = steps[SCOPE].transitions
    assert moved.reason == "11 consecutive failures across 3 integrations; last: HTTP 500"
    assert steps[shop("c")].breaker.state is BreakerState.CLOSED  # one failure of its own so far


def test_three_shops_still_need_the_threshold_of_failures() -> None:
    assert fail_calls({}, ["a", "b", "c", "a"])[SCOPE].state is BreakerState.CLOSED
    assert fail_calls({}, ["a", "b", "c", "a", "b"])[SCOPE].state is BreakerState.OPEN


def test_a_success_from_any_shop_ends_the_providers_run_and_forgets_its_shops() -> None:
    breakers = fail_calls({}, ["sick"] * 10 + ["b"])
    reset = on_success(SCOPE, breakers[SCOPE], SHARED, T0).breaker
    assert reset == Breaker()
    assert fail_calls({**breakers, SCOPE: reset}, ["c", "c", "c", "c"])[SCOPE].state is BreakerState.CLOSED


def test_with_one_source_enough_any_shop_opens_the_provider_as_before() -> None:
    call = {SCOPE: fail(Breaker(), 4), shop("sick"): Breaker()}
    steps = on_call_failure(call, POLICY, T0, "500")
    assert steps[SCOPE].breaker.state is BreakerState.OPEN
    assert steps[SCOPE].transitions[0].reason == "5 consecutive failures; last: 500"


def test_a_shared_scope_reports_the_shops_of_its_run() -> None:
    assert status(fail_calls({}, ["a", "b"])[SCOPE], SHARED, T0).sources == 2
    assert status(fail_calls({}, ["a"] * 5)[shop("a")], SHARED, T0).sources == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"failure_threshold": 0, "open_seconds": 1.0},
        {"failure_threshold": 1, "open_seconds": 1.0, "min_sources": 0},
        {"failure_threshold": 1, "open_seconds": 0.0},
        {"failure_threshold": 1, "open_seconds": 1.0, "probe_lease_s": -1.0},
        {"failure_threshold": 1, "open_seconds": 1.0, "half_open_retry_s": float("nan")},
    ],
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        BreakerPolicy(**kwargs)  # type: ignore[arg-type]


def test_an_integration_is_guarded_by_its_provider_and_itself() -> None:
    assert breaker_scopes("shopify", "0b7c") == ["shopify", "shopify:integration:0b7c"]
