"""Shopify Admin GraphQL: the default Shopify client.

Each page is one ``products`` query whose requested cost stays within
Shopify's single-query limit (:mod:`.shopify_queries` plans it); a product
whose variants or media do not fit in the page's nested ``first`` is completed
by follow-up queries on that product alone, so nothing is ever cut. Calls are
paced on the shop's shared cost bucket (:mod:`.shopify_graphql_call`). A first
full load of a large catalog goes through a bulk operation instead
(:mod:`.shopify_bulk`). Nodes are converted to the REST product shape so one
field mapping serves both Shopify APIs with the same data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from control_plane.domain.providers import Provider
from control_plane.integrations.providers.base import PermanentProviderError, ProductPage, SourceProduct
from control_plane.integrations.providers.cursors import next_cursor, resume_from
from control_plane.integrations.providers.shopify_bulk import BULK_PREFIX, ShopifyBulk
from control_plane.integrations.providers.shopify_graphql_call import QueryTooCostly, ShopifyGraphQL
from control_plane.integrations.providers.shopify_queries import (
    COUNT_COST,
    COUNT_DOCUMENT,
    FOLLOW_UP_MEDIA,
    FOLLOW_UP_VARIANTS,
    MAX_QUERY_COST,
    Node,
    PagePlan,
    follow_up,
    media,
    products_document,
    variants,
)
from control_plane.integrations.providers.shopify_shape import as_object, edges, source_product
from control_plane.integrations.providers.transport import require

NAME = "shopify"
CURSOR_PREFIX = "gql:"
MAX_SHRINKS = 6
"""MAX_COST_EXCEEDED answers one page accepts, halving the page each time, before the job fails."""


def search_since(updated_since: datetime | None) -> str | None:
    """Products updated at or after ``updated_since``: the meaning of REST's ``updated_at_min`` too."""
    return f"updated_at:>='{updated_since.isoformat()}'" if updated_since else None


class ShopifyGraphQLClient:
    provider = Provider.SHOPIFY

    def __init__(self, api: ShopifyGraphQL, *, page_size: int, bulk: ShopifyBulk | None = None) -> None:
        self._api = api
        self._page_size = page_size
        self._bulk = bulk
        self._plan = PagePlan()

    async def fetch_page(
        self,
        cursor: str | None,
        *,
        page_size: int | None = None,
        updated_since: datetime | None = None,
        bulk_allowed: bool = False,
        sample: bool = False,
    ) -> ProductPage:
        if cursor is not None and cursor.startswith(BULK_PREFIX):
            return await self._bulk_in_use().fetch_page(cursor)
        if cursor is None and bulk_allowed and updated_since is None and self._bulk is not None:
            count = await self.count()
            if count is not None and count >= self._bulk.min_products:
                return await self._bulk.start()
        after = resume_from(cursor, CURSOR_PREFIX)
        return await self._page(after, page_size or self._page_size, updated_since, complete=not sample)

    async def count(self) -> int | None:
        """The shop's product count, or None when it cannot be read (the import then pages normally)."""
        try:
            data = await self._api.query(COUNT_DOCUMENT, {"query": None}, cost=COUNT_COST)
        except PermanentProviderError:
            return None
        count = (data.get("productsCount") or {}).get("count")
        return count if isinstance(count, int) and not isinstance(count, bool) else None

    def _bulk_in_use(self) -> ShopifyBulk:
        if self._bulk is None:
            raise PermanentProviderError(f"{NAME}: the checkpoint names a bulk operation but bulk reads are off")
        return self._bulk

    async def _page(
        self, after: str | None, wanted: int, updated_since: datetime | None, *, complete: bool
    ) -> ProductPage:
        variables = {"after": after, "query": search_since(updated_since)}
        for _ in range(MAX_SHRINKS):
            connection = self._plan.connection(wanted)
            try:
                data = await self._api.query(products_document(connection), variables, cost=connection.cost())
            except QueryTooCostly:
                self._plan.too_costly()
                continue
            products: Any = data.get("products")
            require(isinstance(products, dict) and isinstance(products.get("edges"), list), NAME, "products.edges")
            items = [await self._complete(node, follow=complete) for node in edges(products)]
            return ProductPage(items, next_cursor(products.get("pageInfo"), CURSOR_PREFIX, NAME))
        raise PermanentProviderError(f"{NAME}: even a one-product page is above the {MAX_QUERY_COST}-point limit")

    async def _complete(self, node: dict[str, Any], *, follow: bool) -> SourceProduct:
        """The product with every variant and media node, fetching what the page's nested ``first`` cut off."""
        require(bool(node.get("legacyResourceId")) and isinstance(node.get("id"), str), NAME, "product node with ids")
        all_variants = await self._rest_of(node["id"], node.get("variants"), "variants", follow)
        all_media = await self._rest_of(node["id"], node.get("media"), "media", follow)
        self._plan.saw(len(all_variants), len(all_media))
        return source_product(node, all_variants, all_media)

    async def _rest_of(self, product_gid: str, connection: Any, kind: str, follow: bool) -> list[dict[str, Any]]:
        """All of one product's ``kind`` nodes: follow-ups double in size, since Shopify charges what they ask for."""
        require(connection is None or isinstance(connection, dict), NAME, f"product.{kind}")
        found = edges(connection)
        page_info = (connection or {}).get("pageInfo") if follow else None
        size = len(found)
        while (after := next_cursor(page_info, "", NAME)) is not None:
            size = min(2 * max(size, 1), FOLLOW_UP_VARIANTS if kind == "variants" else FOLLOW_UP_MEDIA)
            document, cost = follow_up(product_gid, _follow_up_connection(kind, size, after))
            data = await self._api.query(document, None, cost=cost)
            nested = as_object(as_object(data.get("product"), "product").get(kind), f"product.{kind}")
            found += edges(nested)
            page_info = nested.get("pageInfo")
        return found


def _follow_up_connection(kind: str, first: int, after: str) -> Node:
    return variants(first, after) if kind == "variants" else media(first, after)
