"""Keyset cursors round-trip, and anything else is a client error naming `cursor`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from control_plane.domain.errors import InvalidRequest
from control_plane.domain.pagination import Keyset, decode_cursor, encode_cursor


def test_cursor_round_trips() -> None:
    position = Keyset(datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC), uuid.UUID(int=42))
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize("bad", ["", "x", "!!!!", "bm90IGpzb24", "WzEsMl0", "WyIyMDI2LTAxLTAxIiwgIm5vdC1hLXV1aWQiXQ"])
def test_foreign_cursors_are_rejected_with_the_field_named(bad: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        decode_cursor(bad)
    assert info.value.field == "cursor"
