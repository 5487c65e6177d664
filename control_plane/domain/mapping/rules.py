"""Rules as written (JSON) → a validated :class:`RuleSet`, or every problem named by its place.

Validation happens when a mapping is saved or previewed, never while an
import runs: a saved rule set only fails on data, not on its own shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from control_plane.domain.mapping.errors import FieldError, InvalidMapping
from control_plane.domain.mapping.paths import Path, PathError, parse_path
from control_plane.domain.mapping.targets import PRODUCT_TARGETS, VARIANT_TARGETS, Kind, Target, coerce
from control_plane.domain.mapping.transforms import REGISTRY, Step, check_args

MAX_RULES = 100
MAX_TRANSFORMS = 20
MAX_SOURCES = 10
RULE_KEYS = ("target", "source", "transforms", "default", "required", "each", "keep_empty")


@dataclass(frozen=True)
class Rule:
    target: Target
    source: tuple[Path, ...]
    """Empty for a constant rule (default only)."""
    combined: bool
    """The source was written as a list: the value is the list of each path's value."""
    transforms: tuple[Step, ...]
    default: Any
    """As written; ``fallback`` is the same value coerced to the target's kind."""
    fallback: Any
    required: bool
    each: tuple[Rule, ...] | None
    keep_empty: bool = False
    """An empty string stays ``""``; by default it is stored as NULL, like a missing value."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target.name}
        if self.source:
            out["source"] = [path.text for path in self.source] if self.combined else self.source[0].text
        if self.transforms:
            out["transforms"] = [step.to_json() for step in self.transforms]
        if self.default is not None:
            out["default"] = self.default
        if self.required:
            out["required"] = True
        if self.each is not None:
            out["each"] = [rule.to_json() for rule in self.each]
        if self.keep_empty:
            out["keep_empty"] = True
        return out


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]

    def to_json(self) -> list[dict[str, Any]]:
        """The canonical spelling, as stored and as the API returns it."""
        return [rule.to_json() for rule in self.rules]


def parse_rules(raw: Any) -> RuleSet:
    """Validate rules as written; raise :class:`InvalidMapping` naming every bad rule."""
    problems: list[FieldError] = []
    rules = _rule_list(raw, PRODUCT_TARGETS, "rules", problems)
    if problems:
        raise InvalidMapping(problems)
    return RuleSet(rules)


def _rule_list(raw: Any, targets: Mapping[str, Target], at: str, problems: list[FieldError]) -> tuple[Rule, ...]:
    if not isinstance(raw, list | tuple):
        problems.append(FieldError(at, "must be a list of rules"))
        return ()
    if len(raw) > MAX_RULES:
        problems.append(FieldError(at, f"at most {MAX_RULES} rules, got {len(raw)}"))
        return ()
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for index, item in enumerate(raw):
        where = f"{at}[{index}]"
        rule = _rule(item, targets, where, problems)
        if rule is None:
            continue
        name = rule.target.name
        if name in seen:
            message = f"duplicate target {name!r} (already mapped by {seen[name]})"
            problems.append(FieldError(f"{where}.target", message))
        seen.setdefault(name, where)
        rules.append(rule)
    named = {item.get("target") for item in raw if isinstance(item, dict)}
    for target in targets.values():
        if target.mandatory and target.name not in named:
            problems.append(FieldError(at, f"no rule for required target {target.name!r}"))
    return tuple(rules)


def _rule(item: Any, targets: Mapping[str, Target], where: str, problems: list[FieldError]) -> Rule | None:
    if not isinstance(item, dict):
        problems.append(FieldError(where, "must be an object"))
        return None
    before = len(problems)
    for key in item:
        if key not in RULE_KEYS:
            problems.append(FieldError(f"{where}.{key}", f"unknown key {key!r} (allowed: {', '.join(RULE_KEYS)})"))
    target = _target(item.get("target"), targets, where, problems)
    source, combined = _sources(item.get("source"), where, problems)
    steps = _steps(item.get("transforms", []), where, problems)
    required = item.get("required", False)
    if not isinstance(required, bool):
        problems.append(FieldError(f"{where}.required", "must be true or false"))
    if item.get("source") is None and item.get("default") is None:
        problems.append(FieldError(f"{where}.source", "a rule needs a source path, a default, or both"))
    each, fallback = None, None
    keep_empty = _keep_empty(item, target, where, problems)
    if target is not None:
        each = _each(item, target, where, problems)
        fallback = _default(item.get("default"), target, where, problems)
    if target is None or len(problems) > before:
        return None
    return Rule(target, source, combined, steps, item.get("default"), fallback, required, each, keep_empty)


def _keep_empty(item: dict[str, Any], target: Target | None, where: str, problems: list[FieldError]) -> bool:
    """Only an optional text target may keep ``""``: a required one must have a value, other kinds have no ``""``."""
    raw = item.get("keep_empty", False)
    field = f"{where}.keep_empty"
    if not isinstance(raw, bool):
        problems.append(FieldError(field, "must be true or false"))
        return False
    if not raw or target is None:
        return raw
    if target.kind is not Kind.TEXT:
        problems.append(FieldError(field, f"only for text targets; {target.name!r} is {target.kind.value}"))
    elif target.mandatory or item.get("required") is True:
        problems.append(FieldError(field, f"not with a required target ({target.name!r} must have a value)"))
    return raw


def _target(raw: Any, targets: Mapping[str, Target], where: str, problems: list[FieldError]) -> Target | None:
    if isinstance(raw, str) and raw in targets:
        return targets[raw]
    message = f"unknown target {raw!r}" if raw is not None else "missing target"
    problems.append(FieldError(f"{where}.target", f"{message} (one of: {', '.join(targets)})"))
    return None


def _sources(raw: Any, where: str, problems: list[FieldError]) -> tuple[tuple[Path, ...], bool]:
    if raw is None:
        return (), False
    combined = isinstance(raw, list)
    texts: list[Any] = raw if isinstance(raw, list) else [raw]
    if combined and not 0 < len(texts) <= MAX_SOURCES:
        problems.append(FieldError(f"{where}.source", f"a list of 1 to {MAX_SOURCES} paths"))
        return (), combined
    paths: list[Path] = []
    for index, text in enumerate(texts):
        field = f"{where}.source[{index}]" if combined else f"{where}.source"
        if not isinstance(text, str):
            problems.append(FieldError(field, "must be a path (text)"))
            continue
        try:
            paths.append(parse_path(text))
        except PathError as exc:
            problems.append(FieldError(field, str(exc)))
    return tuple(paths), combined


def _steps(raw: Any, where: str, problems: list[FieldError]) -> tuple[Step, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_TRANSFORMS:
        problems.append(FieldError(f"{where}.transforms", f"must be a list of at most {MAX_TRANSFORMS} transforms"))
        return ()
    steps = [_step(entry, f"{where}.transforms[{index}]", problems) for index, entry in enumerate(raw)]
    return tuple(step for step in steps if step is not None)


def _step(entry: Any, field: str, problems: list[FieldError]) -> Step | None:
    name: Any
    args: Any
    if isinstance(entry, str):
        name, args = entry, {}
    elif isinstance(entry, dict):
        for key in entry:
            if key not in ("name", "args"):
                problems.append(FieldError(f"{field}.{key}", f"unknown key {key!r} (allowed: name, args)"))
        name, args = entry.get("name"), entry.get("args", {})
    else:
        problems.append(FieldError(field, "must be a transform name or an object {name, args}"))
        return None
    if not isinstance(name, str) or name not in REGISTRY:
        problems.append(FieldError(field, f"unknown transform {name!r}"))
        return None
    wrong = check_args(name, args)
    for arg, message in wrong:
        problems.append(FieldError(f"{field}.args.{arg}" if arg else f"{field}.args", message))
    return None if wrong else Step(name, dict(args))


def _each(item: dict[str, Any], target: Target, where: str, problems: list[FieldError]) -> tuple[Rule, ...] | None:
    raw = item.get("each")
    if target.kind is not Kind.RECORDS:
        if raw is not None:
            problems.append(FieldError(f"{where}.each", f"target {target.name!r} takes no nested rules"))
        return None
    if raw is None:
        problems.append(FieldError(f"{where}.each", f"target {target.name!r} needs nested rules in 'each'"))
        return None
    if isinstance(item.get("source"), list):
        problems.append(FieldError(f"{where}.source", "must be one path (to the list to map)"))
    if item.get("transforms"):
        problems.append(FieldError(f"{where}.transforms", "not allowed together with 'each'"))
    return _rule_list(raw, VARIANT_TARGETS, f"{where}.each", problems)


def _default(raw: Any, target: Target, where: str, problems: list[FieldError]) -> Any:
    if raw is None:
        return None
    if target.kind is Kind.RECORDS:
        problems.append(FieldError(f"{where}.default", "not allowed together with 'each'"))
        return None
    try:
        return coerce(target, raw)
    except ValueError as exc:
        problems.append(FieldError(f"{where}.default", str(exc)))
        return None
