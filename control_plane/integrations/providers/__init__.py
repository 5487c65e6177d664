"""Provider clients (one module per provider) and the factory that wires them.

Each client takes an injected ``httpx.AsyncClient``; rate limits and circuit
breakers are shared by every worker through Redis.
"""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from control_plane.domain.breaker import breaker_scopes
from control_plane.domain.providers import Provider
from control_plane.domain.ratelimit import provider_bucket_key, query_cost_key, spec_for
from control_plane.integrations.metrics.provider_calls import ProviderCallCounters
from control_plane.integrations.providers.base import IntegrationAccess, ProviderClient
from control_plane.integrations.providers.guard import RedisCallGuard
from control_plane.integrations.providers.roastify import RoastifyClient
from control_plane.integrations.providers.shopify_bulk import BulkSettings, ShopifyBulk
from control_plane.integrations.providers.shopify_graphql import ShopifyGraphQLClient
from control_plane.integrations.providers.shopify_graphql_call import ShopAccess, ShopifyGraphQL
from control_plane.integrations.providers.shopify_rest import ShopifyRestClient
from control_plane.integrations.providers.transport import BodyLimits, ProviderTransport
from control_plane.integrations.redis_state.circuit_breaker import RedisCircuitBreaker
from control_plane.integrations.redis_state.query_cost import QueryCostBucket
from control_plane.integrations.redis_state.token_bucket import RedisTokenBucket
from control_plane.settings import Settings

MAX_RATE_WAIT_S = 30.0
"""Longer than this and the job is deferred rather than holding a worker slot."""


def create_http_client(settings: Settings) -> httpx.AsyncClient:
    """One pooled client per process, with timeouts on every call."""
    provider = settings.provider
    timeout = httpx.Timeout(provider.read_timeout_s, connect=provider.connect_timeout_s)
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, headers={"User-Agent": "import-control-plane"})


class ProviderClients:
    """Builds the right client for an integration, sharing HTTP, limiter and breaker."""

    def __init__(self, http: httpx.AsyncClient, redis: Redis, settings: Settings) -> None:
        self._http = http
        self._settings = settings
        self._bucket = RedisTokenBucket(redis)
        self._breaker = RedisCircuitBreaker.from_settings(redis, settings.breaker)
        self._counters = ProviderCallCounters(redis)
        self._query_cost = QueryCostBucket(redis)

    def __call__(self, access: IntegrationAccess) -> ProviderClient:
        provider = self._settings.provider
        transport = ProviderTransport(
            self._http,
            self._guard(access),
            provider=access.provider.value,
            observer=self._counters,
            limits=BodyLimits(provider.max_response_bytes, provider.response_timeout_s),
        )
        if access.provider is Provider.ROASTIFY:
            return RoastifyClient(
                transport, base_url=access.base_url, api_key=access.credential, page_size=provider.roastify_page_size
            )
        api_version = str(access.account_settings.get("api_version") or provider.shopify_api_version)
        if access.account_settings.get("api") == "rest":
            return ShopifyRestClient(
                transport,
                base_url=access.base_url,
                token=access.credential,
                api_version=api_version,
                page_size=provider.shopify_page_size,
            )
        return self._shopify_graphql(access, transport, api_version)

    def _shopify_graphql(
        self, access: IntegrationAccess, transport: ProviderTransport, api_version: str
    ) -> ShopifyGraphQLClient:
        provider = self._settings.provider
        shop = ShopAccess(
            url=f"{access.base_url}/admin/api/{api_version}/graphql.json",
            token=access.credential,
            api_version=api_version,
            integration_id=access.integration_id,
            bucket_key=query_cost_key(access.base_url),
            max_wait_s=MAX_RATE_WAIT_S,
        )
        api = ShopifyGraphQL(transport, shop, self._query_cost, self._counters)
        bulk = None
        if provider.shopify_bulk_min_products > 0:
            settings = BulkSettings(
                min_products=provider.shopify_bulk_min_products,
                page_products=provider.shopify_bulk_page_products,
                poll_interval_s=provider.shopify_bulk_poll_s,
            )
            bulk = ShopifyBulk(api, transport, settings)
        return ShopifyGraphQLClient(api, page_size=provider.shopify_page_size, bulk=bulk)

    def _guard(self, access: IntegrationAccess) -> RedisCallGuard:
        limits = self._settings.rate_limit
        per_minute = limits.roastify_per_minute if access.provider is Provider.ROASTIFY else limits.shopify_per_minute
        return RedisCallGuard(
            breaker=self._breaker,
            bucket=self._bucket,
            scopes=breaker_scopes(access.provider.value, access.integration_id),
            bucket_key=provider_bucket_key(access.provider, company_id=access.company_id, credential=access.credential),
            spec=spec_for(access.provider, per_minute, access.account_settings),
            max_wait_s=MAX_RATE_WAIT_S,
            observer=self._counters,
        )
