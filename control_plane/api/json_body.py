"""A JSON body is checked before any of our code sees it: media type, UTF-8, nesting depth, NUL.

Litestar decodes a handler's ``data`` with ``Request.json()``; :class:`CheckedRequest`
(the app's ``request_class``) wraps it so every JSON body passes the same gate:

- a ``Content-Type`` other than ``application/json`` (charset, if given, UTF-8) is a 415;
- bytes that are not UTF-8 are a 400 (msgspec raises ``UnicodeDecodeError``, which
  Litestar would let through as a 500);
- nesting deeper than ``ICP_API_MAX_JSON_DEPTH`` is a 400 naming the field, found
  by scanning the bytes *before* decoding (the decoder itself would hit Python's
  recursion limit near 1,000 levels);
- a NUL character in any key or string is a 422 naming the field (PostgreSQL cannot
  store it; the rule is :mod:`control_plane.domain.stored_text`);
- a value of another JSON type than the schema declares is a 400 naming the field:
  Litestar converts bodies leniently (``0`` would pass as ``false``, ``"5"`` as ``5``),
  so the body is first converted strictly against the handler's declared type.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request

from control_plane.api.problems import MALFORMED, Problem
from control_plane.domain.errors import InvalidRequest
from control_plane.domain.stored_text import PathPart, json_path, nul_path
from control_plane.settings import Settings

JSON_MEDIA_TYPE = "application/json"
_NUL_ESCAPE = b"\\u0000"
"""A decoded string can hold NUL only through this escape (raw control bytes are invalid JSON)."""
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}:,]', re.DOTALL)
"""Strings (skipped whole, so brackets inside them do not count) and the structural characters."""
_SHOWN_PARTS = 6
"""A too-deep path is named by its first parts; the rest are the same brackets over and over."""


class CheckedRequest(Request[Any, Any, Any]):
    """Litestar's request, whose JSON body is refused as a problem document unless it passes the gate above."""

    async def json(self) -> Any:
        require_json_media_type(self.content_type)
        body = await self.body()
        settings: Settings = self.app.state.settings
        refuse_deep_nesting(body, settings.api.max_json_depth)
        try:
            value = await super().json()
        except UnicodeDecodeError as exc:
            raise _body_problem(f"the request body is not valid UTF-8 (byte {exc.start})") from exc
        except RecursionError as exc:  # the scan above makes this unreachable; a 400, never a 500, regardless
            raise _body_problem("the request body is nested too deep to decode") from exc
        if _NUL_ESCAPE in body and (field := nul_path(value)) is not None:
            raise InvalidRequest(f"{field} contains a NUL character, which cannot be stored", field=field)
        if (declared := self.route_handler.parsed_data_field) is not None:
            refuse_loose_types(value, declared.annotation)
        return value


def require_json_media_type(content_type: tuple[str, dict[str, str]]) -> None:
    """415 unless the body is declared ``application/json`` (in UTF-8, if a charset is named)."""
    media_type, options = content_type
    charset = options.get("charset", "utf-8").lower()
    if media_type.lower() == JSON_MEDIA_TYPE and charset in ("utf-8", "utf8"):
        return
    declared = f"{media_type}; charset={options['charset']}" if "charset" in options else media_type
    detail = f"the body must be sent as {JSON_MEDIA_TYPE} (UTF-8), not {declared or 'without a Content-Type'}"
    raise Problem(
        415,
        code="unsupported_media_type",
        detail=detail,
        field_errors=[{"field": "Content-Type", "message": detail, "source": "header"}],
    )


def refuse_deep_nesting(body: bytes, limit: int) -> None:
    """400 naming the field whose value nests more than ``limit`` arrays or objects deep."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return  # too few brackets to nest that deep: no scan
    if (parts := too_deep_at(body, limit)) is not None:
        field = json_path(parts[:_SHOWN_PARTS])
        shown = field + ("…" if len(parts) > _SHOWN_PARTS else "")
        raise _body_problem(f"{shown} is nested more than {limit} levels deep", field=field)


def too_deep_at(body: bytes, limit: int) -> tuple[PathPart, ...] | None:
    """The path to the first container ``limit`` levels down, or None; malformed JSON is left to the decoder."""
    path: list[PathPart] = []  # one entry per open container: its current key or index
    last_string = ""
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"{", b"["):
            if len(path) >= limit:
                return tuple(path)
            path.append(0 if token == b"[" else "")
        elif token in (b"}", b"]"):
            if path:
                path.pop()
        elif token == b":" and path:
            path[-1] = last_string
        elif token == b"," and path and isinstance(path[-1], int):
            path[-1] += 1
        elif token.startswith(b'"'):
            last_string = token[1:-1].decode("utf-8", "replace")
    return None


_AT_PATH = re.compile(r" - at `\$\.?(?P<field>[^`]*)`$")


def refuse_loose_types(value: Any, declared: Any) -> None:
    """400 naming the field unless ``value`` converts to ``declared`` without coercing one JSON type to another.

    JSON Schema counts ``6.0`` as an integer; msgspec's strict mode does not, so such numbers are ints here.
    """
    try:
        msgspec.convert(_integral_as_int(value), declared, strict=True, str_keys=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = _AT_PATH.search(message)
        field = (found.group("field") or "body") if found else "body"
        raise _body_problem(message, field=field) from exc


def _integral_as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_as_int(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral_as_int(item) for key, item in value.items()}
    return value


def _body_problem(detail: str, *, field: str = "body") -> Problem:
    return Problem(MALFORMED, code="malformed_body", detail=detail, field_errors=[{"field": field, "message": detail}])
