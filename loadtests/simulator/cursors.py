"""Opaque pagination cursors, tamper-evident and stable across simulator restarts.

A cursor is base64url JSON plus a short digest keyed by the simulator's seed, like the
providers' own opaque tokens: clients must treat them as black boxes, and an
import that checkpointed one can resume after the simulator restarts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

_DIGEST_CHARS = 12


class InvalidCursor(ValueError):
    """The cursor was not issued by this simulator (or for this kind of listing)."""


def _digest(seed: int, payload: bytes) -> str:
    return hashlib.sha256(f"{seed}:".encode() + payload).hexdigest()[:_DIGEST_CHARS]


def encode(seed: int, kind: str, fields: dict[str, Any]) -> str:
    payload = json.dumps({"k": kind, **fields}, separators=(",", ":"), sort_keys=True).encode()
    token = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{token}.{_digest(seed, payload)}"


def decode(seed: int, kind: str, cursor: str) -> dict[str, Any]:
    """The fields of a cursor of ``kind``; InvalidCursor for anything else."""
    token, _, digest = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("cursor is not valid base64") from exc
    if not digest or digest != _digest(seed, payload):
        raise InvalidCursor("cursor was not issued by this server")
    fields = json.loads(payload)
    if not isinstance(fields, dict) or fields.pop("k", None) != kind:
        raise InvalidCursor("cursor belongs to another listing")
    return fields


def index_field(fields: dict[str, Any], name: str) -> int:
    """A non-negative integer field of a decoded cursor."""
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidCursor(f"cursor field {name} is invalid")
    return value
