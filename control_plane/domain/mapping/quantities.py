"""Numbers, money, weights and timestamps as providers send them, read strictly.

Money and weights use :class:`~decimal.Decimal` end to end: a float never
touches a price.  Every reader raises ``ValueError`` with a message meant for
the vendor ("expected whole cents, got 12.5"), never a Python traceback.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

GRAMS_PER_UNIT: dict[str, Decimal] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "oz": Decimal("28.349523125"),
    "lb": Decimal("453.59237"),
}
"""Exact international avoirdupois factors."""

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(g|kg|oz|lbs?)", re.IGNORECASE)
_UNIT_ALIASES = {"lbs": "lb"}
MONEY_PLACES = 2
WEIGHT_PLACES = 3


def describe(value: Any) -> str:
    """A short, JSON-flavoured description of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return repr(shown)
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def to_decimal(value: Any) -> Decimal:
    """A finite Decimal from an int, float, Decimal or numeric string."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"expected a number, got {describe(value)}")
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str | float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"expected a number, got {describe(value)}") from None
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {describe(value)}")
    return number


def quantize(number: Decimal, places: int) -> Decimal:
    try:
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context's precision
        raise ValueError(f"number {number} is out of range") from None


def to_int(value: Any) -> int:
    """An int from a number or numeric string; fractions round half up."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(quantize(to_decimal(value), 0))


def cents_to_decimal(value: Any) -> Decimal:
    """Integer minor units (1250) to money (Decimal('12.50'))."""
    cents = to_decimal(value)
    if cents != cents.to_integral_value():
        raise ValueError(f"expected whole cents, got {describe(value)}")
    return quantize(cents.scaleb(-MONEY_PLACES), MONEY_PLACES)


def convert_unit(value: Any, source: str, target: str) -> Decimal:
    """A weight from one unit to another, to the milligram-ish (3 places)."""
    grams = to_decimal(value) * GRAMS_PER_UNIT[source]
    return quantize(grams / GRAMS_PER_UNIT[target], WEIGHT_PLACES)


def size_to_grams(value: Any) -> int:
    """A size label such as '12oz', '2 lb', '340g' or '1kg' to whole grams."""
    match = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a size like '12oz', '2lb', '340g' or '1kg', got {describe(value)}")
    unit = match.group(2).lower()
    grams = Decimal(match.group(1)) * GRAMS_PER_UNIT[_UNIT_ALIASES.get(unit, unit)]
    return int(quantize(grams, 0))


def parse_datetime(value: Any) -> datetime:
    """ISO 8601 to an aware datetime; a timestamp without an offset is taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected an ISO 8601 timestamp, got {describe(value)}") from None
    else:
        raise ValueError(f"expected an ISO 8601 timestamp, got {describe(value)}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
