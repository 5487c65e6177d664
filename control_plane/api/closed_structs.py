"""A request body that refuses unknown fields says so in the OpenAPI document (``additionalProperties: false``).

Every request struct is ``forbid_unknown_fields=True``: msgspec refuses a field it
does not know, and the API answers ``400`` naming it. Litestar's schema for a
msgspec struct leaves ``additionalProperties`` out, which promises that unknown
fields are accepted. This schema plugin, listed before Litestar's own, builds the
struct's schema with Litestar's plugin and closes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema


class ClosedStructSchemas(OpenAPISchemaPlugin):
    """Schemas of ``forbid_unknown_fields`` structs, with ``additionalProperties: false``."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        if field_definition.is_union or not field_definition.is_subclass_of(msgspec.Struct):
            return False
        info = msgspec.inspect.type_info(field_definition.type_)
        return isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        builtin = next(
            plugin
            for plugin in schema_creator.plugins
            if plugin is not self
            and isinstance(plugin, OpenAPISchemaPlugin)
            and plugin.is_plugin_supported_field(field_definition)
        )
        schema = builtin.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema
