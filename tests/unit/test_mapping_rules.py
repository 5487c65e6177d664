"""Field mapping rules: transforms, paths, validation messages, and mapping real provider payloads."""

from __future__ import annotations

import contextlib
import copy
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from control_plane.domain.mapping import (
    MAX_RULES,
    TRANSFORMS,
    InvalidMapping,
    MappedProduct,
    MappingErrors,
    RuleSet,
    parse_rules,
)
from control_plane.domain.mapping.paths import PathError, Sources, parse_path, resolve
from control_plane.domain.mapping.transforms import Step, TransformFailed, run
from tests.support.mapping import map_with
from tests.support.mapping_oracle import interpret

BASE: list[dict[str, Any]] = [{"target": "external_id", "source": "id"}, {"target": "title", "source": "title"}]


def with_rule(rule: Any) -> list[Any]:
    return [*BASE, rule]


def t(transform: str, value: Any, /, **args: Any) -> Any:
    return run(Step(transform, args), value)


def rules(*extra: dict[str, Any]) -> RuleSet:
    return parse_rules([*BASE, *extra])


def mapped(result: MappedProduct | MappingErrors) -> MappedProduct:
    assert isinstance(result, MappedProduct), result
    return result


def failed(result: MappedProduct | MappingErrors) -> dict[str, str]:
    assert isinstance(result, MappingErrors), result
    return {error.field: error.message for error in result.errors}


TRANSFORM_CASES: list[tuple[str, Any, dict[str, Any], Any]] = [
    ("cents_to_decimal", 1250, {}, Decimal("12.50")),
    ("cents_to_decimal", "99", {}, Decimal("0.99")),
    ("cents_to_decimal", 0, {}, Decimal("0.00")),
    ("cents_to_decimal", -5, {}, Decimal("-0.05")),
    ("decimal", "19.999", {}, Decimal("20.00")),
    ("decimal", 3, {}, Decimal("3.00")),
    ("decimal", " 4.5 ", {}, Decimal("4.50")),
    ("decimal", 0.1, {}, Decimal("0.10")),
    ("decimal", "2.345", {"places": 1}, Decimal("2.3")),
    ("comma_list", " a, b,,c , ", {}, ["a", "b", "c"]),
    ("comma_list", "", {}, []),
    ("comma_list", [" x ", "y, z", None, ""], {}, ["x", "y", "z"]),
    ("html_to_text", "<p>Bright &amp; <b>juicy</b></p><p>Notes:&nbsp;jasmine</p>", {}, "Bright & juicy Notes: jasmine"),
    ("html_to_text", "a<br>b<br/>c", {}, "a b c"),
    ("html_to_text", "<style>p{}</style><script>x()</script>kept &lt;3", {}, "kept <3"),
    ("html_to_text", "plain\n\n  text\t", {}, "plain text"),
    ("html_to_text", "<ul><li>one</li><li>two</li></ul>", {}, "one two"),
    ("html_to_text", "&#233;t&eacute; &#x263A;", {}, "été ☺"),
    ("convert_unit", 12, {"from": "oz", "to": "g"}, Decimal("340.194")),
    ("convert_unit", "1", {"from": "lb", "to": "oz"}, Decimal("16.000")),
    ("convert_unit", 1500, {"from": "g", "to": "kg"}, Decimal("1.500")),
    ("convert_unit", 2, {"from": "kg", "to": "lb"}, Decimal("4.409")),
    ("trim", "  x y  ", {}, "x y"),
    ("lower", "ACTIVE", {}, "active"),
    ("upper", "usd", {}, "USD"),
    ("trim", [" a", "b ", None], {}, ["a", "b"]),
    ("first", [None, "a", "b"], {}, "a"),
    ("first", [], {}, None),
    ("first", "solo", {}, "solo"),
    ("join", ["a", None, "b"], {}, "a, b"),
    ("join", ["a", 2, True], {"sep": "|"}, "a|2|true"),
    ("join", "already", {}, "already"),
    ("map_values", "draft", {"mapping": {"draft": "inactive"}}, "inactive"),
    ("map_values", "other", {"mapping": {"draft": "inactive"}}, "other"),
    ("map_values", "other", {"mapping": {"draft": "inactive"}, "fallback": "active"}, "active"),
    ("map_values", True, {"mapping": {"true": "yes"}}, "yes"),
    ("map_values", 2, {"mapping": {"2": "two"}, "fallback": None}, "two"),
    ("map_values", ["a", "b"], {"mapping": {"a": "A"}}, ["A", "b"]),
    ("to_int", "42", {}, 42),
    ("to_int", 7, {}, 7),
    ("to_int", 2.5, {}, 3),
    ("to_int", "10.0", {}, 10),
    ("parse_datetime", "2024-05-01T10:00:00Z", {}, datetime(2024, 5, 1, 10, tzinfo=UTC)),
    (
        "parse_datetime",
        "2024-05-01T10:00:00-04:00",
        {},
        datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=-4))),
    ),
    ("parse_datetime", "2024-05-01 10:00:00", {}, datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("parse_datetime", "2024-05-01", {}, datetime(2024, 5, 1, tzinfo=UTC)),
    ("size_to_grams", "12oz", {}, 340),
    ("size_to_grams", "2lb", {}, 907),
    ("size_to_grams", "5 lbs", {}, 2268),
    ("size_to_grams", "340g", {}, 340),
    ("size_to_grams", "1kg", {}, 1000),
    ("size_to_grams", "1.5KG", {}, 1500),
    ("size_to_grams", "8 OZ", {}, 227),
    ("greater_than", 3, {}, True),
    ("greater_than", 0, {}, False),
    ("greater_than", "-1", {}, False),
    ("greater_than", 5, {"than": 5}, False),
    ("zip_dict", [["Size", "Grind"], "12oz", "Whole Bean"], {}, {"Size": "12oz", "Grind": "Whole Bean"}),
    ("zip_dict", [["Size", "Grind"], "12oz", None], {}, {"Size": "12oz"}),
    ("zip_dict", ["12oz"], {"keys": ["Size"]}, {"Size": "12oz"}),
    ("zip_dict", "12oz", {"keys": ["Size"]}, {"Size": "12oz"}),
    ("as_option", ["12oz", "2lb", "12oz", None], {"name": "Size"}, [{"name": "Size", "values": ["12oz", "2lb"]}]),
    ("as_option", [], {"name": "Size"}, []),
]


