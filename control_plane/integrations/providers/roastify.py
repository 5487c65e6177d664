"""Roastify: a cursor-paged list without variants, then one detail call per product.

Roastify limits each API key to 100 requests a minute and answers 429 with no
hint of when to retry; the shared per-key token bucket keeps us under the
limit, and the transport backs off with jitter when another client of the same
key pushes us over.  A page's cursor is the list cursor, so a resumed import
re-reads at most one list page of details.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from control_plane.domain.providers import Provider
from control_plane.integrations.providers.base import ProductPage, SourceProduct
from control_plane.integrations.providers.cursors import next_cursor, resume_from
from control_plane.integrations.providers.shopify_shape import parse_timestamp
from control_plane.integrations.providers.transport import ProviderTransport, json_body, require

NAME = "roastify"
CURSOR_PREFIX = "rfy:"
DETAIL_CONCURRENCY = 4


class RoastifyClient:
    provider = Provider.ROASTIFY

    def __init__(self, transport: ProviderTransport, *, base_url: str, api_key: str, page_size: int):
        self._transport = transport
        self._base = f"{base_url}/v1/products"
        self._headers = {"x-api-key": api_key}
        self._page_size = page_size
        self._details = asyncio.Semaphore(DETAIL_CONCURRENCY)

    async def fetch_page(
        self,
        cursor: str | None,
        *,
        page_size: int | None = None,
        updated_since: datetime | None = None,
        bulk_allowed: bool = False,
        sample: bool = False,
    ) -> ProductPage:
        params: dict[str, Any] = {"pageSize": page_size or self._page_size}
        after = resume_from(cursor, CURSOR_PREFIX)
        if after is not None:
            params["cursor"] = after
        if updated_since is not None:
            params["updatedSince"] = updated_since.isoformat()
        response = await self._transport.send("GET", self._base, headers=self._headers, params=params)
        body = json_body(response, NAME)
        require(isinstance(body, dict) and isinstance(body.get("data"), list), NAME, "data list")
        listed = body["data"]
        require(all(isinstance(i, dict) and i.get("id") for i in listed), NAME, "list items with ids")
        products = await asyncio.gather(*(self._detail(item) for item in listed))
        return ProductPage(list(products), next_cursor(body.get("pageInfo"), CURSOR_PREFIX, NAME))

    async def _detail(self, item: dict[str, Any]) -> SourceProduct:
        async with self._details:
            response = await self._transport.send("GET", f"{self._base}/{item['id']}", headers=self._headers)
        detail = json_body(response, NAME)
        require(isinstance(detail, dict) and detail.get("id") == item["id"], NAME, f"detail of {item['id']}")
        require(isinstance(detail.get("variants", []), list), NAME, "variants list")
        payload = {**item, **detail}
        return SourceProduct(str(payload["id"]), parse_timestamp(payload.get("updatedAt")), payload)
