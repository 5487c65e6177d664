"""The simulator's pure parts: deterministic catalogs, prefix filtering, cursors, limiters, config."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from PIL import Image

from loadtests.simulator import cursors
from loadtests.simulator.catalog import Catalog, CatalogSpec, Touch, base_updated_at, product
from loadtests.simulator.config import AccountConfig, ConfigError, apply
from loadtests.simulator.images import corrupt, render
from loadtests.simulator.limits import LeakyBucket, RollingWindow

SPEC = CatalogSpec(
    seed=7,
    provider="shopify",
    account="acme",
    products=200,
    images_min=0,
    images_max=3,
    variants_min=1,
    variants_max=100,
    image_width=64,
    image_height=48,
    image_format="mixed",
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_products_are_deterministic_and_differ_between_accounts() -> None:
    product.cache_clear()
    first = product(SPEC, 5)
    product.cache_clear()
    assert product(SPEC, 5) == first
    assert product(replace(SPEC, account="other"), 5) != first


@pytest.mark.parametrize("index", range(0, 200, 7))
def test_variants_respect_bounds_and_match_their_options(index: int) -> None:
    item = product(SPEC, index)
    assert 1 <= len(item.variants) <= 100
    assert 0 <= len(item.images) <= 3
    combos = {(v.size, v.grind) for v in item.variants}
    assert len(combos) == len(item.variants), "every variant is a distinct option combination"
    if item.options:
        sizes = dict(item.options)["Size"]
        assert {v.size for v in item.variants} == set(sizes)


def test_the_largest_variant_count_fits_shopify_options() -> None:
    spec = replace(SPEC, variants_min=100, variants_max=100)
    item = product(spec, 0)
    assert len(item.variants) == 100
    assert [len(values) for _, values in item.options] == [10, 10]


def test_updated_since_selects_a_prefix_even_with_touches() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    catalog = Catalog(SPEC, (Touch(40, now), Touch(10, now + timedelta(hours=1))))
    cutoffs = [None, now, now + timedelta(minutes=30), now + timedelta(hours=2), base_updated_at(120)]
    for since in cutoffs:
        for strict in (False, True):
            expected = [
                i
                for i in range(SPEC.products)
                if since is None or (catalog.updated_at(i) > since if strict else catalog.updated_at(i) >= since)
            ]
            assert expected == list(range(catalog.matching(since, strict=strict)))


def test_cursors_round_trip_and_reject_tampering() -> None:
    token = cursors.encode(7, "rest", {"i": 3, "u": None})
    assert cursors.decode(7, "rest", token) == {"i": 3, "u": None}
    with pytest.raises(cursors.InvalidCursor):
        cursors.decode(7, "graphql", token)
    with pytest.raises(cursors.InvalidCursor):
        cursors.decode(8, "rest", token)
    with pytest.raises(cursors.InvalidCursor):
        cursors.decode(7, "rest", "x" + token)


def test_leaky_bucket_overflows_and_drains() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(40, 2, clock)
    assert all(bucket.try_add(1) for _ in range(40))
    assert not bucket.try_add(1)
    clock.now += 0.5
    assert bucket.try_add(1) and not bucket.try_add(1)


def test_rolling_window_counts_accepted_requests_only() -> None:
    clock = FakeClock()
    window = RollingWindow(100, 60.0, clock)
    assert all(window.try_acquire() for _ in range(100))
    assert not window.try_acquire()
    clock.now += 59.9
    assert not window.try_acquire()
    clock.now += 0.2
    assert window.try_acquire() and window.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"faults": {"broken_images": 2}}', "faults.broken_images"),
        (b'{"images_max": 251}', "images_max"),
        (b'{"variants_max": 2049}', "variants_max"),
        (b'{"plan": "gold"}', "plan"),
        (b'{"faults": {"typo": 1}}', "faults.typo"),
        (b'{"images_min": 3, "images_max": 1}', "images_min"),
    ],
)
def test_invalid_config_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(ConfigError) as raised:
        apply(AccountConfig(products=5), body)
    assert raised.value.field == field


def test_config_overlay_merges_faults() -> None:
    current = apply(AccountConfig(products=5), b'{"faults": {"latency_ms": 10}}')
    merged = apply(current, b'{"faults": {"error_rate": 0.5}}')
    assert (merged.products, merged.faults.latency_ms, merged.faults.error_rate) == (5, 10, 0.5)


def test_rendered_images_have_the_requested_size_and_corrupt_ones_do_not_decode() -> None:
    data = render(64, 48, "png", (1, 2, 3), (200, 100, 50))
    with Image.open(BytesIO(data)) as picture:
        assert (picture.format, picture.size) == ("PNG", (64, 48))
    with pytest.raises(OSError, match="truncated"), Image.open(BytesIO(corrupt(data))) as broken:
        broken.load()
