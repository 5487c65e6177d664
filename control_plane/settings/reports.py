"""Where the load harness and the chaos drills write their reports."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section


class ReportSettings(Section):
    """Report folders shared by the load harness, the chaos drills, the API and the dashboard."""

    model_config = SettingsConfigDict(env_prefix="ICP_REPORTS_", extra="ignore", frozen=True)

    dir: Path = Field(
        Path("reports"),
        description="Root of run reports: <dir>/load/<run-id>/ and <dir>/chaos/<run-id>/, each with report.json.",
    )
