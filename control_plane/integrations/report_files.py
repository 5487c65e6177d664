"""Run reports and runbooks as files on disk: listed and read, never outside their folders.

Every name that reaches a path is checked against a strict pattern first, so
a crafted run id or chart name cannot walk out of the reports folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from control_plane.domain.errors import InvalidRequest, NotFound

REPORT_KINDS = ("load", "chaos")
SAFE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
"""A run id or chart name (``..`` refused besides); the API documents it as the parameters' pattern."""
CHART_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,195}\.[Pp][Nn][Gg]$"
"""A safe name that ends in ``.png``, as :meth:`ReportFiles.chart` requires."""
RUNBOOK_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
_SAFE_NAME = re.compile(SAFE_NAME_PATTERN)
_RUNBOOK_NAME = re.compile(RUNBOOK_NAME_PATTERN)
SUMMARY_FILE = "summary.md"
REPORT_FILE = "report.json"


def _safe(name: str, field: str) -> str:
    if not _SAFE_NAME.match(name) or ".." in name:
        raise InvalidRequest(f"{field}: letters, digits, '.', '_' and '-' only", field=field)
    return name


def _kind(kind: str) -> str:
    if kind not in REPORT_KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(REPORT_KINDS)}", field="kind")
    return kind


@dataclass(frozen=True)
class ReportFiles:
    """``<root>/<kind>/<run-id>/report.json`` (+ summary.md and PNG charts), as the harnesses write them."""

    root: Path

    def list(self) -> list[dict[str, Any]]:
        """Every readable report, newest start first; unreadable ones are listed with their error."""
        found: list[dict[str, Any]] = []
        for kind in REPORT_KINDS:
            folder = self.root / kind
            if not folder.is_dir():
                continue
            for run in folder.iterdir():
                if run.is_dir() and _SAFE_NAME.match(run.name) and (run / REPORT_FILE).is_file():
                    found.append(self._headline(kind, run))
        return sorted(found, key=lambda item: str(item.get("started_at") or ""), reverse=True)

    def read(self, kind: str, run_id: str) -> dict[str, Any]:
        run = self._run(kind, run_id)
        summary = run / SUMMARY_FILE
        return {
            "kind": kind,
            "run_id": run_id,
            "report": self._load(run),
            "summary_md": summary.read_text(errors="replace") if summary.is_file() else None,
        }

    def chart(self, kind: str, run_id: str, name: str) -> bytes:
        run = self._run(kind, run_id)
        _safe(name, "name")
        if not name.lower().endswith(".png"):
            raise InvalidRequest("name: charts are PNG files", field="name")
        path = run / name
        if not path.is_file():
            raise NotFound(f"chart {name} not found in {kind}/{run_id}")
        return path.read_bytes()

    def _run(self, kind: str, run_id: str) -> Path:
        run = self.root / _kind(kind) / _safe(run_id, "run_id")
        if not (run / REPORT_FILE).is_file():
            raise NotFound(f"report {kind}/{run_id} not found")
        return run

    @staticmethod
    def _load(run: Path) -> dict[str, Any]:
        try:
            loaded = json.loads((run / REPORT_FILE).read_text())
        except (OSError, ValueError) as exc:
            return {"error": f"unreadable report.json: {exc}"}
        return loaded if isinstance(loaded, dict) else {"error": "report.json is not an object"}

    def _headline(self, kind: str, run: Path) -> dict[str, Any]:
        report = self._load(run)
        keys = ("name", "started_at", "finished_at", "verdict", "charts", "error")
        return {"kind": kind, "run_id": run.name, **{key: report.get(key) for key in keys if key in report}}


@dataclass(frozen=True)
class RunbookFiles:
    """``<root>/<alarm-or-slo-name>.md``; the folder's README is not a runbook."""

    root: Path

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            path.stem for path in self.root.glob("*.md") if _RUNBOOK_NAME.match(path.stem) and path.stem != "readme"
        )

    def read(self, name: str) -> str:
        if not _RUNBOOK_NAME.match(name):
            raise InvalidRequest("name: lower-case letters, digits, '-' and '_' only", field="name")
        path = self.root / f"{name}.md"
        if not path.is_file():
            raise NotFound(f"no runbook named {name} yet")
        return path.read_text(errors="replace")
