"""Bulk results read in byte ranges: whole products only, children rebuilt from ``__parentId``.

Shopify's bulk operation result is JSONL, one object a line, nested connection nodes on their own
lines with ``__parentId`` naming their parent; with ``groupObjects: true`` the children follow their
parent (https://shopify.dev/docs/api/usage/bulk-operations/queries, "Download result data").
"""

from __future__ import annotations

import msgspec
import pytest

from control_plane.integrations.providers.base import PermanentProviderError
from control_plane.integrations.providers.shopify_bulk import BulkCursor, parse_products


def _product(n: int, variants: int, images: int) -> list[dict[str, object]]:
    gid = f"gid://shopify/Product/{n}"
    lines: list[dict[str, object]] = [{"id": gid, "legacyResourceId": str(n), "title": f"P{n}", "options": []}]
    lines += [
        {"id": f"gid://shopify/ProductVariant/{n}{v}", "legacyResourceId": f"{n}{v}", "__parentId": gid}
        for v in range(variants)
    ]
    lines += [
        {"id": f"gid://shopify/MediaImage/{n}{i}", "image": {"url": f"https://cdn/{n}/{i}.jpg"}, "__parentId": gid}
        for i in range(images)
    ]
    return lines


def _jsonl(*products: list[dict[str, object]]) -> bytes:
    return b"".join(msgspec.json.encode(line) + b"\n" for product in products for line in product)


def test_whole_file_gives_every_product_with_its_children() -> None:
    data = _jsonl(_product(1, 2, 1), _product(2, 0, 3))
    products, used = parse_products(data, at_end=True, limit=10)
    assert [p.external_id for p in products] == ["1", "2"] and used == len(data)
    assert len(products[0].payload["variants"]) == 2 and len(products[1].payload["images"]) == 3
    assert [i["position"] for i in products[1].payload["images"]] == [1, 2, 3]


def test_a_product_cut_by_the_range_is_left_for_the_next_read() -> None:
    data = _jsonl(_product(1, 2, 1), _product(2, 3, 0))
    cut = len(data) - 10  # inside product 2's last line
    products, used = parse_products(data[:cut], at_end=False, limit=10)
    assert [p.external_id for p in products] == ["1"]
    rest, used_rest = parse_products(data[used:], at_end=True, limit=10)
    assert [p.external_id for p in rest] == ["2"] and used + used_rest == len(data)


def test_the_last_product_of_a_range_waits_for_its_children_even_on_a_line_boundary() -> None:
    """Its variants may continue in the next range: only the next product's line proves it whole."""
    data = _jsonl(_product(1, 1, 0), _product(2, 1, 0))
    products, _ = parse_products(data, at_end=False, limit=10)
    assert [p.external_id for p in products] == ["1"]


def test_the_page_limit_counts_products() -> None:
    data = _jsonl(*(_product(n, 1, 1) for n in range(1, 6)))
    products, used = parse_products(data, at_end=True, limit=2)
    assert [p.external_id for p in products] == ["1", "2"]
    assert data[used:].startswith(b'{"id":"gid://shopify/Product/3"')


def test_a_child_without_its_parent_breaks_the_contract() -> None:
    orphan = _jsonl([{"id": "gid://shopify/ProductVariant/9", "__parentId": "gid://shopify/Product/9"}])
    with pytest.raises(PermanentProviderError, match="does not follow its product"):
        parse_products(orphan, at_end=True, limit=10)


def test_cursor_round_trip_and_refusal() -> None:
    cursor = BulkCursor("gid://shopify/BulkOperation/7", 1234, 1)
    assert BulkCursor.decode(cursor.encode()) == cursor
    with pytest.raises(PermanentProviderError):
        BulkCursor.decode("bulk:nonsense")
