"""The breaker's rules as plain Python: the test oracle of the Redis script that implements them.

Product code never calls these; the tests run the same events through this
model and through ``RedisCircuitBreaker`` and compare states and transitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from control_plane.domain.breaker import BreakerPolicy, BreakerState, BreakerStatus, Transition, timestamp


@dataclass(frozen=True)
class Breaker:
    """One scope's state. Times are Unix seconds of the shared clock; ``probe_until`` is the probe lease's end.

    ``sources``: the distinct sources of a shared scope's current run of failures, the first ``min_sources``.
    """

    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float | None = None
    probe_until: float | None = None
    sources: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Step:
    """A breaker after one event, with the transitions (oldest first) that event caused."""

    breaker: Breaker
    transitions: tuple[Transition, ...] = ()

    def then(self, scope: str, new: Breaker, now: float, reason: str) -> Step:
        moved = Transition(scope, self.breaker.state, new.state, timestamp(now), reason)
        return Step(new, (*self.transitions, moved))


def elapse(scope: str, breaker: Breaker, policy: BreakerPolicy, now: float) -> Step:
    """Apply the timer: an open breaker whose time is up becomes half-open, with no probe out yet."""
    step = Step(breaker)
    if breaker.state is BreakerState.OPEN and now - (breaker.opened_at or 0.0) >= policy.open_seconds:
        half_open = replace(breaker, state=BreakerState.HALF_OPEN, probe_until=None)
        return step.then(scope, half_open, now, f"open for {policy.open_seconds:g}s; probing")
    return step


def refusal(breaker: Breaker, policy: BreakerPolicy, now: float) -> float:
    """0 when a call may go ahead (timer already applied), else the seconds to wait before asking again."""
    if breaker.state is BreakerState.OPEN:
        return max(0.001, (breaker.opened_at or 0.0) + policy.open_seconds - now)
    if breaker.state is BreakerState.HALF_OPEN and breaker.probe_until is not None and breaker.probe_until > now:
        return max(0.001, min(policy.half_open_retry_s, breaker.probe_until - now))
    return 0.0


def grant(breaker: Breaker, policy: BreakerPolicy, now: float) -> Breaker:
    """Admit one call; in half-open that call takes the single probe permit."""
    if breaker.state is BreakerState.HALF_OPEN:
        return replace(breaker, probe_until=now + policy.lease_s)
    return breaker


def on_success(scope: str, breaker: Breaker, policy: BreakerPolicy, now: float) -> Step:
    """A success resets the consecutive count; in half-open it closes the breaker. An open breaker ignores it."""
    step = elapse(scope, breaker, policy, now)
    if step.breaker.state is BreakerState.HALF_OPEN:
        return step.then(scope, Breaker(), now, "probe succeeded")
    if step.breaker.state is BreakerState.CLOSED:
        return Step(Breaker())
    return step


def on_failure(
    scope: str, breaker: Breaker, policy: BreakerPolicy, now: float, reason: str, source: str | None = None
) -> Step:
    """Count a consecutive failure of ``source`` (default: the scope itself); a failed probe re-opens afresh.

    The threshold opens the source's own scope; a shared scope (``source`` is another scope) opens only
    once its run has also seen ``min_sources`` distinct sources.
    """
    step = elapse(scope, breaker, policy, now)
    current = step.breaker
    if current.state is BreakerState.HALF_OPEN:
        return step.then(
            scope, Breaker(BreakerState.OPEN, current.failures, opened_at=now), now, f"probe failed: {reason}"
        )
    if current.state is BreakerState.OPEN:
        return step  # late answers from calls started before it opened
    need = 1 if source in (None, scope) else policy.min_sources
    sources = current.sources
    if need > 1 and len(sources) < need:
        sources = sources | {source or scope}
    failures = current.failures + 1
    if failures < policy.failure_threshold or (need > 1 and len(sources) < need):
        return Step(replace(current, failures=failures, sources=sources))
    across = f" across {len(sources)} integrations" if need > 1 else ""
    opened = Breaker(BreakerState.OPEN, failures, opened_at=now)
    return step.then(scope, opened, now, f"{failures} consecutive failures{across}; last: {reason}")


def on_call_failure(breakers: Mapping[str, Breaker], policy: BreakerPolicy, now: float, reason: str) -> dict[str, Step]:
    """A failure reported for a call's scopes (broadest first): the last one names the source."""
    source = list(breakers)[-1]
    return {scope: on_failure(scope, b, policy, now, reason, source) for scope, b in breakers.items()}


@dataclass(frozen=True)
class Admission:
    """The answer for a call guarded by several scopes: the worst refusal, or leave to go (probes taken)."""

    refused_scope: str | None
    retry_after_s: float
    breakers: dict[str, Breaker]
    transitions: tuple[Transition, ...]

    @property
    def allowed(self) -> bool:
        return self.refused_scope is None


def admit(breakers: Mapping[str, Breaker], policy: BreakerPolicy, now: float) -> Admission:
    """Every scope must let the call through; probe permits are taken only then, so a refusal wastes none."""
    steps = {scope: elapse(scope, breaker, policy, now) for scope, breaker in breakers.items()}
    transitions = tuple(moved for step in steps.values() for moved in step.transitions)
    waits = {scope: refusal(step.breaker, policy, now) for scope, step in steps.items()}
    worst = max(waits, key=lambda scope: waits[scope], default=None)
    if worst is not None and waits[worst] > 0:
        return Admission(worst, waits[worst], {scope: step.breaker for scope, step in steps.items()}, transitions)
    granted = {scope: grant(step.breaker, policy, now) for scope, step in steps.items()}
    return Admission(None, 0.0, granted, transitions)


def status(breaker: Breaker, policy: BreakerPolicy, now: float) -> BreakerStatus:
    """The state as a caller would find it now, without changing anything."""
    current = elapse("", breaker, policy, now).breaker
    opened_at = timestamp(current.opened_at) if current.opened_at is not None else None
    return BreakerStatus(
        current.state, current.failures, opened_at, refusal(current, policy, now), len(current.sources)
    )
