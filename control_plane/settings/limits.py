"""Per-company limits of the API: request rate, concurrent imports, stored bytes.

Defaults are generous (a load run drives 1000+ concurrent imports from a few
companies); a deployment tightens them per its plans.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section


class LimitSettings(Section):
    """Abuse resistance: what one company may ask of the API at once and keep."""

    model_config = SettingsConfigDict(env_prefix="ICP_LIMITS_", extra="ignore", frozen=True)

    api_requests_per_minute: int = Field(
        6000, ge=1, description="Authenticated API requests per minute per company (operators: per credential)."
    )
    api_burst: int = Field(1000, ge=1, description="Requests a company may send at once before the per-minute pace.")
    api_max_in_flight: int = Field(
        200,
        ge=1,
        description="Requests of one company (operators: per credential) the API serves at once, over all its "
        "processes; more are answered 429 before they take a database connection.",
    )
    max_active_imports: int = Field(
        1000, ge=1, description="Import jobs per company waiting or running at once; more are refused (429)."
    )
    max_storage_bytes: int = Field(
        50 * 1024**3, ge=1, description="Image bytes a company may keep; new imports are refused at the quota (409)."
    )
