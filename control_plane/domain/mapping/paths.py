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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

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
