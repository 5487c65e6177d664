"""Enforcing per-company limits at the edge's request: API admission (rate and in flight) and the import caps.

Admission needs Redis; if Redis is away the request is let through
(the database still protects itself), because refusing every caller for a
cache outage would turn a degraded dependency into a full outage.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.limits import (
    RateLimitExceeded,
    TooManyInFlight,
    api_bucket,
    api_bucket_key,
    api_in_flight_key,
    check_active_imports,
    check_storage,
)
from control_plane.domain.principals import Principal
from control_plane.integrations.redis_state.edge_admission import EdgeOutcome, RedisEdgeAdmission
from control_plane.settings.limits import LimitSettings

log = structlog.get_logger("control_plane.limits")


IN_FLIGHT_LEASE_S = 180.0
"""How long a request's place among its company's requests in flight is held at most: longer than any
request takes (a long-poll waits 60 s and as long again for a connection), so only a dead process's
places lapse."""


@dataclass(frozen=True)
class AdmissionTicket:
    """A request's place among its limit subject's requests in flight, given back once it is answered."""

    in_flight_key: str
    ticket: str


class ApiAdmission:
    """Admits a request for its company before it takes a database connection: in flight and rate, one round trip."""

    def __init__(self, redis: Redis, limits: LimitSettings) -> None:
        self._edge = RedisEdgeAdmission(redis)
        self._spec = api_bucket(limits.api_requests_per_minute, limits.api_burst)
        self._max_in_flight = limits.api_max_in_flight

    async def admit(self, principal: Principal) -> AdmissionTicket | None:
        """The request's ticket (None if Redis is away: let through); raises :class:`RateLimitExceeded` if refused."""
        ticket = AdmissionTicket(api_in_flight_key(principal), secrets.token_hex(8))
        try:
            decision = await self._edge.admit(
                bucket=api_bucket_key(principal),
                in_flight=ticket.in_flight_key,
                ticket=ticket.ticket,
                spec=self._spec,
                max_in_flight=self._max_in_flight,
                lease_s=IN_FLIGHT_LEASE_S,
            )
        except DependencyUnavailable as exc:
            log.warning("limits.rate_unchecked", error=exc.detail)
            return None
        if decision.outcome is EdgeOutcome.RATE_SPENT:
            raise RateLimitExceeded(decision.retry_after_s)
        if decision.outcome is EdgeOutcome.TOO_MANY_IN_FLIGHT:
            raise TooManyInFlight("requests in flight", self._max_in_flight)
        return ticket

    async def release(self, ticket: AdmissionTicket) -> None:
        try:
            await self._edge.release(in_flight=ticket.in_flight_key, ticket=ticket.ticket)
        except DependencyUnavailable as exc:
            log.warning("limits.in_flight_not_released", error=exc.detail)  # the lease lapses on its own


def check_import_quota(company_id: uuid.UUID, *, active_imports: int, stored_bytes: int, limits: LimitSettings) -> None:
    """Refuse a new import when its company is at its active-import or storage cap.

    The import service calls it after an idempotent replay was ruled out, so a
    replay of an accepted job is answered whatever the company's load; the
    counts come from the submission's one read.
    """
    check_active_imports(company_id, active_imports, limits.max_active_imports)
    check_storage(company_id, stored_bytes, limits.max_storage_bytes)
