"""The load harness (`importctl load run`, `make load`): how many jobs, how fast, what sizes."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section


class LoadSettings(Section):
    """One load run: vendors submitting imports through the API until every job is terminal."""

    model_config = SettingsConfigDict(env_prefix="ICP_LOAD_", extra="ignore", frozen=True)

    jobs: int = Field(1000, ge=1, le=20_000, description="Import jobs submitted in the run (one vendor each).")
    concurrency: int = Field(1000, ge=1, le=5000, description="Locust users at the peak: each keeps one job in flight.")
    spawn_rate: float = Field(20.0, gt=0, le=500, description="Users started per second while ramping.")
    run_time_s: int = Field(1200, ge=10, le=7200, description="Hard limit on locust's run time.")
    drain_timeout_s: int = Field(
        300, ge=0, le=3600, description="After locust stops, how long to wait for jobs still in flight."
    )
    poll_interval_s: float = Field(5.0, gt=0, le=120, description="First pause before retrying a failed status read.")
    poll_max_s: float = Field(
        60.0, gt=0, le=600, description="Longest pause between failed status reads: each is 1.5 times the previous one."
    )
    sample_interval_s: float = Field(
        5.0, gt=0, le=60, description="How often queue depth, tier and states are sampled."
    )
    seed: int = Field(7, description="Seed of the job-size and tier mix.")
    small_share: float = Field(0.85, ge=0, le=1, description="Share of jobs with small_min..small_max products.")
    small_min: int = Field(1, ge=0, description="Fewest products of a small job.")
    small_max: int = Field(20, ge=0, description="Most products of a small job.")
    medium_max: int = Field(99, ge=0, description="Most products of a medium job (the rest that is not large).")
    large_share: float = Field(0.03, ge=0, le=1, description="Share of large jobs (the tail).")
    large_min: int = Field(100, ge=1, description="Fewest products of a large job.")
    large_max: int = Field(250, ge=1, le=10_000, description="Most products of a large job.")
    images_min: int = Field(0, ge=0, le=20, description="Fewest images per product.")
    images_max: int = Field(3, ge=0, le=20, description="Most images per product.")
    image_px: int = Field(400, ge=16, le=4096, description="Width and height of the simulator's images.")
    tier_weights: tuple[float, float, float] = Field(
        (0.6, 0.3, 0.1), description="Shares of BASIC, PRO and ENTERPRISE vendors."
    )
    shop_plan: str = Field("standard", description="Simulator Shopify plan of every load shop (rate limits).")
    workers: int | None = Field(None, ge=1, le=50, description="Worker processes for the run; the stack's if unset.")
    worker_hour_usd: float = Field(
        721 / 10 / 730, gt=0, description="Price of one 2 vCPU / 4 GB worker-hour (REQ-COST-1: 10 workers $721/month)."
    )
    plan_file: Path | None = Field(
        None, description="Set by the runner for locust: the JSON plan of vendors, keys and jobs."
    )
