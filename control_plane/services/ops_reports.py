"""Load-run and chaos-drill reports, and runbooks, for the dashboard (operators and viewers)."""

from __future__ import annotations

from typing import Any

from control_plane.domain.principals import Principal
from control_plane.integrations.report_files import ReportFiles, RunbookFiles
from control_plane.settings import Settings


class OpsReportsService:
    def __init__(self, settings: Settings, *, actor: Principal) -> None:
        actor.ensure_observer()
        self._reports = ReportFiles(settings.reports.dir)
        self._runbooks = RunbookFiles(settings.dashboard.runbooks_dir)

    def reports(self) -> list[dict[str, Any]]:
        return self._reports.list()

    def report(self, kind: str, run_id: str) -> dict[str, Any]:
        return self._reports.read(kind, run_id)

    def chart(self, kind: str, run_id: str, name: str) -> bytes:
        return self._reports.chart(kind, run_id, name)

    def runbooks(self) -> list[str]:
        return self._runbooks.names()

    def runbook(self, name: str) -> dict[str, Any]:
        return {"name": name, "markdown": self._runbooks.read(name)}
