"""The fields a mapping may fill: the product's columns and each variant's keys.

Every target has a kind; after a rule's transforms run, the value is checked
(and gently coerced: an integer id becomes text, a numeric string a Decimal)
against that kind, so what reaches the database always fits its column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from control_plane.domain.mapping import quantities as q

MAX_PRICE = Decimal(10) ** 12
"""Exclusive bound of ``products.price`` (NUMERIC(14, 2))."""


class Kind(StrEnum):
    TEXT = "text"
    DECIMAL = "decimal"
    """Money: two decimal places."""
    WEIGHT = "weight"
    """A non-negative quantity with three decimal places (0.125 kg stays 0.125)."""
    INT = "int"
    BOOL = "bool"
    DATETIME = "datetime"
    TEXT_LIST = "list of text"
    OBJECT = "object"
    OBJECT_LIST = "list of objects"
    RECORDS = "records"
    """Built by nested rules (``each``), one per source element."""


@dataclass(frozen=True)
class Target:
    name: str
    kind: Kind
    max_length: int | None = None
    mandatory: bool = False
    """Must resolve to a value on every record, whatever the rule says."""

    def empty(self) -> Any:
        """The value of a target that resolved to nothing."""
        return {Kind.TEXT_LIST: [], Kind.OBJECT_LIST: [], Kind.RECORDS: [], Kind.OBJECT: {}}.get(self.kind)


def _targets(*items: Target) -> dict[str, Target]:
    return {item.name: item for item in items}


PRODUCT_TARGETS: Mapping[str, Target] = _targets(
    Target("external_id", Kind.TEXT, 200, mandatory=True),
    Target("title", Kind.TEXT, 10_000, mandatory=True),
    Target("description", Kind.TEXT, 200_000),
    Target("vendor", Kind.TEXT, 500),
    Target("product_type", Kind.TEXT, 500),
    Target("status", Kind.TEXT, 32),
    Target("tags", Kind.TEXT_LIST, 500),
    Target("price", Kind.DECIMAL),
    Target("currency", Kind.TEXT, 3),
    Target("sku", Kind.TEXT, 200),
    Target("source_updated_at", Kind.DATETIME),
    Target("variants", Kind.RECORDS),
    Target("options", Kind.OBJECT_LIST),
    Target("images", Kind.TEXT_LIST, 4096),
)

VARIANT_TARGETS: Mapping[str, Target] = _targets(
    Target("external_id", Kind.TEXT, 200, mandatory=True),
    Target("title", Kind.TEXT, 1000),
    Target("sku", Kind.TEXT, 200),
    Target("price", Kind.DECIMAL),
    Target("options", Kind.OBJECT),
    Target("inventory_quantity", Kind.INT),
    Target("in_stock", Kind.BOOL),
    Target("grams", Kind.INT),
    Target("compare_at_price", Kind.DECIMAL),
    Target("barcode", Kind.TEXT, 255),
    Target("weight", Kind.WEIGHT),
    Target("weight_unit", Kind.TEXT, 8),
)


def is_empty(value: Any) -> bool:
    """Nothing to store: missing, an empty string, list or object."""
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def coerce(target: Target, value: Any) -> Any:
    """``value`` as ``target``'s kind, or ValueError saying what was expected."""
    kind = target.kind
    if kind is Kind.TEXT:
        return _text(value, target.max_length)
    if kind is Kind.TEXT_LIST:
        items = value if isinstance(value, list) else [value]
        return [_text(item, target.max_length) for item in items if not is_empty(item)]
    if kind is Kind.DECIMAL:
        return _money(value)
    if kind is Kind.WEIGHT:
        return _weight(value)
    if kind is Kind.INT:
        return q.to_int(value)
    if kind is Kind.BOOL:
        return _bool(value)
    if kind is Kind.DATETIME:
        return q.parse_datetime(value)
    if kind is Kind.OBJECT:
        return _object(value)
    if kind is Kind.OBJECT_LIST:
        items = value if isinstance(value, list) else [value]
        return [_object(item) for item in items]
    raise ValueError(f"{target.name} is built by nested rules (each)")


def coercer(target: Target) -> Callable[[Any], Any]:
    """``coerce`` for one target with its kind dispatched once: what a compiled rule set calls per value."""
    kind, max_length = target.kind, target.max_length
    if kind is Kind.TEXT:
        return _text_of(max_length)
    if kind is Kind.TEXT_LIST:
        return lambda value: [
            _text(item, max_length) for item in (value if isinstance(value, list) else [value]) if not is_empty(item)
        ]
    if kind is Kind.OBJECT_LIST:
        return lambda value: [_object(item) for item in (value if isinstance(value, list) else [value])]
    single: dict[Kind, Callable[[Any], Any]] = {
        Kind.DECIMAL: _money,
        Kind.WEIGHT: _weight,
        Kind.INT: q.to_int,
        Kind.BOOL: _bool,
        Kind.DATETIME: q.parse_datetime,
        Kind.OBJECT: _object,
    }
    return single.get(kind) or (lambda value: coerce(target, value))


def _text_of(max_length: int | None) -> Callable[[Any], str]:
    def text(value: Any) -> str:
        if value.__class__ is str:  # what providers send; str(value) would be the same object
            if max_length is not None and len(value) > max_length:
                raise ValueError(f"longer than {max_length} characters")
            return value
        return _text(value, max_length)

    return text


def _text(value: Any, max_length: int | None) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"expected text, got {q.describe(value)}")
    text = str(value)
    if max_length is not None and len(text) > max_length:
        raise ValueError(f"longer than {max_length} characters")
    return text


def _money(value: Any) -> Decimal:
    amount = q.quantize(q.to_decimal(value), q.MONEY_PLACES)
    if abs(amount) >= MAX_PRICE:
        raise ValueError(f"{amount} is out of range")
    return amount


WEIGHT_PLACES = 3
MAX_WEIGHT = Decimal(10) ** 9


def _weight(value: Any) -> Decimal:
    amount = q.quantize(q.to_decimal(value), WEIGHT_PLACES)
    if not 0 <= amount < MAX_WEIGHT:
        raise ValueError(f"{amount} is not a weight")
    return amount


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"expected true or false, got {q.describe(value)}")


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {q.describe(value)}")
    return {str(key): item for key, item in value.items()}
