"""A bulk query's inner document: validated as Shopify documents, executed whole, written as JSONL.

Each object of the top-level connection is one line; every object of a nested
connection is its own line with ``__parentId`` set to its parent's ``id``
(https://shopify.dev/docs/api/usage/bulk-operations/queries#the-jsonl-data-format).
Pagination arguments are not needed inside a bulk query: every object is
exported.
"""

from __future__ import annotations

from typing import Any

import msgspec
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from loadtests.simulator.shopify_cost import is_connection
from loadtests.simulator.shopify_project import Projection
from loadtests.simulator.shopify_schema import schema

MAX_CONNECTIONS = 5
MAX_DEPTH = 2
"""Connections on one path: the top-level one and one nested level."""


class InvalidBulkQuery(ValueError):
    """Shopify answers these as a ``userError`` with code INVALID on ``query``."""


def _fields(selection_set: SelectionSetNode | None) -> list[FieldNode]:
    return [s for s in (selection_set.selections if selection_set else ()) if isinstance(s, FieldNode)]


def _node_selection(connection_field: FieldNode) -> SelectionSetNode | None:
    for child in _fields(connection_field.selection_set):
        if child.name.value == "nodes":
            return child.selection_set
        if child.name.value == "edges":
            for edge_field in _fields(child.selection_set):
                if edge_field.name.value == "node":
                    return edge_field.selection_set
    return None


def _nested(parent: GraphQLObjectType, selection: SelectionSetNode | None) -> list[tuple[FieldNode, GraphQLObjectType]]:
    """Connection fields directly selected on ``parent`` with their connection types."""
    found = []
    for child in _fields(selection):
        definition = parent.fields.get(child.name.value)
        named = get_named_type(definition.type) if definition else None
        if named is not None and is_connection(named) and isinstance(named, GraphQLObjectType):
            found.append((child, named))
    return found


def _node_type(connection: GraphQLObjectType) -> GraphQLObjectType | None:
    named = get_named_type(connection.fields["nodes"].type)
    return named if isinstance(named, GraphQLObjectType) else None


def _count(parent: GraphQLObjectType, selection: SelectionSetNode | None, depth: int) -> int:
    """Connections below ``selection``; InvalidBulkQuery past the documented depth or without parent ids."""
    total = 0
    for child, connection in _nested(parent, selection):
        if depth + 1 > MAX_DEPTH:
            raise InvalidBulkQuery(f"Bulk queries cannot nest connections more than {MAX_DEPTH} levels deep.")
        node_selection = _node_selection(child)
        node_type = _node_type(connection)
        total += 1
        if node_type is not None:
            if _nested(node_type, node_selection) and "id" not in {f.name.value for f in _fields(node_selection)}:
                raise InvalidBulkQuery("A parent of a nested connection must select its id.")
            total += _count(node_type, node_selection, depth + 1)
    return total


def check(query: str) -> DocumentNode:
    """The parsed inner query; InvalidBulkQuery with Shopify's reasons when it cannot run in bulk."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise InvalidBulkQuery(f"Invalid bulk query: {exc.message}") from exc
    errors = validate(schema(), document)
    if errors:
        raise InvalidBulkQuery(f"Invalid bulk query: {errors[0].message}")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        raise InvalidBulkQuery("Bulk queries must contain exactly one query operation.")
    top = _fields(operations[0].selection_set)
    root = schema().query_type
    assert root is not None
    if len(top) != 1 or not [c for c in _nested(root, operations[0].selection_set) if c[0] is top[0]]:
        raise InvalidBulkQuery("Bulk queries must select exactly one top-level connection field.")
    if _count(root, operations[0].selection_set, 0) > MAX_CONNECTIONS:
        raise InvalidBulkQuery(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    return document


def _items(connection_field: FieldNode, value: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not value:
        return []
    for child in _fields(connection_field.selection_set):
        key = (child.alias or child.name).value
        if child.name.value == "nodes":
            return list(value.get(key) or [])
        if child.name.value == "edges":
            inner = [f for f in _fields(child.selection_set) if f.name.value == "node"]
            node_key = (inner[0].alias or inner[0].name).value if inner else "node"
            return [edge[node_key] for edge in value.get(key) or []]
    return []


def _lines(
    out: list[bytes], connection_field: FieldNode, connection: GraphQLObjectType, value: Any, parent: str | None
) -> int:
    node_type = _node_type(connection)
    selection = _node_selection(connection_field)
    nested = _nested(node_type, selection) if node_type is not None else []
    nested_keys = {(f.alias or f.name).value for f, _ in nested}
    written = 0
    for item in _items(connection_field, value):
        line = {k: v for k, v in item.items() if k not in nested_keys}
        if parent is not None:
            line["__parentId"] = parent
        out.append(msgspec.json.encode(line) + b"\n")
        written += 1
        for child, child_connection in nested:
            written += _lines(out, child, child_connection, item.get((child.alias or child.name).value), item["id"])
    return written


def export(document: DocumentNode, root_value: Any) -> tuple[bytes, int, int]:
    """The JSONL file, its object count and its root object count."""
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema().query_type
    assert root is not None
    variables = get_variable_values(schema(), (), {})
    assert not isinstance(variables, list)
    data, errors = Projection(schema(), fragments, variables).run(operation, root, root_value)
    if errors:
        raise InvalidBulkQuery(errors[0].message)
    top = _fields(operation.selection_set)[0]
    named = get_named_type(root.fields[top.name.value].type)
    assert isinstance(named, GraphQLObjectType)
    out: list[bytes] = []
    total = _lines(out, top, named, data[(top.alias or top.name).value], None)
    roots = len(_items(top, data[(top.alias or top.name).value]))
    return b"".join(out), total, roots
