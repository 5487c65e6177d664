"""Circuit breakers: their states, policy, transitions and the refusal callers see.

Consecutive failures open a breaker; after ``open_seconds`` it is half-open and
exactly one caller gets a probe permit; the probe's outcome closes or re-opens
it.  A call names its scopes broadest first, and the last one is the call's
*source*: a scope shared by several sources (a provider, shared by every
integration on it) opens only when its run of consecutive failures came from at
least ``min_sources`` distinct sources, so one sick shop trips its own breaker
and not the whole provider's.  Those rules have one implementation, the Redis script behind
:class:`control_plane.integrations.redis_state.circuit_breaker.RedisCircuitBreaker`,
which applies them atomically on the server's clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerPolicy:
    """``failure_threshold`` consecutive failures open the breaker for ``open_seconds``.

    A granted probe that never reports back (its worker died) stops blocking
    after ``probe_lease_s`` (default: ``open_seconds``), when another caller may
    probe. Callers refused while a probe is out are told to retry after
    ``half_open_retry_s`` at most, since the outcome usually comes soon.

    A shared scope (one that is not the call's source) also needs the run of
    failures to span ``min_sources`` distinct sources; a success from any
    source still ends the run. 1 keeps every scope on the threshold alone.
    """

    failure_threshold: int
    open_seconds: float
    probe_lease_s: float | None = None
    half_open_retry_s: float = 1.0
    min_sources: int = 1

    def __post_init__(self) -> None:
        for name in ("failure_threshold", "min_sources"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, not {getattr(self, name)!r}")
        for name in ("open_seconds", "half_open_retry_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite positive number, not {value!r}")
        if self.probe_lease_s is not None and not (math.isfinite(self.probe_lease_s) and self.probe_lease_s > 0):
            raise ValueError(f"probe_lease_s must be a finite positive number, not {self.probe_lease_s!r}")

    @property
    def lease_s(self) -> float:
        return self.probe_lease_s if self.probe_lease_s is not None else self.open_seconds


@dataclass(frozen=True)
class Transition:
    """A change of state, kept for dashboards and metrics."""

    scope: str
    from_state: BreakerState
    to_state: BreakerState
    at: datetime
    reason: str


class BreakerStatus(NamedTuple):
    """What a dashboard shows for one scope (the state as of now, timers applied).

    ``sources`` counts the distinct sources a shared scope's current run has seen (at most ``min_sources``).
    """

    state: BreakerState
    failures: int
    opened_at: datetime | None
    retry_after_s: float
    sources: int = 0


class BreakerOpen(Exception):
    """The dependency behind ``scope`` is being left alone; try again after ``retry_after_s``."""

    def __init__(self, scope: str, retry_after_s: float) -> None:
        super().__init__(f"circuit breaker {scope!r} is open; retry after {retry_after_s:.3f}s")
        self.scope = scope
        self.retry_after_s = retry_after_s


def breaker_scopes(provider: str, integration_id: str) -> list[str]:
    """The scopes guarding one integration's calls: the whole provider, then that integration (the source)."""
    return [provider, f"{provider}:integration:{integration_id}"]


def timestamp(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)