@pytest.mark.parametrize(("name", "value", "args", "expected"), TRANSFORM_CASES)
def test_transform(name: str, value: Any, args: dict[str, Any], expected: Any) -> None:
    assert t(name, value, **args) == expected


def test_every_registered_transform_has_a_case() -> None:
    assert set(TRANSFORMS) == {case[0] for case in TRANSFORM_CASES}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_pass_null_through(name: str) -> None:
    args = {"convert_unit": {"from": "g", "to": "kg"}, "map_values": {"mapping": {"a": 1}}, "as_option": {"name": "N"}}
    assert run(Step(name, args.get(name, {})), None) is None


TRANSFORM_FAILURES: list[tuple[str, Any, dict[str, Any], str]] = [
    ("cents_to_decimal", 12.5, {}, "cents_to_decimal: expected whole cents, got 12.5"),
    ("cents_to_decimal", "abc", {}, "expected a number, got 'abc'"),
    ("cents_to_decimal", True, {}, "expected a number, got a boolean"),
    ("decimal", "NaN", {}, "expected a finite number"),
    ("decimal", "1e999999", {}, "out of range"),
    ("decimal", {"amount": 1}, {}, "expected a number, got an object"),
    ("comma_list", {"a": 1}, {}, "comma_list: expected text, got an object"),
    ("html_to_text", 7, {}, "html_to_text: expected text, got 7"),
    ("convert_unit", "heavy", {"from": "oz", "to": "g"}, "expected a number"),
    ("trim", 5, {}, "trim: expected text, got 5"),
    ("join", [["nested"]], {}, "cannot join a list"),
    ("map_values", {"x": 1}, {"mapping": {"a": 1}}, "cannot look up an object"),
    ("to_int", "ten", {}, "expected a number, got 'ten'"),
    ("parse_datetime", "yesterday", {}, "expected an ISO 8601 timestamp, got 'yesterday'"),
    ("parse_datetime", 1714557600, {}, "expected an ISO 8601 timestamp"),
    ("size_to_grams", "huge", {}, "expected a size like '12oz'"),
    ("size_to_grams", "12 stone", {}, "got '12 stone'"),
    ("size_to_grams", 340, {}, "got 340"),
    ("greater_than", "lots", {}, "expected a number"),
    ("zip_dict", ["a", "b"], {}, "the first element must be a list of names"),
]


