"""Where the dependencies are: database, Redis, S3."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section


class DatabaseSettings(Section):
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


class RedisSettings(Section):
    """How the applications reach Redis, the (volatile) work queue."""

    model_config = SettingsConfigDict(env_prefix="ICP_REDIS_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="Redis host (the toxiproxy listener locally).")
    port: int = Field(16379, description="Redis port seen by the applications (the `redis` proxy).")
    database: int = Field(0, ge=0, le=15, description="Redis logical database.")
    password: SecretStr | None = Field(None, description="Redis password, if any.")
    queue_name: str = Field("icp:queue", description="arq queue the import jobs are enqueued on.")
    connect_timeout_s: float = Field(2.0, gt=0, description="Seconds to wait for a connection.")
    socket_timeout_s: float = Field(5.0, gt=0, description="Seconds to wait for a reply.")
    tls: bool = Field(False, description="Connect with TLS (ElastiCache with encryption in transit).")
    sentinels: str = Field(
        "",
        description="Redis Sentinels as host:port,host:port; when set, the primary of `sentinel_master` is found "
        "through them and followed across a failover (host and port are then unused). Empty: host and port, "
        "as ElastiCache's primary endpoint.",
    )
    sentinel_master: str = Field("icp", min_length=1, description="Name the Sentinels monitor the primary under.")

    @field_validator("sentinels")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for address, host, port in _host_ports(value):
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"a Sentinel address is host:port, not {address!r}")
        return value

    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """The Sentinels to ask for the primary; empty when Redis is reached at host and port."""
        return [(host, int(port)) for _, host, port in _host_ports(self.sentinels)]


def _host_ports(addresses: str) -> list[tuple[str, str, str]]:
    """``a:1, b:2`` as (address, host, port) texts, blanks skipped."""
    parts = [part.strip() for part in addresses.split(",")]
    return [(part, *_split(part)) for part in parts if part]


def _split(address: str) -> tuple[str, str]:
    host, _, port = address.rpartition(":")
    return host, port


class S3Settings(Section):
    """Object storage for product images and thumbnails."""

    model_config = SettingsConfigDict(env_prefix="ICP_S3_", extra="ignore", frozen=True)

    endpoint_url: str | None = Field(
        "http://127.0.0.1:18333", description="S3 endpoint (the `s3` proxy locally); empty for AWS's own endpoint."
    )
    region: str = Field("us-east-1", description="S3 region.")
    bucket: str = Field("icp-images", description="Bucket holding originals and thumbnails.")
    access_key_id: str = Field("icp-local", description="Access key id (local SeaweedFS identity).")
    secret_access_key: SecretStr = Field(SecretStr("icp-local-secret"), description="Secret access key.")
    use_default_credentials: bool = Field(
        False, description="Ignore the keys above and use the AWS default credential chain (the ECS task role)."
    )

    @field_validator("endpoint_url", mode="before")
    @classmethod
    def _empty_endpoint_is_aws(cls, value: object) -> object:
        """An empty ICP_S3_ENDPOINT_URL means the regional AWS endpoint."""
        return None if value == "" else value
