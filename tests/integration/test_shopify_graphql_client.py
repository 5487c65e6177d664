"""The Shopify GraphQL client against the simulator, which implements Shopify's documented rules.

Each test names the rule it relies on; the simulator refuses what Shopify refuses (MAX_COST_EXCEEDED
above 1,000 requested points, THROTTLED above the available points, first > 250), so a client that
breaks a rule fails here.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from control_plane.domain.providers import Provider
from control_plane.integrations.metrics.provider_calls import ProviderCallCounters
from control_plane.integrations.providers import ProviderClients, create_http_client
from control_plane.integrations.providers.base import (
    IntegrationAccess,
    PermanentProviderError,
    ProductPage,
    ProviderClient,
    ProviderDeferred,
    SourceProduct,
)
from control_plane.integrations.providers.shopify_bulk import BULK_PREFIX
from control_plane.integrations.providers.shopify_queries import MAX_QUERY_COST
from control_plane.settings import ProviderSettings, Settings
from harness.settings import SimulatorSettings

FAST = {"requests_per_minute": 60_000}
"""Our per-company request limiter out of the way: Shopify's cost bucket is what the client meets."""


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client(settings) as client:
        yield client


async def shop(sim: httpx.AsyncClient, **config: Any) -> str:
    name = f"g-{uuid.uuid4().hex[:10]}"
    response = await sim.put(f"/_sim/accounts/shopify/{name}", json=config)
    assert response.status_code < 300, response.text
    return name


