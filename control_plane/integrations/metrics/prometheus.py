"""Prometheus exposition of one :class:`OpsFigures` snapshot, via a custom collector.

The figures are computed from PostgreSQL and Redis when scraped, so any API
replica answers for the whole fleet; a fresh registry per scrape keeps no state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from control_plane.domain.ops import DURATION_BUCKETS_S, OpsFigures
from control_plane.integrations.metrics.provider_calls import is_error

CONTENT_TYPE = "text/plain; version=0.0.4"
"""The exposition format's media type; the framework adds `charset=utf-8`, as it does to every text type."""
BREAKER_VALUES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}


@dataclass(frozen=True)
class Exposition:
    """Everything one scrape shows: the figures plus the alarm and autoscaler verdicts."""

    figures: OpsFigures
    severities: Mapping[str, str] = field(default_factory=dict)
    """Alarm name to severity, for every known alarm (firing or not)."""
    active_alarms: frozenset[str] = frozenset()
    desired_workers: int | None = None


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _labelled(family: GaugeMetricFamily | CounterMetricFamily, rows: Mapping[tuple[str, ...], float]) -> Metric:
    for labels, value in sorted(rows.items()):
        family.add_metric(list(labels), value)
    return family


def _queue(f: OpsFigures) -> Iterator[Metric]:
    depth = GaugeMetricFamily("icp_queue_depth", "Jobs by queue state.", labels=["state"])
    for state, value in (("waiting", f.waiting), ("delayed", f.delayed), ("active", f.active), ("dead", f.dead)):
        depth.add_metric([state], value)
    yield depth
    oldest = f.oldest_waiting_age_s
    yield _gauge("icp_queue_oldest_waiting_age_seconds", "Age of the oldest PENDING/QUEUED job.", oldest or 0.0)


def _jobs(f: OpsFigures) -> Iterator[Metric]:
    for event in ("started", "completed", "failed"):
        yield CounterMetricFamily(
            f"icp_jobs_{event}", f"Jobs {event}, from the job timeline.", getattr(f.totals, event)
        )
    recent = GaugeMetricFamily(
        "icp_jobs_last_hour", "Jobs started/completed/failed in the last hour.", labels=["event"]
    )
    yield _labelled(recent, {(e,): getattr(f.recent, e) for e in ("started", "completed", "failed")})
    bounds = [*(str(float(b)) for b in DURATION_BUCKETS_S), "+Inf"]
    yield HistogramMetricFamily(
        "icp_job_duration_seconds",
        "Run time of jobs finished in the last hour (histogram_quantile without rate()).",
        buckets=list(zip(bounds, f.durations.cumulative, strict=True)),
        sum_value=f.durations.sum_s,
    )
    if f.success_rate is not None:
        yield _gauge("icp_success_rate_last_hour", "COMPLETED/(COMPLETED+FAILED) over the last hour.", f.success_rate)


def _fleet(f: OpsFigures) -> Iterator[Metric]:
    yield _gauge("icp_workers_live", "Worker processes with a fresh presence stamp.", f.live_workers)
    circuit = GaugeMetricFamily("icp_circuit_state", "Breaker state: 0 closed, 1 half-open, 2 open.", labels=["scope"])
    yield _labelled(circuit, {(scope,): BREAKER_VALUES.get(state, 2.0) for scope, state in f.breakers.items()})
    actions = CounterMetricFamily("icp_reconcile_actions", "Reconciliation actions taken.", labels=["action"])
    yield _labelled(actions, {(a,): n for a, n in f.reconcile_actions.items()})


def _providers(f: OpsFigures) -> Iterator[Metric]:
    calls = f.provider.by_status
    requests = CounterMetricFamily("icp_provider_requests", "Provider calls by status.", labels=["provider", "status"])
    yield _labelled(requests, dict(calls.items()))
    errors: dict[tuple[str, ...], float] = {}
    for (provider, status), count in calls.items():
        if is_error(status):
            errors[(provider,)] = errors.get((provider,), 0) + count
    yield _labelled(
        CounterMetricFamily("icp_provider_errors", "Provider 5xx and no-response calls.", labels=["provider"]), errors
    )
    waits = CounterMetricFamily("icp_rate_limit_waits", "Calls that waited for rate limits.", labels=["provider"])
    yield _labelled(waits, {(p,): n for p, n in f.provider.rate_limit_waits.items()})
    deprecated = CounterMetricFamily(
        "icp_provider_deprecated_calls", "Provider answers saying the call used a deprecated API.", labels=["provider"]
    )
    yield _labelled(deprecated, {(p,): n for p, n in f.provider.deprecated_calls.items()})
    if f.provider.error_ratio is not None:
        yield _gauge(
            "icp_provider_error_ratio", "Provider errors / calls over the last 5 minutes.", f.provider.error_ratio
        )


class OpsCollector(Collector):
    def __init__(self, exposition: Exposition) -> None:
        self._exposition = exposition

    def collect(self) -> Iterator[Metric]:
        e = self._exposition
        for part in (_queue, _jobs, _fleet, _providers):
            yield from part(e.figures)
        alarms = GaugeMetricFamily("icp_alarm_firing", "1 while the alarm fires.", labels=["alarm", "severity"])
        yield _labelled(alarms, {(n, s): float(n in e.active_alarms) for n, s in e.severities.items()})
        if e.desired_workers is not None:
            yield _gauge("icp_autoscaler_desired_workers", "Workers the autoscaler asks for.", e.desired_workers)


def render(exposition: Exposition) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OpsCollector(exposition))
    return generate_latest(registry)
