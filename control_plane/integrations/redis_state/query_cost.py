"""Shopify's GraphQL query-cost bucket per shop, shared by every worker through Redis.

Shopify gives each app and shop one bucket of cost points that restores at a
fixed rate and charges each query its requested cost up front, refunding the
unused part. Every job of a shop spends from that one bucket, so the model of
it lives in Redis: a query *reserves* its requested cost (waiting, with every
other worker, until the points are there), and when the answer comes back the
reservation is *settled*: Shopify's ``currentlyAvailable`` less what other
reservations still have in flight becomes the model's balance (other apps
spend from the bucket too, and Shopify knows its plan better than we do); an
answer without a status gives back the unused part. A THROTTLED answer
settles the whole reservation back and the retry waits
``(cost - available) / restoreRate`` like every other reservation.
"""

from __future__ import annotations

import math
import uuid
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
LAPSE_S = 180
"""A reservation not settled by then (its worker died mid-call) no longer counts as in flight."""
RECHECK_S = 0.5
"""Longest sleep of a waiting reservation: another job's refund can make room before the restore would."""


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


@dataclass(frozen=True)
class Reservation:
    """Points taken for one call, until its answer settles them."""

    key: str
    id: str
    points: float


class QueryCostBucket:
    """Reserve and settle query cost on the shop's shared bucket."""

    def __init__(self, redis: Redis, *, lapse_s: float = LAPSE_S) -> None:
        self._script = redis.register_script(_SCRIPT)
        self._lapse_s = lapse_s

    async def reserve(self, key: str, cost: float, *, max_wait_s: float) -> Reservation:
        """Wait until ``cost`` points are reserved. RateLimited as soon as that would pass ``max_wait_s``."""
        reservation = Reservation(key, uuid.uuid4().hex, cost)
        await wait_until_allowed(
            lambda: self._call(reservation, "reserve", cost), key=key, max_wait_s=max_wait_s, max_pause_s=RECHECK_S
        )
        return reservation

    async def settle(self, reservation: Reservation, refund: float, status: ThrottleStatus | None) -> None:
        """End the reservation: give back ``refund`` points, or believe Shopify's ``status`` when it sent one."""
        await self._call(reservation, "settle", max(0.0, refund), status)

    async def _call(
        self, reservation: Reservation, op: str, amount: float, status: ThrottleStatus | None = None
    ) -> RateDecision:
        reported: list[Any] = ["", "", ""]
        if status is not None:
            reported = [status.currently_available, status.maximum_available, status.restore_rate]
        tag = "{" + reservation.key + "}"  # both keys in one cluster slot
        args: list[Any] = [
            op,
            reservation.id,
            amount,
            ASSUMED_CAPACITY,
            ASSUMED_RESTORE_PER_S,
            _TTL_S * 1000,
            self._lapse_s,
            *reported,
        ]
        try:
            allowed, retry_after, tokens = await self._script(keys=[tag, f"{tag}:inflight"], args=args)
        except REDIS_ERRORS as exc:
            raise unavailable(exc) from exc
        return RateDecision(
            allowed=bool(allowed), retry_after_s=float(text(retry_after)), tokens_left=float(text(tokens))
        )
