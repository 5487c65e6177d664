"""Roastify: a summary list with cursor pagination, a detail call per product, 100 calls a minute.

The list deliberately omits variants and images, so an importer needs one
detail call per product: that, with 100 requests per rolling 60 s per API key
(across endpoints; 429 without any rate-limit header), is what makes Roastify
imports slow and what the platform's rate limiter must respect.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Response

from control_plane.domain.providers import Provider
from loadtests.simulator import cursors
from loadtests.simulator.catalog import Catalog, Variant, utc_z
from loadtests.simulator.responses import (
    AnyRequest,
    FaultBodies,
    base_url,
    injected_fault,
    json_response,
    parse_instant,
    recorded,
)
from loadtests.simulator.state import AccountState, Simulator

LIST = "roastify.products.list"
DETAIL = "roastify.products.detail"
KEY_HEADER = "x-api-key"
CURSOR_KIND = "roastify"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
FAULTS = FaultBodies(
    internal_error={"message": "Internal error", "code": "INTERNAL"},
    unavailable={"message": "Service unavailable", "code": "UNAVAILABLE"},
)
_PRODUCT_ID = re.compile(r"^rp_(\d{6})$")


def _error(status: int, message: str, code: str) -> Response[bytes]:
    return json_response({"message": message, "code": code}, status)


class BadRequest(Exception):
    """Answered 400 ``BAD_REQUEST`` with this message."""


def product_id(index: int) -> str:
    return f"rp_{index:06d}"


def _variant(index: int, variant: Variant) -> dict[str, Any]:
    title = f"{variant.size} {variant.grind}" if variant.grind else variant.size
    return {
        "id": f"rv_{index:06d}_{variant.position:03d}",
        "title": title,
        "size": variant.size,
        "retailPrice": variant.price_cents,
        "sku": f"RST-{index:06d}-{variant.position:03d}",
        "inStock": variant.stock > 0,
        "stockQty": variant.stock,
    }


def summary(catalog: Catalog, index: int) -> dict[str, Any]:
    """A list item: no variants, no images, only how many images there are."""
    product = catalog.product(index)
    return {
        "id": product_id(index),
        "name": product.title,
        "description": product.description_text,
        "category": product.product_type.lower().replace(" ", "-"),
        "tags": list(product.tags),
        "imageCount": len(catalog.images(index)),
        "createdAt": utc_z(product.created_at),
        "updatedAt": utc_z(catalog.updated_at(index)),
    }


def detail(base: str, catalog: Catalog, index: int) -> dict[str, Any]:
    product = catalog.product(index)
    item = summary(catalog, index)
    del item["imageCount"]
    item["images"] = [{"url": base + catalog.image_path(product, image)} for image in catalog.images(index)]
    item["variants"] = [_variant(index, variant) for variant in product.variants]
    return item


async def _admit(sim: Simulator, request: AnyRequest, account: str) -> tuple[AccountState, Response[bytes] | None]:
    """Faults, a gone account (404), the API key (401), then the rolling-minute limit (429)."""
    state = sim.account(Provider.ROASTIFY, account)
    fault = await injected_fault(state, FAULTS)
    if fault is not None:
        return state, fault
    if state.config.gone:
        return state, _error(404, "Account not found", "NOT_FOUND")
    key = request.headers.get(KEY_HEADER)
    if key != state.credential:
        return state, _error(401, "Invalid API key", "UNAUTHORIZED")
    window = state.limits.roastify_window(key)
    if not window.try_acquire():
        return state, _error(429, "Too many requests", "RATE_LIMITED")
    state.stats.roastify_max_requests_60s = max(state.stats.roastify_max_requests_60s, window.count())
    return state, None


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise BadRequest(f"pageSize must be an integer between 1 and {MAX_PAGE_SIZE}")
    return int(raw)


def _since(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return parse_instant(raw).isoformat()
    except ValueError as exc:
        raise BadRequest("updatedSince must be an ISO 8601 date and time") from exc


def _position(seed: int, raw: str | None, since: str | None) -> tuple[int, str | None]:
    """Where the page starts, and the filter the cursor was issued for (which wins)."""
    if raw is None:
        return 0, since
    try:
        fields = cursors.decode(seed, CURSOR_KIND, raw)
        start = cursors.index_field(fields, "i")
    except cursors.InvalidCursor as exc:
        raise BadRequest("cursor is invalid") from exc
    issued_for = fields.get("s")
    if since is not None and since != issued_for:
        raise BadRequest("cursor was issued for a different updatedSince")
    return start, issued_for if isinstance(issued_for, str) else None


def _list_page(seed: int, request: AnyRequest, catalog: Catalog) -> Response[bytes]:
    params = request.query_params
    try:
        size = _page_size(params.get("pageSize"))
        start, since = _position(seed, params.get("cursor"), _since(params.get("updatedSince")))
    except BadRequest as error:
        return _error(400, str(error), "BAD_REQUEST")
    listing = catalog.listing(parse_instant(since) if since else None)
    indices = listing.after(start, size)
    has_next = bool(indices) and listing.has_after(indices[-1])
    cursor = cursors.encode(seed, CURSOR_KIND, {"i": indices[-1] + 1, "s": since}) if has_next else None
    data = [summary(catalog, index) for index in indices]
    return json_response({"data": data, "pageInfo": {"endCursor": cursor, "hasNextPage": has_next}})


async def list_products(sim: Simulator, request: AnyRequest, account: str) -> Response[bytes]:
    """``GET /roastify/{account}/v1/products``."""
    state, refused = await _admit(sim, request, account)
    if refused is not None:
        return recorded(state, LIST, refused)
    return recorded(state, LIST, _list_page(sim.settings.seed, request, state.catalog))


async def get_product(sim: Simulator, request: AnyRequest, account: str, product: str) -> Response[bytes]:
    """``GET /roastify/{account}/v1/products/{id}``."""
    state, refused = await _admit(sim, request, account)
    if refused is not None:
        return recorded(state, DETAIL, refused)
    matched = _PRODUCT_ID.match(product)
    catalog = state.catalog
    if matched is None or not catalog.exists(int(matched.group(1))):
        return recorded(state, DETAIL, _error(404, "Product not found", "NOT_FOUND"))
    body = detail(base_url(request), catalog, int(matched.group(1)))
    return recorded(state, DETAIL, json_response(body))
