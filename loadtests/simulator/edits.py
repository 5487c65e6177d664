"""What admin calls changed in a generated catalog: removed products and replaced images.

Generated products never change; an edit is recorded beside them.  Removing a
product keeps every other product's index (and so its ids); replacing images
gives the new ones fresh serials (so fresh ids and URLs), renumbers positions
1..k and moves the product's ``updated_at`` forward so incremental imports see
it.  Every edit makes a new :class:`CatalogEdits` with a process-unique
revision, so cached pages keyed on a catalog are never stale.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from loadtests.simulator.products import CatalogSpec, Image, Product
from loadtests.simulator.vocabulary import PALETTE

_REVISIONS = itertools.count(1)
_EXTENSIONS = ("jpg", "png", "webp")
_FORMATS = {"jpeg": "jpg", "png": "png", "webp": "webp"}


@dataclass(frozen=True)
class ImageEdit:
    """A product's images after replacements: the list, the next unused serial, when it last changed."""

    images: tuple[Image, ...]
    next_serial: int
    at: datetime


@dataclass(frozen=True)
class CatalogEdits:
    """Removed product indices and per-product image lists; compared (and hashed) by revision only."""

    revision: int = 0
    removed: frozenset[int] = field(default=frozenset(), compare=False)
    removed_sorted: tuple[int, ...] = field(default=(), compare=False)
    images: Mapping[int, ImageEdit] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    def remove(self, indices: Iterable[int]) -> CatalogEdits:
        removed = self.removed | frozenset(indices)
        return replace(self, revision=next(_REVISIONS), removed=removed, removed_sorted=tuple(sorted(removed)))

    def with_images(self, index: int, edit: ImageEdit) -> CatalogEdits:
        images = MappingProxyType({**self.images, index: edit})
        return replace(self, revision=next(_REVISIONS), images=images)

    def removed_below(self, end: int) -> int:
        return bisect.bisect_left(self.removed_sorted, end)


def replace_images(
    spec: CatalogSpec, product: Product, current: ImageEdit | None, drop: int, add: int, at: datetime
) -> ImageEdit:
    """Drop the first ``drop`` images, append ``add`` new ones, renumber positions 1..k."""
    images = current.images if current is not None else product.images
    serial = current.next_serial if current is not None else len(product.images) + 1
    key = f"{spec.seed}:{spec.provider}:{spec.account}:{product.index}"
    kept = list(images[drop:])
    for offset in range(add):
        kept.append(_new_image(spec, key, product.title, serial + offset))
    renumbered = tuple(replace(image, position=position) for position, image in enumerate(kept, start=1))
    return ImageEdit(renumbered, serial + add, at)


def _new_image(spec: CatalogSpec, key: str, title: str, serial: int) -> Image:
    """A replacement image, derived from the product and its serial only (so edits are deterministic)."""
    rng = random.Random(f"{key}:replacement:{serial}")
    ext = rng.choice(_EXTENSIONS) if spec.image_format == "mixed" else _FORMATS[spec.image_format]
    alt = f"{title}, new view {serial}" if rng.random() >= 0.2 else None
    colour, accent = rng.choice(PALETTE), rng.choice(PALETTE)
    return Image(0, serial, ext, spec.image_width, spec.image_height, alt, colour, accent)
