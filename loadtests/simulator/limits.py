"""The providers' rate limits: Shopify's leaky buckets and Roastify's rolling window.

Modelled as the providers document them, so clients are tested against the
real shapes of throttling: a bucket that drains continuously (Shopify REST
calls, GraphQL cost points) and a hard count per rolling minute (Roastify).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class PlanLimits:
    rest_capacity: int
    rest_leak_per_s: int
    graphql_max_points: int
    graphql_restore_per_s: int


PLANS: dict[str, PlanLimits] = {
    "standard": PlanLimits(40, 2, 2000, 100),
    "advanced": PlanLimits(80, 4, 4000, 200),
    "plus": PlanLimits(400, 20, 20000, 1000),
    "enterprise": PlanLimits(400, 20, 40000, 2000),
}
"""REST: 2/4/20 requests per second (bucket 20 s of leak). GraphQL: restore 100/200/1000/2000 points per
second as the GraphQL Admin rate-limits page lists per plan; the bucket holds 20 s of restore (the ratio
Shopify's throttleStatus has always shown, e.g. 1000 points at 50/s before the limits doubled)."""

ROASTIFY_LIMIT = 100
ROASTIFY_WINDOW_S = 60.0


class LeakyBucket:
    """A bucket of ``capacity`` that leaks ``leak_per_s`` units per second."""

    def __init__(self, capacity: float, leak_per_s: float, clock: Clock = time.monotonic) -> None:
        self.capacity = capacity
        self.leak_per_s = leak_per_s
        self._clock = clock
        self._level = 0.0
        self._at = clock()

    def level(self) -> float:
        """Current fill after leaking since the last look."""
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._at) * self.leak_per_s)
        self._at = now
        return self._level

    def free(self) -> float:
        return self.capacity - self.level()

    def try_add(self, amount: float) -> bool:
        """Add ``amount`` if it fits; False (and nothing added) when it would overflow."""
        if amount > self.free():
            return False
        self._level += amount
        return True

    def refund(self, amount: float) -> None:
        """Give back points charged up front but not used."""
        self._level = max(0.0, self.level() - amount)

    def add(self, amount: float) -> None:
        """Add unconditionally (capped at capacity); used after a check already passed."""
        self._level = min(self.capacity, self.level() + amount)


class RollingWindow:
    """At most ``limit`` accepted events in any ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: deque[float] = deque()

    def try_acquire(self) -> bool:
        """Record one event if the window has room; rejected events are not counted."""
        now = self._clock()
        while self._events and self._events[0] <= now - self.window_s:
            self._events.popleft()
        if len(self._events) >= self.limit:
            return False
        self._events.append(now)
        return True

    def count(self) -> int:
        return len(self._events)


class Limits:
    """One account's limiter state, keyed by credential as the providers key it."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self.rest: dict[str, LeakyBucket] = {}
        self.graphql: dict[str, LeakyBucket] = {}
        self.roastify: dict[str, RollingWindow] = {}

    def rest_bucket(self, token: str, plan: PlanLimits) -> LeakyBucket:
        return _bucket(self.rest, token, plan.rest_capacity, plan.rest_leak_per_s, self._clock)

    def graphql_bucket(self, token: str, plan: PlanLimits) -> LeakyBucket:
        return _bucket(self.graphql, token, plan.graphql_max_points, plan.graphql_restore_per_s, self._clock)

    def roastify_window(self, key: str) -> RollingWindow:
        window = self.roastify.get(key)
        if window is None:
            window = self.roastify[key] = RollingWindow(ROASTIFY_LIMIT, ROASTIFY_WINDOW_S, self._clock)
        return window

    def clear(self) -> None:
        self.rest.clear()
        self.graphql.clear()
        self.roastify.clear()


def _bucket(buckets: dict[str, LeakyBucket], key: str, capacity: float, leak: float, clock: Clock) -> LeakyBucket:
    """The bucket for ``key``, rebuilt empty when the plan (capacity or rate) changed."""
    bucket = buckets.get(key)
    if bucket is None or (bucket.capacity, bucket.leak_per_s) != (capacity, leak):
        bucket = buckets[key] = LeakyBucket(capacity, leak, clock)
    return bucket
