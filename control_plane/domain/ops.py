"""The figures the control plane observes about itself, gathered once per scrape or evaluation.

One immutable snapshot feeds the Prometheus collector, the alarm rules, the
autoscaler and the EMF log line, so all four always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DURATION_BUCKETS_S: tuple[float, ...] = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
"""Upper bounds of the job-duration histogram, fine enough to read p50/p95/p99."""

RECENT_WINDOW_S = 3600
"""The window of "recent" job counts, durations and the success rate."""

PROVIDER_WINDOW_S = 300
"""The window of the provider error ratio."""

TRANSPORT_ERROR = "transport_error"
"""Status label of a provider call that got no HTTP response (timeout, reset, refused)."""


@dataclass(frozen=True)
class JobCounts:
    started: int = 0
    completed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Durations:
    """Finished jobs' run times: cumulative counts per bucket bound (then +Inf), count and sum."""

    cumulative: tuple[int, ...] = (0,) * (len(DURATION_BUCKETS_S) + 1)
    sum_s: float = 0.0

    @property
    def count(self) -> int:
        return self.cumulative[-1]


@dataclass(frozen=True)
class ProviderCalls:
    """Provider call counters: all-time by (provider, status), and the recent window's totals."""

    by_status: Mapping[tuple[str, str], int] = field(default_factory=dict)
    rate_limit_waits: Mapping[str, int] = field(default_factory=dict)
    deprecated_calls: Mapping[str, int] = field(default_factory=dict)
    """Answers that said the call used something the provider has deprecated, by provider."""
    recent_requests: int = 0
    recent_errors: int = 0

    @property
    def error_ratio(self) -> float | None:
        return self.recent_errors / self.recent_requests if self.recent_requests else None


@dataclass(frozen=True)
class OpsFigures:
    waiting: int = 0
    """Entries of the arq queue due now."""
    delayed: int = 0
    """Entries of the arq queue due later (deferred, retry backoff)."""
    active: int = 0
    """RUNNING jobs."""
    dead: int = 0
    """FAILED jobs."""
    oldest_waiting_age_s: float | None = None
    recent: JobCounts = JobCounts()
    totals: JobCounts = JobCounts()
    durations: Durations = Durations()
    live_workers: int = 0
    breakers: Mapping[str, str] = field(default_factory=dict)
    """Scope to breaker state (closed, open, half_open)."""
    reconcile_actions: Mapping[str, int] = field(default_factory=dict)
    provider: ProviderCalls = ProviderCalls()

    @property
    def queue_depth(self) -> int:
        """Jobs waiting in the queue, due or deferred: what admission tiers and overload are about."""
        return self.waiting + self.delayed

    @property
    def backlog(self) -> int:
        """Work needing a worker now (waiting plus running): what the autoscaler sizes for."""
        return self.waiting + self.active

    @property
    def success_rate(self) -> float | None:
        """COMPLETED / (COMPLETED + FAILED) over the recent window; None when nothing finished."""
        finished = self.recent.completed + self.recent.failed
        return self.recent.completed / finished if finished else None
