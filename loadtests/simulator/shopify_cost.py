"""Shopify's calculated query cost, from the document (requested) and from the answer (actual).

Rules, as the GraphQL Admin API rate-limits page documents them
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):
scalars and enums cost 0, objects 1, interfaces the maximum of their possible
selections; a connection costs 2 plus ``first`` (or ``last``) times the cost
of one node including its own nested selections, so nested connections
multiply; a mutation costs 10.  The requested cost is computed before
execution; the actual cost counts only the objects the answer holds (counted
while executing, in :mod:`shopify_project`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from loadtests.simulator.shopify_paging import check_page_size

MUTATION_COST = 10
CONNECTION_BASE = 2
MAX_QUERY_COST = 1000
RATE_LIMIT_DOCS = "https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits"
"""The single-query limit: a query requesting more is refused with MAX_COST_EXCEEDED."""


@dataclass
class Walk:
    """What a cost walk needs besides the selection: the schema, fragments and coerced variables."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: VariableValues
    deprecated: set[str] = field(default_factory=set)
    """``Type.field`` of every deprecated field the document selects."""


def is_connection(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")


def _node_type(connection: GraphQLObjectType) -> GraphQLNamedType:
    return get_named_type(connection.fields["nodes"].type)


def _page_size(walk: Walk, parent: GraphQLObjectType | GraphQLInterfaceType, node: FieldNode) -> int:
    args = get_argument_values(parent.fields[node.name.value], node, walk.variables)
    return check_page_size(f"{parent.name}.{node.name.value}", args)


def _groups(
    walk: Walk, selection_set: SelectionSetNode | None, parent: GraphQLNamedType
) -> tuple[list[FieldNode], dict[str, list[SelectionSetNode]]]:
    """Direct fields, and fragment selections grouped by their type condition."""
    direct: list[FieldNode] = []
    fragments: dict[str, list[SelectionSetNode]] = defaultdict(list)
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            direct.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else parent.name
            fragments[condition].append(selection.selection_set)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walk.fragments[selection.name.value]
            fragments[fragment.type_condition.name.value].append(fragment.selection_set)
    return direct, fragments


def requested(walk: Walk, selection_set: SelectionSetNode | None, parent: GraphQLNamedType) -> int:
    """Requested cost of the selections made on ``parent`` (its own object point excluded)."""
    direct, fragments = _groups(walk, selection_set, parent)
    total = sum(_field_requested(walk, node, parent) for node in direct)
    by_type = {
        name: sum(requested(walk, s, _type(walk, name, parent)) for s in sets) for name, sets in fragments.items()
    }
    if is_abstract_type(parent):
        return total + max(by_type.values(), default=0)
    return total + sum(by_type.values())


def _type(walk: Walk, name: str, fallback: GraphQLNamedType) -> GraphQLNamedType:
    found = walk.schema.get_type(name)
    return found if found is not None else fallback


def _field_requested(walk: Walk, node: FieldNode, parent: GraphQLNamedType) -> int:
    name = node.name.value
    if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return 0
    definition = parent.fields[name]
    if definition.deprecation_reason is not None:
        walk.deprecated.add(f"{parent.name}.{name}")
    named = get_named_type(definition.type)
    if is_leaf_type(named):
        return 0
    if is_connection(named):
        assert isinstance(named, GraphQLObjectType)
        node_type = _node_type(named)
        per_node = 1 + max(_connection_node_selections(walk, node, named, node_type), default=0)
        return CONNECTION_BASE + _page_size(walk, parent, node) * per_node
    return 1 + requested(walk, node.selection_set, named)


def _connection_node_selections(
    walk: Walk, node: FieldNode, connection: GraphQLObjectType, node_type: GraphQLNamedType
) -> list[int]:
    """Cost of one node as selected through ``edges { node }`` and through ``nodes``."""
    costs = []
    direct, _ = _groups(walk, node.selection_set, connection)
    for child in direct:
        if child.name.value == "nodes":
            costs.append(requested(walk, child.selection_set, node_type))
        elif child.name.value == "edges":
            edge_type = get_named_type(connection.fields["edges"].type)
            edge_fields, _ = _groups(walk, child.selection_set, edge_type)
            costs += [requested(walk, f.selection_set, node_type) for f in edge_fields if f.name.value == "node"]
    return costs
