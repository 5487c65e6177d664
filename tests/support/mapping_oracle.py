"""The mapping interpreter, kept only as the test oracle of the compiled mapping.

Imports and previews run :func:`control_plane.domain.mapping.compile_rules`.
This module interprets a rule set directly (scope lookups, path walks,
registry lookups per field and product), the plain reading of the rules, and
the property tests hold the compiled mapping to it: same values, same errors in
the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from control_plane.domain.mapping.errors import FieldError
from control_plane.domain.mapping.paths import Sources, resolve
from control_plane.domain.mapping.results import MappedProduct, MappingErrors
from control_plane.domain.mapping.rules import Rule, RuleSet
from control_plane.domain.mapping.targets import PRODUCT_TARGETS, VARIANT_TARGETS, Target, coerce, is_empty
from control_plane.domain.mapping.transforms import TransformFailed, run


class _FieldFailed(Exception):
    pass


def interpret(rules: RuleSet, payload: Any, context: Mapping[str, Any] | None = None) -> MappedProduct | MappingErrors:
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
