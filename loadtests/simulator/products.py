"""Deterministic products, generated one at a time.

Product ``i`` of an account derives only from ``(seed, provider, account, i)``
and the account's catalog settings, so a page of a 10,000-product catalog costs
as much as a page of a small one, and the same configuration yields
byte-identical responses across requests and restarts.

Base ``updated_at`` falls strictly with the index (see :mod:`catalog` for
how touches and edits build on that).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from loadtests.simulator.config import AccountConfig
from loadtests.simulator.vocabulary import (
    BLEND_NAMES,
    GRINDS,
    NOTES,
    ORIGINS,
    PALETTE,
    PROCESSES,
    PRODUCT_TYPES,
    ROASTS,
    SIZES,
    TAGS,
    VENDORS,
)

EPOCH = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""``updated_at`` of product 0 (unless touched); product i is ``i * STEP`` older."""
STEP = timedelta(minutes=53)
_EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}

Rgb = tuple[int, int, int]
Option = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class CatalogSpec:
    """Everything product generation depends on (hashable, so generated products can be cached)."""

    seed: int
    provider: str
    account: str
    products: int
    images_min: int
    images_max: int
    variants_min: int
    variants_max: int
    image_width: int
    image_height: int
    image_format: str

    @classmethod
    def of(cls, seed: int, provider: str, account: str, config: AccountConfig) -> CatalogSpec:
        return cls(
            seed=seed,
            provider=provider,
            account=account,
            products=config.products,
            images_min=config.images_min,
            images_max=config.images_max,
            variants_min=config.variants_min,
            variants_max=config.variants_max,
            image_width=config.image_width,
            image_height=config.image_height,
            image_format=config.image_format,
        )


@dataclass(frozen=True)
class Variant:
    position: int
    size: str
    grind: str | None
    price_cents: int
    stock: int
    grams: int
    weight: float
    weight_unit: str
    lot: int | None = None
    """Third option value (``Lot n``), only on products with more than 100 variants."""

    @property
    def barcode(self) -> str | None:
        """Derived from the position alone so REST and GraphQL agree; every fifth variant has none."""
        return None if self.position % 5 == 0 else f"{860_000_000_000 + self.position:012d}"

    @property
    def compare_at_cents(self) -> int | None:
        """A struck-through price on every third variant."""
        return self.price_cents + 300 if self.position % 3 == 0 else None


@dataclass(frozen=True)
class Image:
    position: int
    """1-based place in the product's image list."""
    serial: int
    """1-based, never reused within a product: the image's id and URL name derive from it."""
    ext: str
    width: int
    height: int
    alt: str | None
    colour: Rgb
    accent: Rgb


@dataclass(frozen=True)
class Product:
    index: int
    title: str
    vendor: str
    product_type: str
    tags: tuple[str, ...]
    status: str
    origin: str
    process: str
    notes: tuple[str, ...]
    created_at: datetime
    options: tuple[Option, ...]
    """Empty for a single-variant product (Shopify shows it as "Default Title")."""
    variants: tuple[Variant, ...]
    images: tuple[Image, ...]

    @property
    def handle(self) -> str:
        slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in self.title.lower())
        return "-".join(part for part in slug.split("-") if part) + f"-{self.index}"

    @property
    def description_text(self) -> str:
        notes = ", ".join(self.notes)
        return f"Notes of {notes}. Origin: {self.origin}. Process: {self.process}. Roasted to order by {self.vendor}."

    @property
    def description_html(self) -> str:
        notes = ", ".join(self.notes)
        return (
            f"<p>Notes of <strong>{notes}</strong>.</p>"
            f"<ul><li>Origin: {self.origin}</li><li>Process: {self.process}</li></ul>"
            f"<p>Roasted to order by {self.vendor}.</p>"
        )


