"""The provider simulator, exercised through its toxiproxy proxies exactly as clients reach it.

Needs `importctl stack up --infra-only`.  Every test uses accounts of its own
and resets them afterwards, so tests do not share rate-limit state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from io import BytesIO
from typing import Any

import httpx
import pytest
from PIL import Image

from harness.settings import SimulatorSettings
from tests.support.simulator_http import API, configure, rest_page, roastify_headers, shopify_headers

pytestmark = pytest.mark.integration

RATE_MESSAGE = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."


async def graphql(http: httpx.AsyncClient, shop: str, variables: dict[str, Any]) -> httpx.Response:
    document = """query($first: Int!, $after: String, $query: String) {
      products(first: $first, after: $after, query: $query) {
        edges { cursor node { id legacyResourceId status tags updatedAt
          variants(first: 2) { nodes { id price } }
          media(first: 1) { nodes { ... on MediaImage { image { url } } } } } }
        pageInfo { hasNextPage endCursor } } }"""
    body = {"query": document, "variables": variables}
    return await http.post(f"/shopify/{shop}{API}/graphql.json", json=body, headers=shopify_headers(shop))


async def test_rest_pages_follow_the_link_header_to_the_last_page(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("rest-pages")
    await configure(http, "shopify", shop, products=7)
    response = await rest_page(http, shop, limit=3)
    pages = [response]
    while "next" in response.links:
        assert response.links["next"]["url"].startswith(str(http.base_url).rstrip("/"))
        response = await http.get(response.links["next"]["url"], headers=shopify_headers(shop))
        assert response.status_code == 200
        pages.append(response)
    ids = [product["id"] for page in pages for product in page.json()["products"]]
    assert [len(page.json()["products"]) for page in pages] == [3, 3, 1]
    assert ids == sorted(ids) and len(set(ids)) == 7
    last = pages[-1]
    assert "next" not in last.links and "previous" in last.links
    assert 'rel="previous"' in last.headers["link"] and "page_info=" in last.headers["link"]
    back = await http.get(last.links["previous"]["url"], headers=shopify_headers(shop))
    assert [p["id"] for p in back.json()["products"]] == ids[3:6]


async def test_rest_product_has_the_shopify_shape(http: httpx.AsyncClient, accounts: Callable[[str], str]) -> None:
    shop = accounts("rest-shape")
    await configure(http, "shopify", shop, products=1, images_min=2, images_max=2, variants_min=3, variants_max=3)
    product = (await rest_page(http, shop)).json()["products"][0]
    assert isinstance(product["id"], int) and len(str(product["id"])) == 13
    assert isinstance(product["tags"], str) and product["status"] in {"active", "draft", "archived"}
    assert product["updated_at"][-6] in "+-" and product["body_html"].startswith("<p>")
    variant = product["variants"][0]
    assert isinstance(variant["price"], str) and "." in variant["price"]
    assert {"sku", "option1", "option2", "option3", "inventory_quantity", "grams", "weight_unit"} <= set(variant)
    assert [image["position"] for image in product["images"]] == [1, 2]
    assert product["image"] == product["images"][0]
    assert {option["name"] for option in product["options"]} <= {"Size", "Grind"}


async def test_rest_rejects_page_info_with_other_filters_and_bad_cursors(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("rest-filters")
    await configure(http, "shopify", shop, products=5)
    first = await rest_page(http, shop, limit=2)
    page_info = httpx.URL(first.links["next"]["url"]).params["page_info"]
    mixed = await rest_page(http, shop, limit=2, page_info=page_info, updated_at_min="2026-01-01T00:00:00Z")
    assert mixed.status_code == 400
    assert "page_info" in mixed.json()["errors"]
    garbage = await rest_page(http, shop, page_info="not-a-cursor")
    assert garbage.status_code == 400 and "page_info" in garbage.json()["errors"]


@pytest.mark.parametrize("limit", ["0", "251", "ten"])
async def test_rest_limit_is_validated(http: httpx.AsyncClient, accounts: Callable[[str], str], limit: str) -> None:
    shop = accounts("rest-limit")
    response = await rest_page(http, shop, limit=limit)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["limit"]
    assert (await rest_page(http, shop, limit=250)).status_code == 200


async def test_rest_updated_at_min_selects_recently_updated_products(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("rest-since")
    await configure(http, "shopify", shop, products=10)
    everything = (await rest_page(http, shop, limit=250)).json()["products"]
    cutoff = everything[4]["updated_at"]
    recent = (await rest_page(http, shop, updated_at_min=cutoff)).json()["products"]
    assert [p["id"] for p in recent] == [p["id"] for p in everything[:5]]
    touched = await http.post(f"/_sim/accounts/shopify/{shop}/touch", json={"count": 3})
    assert touched.status_code == 200
    since = touched.json()["updated_at"]
    fresh = (await rest_page(http, shop, updated_at_min=since)).json()["products"]
    assert [p["id"] for p in fresh] == [p["id"] for p in everything[:3]]


async def test_rest_bucket_overflows_into_429_with_retry_after(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("rest-429")
    await configure(http, "shopify", shop, products=1, images_max=0)
    responses = await asyncio.gather(*(rest_page(http, shop, limit=1) for _ in range(80)))
    throttled = [r for r in responses if r.status_code == 429]
    assert throttled, "80 concurrent calls must overflow a 40-call bucket leaking 2/s"
    assert all(r.status_code in {200, 429} for r in responses)
    assert throttled[0].headers["retry-after"] == "2.0"
    assert throttled[0].headers["x-shopify-shop-api-call-limit"] == "40/40"
    assert throttled[0].json() == {"errors": RATE_MESSAGE}
    ok = next(r for r in responses if r.status_code == 200)
    assert ok.headers["x-shopify-shop-api-call-limit"].endswith("/40")
    stats = (await http.get(f"/_sim/stats/shopify/{shop}")).json()
    assert stats["rate_limited_429"] == len(throttled)
    assert 39 <= stats["rest_bucket_max"] <= 40
    assert (await http.post(f"/_sim/accounts/shopify/{shop}/reset-limits")).status_code == 204
    assert (await rest_page(http, shop, limit=1)).headers["x-shopify-shop-api-call-limit"] == "1/40"


async def test_graphql_pages_carry_nodes_and_cost(http: httpx.AsyncClient, accounts: Callable[[str], str]) -> None:
    shop = accounts("gql-pages")
    await configure(http, "shopify", shop, products=5, images_min=1, images_max=1, variants_min=2, variants_max=2)
    first = (await graphql(http, shop, {"first": 3, "after": None, "query": None})).json()
    connection = first["data"]["products"]
    assert len(connection["edges"]) == 3 and connection["pageInfo"]["hasNextPage"] is True
    node = connection["edges"][0]["node"]
    assert node["id"] == f"gid://shopify/Product/{node['legacyResourceId']}"
    assert node["status"] in {"ACTIVE", "DRAFT", "ARCHIVED"} and isinstance(node["tags"], list)
    variant = node["variants"]["nodes"][0]
    assert isinstance(variant["price"], str) and variant["id"].startswith("gid://shopify/ProductVariant/")
    assert node["media"]["nodes"][0]["image"]["url"].startswith(str(http.base_url).rstrip("/"))
    cost = first["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (29, 29)
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0
    assert 1971 <= cost["throttleStatus"]["currentlyAvailable"] <= 2000
    after = connection["pageInfo"]["endCursor"]
    last = (await graphql(http, shop, {"first": 3, "after": after, "query": None})).json()
    assert len(last["data"]["products"]["edges"]) == 2
    assert last["data"]["products"]["pageInfo"]["hasNextPage"] is False
    assert (last["extensions"]["cost"]["requestedQueryCost"], last["extensions"]["cost"]["actualQueryCost"]) == (29, 20)


async def test_graphql_validates_first_and_filters_by_updated_at(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("gql-args")
    await configure(http, "shopify", shop, products=6)
    bad = await graphql(http, shop, {"first": 251})
    assert bad.status_code == 200 and "data" not in bad.json() and bad.json()["errors"]
    nodes = [e["node"] for e in (await graphql(http, shop, {"first": 10})).json()["data"]["products"]["edges"]]
    query = f"updated_at:>'{nodes[2]['updatedAt']}'"
    newer = (await graphql(http, shop, {"first": 10, "query": query})).json()["data"]["products"]["edges"]
    assert [e["node"]["id"] for e in newer] == [n["id"] for n in nodes[:2]]


async def test_roastify_list_is_summary_and_detail_has_cents(
    http: httpx.AsyncClient, sim: SimulatorSettings, accounts: Callable[[str], str]
) -> None:
    account = accounts("rfy-shape")
    await configure(http, "roastify", account, products=3, images_min=1, images_max=2)
    async with httpx.AsyncClient(base_url=sim.roastify_base, timeout=10.0, headers=roastify_headers(account)) as rfy:
        listing = (await rfy.get(f"/roastify/{account}/v1/products", params={"pageSize": 2})).json()
        assert len(listing["data"]) == 2 and listing["pageInfo"]["hasNextPage"] is True
        item = listing["data"][0]
        assert "variants" not in item and "images" not in item and item["imageCount"] >= 1
        detail = (await rfy.get(f"/roastify/{account}/v1/products/{item['id']}")).json()
        assert detail["id"] == item["id"] == "rp_000000"
        assert all(isinstance(v["retailPrice"], int) and isinstance(v["inStock"], bool) for v in detail["variants"])
        assert detail["images"][0]["url"].startswith(sim.roastify_base)
        rest = await rfy.get(f"/roastify/{account}/v1/products", params={"cursor": listing["pageInfo"]["endCursor"]})
        assert [p["id"] for p in rest.json()["data"]] == ["rp_000002"]
        assert rest.json()["pageInfo"] == {"endCursor": None, "hasNextPage": False}
        missing = await rfy.get(f"/roastify/{account}/v1/products/rp_000099")
        assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
        bad = await rfy.get(f"/roastify/{account}/v1/products", params={"pageSize": 101})
        assert bad.status_code == 400 and bad.json()["code"] == "BAD_REQUEST"


async def test_roastify_allows_100_requests_a_minute(
    http: httpx.AsyncClient, sim: SimulatorSettings, accounts: Callable[[str], str]
) -> None:
    account = accounts("rfy-429")
    await configure(http, "roastify", account, products=1)
    url = f"{sim.roastify_base}/roastify/{account}/v1/products/rp_000000"
    results = await asyncio.gather(*(http.get(url, headers=roastify_headers(account)) for _ in range(100)))
    assert [r.status_code for r in results] == [200] * 100
    over = await http.get(url, headers=roastify_headers(account))
    assert over.status_code == 429
    assert over.json() == {"message": "Too many requests", "code": "RATE_LIMITED"}
    assert not [h for h in over.headers if "ratelimit" in h or h == "retry-after"]
    stats = (await http.get(f"/_sim/stats/roastify/{account}")).json()
    assert stats["roastify_max_requests_60s"] == 100 and stats["rate_limited_429"] == 1
    assert (await http.post(f"/_sim/accounts/roastify/{account}/reset-limits")).status_code == 204
    assert (await http.get(url, headers=roastify_headers(account))).status_code == 200


def decodes(data: bytes) -> bool:
    """Whether Pillow can open and fully decode ``data`` (a truncated file opens but does not load)."""
    try:
        with Image.open(BytesIO(data)) as picture:
            picture.load()
    except OSError:
        return False
    return True


async def _first_image(http: httpx.AsyncClient, shop: str) -> httpx.Response:
    product = (await rest_page(http, shop, limit=1)).json()["products"][0]
    return await http.get(product["images"][0]["src"])


@pytest.mark.parametrize(("fmt", "pil_format"), [("jpeg", "JPEG"), ("png", "PNG"), ("webp", "WEBP")])
async def test_images_decode_to_the_configured_size_and_format(
    http: httpx.AsyncClient, accounts: Callable[[str], str], fmt: str, pil_format: str
) -> None:
    shop = accounts(f"img-{fmt}")
    size = {"image_width": 160, "image_height": 90}
    await configure(http, "shopify", shop, products=1, images_min=1, images_max=1, image_format=fmt, **size)
    response = await _first_image(http, shop)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"image/{fmt}"
    with Image.open(BytesIO(response.content)) as picture:
        picture.load()
        assert (picture.format, picture.size) == (pil_format, (160, 90))


async def test_image_faults_break_bytes_and_content_type(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("img-faults")
    faults = {"broken_images": 1.0, "wrong_content_type": 1.0}
    await configure(http, "shopify", shop, products=1, images_min=1, images_max=1, faults=faults)
    response = await _first_image(http, shop)
    assert response.status_code == 200
    assert not response.headers["content-type"].startswith("image/")
    assert not decodes(response.content)


async def test_identical_requests_get_identical_bodies(
    http: httpx.AsyncClient, sim: SimulatorSettings, accounts: Callable[[str], str]
) -> None:
    shop, other = accounts("same"), accounts("other")
    first, second = await rest_page(http, shop, limit=20), await rest_page(http, shop, limit=20)
    assert first.content == second.content
    assert first.content != (await rest_page(http, other, limit=20)).content
    detail = f"{sim.roastify_base}/roastify/{shop}/v1/products/rp_000003"
    bodies = [(await http.get(detail, headers=roastify_headers(shop))).content for _ in range(2)]
    assert bodies[0] == bodies[1]


async def test_wrong_or_missing_credentials_are_401(
    http: httpx.AsyncClient, sim: SimulatorSettings, accounts: Callable[[str], str]
) -> None:
    shop = accounts("auth")
    products = f"/shopify/{shop}{API}/products.json"
    wrong = await http.get(products, headers={"X-Shopify-Access-Token": "shpat_wrong"})
    missing = await http.get(products)
    expected = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    assert (wrong.status_code, wrong.json()) == (401, expected)
    assert (missing.status_code, missing.json()) == (401, expected)
    await configure(http, "shopify", shop, credential="shpat_rotated")
    rotated = await http.get(products, headers={"X-Shopify-Access-Token": "shpat_rotated"})
    assert rotated.status_code == 200
    rfy = await http.get(f"{sim.roastify_base}/roastify/{shop}/v1/products", headers={"x-api-key": "nope"})
    assert (rfy.status_code, rfy.json()) == (401, {"message": "Invalid API key", "code": "UNAUTHORIZED"})


async def test_removed_and_re_imaged_products_through_the_proxy(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("edits")
    await configure(http, "shopify", shop, products=6, images_min=2, images_max=2)
    removed = await http.post(f"/_sim/accounts/shopify/{shop}/remove-products", json={"indices": [1]})
    assert removed.status_code == 200, removed.text
    replaced = await http.post(
        f"/_sim/accounts/shopify/{shop}/replace-images", json={"indices": [2], "drop": 1, "add": 2}
    )
    assert replaced.status_code == 200, replaced.text
    products = (await rest_page(http, shop, limit=10)).json()["products"]
    assert [p["id"] % 1000 for p in products] == [0, 2, 3, 4, 5]
    assert [image["position"] for image in products[1]["images"]] == [1, 2, 3]
    bad = await http.post(f"/_sim/accounts/shopify/{shop}/remove-products", json={"indices": ["x"]})
    assert bad.status_code == 400 and bad.json()["field"]


async def test_a_bulk_export_is_downloaded_through_the_proxy(
    http: httpx.AsyncClient, accounts: Callable[[str], str]
) -> None:
    shop = accounts("bulk")
    await configure(http, "shopify", shop, products=3, variants_min=2, variants_max=2)
    script = {"queued_s": 0, "running_s": 0}
    assert (await http.post(f"/_sim/accounts/shopify/{shop}/next-bulk-operation", json=script)).status_code == 200
    run = """mutation { bulkOperationRunQuery(query: "{ products { nodes { id variants { nodes { id } } } } }") {
      bulkOperation { id } userErrors { message } } }"""
    url = f"/shopify/{shop}{API}/graphql.json"
    started = (await http.post(url, json={"query": run}, headers=shopify_headers(shop))).json()
    operation = started["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    poll = "query($id: ID!) { node(id: $id) { ... on BulkOperation { status url objectCount } } }"
    body = {"query": poll, "variables": {"id": operation}}
    done = (await http.post(url, json=body, headers=shopify_headers(shop))).json()["data"]["node"]
    assert done["status"] == "COMPLETED" and done["objectCount"] == "9"
    assert done["url"].startswith(str(http.base_url).rstrip("/"))
    whole = await http.get(done["url"])
    assert whole.status_code == 200 and len(whole.content.splitlines()) == 9
    tail = await http.get(done["url"], headers={"Range": "bytes=-20"})
    assert tail.status_code == 206 and tail.content == whole.content[-20:]
