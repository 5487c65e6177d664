"""Shopify's GraphQL query-cost bucket per shop, shared by every worker through Redis.

Shopify gives each app and shop one bucket of cost points that restores at a
fixed rate and charges each query its requested cost up front, refunding the
unused part. Every job of a shop spends from that one bucket, so the model of
it lives in Redis: a query *reserves* its requested cost (waiting, with every
other worker, until the points are there), and when the answer comes back the
reservation is *settled*: the refund is given back and Shopify's own
``currentlyAvailable`` wins when it is lower (other apps spend too). A
THROTTLED answer settles the whole reservation back and the retry waits
``(cost - available) / restoreRate`` like every other reservation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from control_plane.domain.ratelimit import RateDecision
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, lua_source, text, unavailable
from control_plane.integrations.redis_state.token_bucket import wait_until_allowed

_SCRIPT = lua_source("query_cost.lua")
ASSUMED_CAPACITY = 1000.0
"""Until a shop's first answer says otherwise, assume the smallest bucket Shopify has documented."""
ASSUMED_RESTORE_PER_S = 50.0
_TTL_S = 3600


@dataclass(frozen=True)
class ThrottleStatus:
    """``extensions.cost.throttleStatus`` of one answer."""

    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def parse(cls, extensions: Any) -> ThrottleStatus | None:
        cost = extensions.get("cost") if isinstance(extensions, dict) else None
        status = cost.get("throttleStatus") if isinstance(cost, dict) else None
        if not isinstance(status, dict):
            return None
        try:
            values = [float(status[k]) for k in ("maximumAvailable", "currentlyAvailable", "restoreRate")]
        except (KeyError, TypeError, ValueError):
            return None
        if not all(math.isfinite(v) and v >= 0 for v in values):
            return None
        return cls(*values)


class QueryCostBucket:
    """Reserve and settle query cost on the shop's shared bucket."""

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_SCRIPT)

    async def reserve(self, key: str, cost: float, *, max_wait_s: float) -> float:
        """Wait until ``cost`` points are reserved; the seconds waited. RateLimited past ``max_wait_s``."""
        return await wait_until_allowed(lambda: self._call(key, "reserve", cost), key=key, max_wait_s=max_wait_s)

    async def settle(self, key: str, refund: float, status: ThrottleStatus | None) -> None:
        """Give back ``refund`` points and align with what Shopify reported."""
        await self._call(key, "settle", max(0.0, refund), status)

    async def _call(self, key: str, op: str, amount: float, status: ThrottleStatus | None = None) -> RateDecision:
        reported: list[Any] = ["", "", ""]
        if status is not None:
            reported = [status.currently_available, status.maximum_available, status.restore_rate]
        args: list[Any] = [op, amount, ASSUMED_CAPACITY, ASSUMED_RESTORE_PER_S, _TTL_S * 1000, *reported]
        try:
            allowed, retry_after, tokens = await self._script(keys=[key], args=args)
        except REDIS_ERRORS as exc:
            raise unavailable(exc) from exc
        return RateDecision(
            allowed=bool(allowed), retry_after_s=float(text(retry_after)), tokens_left=float(text(tokens))
        )
