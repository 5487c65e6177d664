"""Chaos drills: how long faults last, how big the workload is, how long recovery may take."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section
from loadtests.simulator.config import Plan


class ChaosSettings(Section):
    """Knobs of `importctl chaos`; defaults are game-day sized, CI shortens them."""

    model_config = SettingsConfigDict(env_prefix="ICP_CHAOS_", extra="ignore", frozen=True)

    seed: int = Field(8, description="Seed of the workload (job mix, submission gaps) and of random worker kills.")
    jobs: int = Field(30, ge=1, le=500, description="Imports the workload submits during one drill.")
    submit_interval_s: float = Field(1.5, gt=0, description="Mean gap between submissions (exponential, seeded).")
    products: int = Field(120, ge=1, le=10_000, description="Products in the drill tenant's simulator catalog.")
    provider_latency_ms: int = Field(
        300, ge=0, le=10_000, description="Simulated provider latency per API call, so imports last long enough to hit."
    )
    images_max: int = Field(2, ge=0, le=20, description="Most images per simulated product.")
    shop_plan: Plan = Field(
        "plus",
        description=(
            "Shopify plan of the drill shops. A drill measures the control plane's recovery, so its workload must "
            "fit the shop's documented query-cost restore: 30 full imports of 120 products cost about 89,000 "
            "points, 15 minutes of a standard shop's 100/s and 90 s of a Plus shop's 1,000/s."
        ),
    )
    outage_s: float = Field(30.0, gt=0, le=600, description="How long a dependency stays cut (30 s by default).")
    degrade_s: float = Field(20.0, gt=0, le=600, description="How long latency, bandwidth or throttling faults last.")
    provider_down_s: float = Field(
        0.0, ge=0, le=1800, description="Provider outage length; 0 means twice the breaker's open time plus 10 s."
    )
    worker_kills: int = Field(3, ge=1, le=20, description="SIGKILLs in the worker-sigkill drill.")
    restart_delay_s: float = Field(2.0, ge=0, le=60, description="Orchestrator restart delay after a worker dies.")
    oom_headroom_mib: int = Field(
        8,
        ge=1,
        le=4096,
        description="worker-oom: memory limit above the worker's resting size; below one image decode (12 MiB).",
    )
    drain_limit_s: float = Field(30.0, gt=0, description="worker-sigterm: shutdown must finish within (REQ-SLO-8).")
    recovery_timeout_s: float = Field(180.0, gt=0, description="Longest the drill waits for recovery before failing.")
    settle_timeout_s: float = Field(300.0, gt=0, description="Longest the drill waits for every job to finish.")
    min_workers: int = Field(1, ge=0, description="Steady state: fewest live workers.")
