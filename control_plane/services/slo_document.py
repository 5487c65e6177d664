"""SLO verification results as JSON-ready data and display strings, shared by the CLI and the ops API."""

from __future__ import annotations

from typing import Any

from control_plane.domain.slo import Comparison, Evaluation, SliKind, Verdict
from control_plane.services.slo import SloReport


def as_document(reports: list[SloReport]) -> dict[str, Any]:
    """The verification as JSON-ready data, one entry per SLO."""
    items = []
    for report in reports:
        evaluation, slo = report.evaluation, report.evaluation.slo
        items.append(
            {
                "name": slo.name,
                "source": slo.indicator.source.value,
                "verdict": evaluation.verdict.value,
                "value": evaluation.value,
                "objective": objective_text(evaluation),
                "samples": evaluation.samples,
                "error_budget_left": evaluation.error_budget_left,
                "confidence_interval_95": list(evaluation.interval) if evaluation.interval else None,
                "since": report.since.isoformat(),
                "until": report.until.isoformat(),
                "details": dict(evaluation.details),
                "runbook": slo.runbook,
            }
        )
    breaches = sum(1 for item in items if item["verdict"] == Verdict.BREACH.value)
    return {"breaches": breaches, "slos": items}


def value_text(evaluation: Evaluation) -> str:
    if evaluation.value is None:
        return "-"
    if evaluation.slo.kind is SliKind.RATIO:
        return f"{evaluation.value:.2%}"
    return _quantity(evaluation.value, evaluation.slo.objective.unit)


def objective_text(evaluation: Evaluation) -> str:
    objective = evaluation.slo.objective
    if objective.target is not None:
        return f">= {objective.target:.2%}"
    assert objective.threshold is not None  # a threshold SLO, validated at load
    symbol = "<" if objective.comparison is Comparison.LT else "<="
    return f"{symbol} {_quantity(objective.threshold, objective.unit)}"


def _quantity(value: float, unit: str) -> str:
    number = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return f"{number} {unit}".strip()
