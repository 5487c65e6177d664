"""A chaos plan for a load run: at +T, which fault, for how long (``importctl load run --chaos PLAN``).

A plan is a TOML file of ``[[fault]]`` tables, each with ``at`` (seconds after the
vendors start), ``kind`` (:class:`FaultKind`) and ``for`` (seconds the fault lasts:
a killed process is restarted that long after its kill). ``worker`` names the worker
a ``worker-kill`` kills (``worker-1`` unless given); ``share`` is the share of the
run's shops a ``provider-storm`` makes answer 503 (0.25 unless given). ``PLAN`` is a
path, or the name of a plan shipped in ``loadtests/load/chaos_plans/`` (``default``).
Pure: parsing only; ``loadtests/load/chaos_run.py`` carries a plan out.
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLANS_DIR = Path(__file__).with_name("chaos_plans")
DEFAULT_WORKER = "worker-1"
DEFAULT_SHARE = 0.25
_KEYS = {"at", "kind", "for", "worker", "share"}


class FaultKind(enum.StrEnum):
    """What a plan can break during a run."""

    WORKER_KILL = "worker-kill"
    """SIGKILL of one worker process; restarted when the fault ends (its leases must lapse and be taken over)."""
    REDIS_KILL = "redis-kill"
    """SIGKILL of redis-server; restarted from its AOF when the fault ends (the reconciler re-files what it lost)."""
    DATABASE_OUTAGE = "database-outage"
    """PostgreSQL unreachable for API and workers (its proxy disabled); the harness watches on the direct port."""
    PROVIDER_STORM = "provider-storm"
    """A share of the run's shops answer every API call with 503 (the simulator's 5xx burst)."""


class PlanError(ValueError):
    """The plan cannot be carried out as written; the message names the fault and the field."""


@dataclass(frozen=True)
class PlannedFault:
    at_s: float
    kind: FaultKind
    for_s: float
    worker: str = DEFAULT_WORKER
    share: float = DEFAULT_SHARE

    @property
    def ends_s(self) -> float:
        return self.at_s + self.for_s

    def describe(self) -> str:
        target = {FaultKind.WORKER_KILL: f" {self.worker}", FaultKind.PROVIDER_STORM: f" ({self.share:.0%} of shops)"}
        return f"+{self.at_s:g} s {self.kind.value}{target.get(self.kind, '')} for {self.for_s:g} s"


@dataclass(frozen=True)
class ChaosPlan:
    name: str
    faults: tuple[PlannedFault, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "faults": [fault.describe() for fault in self.faults]}


@dataclass
class FaultWindow:
    """One planned fault as carried out: times in seconds since the run's origin, and the sign it hit the system."""

    planned: str
    kind: str
    injected_at: float | None = None
    lifted_at: float | None = None
    evidence: str | None = None
    """What showed the fault reached the system (a worker gone, readiness 503, 503s served); None: nothing did."""
    error: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def carried_out(self) -> bool:
        return self.error is None and self.injected_at is not None and self.lifted_at is not None

    @property
    def problem(self) -> str | None:
        """Why this fault does not count as tested, or None when it was carried out and reached the system."""
        if not self.carried_out:
            return self.error or "not injected and lifted"
        if not self.evidence:
            return "injected, but nothing showed it reached the system"
        return None


def load_plan(spec: str) -> ChaosPlan:
    """The plan at path ``spec``, or the shipped plan of that name."""
    shipped = PLANS_DIR / f"{spec}.toml"
    path = shipped if shipped.is_file() else Path(spec)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PLANS_DIR.glob("*.toml")))
        raise PlanError(f"no chaos plan {spec!r}: give a TOML file or one of: {known}")
    return parse_plan(path.read_text(encoding="utf-8"), name=path.stem if path == shipped else str(path))


def parse_plan(text: str, name: str) -> ChaosPlan:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PlanError(f"{name}: not TOML: {error}") from error
    if set(document) - {"fault"} or not isinstance(document.get("fault"), list) or not document["fault"]:
        raise PlanError(f"{name}: a plan is one or more [[fault]] tables and nothing else")
    faults = tuple(sorted((_fault(n, table) for n, table in enumerate(document["fault"], 1)), key=lambda f: f.at_s))
    _refuse_overlaps(faults)
    return ChaosPlan(name, faults)


def _fault(number: int, table: dict[str, Any]) -> PlannedFault:
    where = f"fault {number}"
    if unknown := set(table) - _KEYS:
        raise PlanError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_KEYS))})")
    try:
        kind = FaultKind(str(table.get("kind")))
    except ValueError:
        raise PlanError(f"{where}: kind must be one of {', '.join(k.value for k in FaultKind)}") from None
    at_s, for_s = _seconds(where, "at", table, minimum=0.0), _seconds(where, "for", table, minimum=0.1)
    worker = table.get("worker", DEFAULT_WORKER)
    if not isinstance(worker, str) or not worker:
        raise PlanError(f"{where}: worker must name a worker (the stack's are worker-1, worker-2, ...)")
    share = table.get("share", DEFAULT_SHARE)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise PlanError(f"{where}: share must be a number in (0, 1]")
    return PlannedFault(at_s, kind, for_s, worker=worker, share=float(share))


def _seconds(where: str, key: str, table: dict[str, Any], *, minimum: float) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise PlanError(f"{where}: {key} must be a number of seconds, at least {minimum:g}")
    return float(value)


def _refuse_overlaps(faults: tuple[PlannedFault, ...]) -> None:
    """Two faults of one kind at once would undo each other's rollback; faults of different kinds may overlap."""
    last_end: dict[FaultKind, PlannedFault] = {}
    for fault in faults:
        earlier = last_end.get(fault.kind)
        if earlier is not None and fault.at_s < earlier.ends_s:
            raise PlanError(f"{fault.describe()} starts before {earlier.describe()} has ended")
        last_end[fault.kind] = fault
