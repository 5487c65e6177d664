"""The root fields of the simulated Admin API: what ``QueryRoot`` and ``Mutation`` resolve to.

graphql-core's default resolver calls these methods with the field's
(already coerced) arguments.  Search syntax: only ``updated_at:>'…'`` and
``updated_at:>='…'`` (ISO 8601), which is what incremental imports send;
products are ordered by ID (``sortKey: ID``, ``reverse: false``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from loadtests.simulator import shopify_bulk as bulk
from loadtests.simulator import shopify_paging as paging
from loadtests.simulator.catalog import Listing
from loadtests.simulator.responses import parse_instant
from loadtests.simulator.shopify_bulk_query import InvalidBulkQuery, check
from loadtests.simulator.shopify_nodes import Scope, product_object
from loadtests.simulator.shopify_shapes import PRODUCT_ID_BASE

_UPDATED_AT = re.compile(r"""^\s*updated_at:\s*(>=|>)\s*['"]?([^'"\s]+)['"]?\s*$""")
_PRODUCT_GID = re.compile(r"^gid://shopify/Product/(\d+)$")
DEFAULT_COUNT_LIMIT = 10_000


def search(query: str | None) -> tuple[datetime | None, bool]:
    """``updated_at:>'…'`` (strict) or ``updated_at:>='…'``; the only search the simulator understands."""
    if query is None or not query.strip():
        return None, False
    matched = _UPDATED_AT.match(query)
    try:
        if matched is None:
            raise ValueError(query)
        return parse_instant(matched.group(2)), matched.group(1) == ">"
    except ValueError as exc:
        message = f"Unsupported search query {query!r}: use updated_at:>'<ISO 8601>' or updated_at:>='<ISO 8601>'."
        raise GraphQLError(message, extensions={"code": "BAD_USER_INPUT"}) from exc


@dataclass
class Bulk:
    """What bulk fields need besides the catalog: the shop's operations, the clock's now and the version."""

    state: bulk.BulkState
    shop: str
    now: datetime
    version: str


class QueryRoot:
    """Resolves ``QueryRoot`` (and, through :class:`MutationRoot`, ``Mutation``) over one catalog."""

    def __init__(self, scope: Scope, operations: Bulk, *, export: bool = False) -> None:
        self.scope = scope
        self.operations = operations
        self.export = export
        """In a bulk export every object is listed: page sizes are not needed."""

    def _listing(self, query: str | None) -> Listing:
        since, strict = search(query)
        return self.scope.catalog.listing(since, strict=strict)

    def products(self, _info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        if args.get("sortKey", "ID") != "ID" or args.get("reverse"):
            raise GraphQLError("The simulator orders products by ID only.", extensions={"code": "BAD_USER_INPUT"})
        page = paging.Page(10**9, None, None, None) if self.export else paging.Page.of(args)
        try:
            return paging.products(self.scope.seed, self._listing(args.get("query")), page, self._product)
        except ValueError as exc:
            raise GraphQLError(str(exc), extensions={"code": "BAD_USER_INPUT"}) from exc

    def _product(self, index: int) -> dict[str, Any]:
        return product_object(self.scope, index, export=self.export)

    def product(self, _info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
        matched = _PRODUCT_GID.match(id)
        if matched is None:
            if id.startswith("gid://shopify/"):
                return None
            raise GraphQLError(f"Invalid global id '{id}'", extensions={"code": "argumentLiteralsIncompatible"})
        index = int(matched.group(1)) - PRODUCT_ID_BASE
        return self._product(index) if self.scope.catalog.exists(index) else None

    def productsCount(
        self, _info: GraphQLResolveInfo, query: str | None = None, limit: int | None = DEFAULT_COUNT_LIMIT
    ) -> dict[str, Any]:
        """EXACT up to ``limit`` (10,000 by default, ``null`` for no limit), AT_LEAST past it."""
        total = self._listing(query).total
        if limit is not None and total > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": total, "precision": "EXACT"}

    def node(self, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
        if id.startswith("gid://shopify/BulkOperation/"):
            found = self.operations.state.find(id)
            return self._bulk_view(found) if found else None
        return self.product(info, id)

    def currentBulkOperation(self, _info: GraphQLResolveInfo, type: str = "QUERY") -> dict[str, Any] | None:
        operations = self.operations.state.operations
        return self._bulk_view(operations[-1]) if operations and type == "QUERY" else None

    def _bulk_view(self, operation: bulk.Operation) -> dict[str, Any]:
        return bulk.view(operation, self.operations.now, self.scope.base, self.operations.shop)


class MutationRoot:
    """``Mutation.bulkOperationRunQuery``: start an export, or say why not in ``userErrors``."""

    def __init__(self, root: QueryRoot) -> None:
        self.root = root

    def bulkOperationRunQuery(
        self, _info: GraphQLResolveInfo, query: str, groupObjects: bool = False
    ) -> dict[str, Any]:
        operations = self.root.operations
        state, now = operations.state, operations.now
        running = state.running(now)
        if len(running) >= state.limit(operations.version):
            state.refused += 1
            message = f"A bulk query operation for this app and shop is already in progress: {running[-1].gid}."
            return _user_error(message, "OPERATION_IN_PROGRESS", None)
        try:
            check(query)
        except InvalidBulkQuery as error:
            state.refused += 1
            return _user_error(str(error), "INVALID", ["query"])
        operation = state.start(query, self.root.scope.catalog, now)
        return {"bulkOperation": self.root._bulk_view(operation), "userErrors": []}


def _user_error(message: str, code: str, field: list[str] | None) -> dict[str, Any]:
    return {"bulkOperation": None, "userErrors": [{"field": field, "message": message, "code": code}]}
