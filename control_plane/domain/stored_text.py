"""Text PostgreSQL can store: no NUL character, in any string a request hands us.

PostgreSQL refuses U+0000 in ``text`` and ``jsonb``, so a NUL that got this far
would fail the write with a database error. The edge asks here first and
refuses the request with a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

NUL = "\x00"
PathPart = str | int


def json_path(parts: tuple[PathPart, ...]) -> str:
    """``rules[0].default``: keys joined by dots, indices in brackets; ``body`` is the whole (``body[0]``)."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text if text and not text.startswith("[") else f"body{text}"


def nul_path(value: Any) -> str | None:
    """The path of the first key or string holding a NUL, or None (iterative: no recursion on deep values)."""
    for parts, text in _strings(value):
        if NUL in text:
            return json_path(parts)
    return None


def _strings(value: Any) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """Every string in a decoded JSON value with its path; a key is reported at the path it names."""
    pending: list[tuple[tuple[PathPart, ...], Any]] = [((), value)]
    while pending:
        parts, item = pending.pop()
        if isinstance(item, str):
            yield parts, item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield (*parts, printable(str(key))), str(key)
                pending.append(((*parts, printable(str(key))), child))
        elif isinstance(item, list):
            pending.extend(((*parts, index), child) for index, child in enumerate(item))


def printable(text: str) -> str:
    """``text`` with NUL shown as its JSON escape, so a field name can be echoed back."""
    return text.replace(NUL, "\\u0000")
