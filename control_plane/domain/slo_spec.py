"""Validate SLO definitions and drill evidence, given as plain data, into the SLO model.

The YAML is parsed at the edge; this module only sees dicts and lists, so a
definition is checked the same way wherever it comes from.  Every error names
the SLO and the field at fault, because an SLO file is edited by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from control_plane.domain.slo import (
    Comparison,
    Indicator,
    Objective,
    SliKind,
    SliSource,
    Slo,
    ThresholdSample,
    parse_duration,
)

E = TypeVar("E", SliKind, SliSource, Comparison)
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_SLO_KEYS = frozenset({"name", "description", "indicator", "objective", "window", "runbook"})
_INDICATOR_KEYS = frozenset({"kind", "source", "measure", "good", "total", "value", "samples", "params"})
_RULE_KEYS = ("good", "total", "value", "samples")
_RULES: dict[SliKind, tuple[str, ...]] = {SliKind.RATIO: ("good", "total"), SliKind.THRESHOLD: ("value",)}
_OPTIONAL_RULES: dict[SliKind, tuple[str, ...]] = {SliKind.RATIO: (), SliKind.THRESHOLD: ("samples",)}
_OBJECTIVE_KEYS = {
    SliKind.RATIO: frozenset({"target"}),
    SliKind.THRESHOLD: frozenset({"threshold", "comparison", "unit"}),
}


class SloSpecError(ValueError):
    """A definition or a piece of evidence is malformed; says which SLO and which field."""

    def __init__(self, slo: str | None, field: str, message: str) -> None:
        where = f"SLO {slo!r}, " if slo else ""
        super().__init__(f"{where}{field}: {message}")
        self.slo = slo
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Observation:
    """One measurement of a drill-sourced SLO (a chaos drill or a load run), e.g. a recovery time."""

    slo: str
    at: datetime
    value: float
    source: str
    run_id: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    """E.g. ``{"lower_bound": True}``: the run waited this long and never saw the event it times."""


def parse_catalog(document: object) -> tuple[Slo, ...]:
    """``{"slos": [...]}`` → the SLOs, in file order; names are unique."""
    if not isinstance(document, Mapping):
        raise SloSpecError(None, "(document)", "expected a mapping with a list under `slos`")
    items = document.get("slos")
    if not isinstance(items, list) or not items:
        raise SloSpecError(None, "slos", "expected a non-empty list of SLOs")
    slos = tuple(parse_slo(item, index) for index, item in enumerate(items))
    seen: set[str] = set()
    for slo in slos:
        if slo.name in seen:
            raise SloSpecError(slo.name, "name", "defined more than once")
        seen.add(slo.name)
    return slos


def parse_slo(item: object, index: int) -> Slo:
    if not isinstance(item, Mapping):
        raise SloSpecError(None, f"slos[{index}]", "expected a mapping")
    raw_name = item.get("name")
    label = raw_name if isinstance(raw_name, str) and raw_name else f"slos[{index}]"
    _no_unknown(label, "", item, _SLO_KEYS)
    name = _text(label, "name", raw_name)
    if not _NAME.match(name):
        raise SloSpecError(label, "name", "use lower-case letters, digits and dashes, starting with a letter")
    indicator = _indicator(name, item.get("indicator"))
    window_text = _text(name, "window", item.get("window"))
    try:
        window = parse_duration(window_text)
    except ValueError as exc:
        raise SloSpecError(name, "window", str(exc)) from exc
    runbook = _text(name, "runbook", item.get("runbook"))
    if not (runbook.startswith("runbooks/") and runbook.endswith(".md")):
        raise SloSpecError(name, "runbook", "expected a path like runbooks/<name>.md")
    return Slo(
        name=name,
        description=_text(name, "description", item.get("description")),
        indicator=indicator,
        objective=_objective(name, indicator.kind, item.get("objective")),
        window=window,
        runbook=runbook,
    )


def _indicator(slo: str, raw: object) -> Indicator:
    if not isinstance(raw, Mapping):
        raise SloSpecError(slo, "indicator", "expected a mapping")
    _no_unknown(slo, "indicator.", raw, _INDICATOR_KEYS)
    kind = _choice(slo, "indicator.kind", raw.get("kind"), SliKind)
    source = _choice(slo, "indicator.source", raw.get("source"), SliSource)
    rules = {key: _text(slo, f"indicator.{key}", raw.get(key)) for key in _RULES[kind]}
    rules |= {key: _text(slo, f"indicator.{key}", raw[key]) for key in _OPTIONAL_RULES[kind] if key in raw}
    for key in _RULE_KEYS:
        if key in raw and key not in rules:
            raise SloSpecError(slo, f"indicator.{key}", f"not a rule of a {kind.value} indicator")
    return Indicator(
        kind=kind,
        source=source,
        measure=_text(slo, "indicator.measure", raw.get("measure")),
        rules=rules,
        params=_params(slo, raw.get("params", {})),
    )


def _params(slo: str, raw: object) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise SloSpecError(slo, "indicator.params", "expected a mapping")
    for key, value in raw.items():
        scalar = isinstance(value, str | int | float) and not (isinstance(value, float) and not math.isfinite(value))
        texts = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        if not isinstance(key, str) or not (scalar or texts):
            raise SloSpecError(slo, f"indicator.params.{key}", "expected a number, a text or a list of texts")
    return dict(raw)


def _objective(slo: str, kind: SliKind, raw: object) -> Objective:
    if not isinstance(raw, Mapping):
        raise SloSpecError(slo, "objective", "expected a mapping")
    allowed = _OBJECTIVE_KEYS[kind]
    for key in raw:
        if key not in allowed:
            raise SloSpecError(slo, f"objective.{key}", f"not a field of a {kind.value} objective ({sorted(allowed)})")
    if kind is SliKind.RATIO:
        target = _number(slo, "objective.target", raw.get("target"))
        if not 0 < target <= 1:
            raise SloSpecError(slo, "objective.target", f"expected a share in (0, 1], got {target}")
        return Objective(target=target)
    threshold = _number(slo, "objective.threshold", raw.get("threshold"))
    if threshold < 0:
        raise SloSpecError(slo, "objective.threshold", f"expected a non-negative number, got {threshold}")
    comparison = _choice(slo, "objective.comparison", raw.get("comparison", "lte"), Comparison)
    return Objective(threshold=threshold, comparison=comparison, unit=_text(slo, "objective.unit", raw.get("unit")))


def parse_observations(document: object, slos: Iterable[Slo]) -> list[Observation]:
    """Drill evidence: a list of ``{"slo", "at", "value", "source"}`` (or ``{"observations": [...]}``)."""
    by_name = {slo.name: slo for slo in slos}
    items = document.get("observations") if isinstance(document, Mapping) else document
    if not isinstance(items, list):
        raise SloSpecError(None, "observations", "expected a list of observations")
    return [_observation(item, f"observations[{index}]", by_name) for index, item in enumerate(items)]


def _observation(item: object, where: str, slos: Mapping[str, Slo]) -> Observation:
    if not isinstance(item, Mapping):
        raise SloSpecError(None, where, "expected a mapping")
    name = _text(None, f"{where}.slo", item.get("slo"))
    slo = slos.get(name)
    if slo is None:
        raise SloSpecError(None, f"{where}.slo", f"no SLO named {name!r}")
    if slo.indicator.source is not SliSource.DRILL:
        raise SloSpecError(name, f"{where}.slo", "is computed from the job store, not from drill evidence")
    raw_at = _text(name, f"{where}.at", item.get("at"))
    try:
        at = datetime.fromisoformat(raw_at)
    except ValueError as exc:
        raise SloSpecError(name, f"{where}.at", f"expected an ISO 8601 time, got {raw_at!r}") from exc
    value = _number(name, f"{where}.value", item.get("value"))
    source = item.get("source", "unspecified")
    return Observation(name, at if at.tzinfo else at.replace(tzinfo=UTC), value, str(source))


def check_observations(observations: Iterable[Observation], slos: Iterable[Slo]) -> list[Observation]:
    """Observations a run hands over, each of a drill-sourced SLO with a finite value; SloSpecError otherwise."""
    by_name = {slo.name: slo for slo in slos}
    checked = []
    for observation in observations:
        slo = by_name.get(observation.slo)
        if slo is None:
            raise SloSpecError(None, "slo", f"no SLO named {observation.slo!r}")
        if slo.indicator.source is not SliSource.DRILL:
            raise SloSpecError(slo.name, "slo", "is computed from the job store, not from drill evidence")
        _number(slo.name, "value", observation.value)
        if observation.at.tzinfo is None:
            raise SloSpecError(slo.name, "at", "expected a time with its offset")
        checked.append(observation)
    return checked


def informative(observation: Observation, slo: Slo) -> bool:
    """False for a lower bound (``details["lower_bound"]``: a run waited this long and never saw what it times)
    that still meets the objective: "at least this long" then proves nothing either way."""
    threshold = slo.objective.threshold
    if not observation.details.get("lower_bound") or threshold is None:
        return True
    return not slo.objective.comparison.holds(observation.value, threshold)


def drill_sample(observations: Iterable[Observation], slo: str, since: datetime, until: datetime) -> ThresholdSample:
    """The worst observation of ``slo`` taken in [since, until); no sample when no drill ran.

    Details name the sources, the run of the worst observation, and whether it is a lower bound.
    """
    taken = [o for o in observations if o.slo == slo and since <= o.at < until]
    if not taken:
        return ThresholdSample(None, 0, {})
    worst = max(taken, key=lambda o: o.value)
    details: dict[str, Any] = {"sources": sorted({o.source for o in taken})}
    if worst.run_id:
        details["worst_run"] = worst.run_id
    if worst.details.get("lower_bound"):
        details["worst_is_lower_bound"] = True
    return ThresholdSample(worst.value, len(taken), details)


def _no_unknown(slo: str, prefix: str, raw: Mapping[Any, Any], allowed: frozenset[str]) -> None:
    for key in raw:
        if key not in allowed:
            raise SloSpecError(slo, f"{prefix}{key}", f"unknown field (expected one of {sorted(allowed)})")


def _text(slo: str | None, field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SloSpecError(slo, field, "expected a non-empty text")
    return value.strip()


def _number(slo: str | None, field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SloSpecError(slo, field, f"expected a finite number, got {value!r}")
    return float(value)


def _choice(slo: str, field: str, value: object, enum: type[E]) -> E:
    for member in enum:
        if member.value == value:
            return member
    raise SloSpecError(slo, field, f"expected one of {[member.value for member in enum]}, got {value!r}")
