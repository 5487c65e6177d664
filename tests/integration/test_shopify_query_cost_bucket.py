"""A shop's GraphQL cost bucket in the real Redis: reservations, refunds, and Shopify's word winning.

Shopify charges a query's requested cost up front and refunds what it did not use; a query whose
requested cost is above the points currently available is THROTTLED and charged nothing
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost calculation" and
"Rate limits"). Every worker of a shop shares one model of that bucket.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from redis.asyncio import Redis

from control_plane.domain.ratelimit import RateLimited, query_cost_key
from control_plane.integrations.redis_state.query_cost import (
    ASSUMED_CAPACITY,
    ASSUMED_RESTORE_PER_S,
    QueryCostBucket,
    ThrottleStatus,
)


@pytest.fixture
def bucket(redis: Redis, clean: None) -> QueryCostBucket:
    return QueryCostBucket(redis)


def shop_key() -> str:
    return query_cost_key(f"https://shop-{uuid.uuid4().hex[:8]}.myshopify.com")


async def test_an_unknown_shop_is_assumed_to_have_the_smallest_documented_bucket(bucket: QueryCostBucket) -> None:
    key = shop_key()
    await bucket.reserve(key, ASSUMED_CAPACITY, max_wait_s=0)  # no RateLimited: allowed at once
    with pytest.raises(RateLimited) as refused:
        await bucket.reserve(key, 500, max_wait_s=0.5)
    # 500 points at the assumed restore rate, minus the few milliseconds since the first reservation.
    assert 500 / ASSUMED_RESTORE_PER_S * 0.95 < refused.value.retry_after_s <= 500 / ASSUMED_RESTORE_PER_S


async def test_the_unused_part_of_a_reservation_comes_back(bucket: QueryCostBucket) -> None:
    key = shop_key()
    reservation = await bucket.reserve(key, 900, max_wait_s=0)
    await bucket.settle(reservation, 880, None)  # an answer without a status: charged 20 of the 900 requested
    await bucket.reserve(key, 900, max_wait_s=0)  # no RateLimited: allowed at once


async def test_shopify_reporting_fewer_points_wins_and_its_plan_is_learnt(bucket: QueryCostBucket) -> None:
    key = shop_key()
    reservation = await bucket.reserve(key, 100, max_wait_s=0)
    await bucket.settle(
        reservation, 0, ThrottleStatus(maximum_available=2000, currently_available=150, restore_rate=100)
    )
    with pytest.raises(RateLimited) as refused:
        await bucket.reserve(key, 650, max_wait_s=1)
    # 500 missing points at the learnt 100 points/s.
    assert 4.8 < refused.value.retry_after_s <= 5.0


async def test_shopify_reporting_more_points_is_believed_less_what_is_in_flight(bucket: QueryCostBucket) -> None:
    """The bucket is larger than assumed (a bigger plan): its answer says so, other calls in flight still count."""
    key = shop_key()
    first = await bucket.reserve(key, 400, max_wait_s=0)
    await bucket.reserve(key, 400, max_wait_s=0)  # still in flight
    await bucket.settle(first, 0, ThrottleStatus(maximum_available=2000, currently_available=1900, restore_rate=100))
    await bucket.reserve(key, 1400, max_wait_s=0)  # no RateLimited: the larger bucket is used at once
    with pytest.raises(RateLimited):
        await bucket.reserve(key, 200, max_wait_s=0.5)  # 1,900 - 400 in flight - 1,400 = 100 left


async def test_a_reservation_of_a_worker_that_died_lapses(redis: Redis, clean: None) -> None:
    bucket = QueryCostBucket(redis, lapse_s=0.3)
    key = shop_key()
    await bucket.reserve(key, 500, max_wait_s=0)  # its worker dies: never settled
    status = ThrottleStatus(maximum_available=1000, currently_available=1000, restore_rate=1)

    async def settle_one() -> None:
        await bucket.settle(await bucket.reserve(key, 1, max_wait_s=5), 0, status)

    await settle_one()
    with pytest.raises(RateLimited):
        await bucket.reserve(key, 600, max_wait_s=0)  # 1,000 - 500 still counted as in flight
    deadline = time.monotonic() + 5
    while True:
        await settle_one()
        try:
            await bucket.reserve(key, 600, max_wait_s=0)
            break
        except RateLimited:
            assert time.monotonic() < deadline, "the dead reservation never lapsed"
            await asyncio.sleep(0.05)


async def test_a_throttled_answer_puts_the_reservation_back_and_the_retry_waits_for_the_restore(
    bucket: QueryCostBucket,
) -> None:
    key = shop_key()
    reservation = await bucket.reserve(key, 400, max_wait_s=0)
    # THROTTLED: nothing charged; Shopify says 100 are available (another app spent the rest), 50/s.
    await bucket.settle(reservation, 400, ThrottleStatus(1000, 100, 50))
    with pytest.raises(RateLimited) as refused:
        await bucket.reserve(key, 400, max_wait_s=1)
    assert 5.8 < refused.value.retry_after_s <= 6.0  # (cost - available) / restoreRate = 300 / 50


async def test_shops_do_not_share_buckets(bucket: QueryCostBucket) -> None:
    first, second = shop_key(), shop_key()
    await bucket.reserve(first, ASSUMED_CAPACITY, max_wait_s=0)
    await bucket.reserve(second, ASSUMED_CAPACITY, max_wait_s=0)  # no RateLimited: allowed at once
