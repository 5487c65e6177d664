"""Shopify REST Admin ``products.json``: cursor pagination by ``Link`` header and the call-limit bucket.

As on Shopify: ``page_info`` is opaque and carries the original filters, so
it may only be combined with ``limit`` (and ``fields``, accepted and ignored);
each response says how full the leaky bucket is in
``X-Shopify-Shop-Api-Call-Limit``; a full bucket answers 429 with
``Retry-After: 2.0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from litestar import Response

from loadtests.simulator import cursors
from loadtests.simulator.catalog import Catalog, Listing
from loadtests.simulator.limits import PLANS, LeakyBucket, PlanLimits
from loadtests.simulator.responses import AnyRequest, base_url, json_response, parse_instant, recorded
from loadtests.simulator.shopify_gate import admit
from loadtests.simulator.shopify_shapes import rest_product
from loadtests.simulator.shopify_versions import DEPRECATED_HEADER, VERSION_HEADER, serve
from loadtests.simulator.state import Simulator

ENDPOINT = "shopify.rest.products"
CALL_LIMIT = "X-Shopify-Shop-Api-Call-Limit"
CURSOR_KIND = "shopify-rest"
DEFAULT_LIMIT = 50
MAX_LIMIT = 250
_WITH_PAGE_INFO = frozenset({"limit", "page_info", "fields"})


@dataclass(frozen=True)
class Window:
    """The product indices of one page, whether listed products exist before and after it, and the filter."""

    indices: list[int]
    has_previous: bool
    has_next: bool
    since: str | None


def _window(listing: Listing, indices: list[int], since: str | None) -> Window:
    if not indices:
        return Window(indices, False, False, since)
    return Window(indices, listing.has_before(indices[0]), listing.has_after(indices[-1]), since)


class BadRequest(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise BadRequest("limit", f"must be an integer between 1 and {MAX_LIMIT}")
    return value


def _first_window(request: AnyRequest, catalog: Catalog, limit: int) -> Window:
    raw = request.query_params.get("updated_at_min")
    since = None
    if raw is not None:
        try:
            since = parse_instant(raw)
        except ValueError as exc:
            raise BadRequest("updated_at_min", "must be an ISO 8601 date and time") from exc
    listing = catalog.listing(since)
    return _window(listing, listing.after(0, limit), since.isoformat() if since else None)


def _cursor_window(seed: int, request: AnyRequest, catalog: Catalog, limit: int) -> Window:
    """The page a ``page_info`` cursor points at: from (``n``) or before (``p``) a product index."""
    params = request.query_params
    if set(params.keys()) - _WITH_PAGE_INFO:
        raise BadRequest("page_info", "page_info cannot be combined with other filters than limit")
    try:
        fields = cursors.decode(seed, CURSOR_KIND, params["page_info"])
        index = cursors.index_field(fields, "i")
        raw_since = fields.get("u")
        since = raw_since if isinstance(raw_since, str) else None
        listing = catalog.listing(parse_instant(since) if since else None)
    except (cursors.InvalidCursor, ValueError) as exc:
        raise BadRequest("page_info", "Invalid value.") from exc
    direction = fields.get("d")
    if direction == "p":
        return _window(listing, listing.before(index, limit), since)
    if direction != "n":
        raise BadRequest("page_info", "Invalid value.")
    return _window(listing, listing.after(index, limit), since)


def _link(seed: int, request: AnyRequest, window: Window, limit: int) -> str | None:
    url = f"{base_url(request)}{request.url.path}?limit={limit}&page_info="
    links = []
    if window.has_previous:
        token = cursors.encode(seed, CURSOR_KIND, {"d": "p", "i": window.indices[0], "u": window.since})
        links.append(f'<{url}{token}>; rel="previous"')
    if window.has_next:
        token = cursors.encode(seed, CURSOR_KIND, {"d": "n", "i": window.indices[-1] + 1, "u": window.since})
        links.append(f'<{url}{token}>; rel="next"')
    return ", ".join(links) or None


def _page(seed: int, request: AnyRequest, catalog: Catalog, headers: dict[str, str]) -> Response[bytes]:
    try:
        limit = _limit(request.query_params.get("limit"))
        if "page_info" in request.query_params:
            window = _cursor_window(seed, request, catalog, limit)
        else:
            window = _first_window(request, catalog, limit)
    except BadRequest as error:
        return json_response({"errors": {error.field: [error.message]}}, 400, headers)
    base = base_url(request)
    products = [rest_product(base, catalog, index) for index in window.indices]
    link = _link(seed, request, window, limit)
    return json_response({"products": products}, 200, {**headers, "Link": link} if link else headers)


def _used(bucket: LeakyBucket) -> str:
    used = min(bucket.capacity, math.ceil(bucket.level() - 1e-9))
    return f"{int(used)}/{int(bucket.capacity)}"


def throttled(plan: PlanLimits, versioned: dict[str, str]) -> Response[bytes]:
    message = f"Exceeded {plan.rest_leak_per_s} calls per second for api client. "
    message += "Reduce request rates to resume uninterrupted service."
    headers = {**versioned, "Retry-After": "2.0", CALL_LIMIT: f"{plan.rest_capacity}/{plan.rest_capacity}"}
    return json_response({"errors": message}, 429, headers)


async def products(sim: Simulator, request: AnyRequest, shop: str, version: str) -> Response[bytes]:
    """``GET /shopify/{shop}/admin/api/{version}/products.json``."""
    state, refused = await admit(sim, request, shop)
    if refused is not None:
        return recorded(state, ENDPOINT, refused)
    served = serve(version, sim.clock.now())
    if served is None:
        return recorded(state, ENDPOINT, json_response({"errors": "Not Found"}, 404))
    versioned = {VERSION_HEADER: served.version}
    if served.deprecated:
        versioned[DEPRECATED_HEADER] = served.deprecated
    plan = PLANS[state.config.plan]
    bucket = state.limits.rest_bucket(state.credential, plan)
    if not bucket.try_add(1):
        return recorded(state, ENDPOINT, throttled(plan, versioned))
    state.stats.rest_bucket_max = max(state.stats.rest_bucket_max, bucket.level())
    page = _page(sim.settings.seed, request, state.catalog, {**versioned, CALL_LIMIT: _used(bucket)})
    return recorded(state, ENDPOINT, page)
