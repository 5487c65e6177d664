"""The transform registry: every name a rule may use, its arguments, and how it runs.

A transform written in a rule is either its bare name (``"trim"``) or
``{"name": "convert_unit", "args": {"from": "oz", "to": "g"}}``.  Arguments
are checked when a rule set is saved, so a transform only fails at mapping
time on the *value* it meets, never on how it was configured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from control_plane.domain.mapping import quantities as q
from control_plane.domain.mapping import texts as t

Args = Mapping[str, Any]
MAX_LOOKUP_ENTRIES = 500
MAX_ARG_TEXT = 100


class TransformFailed(ValueError):
    """A transform met a value it cannot convert; the message says which and why."""


@dataclass(frozen=True)
class Param:
    check: Callable[[Any], str | None]
    """Returns what is wrong with an argument's value, or None."""
    required: bool = False


@dataclass(frozen=True)
class Transform:
    name: str
    run: Callable[[Any, Args], Any]
    summary: str
    params: Mapping[str, Param] = field(default_factory=dict)
    per_item: bool = True
    """Applied to each element of a list value (nulls dropped) instead of to the list."""


@dataclass(frozen=True)
class Step:
    """One transform as a rule uses it."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str | dict[str, Any]:
        return {"name": self.name, "args": dict(self.args)} if self.args else self.name


def _unit(value: Any) -> str | None:
    return None if value in q.GRAMS_PER_UNIT else f"must be one of {', '.join(sorted(q.GRAMS_PER_UNIT))}"


def _text(value: Any) -> str | None:
    ok = isinstance(value, str) and len(value) <= MAX_ARG_TEXT
    return None if ok else f"must be text of at most {MAX_ARG_TEXT} characters"


def _name(value: Any) -> str | None:
    return _text(value) if value != "" else "must not be empty"


def _places(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6
    return None if ok else "must be a whole number from 0 to 6"


def _number(value: Any) -> str | None:
    try:
        q.to_decimal(value)
    except ValueError:
        return "must be a number"
    return None


def _lookup(value: Any) -> str | None:
    ok = isinstance(value, dict) and 0 < len(value) <= MAX_LOOKUP_ENTRIES
    return None if ok else f"must be an object of 1 to {MAX_LOOKUP_ENTRIES} entries"


def _names(value: Any) -> str | None:
    ok = isinstance(value, list) and 0 < len(value) <= 20 and all(_name(v) is None for v in value)
    return None if ok else "must be a list of 1 to 20 names"


def _anything(value: Any) -> str | None:
    return None


def _map_values(value: Any, args: Args) -> Any:
    return t.map_values(value, args["mapping"], has_fallback="fallback" in args, fallback=args.get("fallback"))


def _transforms(*items: Transform) -> dict[str, Transform]:
    return {item.name: item for item in items}


REGISTRY: Mapping[str, Transform] = _transforms(
    Transform("cents_to_decimal", lambda v, a: q.cents_to_decimal(v), "integer cents → Decimal (1250 → 12.50)"),
    Transform(
        "decimal",
        lambda v, a: q.quantize(q.to_decimal(v), a.get("places", q.MONEY_PLACES)),
        "string or number → Decimal, rounded half up to `places` (default 2)",
        {"places": Param(_places)},
    ),
    Transform("comma_list", lambda v, a: t.comma_list(v), "'a, b,,c' → ['a', 'b', 'c']", per_item=False),
    Transform("html_to_text", lambda v, a: t.html_to_text(v), "HTML → plain text, entities decoded"),
    Transform(
        "convert_unit",
        lambda v, a: q.convert_unit(v, a["from"], a["to"]),
        "a weight between g, kg, oz and lb (Decimal, 3 places)",
        {"from": Param(_unit, required=True), "to": Param(_unit, required=True)},
    ),
    Transform("trim", lambda v, a: t.require_text(v).strip(), "strip surrounding whitespace"),
    Transform("lower", lambda v, a: t.require_text(v).lower(), "lower case"),
    Transform("upper", lambda v, a: t.require_text(v).upper(), "upper case"),
    Transform("first", lambda v, a: t.first(v), "the first non-null element of a list", per_item=False),
    Transform(
        "join",
        lambda v, a: t.join(v, a.get("sep", ", ")),
        "a list → one string, separated by `sep` (default ', ')",
        {"sep": Param(_text)},
        per_item=False,
    ),
    Transform(
        "map_values",
        _map_values,
        "look the value up in `mapping`; unmatched → `fallback` if given, else unchanged",
        {"mapping": Param(_lookup, required=True), "fallback": Param(_anything)},
    ),
    Transform("to_int", lambda v, a: q.to_int(v), "number or numeric string → int (rounded half up)"),
    Transform("parse_datetime", lambda v, a: q.parse_datetime(v), "ISO 8601 → aware datetime (no offset = UTC)"),
    Transform("size_to_grams", lambda v, a: q.size_to_grams(v), "'12oz', '2lb', '340g', '1kg' → grams (int)"),
    Transform(
        "greater_than",
        lambda v, a: q.to_decimal(v) > q.to_decimal(a.get("than", 0)),
        "number → whether it is greater than `than` (default 0)",
        {"than": Param(_number)},
    ),
    Transform(
        "zip_dict",
        lambda v, a: t.zip_dict(v, a.get("keys")),
        "[names, v1, v2, …] (or values with `keys`) → {name: value}, empty values dropped",
        {"keys": Param(_names)},
        per_item=False,
    ),
    Transform(
        "as_option",
        lambda v, a: t.as_option(v, a["name"]),
        "values → [{'name': `name`, 'values': distinct values}]",
        {"name": Param(_name, required=True)},
        per_item=False,
    ),
)


def check_args(name: str, args: Any) -> list[tuple[str | None, str]]:
    """What is wrong with ``args`` for transform ``name``: (argument or None, message) pairs."""
    spec = REGISTRY[name]
    if not isinstance(args, dict):
        return [(None, "args must be an object")]
    problems: list[tuple[str | None, str]] = []
    for arg in args:
        if arg not in spec.params:
            allowed = ", ".join(spec.params) or "none"
            problems.append((str(arg), f"{name}: unknown argument {arg!r} (allowed: {allowed})"))
    for arg, param in spec.params.items():
        if arg not in args:
            if param.required:
                problems.append((arg, f"{name}: missing argument {arg!r}"))
            continue
        wrong = param.check(args[arg])
        if wrong is not None:
            problems.append((arg, f"{name}: argument {arg!r} {wrong}"))
    return problems


def run(step: Step, value: Any) -> Any:
    """Apply one transform; None passes through untouched, anything unreadable raises TransformFailed."""
    if value is None:
        return None
    spec = REGISTRY[step.name]
    try:
        if spec.per_item and isinstance(value, list):
            return [spec.run(item, step.args) for item in value if item is not None]
        return spec.run(value, step.args)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise TransformFailed(f"{step.name}: {exc}") from exc
