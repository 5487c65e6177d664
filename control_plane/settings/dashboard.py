"""The operators' Streamlit dashboard: where it listens and which API it reads."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section


class DashboardSettings(Section):
    """The dashboard reads only the control plane's HTTP API, with one operator or viewer credential."""

    model_config = SettingsConfigDict(env_prefix="ICP_DASHBOARD_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="Interface the Streamlit server listens on.")
    port: int = Field(8501, ge=1, le=65535, description="Port of the Streamlit server.")
    api_url: str = Field("http://127.0.0.1:8000", description="Base URL of the control plane's HTTP API.")
    api_key: SecretStr | None = Field(
        None,
        description="Operator or viewer API key (or JWT) the dashboard sends; the local stack issues one if unset.",
    )
    refresh_s: float = Field(5.0, ge=1, le=300, description="How often live panels re-read the API.")
    timeout_s: float = Field(5.0, gt=0, le=60, description="Timeout of each API request.")
    runbooks_dir: Path = Field(
        Path("runbooks"), description="Folder of <alarm-or-slo-name>.md runbooks the API serves to the dashboard."
    )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"
