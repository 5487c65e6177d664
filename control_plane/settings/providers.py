"""Provider clients, rate limits, breakers, image fetching."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section


class ProviderSettings(Section):
    """Calls to commerce providers (Shopify, Roastify)."""

    model_config = SettingsConfigDict(env_prefix="ICP_PROVIDER_", extra="ignore", frozen=True)

    connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to open a connection to a provider.")
    read_timeout_s: float = Field(30.0, gt=0, description="Seconds to wait for a provider's reply.")
    max_retry_after_s: float = Field(120.0, gt=0, description="Longest Retry-After we honour before giving up.")
    max_response_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description="Largest provider response body read, in decoded bytes; more fails the job.",
    )
    response_timeout_s: float = Field(
        120.0, gt=0, description="Seconds one provider call may take from request to the body's last byte."
    )
    shopify_api_version: str = Field(
        "2026-10",
        pattern=r"^20\d\d-(01|04|07|10)$",
        description="Shopify Admin API version used in URLs unless an integration sets `api_version`.",
    )
    shopify_page_size: int = Field(
        100, ge=1, le=250, description="Most products per Shopify page (GraphQL pages are also kept within cost)."
    )
    shopify_bulk_min_products: int = Field(
        1000,
        ge=0,
        description="A first full GraphQL load of at least this many products uses a bulk operation; 0: never.",
    )
    shopify_bulk_page_products: int = Field(
        100, ge=1, le=1000, description="Products per page read from a bulk result."
    )
    shopify_bulk_poll_s: float = Field(
        2.0, gt=0, le=60, description="Seconds between polls of a running bulk operation."
    )
    roastify_page_size: int = Field(100, ge=1, le=100, description="Products per Roastify list page.")
    roastify_base_url: str = Field("https://api.roastify.com", description="Roastify API base URL.")
    shopify_shop_url: str = Field(
        "https://{shop}.myshopify.com",
        pattern=r"^https?://[^{}]*\{shop\}[^{}]*$",
        description="Where a Shopify shop lives, from its name (`{shop}`); a simulator or staging host may stand in.",
    )
    secrets_key: SecretStr = Field(
        SecretStr("bG9jYWwtZGV2ZWxvcG1lbnQta2V5LWNoYW5nZS1tZS0="),
        description="Fernet key (urlsafe base64, 32 bytes) encrypting provider credentials at rest.",
    )


class RateLimitSettings(Section):
    """Token buckets in Redis shared by every worker (REQ-RATE, REQ-QUEUE-4 numbers by default)."""

    model_config = SettingsConfigDict(env_prefix="ICP_RATELIMIT_", extra="ignore", frozen=True)

    shopify_per_minute: int = Field(120, ge=1, description="Shopify requests per minute per company.")
    roastify_per_minute: int = Field(100, ge=1, description="Roastify requests per minute per API key.")
    job_starts_per_minute: int = Field(100, ge=1, description="Import jobs started per minute, queue-wide.")


class BreakerSettings(Section):
    """Circuit breakers in Redis, per provider and per company integration."""

    model_config = SettingsConfigDict(env_prefix="ICP_BREAKER_", extra="ignore", frozen=True)

    failure_threshold: int = Field(5, ge=1, description="Consecutive failures that open a breaker.")
    open_seconds: float = Field(60.0, gt=0, description="How long a breaker stays open before one probe.")
    provider_min_integrations: int = Field(
        3,
        ge=1,
        description="Distinct integrations the provider-wide breaker's run of failures must span to open it "
        "(1: any one integration's failures can).",
    )
    transitions_kept: int = Field(1000, ge=10, description="Breaker transitions kept for metrics and the dashboard.")


class ImageSettings(Section):
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
    download_attempts: int = Field(
        3, ge=1, le=10, description="Tries per image when the connection drops or the host answers 429/5xx."
    )
    retry_backoff_s: float = Field(0.5, ge=0, description="Pause before the 2nd try; doubles for each later one.")
    allow_hosts: str = Field(
        "",
        description="Comma-separated host or host:port that skip the public-address check (local simulator only).",
    )
    executor: Literal["thread", "process"] = Field("thread", description="Pool that decodes images and thumbnails.")
    executor_workers: int | None = Field(None, ge=1, description="Size of that pool; the CPU count if unset.")

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.allow_hosts.split(",") if h.strip())