@pytest.mark.parametrize(("name", "value", "args", "message"), TRANSFORM_FAILURES)
def test_transform_failure_is_a_named_error(name: str, value: Any, args: dict[str, Any], message: str) -> None:
    with pytest.raises(TransformFailed) as caught:
        t(name, value, **args)
    assert str(caught.value).startswith(f"{name}: ")
    assert message in str(caught.value)


def test_comma_list_accepts_numbers_as_tags() -> None:
    assert t("comma_list", [2024, "x"]) == ["2024", "x"]


def test_transforms_never_leak_other_exceptions_on_random_values() -> None:
    """A cheap fuzz: odd JSON values make TransformFailed or a value, never anything else."""
    rng = random.Random(7)
    pool: list[Any] = ["", " ", "12", "1e3", "-0", "x,y", "<b>", "12oz", "2024-01-01", True, 0, -3, 1.5, [], {}]
    pool += [[None], ["a", 1], {"a": []}, "9" * 60, "1e999999", float("inf"), "NaN", [["k"], "v"]]
    args = {"convert_unit": {"from": "oz", "to": "g"}, "map_values": {"mapping": {"a": 1}}, "as_option": {"name": "N"}}
    for _ in range(3000):
        name = rng.choice(sorted(TRANSFORMS))
        value = rng.choice(pool)
        with contextlib.suppress(TransformFailed):
            run(Step(name, args.get(name, {})), copy.deepcopy(value))


PATH_CASES: list[tuple[str, Any]] = [
    ("title", "Bag"),
    ("variants[0].price", "10.00"),
    ("variants[-1].price", "30.00"),
    ("variants[5].price", None),
    ("variants[*].price", ["10.00", "30.00"]),
    ("variants[*].tags[*]", ["a", "b", "c"]),
    ("images[*].src", ["https://img/1.jpg"]),
    ("missing.deep[0].x", None),
    ("missing[*].x", []),
    ("title.length", None),
    ("meta.nested.key", 1),
    ("$context.currency", "EUR"),
    ("$root.title", "Bag"),
]


@pytest.mark.parametrize(("text", "expected"), PATH_CASES)
def test_path_resolution(text: str, expected: Any) -> None:
    product = {
        "title": "Bag",
        "meta": {"nested": {"key": 1}},
        "variants": [{"price": "10.00", "tags": ["a", "b"]}, {"price": None}, {"price": "30.00", "tags": ["c"]}],
        "images": [{"src": "https://img/1.jpg"}, {"alt": "no src"}],
    }
    assert resolve(parse_path(text), Sources(item=product, root=product, context={"currency": "EUR"})) == expected


@pytest.mark.parametrize(
    "text", ["", "a..b", "a[", "a[x]", "[0]", "a.", ".a", "a b", "$ctx.currency", "$context", "a" * 201, "a.b-c"]
)
def test_malformed_paths_are_refused(text: str) -> None:
    with pytest.raises(PathError):
        parse_path(text)


def test_deep_paths_are_refused() -> None:
    with pytest.raises(PathError, match="deeper"):
        parse_path(".".join(["a"] * 13))


def step_rule(step: Any, target: str = "sku") -> list[Any]:
    return with_rule({"target": target, "source": "s", "transforms": [step]})


