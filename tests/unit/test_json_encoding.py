"""The engine's JSON encoder writes what the standard library would have written after ``jsonable``."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from control_plane.db.engine import encode_json
from control_plane.domain.mapping import jsonable

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, derandomize=True)
@given(_VALUES)
def test_encoded_values_read_back_as_jsonable_would_write_them(value: Any) -> None:
    assert json.loads(encode_json(value)) == json.loads(json.dumps(jsonable(value)))


def test_decimals_keep_their_digits() -> None:
    variant = {"price": Decimal("19.90"), "grams": 250, "options": {"size": "M"}}
    assert json.loads(encode_json([variant])) == [{"price": "19.90", "grams": 250, "options": {"size": "M"}}]


def test_non_ascii_text_round_trips() -> None:
    assert json.loads(encode_json({"title": 'Café ☕ \u2028 "quoted"'})) == {"title": 'Café ☕ \u2028 "quoted"'}
