"""The Shopify client's documents and their cost, against Shopify's documented cost rules.

Rules (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost calculation"):
scalars and enums cost 0, objects 1, a connection 2 plus ``first`` times the cost of one node, so
nested connections multiply; one query may request at most 1,000 points.
"""

from __future__ import annotations

import graphql
import pytest
from hypothesis import given
from hypothesis import strategies as st

from control_plane.integrations.providers.shopify_bulk import bulk_query
from control_plane.integrations.providers.shopify_queries import (
    FOLLOW_UP_MEDIA,
    FOLLOW_UP_VARIANTS,
    MAX_FIRST,
    MAX_NESTED_MEDIA,
    MAX_NESTED_VARIANTS,
    MAX_QUERY_COST,
    Node,
    PagePlan,
    follow_up,
    media,
    products_document,
    variants,
)


def test_the_documented_example_of_a_nested_query_costs_what_shopify_says() -> None:
    """products(first:100){variants(first:100){… selectedOptions} images(first:20){…} options}: ~22,600 points."""
    variant = Node("variants", (Node("id"), Node("selectedOptions", (Node("name"),))), first=100)
    images = Node("images", (Node("url"),), first=20)
    product = Node("products", (Node("title"), Node("options", (Node("name"),)), variant, images), first=100)
    assert product.cost() == 2 + 100 * (1 + 1 + (2 + 100 * (1 + 1)) + (2 + 20 * 1))
    assert product.cost() == 22_602
    assert product.cost() > MAX_QUERY_COST  # Shopify refuses it: MAX_COST_EXCEEDED


def test_scalars_cost_nothing_and_objects_one() -> None:
    assert Node("title").cost() == 0
    assert Node("seo", (Node("title"), Node("description"))).cost() == 1
    assert Node("a", (Node("b", (Node("c"),)),)).cost() == 2


@given(largest_variants=st.integers(1, 2048), largest_media=st.integers(0, 250), wanted=st.integers(1, MAX_FIRST))
def test_every_planned_page_stays_within_the_single_query_limit(
    largest_variants: int, largest_media: int, wanted: int
) -> None:
    plan = PagePlan()
    plan.saw(largest_variants, largest_media)
    connection = plan.connection(wanted)
    assert connection.cost() <= MAX_QUERY_COST
    assert 1 <= (connection.first or 0) <= wanted


def test_nested_sizes_follow_the_catalog_as_it_is_read() -> None:
    plan = PagePlan()
    small = plan.connection(100)
    plan.saw(100, 25)
    big = plan.connection(100)
    assert plan.nested_variants() == MAX_NESTED_VARIANTS and plan.nested_media() == MAX_NESTED_MEDIA
    assert (big.first or 0) < (small.first or 0)  # fewer products per page when each one costs more


def test_a_too_costly_answer_halves_the_page() -> None:
    plan = PagePlan()
    before = plan.connection(100).first or 0
    plan.too_costly()
    assert plan.connection(100).first == max(1, before // 2)


def test_follow_ups_are_as_large_as_the_limit_allows() -> None:
    _, variant_cost = follow_up("gid://shopify/Product/1", variants(FOLLOW_UP_VARIANTS, "c"))
    _, media_cost = follow_up("gid://shopify/Product/1", media(FOLLOW_UP_MEDIA, "c"))
    assert variant_cost <= MAX_QUERY_COST < follow_up("gid://shopify/Product/1", variants(FOLLOW_UP_VARIANTS + 1))[1]
    assert media_cost <= MAX_QUERY_COST and FOLLOW_UP_MEDIA == MAX_FIRST


@pytest.mark.parametrize(
    "document",
    [
        products_document(PagePlan().connection(10)),
        follow_up('gid://shopify/Product/1"}', variants(5, 'a"b\\c'))[0],
        bulk_query(),
    ],
)
def test_documents_are_valid_graphql(document: str) -> None:
    graphql.parse(document)  # raises GraphQLSyntaxError otherwise


def test_media_is_read_not_the_deprecated_images() -> None:
    document = products_document(PagePlan().connection(10))
    assert "media(" in document and "images(" not in document and "... on MediaImage" in document
