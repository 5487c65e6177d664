"""Provider page cursors: read from untrusted responses, persisted as the job's checkpoint, sent back.

A cursor is opaque, but it is stored and replayed, so what a provider hands
us is checked here: the next cursor must be a short printable string, and a
``pageInfo`` that is not the documented shape breaks the provider's contract
(:class:`PermanentProviderError`), instead of turning into a garbage
checkpoint or an error deep inside a job.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from control_plane.integrations.providers.base import PermanentProviderError

MAX_CURSOR_CHARS = 1024
"""Shopify's cursors are under 200 characters; anything far longer is not a cursor."""
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL_NEXT = re.compile(r"""\brel\s*=\s*"?([^";]*)"?""")


class CursorError(PermanentProviderError):
    """A provider sent a page cursor or page info we cannot use."""


def checked_cursor(raw: Any, provider: str) -> str:
    """``raw`` if it is a usable cursor: a non-empty, printable string of bounded length."""
    if not isinstance(raw, str) or not raw:
        raise CursorError(f"{provider}: the next-page cursor is not a non-empty string")
    if len(raw) > MAX_CURSOR_CHARS:
        raise CursorError(f"{provider}: the next-page cursor is longer than {MAX_CURSOR_CHARS} characters")
    if not raw.isprintable():
        raise CursorError(f"{provider}: the next-page cursor contains control characters")
    return raw


def next_cursor(page_info: Any, prefix: str, provider: str) -> str | None:
    """The prefixed cursor of the next page from a GraphQL-style ``pageInfo``; None on the last page."""
    if page_info is None:
        return None
    if not isinstance(page_info, dict):
        raise CursorError(f"{provider}: pageInfo is not an object")
    has_next = page_info.get("hasNextPage", False)
    if not isinstance(has_next, bool):
        raise CursorError(f"{provider}: pageInfo.hasNextPage is not a boolean")
    if not has_next:
        return None
    return prefix + checked_cursor(page_info.get("endCursor"), provider)


def resume_from(cursor: str | None, prefix: str) -> str | None:
    """The provider's own cursor inside a checkpoint cursor we issued (``prefix`` + cursor); None otherwise."""
    if cursor and cursor.startswith(prefix) and len(cursor) > len(prefix):
        return cursor.removeprefix(prefix)
    return None


def next_page_info(link_header: str | None, provider: str) -> str | None:
    """``page_info`` of the ``rel="next"`` URL in a Shopify REST ``Link`` header; None when there is none."""
    for url, params in _LINK.findall(link_header or ""):
        rels = {rel for match in _REL_NEXT.findall(params) for rel in match.split()}
        if "next" not in rels:
            continue
        values = parse_qs(urlsplit(url).query).get("page_info")
        if not values:
            raise CursorError(f"{provider}: the Link header's next URL has no page_info")
        return checked_cursor(values[0], provider)
    return None
