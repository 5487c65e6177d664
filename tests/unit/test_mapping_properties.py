"""Property tests for the field-mapping engine's public API.

``parse_rules`` raises nothing but :class:`InvalidMapping` (naming fields),
whatever JSON it is given; the compiled mapping never raises on data and returns a
:class:`MappedProduct` with the documented column types, or
:class:`MappingErrors`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from control_plane.domain.mapping import (
    TRANSFORMS,
    InvalidMapping,
    MappedProduct,
    MappingErrors,
    RuleSet,
    default_rule_set,
    parse_rules,
)
from control_plane.domain.providers import Provider
from tests.support.mapping import map_with

SETTINGS = settings(max_examples=200, derandomize=True, deadline=None)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.decimals(allow_nan=True)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
names = st.sampled_from(["id", "title", "variants", "images", "price", "tags", "sku", "updated_at", "src", "x"])
paths = st.lists(
    st.tuples(names, st.sampled_from(["", "[0]", "[*]", "[-1]", "[99]"])).map(lambda t: t[0] + t[1]),
    min_size=1,
    max_size=3,
).map(".".join) | st.text(max_size=20)
transform = st.sampled_from(sorted(TRANSFORMS)) | st.builds(
    lambda name, args: {"name": name, "args": args},
    st.sampled_from(sorted(TRANSFORMS)),
    st.dictionaries(st.sampled_from(["places", "sep", "format", "value", "x"]), scalars, max_size=2),
)
targets = st.sampled_from(
    ["external_id", "title", "description", "price", "tags", "images", "source_updated_at", "variants", "status"]
)
rule_dicts = st.fixed_dictionaries(
    {"target": targets | st.text(max_size=10)},
    optional={
        "source": paths | st.lists(paths, max_size=3) | scalars,
        "transforms": st.lists(transform, max_size=3) | scalars,
        "default": scalars,
        "required": st.booleans() | scalars,
        "each": st.lists(st.fixed_dictionaries({"target": st.sampled_from(["external_id", "price"]), "source": paths})),
    },
)
raw_rules = st.lists(rule_dicts, max_size=6) | json_values


def _parsed(raw: Any) -> RuleSet | None:
    try:
        return parse_rules(raw)
    except InvalidMapping as error:
        problems = error.problems
    assert problems and all(p.field for p in problems), "every problem names its field"
    return None


@SETTINGS
@given(raw_rules)
def test_parse_rules_raises_only_its_validation_error(raw: Any) -> None:
    _parsed(raw)


def _check_types(product: MappedProduct) -> None:
    assert isinstance(product.external_id, str) and product.external_id
    assert isinstance(product.title, str) and product.title
    for text in (product.description, product.vendor, product.product_type, product.status, product.sku):
        assert text is None or isinstance(text, str)
    assert product.price is None or isinstance(product.price, Decimal)
    assert product.source_updated_at is None or isinstance(product.source_updated_at, datetime)
    assert all(isinstance(tag, str) for tag in product.tags)
    assert all(isinstance(url, str) for url in product.images)
    assert all(isinstance(v, dict) for v in product.variants) and all(isinstance(o, dict) for o in product.options)


def _outcome_is_typed(rules: RuleSet, payload: Any) -> None:
    outcome = map_with(rules, payload, {"currency": "EUR"})
    if isinstance(outcome, MappingErrors):
        assert outcome.errors and outcome.reason()
    else:
        assert isinstance(outcome, MappedProduct)
        _check_types(outcome)


@SETTINGS
@given(st.lists(rule_dicts, max_size=6), json_values)
def test_mapping_never_raises_and_returns_typed_products(raw: list[dict[str, Any]], payload: Any) -> None:
    base = [{"target": "external_id", "source": "id"}, {"target": "title", "source": "title"}]
    rules = _parsed(base + [r for r in raw if r.get("target") not in {"external_id", "title"}])
    if rules is not None:
        _outcome_is_typed(rules, payload)


product_payloads = st.fixed_dictionaries(
    {"id": scalars, "title": scalars},
    optional={
        "variants": st.lists(st.dictionaries(st.sampled_from(["id", "price", "sku", "option1"]), scalars), max_size=3)
        | scalars,
        "images": st.lists(st.dictionaries(st.sampled_from(["src", "position"]), scalars), max_size=3) | scalars,
        "tags": scalars,
        "updated_at": scalars,
        "body_html": scalars,
    },
)


@SETTINGS
@given(st.sampled_from(list(Provider)), product_payloads | json_values)
def test_default_mappings_never_raise_on_hostile_payloads(provider: Provider, payload: Any) -> None:
    _outcome_is_typed(default_rule_set(provider), payload)
