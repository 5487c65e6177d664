"""Provider clients against the simulator, through toxiproxy, with the shared Redis limiter and breaker."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from control_plane.domain.providers import Provider
from control_plane.integrations.providers import ProviderClients, create_http_client
from control_plane.integrations.providers.base import (
    IntegrationAccess,
    PermanentProviderError,
    ProviderClient,
    ProviderDeferred,
    RetryableProviderError,
    SourceProduct,
)
from control_plane.settings import BreakerSettings, Settings
from harness.settings import SimulatorSettings

FAST = {"requests_per_minute": 60_000}
"""Our limiter out of the way, so the provider's own limits are what the client meets."""


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client(settings) as client:
        yield client


@pytest.fixture
async def sim(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's admin surface (through the shopify proxy; any proxy reaches it)."""
    async with httpx.AsyncClient(base_url=SimulatorSettings().shopify_base, timeout=10) as client:
        yield client


async def _account(sim: httpx.AsyncClient, provider: str, config: dict[str, Any]) -> str:
    name = f"t-{uuid.uuid4().hex[:10]}"
    response = await sim.put(f"/_sim/accounts/{provider}/{name}", json=config)
    assert response.status_code in (200, 201, 204), response.text
    return name


async def _stats(sim: httpx.AsyncClient, provider: str, account: str) -> dict[str, Any]:
    response = await sim.get(f"/_sim/stats/{provider}/{account}")
    assert response.status_code == 200, response.text
    stats: dict[str, Any] = response.json()
    return stats


def _access(settings: Settings, provider: Provider, account: str, **account_settings: Any) -> IntegrationAccess:
    sim = SimulatorSettings()
    if provider is Provider.SHOPIFY:
        base, credential = f"{sim.shopify_base}/shopify/{account}", f"shpat_sim_{account}"
    else:
        base, credential = f"{sim.roastify_base}/roastify/{account}", f"rk_sim_{account}"
    return IntegrationAccess(
        integration_id=str(uuid.uuid4()),
        company_id=str(uuid.uuid4()),
        provider=provider,
        base_url=base,
        account_settings=account_settings,
        credential=credential,
    )


async def _drain(client: ProviderClient, *, page_size: int | None = None) -> tuple[list[SourceProduct], int]:
    """Every product, following cursors to the end; also how many pages it took."""
    products: list[SourceProduct] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await client.fetch_page(cursor, page_size=page_size)
        products += page.products
        pages += 1
        if page.next_cursor is None:
            return products, pages
        cursor = page.next_cursor


def _assert_complete(products: list[SourceProduct], expected: int) -> None:
    ids = [p.external_id for p in products]
    assert len(ids) == expected
    assert len(set(ids)) == expected, "a product was read twice"


async def test_shopify_graphql_pages_2000_products_with_no_throttling(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    shop = await _account(sim, "shopify", {"products": 2000, "plan": "plus", "images_max": 2})
    client = ProviderClients(http, redis, settings)(_access(settings, Provider.SHOPIFY, shop, **FAST))
    products, pages = await _drain(client, page_size=100)
    _assert_complete(products, 2000)
    assert pages >= 20  # at most 100 a page, fewer when the cost limit says so
    first = products[0].payload
    assert isinstance(first["tags"], str) and isinstance(first["variants"][0]["price"], str)
    stats = await _stats(sim, "shopify", shop)
    assert stats["rate_limited_429"] == 0, stats
    assert stats["graphql_outcomes"].get("throttled", 0) == 0, stats
    assert stats["graphql_max_requested_cost"] <= 1000, stats


async def test_shopify_graphql_paces_on_the_cost_bucket_instead_of_hitting_throttled(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    # More points than the 2,000-point standard bucket holds: later pages must wait for its restore.
    shop = await _account(sim, "shopify", {"products": 400, "plan": "standard", "images_max": 1})
    client = ProviderClients(http, redis, settings)(_access(settings, Provider.SHOPIFY, shop, **FAST))
    products, _ = await _drain(client, page_size=100)
    _assert_complete(products, 400)
    stats = await _stats(sim, "shopify", shop)
    assert stats["graphql_points_charged"] > 2000, stats
    assert stats["graphql_outcomes"].get("throttled", 0) == 0, stats
    assert stats["graphql_outcomes"].get("max_cost_exceeded", 0) == 0, stats


async def test_shopify_rest_long_run_never_exceeds_the_leaky_bucket(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    # 500 calls against a 400-call bucket leaking 20/s: pacing from the call-limit header must hold it.
    shop = await _account(sim, "shopify", {"products": 2000, "plan": "plus", "images_max": 0})
    client = ProviderClients(http, redis, settings)(_access(settings, Provider.SHOPIFY, shop, api="rest", **FAST))
    products, pages = await _drain(client, page_size=4)
    _assert_complete(products, 2000)
    assert pages == 500
    stats = await _stats(sim, "shopify", shop)
    assert stats["rate_limited_429"] == 0, stats
    assert stats["rest_bucket_max"] <= 400, stats


async def test_resume_from_a_persisted_cursor_reads_each_product_once(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    shop = await _account(sim, "shopify", {"products": 230, "plan": "plus"})
    clients = ProviderClients(http, redis, settings)
    access = _access(settings, Provider.SHOPIFY, shop, **FAST)
    first = await clients(access).fetch_page(None, page_size=100)
    assert first.next_cursor is not None
    # A different client instance (another worker after a crash) resumes from the stored cursor.
    rest, pages = await _drain_from(clients(access), first.next_cursor)
    _assert_complete(first.products + rest, 230)
    assert pages >= 2


async def _drain_from(client: ProviderClient, cursor: str) -> tuple[list[SourceProduct], int]:
    products: list[SourceProduct] = []
    pages = 0
    next_cursor: str | None = cursor
    while next_cursor is not None:
        page = await client.fetch_page(next_cursor, page_size=100)
        products += page.products
        pages += 1
        next_cursor = page.next_cursor
    return products, pages


async def test_shopify_429_retry_after_is_honoured(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    shop = await _account(sim, "shopify", {"products": 10, "plan": "standard"})
    access = _access(settings, Provider.SHOPIFY, shop, api="rest", **FAST)
    url = f"{access.base_url}/admin/api/{settings.provider.shopify_api_version}/products.json"
    headers = {"X-Shopify-Access-Token": access.credential}
    for _ in range(45):  # another app of the same shop fills the bucket
        await http.get(url, headers=headers, params={"limit": 1})
    assert (await http.get(url, headers=headers, params={"limit": 1})).status_code == 429
    started = time.monotonic()
    page = await ProviderClients(http, redis, settings)(access).fetch_page(None)
    assert len(page.products) == 10
    assert time.monotonic() - started >= 2.0, "the client must wait out Retry-After: 2.0"


async def test_bad_credentials_and_missing_shops_fail_permanently(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    shop = await _account(sim, "shopify", {"products": 5})
    clients = ProviderClients(http, redis, settings)
    wrong = replace(_access(settings, Provider.SHOPIFY, shop), credential="shpat_wrong")
    with pytest.raises(PermanentProviderError) as info:
        await clients(wrong).fetch_page(None)
    assert info.value.status == 401 and "credentials" in info.value.message
    gone = await _account(sim, "shopify", {"gone": True})
    with pytest.raises(PermanentProviderError) as info:
        await clients(_access(settings, Provider.SHOPIFY, gone)).fetch_page(None)
    assert info.value.status == 404


async def test_5xx_burst_is_retried_and_an_outage_opens_the_breaker(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    shop = await _account(sim, "shopify", {"products": 5, "faults": {"burst_5xx": 2}})
    clients = ProviderClients(http, redis, replace(settings, breaker=BreakerSettings(open_seconds=30)))
    access = _access(settings, Provider.SHOPIFY, shop, **FAST)
    assert len((await clients(access).fetch_page(None)).products) == 5  # two 503s, then success

    down = await _account(sim, "shopify", {"products": 5, "faults": {"burst_5xx": 1000}})
    down_access = _access(settings, Provider.SHOPIFY, down, **FAST)
    deferred: ProviderDeferred | None = None
    for _ in range(3):  # 4 failed attempts per call: the 5th consecutive failure opens the breaker
        try:
            await clients(down_access).fetch_page(None)
        except ProviderDeferred as exc:
            deferred = exc
            break
        except RetryableProviderError:
            continue
    assert deferred is not None and "circuit open" in deferred.message
    calls = (await _stats(sim, "shopify", down))["requests"]
    with pytest.raises(ProviderDeferred):
        await clients(down_access).fetch_page(None)
    assert (await _stats(sim, "shopify", down))["requests"] == calls, "no call may reach a provider while open"


@pytest.mark.slow
async def test_roastify_500_products_complete_through_its_429s(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    """505 requests against 100/minute per key: the client must ride out Roastify's header-less 429s."""
    account = await _account(sim, "roastify", {"products": 500, "images_max": 1})
    client = ProviderClients(http, redis, settings)(_access(settings, Provider.ROASTIFY, account))
    products, pages = await _drain(client)
    _assert_complete(products, 500)
    assert pages == 5
    assert all(p.payload["variants"] and isinstance(p.payload["variants"][0]["retailPrice"], int) for p in products)
    stats = await _stats(sim, "roastify", account)
    assert stats["roastify_max_requests_60s"] <= 100, stats
    assert stats["rate_limited_429"] > 0, "the run must have met (and ridden out) Roastify's limit"
