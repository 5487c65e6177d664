"""A rule set compiled once into plain closures: the one implementation of mapping.

Imports and mapping previews both run it.  Interpreting a rule set would, for
every field of every product, look up the scope, walk path accessors through
generic lists, find each transform in the registry and dispatch on the
target's kind.  None of that depends on the product, so :func:`compile_rules`
decides it once per job (or preview) and leaves, per field, one reader, the
transforms' functions and one kind-specific coercion.  The tests keep a plain
interpreter as an oracle and hold the two to the same values and the same
errors in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from control_plane.domain.mapping.errors import FieldError
from control_plane.domain.mapping.paths import compile_reader
from control_plane.domain.mapping.results import MappedProduct, MappingErrors
from control_plane.domain.mapping.rules import Rule, RuleSet
from control_plane.domain.mapping.targets import PRODUCT_TARGETS, VARIANT_TARGETS, Kind, Target, coercer
from control_plane.domain.mapping.transforms import REGISTRY, Step

Reader = Callable[[Any, Any, Any], Any]
"""(item, root, context) → the value a rule reads."""
Errors = list[FieldError]
Field = Callable[[Any, Any, Any, str, Errors], Any]
"""(item, root, context, prefix, errors) → the target's value; raises :class:`_FieldFailed`."""
Record = Callable[[Any, Any, Any, str, Errors], dict[str, Any]]

_MUTABLE_EMPTY: dict[Kind, type] = {Kind.TEXT_LIST: list, Kind.OBJECT_LIST: list, Kind.RECORDS: list, Kind.OBJECT: dict}


class _FieldFailed(Exception):
    pass


_SIZED = (str, list, dict)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, _SIZED) and len(value) == 0)


@dataclass(frozen=True)
class CompiledMapping:
    """A rule set ready to map many payloads: ``mapping(payload, context)``."""

    rules: RuleSet
    _record: Record

    def __call__(self, payload: Any, context: Mapping[str, Any] | None = None) -> MappedProduct | MappingErrors:
        if not isinstance(payload, Mapping):
            return MappingErrors((FieldError("$", "the provider payload is not an object"),))
        errors: Errors = []
        values = self._record(payload, payload, context or {}, "", errors)
        if errors:
            return MappingErrors(tuple(errors))
        return MappedProduct(**values)


def compile_rules(rules: RuleSet) -> CompiledMapping:
    """Compile ``rules`` (already validated) for repeated use."""
    return CompiledMapping(rules, _compile_record(rules.rules, PRODUCT_TARGETS))


def _compile_record(rules: tuple[Rule, ...], targets: Mapping[str, Target]) -> Record:
    """One record (the product, or a variant): every target, mapped or empty, then the mandatory check."""
    template: dict[str, Any] = dict.fromkeys(targets)
    mutables = tuple((name, _MUTABLE_EMPTY[t.kind]) for name, t in targets.items() if t.kind in _MUTABLE_EMPTY)
    fields = tuple((rule.target.name, _compile_field(rule)) for rule in rules)
    mandatory = tuple(name for name, target in targets.items() if target.mandatory)

    def record(item: Any, root: Any, context: Any, prefix: str, errors: Errors) -> dict[str, Any]:
        values = template.copy()
        for name, empty in mutables:
            values[name] = empty()
        for name, field in fields:
            try:
                values[name] = field(item, root, context, prefix, errors)
            except _FieldFailed as exc:
                errors.append(FieldError(f"{prefix}{name}", str(exc)))
        for name in mandatory:
            if _is_empty(values[name]) and not any(e.field == f"{prefix}{name}" for e in errors):
                errors.append(FieldError(f"{prefix}{name}", "required, but no rule produced a value"))
        return values

    return record


def _compile_field(rule: Rule) -> Field:
    """Read, transform, then the default, the required check, or the value coerced to the target's kind."""
    read = _compile_read(rule)
    if rule.each is not None:
        return _compile_each(rule, read)
    steps = tuple(_compile_step(step) for step in rule.transforms)
    when_empty, coerce = _compile_empty(rule), coercer(rule.target)
    keep_empty = rule.keep_empty

    def field(item: Any, root: Any, context: Any, prefix: str, errors: Errors) -> Any:
        value = read(item, root, context)
        for step in steps:
            value = step(value)
        if keep_empty and value == "":
            return ""
        if value is None or (isinstance(value, _SIZED) and len(value) == 0):
            return when_empty()
        try:
            return coerce(value)
        except (ValueError, ArithmeticError) as exc:
            raise _FieldFailed(str(exc)) from exc

    return field


def _compile_empty(rule: Rule) -> Callable[[], Any]:
    """What a field is when it resolved to nothing: its default, a failure if required, or the empty value."""
    target, fallback = rule.target, rule.fallback
    missing = f"required, but {_describe_source(rule)} resolved to nothing"
    fails = rule.required or target.mandatory

    def when_empty() -> Any:
        if fallback is not None:
            return fallback
        if fails:
            raise _FieldFailed(missing)
        return target.empty()

    return when_empty


def _compile_read(rule: Rule) -> Reader:
    if not rule.source:
        return lambda item, root, context: None
    readers = tuple(compile_reader(path) for path in rule.source)
    if rule.combined:
        return lambda item, root, context: [read(item, root, context) for read in readers]
    return readers[0]


def _compile_step(step: Step) -> Callable[[Any], Any]:
    """One transform with its arguments bound; a bad value fails the field with the transform's name."""
    spec, args, name = REGISTRY[step.name], step.args, step.name
    run, per_item = spec.run, spec.per_item

    def transform(value: Any) -> Any:
        if value is None:
            return None
        try:
            if per_item and isinstance(value, list):
                return [run(item, args) for item in value if item is not None]
            return run(value, args)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise _FieldFailed(f"{name}: {exc}") from exc

    return transform


def _compile_each(rule: Rule, read: Reader) -> Field:
    """Nested rules over a list: one record per element, each element's errors named by its index."""
    assert rule.each is not None
    nested = _compile_record(rule.each, VARIANT_TARGETS)
    name, required = rule.target.name, rule.required
    missing = f"required, but {_describe_source(rule)} resolved to nothing"

    def each(item: Any, root: Any, context: Any, prefix: str, errors: Errors) -> list[dict[str, Any]]:
        raw = read(item, root, context)
        items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
        if not items and required:
            raise _FieldFailed(missing)
        where = f"{prefix}{name}"
        records: list[dict[str, Any]] = []
        for index, element in enumerate(items):
            if not isinstance(element, Mapping):
                errors.append(FieldError(f"{where}[{index}]", "expected an object"))
                continue
            records.append(nested(element, root, context, f"{where}[{index}].", errors))
        return records

    return each


def _describe_source(rule: Rule) -> str:
    if not rule.source:
        return "the rule"
    return " + ".join(f"'{path}'" for path in rule.source)
