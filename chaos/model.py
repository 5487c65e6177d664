"""What a drill records and how it is judged: pure data and rules, no I/O.

A drill passes only when something was injected, the steady state held
before *and* after, every invariant held (there must be some), the system
itself signalled the fault within the drill's detection target, and imports
flowed again within the REQ-MTTR target.  A steady state that fails before
injection, a drill step that raised, a wait that timed out or an interrupted
run aborts the drill: its verdict is ``aborted`` (reported as a fail), whatever
was measured before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Check:
    """One probe of the steady-state hypothesis or one invariant: what was measured against what."""

    name: str
    ok: bool
    value: Any = None
    target: Any = None
    detail: str = ""


@dataclass(frozen=True)
class Action:
    """One line of the timeline: an injection, a rollback, an observation worth its time."""

    at: datetime
    offset_s: float
    """Seconds since the drill started."""
    kind: str
    """``hypothesis``, ``inject``, ``rollback``, ``detect``, ``recover``, ``workload``, ``note``."""
    what: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FailureTarget:
    """A row of the recovery table (REQ-MTTR-1..7): the failure and its MTTR target."""

    failure: str
    mttr_s: float
    strategy: str


SEED_FAILURES: dict[str, FailureTarget] = {
    "redis": FailureTarget("Redis crash", 60.0, "ElastiCache auto-failover + orphan detection"),
    "worker": FailureTarget("Worker crash", 60.0, "Kubernetes auto-restart + Bull retry stalled jobs"),
    "db": FailureTarget("DB timeout", 5.0, "Exponential backoff retry"),
    "provider": FailureTarget("Provider API down", 30 * 60.0, "Circuit breaker + manual retry endpoint"),
    "network": FailureTarget("Network partition", 5 * 60.0, "TCP keepalive + reconnect"),
    "oom": FailureTarget("OOM in worker", 60.0, "Pod restart + increase memory limits"),
    "s3": FailureTarget("S3 throttling / outage", 5 * 60.0, "Exponential backoff, batch uploads"),
}
"""MTTR targets REQ-MTTR-1..7: Redis, worker, DB, provider, network, OOM, and S3 (REQ-MTTR-7, backoff)."""


@dataclass(frozen=True)
class SloValue:
    """What a drill measured for a drill-sourced SLO (:mod:`chaos.slo_evidence`)."""

    value: float
    lower_bound: bool = False
    """The drill waited ``value`` and never saw what it times: the true figure is larger still."""


@dataclass
class DrillRecord:
    """Everything one drill run observed; :func:`verdict` judges it."""

    drill: str
    run_id: str
    runbook: str
    failure: FailureTarget
    started_at: datetime
    finished_at: datetime | None = None
    before: list[Check] = field(default_factory=list)
    after: list[Check] = field(default_factory=list)
    invariants: list[Check] = field(default_factory=list)
    timeline: list[Action] = field(default_factory=list)
    detect_s: float | None = None
    """Seconds from the injection to the first signal *of the system* (readiness, breaker, lease sweep, a job's
    retry or deferral); harness pings do not count."""
    detect_target_s: float = 30.0
    recover_s: float | None = None
    """Seconds from the fault lifted until imports flow again (a job submitted after it started, and a job
    committed products or finished)."""
    aborted: str | None = None
    """Why the drill did not inject (steady state failed before) or stopped early (raised, timed out, interrupted)."""
    workload: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    """What the run's figures depend on: workload size, shop plan, the control plane's timers, workers."""
    slo_values: dict[str, SloValue] = field(default_factory=dict)
    """SLO name → what this run measured for it; recorded in the job store only if the drill did not abort."""

    def note(self, at: datetime, kind: str, what: str, **attributes: Any) -> Action:
        action = Action(at, round((at - self.started_at).total_seconds(), 3), kind, what, attributes)
        self.timeline.append(action)
        return action


def recovery_check(record: DrillRecord) -> Check:
    """Time to recover against the REQ-MTTR target; a drill that never recovered fails."""
    target = record.failure.mttr_s
    if record.recover_s is None:
        return Check("time to recover (s)", False, None, f"< {target:g}", "did not recover within the drill")
    return Check("time to recover (s)", record.recover_s < target, round(record.recover_s, 2), f"< {target:g}")


def detection_check(record: DrillRecord) -> Check:
    """Time until the system itself signalled the fault, against the drill's target; never signalled fails."""
    target = record.detect_target_s
    if record.detect_s is None:
        return Check("time to detect (s)", False, None, f"< {target:g}", "the system never signalled the fault")
    return Check("time to detect (s)", record.detect_s < target, round(record.detect_s, 2), f"< {target:g}")


def verdict(record: DrillRecord) -> str:
    """``pass`` only if something was injected, nothing aborted, both steady states held, there were invariants
    and every one held, and detection and recovery beat their targets."""
    if record.aborted is not None:
        return "aborted"
    if not any(action.kind == "inject" for action in record.timeline):
        return "fail"  # nothing was broken: the run proves nothing
    if not (record.before and record.after and record.invariants):
        return "fail"  # a run that checked nothing afterwards proves nothing either
    checks = [*record.before, *record.after, *record.invariants, detection_check(record), recovery_check(record)]
    return "pass" if all(check.ok for check in checks) else "fail"


def as_json(record: DrillRecord) -> dict[str, Any]:
    """The drill in the shared report shape (kind, name, run_id, times, verdict, items, charts) plus its detail."""
    outcome = verdict(record)
    recovery = recovery_check(record)
    items = [_item(c, "before: ") for c in record.before]
    items += [_item(c, "after: ") for c in record.after]
    items += [_item(c, "invariant: ") for c in record.invariants]
    items.append(_item(detection_check(record), ""))
    items.append(_item(recovery, ""))
    return {
        "kind": "chaos",
        "name": record.drill,
        "run_id": record.run_id,
        "started_at": record.started_at.isoformat(),
        "finished_at": (record.finished_at or record.started_at).isoformat(),
        "verdict": "pass" if outcome == "pass" else "fail",
        "outcome": outcome,
        "aborted": record.aborted,
        "runbook": record.runbook,
        "failure": asdict(record.failure),
        "detect_s": _round(record.detect_s),
        "detect_target_s": record.detect_target_s,
        "recover_s": _round(record.recover_s),
        "items": items,
        "timeline": [{**asdict(a), "at": a.at.isoformat()} for a in record.timeline],
        "workload": record.workload,
        "conditions": record.conditions,
        "slo_values": {name: asdict(value) for name, value in record.slo_values.items()},
        "charts": [],
    }


def _item(check: Check, prefix: str) -> dict[str, Any]:
    return {
        "name": prefix + check.name,
        "value": check.value,
        "target": check.target,
        "verdict": "pass" if check.ok else "fail",
        "detail": check.detail,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
