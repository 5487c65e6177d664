"""Text PostgreSQL can store: no NUL character, in any string a request hands us.

PostgreSQL refuses U+0000 in ``text`` and ``jsonb``, so a NUL that got this far
would fail the write with a database error. The edge asks here first and
refuses the request with a 422 naming the field.
"""

from __future__ import annotations

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
    """The path of a key or string holding a NUL, or None (iterative: no recursion on deep values).

    Strings are checked where they sit; only containers wait on the stack with their path.
    """
    pending: list[tuple[tuple[PathPart, ...], Any]] = [((), value)]
    while pending:
        parts, item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return json_path(parts)
            continue
        children = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in children:
            if isinstance(key, str) and NUL in key:
                return json_path((*parts, printable(key)))
            if isinstance(child, str):
                if NUL in child:
                    return json_path((*parts, key))
            elif isinstance(child, dict | list):
                pending.append(((*parts, key), child))
    return None


def printable(text: str) -> str:
    """``text`` with NUL shown as its JSON escape, so a field name can be echoed back."""
    return text.replace(NUL, "\\u0000")
