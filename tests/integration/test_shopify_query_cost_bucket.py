"""A shop's GraphQL cost bucket in the real Redis: reservations, refunds, and Shopify's word winning.

Shopify charges a query's requested cost up front and refunds what it did not use; a query whose
requested cost is above the points currently available is THROTTLED and charged nothing
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost calculation" and
"Rate limits"). Every worker of a shop shares one model of that bucket.
"""

from __future__ import annotations

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
    assert await bucket.reserve(key, ASSUMED_CAPACITY, max_wait_s=0) == pytest.approx(0, abs=0.05)
    with pytest.raises(RateLimited) as refused:
        await bucket.reserve(key, 500, max_wait_s=0.5)
    # 500 points at the assumed restore rate, minus the few milliseconds since the first reservation.
    assert 500 / ASSUMED_RESTORE_PER_S * 0.95 < refused.value.retry_after_s <= 500 / ASSUMED_RESTORE_PER_S


async def test_the_unused_part_of_a_reservation_comes_back(bucket: QueryCostBucket) -> None:
    key = shop_key()
    await bucket.reserve(key, 900, max_wait_s=0)
    await bucket.settle(key, 880, None)  # Shopify charged 20 of the 900 requested
    assert await bucket.reserve(key, 900, max_wait_s=0) == pytest.approx(0, abs=0.05)


async def test_shopify_reporting_fewer_points_wins_and_its_plan_is_learnt(bucket: QueryCostBucket) -> None:
    key = shop_key()
    await bucket.reserve(key, 100, max_wait_s=0)
    await bucket.settle(key, 0, ThrottleStatus(maximum_available=2000, currently_available=150, restore_rate=100))
    with pytest.raises(RateLimited) as refused:
        await bucket.reserve(key, 650, max_wait_s=1)
    # 500 missing points at the learnt 100 points/s.
    assert 4.8 < refused.value.retry_after_s <= 5.0


async def test_a_throttled_answer_puts_the_reservation_back_and_the_retry_waits_for_the_restore(
    bucket: QueryCostBucket,
) -> None:
    key = shop_key()
    await bucket.reserve(key, 400, max_wait_s=0)
    # THROTTLED: nothing charged; Shopify says 100 are available (another app spent the rest), 50/s.
    await bucket.settle(key, 400, ThrottleStatus(1000, 100, 50))
    with pytest.raises(RateLimited) as refused:
        await bucket.reserve(key, 400, max_wait_s=1)
    assert 5.8 < refused.value.retry_after_s <= 6.0  # (cost - available) / restoreRate = 300 / 50


async def test_shops_do_not_share_buckets(bucket: QueryCostBucket) -> None:
    first, second = shop_key(), shop_key()
    await bucket.reserve(first, ASSUMED_CAPACITY, max_wait_s=0)
    assert await bucket.reserve(second, ASSUMED_CAPACITY, max_wait_s=0) == pytest.approx(0, abs=0.05)