def variant_rule(*each: Any) -> list[Any]:
    return with_rule({"target": "variants", "source": "v[*]", "each": list(each)})


VARIANT_ID = {"target": "external_id", "source": "id"}

INVALID_RULE_SETS: list[tuple[Any, str, str]] = [
    (step_rule("cents", "price"), "rules[2].transforms[0]", "unknown transform 'cents'"),
    (with_rule({"target": "colour", "source": "c"}), "rules[2].target", "unknown target 'colour'"),
    (with_rule({"target": "price", "source": "variants[x]"}), "rules[2].source", "malformed path 'variants[x]'"),
    (with_rule({"target": "tags", "source": ["a", "b c"]}), "rules[2].source[1]", "malformed path"),
    (
        with_rule({"target": "title", "source": "n"}),
        "rules[2].target",
        "duplicate target 'title' (already mapped by rules[1])",
    ),
    ([BASE[0]], "rules", "no rule for required target 'title'"),
    ([BASE[1]], "rules", "no rule for required target 'external_id'"),
    ([*BASE, *[{"target": "sku", "source": "s"}] * 99], "rules", "at most 100 rules, got 101"),
    (
        step_rule({"name": "convert_unit", "args": {"from": "st", "to": "g"}}),
        "rules[2].transforms[0].args.from",
        "convert_unit: argument 'from' must be one of g, kg, lb, oz",
    ),
    (
        step_rule({"name": "convert_unit", "args": {"from": "g"}}),
        "rules[2].transforms[0].args.to",
        "missing argument 'to'",
    ),
    (
        step_rule({"name": "trim", "args": {"x": 1}}),
        "rules[2].transforms[0].args.x",
        "trim: unknown argument 'x' (allowed: none)",
    ),
    (step_rule({"name": "decimal", "args": {"places": 9}}), "rules[2].transforms[0].args.places", "from 0 to 6"),
    (step_rule({"name": "join", "args": "|"}), "rules[2].transforms[0].args", "args must be an object"),
    (step_rule({"nam": "trim"}), "rules[2].transforms[0].nam", "unknown key 'nam'"),
    (step_rule(7), "rules[2].transforms[0]", "a transform name or an object"),
    (with_rule({"target": "sku", "source": "s", "transforms": "trim"}), "rules[2].transforms", "must be a list"),
    (with_rule({"target": "sku", "sorce": "s"}), "rules[2].sorce", "unknown key 'sorce'"),
    (with_rule({"target": "sku"}), "rules[2].source", "a source path, a default, or both"),
    (with_rule({"target": "sku", "source": 5}), "rules[2].source", "must be a path"),
    (with_rule({"target": "sku", "source": "s", "required": "yes"}), "rules[2].required", "true or false"),
    (
        with_rule({"target": "price", "source": "p", "default": "free"}),
        "rules[2].default",
        "expected a number, got 'free'",
    ),
    (
        with_rule({"target": "currency", "source": "c", "default": "EURO"}),
        "rules[2].default",
        "longer than 3 characters",
    ),
    (with_rule({"target": "variants", "source": "variants[*]"}), "rules[2].each", "needs nested rules"),
    (with_rule({"target": "sku", "source": "s", "each": []}), "rules[2].each", "takes no nested rules"),
    (variant_rule({"target": "title", "source": "t"}), "rules[2].each", "no rule for required target 'external_id'"),
    (
        variant_rule({**VARIANT_ID, "transforms": ["cent"]}),
        "rules[2].each[0].transforms[0]",
        "unknown transform 'cent'",
    ),
    (variant_rule(VARIANT_ID, {"target": "tags", "source": "t"}), "rules[2].each[1].target", "unknown target 'tags'"),
    (with_rule("title"), "rules[2]", "must be an object"),
    ({"rules": []}, "rules", "must be a list of rules"),
]


@pytest.mark.parametrize(("raw", "field", "message"), INVALID_RULE_SETS)
def test_validation_names_the_bad_rule(raw: Any, field: str, message: str) -> None:
    with pytest.raises(InvalidMapping) as caught:
        parse_rules(raw)
    problems = {problem.field: problem.message for problem in caught.value.problems}
    assert field in problems, problems
    assert message in problems[field]
    assert caught.value.detail.startswith(f"{caught.value.field}: ")


