"""Typed settings, one object per section, read from the environment only.

Every field is documented; ``importctl settings`` prints them all with their
environment variable names.  Defaults match the local stack started by
``importctl stack up``: applications talk to every dependency through a named
toxiproxy proxy, so chaos drills need no reconfiguration.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Section(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)


class DatabaseSettings(_Section):
    """How the applications reach PostgreSQL, the authority for every job."""

    model_config = SettingsConfigDict(env_prefix="ICP_DB_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="PostgreSQL host (the toxiproxy listener locally).")
    port: int = Field(15432, description="PostgreSQL port seen by the applications (the `postgres` proxy).")
    user: str = Field("icp", description="Database role.")
    password: SecretStr = Field(SecretStr("icp-local"), description="Password of the database role.")
    name: str = Field("import_control_plane", description="Database name.")
    pool_size: int = Field(10, ge=1, description="Connections kept open per process.")
    max_overflow: int = Field(10, ge=0, description="Extra connections allowed under burst.")
    connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to wait for a new connection.")
    statement_timeout_ms: int = Field(30_000, ge=0, description="Server-side statement timeout; 0 disables.")

    def url(self, database: str | None = None) -> str:
        """SQLAlchemy URL for the asyncpg driver, optionally for another database."""
        pw = self.password.get_secret_value()
        return f"postgresql+asyncpg://{self.user}:{pw}@{self.host}:{self.port}/{database or self.name}"


class RedisSettings(_Section):
    """How the applications reach Redis, the (volatile) work queue."""

    model_config = SettingsConfigDict(env_prefix="ICP_REDIS_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="Redis host (the toxiproxy listener locally).")
    port: int = Field(16379, description="Redis port seen by the applications (the `redis` proxy).")
    database: int = Field(0, ge=0, le=15, description="Redis logical database.")
    password: SecretStr | None = Field(None, description="Redis password, if any.")
    queue_name: str = Field("icp:queue", description="arq queue the import jobs are enqueued on.")
    connect_timeout_s: float = Field(2.0, gt=0, description="Seconds to wait for a connection.")
    socket_timeout_s: float = Field(5.0, gt=0, description="Seconds to wait for a reply.")


class S3Settings(_Section):
    """Object storage for product images and thumbnails."""

    model_config = SettingsConfigDict(env_prefix="ICP_S3_", extra="ignore", frozen=True)

    endpoint_url: str | None = Field(
        "http://127.0.0.1:18333", description="S3 endpoint (the `s3` proxy locally); unset for AWS."
    )
    region: str = Field("us-east-1", description="S3 region.")
    bucket: str = Field("icp-images", description="Bucket holding originals and thumbnails.")
    access_key_id: str = Field("icp-local", description="Access key id (local SeaweedFS identity).")
    secret_access_key: SecretStr = Field(SecretStr("icp-local-secret"), description="Secret access key.")


class ApiSettings(_Section):
    """The HTTP API."""

    model_config = SettingsConfigDict(env_prefix="ICP_API_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="Interface the API binds to.")
    port: int = Field(8000, description="Port the API listens on.")
    debug: bool = Field(False, description="Litestar debug mode; never on in production.")
    default_page_size: int = Field(50, ge=1, description="Page size when `limit` is not given.")
    max_page_size: int = Field(200, ge=1, description="Largest accepted `limit`.")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest accepted request body.")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class AuthSettings(_Section):
    """Credentials accepted by the API: hashed API keys and signed JWTs."""

    model_config = SettingsConfigDict(env_prefix="ICP_AUTH_", extra="ignore", frozen=True)

    jwt_secret: SecretStr = Field(SecretStr("local-development-jwt-secret-change-me"), description="HMAC key for JWTs.")
    jwt_algorithm: str = Field("HS256", description="JWT signing algorithm.")
    jwt_issuer: str = Field("import-control-plane", description="Required `iss` claim.")
    jwt_audience: str = Field("import-api", description="Required `aud` claim.")
    api_key_pepper: SecretStr = Field(
        SecretStr("local-development-pepper"), description="Secret mixed into API key hashes."
    )


class WorkerSettings(_Section):
    """arq worker processes."""

    model_config = SettingsConfigDict(env_prefix="ICP_WORKER_", extra="ignore", frozen=True)

    concurrency: int = Field(5, ge=1, description="Jobs one worker runs at once (seed: 5).")
    job_timeout_s: int = Field(3600, ge=1, description="Longest a single job run may take.")
    image_concurrency: int = Field(4, ge=1, le=64, description="Image downloads in flight per job.")
    lease_ttl_s: float = Field(15.0, gt=0, description="A running job's lease; lost when heartbeats stop this long.")
    heartbeat_interval_s: float = Field(3.0, gt=0, description="How often a running job renews its lease.")
    drain_timeout_s: int = Field(25, ge=0, description="On SIGTERM, how long running jobs may finish before hand-back.")
    reconcile_interval_s: int = Field(
        300, ge=1, description="Orphan reconciliation period (seed: 5 min); under 60 it must divide 60."
    )
    lease_sweep_interval_s: int = Field(5, ge=1, description="Expired-lease sweep period; under 60 it must divide 60.")
    pending_grace_s: float = Field(
        10.0, ge=0, description="Age before a PENDING or QUEUED job missing from Redis counts as orphaned."
    )
    retry_delays_s: tuple[int, ...] = Field(
        (5, 25, 125), description="Backoff before each retry of a failed attempt (seed: 5 s, 25 s, 125 s)."
    )


class ProviderSettings(_Section):
    """Calls to commerce providers (Shopify, Roastify)."""

    model_config = SettingsConfigDict(env_prefix="ICP_PROVIDER_", extra="ignore", frozen=True)

    connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to open a connection to a provider.")
    read_timeout_s: float = Field(30.0, gt=0, description="Seconds to wait for a provider's reply.")
    max_retry_after_s: float = Field(120.0, gt=0, description="Longest Retry-After we honour before giving up.")
    shopify_api_version: str = Field("2025-01", description="Shopify Admin API version used in URLs.")
    shopify_page_size: int = Field(100, ge=1, le=250, description="Products per Shopify page.")
    roastify_page_size: int = Field(100, ge=1, le=100, description="Products per Roastify list page.")
    roastify_base_url: str = Field("https://api.roastify.com", description="Roastify API base URL.")
    secrets_key: SecretStr = Field(
        SecretStr("bG9jYWwtZGV2ZWxvcG1lbnQta2V5LWNoYW5nZS1tZS0="),
        description="Fernet key (urlsafe base64, 32 bytes) encrypting provider credentials at rest.",
    )


class RateLimitSettings(_Section):
    """Token buckets in Redis shared by every worker (seed numbers by default)."""

    model_config = SettingsConfigDict(env_prefix="ICP_RATELIMIT_", extra="ignore", frozen=True)

    shopify_per_minute: int = Field(120, ge=1, description="Shopify requests per minute per company.")
    roastify_per_minute: int = Field(100, ge=1, description="Roastify requests per minute per API key.")
    job_starts_per_minute: int = Field(100, ge=1, description="Import jobs started per minute, queue-wide.")


class BreakerSettings(_Section):
    """Circuit breakers in Redis, per provider and per company integration."""

    model_config = SettingsConfigDict(env_prefix="ICP_BREAKER_", extra="ignore", frozen=True)

    failure_threshold: int = Field(5, ge=1, description="Consecutive failures that open a breaker.")
    open_seconds: float = Field(60.0, gt=0, description="How long a breaker stays open before one probe.")
    transitions_kept: int = Field(1000, ge=10, description="Breaker transitions kept for metrics and the dashboard.")


class SimulatorSettings(_Section):
    """The provider simulator of the local stack (Shopify and Roastify surfaces)."""

    model_config = SettingsConfigDict(env_prefix="ICP_SIMULATOR_", extra="ignore", frozen=True)

    port: int = Field(58090, description="Port of the real simulator process.")
    shopify_proxy_port: int = Field(18091, description="Port of the `shopify` toxiproxy proxy to the simulator.")
    roastify_proxy_port: int = Field(18092, description="Port of the `roastify` toxiproxy proxy to the simulator.")
    seed: int = Field(20260101, description="Seed from which every generated catalog derives.")
    default_products: int = Field(50, ge=0, le=10_000, description="Catalog size of a shop not configured otherwise.")

    @property
    def shopify_base(self) -> str:
        return f"http://127.0.0.1:{self.shopify_proxy_port}"

    @property
    def roastify_base(self) -> str:
        return f"http://127.0.0.1:{self.roastify_proxy_port}"


class ImageSettings(_Section):
    """Product image downloads from third-party URLs, their limits and the thumbnail size."""

    model_config = SettingsConfigDict(env_prefix="ICP_IMAGES_", extra="ignore", frozen=True)

    max_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest image download accepted, in bytes.")
    max_pixels: int = Field(40_000_000, ge=1, description="Most pixels an image may declare (decompression bombs).")
    thumbnail_width: int = Field(320, ge=16, le=4096, description="Width of the box thumbnails are fitted into.")
    thumbnail_height: int = Field(320, ge=16, le=4096, description="Height of the box thumbnails are fitted into.")
    max_redirects: int = Field(3, ge=0, le=10, description="Redirects followed per image, each one re-checked.")
    connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to connect to an image host.")
    read_timeout_s: float = Field(15.0, gt=0, description="Seconds to wait for each read from an image host.")
    total_timeout_s: float = Field(60.0, gt=0, description="Seconds one image download may take in all.")
    allow_hosts: str = Field(
        "",
        description="Comma-separated host or host:port that skip the public-address check (local simulator only).",
    )
    executor: Literal["thread", "process"] = Field("thread", description="Pool that decodes images and thumbnails.")
    executor_workers: int | None = Field(None, ge=1, description="Size of that pool; the CPU count if unset.")

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.allow_hosts.split(",") if h.strip())


class OpsSettings(_Section):
    """Self-observation: queue-health tiers, admission, alarms, autoscaling (seed numbers by default)."""

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


class StackSettings(_Section):
    """The local stack: real services on loopback, each behind a toxiproxy proxy."""

    model_config = SettingsConfigDict(env_prefix="ICP_STACK_", extra="ignore", frozen=True)

    state_dir: Path = Field(Path(".stack"), description="Folder for data, logs and pid files.")
    postgres_port: int = Field(55432, description="Port of the real PostgreSQL server.")
    redis_port: int = Field(56379, description="Port of the real Redis server.")
    s3_port: int = Field(48333, description="Port of the real SeaweedFS S3 gateway.")
    weed_master_port: int = Field(49333, description="SeaweedFS master port (gRPC is +10000).")
    weed_volume_port: int = Field(49340, description="SeaweedFS volume port (gRPC is +10000).")
    weed_filer_port: int = Field(48888, description="SeaweedFS filer port (gRPC is +10000).")
    weed_admin_port: int = Field(43646, description="SeaweedFS admin port (gRPC is +10000).")
    toxiproxy_port: int = Field(58474, description="Port of the toxiproxy control API.")
    workers: int = Field(2, ge=0, description="arq worker processes started by `stack up`.")
    postgres_bin_dir: Path | None = Field(None, description="Folder with initdb/postgres; found if unset.")
    toxiproxy_bin: Path | None = Field(None, description="toxiproxy server binary; found if unset.")
    start_timeout_s: float = Field(60.0, gt=0, description="How long a service may take to become ready.")


@dataclass(frozen=True)
class Settings:
    """All sections together, for the edges that need more than one."""

    database: DatabaseSettings
    redis: RedisSettings
    s3: S3Settings
    api: ApiSettings
    auth: AuthSettings
    worker: WorkerSettings
    stack: StackSettings
    provider: ProviderSettings
    rate_limit: RateLimitSettings
    breaker: BreakerSettings
    simulator: SimulatorSettings
    images: ImageSettings
    ops: OpsSettings


SECTIONS: tuple[type[BaseSettings], ...] = (
    DatabaseSettings,
    RedisSettings,
    S3Settings,
    ApiSettings,
    AuthSettings,
    WorkerSettings,
    StackSettings,
    ProviderSettings,
    RateLimitSettings,
    BreakerSettings,
    SimulatorSettings,
    ImageSettings,
    OpsSettings,
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
        stack=StackSettings(),
        provider=ProviderSettings(),
        rate_limit=RateLimitSettings(),
        breaker=BreakerSettings(),
        simulator=SimulatorSettings(),
        images=ImageSettings(),
        ops=OpsSettings(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
