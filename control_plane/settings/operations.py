"""The operations core: tiers, alarms, autoscaling."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section


class OpsSettings(Section):
    """Self-observation: queue-health tiers, admission, alarms, autoscaling (REQ-BP/ALARM/SCALING defaults)."""

    model_config = SettingsConfigDict(env_prefix="ICP_OPS_", extra="ignore", frozen=True)

    degraded_at: int = Field(1_000, ge=1, description="Queue depth from which the tier is Degraded.")
    critical_at: int = Field(5_000, ge=1, description="Queue depth from which the tier is Critical.")
    overload_at: int = Field(10_000, ge=1, description="Queue depth above which the tier is Overload.")
    degraded_basic_defer_s: int = Field(300, ge=0, description="Delay given to BASIC jobs while Degraded.")
    overload_retry_after_s: int = Field(30, ge=1, description="Retry-After sent with 503s while Overloaded.")
    alarm_webhook_url: str | None = Field(None, description="Slack-compatible webhook for alarm notifications.")
    alarm_interval_s: int = Field(15, ge=1, description="How often alarms are evaluated.")
    success_rate_floor: float = Field(0.90, gt=0, le=1, description="Alarm when the success rate falls below.")
    min_workers: int = Field(2, ge=0, description="Alarm when fewer live workers than this.")
    provider_error_ceiling: float = Field(0.10, gt=0, le=1, description="Alarm when provider errors exceed.")
    jobs_per_worker: int = Field(10, ge=1, description="Autoscaling target: queued jobs per worker.")
    autoscale_min: int = Field(2, ge=0, description="Fewest workers the autoscaler asks for.")
    autoscale_max: int = Field(50, ge=1, description="Most workers the autoscaler asks for.")
    scale_in_cooldown_s: int = Field(300, ge=0, description="Wait after the last change before scaling in.")
    local_workers_min: int = Field(1, ge=0, description="Local supervisor: fewest worker processes.")
    local_workers_max: int = Field(4, ge=1, description="Local supervisor: most worker processes.")
    emf_enabled: bool = Field(False, description="Also log key figures as CloudWatch Embedded Metric Format.")
    worker_metrics_port_base: int = Field(9100, description="Worker i serves Prometheus metrics on base + i.")
