"""The rules behind the edge's refusals of strings and nesting: NUL anywhere, JSON depth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from control_plane.api.json_body import too_deep_at
from control_plane.domain.stored_text import json_path, nul_path


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": [1, {"b": "x\x00"}]}, "a[1].b"),
        ({"a": {"k\x00": 1}}, "a.k\\u0000"),
        (["ok", "\x00"], "body[1]"),
        ("\x00", "body"),
        ({"a": ["fine", {"b": "also fine"}]}, None),
    ],
)
def test_nul_is_found_with_its_path(value: Any, path: str | None) -> None:
    assert nul_path(value) == path


def test_nul_search_does_not_recurse() -> None:
    value: Any = "\x00"
    for _ in range(5_000):
        value = [value]
    assert nul_path(value) == json_path((0,) * 5_000)


def test_depth_counts_containers_not_brackets_inside_strings() -> None:
    body = json.dumps({"a": "[[[[{{{{", "b": [1, {"c": [2]}]}).encode()
    assert too_deep_at(body, 4) is None
    assert too_deep_at(body, 3) == ("b", 1, "c")


def test_depth_names_the_path_of_a_huge_nesting_without_recursing() -> None:
    body = b'{"rules": [{"default": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"
    assert json_path(too_deep_at(body, 32) or ())[:24] == "rules[0].default[0][0][0"
