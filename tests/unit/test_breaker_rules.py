"""The breaker's test oracle, checked on its own: counting, opening, the single probe, closing and re-opening.

The Redis script is held to this model in ``tests/integration/test_circuit_breaker.py``.
"""

from __future__ import annotations

import pytest

from control_plane.domain.breaker import BreakerPolicy, BreakerState, breaker_scopes
from tests.support.breaker_oracle import Breaker, admit, elapse, on_failure, on_success, refusal, status

POLICY = BreakerPolicy(failure_threshold=5, open_seconds=60.0)
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


@pytest.mark.parametrize(
    "kwargs",
    [
        {"failure_threshold": 0, "open_seconds": 1.0},
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
