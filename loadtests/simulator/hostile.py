"""Hostile mode: a Shopify shop whose GraphQL answers attack the importer.

``PUT /_sim/hostile/{account}`` with ``{"case": "<case>"}`` turns it on for
one shop, ``DELETE`` turns it off.  While on, the shop's ``graphql.json``
answers with the case instead of its catalog:

* ``images``: one product per hostile image case (see :mod:`hostile_images`),
  each image URL pointing at that case — every image must fail alone;
* JSON cases that must fail the job with a clear reason: ``deep_json``
  (nesting past any recursion limit), ``deep_json_parsable`` (parsable, but far
  deeper than a product), ``huge_json`` (one enormous page), ``endless_json``
  (a page that never ends), ``not_json`` (an HTML error page with status 200),
  ``bad_cursor`` (an object where the next-page cursor belongs) and
  ``bad_node`` (a product whose id is not a number).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Response
from litestar.response import Stream

from loadtests.simulator.hostile_images import IMAGE_CASES, image_url
from loadtests.simulator.responses import AnyRequest, json_response

JSON_CASES = (
    "deep_json",
    "deep_json_parsable",
    "huge_json",
    "endless_json",
    "not_json",
    "bad_cursor",
    "bad_node",
)
CASES = ("images", *JSON_CASES)
HUGE_TITLE_BYTES = 8 * 1024 * 1024


class HostileRequest(msgspec.Struct, forbid_unknown_fields=True):
    case: str


class HostileShops:
    """Which shops are hostile, and how; shared by the admin and provider handlers."""

    def __init__(self) -> None:
        self._cases: dict[str, str] = {}

    def case_of(self, shop: str) -> str | None:
        return self._cases.get(shop)

    async def configure(self, request: AnyRequest, shop: str) -> Response[bytes]:
        try:
            body = msgspec.json.decode(await request.body(), type=HostileRequest)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            return json_response({"error": str(error), "field": "case"}, 400)
        if body.case not in CASES:
            return json_response({"error": f"unknown case; expected one of {', '.join(CASES)}", "field": "case"}, 400)
        self._cases[shop] = body.case
        return json_response({"shop": shop, "case": body.case})

    def forget(self, shop: str) -> None:
        self._cases.pop(shop, None)


def _node(index: int, title: str, image: str | None) -> dict[str, Any]:
    media_image = {"id": f"gid://shopify/MediaImage/{index}", "alt": None, "image": {"url": image}}
    media = [{"node": media_image}] if image else []
    return {
        "id": f"gid://shopify/Product/{index}",
        "legacyResourceId": str(index),
        "title": title,
        "status": "ACTIVE",
        "updatedAt": "2026-01-01T00:00:00Z",
        "variants": {"edges": [{"node": {"legacyResourceId": str(index * 10), "title": "Default", "price": "9.50"}}]},
        "media": {"edges": media},
    }


def _page(nodes: list[dict[str, Any]], page_info: dict[str, Any] | None = None) -> dict[str, Any]:
    info = page_info or {"hasNextPage": False, "endCursor": None}
    edges = [{"cursor": f"c{i}", "node": node} for i, node in enumerate(nodes)]
    return {"data": {"products": {"edges": edges, "pageInfo": info}}}


def _nested(depth: int) -> bytes:
    return b'{"data":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


async def _endless_page() -> AsyncIterator[bytes]:
    yield b'{"data":{"products":{"edges":['
    edge = msgspec.json.encode({"cursor": "c", "node": _node(1, "x" * 1000, None)})
    while True:
        yield (edge + b",") * 64
        await asyncio.sleep(0)


def respond(request: AnyRequest, case: str) -> Response[bytes] | Stream:
    """The hostile answer to a products query for ``case``."""
    if case == "images":
        nodes = [_node(i + 1, f"Hostile {name}", image_url(request, name)) for i, name in enumerate(IMAGE_CASES)]
        return json_response(_page(nodes))
    if case == "endless_json":
        return Stream(_endless_page(), media_type="application/json")
    return Response(_raw_body(case), media_type="text/html" if case == "not_json" else "application/json")


def _raw_body(case: str) -> bytes:
    if case == "deep_json":
        return _nested(100_000)  # past any recursion limit, within 1 MiB
    if case == "deep_json_parsable":
        return _nested(500)
    if case == "huge_json":
        return msgspec.json.encode(_page([_node(1, "x" * HUGE_TITLE_BYTES, None)]))
    if case == "bad_cursor":
        page_info = {"hasNextPage": True, "endCursor": {"$where": "sleep(10000)"}}
        return msgspec.json.encode(_page([_node(1, "Cursor", None)], page_info))
    if case == "bad_node":
        return msgspec.json.encode(_page([{**_node(1, "Bad", None), "legacyResourceId": "1; DROP"}]))
    return b"<html><body><h1>502 Bad Gateway</h1></body></html>"
