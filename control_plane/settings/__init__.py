"""Typed settings, one object per section, read from the environment only.

Every field is documented; ``importctl settings`` prints them all with their
environment variable names (and, when the development harness is installed,
its sections too, found through the ``importctl.settings`` entry points).
Defaults match the local stack started by
``importctl stack up``: applications talk to every dependency through a named
toxiproxy proxy, so chaos drills need no reconfiguration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from pydantic_settings import BaseSettings

from control_plane.settings.dashboard import DashboardSettings
from control_plane.settings.deployment import (
    DeploymentSettings,
    DevelopmentSecretsInProduction,
    ensure_production_secrets,
)
from control_plane.settings.edge import ApiSettings, AuthSettings, WorkerSettings
from control_plane.settings.limits import LimitSettings
from control_plane.settings.operations import OpsSettings
from control_plane.settings.providers import BreakerSettings, ImageSettings, ProviderSettings, RateLimitSettings
from control_plane.settings.reports import ReportSettings
from control_plane.settings.services import DatabaseSettings, RedisSettings, S3Settings


@dataclass(frozen=True)
class Settings:
    """All sections together, for the edges that need more than one."""

    database: DatabaseSettings
    redis: RedisSettings
    s3: S3Settings
    api: ApiSettings
    auth: AuthSettings
    worker: WorkerSettings
    provider: ProviderSettings
    rate_limit: RateLimitSettings
    breaker: BreakerSettings
    images: ImageSettings
    ops: OpsSettings
    limits: LimitSettings
    reports: ReportSettings
    dashboard: DashboardSettings
    deployment: DeploymentSettings = field(default_factory=DeploymentSettings)


SECTIONS: tuple[type[BaseSettings], ...] = (
    DeploymentSettings,
    DatabaseSettings,
    RedisSettings,
    S3Settings,
    ApiSettings,
    AuthSettings,
    WorkerSettings,
    ProviderSettings,
    RateLimitSettings,
    BreakerSettings,
    ImageSettings,
    OpsSettings,
    LimitSettings,
    ReportSettings,
    DashboardSettings,
)


def load_settings() -> Settings:
    """Read every section from the environment now (no caching)."""
    return Settings(
        database=DatabaseSettings(),
        redis=RedisSettings(),
        s3=S3Settings(),
        api=ApiSettings(),
        auth=AuthSettings(),
        worker=WorkerSettings(),
        provider=ProviderSettings(),
        rate_limit=RateLimitSettings(),
        breaker=BreakerSettings(),
        images=ImageSettings(),
        ops=OpsSettings(),
        limits=LimitSettings(),
        reports=ReportSettings(),
        dashboard=DashboardSettings(),
        deployment=DeploymentSettings(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


__all__ = [
    "SECTIONS",
    "ApiSettings",
    "AuthSettings",
    "BreakerSettings",
    "DashboardSettings",
    "DatabaseSettings",
    "DeploymentSettings",
    "DevelopmentSecretsInProduction",
    "ImageSettings",
    "LimitSettings",
    "OpsSettings",
    "ProviderSettings",
    "RateLimitSettings",
    "RedisSettings",
    "ReportSettings",
    "S3Settings",
    "Settings",
    "WorkerSettings",
    "ensure_production_secrets",
    "get_settings",
    "load_settings",
]
