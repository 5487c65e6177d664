"""Write a drill's (or a game day's) report: ``report.json`` and ``summary.md`` under ``<reports>/chaos/<run-id>/``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from chaos.model import DrillRecord, as_json, recovery_check, verdict


def run_id(now: datetime, name: str) -> str:
    """Sortable, unique enough for one machine: ``20261123T131500Z-redis-outage``."""
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{name}"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("|", "/")


def _checks_table(record: DrillRecord) -> list[str]:
    before = {c.name: c for c in record.before}
    after = {c.name: c for c in record.after}
    lines = ["| probe | before | after |", "|---|---|---|"]
    for name in dict.fromkeys([*before, *after]):
        cells = []
        for side in (before, after):
            check = side.get(name)
            cells.append("-" if check is None else f"{'ok' if check.ok else 'FAIL'} ({_cell(check.value)})")
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    return lines


def summary_markdown(record: DrillRecord) -> str:
    """The human summary: verdict, MTTR vs its REQ-MTTR target, hypothesis table, invariants, timeline."""
    recovery = recovery_check(record)
    lines = [
        f"# Chaos drill `{record.drill}` — {verdict(record).upper()}",
        "",
        f"Run `{record.run_id}`, started {record.started_at.isoformat(timespec='seconds')}; "
        f"runbook [`{record.runbook}`](../../../runbooks/{record.runbook}).",
        "",
    ]
    if record.aborted:
        lines += [f"**Aborted:** {record.aborted}", ""]
    lines += [
        f"Failure row (REQ-MTTR): **{record.failure.failure}**, MTTR target < {record.failure.mttr_s:g} s "
        f"({record.failure.strategy}).",
        "",
        f"- time to detect: {_cell(record.detect_s and round(record.detect_s, 2))} s",
        f"- time to recover: {_cell(recovery.value)} s (target {recovery.target} s) — "
        f"{'ok' if recovery.ok else 'MISSED'}",
        "",
        "## Steady-state hypothesis",
        "",
        *_checks_table(record),
        "",
        "## Invariants",
        "",
        "| invariant | value | target | verdict |",
        "|---|---|---|---|",
    ]
    for check in record.invariants:
        verdict_text = "ok" if check.ok else f"FAIL {check.detail}".strip()
        lines.append(f"| {check.name} | {_cell(check.value)} | {_cell(check.target)} | {verdict_text} |")
    lines += ["", "## Timeline", "", "| t (s) | kind | action | attributes |", "|---|---|---|---|"]
    for action in record.timeline:
        attrs = ", ".join(f"{k}={_cell(v)}" for k, v in action.attributes.items())
        lines.append(f"| {action.offset_s:.1f} | {action.kind} | {_cell(action.what)} | {attrs} |")
    if record.workload:
        lines += ["", "## Workload", "", "```json", json.dumps(record.workload, indent=2, default=str), "```"]
    return "\n".join(lines) + "\n"


def write_drill(root: Path, record: DrillRecord) -> Path:
    """Write one drill's report; returns its folder."""
    folder = root / "chaos" / record.run_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(as_json(record), indent=2, default=str) + "\n")
    (folder / "summary.md").write_text(summary_markdown(record))
    return folder


def gameday_json(
    name: str, rid: str, started: datetime, finished: datetime, records: list[DrillRecord]
) -> dict[str, Any]:
    """One row per drill (its MTTR against its REQ-MTTR target, lost jobs), failing if any drill failed."""
    items = []
    for record in records:
        lost = next((c for c in record.invariants if c.name == "lost jobs"), None)
        recovery = recovery_check(record)
        items.append(
            {
                "name": record.drill,
                "value": {
                    "detect_s": as_json(record)["detect_s"],
                    "recover_s": recovery.value,
                    "lost_jobs": lost.value if lost else None,
                    "run_id": record.run_id,
                },
                "target": {"mttr_s": record.failure.mttr_s, "lost_jobs": 0},
                "verdict": "pass" if verdict(record) == "pass" else "fail",
            }
        )
    ok = bool(items) and all(item["verdict"] == "pass" for item in items)
    return {
        "kind": "chaos",
        "name": name,
        "run_id": rid,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "verdict": "pass" if ok else "fail",
        "items": items,
        "charts": [],
    }


def gameday_markdown(document: dict[str, Any]) -> str:
    lines = [
        f"# Game day `{document['run_id']}` — {document['verdict'].upper()}",
        "",
        "| drill | detect (s) | recover (s) | MTTR target (s) | lost jobs | verdict | report |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in document["items"]:
        value, target = item["value"], item["target"]
        lines.append(
            f"| {item['name']} | {_cell(value['detect_s'])} | {_cell(value['recover_s'])} | {target['mttr_s']:g} "
            f"| {_cell(value['lost_jobs'])} | {item['verdict']} "
            f"| [{value['run_id']}](../{value['run_id']}/summary.md) |"
        )
    return "\n".join(lines) + "\n"


def write_gameday(root: Path, document: dict[str, Any]) -> Path:
    folder = root / "chaos" / str(document["run_id"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    (folder / "summary.md").write_text(gameday_markdown(document))
    return folder
