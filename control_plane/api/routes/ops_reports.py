"""Load-run and chaos-drill reports and runbooks, served to the dashboard (operators and viewers)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import Parameter

from control_plane.api.access import access
from control_plane.api.dependencies import AppSettings, Caller
from control_plane.domain.principals import Access
from control_plane.integrations.report_files import (
    CHART_NAME_PATTERN,
    REPORT_KINDS,
    RUNBOOK_NAME_PATTERN,
    SAFE_NAME_PATTERN,
)
from control_plane.services.ops_reports import OpsReportsService

# Documented bounds; the report files refuse anything else as a 422 invalid_request naming the parameter.
Kind = Annotated[str, Parameter(description="What ran.", schema_extra={"enum": list(REPORT_KINDS)})]
RunId = Annotated[
    str, Parameter(description="The run's folder name (never `..`).", schema_extra={"pattern": SAFE_NAME_PATTERN})
]
ChartName = Annotated[
    str,
    Parameter(
        description="A PNG file of the run (never `..`).",
        schema_extra={"pattern": CHART_NAME_PATTERN},
    ),
]
RunbookName = Annotated[
    str, Parameter(description="An alarm or SLO name.", schema_extra={"pattern": RUNBOOK_NAME_PATTERN})
]


class OpsReportsController(Controller):
    path = "/api/v1/ops"
    tags = ["operations"]

    @get(
        "/reports",
        summary="Load-run and chaos-drill reports, newest first, with their verdicts",
        opt=access(Access.OBSERVER),
    )
    async def reports(self, principal: Caller, settings: AppSettings) -> dict[str, Any]:
        return {"items": OpsReportsService(settings, actor=principal).reports()}

    @get(
        "/reports/{kind:str}/{run_id:str}",
        summary="One report: report.json and summary.md",
        opt=access(Access.OBSERVER),
    )
    async def report(self, kind: Kind, run_id: RunId, principal: Caller, settings: AppSettings) -> dict[str, Any]:
        return OpsReportsService(settings, actor=principal).report(kind, run_id)

    @get(
        "/reports/{kind:str}/{run_id:str}/charts/{name:str}",
        summary="One PNG chart of a report",
        opt=access(Access.OBSERVER),
    )
    async def chart(
        self, kind: Kind, run_id: RunId, name: ChartName, principal: Caller, settings: AppSettings
    ) -> Response[bytes]:
        png = OpsReportsService(settings, actor=principal).chart(kind, run_id, name)
        return Response(png, media_type="image/png")

    @get("/runbooks", summary="Names of the runbooks that exist", opt=access(Access.OBSERVER))
    async def runbooks(self, principal: Caller, settings: AppSettings) -> dict[str, Any]:
        return {"items": OpsReportsService(settings, actor=principal).runbooks()}

    @get("/runbooks/{name:str}", summary="One runbook as Markdown", opt=access(Access.OBSERVER))
    async def runbook(self, name: RunbookName, principal: Caller, settings: AppSettings) -> dict[str, Any]:
        return OpsReportsService(settings, actor=principal).runbook(name)
