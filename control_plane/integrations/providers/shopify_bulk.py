"""First full loads of large Shopify catalogs through a bulk operation.

Shopify runs a bulk query on its side and publishes the result as a JSONL
file: one line per object, nested connections as their own lines pointing at
their parent with ``__parentId`` (``groupObjects: true`` keeps a product's
children right after it, which is what lets a product be rebuilt while the
file streams). The file is read in byte ranges, so memory is bounded by one
range whatever the catalog size, and the cursor names the operation and the
byte offset: a job that crashes resumes the same operation at the same
product instead of starting a new one. Failed, cancelled or expired operations
are started again (a few times) unless Shopify says access is denied.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import msgspec

from control_plane.integrations.providers.base import (
    PermanentProviderError,
    ProductPage,
    ProviderDeferred,
    SourceProduct,
)
from control_plane.integrations.providers.shopify_graphql_call import ShopifyGraphQL
from control_plane.integrations.providers.shopify_queries import (
    MEDIA_FIELDS,
    OPTIONS,
    PRODUCT_SCALARS,
    VARIANT_FIELDS,
    Node,
)
from control_plane.integrations.providers.shopify_shape import as_object, source_product
from control_plane.integrations.providers.transport import ProviderTransport, require

NAME = "shopify"
BULK_PREFIX = "bulk:"
MUTATION_COST = 10
STATUS_COST = 1
BUSY_CODES = frozenset({"OPERATION_IN_PROGRESS", "LIMIT_REACHED"})
"""userErrors meaning another bulk operation of the shop runs: try later, not a failure."""
PERMANENT_ERROR_CODES = frozenset({"ACCESS_DENIED"})
RUNNING = frozenset({"CREATED", "RUNNING", "CANCELING"})


@dataclass(frozen=True)
class BulkSettings:
    min_products: int = 1000
    """Catalogs at least this large are first loaded through a bulk operation."""
    page_products: int = 100
    poll_interval_s: float = 2.0
    max_poll_s: float = 20.0
    """Longest one page waits for a running operation before the job checkpoints and comes back."""
    range_bytes: int = 4 * 1024 * 1024
    max_restarts: int = 3


@dataclass(frozen=True)
class BulkCursor:
    operation: str
    offset: int
    restarts: int

    def encode(self) -> str:
        return f"{BULK_PREFIX}{self.operation}|{self.offset}|{self.restarts}"

    @classmethod
    def decode(cls, raw: str) -> BulkCursor:
        try:
            operation, offset, restarts = raw.removeprefix(BULK_PREFIX).split("|")
            return cls(operation, int(offset), int(restarts))
        except ValueError as exc:
            raise PermanentProviderError(f"{NAME}: unreadable bulk checkpoint {raw[:80]!r}") from exc


def bulk_query() -> str:
    """Every product with all its variants and media, no ``first`` (bulk queries take whole connections)."""

    def whole(name: str, fields: tuple[Node, ...], fragment: str | None = None) -> str:
        body = " ".join(field.render() for field in fields)
        body = f"... on {fragment} {{ {body} }}" if fragment else body
        return f"{name} {{ edges {{ node {{ {body} }} }} }}"

    product = " ".join(
        [
            *(f.render() for f in (*PRODUCT_SCALARS, OPTIONS)),
            whole("variants", VARIANT_FIELDS),
            whole("media", MEDIA_FIELDS, "MediaImage"),
        ]
    )
    return f"{{ products {{ edges {{ node {{ {product} }} }} }} }}"


START = """mutation Start($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}"""
STATUS = """query Status($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount fileSize url } }
}"""


class ShopifyBulk:
    def __init__(self, api: ShopifyGraphQL, files: ProviderTransport, settings: BulkSettings) -> None:
        self._api = api
        self._files = files
        self._settings = settings

    @property
    def min_products(self) -> int:
        return self._settings.min_products

    async def start(self, restarts: int = 0) -> ProductPage:
        data = await self._api.query(START, {"query": bulk_query()}, cost=MUTATION_COST)
        payload = as_object(data.get("bulkOperationRunQuery"), "bulkOperationRunQuery")
        errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
        if any(e.get("code") in BUSY_CODES for e in errors):
            raise ProviderDeferred(f"{NAME}: another bulk operation of this shop is running", retry_after_s=60.0)
        if errors:
            raise PermanentProviderError(f"{NAME}: bulk operation refused: {errors!r:.300}")
        operation = as_object(payload.get("bulkOperation"), "bulkOperation").get("id")
        if not isinstance(operation, str) or not operation:
            raise PermanentProviderError(f"{NAME}: unexpected response shape: bulkOperation.id")
        return ProductPage([], BulkCursor(operation, 0, restarts).encode(), restarted=restarts > 0)

    async def fetch_page(self, raw: str) -> ProductPage:
        cursor = BulkCursor.decode(raw)
        deadline = time.monotonic() + self._settings.max_poll_s
        while True:
            status = await self._status(cursor.operation)
            state = status.get("status")
            if state == "COMPLETED":
                return await self._read(cursor, status)
            if state not in RUNNING:
                return await self._failed(cursor, status)
            if time.monotonic() >= deadline:
                return ProductPage([], raw)  # checkpoint; the next page polls again
            await asyncio.sleep(self._settings.poll_interval_s)

    async def _status(self, operation: str) -> dict[str, Any]:
        data = await self._api.query(STATUS, {"id": operation}, cost=STATUS_COST)
        node = data.get("node")
        if node is None:
            return {"status": "EXPIRED", "errorCode": None}
        status = as_object(node, "BulkOperation")
        require(isinstance(status.get("status"), str), NAME, "BulkOperation.status")
        return status

    async def _failed(self, cursor: BulkCursor, status: dict[str, Any]) -> ProductPage:
        state, code = status.get("status"), status.get("errorCode")
        reason = f"{NAME}: bulk operation {cursor.operation} ended {state}" + (f" ({code})" if code else "")
        if code in PERMANENT_ERROR_CODES:
            raise PermanentProviderError(f"{reason}: the app may not read these products")
        if cursor.restarts >= self._settings.max_restarts:
            raise PermanentProviderError(f"{reason}; given up after {cursor.restarts} new operations")
        return await self.start(cursor.restarts + 1)

    async def _read(self, cursor: BulkCursor, status: dict[str, Any]) -> ProductPage:
        url, size = status.get("url"), _int(status.get("fileSize"))
        if not url or size is None or cursor.offset >= size:
            return ProductPage([], None)  # an empty catalog has no file
        span = self._settings.range_bytes
        while True:
            end = min(size, cursor.offset + span)
            chunk = await self._range(str(url), cursor.offset, end)
            products, used = parse_products(chunk, at_end=end >= size, limit=self._settings.page_products)
            if products or end >= size:
                break
            span *= 2  # one product's lines are longer than the range: read more at once
        offset = cursor.offset + used
        following = None if offset >= size else BulkCursor(cursor.operation, offset, cursor.restarts).encode()
        return ProductPage(products, following)

    async def _range(self, url: str, start: int, end: int) -> bytes:
        response = await self._files.send("GET", url, headers={"Range": f"bytes={start}-{end - 1}"})
        if response.status_code == 206:
            return response.content
        return response.content[start:end]  # the server ignored Range and sent the whole file


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_LINE = msgspec.json.Decoder(dict[str, Any])


def parse_products(chunk: bytes, *, at_end: bool, limit: int) -> tuple[list[SourceProduct], int]:
    """Whole products from the start of ``chunk`` (at most ``limit``), and the bytes they used.

    A product is whole when the next product's line starts, or the file ends: its variants and media
    lines follow it. A product whose lines run past the chunk is left for the next read.
    """
    products: list[SourceProduct] = []
    current: tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]] | None = None
    used = position = 0
    for line in chunk.splitlines(keepends=True):
        start, position = position, position + len(line)
        if not line.endswith(b"\n") and not (at_end and position == len(chunk)):
            break  # a partial last line
        if not line.strip():
            continue
        item = _decoded(line)
        if "__parentId" not in item:
            if current is not None:
                products.append(source_product(*current))
                used = start
                if len(products) >= limit:
                    return products, used
            current = (item, [], [])
            continue
        if current is None or item["__parentId"] != current[0].get("id"):
            raise PermanentProviderError(f"{NAME}: a bulk result line does not follow its product")
        kind = str(item.get("id") or "")
        if "/ProductVariant/" in kind:
            current[1].append(item)
        elif "/MediaImage/" in kind:
            current[2].append(item)
    if current is not None and at_end and position == len(chunk):
        products.append(source_product(*current))
        used = position
    return products, used


def _decoded(line: bytes) -> dict[str, Any]:
    try:
        return _LINE.decode(line)
    except msgspec.DecodeError as exc:
        raise PermanentProviderError(f"{NAME}: a bulk result line is not a JSON object") from exc
