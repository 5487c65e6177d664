"""Request body schemas in the OpenAPI document are msgspec's own, so they state every bound the decoder enforces.

Litestar drops the constraints of a type inside a union (``Name | TransformIn``
becomes ``string | TransformIn``: the ``minLength`` the decoder enforces is
gone), so a client following the document would send bodies we refuse. The
decoder is msgspec; its JSON Schema of the same struct is exact (bounds,
patterns, formats, ``additionalProperties: false`` for closed structs). After
the document is built, each request body's components are replaced by msgspec's.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Reference, Schema
from litestar.routes import HTTPRoute

_REF_TEMPLATE = "#/components/schemas/{name}"


def _keyword(field_name: str) -> str:
    """The keyword Litestar writes a ``Schema`` field as: ``max_length`` → ``maxLength``, ``schema_not`` → ``not``."""
    head, *rest = field_name.removeprefix("schema_").split("_")
    return head + "".join(part.capitalize() for part in rest)


_FIELD_OF_KEY = {_keyword(field.name): field.name for field in fields(Schema)}
_ONE_SCHEMA = {"items", "not", "additionalProperties", "contains", "propertyNames"}
_SCHEMA_LISTS = {"anyOf", "oneOf", "allOf", "prefixItems"}
_SCHEMA_MAPS = {"properties", "patternProperties", "$defs"}


def document_request_bodies(app: Litestar) -> None:
    """Replace the components of every request body's type by msgspec's schema of it."""
    body_types = sorted(_request_body_types(app), key=lambda kind: kind.__name__)
    _, components = msgspec.json.schema_components(body_types, ref_template=_REF_TEMPLATE)
    document = app.openapi_schema
    schemas = document.components.schemas if document.components and document.components.schemas else None
    if schemas is None:
        raise LookupError("the OpenAPI document has no component schemas to replace")
    for name, schema in components.items():
        converted = as_openapi_schema(schema)
        if not isinstance(converted, Schema):
            raise TypeError(f"msgspec's schema of {name} is a reference, not a schema")
        schemas[name] = converted


def _request_body_types(app: Litestar) -> set[type[msgspec.Struct]]:
    found: set[type[msgspec.Struct]] = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                body = handler.parsed_data_field if isinstance(handler, HTTPRouteHandler) else None
                if (
                    body is not None
                    and isinstance(body.annotation, type)
                    and issubclass(body.annotation, msgspec.Struct)
                ):
                    found.add(body.annotation)
    return found


def as_openapi_schema(schema: dict[str, Any]) -> Schema | Reference:
    """A JSON Schema dict as Litestar's spec objects (which write it back under the same keys)."""
    if "$ref" in schema:
        return Reference(ref=schema["$ref"])
    values: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _FIELD_OF_KEY:
            raise KeyError(f"no OpenAPI schema field for JSON Schema keyword {key!r}")
        if key in _ONE_SCHEMA and isinstance(value, dict):
            value = as_openapi_schema(value)
        elif key in _SCHEMA_LISTS:
            value = [as_openapi_schema(item) for item in value]
        elif key in _SCHEMA_MAPS:
            value = {name: as_openapi_schema(item) for name, item in value.items()}
        values[_FIELD_OF_KEY[key]] = value
    return Schema(**values)
