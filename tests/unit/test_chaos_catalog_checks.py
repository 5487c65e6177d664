"""Chaos invariants on the drill tenant's catalog: stored products and images against what was served (no I/O)."""

from __future__ import annotations

from chaos.catalog_checks import (
    ServedProduct,
    StoredImage,
    StoredProduct,
    image_checks_against,
    product_checks,
    served_products,
)
from chaos.model import Check
from control_plane.domain.providers import Provider
from loadtests.simulator.catalog import Catalog, CatalogSpec
from loadtests.simulator.config import AccountConfig
from loadtests.simulator.shopify_shapes import product_id

SERVED = [
    ServedProduct("1", ("/images/shopify/s/0/1.jpg", "/images/shopify/s/0/2.jpg")),
    ServedProduct("2", ("/images/shopify/s/1/1.jpg",)),
    ServedProduct("3", ()),
]
LIVE = [StoredProduct("1", False), StoredProduct("2", False), StoredProduct("3", False)]


def stored(pid: str, path: str, *, key: str | None = "orig/a", thumb: str | None = "thumb/a") -> StoredImage:
    return StoredImage(pid, path, "stored", key, thumb, None)


def good_images() -> list[StoredImage]:
    return [
        stored("1", "/images/shopify/s/0/1.jpg"),
        stored("1", "/images/shopify/s/0/2.jpg", key="orig/b", thumb="thumb/b"),
        StoredImage("2", "/images/shopify/s/1/1.jpg", "failed", None, None, "http_status: 404"),
    ]


def failing(checks: list[Check]) -> dict[str, object]:
    return {check.name: check.value for check in checks if not check.ok}


def test_a_catalog_stored_as_served_passes_every_check() -> None:
    assert failing(product_checks(SERVED, LIVE, 3)) == {}
    assert failing(image_checks_against(SERVED, good_images(), absent=set())) == {}


def test_a_served_product_that_was_not_stored_is_missing() -> None:
    checks = product_checks(SERVED, LIVE[:2], 3)
    assert failing(checks) == {"products imported": 2, "served products missing": 1}


def test_a_served_product_marked_removed_counts_as_missing() -> None:
    checks = product_checks(SERVED, [*LIVE[:2], StoredProduct("3", True)], 3)
    assert failing(checks) == {"products imported": 2, "served products missing": 1}
    assert "1 of them marked removed" in next(c for c in checks if c.name == "served products missing").detail


def test_a_stored_product_the_provider_never_served_is_unexpected() -> None:
    checks = product_checks(SERVED, [*LIVE, StoredProduct("9", False)], 3)
    assert failing(checks) == {"products_unexpected": 1}


def test_an_empty_served_catalog_does_not_pass_by_accident() -> None:
    assert failing(product_checks([], [], 3)) == {"products imported": 0}


def test_a_served_image_silently_dropped_fails() -> None:
    checks = image_checks_against(SERVED, good_images()[1:], absent=set())
    assert failing(checks) == {"served images neither stored nor failed with a reason": 1}
    assert "no row" in checks[0].detail


def test_an_image_left_pending_or_failed_without_a_reason_fails() -> None:
    pending = StoredImage("1", "/images/shopify/s/0/1.jpg", "pending", None, None, None)
    silent = StoredImage("2", "/images/shopify/s/1/1.jpg", "failed", None, None, "  ")
    checks = image_checks_against(SERVED, [pending, good_images()[1], silent], absent=set())
    assert failing(checks) == {"served images neither stored nor failed with a reason": 2}
    assert "left pending" in checks[0].detail and "failed without reason" in checks[0].detail


def test_an_image_claiming_success_without_a_key_fails() -> None:
    images = good_images()
    images[0] = stored("1", "/images/shopify/s/0/1.jpg", thumb=None)
    assert failing(image_checks_against(SERVED, images, absent=set())) == {
        "served images neither stored nor failed with a reason": 1,
        "image rows stored without a key": 1,
    }


def test_an_image_without_its_object_in_the_bucket_fails() -> None:
    assert failing(image_checks_against(SERVED, good_images(), absent={"thumb/b"})) == {
        "served images neither stored nor failed with a reason": 1,
        "image rows without their S3 objects": 1,
    }


def test_an_image_row_the_provider_never_served_is_extra() -> None:
    images = [*good_images(), stored("3", "/images/shopify/s/2/1.jpg")]
    assert failing(image_checks_against(SERVED, images, absent=set())) == {"extra image rows": 1}


def test_the_served_catalog_is_the_simulators_generated_one() -> None:
    config = AccountConfig(products=4, images_max=2, image_width=320, image_height=320)
    served = served_products(7, Provider.SHOPIFY, "shop-a", config)
    catalog = Catalog(CatalogSpec.of(7, "shopify", "shop-a", config))
    assert [p.external_id for p in served] == [str(product_id(i)) for i in range(4)]
    assert [len(p.images) for p in served] == [len(catalog.product(i).images) for i in range(4)]
    assert all(path.startswith(f"/images/shopify/shop-a/{i}/") for i, p in enumerate(served) for path in p.images)


def test_a_second_row_for_one_served_image_is_extra() -> None:
    again = StoredImage("1", "/images/shopify/s/0/1.jpg", "stored", "orig/a", "thumb/a", None)
    assert failing(image_checks_against(SERVED, [*good_images(), again], absent=set())) == {"extra image rows": 1}