def test_the_error_names_the_first_problem_and_counts_the_rest() -> None:
    with pytest.raises(InvalidMapping) as caught:
        parse_rules([*step_rule("cents", "price"), {"target": "nope"}])
    assert caught.value.field == "rules[2].transforms[0]"
    assert caught.value.detail == "rules[2].transforms[0]: unknown transform 'cents' (and 2 more)"


def test_exactly_max_rules_is_accepted_and_the_spelling_is_canonical() -> None:
    parsed = parse_rules(step_rule({"name": "trim", "args": {}}))
    assert parsed.to_json()[2] == {"target": "sku", "source": "s", "transforms": ["trim"]}
    assert MAX_RULES == 100


def test_a_constant_rule_needs_no_source() -> None:
    product = mapped(map_with(rules({"target": "status", "default": "active"}), {"id": 1, "title": "T"}))
    assert product.status == "active"


def test_apply_turns_bad_data_into_per_field_errors() -> None:
    rule_set = rules(
        {"target": "price", "source": "cents", "transforms": ["cents_to_decimal"]},
        {"target": "source_updated_at", "source": "at", "transforms": ["parse_datetime"]},
        {"target": "sku", "source": "sku", "required": True},
        {"target": "tags", "source": "tags"},
    )
    errors = failed(map_with(rule_set, {"id": 5, "title": "  ", "cents": "1.2.3", "at": "soon", "tags": {"a": 1}}))
    assert errors == {
        "price": "cents_to_decimal: expected a number, got '1.2.3'",
        "source_updated_at": "parse_datetime: expected an ISO 8601 timestamp, got 'soon'",
        "sku": "required, but 'sku' resolved to nothing",
        "tags": "expected text, got an object",
    }


def test_apply_reports_missing_mandatory_fields_and_non_object_payloads() -> None:
    assert failed(map_with(rules(), {"title": "T"})) == {"external_id": "required, but 'id' resolved to nothing"}
    assert failed(map_with(rules(), ["not", "a", "product"])) == {"$": "the provider payload is not an object"}
    assert failed(map_with(rules(), {"id": ["a"], "title": "T"})) == {"external_id": "expected text, got a list"}


def test_optional_missing_values_are_empty_and_defaults_fill_in() -> None:
    rule_set = rules(
        {"target": "currency", "source": "$context.currency", "transforms": ["upper"], "default": "USD"},
        {"target": "price", "source": "variants[0].price", "default": "0"},
        {"target": "tags", "source": "tags", "transforms": ["comma_list"]},
        {"target": "vendor", "source": "vendor"},
    )
    product = mapped(map_with(rule_set, {"id": 1, "title": "T", "tags": ""}))
    assert (product.currency, product.price, product.tags, product.vendor) == ("USD", Decimal("0.00"), [], None)
    assert mapped(map_with(rule_set, {"id": 1, "title": "T"}, {"currency": "eur"})).currency == "EUR"


def test_values_are_checked_against_their_column() -> None:
    too_long = rules({"target": "currency", "source": "c"})
    assert failed(map_with(too_long, {"id": 1, "title": "T", "c": "EURO"})) == {"currency": "longer than 3 characters"}
    huge = rules({"target": "price", "source": "p"})
    assert "out of range" in failed(map_with(huge, {"id": 1, "title": "T", "p": "1e15"}))["price"]
    assert mapped(map_with(huge, {"id": 1, "title": "T", "p": "9.999"})).price == Decimal("10.00")


