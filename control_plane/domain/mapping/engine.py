"""Applying a rule set to one provider payload: a product, or the list of what is wrong with it.

``apply`` never raises on data: a required target that resolves to nothing, a
transform that cannot read its value, a value that does not fit its column —
each becomes a :class:`FieldError`, and the importer records the product as
failed with that reason instead of stopping the job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from control_plane.domain.mapping.errors import FieldError
from control_plane.domain.mapping.paths import Sources, resolve
from control_plane.domain.mapping.rules import Rule, RuleSet
from control_plane.domain.mapping.targets import PRODUCT_TARGETS, VARIANT_TARGETS, Target, coerce, is_empty
from control_plane.domain.mapping.transforms import TransformFailed, run


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


class _FieldFailed(Exception):
    pass


def apply(rules: RuleSet, payload: Any, context: Mapping[str, Any] | None = None) -> MappedProduct | MappingErrors:
    """Map one provider payload; ``context`` is what ``$context.`` paths read (e.g. the currency)."""
    if not isinstance(payload, Mapping):
        return MappingErrors((FieldError("$", "the provider payload is not an object"),))
    errors: list[FieldError] = []
    sources = Sources(item=payload, root=payload, context=context or {})
    values = _record(rules.rules, PRODUCT_TARGETS, sources, "", errors)
    if errors:
        return MappingErrors(tuple(errors))
    return MappedProduct(**values)


def _record(
    rules: tuple[Rule, ...], targets: Mapping[str, Target], sources: Sources, prefix: str, errors: list[FieldError]
) -> dict[str, Any]:
    """One record (the product, or a variant): every target, mapped or empty."""
    values = {name: target.empty() for name, target in targets.items()}
    for rule in rules:
        where = f"{prefix}{rule.target.name}"
        try:
            values[rule.target.name] = _value(rule, sources, where, errors)
        except _FieldFailed as exc:
            errors.append(FieldError(where, str(exc)))
    for name, target in targets.items():
        if target.mandatory and is_empty(values[name]) and not any(e.field == f"{prefix}{name}" for e in errors):
            errors.append(FieldError(f"{prefix}{name}", "required, but no rule produced a value"))
    return values


def _value(rule: Rule, sources: Sources, where: str, errors: list[FieldError]) -> Any:
    raw = _read(rule, sources)
    if rule.each is not None:
        return _each(rule, raw, sources, where, errors)
    value = raw
    for step in rule.transforms:
        try:
            value = run(step, value)
        except TransformFailed as exc:
            raise _FieldFailed(str(exc)) from exc
    if rule.keep_empty and value == "":
        return ""
    if is_empty(value):
        if rule.fallback is not None:
            return rule.fallback
        if rule.required or rule.target.mandatory:
            raise _FieldFailed(f"required, but {_describe_source(rule)} resolved to nothing")
        return rule.target.empty()
    try:
        return coerce(rule.target, value)
    except (ValueError, ArithmeticError) as exc:
        raise _FieldFailed(str(exc)) from exc


def _read(rule: Rule, sources: Sources) -> Any:
    if not rule.source:
        return None
    if rule.combined:
        return [resolve(path, sources) for path in rule.source]
    return resolve(rule.source[0], sources)


def _each(rule: Rule, raw: Any, sources: Sources, where: str, errors: list[FieldError]) -> list[dict[str, Any]]:
    assert rule.each is not None
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    if not items and rule.required:
        raise _FieldFailed(f"required, but {_describe_source(rule)} resolved to nothing")
    records: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            errors.append(FieldError(f"{where}[{index}]", "expected an object"))
            continue
        scoped = Sources(item=item, root=sources.root, context=sources.context)
        records.append(_record(rule.each, VARIANT_TARGETS, scoped, f"{where}[{index}].", errors))
    return records


def _describe_source(rule: Rule) -> str:
    if not rule.source:
        return "the rule"
    return " + ".join(f"'{path}'" for path in rule.source)
