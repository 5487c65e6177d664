"""Opaque keyset cursors for listing endpoints.

A cursor encodes the sort key of the last row a client saw, so pages stay
stable while new jobs arrive (offsets would skip or repeat rows).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from control_plane.domain.errors import InvalidRequest


@dataclass(frozen=True)
class Keyset:
    """Position after which the next page starts (newest first)."""

    created_at: datetime
    id: uuid.UUID


def encode_cursor(position: Keyset) -> str:
    raw = json.dumps([position.created_at.isoformat(), str(position.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Keyset:
    """Parse a cursor produced by :func:`encode_cursor`; anything else is the client's mistake."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(created_at, str) or not isinstance(row_id, str):
            raise TypeError("a cursor holds two strings")
        position = Keyset(datetime.fromisoformat(created_at), uuid.UUID(row_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidRequest("cursor is not one this API issued", field="cursor") from exc
    if position.created_at.tzinfo is None:
        raise InvalidRequest("cursor is not one this API issued", field="cursor")
    return position