def test_variant_errors_name_the_variant() -> None:
    rule_set = rules(
        {
            "target": "variants",
            "source": "variants[*]",
            "each": [
                {"target": "external_id", "source": "id"},
                {"target": "grams", "source": "size", "transforms": ["size_to_grams"]},
                {"target": "in_stock", "source": "stock"},
            ],
        }
    )
    payload = {
        "id": 1,
        "title": "T",
        "variants": [{"id": "a", "size": "12oz"}, {"size": "tiny"}, "junk", {"id": "d", "stock": 3}],
    }
    assert failed(map_with(rule_set, payload)) == {
        "variants[1].external_id": "required, but 'id' resolved to nothing",
        "variants[1].grams": "size_to_grams: expected a size like '12oz', '2lb', '340g' or '1kg', got 'tiny'",
        "variants[2]": "expected an object",
        "variants[3].in_stock": "expected true or false, got 3",
    }
    good = mapped(map_with(rule_set, {"id": 1, "title": "T", "variants": [{"id": 7, "size": "1kg", "stock": "true"}]}))
    assert good.variants == [
        {
            "external_id": "7",
            "title": None,
            "sku": None,
            "price": None,
            "options": {},
            "inventory_quantity": None,
            "in_stock": True,
            "grams": 1000,
            "compare_at_price": None,
            "barcode": None,
            "weight": None,
            "weight_unit": None,
        }
    ]


def _both(rule_set: RuleSet, payload: dict[str, Any]) -> tuple[Any, Any]:
    """What the oracle interpreter and the compiled mapping (imports and previews) make of one payload."""
    return interpret(rule_set, payload), map_with(rule_set, payload)


def test_an_empty_string_is_stored_as_null_by_default() -> None:
    for mapped in _both(rules({"target": "vendor", "source": "vendor"}), {"id": 1, "title": "t", "vendor": ""}):
        assert isinstance(mapped, MappedProduct) and mapped.vendor is None


def test_keep_empty_keeps_an_empty_string_and_still_maps_a_missing_value_to_null() -> None:
    kept = rules({"target": "vendor", "source": "vendor", "keep_empty": True})
    for mapped in _both(kept, {"id": 1, "title": "t", "vendor": ""}):
        assert isinstance(mapped, MappedProduct) and mapped.vendor == ""
    for mapped in _both(kept, {"id": 1, "title": "t"}):
        assert isinstance(mapped, MappedProduct) and mapped.vendor is None
    trimmed = rules({"target": "vendor", "source": "vendor", "transforms": ["trim"], "keep_empty": True})
    for mapped in _both(trimmed, {"id": 1, "title": "t", "vendor": "   "}):
        assert isinstance(mapped, MappedProduct) and mapped.vendor == "", "judged after the transforms"
    assert kept.to_json()[-1] == {"target": "vendor", "source": "vendor", "keep_empty": True}


def test_keep_empty_inside_variants() -> None:
    variants = {"target": "variants", "source": "variants[*]"}
    rule_set = rules(
        {
            **variants,
            "each": [{"target": "external_id", "source": "id"}, {"target": "sku", "source": "sku", "keep_empty": True}],
        }
    )
    for mapped in _both(rule_set, {"id": 1, "title": "t", "variants": [{"id": 5, "sku": ""}]}):
        assert isinstance(mapped, MappedProduct) and mapped.variants[0]["sku"] == ""


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"target": "price", "source": "p", "keep_empty": True}, "only for text targets; 'price' is decimal"),
        ({"target": "tags", "source": "t", "keep_empty": True}, "only for text targets; 'tags' is list of text"),
        ({"target": "vendor", "source": "v", "keep_empty": "yes"}, "must be true or false"),
        ({"target": "vendor", "source": "v", "required": True, "keep_empty": True}, "not with a required target"),
    ],
)
def test_keep_empty_is_refused_where_it_cannot_apply(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidMapping) as caught:
        parse_rules(with_rule(rule))
    assert [(p.field, p.message.startswith(message)) for p in caught.value.problems] == [("rules[2].keep_empty", True)]


def test_keep_empty_is_refused_on_a_mandatory_target() -> None:
    with pytest.raises(InvalidMapping) as caught:
        parse_rules([{"target": "external_id", "source": "id", "keep_empty": True}, BASE[1]])
    assert [p.field for p in caught.value.problems] == ["rules[0].keep_empty"]
