"""Shopify Admin GraphQL ``products`` connection with Shopify's calculated query cost.

The document is not parsed: it must select ``products(`` and the arguments
come from ``variables`` (``first``, ``after``, ``query``).  Cost model, as
Shopify charges a product page with nested variants and images:

* requestedQueryCost = 2 + 3 * first, actualQueryCost = 2 + 3 * returned;
* points live in a leaky bucket per (shop, token): standard 1000 restoring
  50/s, advanced 2000/100, plus 20000/1000;
* a query whose requested cost exceeds the points available is answered
  HTTP 200 with a ``THROTTLED`` error and no data; a successful one costs its
  actual cost (the difference to the requested cost is refunded).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import msgspec
from litestar import Response

from loadtests.simulator import cursors
from loadtests.simulator.catalog import Catalog
from loadtests.simulator.limits import PLANS, LeakyBucket, PlanLimits
from loadtests.simulator.responses import AnyRequest, base_url, json_response, parse_instant, recorded
from loadtests.simulator.shopify_gate import admit
from loadtests.simulator.shopify_shapes import graphql_node
from loadtests.simulator.state import AccountState, Simulator

ENDPOINT = "shopify.graphql"
CURSOR_KIND = "shopify-graphql"
MAX_FIRST = 250
CACHED_PAGES = 128
"""Encoded pages kept (at most ~0.5 MB each): a 10,000-product import at 100 per page fits."""
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
_UPDATED_AT = re.compile(r"""^\s*updated_at:\s*(>=|>)\s*['"]?([^'"\s]+)['"]?\s*$""")
_MISSING_QUERY = {"errors": {"query": "Required parameter missing or invalid"}}


class GraphQLError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Arguments:
    first: int
    start: int
    since: datetime | None
    strict: bool

    @property
    def requested_cost(self) -> int:
        return query_cost(self.first)


def query_cost(products: int) -> int:
    """One point for the query and the connection, three per product (itself, variants, images)."""
    return 2 + products * 3


def _body(raw: bytes) -> tuple[str, dict[str, Any]]:
    """The document and variables; ValueError when the body is not a GraphQL request."""
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise ValueError("not JSON") from exc
    document = body.get("query") if isinstance(body, dict) else None
    variables = body.get("variables") if isinstance(body, dict) else None
    if not isinstance(document, str) or not document.strip():
        raise ValueError("no query")
    return document, variables if isinstance(variables, dict) else {}


def _first(variables: dict[str, Any]) -> int:
    first = variables.get("first")
    if not isinstance(first, int) or isinstance(first, bool) or not 1 <= first <= MAX_FIRST:
        raise GraphQLError(f"Variable $first must be an integer between 1 and {MAX_FIRST}.", "BAD_USER_INPUT")
    return first


def _start(seed: int, variables: dict[str, Any]) -> int:
    after = variables.get("after")
    if after is None:
        return 0
    try:
        return cursors.index_field(cursors.decode(seed, CURSOR_KIND, str(after)), "i") + 1
    except cursors.InvalidCursor as exc:
        raise GraphQLError(f"Invalid cursor for the products connection: {after}", "BAD_USER_INPUT") from exc


def _search(variables: dict[str, Any]) -> tuple[datetime | None, bool]:
    """``updated_at:>'…'`` (strict) or ``updated_at:>='…'``; the only search the simulator understands."""
    query = variables.get("query")
    if query is None or (isinstance(query, str) and not query.strip()):
        return None, False
    matched = _UPDATED_AT.match(query) if isinstance(query, str) else None
    try:
        if matched is None:
            raise ValueError(query)
        return parse_instant(matched.group(2)), matched.group(1) == ">"
    except ValueError as exc:
        message = f"Unsupported search query {query!r}: use updated_at:>'<ISO 8601>' or updated_at:>='<ISO 8601>'."
        raise GraphQLError(message, "BAD_USER_INPUT") from exc


def _arguments(seed: int, document: str, variables: dict[str, Any]) -> Arguments:
    if "products(" not in document:
        raise GraphQLError("The simulator only serves the products connection.", "UNSUPPORTED_QUERY")
    since, strict = _search(variables)
    return Arguments(_first(variables), _start(seed, variables), since, strict)


def _cost(requested: int, actual: int | None, bucket: LeakyBucket, plan: PlanLimits) -> dict[str, Any]:
    throttle = {
        "maximumAvailable": float(plan.graphql_max_points),
        "currentlyAvailable": math.floor(bucket.free()),
        "restoreRate": float(plan.graphql_restore_per_s),
    }
    return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": throttle}


def _throttled(state: AccountState, args: Arguments, bucket: LeakyBucket, plan: PlanLimits) -> Response[bytes]:
    state.stats.graphql_throttled += 1
    error = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}
    cost = _cost(args.requested_cost, None, bucket, plan)
    return json_response({"errors": [error], "extensions": {"cost": cost}})


def _connection(seed: int, request: AnyRequest, state: AccountState, args: Arguments) -> tuple[msgspec.Raw, int]:
    """The connection's JSON (encoded) and how many products it holds."""
    return _encoded_connection(seed, state.catalog, base_url(request), args)


@lru_cache(maxsize=CACHED_PAGES)
def _encoded_connection(seed: int, catalog: Catalog, base: str, args: Arguments) -> tuple[msgspec.Raw, int]:
    """Catalogs are deterministic, so a page's bytes depend only on these arguments: built once, then reused.

    A touch or a new configuration makes a different ``catalog`` (it is part of the key), so a cached page
    is never stale; the cost extension and every header are still computed per request.
    """
    listing = catalog.listing(args.since, strict=args.strict)
    indices = listing.after(args.start, args.first)
    edges = [
        {"cursor": cursors.encode(seed, CURSOR_KIND, {"i": index}), "node": graphql_node(base, catalog, index)}
        for index in indices
    ]
    has_next = bool(indices) and listing.has_after(indices[-1])
    page_info = {"hasNextPage": has_next, "endCursor": edges[-1]["cursor"] if edges else None}
    return msgspec.Raw(msgspec.json.encode({"edges": edges, "pageInfo": page_info})), len(edges)


async def graphql(sim: Simulator, request: AnyRequest, shop: str) -> Response[bytes]:
    """``POST /shopify/{shop}/admin/api/{version}/graphql.json``."""
    state, refused = await admit(sim, request, shop)
    if refused is not None:
        return recorded(state, ENDPOINT, refused)
    seed = sim.settings.seed
    try:
        document, variables = _body(await request.body())
        args = _arguments(seed, document, variables)
    except ValueError:
        return recorded(state, ENDPOINT, json_response(_MISSING_QUERY, 400))
    except GraphQLError as error:
        errors = [{"message": error.message, "extensions": {"code": error.code}}]
        return recorded(state, ENDPOINT, json_response({"errors": errors}))
    plan = PLANS[state.config.plan]
    bucket = state.limits.graphql_bucket(state.credential, plan)
    if args.requested_cost > bucket.free():
        return recorded(state, ENDPOINT, _throttled(state, args, bucket, plan))
    connection, returned = _connection(seed, request, state, args)
    actual = query_cost(returned)
    bucket.add(actual)
    stats = state.stats
    stats.graphql_points_max_used = max(stats.graphql_points_max_used, bucket.level())
    stats.graphql_max_query_cost = max(stats.graphql_max_query_cost, actual)
    body = {"data": {"products": connection}, "extensions": {"cost": _cost(args.requested_cost, actual, bucket, plan)}}
    return recorded(state, ENDPOINT, json_response(body))
