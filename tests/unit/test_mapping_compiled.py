"""The compiled mapping matches the interpreter (the test oracle): same products, same errors, same order.

Checked on the providers' default rules over deterministic simulator catalogs,
and on seeded random rule sets (every transform, scope, fan-out, default and
``each``) over random JSON payloads.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from control_plane.domain.mapping import (
    InvalidMapping,
    MappedProduct,
    MappingErrors,
    RuleSet,
    compile_rules,
    default_rule_set,
    parse_rules,
)
from control_plane.domain.mapping import texts as html
from control_plane.domain.mapping.targets import PRODUCT_TARGETS, VARIANT_TARGETS
from control_plane.domain.providers import Provider
from control_plane.integrations.providers.shopify_shape import edges, node_to_rest
from loadtests.simulator import roastify, shopify_shapes
from loadtests.simulator.catalog import Catalog, CatalogSpec
from tests.support.mapping_oracle import interpret

BASE_URL = "http://simulator.test"
KEYS = ("id", "title", "name", "price", "tags", "variants", "options", "images", "sku", "size", "qty", "body", "at")
UNITS = ("g", "kg", "oz", "lb")
Outcome = MappedProduct | MappingErrors


def assert_same(rules: RuleSet, payload: Any, context: dict[str, Any] | None) -> Outcome:
    expected = interpret(rules, payload, context)
    actual = compile_rules(rules)(payload, context)
    assert actual == expected
    assert repr(actual) == repr(expected)  # Decimal exponents and key order too, not just equality
    return expected


def graphql_payload(shop: Catalog, index: int) -> dict[str, Any]:
    """Product ``index`` as the GraphQL client hands it to the mapping (its images read as ``MediaImage`` media)."""
    node = shopify_shapes.graphql_node(BASE_URL, shop, index)
    media = [{"id": image["id"], "alt": image["altText"], "image": image} for image in edges(node["images"])]
    return node_to_rest(node, edges(node["variants"]), media)


def catalog(provider: str, seed: int) -> Catalog:
    spec = CatalogSpec(
        seed=seed,
        provider=provider,
        account="acme",
        products=60,
        images_min=0,
        images_max=4,
        variants_min=0,
        variants_max=12,
        image_width=64,
        image_height=48,
        image_format="mixed",
    )
    return Catalog(spec)


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_default_shopify_rules_map_simulator_products_identically(seed: int) -> None:
    rules, shop = default_rule_set(Provider.SHOPIFY), catalog("shopify", seed)
    outcomes = []
    for index in range(shop.size):
        rest = shopify_shapes.rest_product(BASE_URL, shop, index)
        node = graphql_payload(shop, index)
        outcomes.append(assert_same(rules, rest, {"currency": "eur"}))
        outcomes.append(assert_same(rules, node, {}))
    assert all(isinstance(outcome, MappedProduct) for outcome in outcomes)


@pytest.mark.parametrize("seed", [3, 11])
def test_default_roastify_rules_map_simulator_products_identically(seed: int) -> None:
    rules, shop = default_rule_set(Provider.ROASTIFY), catalog("roastify", seed)
    for index in range(shop.size):
        assert_same(rules, roastify.detail(BASE_URL, shop, index), {"currency": "usd"})


def test_errors_come_out_the_same_and_in_the_same_order() -> None:
    rules = default_rule_set(Provider.SHOPIFY)
    broken = {
        "id": None,
        "title": ["not", "text"],
        "tags": {"a": 1},
        "updated_at": "yesterday",
        "variants": [{"id": 1, "price": "x"}, "nope", {"grams": "1.5.6"}],
    }
    outcome = assert_same(rules, broken, None)
    assert isinstance(outcome, MappingErrors)
    assert len(outcome.errors) >= 6
    assert assert_same(rules, ["not", "an", "object"], None) == MappingErrors(
        (outcome.errors[0].__class__("$", "the provider payload is not an object"),)
    )


# --- random rule sets over random payloads ----------------------------------------------------------------------

SAMPLE_TEXTS = ("", " ", "  Mixed Case ", "12oz", "2 lb", "340g", "1kg", "19.999", "-3", "1e3", "abc", "a, b,,c")
MORE_TEXTS = ("true", "2024-05-01T10:00:00Z", "2024-05-01 10:00:00", "<p>Hi &amp; <b>x</b></p>", "<style>x</style>ok")
texts = st.sampled_from((*SAMPLE_TEXTS, *MORE_TEXTS, "é☺")) | st.text(max_size=12)
scalars = st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.floats(allow_nan=True) | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=25,
)
identified = st.fixed_dictionaries({"id": st.integers(1, 10**9) | st.text(min_size=1), "title": st.text(min_size=1)})
payloads = (
    st.builds(lambda extra, ids: extra | ids, st.dictionaries(st.sampled_from(KEYS), json_values), identified)
    | st.dictionaries(st.sampled_from(KEYS), json_values, max_size=len(KEYS))
    | json_values
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    scope = draw(st.sampled_from(["", "", "", "$root.", "$context."]))
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        indexes = draw(st.lists(st.sampled_from(["[0]", "[1]", "[-1]", "[*]"]), max_size=2))
        steps.append(draw(st.sampled_from(KEYS)) + "".join(indexes))
    return scope + ".".join(steps)


def transform_args(name: str) -> st.SearchStrategy[dict[str, Any]]:
    lookups = st.dictionaries(st.sampled_from(["a", "b", "1", "true", "12oz"]), json_values, min_size=1, max_size=3)
    by_name: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "decimal": st.just({}) | st.builds(lambda p: {"places": p}, st.integers(0, 6)),
        "convert_unit": st.builds(lambda a, b: {"from": a, "to": b}, st.sampled_from(UNITS), st.sampled_from(UNITS)),
        "join": st.just({}) | st.builds(lambda s: {"sep": s}, st.sampled_from([" ", "/", ""])),
        "map_values": st.builds(lambda m: {"mapping": m}, lookups)
        | st.builds(lambda m, f: {"mapping": m, "fallback": f}, lookups, scalars),
        "greater_than": st.just({}) | st.builds(lambda n: {"than": n}, st.integers(-5, 5)),
        "zip_dict": st.just({}) | st.builds(lambda k: {"keys": k}, st.lists(st.sampled_from(KEYS), min_size=1)),
        "as_option": st.builds(lambda n: {"name": n}, st.sampled_from(["Size", "Colour"])),
    }
    return by_name.get(name, st.just({}))


@st.composite
def transforms(draw: st.DrawFn) -> list[Any]:
    steps: list[Any] = []
    for name in draw(st.lists(st.sampled_from(sorted(_TRANSFORM_NAMES)), max_size=3)):
        args = draw(transform_args(name))
        steps.append({"name": name, "args": args} if args or draw(st.booleans()) else name)
    return steps


_TRANSFORM_NAMES = {
    "cents_to_decimal",
    "decimal",
    "comma_list",
    "html_to_text",
    "convert_unit",
    "trim",
    "lower",
    "upper",
    "first",
    "join",
    "map_values",
    "to_int",
    "parse_datetime",
    "size_to_grams",
    "greater_than",
    "zip_dict",
    "as_option",
}


@st.composite
def rule_lists(draw: st.DrawFn, targets: tuple[str, ...]) -> list[dict[str, Any]]:
    chosen = draw(st.lists(st.sampled_from(targets), unique=True, max_size=len(targets)))
    names = ["external_id", "title", *(name for name in chosen if name not in ("external_id", "title"))]
    rules = []
    for name in names:
        rule: dict[str, Any] = {"target": name}
        if name == "variants":
            rule["source"] = draw(paths())
            rule["each"] = draw(rule_lists(tuple(VARIANT_TARGETS)))
        elif name in ("external_id", "title") and draw(st.booleans()):
            rule["source"] = name.removeprefix("external_")
        else:
            many = draw(st.booleans()) and draw(st.booleans())
            rule["source"] = draw(st.lists(paths(), min_size=1, max_size=3)) if many else draw(paths())
            rule["transforms"] = draw(transforms())
            if draw(st.integers(0, 3)) == 0:
                rule["default"] = draw(scalars | st.lists(texts, max_size=2))
        if draw(st.integers(0, 3)) == 0:
            rule["required"] = True
        rules.append(rule)
    return rules


def parsed(raw: list[dict[str, Any]]) -> RuleSet:
    try:
        return parse_rules(json.loads(json.dumps(raw)))
    except InvalidMapping:
        assume(False)
        raise


@settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    raw=rule_lists(tuple(PRODUCT_TARGETS)),
    payload=payloads,
    context=st.dictionaries(st.sampled_from((*KEYS, "currency")), json_values, max_size=3),
)
def test_random_rule_sets_map_random_payloads_identically(
    raw: list[dict[str, Any]], payload: Any, context: dict[str, Any]
) -> None:
    event(type(assert_same(parsed(raw), payload, context)).__name__)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.filter_too_much])
@given(raw=rule_lists(tuple(PRODUCT_TARGETS)), seed=st.integers(0, 10_000))
def test_random_rule_sets_map_simulator_payloads_identically(raw: list[dict[str, Any]], seed: int) -> None:
    rules, shop = parsed(raw), catalog("shopify", seed)
    for index in range(0, shop.size, 20):
        event(
            type(assert_same(rules, shopify_shapes.rest_product(BASE_URL, shop, index), {"currency": "usd"})).__name__
        )


def test_one_compiled_mapping_serves_many_payloads_without_carrying_state() -> None:
    rules = default_rule_set(Provider.SHOPIFY)
    compiled, shop = compile_rules(rules), catalog("shopify", 5)
    first = compiled(shopify_shapes.rest_product(BASE_URL, shop, 0), {})
    assert isinstance(first, MappedProduct)
    first.tags.append("mutated by a caller")
    first.variants.clear()
    again = compiled(shopify_shapes.rest_product(BASE_URL, shop, 0), {})
    assert again == interpret(rules, shopify_shapes.rest_product(BASE_URL, shop, 0), {})
    assert again.tags != first.tags


# --- html_to_text: the plain-markup shortcut against the full parser ----------------------------------------------

TAG_NAMES = ("p", "P", "br", "li", "ul", "b", "strong", "span", "a", "img", "h2", "div", "script", "style", "x", "tr")
ATTRIBUTES = ("", ' class="a b"', " data-x='1'", " disabled", ' href="/a?b=1&amp;c=2"', " x=y", ' t="a>b"', "  ")
TEXT_BITS = ("Notes", " of ", "&amp;", "&nbsp;", "&#233;", "&lt;3", "AT&T", "&", " < ", ">", "\n\t", "é☺", "&am")
MARKUP_BITS = ("<!-- c -->", "<!doctype html>", "</", "<", "/>", "<p/>", "<br />", "</p >", "</p/>", "<P>")


@st.composite
def fragments(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 9))
        if kind < 4:
            parts.append(draw(st.sampled_from(TEXT_BITS) | st.text(max_size=6)))
        elif kind < 8:
            name, attrs = draw(st.sampled_from(TAG_NAMES)), draw(st.sampled_from(ATTRIBUTES))
            ending = draw(st.sampled_from([">", "/>", " />", ">"]))
            parts.append(f"</{name}>" if draw(st.booleans()) else f"<{name}{attrs}{ending}")
        else:
            parts.append(draw(st.sampled_from(MARKUP_BITS)))
    return "".join(parts)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(fragment=fragments())
def test_html_to_text_reads_every_fragment_as_the_parser_does(fragment: str) -> None:
    event("shortcut" if html._simple_html_text(fragment) is not None else "parser")
    assert html.html_to_text(fragment) == html.parsed_html_text(fragment)


def test_html_to_text_takes_the_shortcut_for_plain_markup_only() -> None:
    plain = "<p>Notes of <strong>cocoa &amp; fig</strong>.</p><ul><li>Origin: Peru</li></ul>"
    assert html._simple_html_text(plain) == "Notes of cocoa & fig. Origin: Peru"
    assert html._simple_html_text("<p>a</p><script>b()</script>") is None
    assert html._simple_html_text("a <!-- b --> c") is None
