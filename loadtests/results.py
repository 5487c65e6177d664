"""Turn a load-run or chaos-drill ``report.json`` into a dated results page for ``docs/results/``.

A report folder (``reports/<kind>/<run-id>/``) is not committed; the figures
the documentation quotes must still be traceable to the run that measured
them. So a result is published as ``docs/results/YYYY-MM-DD-<what>.md``,
generated from the report and naming its run id, never typed in by hand.

    python -m loadtests.results reports/load/<run-id>/report.json [--out docs/results]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SECTIONS = (
    ("Configuration", "configuration"),
    ("Figures", "figures"),
    ("Slot utilisation while a backlog waited", "utilisation"),
    ("CPU-seconds of the drive phase, per process class", "cpu"),
    ("Capacity model", "capacity"),
    ("Accounting", "accounting"),
)
"""Sections of a load report, in the order a reader needs them (the load report's own order)."""


def cell(value: Any) -> str:
    """One value as table text: floats to 4 significant digits, dicts as ``k=v`` pairs, pipes escaped."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{key}={cell(item)}" for key, item in value.items())
    return str(value).replace("|", "/")


def run_date(document: dict[str, Any]) -> str:
    """The run's UTC date (``YYYY-MM-DD``) from its start time: the date a figure was measured on."""
    started = str(document.get("started_at", ""))
    match = re.match(r"(\d{4}-\d{2}-\d{2})", started)
    if match is None:
        raise ValueError(f"report has no usable started_at: {started!r}")
    return match.group(1)


def slug(document: dict[str, Any]) -> str:
    """What the page is about, for its file name: ``load-1000-jobs``, ``chaos-redis-outage``, ``chaos-gameday``."""
    kind = str(document.get("kind", ""))
    if kind not in ("load", "chaos"):
        raise ValueError(f"not a load or chaos report: kind={kind!r}")
    name = str(document.get("name", ""))
    if kind == "load":
        jobs = re.match(r"(\d+) jobs", name)
        words = f"{jobs.group(1)}-jobs" if jobs else name
        if isinstance(document.get("chaos"), dict):
            words += f"-chaos-{Path(str(document['chaos'].get('name', 'plan'))).stem}"
    else:
        words = name  # a drill's name, or "gameday" / "gameday-ci"
    return f"{kind}-" + re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")


def _items_table(document: dict[str, Any]) -> list[str]:
    lines = ["| item | value | target | verdict |", "|---|---|---|---|"]
    for item in document.get("items", []):
        lines.append(
            f"| {cell(item.get('name'))} | {cell(item.get('value'))} | {cell(item.get('target'))} "
            f"| {cell(item.get('verdict'))}{'' if item.get('judged', True) else ' (not judged under chaos)'} |"
        )
    return lines


def _chaos_section(document: dict[str, Any]) -> list[str]:
    """A chaos run's faults: when each was injected and lifted, the system's sign of it, and unplanned exits."""
    chaos = document.get("chaos")
    if not isinstance(chaos, dict):
        return []
    lines = ["", f"## Chaos plan {chaos.get('name')}", ""]
    lines += ["| fault | injected at | lifted at | seen by the system | error |", "|---|---|---|---|---|"]
    for window in chaos.get("windows", []):
        at, lifted = (
            f"+{t:.0f} s" if isinstance(t, int | float) else "-"
            for t in (window.get("injected_at"), window.get("lifted_at"))
        )
        lines.append(
            f"| {cell(window.get('planned'))} | {at} | {lifted} | {cell(window.get('evidence'))} "
            f"| {cell(window.get('error') or '')} |"
        )
    exits = chaos.get("unprompted_exits", [])
    lines += ["", f"Worker exits no fault planned: {len(exits)}" + (f" ({cell(exits)})" if exits else ".")]
    return lines


def _sections(document: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for title, key in SECTIONS:
        section = document.get(key)
        if isinstance(section, dict) and section:
            lines += ["", f"## {title}", ""]
            lines += [f"- {name}: {cell(value)}" for name, value in section.items() if name != "examples"]
    failure = document.get("failure")
    if isinstance(failure, dict):
        lines += [
            "",
            "## Recovery target",
            "",
            f"{failure.get('failure')}: recover within {cell(failure.get('mttr_s'))} s "
            f"({failure.get('strategy')}); detected after {cell(document.get('detect_s'))} s, "
            f"recovered after {cell(document.get('recover_s'))} s.",
        ]
    return lines


def render(document: dict[str, Any]) -> str:
    """The results page for one report: provenance first, then the verdict table and the report's sections."""
    kind = document["kind"]
    source = f"reports/{kind}/{document.get('run_id')}/report.json"
    name = str(document.get("name", ""))
    if kind == "load":
        title = f"Load run {name}"
        if isinstance(document.get("chaos"), dict):
            title += f" under chaos plan {document['chaos'].get('name')}"
    elif name.startswith("gameday"):
        title = "Chaos game day" + (" (CI subset)" if name.endswith("-ci") else "")
    else:
        title = f"Chaos drill {name}"
    lines = [
        f"# {title}: {str(document.get('verdict', '')).upper()}",
        "",
        f"Recorded on {run_date(document)} from report `{document.get('run_id')}` (`{source}`), "
        f"{document.get('started_at')} to {document.get('finished_at')}. "
        f"Generated by `python -m loadtests.results`; the report's `report.json` is the source of truth.",
        "",
        *_items_table(document),
        *_chaos_section(document),
        *_sections(document),
    ]
    return "\n".join(lines) + "\n"


def write(document: dict[str, Any], out: Path) -> Path:
    """Write the page as ``<out>/<date>-<what>.md``; a second run of the same day gets its run id appended."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{run_date(document)}-{slug(document)}.md"
    run_id = str(document.get("run_id", ""))
    if path.exists() and f"`{run_id}`" not in path.read_text(encoding="utf-8"):
        path = path.with_name(f"{path.stem}-{run_id.lower()}.md")
    path.write_text(render(document), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.results", description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path, help="report.json files of load runs or chaos drills")
    parser.add_argument("--out", type=Path, default=Path("docs/results"), help="folder of the dated pages")
    args = parser.parse_args(argv)
    for report in args.reports:
        try:
            document = json.loads(report.read_text(encoding="utf-8"))
            print(write(document, args.out))
        except (OSError, ValueError, KeyError) as error:
            print(f"{report}: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
