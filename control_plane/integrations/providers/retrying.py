"""How a provider call is tried again: the policy, the pause each failure announces, tenacity's loop.

The transport decides, per answer, whether another try is worth it and after
how long (Retry-After, or a capped jittered backoff) and raises
:class:`TryAgain` with that pause; tenacity runs the loop and the pauses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_never


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    """Tries per call for 5xx/timeouts/resets before the job is deferred."""
    throttle_budget_s: float = 120.0
    """Total time one call may spend waiting out 429s."""
    base_backoff_s: float = 0.5
    max_backoff_s: float = 15.0

    def backoff(self, attempt: int) -> float:
        """Exponential with full jitter, so concurrent jobs do not retry in step."""
        ceiling = min(self.max_backoff_s, self.base_backoff_s * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)


def retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


class TryAgain(Exception):
    """One call failed in a way worth another try, after ``delay_s``."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(delay_s)
        self.delay_s = delay_s


def announced_delay(state: RetryCallState) -> float:
    failure = state.outcome.exception() if state.outcome is not None else None
    return failure.delay_s if isinstance(failure, TryAgain) else 0.0


@dataclass
class CallTries:
    """What one ``send`` has spent so far: failed tries, throttles, and seconds waited out on 429s."""

    failures: int = 0
    throttles: int = 0
    throttled_s: float = 0.0


def retrying() -> AsyncRetrying:
    """Try again on :class:`TryAgain` after the pause it names; the transport decides when to stop."""
    return AsyncRetrying(retry=retry_if_exception_type(TryAgain), wait=announced_delay, stop=stop_never, reraise=True)
