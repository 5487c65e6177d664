"""One account's catalog as it is now: generated products, touches and admin edits.

Base ``updated_at`` falls strictly with the index and a touch always covers a
prefix of the catalog, so "updated since T" selects a prefix: a binary search.
Replaced images move single products forward in time; they are listed beside
the prefix, and removed products are skipped, so listings stay ordered by id
(= index) and every other product keeps its index, ids and cursor position.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from loadtests.simulator.edits import CatalogEdits
from loadtests.simulator.products import (
    EPOCH,
    STEP,
    CatalogSpec,
    Image,
    Option,
    Product,
    Rgb,
    Variant,
    base_updated_at,
    product,
    utc_z,
)

__all__ = [
    "EPOCH",
    "STEP",
    "Catalog",
    "CatalogSpec",
    "Image",
    "Listing",
    "Option",
    "Product",
    "Rgb",
    "Touch",
    "Variant",
    "base_updated_at",
    "product",
    "utc_z",
]


@dataclass(frozen=True)
class Touch:
    """``count`` first products were marked updated ``at``."""

    count: int
    at: datetime


@dataclass(frozen=True)
class Listing:
    """The indices a filtered listing holds, in index order: a prefix plus edited products, minus removed."""

    prefix: int
    extras: tuple[int, ...]
    edits: CatalogEdits = field(compare=False)

    @property
    def total(self) -> int:
        removed = self.edits.removed
        return self.prefix - self.edits.removed_below(self.prefix) + sum(1 for i in self.extras if i not in removed)

    def _ascending(self, start: int) -> Iterator[int]:
        removed = self.edits.removed
        yield from (i for i in range(max(0, start), self.prefix) if i not in removed)
        yield from (i for i in self.extras[bisect.bisect_left(self.extras, start) :] if i not in removed)

    def _descending(self, end: int) -> Iterator[int]:
        removed = self.edits.removed
        extras = self.extras[: bisect.bisect_left(self.extras, end)]
        yield from (i for i in reversed(extras) if i not in removed)
        yield from (i for i in range(min(end, self.prefix) - 1, -1, -1) if i not in removed)

    def after(self, start: int, limit: int) -> list[int]:
        """Up to ``limit`` listed indices from ``start`` on."""
        found = []
        for index in self._ascending(start):
            if len(found) == limit:
                break
            found.append(index)
        return found

    def before(self, end: int, limit: int) -> list[int]:
        """The last ``limit`` listed indices below ``end``, ascending."""
        found = []
        for index in self._descending(end):
            if len(found) == limit:
                break
            found.append(index)
        return found[::-1]

    def has_after(self, index: int) -> bool:
        return bool(self.after(index + 1, 1))

    def has_before(self, index: int) -> bool:
        return bool(self.before(index, 1))


@dataclass(frozen=True)
class Catalog:
    """Generated products plus the touches and edits applied to them (hashable: pages are cached on it)."""

    spec: CatalogSpec
    touches: tuple[Touch, ...] = ()
    edits: CatalogEdits = field(default_factory=CatalogEdits)

    @property
    def size(self) -> int:
        """How many indices were generated (removed ones included: indices never shift)."""
        return self.spec.products

    def exists(self, index: int) -> bool:
        return 0 <= index < self.spec.products and index not in self.edits.removed

    def product(self, index: int) -> Product:
        return product(self.spec, index)

    def images(self, index: int) -> tuple[Image, ...]:
        edit = self.edits.images.get(index)
        return edit.images if edit is not None else product(self.spec, index).images

    def image_path(self, product: Product, image: Image) -> str:
        """Where the image is served; URLs in payloads prefix the client's own base URL."""
        account = quote(self.spec.account, safe="")
        return f"/images/{self.spec.provider}/{account}/{product.index}/{image.serial}.{image.ext}"

    def _touched_at(self, index: int) -> datetime:
        base = base_updated_at(index)
        for touch in reversed(self.touches):
            if index < touch.count:
                return max(base, touch.at)
        return base

    def updated_at(self, index: int) -> datetime:
        at = self._touched_at(index)
        edit = self.edits.images.get(index)
        return max(at, edit.at) if edit is not None else at

    def listing(self, since: datetime | None, *, strict: bool = False) -> Listing:
        """Products updated at/after ``since`` (after, if strict), or all of them."""
        if since is None:
            return Listing(self.size, (), self.edits)

        def excluded(at: datetime) -> bool:
            return at <= since if strict else at < since

        prefix = bisect.bisect_left(range(self.size), True, key=lambda i: excluded(self._touched_at(i)))
        edited = self.edits.images.items()
        extras = tuple(sorted(i for i, edit in edited if prefix <= i < self.size and not excluded(edit.at)))
        return Listing(prefix, extras, self.edits)

    def matching(self, since: datetime | None, *, strict: bool = False) -> int:
        """How many listed products were updated at/after ``since``."""
        return self.listing(since, strict=strict).total
