"""Circuit breakers shared by every worker, one Redis hash per scope, changed only by one Lua script.

The script holds the breaker's rules (counting, opening, the single probe,
closing and re-opening); this module only names the scopes and reads the
answers.  Scopes nest by convention: ``shopify`` guards the whole provider and
``shopify:integration:<uuid>`` one company's integration; a call names all
that apply, broadest first, and every one must let it through.  The last scope
named is the call's source: the provider's scope opens only on failures from
``min_sources`` distinct integrations, the integration's on its own failures.
Transitions go to a capped stream for dashboards and metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from control_plane.domain.breaker import (
    BreakerOpen,
    BreakerPolicy,
    BreakerState,
    BreakerStatus,
    Transition,
    timestamp,
)
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, lua_source, text, unavailable
from control_plane.settings import BreakerSettings

BREAKER_KEY_PREFIX = "icp:breaker:state:"
TRANSITIONS_KEY = "icp:breaker:transitions"
_SCRIPT = lua_source("breaker.lua")
_MIN_STATE_TTL_S = 86_400.0
_MAX_REASON = 300


def breaker_key(scope: str) -> str:
    return BREAKER_KEY_PREFIX + scope


def _scopes(scopes: Sequence[str]) -> list[str]:
    if isinstance(scopes, str):  # a lone scope would otherwise be read letter by letter
        raise TypeError("scopes must be a sequence of scope names, not a string")
    unique = list(dict.fromkeys(scopes))
    if any(not scope or scope != scope.strip() for scope in unique):
        raise ValueError(f"breaker scopes must be non-empty names without surrounding spaces: {unique!r}")
    return unique


class RedisCircuitBreaker:
    """Breakers for any number of scopes, all following one :class:`BreakerPolicy`."""

    def __init__(self, redis: Redis, policy: BreakerPolicy, *, transitions_kept: int) -> None:
        if transitions_kept < 1:
            raise ValueError("transitions_kept must be positive")
        self._redis = redis
        self._policy = policy
        self._kept = transitions_kept
        self._script = redis.register_script(_SCRIPT)

    @classmethod
    def from_settings(cls, redis: Redis, settings: BreakerSettings) -> RedisCircuitBreaker:
        """The deployment's breakers: ``ICP_BREAKER_*`` (the provider scope needs several integrations failing)."""
        policy = BreakerPolicy(
            settings.failure_threshold, settings.open_seconds, min_sources=settings.provider_min_integrations
        )
        return cls(redis, policy, transitions_kept=settings.transitions_kept)

    async def before_call(self, scopes: Sequence[str]) -> None:
        """Return if every scope lets the call through, else raise :class:`BreakerOpen` for the longest wait.

        In half-open only one caller, across all processes, gets through as the probe; it must then
        report with :meth:`record_success` or :meth:`record_failure`.
        """
        names = _scopes(scopes)
        if not names:
            return
        refused, retry_after = await self._run("admit", names)
        if text(refused):
            raise BreakerOpen(text(refused), float(text(retry_after)))

    async def record_success(self, scopes: Sequence[str]) -> None:
        """Resets the consecutive-failure count; closes a half-open breaker."""
        names = _scopes(scopes)
        if names:
            await self._run("success", names)

    async def record_failure(self, scopes: Sequence[str], reason: str) -> None:
        """Counts a failure (5xx, timeout, reset; never a 429) of the last scope's source; re-opens a half-open breaker.

        The other scopes count it too but open only once their run spans ``min_sources`` distinct sources.
        """
        names = _scopes(scopes)
        if names:
            await self._run("failure", names, reason[:_MAX_REASON])

    async def state(self, scope: str) -> BreakerStatus:
        """(state, failures, opened_at, retry_after_s, sources) as of now, for dashboards; changes nothing."""
        reply = (text(value) for value in await self._run("status", _scopes([scope])))
        state, failures, opened_at, retry_after, sources = reply
        return BreakerStatus(
            BreakerState(state),
            int(failures),
            timestamp(float(opened_at)) if opened_at else None,
            float(retry_after),
            int(sources),
        )

    async def recent_transitions(self, limit: int = 100) -> list[Transition]:
        """The last ``limit`` transitions of every scope, oldest first."""
        if limit < 1:
            return []
        try:
            entries = await self._redis.xrevrange(TRANSITIONS_KEY, count=limit)
        except REDIS_ERRORS as exc:
            raise unavailable(exc) from exc
        return [_transition(fields) for _, fields in reversed(entries)]

    async def _run(self, mode: str, scopes: list[str], reason: str = "") -> Any:
        policy = self._policy
        ttl_ms = int(1000 * max(_MIN_STATE_TTL_S, 4 * (policy.open_seconds + policy.lease_s)))
        args: list[Any] = [
            mode,
            reason,
            f"open for {policy.open_seconds:g}s; probing",
            policy.failure_threshold,
            policy.open_seconds,
            policy.lease_s,
            policy.half_open_retry_s,
            self._kept,
            ttl_ms,
            policy.min_sources,
            *scopes,
        ]
        keys = [TRANSITIONS_KEY, *(breaker_key(scope) for scope in scopes)]
        try:
            return await self._script(keys=keys, args=args)
        except REDIS_ERRORS as exc:
            raise unavailable(exc) from exc


def _transition(fields: dict[bytes | str, bytes | str]) -> Transition:
    values = {text(name): text(value) for name, value in fields.items()}
    return Transition(
        scope=values["scope"],
        from_state=BreakerState(values["from"]),
        to_state=BreakerState(values["to"]),
        at=timestamp(float(values["at"])),
        reason=values.get("reason", ""),
    )
