"""Property tests for every cursor parser: what we issue round-trips, anything else is a clear error.

API keyset cursors (``domain.pagination``) fail as :class:`InvalidRequest` on
``cursor``; provider cursors (Link ``page_info``, GraphQL ``pageInfo``) fail
as :class:`CursorError`, a permanent provider error.  Nothing else escapes.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from control_plane.domain.errors import InvalidRequest
from control_plane.domain.pagination import Keyset, decode_cursor, encode_cursor
from control_plane.integrations.providers.cursors import (
    MAX_CURSOR_CHARS,
    CursorError,
    next_cursor,
    next_page_info,
    resume_from,
)

SETTINGS = settings(max_examples=200, derandomize=True, deadline=None)
keysets = st.builds(
    Keyset,
    created_at=st.datetimes(timezones=st.just(UTC)),
    id=st.uuids(),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)
provider_cursors = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=200
)


@SETTINGS
@given(keysets)
def test_api_cursors_round_trip(position: Keyset) -> None:
    assert decode_cursor(encode_cursor(position)) == position


def _rejected(cursor: str) -> bool:
    try:
        decode_cursor(cursor)
    except InvalidRequest as error:
        return error.field == "cursor"
    return False


def _outcome(cursor: str) -> Keyset | InvalidRequest:
    try:
        return decode_cursor(cursor)
    except InvalidRequest as error:
        return error


@SETTINGS
@given(st.text(max_size=300))
def test_garbage_api_cursors_are_a_client_error(cursor: str) -> None:
    outcome = _outcome(cursor)
    assert isinstance(outcome, Keyset) or outcome.field == "cursor"


@SETTINGS
@given(json_values)
def test_well_encoded_json_that_is_not_a_position_is_a_client_error(value: Any) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    assert _rejected(cursor)


@SETTINGS
@given(st.datetimes(timezones=st.just(UTC)), json_values)
def test_a_position_with_a_foreign_id_is_a_client_error(created_at: Any, row_id: Any) -> None:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    outcome = _outcome(cursor)
    if isinstance(outcome, InvalidRequest):
        assert outcome.field == "cursor"
    else:
        assert outcome.id == uuid.UUID(str(row_id))


@SETTINGS
@given(provider_cursors, st.sampled_from(["gql:", "rfy:", "rest:"]))
def test_graphql_cursors_round_trip_through_the_checkpoint(cursor: str, prefix: str) -> None:
    checkpoint = next_cursor({"hasNextPage": True, "endCursor": cursor}, prefix, "shopify")
    assert checkpoint is not None and resume_from(checkpoint, prefix) == cursor


@SETTINGS
@given(json_values)
def test_garbage_page_info_is_a_cursor_error_or_the_last_page(page_info: Any) -> None:
    outcome = _page_outcome(page_info)
    if isinstance(outcome, CursorError):
        assert str(outcome).startswith("shopify: ")
    else:
        assert outcome is None or (outcome.startswith("gql:") and len(outcome) <= MAX_CURSOR_CHARS + 4)


def _page_outcome(page_info: Any) -> str | CursorError | None:
    try:
        return next_cursor(page_info, "gql:", "shopify")
    except CursorError as error:
        return error


def test_an_oversized_or_non_text_cursor_is_refused() -> None:
    for bad in ("x" * (MAX_CURSOR_CHARS + 1), "a\nb", "", {"$where": 1}, 42):
        try:
            next_cursor({"hasNextPage": True, "endCursor": bad}, "gql:", "shopify")
        except CursorError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


@SETTINGS
@given(provider_cursors)
def test_link_header_page_info_round_trips(page_info: str) -> None:
    url = f"https://shop.myshopify.com/admin/api/2025-01/products.json?limit=50&page_info={quote(page_info, safe='')}"
    header = f'<https://x.test/p.json?page_info=prev>; rel="previous", <{url}>; rel="next"'
    assert next_page_info(header, "shopify") == page_info


@SETTINGS
@given(st.text(max_size=300))
def test_garbage_link_headers_give_no_page_or_a_cursor_error(header: str) -> None:
    try:
        found = next_page_info(header, "shopify")
    except CursorError:
        return
    assert found is None or 0 < len(found) <= MAX_CURSOR_CHARS
