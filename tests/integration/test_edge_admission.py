"""The API's per-company admission script on the real Redis: places in flight, their leases, and the rate.

A request refused for one reason must take nothing of the other (no token spent
by a request refused for being one too many in flight, no place taken by one
refused for rate), and a place whose process died lapses with its lease.
"""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from control_plane.domain.ratelimit import BucketSpec
from control_plane.integrations.redis_state.edge_admission import EdgeOutcome, RedisEdgeAdmission
from tests.support.jobs import poll

pytestmark = pytest.mark.integration

SLOW = BucketSpec(capacity=3, refill_per_second=0.01)
"""Three requests, then a long wait: no refill lands within a test."""


@pytest.fixture
def edge(redis: Redis, clean: None) -> RedisEdgeAdmission:
    return RedisEdgeAdmission(redis)


def _keys() -> tuple[str, str]:
    company = uuid.uuid4()
    return f"icp:rl:api:company:{company}", f"icp:inflight:api:company:{company}"


async def _admit(edge: RedisEdgeAdmission, keys: tuple[str, str], ticket: str, **overrides: float) -> EdgeOutcome:
    arguments = {"spec": SLOW, "max_in_flight": 2, "lease_s": 60.0, **overrides}
    decision = await edge.admit(bucket=keys[0], in_flight=keys[1], ticket=ticket, **arguments)  # type: ignore[arg-type]
    return decision.outcome


async def test_a_third_request_in_flight_is_refused_without_spending_a_token(edge: RedisEdgeAdmission) -> None:
    keys = _keys()
    outcomes = [await _admit(edge, keys, ticket) for ticket in ("a", "b", "c")]
    assert outcomes == [EdgeOutcome.ADMITTED, EdgeOutcome.ADMITTED, EdgeOutcome.TOO_MANY_IN_FLIGHT]
    await edge.release(in_flight=keys[1], ticket="a")
    assert await _admit(edge, keys, "d") is EdgeOutcome.ADMITTED, "the refused request left the third token"


async def test_a_request_refused_for_rate_takes_no_place_in_flight(edge: RedisEdgeAdmission) -> None:
    keys = _keys()
    for ticket in ("a", "b", "c"):
        assert await _admit(edge, keys, ticket, max_in_flight=10) is EdgeOutcome.ADMITTED
        await edge.release(in_flight=keys[1], ticket=ticket)
    decision = await edge.admit(bucket=keys[0], in_flight=keys[1], ticket="d", spec=SLOW, max_in_flight=10, lease_s=60)
    assert decision.outcome is EdgeOutcome.RATE_SPENT
    assert 90 < decision.retry_after_s <= 100, "one token at 0.01/s"
    assert decision.in_flight == 0


async def test_a_dead_process_place_lapses_with_its_lease(edge: RedisEdgeAdmission) -> None:
    keys, lots = _keys(), BucketSpec(capacity=100, refill_per_second=1)
    assert await _admit(edge, keys, "dies", spec=lots, max_in_flight=1, lease_s=0.3) is EdgeOutcome.ADMITTED
    assert await _admit(edge, keys, "next", spec=lots, max_in_flight=1) is EdgeOutcome.TOO_MANY_IN_FLIGHT

    async def admitted() -> bool:
        return await _admit(edge, keys, "next", spec=lots, max_in_flight=1) is EdgeOutcome.ADMITTED

    await poll(admitted, timeout_s=5, every_s=0.1, what="the dead request's place to lapse")
