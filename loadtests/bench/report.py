"""Figures, and the Markdown, JSON and terminal table they are reported as.

A figure is a measurement beside its baseline and its goal.  Whether the goal
is met is reported, never enforced: correctness lives in the tests.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    key: str
    title: str
    measured: str
    baseline: str
    ratio: float | None
    goal: str
    met: bool | None
    details: list[tuple[str, str]] = field(default_factory=list)
    """Label and value lines shown under the figure in the Markdown report."""
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    """Raw numbers for the JSON report."""


@dataclass
class Report:
    run_id: str
    started_at: str
    settings: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.machine = self.machine or {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
        }


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("yes" if met else "NO")


def ratio_text(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}"


def table(report: Report) -> list[list[str]]:
    rows = [["figure", "pipeline", "baseline", "ratio", "goal", "met"]]
    for figure in report.figures:
        rows.append(
            [
                figure.title,
                figure.measured,
                figure.baseline,
                ratio_text(figure.ratio),
                figure.goal,
                verdict(figure.met),
            ]
        )
    return rows


def text_table(report: Report) -> str:
    rows = table(report)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown(report: Report) -> str:
    rows = table(report)
    out = [f"# Benchmarks {report.run_id}", ""]
    machine = report.machine
    out.append(
        f"{machine['cpus']} CPUs, Python {machine['python']}, {machine['platform']}; started {report.started_at}, "
        f"load average then {' / '.join(str(load) for load in machine['load_average_at_start'])}."
    )
    out += ["", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    for figure in report.figures:
        out += ["", f"## {figure.title}", ""]
        out += [f"- {label}: {value}" for label, value in figure.details]
        if figure.notes:
            out.append("")
            out += [f"> {note}" for note in figure.notes]
    out += ["", "## Settings", "", "```json", json.dumps(report.settings, indent=2, sort_keys=True), "```", ""]
    return "\n".join(out)


def write(report: Report, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    md, js = folder / "report.md", folder / "report.json"
    md.write_text(markdown(report))
    js.write_text(json.dumps(asdict(report), indent=2, default=str) + "\n")
    return md, js
