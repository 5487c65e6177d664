"""The local stack and the provider simulator."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section


class StackSettings(Section):
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
    redis_ha: bool = Field(
        False,
        description="Run Redis as production does: this primary, two replicas and three Sentinels with automatic "
        "failover; the applications find the primary through the Sentinels (not through the `redis` proxy).",
    )
    redis_replica_ports: list[int] = Field([56380, 56381], description="Ports of the two Redis replicas (HA).")
    sentinel_ports: list[int] = Field([56390, 56391, 56392], description="Ports of the three Sentinels (HA).")
    sentinel_down_after_ms: int = Field(
        5000, ge=100, description="How long the primary may not answer before the Sentinels fail it over (HA)."
    )

    def sentinels(self) -> str:
        """``ICP_REDIS_SENTINELS`` for this stack's Sentinels (used only with ``redis_ha``)."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    workers: int = Field(2, ge=0, description="arq worker processes started by `stack up`.")
    postgres_bin_dir: Path | None = Field(None, description="Folder with initdb/postgres; found if unset.")
    toxiproxy_bin: Path | None = Field(None, description="toxiproxy server binary; found if unset.")
    start_timeout_s: float = Field(60.0, gt=0, description="How long a service may take to become ready.")


class SimulatorSettings(Section):
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
