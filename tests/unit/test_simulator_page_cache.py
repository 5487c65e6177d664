"""The simulator's cached GraphQL pages are byte for byte the pages it would build, and never stale."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from loadtests.simulator import cursors
from loadtests.simulator.catalog import Catalog, CatalogSpec, Touch
from loadtests.simulator.config import AccountConfig
from loadtests.simulator.shopify_graphql import CURSOR_KIND, Arguments, _encoded_connection
from loadtests.simulator.shopify_shapes import graphql_node

SEED = 20260101
BASE = "http://127.0.0.1:18091"


def _catalog(account: str, touches: tuple[Touch, ...] = ()) -> Catalog:
    return Catalog(CatalogSpec.of(SEED, "shopify", account, AccountConfig(products=120)), touches)


def _built(catalog: Catalog, args: Arguments) -> dict[str, Any]:
    """The connection as the simulator built it before pages were cached."""
    matching = catalog.matching(args.since, strict=args.strict)
    end = min(args.start + args.first, matching)
    edges = [
        {"cursor": cursors.encode(SEED, CURSOR_KIND, {"i": i}), "node": graphql_node(BASE, catalog, i)}
        for i in range(args.start, end)
    ]
    return {
        "edges": edges,
        "pageInfo": {"hasNextPage": end < matching, "endCursor": edges[-1]["cursor"] if edges else None},
    }


@pytest.mark.parametrize(
    "args",
    [
        Arguments(first=50, start=0, since=None, strict=False),
        Arguments(first=50, start=100, since=None, strict=False),
        Arguments(first=250, start=0, since=None, strict=False),
        Arguments(first=10, start=130, since=None, strict=False),
        Arguments(first=10, start=0, since=datetime(2029, 1, 1, tzinfo=UTC), strict=True),
    ],
)
def test_a_cached_page_is_the_built_page_byte_for_byte(args: Arguments) -> None:
    catalog = _catalog("cache-bytes", (Touch(15, datetime(2030, 1, 1, tzinfo=UTC)),))
    raw, count = _encoded_connection(SEED, catalog, BASE, args)
    expected = _built(catalog, args)
    body = {"data": {"products": expected}, "extensions": {"cost": 1}}
    assert msgspec.json.encode({"data": {"products": raw}, "extensions": {"cost": 1}}) == msgspec.json.encode(body)
    assert count == len(expected["edges"])
    assert _encoded_connection(SEED, catalog, BASE, args)[0] is raw  # served from the cache the second time


def test_a_touch_or_another_base_url_is_a_different_page() -> None:
    args = Arguments(first=5, start=0, since=None, strict=False)
    before = _encoded_connection(SEED, _catalog("cache-touch"), BASE, args)[0]
    touched = _catalog("cache-touch", (Touch(3, datetime(2031, 1, 1, tzinfo=UTC)),))
    after = _encoded_connection(SEED, touched, BASE, args)[0]
    elsewhere = _encoded_connection(SEED, _catalog("cache-touch"), "http://localhost:9", args)[0]
    assert bytes(after) != bytes(before)
    assert b"2031-01-01T00:00:00Z" in bytes(after)
    assert b"localhost:9" in bytes(elsewhere) and b"localhost:9" not in bytes(before)
