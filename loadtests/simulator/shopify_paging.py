"""Relay-style connections as Shopify pages them: ``first``/``after`` forward, ``last``/``before`` back.

Every connection takes at most 250 items per page and needs one of
``first`` or ``last``; both checks run before execution (with the cost
calculation), so an invalid page size is refused without data, as Shopify
does.  Cursors are opaque, tamper-evident and carry the product index (and the
item position for nested connections), never a page number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loadtests.simulator import cursors
from loadtests.simulator.catalog import Listing

MAX_PAGE_SIZE = 250
CURSOR_KIND = "shopify-graphql"


class PageSizeError(ValueError):
    """A connection selected without ``first``/``last``, or with more than 250."""


@dataclass(frozen=True)
class Page:
    first: int | None
    last: int | None
    after: str | None
    before: str | None

    @classmethod
    def of(cls, args: dict[str, Any]) -> Page:
        return cls(args.get("first"), args.get("last"), args.get("after"), args.get("before"))


def check_page_size(field: str, args: dict[str, Any]) -> int:
    """The page size a connection requests; PageSizeError when Shopify would refuse it."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise PageSizeError("you must provide one of first or last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise PageSizeError(f"The {name} argument of {field} must be between 0 and {MAX_PAGE_SIZE}, got {value}.")
    return int(first if first is not None else last)


def position_of(seed: int, cursor: str | None, scope: int) -> int | None:
    """The position a nested-connection cursor points at (None without a cursor)."""
    if cursor is None:
        return None
    try:
        fields = cursors.decode(seed, CURSOR_KIND, cursor)
        if cursors.index_field(fields, "p") != scope:
            raise cursors.InvalidCursor("cursor belongs to another product")
        return cursors.index_field(fields, "n")
    except cursors.InvalidCursor as exc:
        raise ValueError(f"Invalid cursor: {cursor}") from exc


def index_of(seed: int, cursor: str | None) -> int | None:
    """The product index a products-connection cursor points at (None without a cursor)."""
    if cursor is None:
        return None
    try:
        return cursors.index_field(cursors.decode(seed, CURSOR_KIND, cursor), "i")
    except cursors.InvalidCursor as exc:
        raise ValueError(f"Invalid cursor: {cursor}") from exc


def _lazy_cursor(seed: int, fields: dict[str, int]) -> Callable[..., str]:
    return lambda *_args, **_kwargs: cursors.encode(seed, CURSOR_KIND, fields)


def connection(
    edges: list[tuple[dict[str, int], Any]], seed: int, has_next: bool, has_previous: bool
) -> dict[str, Any]:
    """A connection value from (cursor fields, node) pairs; cursors are encoded only if selected."""
    cursor_values = [cursors.encode(seed, CURSOR_KIND, fields) for fields, _ in edges[:1] + edges[-1:]]
    return {
        "edges": [{"cursor": _lazy_cursor(seed, fields), "node": node} for fields, node in edges],
        "nodes": [node for _, node in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursor_values[0] if edges else None,
            "endCursor": cursor_values[-1] if edges else None,
        },
    }


def nested(seed: int, scope: int, items: Sequence[Any], page: Page, build: Callable[[Any], Any]) -> dict[str, Any]:
    """One page of a product's variants or media; positions are 0-based places in ``items``."""
    after, before = position_of(seed, page.after, scope), position_of(seed, page.before, scope)
    start = 0 if after is None else after + 1
    end = len(items) if before is None else min(before, len(items))
    if page.first is not None:
        end = min(end, start + page.first)
    elif page.last is not None:
        start = max(start, end - page.last)
    chosen = range(start, max(start, end))
    edges = [({"p": scope, "n": n}, build(items[n])) for n in chosen]
    return connection(edges, seed, has_next=end < len(items), has_previous=start > 0)


def products(seed: int, listing: Listing, page: Page, build: Callable[[int], Any]) -> dict[str, Any]:
    """One page of the products connection over a filtered listing."""
    after, before = index_of(seed, page.after), index_of(seed, page.before)
    if page.last is not None and page.first is None:
        indices = listing.before(before if before is not None else listing.prefix + _beyond(listing), page.last)
        indices = [i for i in indices if after is None or i > after]
    else:
        indices = listing.after(0 if after is None else after + 1, page.first or 0)
        indices = [i for i in indices if before is None or i < before]
    edges = [({"i": i}, build(i)) for i in indices]
    has_next = bool(indices) and listing.has_after(indices[-1])
    has_previous = bool(indices) and listing.has_before(indices[0])
    return connection(edges, seed, has_next=has_next, has_previous=has_previous)


def _beyond(listing: Listing) -> int:
    """How far past the prefix the edited extras reach (so ``last`` without ``before`` sees them)."""
    return (listing.extras[-1] + 1 - listing.prefix) if listing.extras and listing.extras[-1] >= listing.prefix else 0
