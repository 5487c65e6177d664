"""Contract: API versions by Shopify's release schedule, fall-forward, and deprecation headers.

Documentation: https://shopify.dev/docs/api/usage/versioning
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from loadtests.simulator.shopify_versions import Versions
from tests.support.shopify_sim import shopify_sim

PRODUCTS = "{ products(first: 1) { nodes { id } } }"


def test_supported_versions_follow_the_quarterly_schedule() -> None:
    """ "A new version every three months at 5pm UTC … each stable version is supported for at least 12 months"."""
    versions = Versions.at(datetime(2026, 12, 2, tzinfo=UTC))
    assert versions.stable == ("2026-01", "2026-04", "2026-07", "2026-10")
    assert versions.supported == ("2026-01", "2026-04", "2026-07", "2026-10", "2027-01", "unstable")
    before_release = Versions.at(datetime(2027, 1, 1, 16, 59, tzinfo=UTC))
    assert before_release.stable[-1] == "2026-10" and before_release.release_candidate == "2027-01"
    assert Versions.at(datetime(2027, 1, 1, 17, 0, tzinfo=UTC)).stable == ("2026-04", "2026-07", "2026-10", "2027-01")


@pytest.mark.parametrize("version", ["2026-01", "2026-10", "2027-01", "unstable"])
def test_a_supported_version_answers_as_itself(version: str) -> None:
    with shopify_sim() as sim:
        sim.configure("ver-ok", products=1)
        for response in (sim.graphql("ver-ok", PRODUCTS, version=version), sim.rest("ver-ok", version=version)):
            assert response.status_code == 200
            assert response.headers["x-shopify-api-version"] == version
            assert "x-shopify-api-deprecated-reason" not in response.headers


def test_an_unsupported_version_falls_forward_to_the_oldest_supported() -> None:
    """ "If you request a version that is no longer supported, Shopify falls forward to the oldest supported"."""
    with shopify_sim() as sim:
        sim.configure("ver-old", products=1)
        for response in (sim.graphql("ver-old", PRODUCTS, version="2025-01"), sim.rest("ver-old", version="2025-01")):
            assert response.status_code == 200
            assert response.headers["x-shopify-api-version"] == "2026-01"
            assert "2025-01" in response.headers["x-shopify-api-deprecated-reason"]
        assert sim.graphql("ver-old", PRODUCTS, version="latest").status_code == 404


def test_deprecated_images_are_served_with_the_deprecation_header() -> None:
    """``Product.images`` is deprecated in favour of ``media``: still served, flagged in the response header."""
    with shopify_sim() as sim:
        sim.configure("ver-images", products=2, images_min=2, images_max=2)
        old = sim.graphql("ver-images", "{ products(first: 2) { nodes { images(first: 5) { nodes { url } } } } }")
        assert len(old.json()["data"]["products"]["nodes"][0]["images"]["nodes"]) == 2
        assert "Product.images" in old.headers["x-shopify-api-deprecated-reason"]
        new = sim.graphql("ver-images", "{ products(first: 2) { nodes { media(first: 5) { nodes { id } } } } }")
        assert "x-shopify-api-deprecated-reason" not in new.headers