def utc_z(moment: datetime) -> str:
    """``2026-03-01T12:00:00Z``: the GraphQL DateTime and Roastify style."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_updated_at(index: int) -> datetime:
    return EPOCH - index * STEP


def _title(rng: random.Random, product_type: str) -> tuple[str, str, tuple[str, ...]]:
    """Title, origin and the title-derived tags."""
    roast = rng.choice(ROASTS)
    roast_tag = roast.lower().replace(" ", "-")
    if rng.random() < 0.7:
        country, region = rng.choice(ORIGINS)
        suffix = " Decaf" if product_type == "Decaf" else ""
        return f"{country} {region}{suffix}, {roast}", f"{region}, {country}", ("single-origin", roast_tag)
    blend = rng.choice(BLEND_NAMES)
    kind = "Espresso" if product_type == "Espresso" else "Blend"
    return f"{blend} {kind}", "multiple origins", ("blend", roast_tag)


def _status(rng: random.Random) -> str:
    draw = rng.random()
    return "active" if draw < 0.9 else ("draft" if draw < 0.97 else "archived")


def _option_counts(count: int) -> tuple[int, int, int]:
    """(sizes, grinds, lots) whose product covers ``count`` variants: sizes and grinds at most 10 each.

    Above 100 variants a third option ("Lot") carries the rest, as Shopify allows three options and up to
    2,048 variants per product.
    """
    if count > len(SIZES) * len(GRINDS):
        return len(SIZES), len(GRINDS), math.ceil(count / (len(SIZES) * len(GRINDS)))
    grinds = 1 if count < 4 else (2 if count < 9 else math.ceil(count / len(SIZES)))
    return math.ceil(count / grinds), grinds, 1


def _price(base_cents: int, grams: int) -> int:
    return max(100, round(base_cents * grams / 340 / 50) * 50)


def _variants(rng: random.Random, spec: CatalogSpec) -> tuple[tuple[Option, ...], tuple[Variant, ...]]:
    count = rng.randint(spec.variants_min, spec.variants_max)
    sizes_n, grinds_n, lots_n = _option_counts(count)
    sizes = [SIZES[i] for i in sorted(rng.sample(range(len(SIZES)), sizes_n))]
    grinds = [GRINDS[i] for i in sorted(rng.sample(range(len(GRINDS)), grinds_n))] if grinds_n > 1 else []
    base_cents = rng.randrange(1100, 2600, 50)
    grind_choices: list[str | None] = [*grinds] or [None]
    lot_choices: list[int | None] = list(range(1, lots_n + 1)) if lots_n > 1 else [None]
    combos = [(s, g, lot) for lot in lot_choices for s in sizes for g in grind_choices][:count]
    variants = tuple(
        Variant(
            position=position,
            size=size[0],
            grind=grind,
            lot=lot,
            price_cents=_price(base_cents, size[1]),
            stock=0 if rng.random() < 0.1 else rng.randint(1, 250),
            grams=size[1],
            weight=size[2],
            weight_unit=size[3],
        )
        for position, (size, grind, lot) in enumerate(combos, start=1)
    )
    if count == 1:
        return (), variants
    used_sizes = tuple(dict.fromkeys(v.size for v in variants))
    options: tuple[Option, ...] = (("Size", used_sizes),)
    if grinds:
        options += (("Grind", tuple(dict.fromkeys(v.grind for v in variants if v.grind))),)
    if lots_n > 1:
        options += (("Lot", tuple(dict.fromkeys(f"Lot {v.lot}" for v in variants if v.lot))),)
    return options, variants


def _images(rng: random.Random, spec: CatalogSpec, title: str) -> tuple[Image, ...]:
    count = rng.randint(spec.images_min, spec.images_max)
    images = []
    for position in range(1, count + 1):
        fmt = rng.choice(("jpeg", "png", "webp")) if spec.image_format == "mixed" else spec.image_format
        alt = None if rng.random() < 0.2 else f"{title}, view {position}"
        colour, accent = rng.choice(PALETTE), rng.choice(PALETTE)
        ext = _EXTENSIONS[fmt]
        images.append(Image(position, position, ext, spec.image_width, spec.image_height, alt, colour, accent))
    return tuple(images)


@lru_cache(maxsize=2048)
def product(spec: CatalogSpec, index: int) -> Product:
    """Product ``index`` of the catalog, always the same for the same spec."""
    rng = random.Random(f"{spec.seed}:{spec.provider}:{spec.account}:{index}")
    product_type = rng.choice(PRODUCT_TYPES)
    title, origin, title_tags = _title(rng, product_type)
    process = rng.choice(PROCESSES)
    extra_tags = rng.sample(TAGS, rng.randint(0, 3))
    created_at = base_updated_at(index) - timedelta(seconds=rng.randint(3600, 400 * 86400))
    status = _status(rng)
    notes = tuple(rng.sample(NOTES, 3))
    vendor = rng.choice(VENDORS)
    options, variants = _variants(rng, spec)
    return Product(
        index=index,
        title=title,
        vendor=vendor,
        product_type=product_type,
        tags=tuple(sorted({*title_tags, process, *extra_tags})),
        status=status,
        origin=origin,
        process=process,
        notes=notes,
        created_at=created_at,
        options=options,
        variants=variants,
        images=_images(rng, spec, title),
    )
