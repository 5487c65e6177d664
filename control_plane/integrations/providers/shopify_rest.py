"""Shopify Admin REST (legacy), kept for shops that need it.

Pages follow the `Link` header's `page_info` cursor.  Pacing reads
`X-Shopify-Shop-Api-Call-Limit` (used/capacity of the shop's leaky bucket,
shared with every other app call to that shop) and waits until there is room,
so a long import never runs into 429s.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from control_plane.domain.providers import Provider
from control_plane.integrations.providers.base import ProductPage, SourceProduct
from control_plane.integrations.providers.cursors import next_page_info, resume_from
from control_plane.integrations.providers.shopify_shape import parse_timestamp
from control_plane.integrations.providers.transport import ProviderTransport, json_body, require

NAME = "shopify"
CURSOR_PREFIX = "rest:"
HEADROOM = 4
"""Calls kept free in the shop's bucket for other clients of the same shop."""
LEAK_PER_CAPACITY = 1 / 20
"""Shopify leaks 2/s from 40, 4/s from 80, 20/s from 400: capacity / 20 per second."""


@dataclass
class CallLimit:
    """The shop's REST bucket as last reported, and when."""

    used: int = 0
    capacity: int = 40
    seen_at: float = 0.0

    def update(self, header: str | None) -> None:
        if not header or "/" not in header:
            return
        used, _, capacity = header.partition("/")
        if used.strip().isdigit() and capacity.strip().isdigit():
            self.used, self.capacity, self.seen_at = int(used), int(capacity), time.monotonic()

    def wait_before_next(self) -> float:
        leak = self.capacity * LEAK_PER_CAPACITY
        level = max(0.0, self.used - (time.monotonic() - self.seen_at) * leak)
        room = self.capacity - HEADROOM
        return 0.0 if level + 1 <= room else (level + 1 - room) / leak


class ShopifyRestClient:
    provider = Provider.SHOPIFY

    def __init__(self, transport: ProviderTransport, *, base_url: str, token: str, api_version: str, page_size: int):
        self._transport = transport
        self._url = f"{base_url}/admin/api/{api_version}/products.json"
        self._headers = {"X-Shopify-Access-Token": token}
        self._page_size = page_size
        self._limit = CallLimit()

    async def fetch_page(
        self,
        cursor: str | None,
        *,
        page_size: int | None = None,
        updated_since: datetime | None = None,
        bulk_allowed: bool = False,
        sample: bool = False,
    ) -> ProductPage:
        params: dict[str, Any] = {"limit": page_size or self._page_size}
        page_info = resume_from(cursor, CURSOR_PREFIX)
        if page_info is not None:
            params["page_info"] = page_info  # carries the original filters
        elif updated_since is not None:
            params["updated_at_min"] = updated_since.isoformat()
        await asyncio.sleep(self._limit.wait_before_next())
        response = await self._transport.send("GET", self._url, headers=self._headers, params=params)
        self._limit.update(response.headers.get("x-shopify-shop-api-call-limit"))
        body = json_body(response, NAME)
        require(isinstance(body, dict) and isinstance(body.get("products"), list), NAME, "products list")
        items = [_source(product) for product in body["products"]]
        following = next_page_info(response.headers.get("link"), NAME)
        return ProductPage(items, f"{CURSOR_PREFIX}{following}" if following else None)


def _source(product: Any) -> SourceProduct:
    require(isinstance(product, dict) and product.get("id") is not None, NAME, "product with an id")
    return SourceProduct(str(product["id"]), parse_timestamp(product.get("updated_at")), dict(product))
