"""The HTTP edge and the workers: API, authentication, worker pool."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from control_plane.domain.limits import MAX_PAGE_SIZE
from control_plane.settings.base import Section


class ApiSettings(Section):
    """The HTTP API."""

    model_config = SettingsConfigDict(env_prefix="ICP_API_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="Interface the API binds to.")
    port: int = Field(8000, description="Port the API listens on.")
    debug: bool = Field(False, description="Litestar debug mode; never on in production.")
    workers: int = Field(
        2, ge=1, le=32, description="API processes the local stack runs (uvicorn workers): one per core."
    )
    default_page_size: int = Field(50, ge=1, description="Page size when `limit` is not given.")
    max_page_size: int = Field(
        MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Largest accepted `limit` (the documented bound, or lower)."
    )
    read_reserved_connections: int = Field(
        4,
        ge=0,
        description="Pooled connections per API process kept for reads (GET, HEAD): requests that change something "
        "share the rest, so a burst of submissions never makes status reads fail.",
    )
    company_pool_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of an API process's pooled connections one company's requests may hold at once "
        "(at least one); more wait the pool's timeout, then 429.",
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest accepted request body.")
    max_json_depth: int = Field(
        32, ge=2, le=256, description="Deepest nesting of arrays and objects a JSON body may have (400 beyond)."
    )
    max_header_bytes: int = Field(
        16_384, ge=4096, description="Largest request line and headers the server buffers (h11); larger is a 400."
    )
    keep_alive_timeout_s: int = Field(
        5,
        ge=1,
        description="Seconds an idle connection stays open after a response (longer than the load balancer's idle "
        "timeout, which must close it first).",
    )
    header_timeout_s: float = Field(
        10,
        gt=0,
        description="Seconds a request's line and headers may take to arrive, counted from the connection's opening "
        "or the request's first byte; later is a 408 and the connection is closed (a slow client holds nothing).",
    )
    body_timeout_s: float = Field(
        30,
        gt=0,
        description="Seconds a request's body may take to arrive after its headers; later is a 408 and the "
        "connection is closed.",
    )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class AuthSettings(Section):
    """Credentials accepted by the API: hashed API keys and signed JWTs."""

    model_config = SettingsConfigDict(env_prefix="ICP_AUTH_", extra="ignore", frozen=True)

    jwt_secret: SecretStr = Field(
        SecretStr("local-development-jwt-secret-change-me"), description="HMAC key new JWTs are signed with."
    )
    jwt_previous_secrets: tuple[SecretStr, ...] = Field(
        (),
        description=(
            'Earlier HMAC keys still accepted during a rotation, as a JSON list (`["old-key"]`); '
            "remove each once the tokens it signed have expired."
        ),
    )
    jwt_algorithm: str = Field("HS256", description="JWT signing algorithm.")
    jwt_issuer: str = Field("import-control-plane", description="Required `iss` claim.")
    jwt_audience: str = Field("import-api", description="Required `aud` claim.")
    api_key_pepper: SecretStr = Field(
        SecretStr("local-development-pepper"), description="Secret mixed into API key hashes."
    )


class WorkerSettings(Section):
    """arq worker processes."""

    model_config = SettingsConfigDict(env_prefix="ICP_WORKER_", extra="ignore", frozen=True)

    concurrency: int = Field(5, ge=1, description="Jobs one worker runs at once (REQ-WORKER-2: 5).")
    feed_interval_s: float = Field(
        0.5, gt=0, description="How often a worker's feeder moves jobs from the fair dispatcher into free slots."
    )
    ready_per_slot: int = Field(
        1,
        ge=0,
        le=4,
        description="Jobs kept handed to arq ahead of each worker slot, so a slot that frees starts its next job "
        "at arq's next poll instead of after a feeder pass (0: only free slots are fed).",
    )
    poll_delay_s: float = Field(
        0.1, gt=0, le=5, description="How often an arq worker with a free slot looks for a job (arq's default: 0.5)."
    )
    job_timeout_s: int = Field(3600, ge=1, description="Longest a single job run may take.")
    image_concurrency: int = Field(4, ge=1, le=64, description="Image downloads in flight per job.")
    gc_young_threshold: int = Field(
        10_000,
        ge=0,
        description="Allocations between Python's youngest cyclic collections in a worker (stdlib: 700; 0 keeps it).",
    )
    lease_ttl_s: float = Field(15.0, gt=0, description="A running job's lease; lost when heartbeats stop this long.")
    heartbeat_interval_s: float = Field(3.0, gt=0, description="How often a running job renews its lease.")
    drain_timeout_s: int = Field(25, ge=0, description="On SIGTERM, how long running jobs may finish before hand-back.")
    reconcile_interval_s: int = Field(
        300, ge=1, description="Orphan reconciliation period (REQ-RECON-1: 5 min); under 60 it must divide 60."
    )
    lease_sweep_interval_s: int = Field(5, ge=1, description="Expired-lease sweep period; under 60 it must divide 60.")
    pending_grace_s: float = Field(
        10.0, ge=0, description="Age before a PENDING or QUEUED job missing from Redis counts as orphaned."
    )
    storage_sweep_interval_s: int = Field(
        300, ge=1, description="How often unreferenced image objects are deleted; under 60 it must divide 60."
    )
    storage_garbage_grace_s: float = Field(
        3600.0,
        ge=0,
        description="How long an S3 key no image row references stays before the sweep deletes its object.",
    )
    retry_delays_s: tuple[int, ...] = Field(
        (5, 25, 125), description="Backoff before each retry of a failed attempt (REQ-QUEUE-1: 5 s, 25 s, 125 s)."
    )