async def stats(sim: httpx.AsyncClient, name: str) -> dict[str, Any]:
    response = await sim.get(f"/_sim/stats/shopify/{name}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def access(settings: Settings, name: str, **account_settings: Any) -> IntegrationAccess:
    return IntegrationAccess(
        integration_id=str(uuid.uuid4()),
        company_id=str(uuid.uuid4()),
        provider=Provider.SHOPIFY,
        base_url=f"{SimulatorSettings().shopify_base}/shopify/{name}",
        account_settings={**FAST, **account_settings},
        credential=f"shpat_sim_{name}",
    )


def clients(settings: Settings, http: httpx.AsyncClient, redis: Redis, **provider: Any) -> ProviderClients:
    tuned = replace(settings, provider=ProviderSettings(**{**settings.provider.model_dump(), **provider}))
    return ProviderClients(http, redis, tuned)


async def drain(client: ProviderClient, cursor: str | None = None, **kwargs: Any) -> list[SourceProduct]:
    products: list[SourceProduct] = []
    while True:
        page = await client.fetch_page(cursor, **kwargs)
        products += page.products
        if page.next_cursor is None:
            return products
        cursor = page.next_cursor


async def test_products_with_more_variants_and_media_than_a_page_holds_are_completed(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    """Nested connections are paged like any other (``product(id:){variants(first:, after:)}``), none cut."""
    name = await shop(sim, products=12, plan="plus", variants_min=150, variants_max=300, images_min=40, images_max=60)
    client = clients(settings, http, redis)(access(settings, name))
    products = await drain(client)
    assert len(products) == 12
    for product in products:
        assert 150 <= len(product.payload["variants"]) <= 300
        assert 40 <= len(product.payload["images"]) <= 60
        assert [i["position"] for i in product.payload["images"]] == list(range(1, len(product.payload["images"]) + 1))
        assert len({v["id"] for v in product.payload["variants"]}) == len(product.payload["variants"])
    counters = await stats(sim, name)
    assert counters["graphql_outcomes"].get("max_cost_exceeded", 0) == 0, counters
    assert counters["graphql_max_requested_cost"] <= MAX_QUERY_COST, counters


async def test_jobs_of_one_shop_share_its_cost_bucket_and_are_rarely_throttled(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    """THROTTLED when the requested cost is above the available points; the bucket is per app and shop."""
    # Three reads of about 1,500 points each from a 2,000-point bucket restoring 100 points/s: they must wait
    # for each other, on the shared bucket, instead of spending THROTTLED answers.
    name = await shop(sim, products=40, plan="standard", variants_min=1, variants_max=10, images_max=3)
    readers = [clients(settings, http, redis)(access(settings, name)) for _ in range(3)]
    results = await asyncio.gather(*(drain(reader) for reader in readers))
    assert [len(products) for products in results] == [40, 40, 40]
    assert (await stats(sim, name))["graphql_points_charged"] > 2000  # more than one bucket: pacing was needed
    outcomes = (await stats(sim, name))["graphql_outcomes"]
    answers = sum(outcomes.values())
    assert outcomes.get("throttled", 0) <= max(1, 0.02 * answers), outcomes


async def test_an_incremental_read_asks_for_products_updated_at_or_after_the_instant(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    name = await shop(sim, products=30, plan="plus")
    client = clients(settings, http, redis)(access(settings, name))
    everything = await drain(client)
    newest = sorted(everything, key=lambda p: p.updated_at or 0, reverse=True)
    since = newest[4].updated_at
    assert since is not None
    recent = await drain(client, updated_since=since)
    assert {p.external_id for p in recent} == {p.external_id for p in newest[:5]}


async def test_a_deprecated_api_version_is_counted_and_logged_once(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    """Shopify answers a request on a deprecated or removed version with ``X-Shopify-API-Deprecated-Reason``."""
    name = await shop(sim, products=3, plan="plus")
    before = (await ProviderCallCounters(redis).read()).deprecated_calls.get("shopify", 0)
    client = clients(settings, http, redis)(access(settings, name, api_version="2024-01"))
    assert len(await drain(client)) == 3
    after = (await ProviderCallCounters(redis).read()).deprecated_calls.get("shopify", 0)
    assert after > before


async def test_a_large_first_load_goes_through_one_bulk_operation_and_resumes_it(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    """bulkOperationRunQuery → poll the operation → stream the JSONL file (``__parentId`` lines)."""
    name = await shop(sim, products=260, plan="plus", variants_max=5, images_max=3)
    factory = clients(settings, http, redis, shopify_bulk_min_products=200, shopify_bulk_poll_s=0.2)
    first = factory(access(settings, name))
    page: ProductPage = await first.fetch_page(None, bulk_allowed=True)
    seen: list[SourceProduct] = list(page.products)
    while page.next_cursor is not None and not seen:
        page = await first.fetch_page(page.next_cursor, bulk_allowed=True)
        seen += page.products
    assert page.next_cursor is not None and page.next_cursor.startswith(BULK_PREFIX)
    resumed = factory(access(settings, name))  # a new worker resumes from the checkpoint
    seen += await drain(resumed, page.next_cursor, bulk_allowed=True)
    assert sorted(int(p.external_id) for p in seen) == sorted({int(p.external_id) for p in seen})
    assert len(seen) == 260
    assert all(p.payload["variants"] for p in seen)
    assert (await stats(sim, name))["bulk_operations"]["started"] == 1


async def test_a_small_or_incremental_read_never_starts_a_bulk_operation(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    name = await shop(sim, products=50, plan="plus")
    client = clients(settings, http, redis, shopify_bulk_min_products=10)(access(settings, name))
    assert len(await drain(client, page_size=20)) == 50  # bulk not allowed (a preview, a capped import)
    assert (await stats(sim, name)).get("bulk_operations", {}).get("started", 0) == 0


@pytest.mark.parametrize(
    ("error_code", "permanent"), [("ACCESS_DENIED", True), ("INTERNAL_SERVER_ERROR", False), ("TIMEOUT", False)]
)
async def test_a_failed_bulk_operation_is_classified(
    settings: Settings,
    http: httpx.AsyncClient,
    redis: Redis,
    sim: httpx.AsyncClient,
    clean: None,
    error_code: str,
    permanent: bool,
) -> None:
    """BulkOperation.errorCode: ACCESS_DENIED will not change by retrying; the others may."""
    name = await shop(sim, products=30, plan="plus")
    scripted = await sim.post(
        f"/_sim/accounts/shopify/{name}/next-bulk-operation",
        json={"outcome": "failed", "error_code": error_code, "queued_s": 0, "running_s": 0},
    )
    assert scripted.status_code < 300, scripted.text
    client = clients(settings, http, redis, shopify_bulk_min_products=10, shopify_bulk_poll_s=0.2)(
        access(settings, name)
    )
    if permanent:
        with pytest.raises(PermanentProviderError, match="ACCESS_DENIED"):
            await drain(client, bulk_allowed=True)
        return
    restarted = False
    cursor: str | None = None
    found: list[SourceProduct] = []
    while True:
        page = await client.fetch_page(cursor, bulk_allowed=True)
        restarted |= page.restarted
        found += page.products
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert restarted and len(found) == 30
    assert (await stats(sim, name))["bulk_operations"]["started"] == 2


async def test_a_second_bulk_operation_of_a_busy_shop_is_deferred_not_failed(
    settings: Settings, http: httpx.AsyncClient, redis: Redis, sim: httpx.AsyncClient, clean: None
) -> None:
    """Shopify runs a limited number of bulk queries per shop at a time and refuses more with a userError."""
    name = await shop(sim, products=30, plan="plus")
    await sim.post(
        f"/_sim/accounts/shopify/{name}/next-bulk-operation",
        json={"outcome": "completed", "queued_s": 0, "running_s": 600},
    )
    factory = clients(settings, http, redis, shopify_bulk_min_products=10, shopify_bulk_poll_s=0.2)
    started = 0
    deferred: ProviderDeferred | None = None
    while deferred is None and started < 10:  # the documented limit of concurrent bulk queries, then one more
        try:
            await factory(access(settings, name)).fetch_page(None, bulk_allowed=True)
            started += 1
        except ProviderDeferred as exc:
            deferred = exc
    assert deferred is not None and 1 <= started < 10
    assert (await stats(sim, name))["bulk_operations"]["started"] == started
