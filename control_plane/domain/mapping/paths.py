"""Source paths: where in a provider payload a rule reads its value.

    path  := [ "$context." | "$root." ] step ( "." step )*
    step  := name ( "[" ( integer | "*" ) "]" )*
    name  := a letter or "_", then letters, digits or "_"

A path is read from the record being mapped (the product, or one variant
inside ``each``); ``$root.`` reads from the whole product and ``$context.``
from the integration's context (e.g. its currency).  A negative index counts
from the end.  ``[*]`` fans out over a list and makes the result a list
(nested fan-outs are flattened, missing values dropped).  Anything missing
resolves to None rather than failing: whether that matters is the rule's call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, cast

MAX_PATH_LENGTH = 200
MAX_PATH_STEPS = 12

_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:-?\d{1,6}|\*)\])*)")
_INDEX = re.compile(r"\[(-?\d+|\*)\]")


class PathError(ValueError):
    """The text is not a path of the grammar above."""


class Fan(Enum):
    """The ``[*]`` accessor."""

    ALL = "*"


Accessor = str | int | Fan


class Scope(StrEnum):
    ITEM = "item"
    ROOT = "$root"
    CONTEXT = "$context"


@dataclass(frozen=True)
class Path:
    text: str
    scope: Scope
    accessors: tuple[Accessor, ...]

    @property
    def fans_out(self) -> bool:
        return Fan.ALL in self.accessors

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Sources:
    """What paths can read: the record being mapped, the whole product, the context."""

    item: Any
    root: Any
    context: Mapping[str, Any]


def parse_path(text: str) -> Path:
    if not text or len(text) > MAX_PATH_LENGTH:
        raise PathError(f"a path has 1 to {MAX_PATH_LENGTH} characters")
    scope, body = Scope.ITEM, text
    if text.startswith("$"):
        head, dot, body = text.partition(".")
        known = {s.value: s for s in Scope if s is not Scope.ITEM}
        if head not in known or not dot:
            raise PathError(f"malformed path {text!r}: it may start with $root. or $context. only")
        scope = known[head]
    accessors: list[Accessor] = []
    for step in body.split("."):
        match = _NAME.fullmatch(step)
        if match is None:
            where = f" at {step!r}" if step != text else ""
            raise PathError(f"malformed path {text!r}{where}")
        accessors.append(match.group(1))
        accessors.extend(Fan.ALL if index == "*" else int(index) for index in _INDEX.findall(match.group(2)))
    if len(accessors) > MAX_PATH_STEPS:
        raise PathError(f"path {text!r} is deeper than {MAX_PATH_STEPS} steps")
    return Path(text, scope, tuple(accessors))


def resolve(path: Path, sources: Sources) -> Any:
    """The value at ``path``: None when missing; a list (possibly empty) when the path fans out."""
    start = {Scope.ITEM: sources.item, Scope.ROOT: sources.root, Scope.CONTEXT: sources.context}[path.scope]
    current: list[Any] = [start]
    for accessor in path.accessors:
        current = [found for value in current for found in _step(value, accessor)]
    if path.fans_out:
        return [value for value in current if value is not None]
    return current[0] if current else None


def _step(value: Any, accessor: Accessor) -> Sequence[Any]:
    if isinstance(accessor, str):
        return [value[accessor]] if isinstance(value, Mapping) and accessor in value else []
    if not isinstance(value, list):
        return []
    if accessor is Fan.ALL:
        return value
    return [value[accessor]] if -len(value) <= accessor < len(value) else []


def compile_reader(path: Path) -> Callable[[Any, Any, Any], Any]:
    """``resolve(path, …)`` as a function of (item, root, context), its scope and accessors decided once."""
    source = _SOURCE_INDEX[path.scope]
    if path.fans_out:
        return _compile_fan(source, path.accessors)
    steps = cast(tuple[str | int, ...], path.accessors)
    if source == 0 and len(steps) == 1 and isinstance(steps[0], str):
        return _compile_key(steps[0])
    return _compile_walk(source, steps)


_SOURCE_INDEX = {Scope.ITEM: 0, Scope.ROOT: 1, Scope.CONTEXT: 2}


def _compile_key(key: str) -> Callable[[Any, Any, Any], Any]:
    """The commonest path: one field of the record being mapped."""

    def read(item: Any, root: Any, context: Any) -> Any:
        if item.__class__ is dict:
            return item.get(key)
        return item[key] if isinstance(item, Mapping) and key in item else None

    return read


def _compile_walk(source: int, steps: tuple[str | int, ...]) -> Callable[[Any, Any, Any], Any]:
    """A path without ``[*]``: at most one value, None as soon as a step finds nothing."""

    def read(item: Any, root: Any, context: Any) -> Any:
        value = (item, root, context)[source]
        for accessor in steps:
            if isinstance(accessor, str):
                if value.__class__ is dict:
                    value = value.get(accessor)
                elif isinstance(value, Mapping) and accessor in value:
                    value = value[accessor]
                else:
                    return None
            elif isinstance(value, list) and -len(value) <= accessor < len(value):
                value = value[accessor]
            else:
                return None
        return value

    return read


def _compile_fan(source: int, accessors: tuple[Accessor, ...]) -> Callable[[Any, Any, Any], list[Any]]:
    """A path with ``[*]``: every value found, nulls dropped."""

    def read(item: Any, root: Any, context: Any) -> list[Any]:
        current: list[Any] = [(item, root, context)[source]]
        for accessor in accessors:
            current = [found for value in current for found in _step(value, accessor)]
        return [value for value in current if value is not None]

    return read
