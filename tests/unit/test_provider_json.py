"""Provider bodies decode to what the standard library would give, and nesting past the limit is refused."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from control_plane.integrations.providers.base import PermanentProviderError
from control_plane.integrations.providers.transport import MAX_JSON_DEPTH, _nested_deeper_than, json_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=30,
)


def _response(content: bytes) -> httpx.Response:
    return httpx.Response(200, content=content, headers={"content-type": "application/json"})


def _reference_depth(value: Any) -> int:
    """Containers on the deepest path (recursive, for small test values only)."""
    if isinstance(value, dict):
        return 1 + max((_reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_reference_depth(v) for v in value), default=0)
    return 0


@given(json_values)
def test_a_body_decodes_to_the_standard_librarys_value(value: Any) -> None:
    raw = json.dumps(value).encode()
    assert json_body(_response(raw), "p") == json.loads(raw)


@given(json_values, st.integers(min_value=1, max_value=6))
def test_depth_check_agrees_with_a_recursive_count(value: Any, limit: int) -> None:
    assert _nested_deeper_than(value, limit) is (_reference_depth(value) > limit)


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_nesting_up_to_the_limit_is_accepted_and_one_more_level_refused(opening: bytes) -> None:
    def nested(depth: int) -> bytes:
        closing = b"]" if opening == b"[" else b"}"
        return opening * depth + b"1" + closing * depth

    assert json_body(_response(nested(MAX_JSON_DEPTH)), "p") is not None
    with pytest.raises(PermanentProviderError, match="nested deeper than 64"):
        json_body(_response(nested(MAX_JSON_DEPTH + 1)), "p")
    with pytest.raises(PermanentProviderError, match="nested deeper than 64"):
        json_body(_response(nested(100_000)), "p")  # past every decoder's recursion limit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"[NaN, 1e400]", [float("nan"), float("inf")]),  # refused by msgspec, accepted by the standard library
        ('{"t": "caf\u00e9"}'.encode("utf-16"), {"t": "caf\u00e9"}),
        (b"[123456789012345678901234567890]", [123456789012345678901234567890]),
    ],
)
def test_what_the_fast_decoder_refuses_is_decoded_as_before(raw: bytes, expected: Any) -> None:
    assert repr(json_body(_response(raw), "p")) == repr(expected)


@pytest.mark.parametrize("raw", [b"<html>502</html>", b"[1,]", b"\xff\xfe\x00"])
def test_what_is_not_json_fails_the_call(raw: bytes) -> None:
    with pytest.raises(PermanentProviderError, match="not JSON"):
        json_body(_response(raw), "p")
