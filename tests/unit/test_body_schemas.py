"""msgspec's JSON Schema of a request body survives the trip through Litestar's spec objects unchanged.

Only a ``null`` default is left out (Litestar writes no member whose value is None).
"""

from __future__ import annotations

import msgspec
import pytest

from control_plane.api.body_schemas import as_openapi_schema
from control_plane.api.integration_schemas import CreateIntegration
from control_plane.api.mapping_schemas import PreviewRequest, SaveMapping
from control_plane.api.ops_schemas import DrainRequest, PauseRequest, RetryDeadRequest
from control_plane.api.schemas import CreateImport

Json = dict[str, object] | list[object] | object

BODIES = [CreateImport, CreateIntegration, SaveMapping, PreviewRequest, DrainRequest, PauseRequest, RetryDeadRequest]


@pytest.mark.parametrize("body", BODIES, ids=lambda body: body.__name__)
def test_every_keyword_is_written_back_as_msgspec_wrote_it(body: type[msgspec.Struct]) -> None:
    _, components = msgspec.json.schema_components([body], ref_template="#/components/schemas/{name}")
    for name, schema in components.items():
        assert as_openapi_schema(schema).to_schema() == _without_null_defaults(schema), name


def _without_null_defaults(value: Json) -> Json:
    if isinstance(value, dict):
        return {k: _without_null_defaults(v) for k, v in value.items() if not (k == "default" and v is None)}
    if isinstance(value, list):
        return [_without_null_defaults(item) for item in value]
    return value


def test_an_unknown_keyword_is_refused_rather_than_dropped() -> None:
    with pytest.raises(KeyError, match="unevaluatedThings"):
        as_openapi_schema({"type": "object", "unevaluatedThings": True})


def test_keywords_litestar_names_with_a_prefix_are_written_back_too() -> None:
    schema = {"not": {"type": "null"}, "if": {"type": "string"}, "else": {"type": "integer"}}
    assert as_openapi_schema(schema).to_schema() == schema
