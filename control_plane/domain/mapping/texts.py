"""Text and list readers behind the transforms: HTML to text, comma lists, lookups.

Each raises ``ValueError`` with a vendor-readable message on a value it cannot
read; the mapping engine turns that into a per-field error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from typing import Any

from control_plane.domain.mapping.quantities import describe

_BLOCK_TAGS = frozenset(
    {"address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "footer", "h1", "h2", "h3"}
    | {"h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"}
)
_HIDDEN_TAGS = frozenset({"script", "style", "template", "head", "title"})


class _TextCollector(HTMLParser):
    """Keeps text nodes, turns block boundaries into spaces, drops scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def require_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {describe(value)}")
    return value


def html_to_text(value: Any) -> str:
    """Visible text of an HTML fragment, entities decoded, whitespace collapsed."""
    text = require_text(value)
    simple = _simple_html_text(text)
    return simple if simple is not None else parsed_html_text(text)


def parsed_html_text(text: str) -> str:
    """``html_to_text`` through the full HTML parser: any markup at all."""
    collector = _TextCollector()
    collector.feed(text)
    collector.close()
    return " ".join("".join(collector.parts).split())


# A tag the parser would read the same way: a plain name, quoted attribute values without < or >.
_PLAIN_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'))?)*)\s*(/?)>"
)
_PLAIN_TAGS = _BLOCK_TAGS | {"a", "abbr", "b", "cite", "code", "del", "em", "font", "i", "img", "ins", "mark", "q"}
_PLAIN_TAGS |= {"s", "small", "span", "strike", "strong", "sub", "sup", "u"}


def _simple_html_text(text: str) -> str | None:
    """The same result as the parser for the common case — text, entities and plain tags — without it.

    None as soon as anything else appears (comments, scripts, hidden or unknown
    tags, a stray ``<``): the parser decides those.  A property test holds the
    two together.
    """
    parts: list[str] = []
    position = 0
    for tag in _PLAIN_TAG.finditer(text):
        data = text[position : tag.start()]
        closing, name, attributes, self_closing = tag.groups()
        name = name.lower()
        if "<" in data or name not in _PLAIN_TAGS or (closing and (attributes or self_closing)):
            return None
        parts.append(unescape(data))
        if name in _BLOCK_TAGS:
            parts.append(" ")
        position = tag.end()
    rest = text[position:]
    if "<" in rest:
        return None
    parts.append(unescape(rest))
    return " ".join("".join(parts).split())


def comma_list(value: Any) -> list[str]:
    """'a, b,,c' → ['a', 'b', 'c']; a list has each of its strings split the same way."""
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        found.extend(part.strip() for part in require_text(item).split(",") if part.strip())
    return found


def first(value: Any) -> Any:
    """The first non-null element of a list; any other value as it is."""
    if isinstance(value, list):
        return next((item for item in value if item is not None), None)
    return value


def join(value: Any, sep: str) -> Any:
    """Elements of a list as one string (nulls skipped); a string stays as it is."""
    if not isinstance(value, list):
        return value
    for item in value:
        if isinstance(item, list | dict):
            raise ValueError(f"cannot join {describe(item)}")
    return sep.join(lookup_key(item) for item in value if item is not None)


def lookup_key(value: Any) -> str:
    """How a value is looked up in a `map_values` mapping (JSON spelling of scalars)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    raise ValueError(f"cannot look up {describe(value)}")


def map_values(value: Any, mapping: Mapping[str, Any], *, has_fallback: bool, fallback: Any) -> Any:
    key = lookup_key(value)
    if key in mapping:
        return mapping[key]
    return fallback if has_fallback else value


def zip_dict(value: Any, keys: Sequence[str] | None) -> dict[str, Any]:
    """Pairs names with values: with ``keys`` the value is the values; otherwise it is [names, value1, value2, …]."""
    if not isinstance(value, list):
        value = [value]
    if keys is None:
        if not value or not isinstance(value[0], list):
            raise ValueError("expected [names, value1, value2, …]: the first element must be a list of names")
        keys, value = [str(name) for name in value[0]], value[1:]
    return {str(key): item for key, item in zip(keys, value, strict=False) if item is not None and item != ""}


def as_option(value: Any, name: str) -> list[dict[str, Any]]:
    """Distinct values as one product option: [{'name': name, 'values': [...]}], or [] when there are none."""
    items = value if isinstance(value, list) else [value]
    values: list[str] = []
    for item in items:
        if item is None or item == "":
            continue
        text = lookup_key(item)
        if text not in values:
            values.append(text)
    return [{"name": name, "values": values}] if values else []
