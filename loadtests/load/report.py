"""The run's report folder: report.json (the verdict, source of truth) and summary.md."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Report:
    name: str
    run_id: str
    started_at: str
    finished_at: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def item(self, name: str, value: Any, target: Any, ok: bool, **details: Any) -> None:
        self.items.append(
            {"name": name, "value": value, "target": target, "verdict": "pass" if ok else "fail", **details}
        )

    @property
    def verdict(self) -> str:
        """Over the judged items: a chaos run reports some figures without judging them (``chaos_verdict``)."""
        judged = [item for item in self.items if item.get("judged", True)]
        return "pass" if judged and all(item["verdict"] == "pass" for item in judged) else "fail"

    def document(self) -> dict[str, Any]:
        return {
            "kind": "load",
            "name": self.name,
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "verdict": self.verdict,
            "items": self.items,
            "charts": self.charts,
            **self.extra,
        }

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(json.dumps(self.document(), indent=2, default=str), encoding="utf-8")
        (folder / "summary.md").write_text(self.markdown(), encoding="utf-8")

    def markdown(self) -> str:
        lines = [
            f"# Load run {self.run_id}: {self.verdict.upper()}",
            "",
            f"{self.name}; {self.started_at} to {self.finished_at}. The verdict is report.json's.",
            "",
            "| item | value | target | verdict |",
            "|---|---|---|---|",
        ]
        lines += [f"| {i['name']} | {_text(i['value'])} | {_text(i['target'])} | {_verdict(i)} |" for i in self.items]
        sections = (
            ("Configuration", "configuration"),
            ("Figures", "figures"),
            ("Slot utilisation while a backlog waited", "utilisation"),
            ("CPU-seconds of the drive phase, per process class", "cpu"),
            ("Capacity model", "capacity"),
            ("Accounting", "accounting"),
        )
        for title, key in sections:
            section = self.extra.get(key)
            if section:
                lines += ["", f"## {title}", ""]
                lines += [f"- {name}: {_text(value)}" for name, value in section.items() if name != "examples"]
        lines += chaos_lines(self.extra.get("chaos"))
        not_judged = self.extra.get("slo_not_judged")
        if not_judged:
            lines += ["", "## SLOs without data in this run", "", ", ".join(not_judged)]
        unjudged_items = self.extra.get("not_judged")
        if unjudged_items:
            lines += ["", "## Items not judged in this run", ""] + [f"- {why}" for why in unjudged_items]
        lines += ["", "## Charts", ""] + [f"![{chart}]({chart})" for chart in self.charts]
        return "\n".join(lines) + "\n"


def chaos_lines(chaos: Any) -> list[str]:
    """A chaos run's faults as a table (injected, lifted, the system's sign of it, error) and its unplanned exits.

    Shared by ``summary.md`` and the dated results pages (``loadtests/results.py``).
    """
    if not isinstance(chaos, dict):
        return []
    lines = ["", f"## Chaos plan {chaos.get('name')}", ""]
    lines += ["| fault | injected at | lifted at | seen by the system | error |", "|---|---|---|---|---|"]
    for window in chaos.get("windows", []):
        at, lifted = (_offset(window.get(key)) for key in ("injected_at", "lifted_at"))
        evidence, error = window.get("evidence") or "-", window.get("error") or ""
        lines.append(f"| {window.get('planned')} | {at} | {lifted} | {evidence} | {error} |")
    exits = chaos.get("unprompted_exits", [])
    lines += ["", f"Worker exits no fault planned: {len(exits)}" + (f" ({_text(exits)})" if exits else ".")]
    return lines


def _offset(seconds: Any) -> str:
    return f"+{seconds:.0f} s" if isinstance(seconds, int | float) else "-"


def _verdict(item: dict[str, Any]) -> str:
    return item["verdict"] if item.get("judged", True) else f"{item['verdict']} (not judged under chaos)"


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)
