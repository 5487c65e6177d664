"""Shopify Admin GraphQL: the default Shopify client.

Pacing comes from the cost extension Shopify returns on every call: before a
query we wait until the bucket holds its requested cost, so THROTTLED errors
are the exception, not the control loop.  Nodes are converted to the REST
product shape so one field mapping serves both Shopify surfaces.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from control_plane.domain.providers import Provider
from control_plane.integrations.providers.base import (
    PermanentProviderError,
    ProductPage,
    RetryableProviderError,
    SourceProduct,
)
from control_plane.integrations.providers.cursors import next_cursor, resume_from
from control_plane.integrations.providers.shopify_shape import node_to_rest, parse_timestamp
from control_plane.integrations.providers.transport import ProviderTransport, json_body, require

NAME = "shopify"
CURSOR_PREFIX = "gql:"
MAX_THROTTLED_RETRIES = 5

PRODUCTS_QUERY = """
query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: ID) {
    edges {
      cursor
      node {
        id legacyResourceId title descriptionHtml vendor productType handle status tags createdAt updatedAt
        options { name values }
        variants(first: 100) {
          edges {
            node { id legacyResourceId title sku price inventoryQuantity position selectedOptions { name value } }
          }
        }
        images(first: 20) { edges { node { id url altText width height } } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@dataclass
class _Bucket:
    """What Shopify last told us about our query-cost bucket."""

    available: float = 0.0
    restore_rate: float = 0.0
    known: bool = False

    def wait_for(self, cost: float) -> float:
        if not self.known or self.available >= cost or self.restore_rate <= 0:
            return 0.0
        return (cost - self.available) / self.restore_rate

    def update(self, extensions: Any) -> None:
        status = (extensions or {}).get("cost", {}).get("throttleStatus")
        if isinstance(status, dict):
            self.available = float(status.get("currentlyAvailable", 0))
            self.restore_rate = float(status.get("restoreRate", 0))
            self.known = True


def requested_cost(first: int) -> int:
    """Shopify's advertised cost of one products page: product, variants and images connections."""
    return 2 + 3 * first


class ShopifyGraphQLClient:
    provider = Provider.SHOPIFY

    def __init__(self, transport: ProviderTransport, *, base_url: str, token: str, api_version: str, page_size: int):
        self._transport = transport
        self._url = f"{base_url}/admin/api/{api_version}/graphql.json"
        self._headers = {"X-Shopify-Access-Token": token, "Content-Type": "application/json"}
        self._page_size = page_size
        self._bucket = _Bucket()

    async def fetch_page(
        self, cursor: str | None, *, page_size: int | None = None, updated_since: datetime | None = None
    ) -> ProductPage:
        after = resume_from(cursor, CURSOR_PREFIX)
        first = page_size or self._page_size
        variables = {
            "first": first,
            "after": after,
            "query": f"updated_at:>'{updated_since.isoformat()}'" if updated_since else None,
        }
        data = await self._query(variables, requested_cost(first))
        products: Any = data.get("products")
        require(isinstance(products, dict) and isinstance(products.get("edges"), list), NAME, "products.edges")
        items = [_source(edge.get("node") if isinstance(edge, dict) else None) for edge in products["edges"]]
        return ProductPage(items, next_cursor(products.get("pageInfo"), CURSOR_PREFIX, NAME))

    async def _query(self, variables: dict[str, Any], cost: int) -> dict[str, Any]:
        """Run the products query, pacing on the bucket and waiting out THROTTLED answers."""
        for _ in range(MAX_THROTTLED_RETRIES):
            await asyncio.sleep(self._bucket.wait_for(cost))
            response = await self._transport.send(
                "POST", self._url, headers=self._headers, json={"query": PRODUCTS_QUERY, "variables": variables}
            )
            body = json_body(response, NAME)
            require(isinstance(body, dict), NAME, "a JSON object")
            self._bucket.update(body.get("extensions"))
            errors = body.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors if isinstance(e, dict)):
                self._bucket.known = True  # wait for the cost before trying again
                continue
            require(not errors, NAME, f"GraphQL errors {errors!r:.300}")
            data = body.get("data")
            require(isinstance(data, dict), NAME, "data")
            return dict(data)
        raise RetryableProviderError(f"{NAME}: still THROTTLED after {MAX_THROTTLED_RETRIES} paced retries", status=429)


def _source(node: Any) -> SourceProduct:
    require(isinstance(node, dict) and bool(node.get("legacyResourceId")), NAME, "product node with an id")
    try:
        rest = node_to_rest(node)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise PermanentProviderError(
            f"{NAME}: unexpected product node shape ({type(exc).__name__}: {exc})"[:500]
        ) from exc
    return SourceProduct(str(rest["id"]), parse_timestamp(rest.get("updated_at")), rest)
