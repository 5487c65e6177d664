"""What mapping one provider payload gives: a product, or the list of what is wrong with it.

Mapping never raises on data: a required target that resolves to nothing, a
transform that cannot read its value, a value that does not fit its column —
each becomes a :class:`FieldError`, and the importer records the product as
failed with that reason instead of stopping the job.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from control_plane.domain.mapping.errors import FieldError


@dataclass(frozen=True)
class MappedProduct:
    """A product in the platform's shape; field names are the ``products`` columns."""

    external_id: str
    title: str
    description: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    status: str | None = None
    tags: list[str] = field(default_factory=list)
    price: Decimal | None = None
    currency: str | None = None
    sku: str | None = None
    source_updated_at: datetime | None = None
    variants: list[dict[str, Any]] = field(default_factory=list)
    options: list[dict[str, Any]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_AS_IS = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Decimals as strings and datetimes as ISO 8601, e.g. for the ``variants`` JSONB column."""
    cls = value.__class__
    if cls in _AS_IS:  # the bulk of a provider payload; exact types first, subclasses below
        return value
    if cls is dict:
        return {key: jsonable(item) for key, item in value.items()}
    if cls is list:
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


@dataclass(frozen=True)
class MappingErrors:
    """Why a payload could not be mapped, one entry per bad field."""

    errors: tuple[FieldError, ...]

    def reason(self) -> str:
        return "; ".join(str(error) for error in self.errors)
