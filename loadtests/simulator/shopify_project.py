"""A fast executor for validated documents over the simulator's plain-dict objects.

graphql-core parses and validates every document; executing a 100-product
page through its general executor costs ~10x more than building the data, so
validated documents are executed here instead: a direct projection of the
selections (aliases, fragments, ``@include``/``@skip``, typed arguments via
graphql-core's own coercion) over dicts whose callables resolve nested
connections.  A unit test checks that both executors give the same answer.

The actual query cost is counted on the way, with the rules of
:mod:`shopify_cost`: each returned object costs 1, a connection 2 (its edges
and page info nothing), and a list of plain objects is counted once, as the
requested cost counts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values


class Projection:
    """One execution: the schema, the document's fragments and the coerced variables."""

    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode], variables: VariableValues
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.cost = 0
        """Actual cost of what has been projected so far."""
        self._plans: dict[tuple[int, str], list[Step]] = {}

    def run(self, operation: OperationDefinitionNode, root_type: GraphQLObjectType, root: Any) -> tuple[Any, list]:
        """``data`` and the errors raised by root fields (each nulls its own field, as in graphql-core)."""
        data: dict[str, Any] = {}
        errors: list[GraphQLError] = []
        for step in self._plan(operation.selection_set, root_type):
            key = step.key
            node = step.node
            try:
                self._field(data, step, root_type, getattr(root, step.name, None))
            except GraphQLError as error:
                data[key] = None
                errors.append(GraphQLError(error.message, [node], path=[key], extensions=error.extensions))
        return data, errors

    def _included(self, node: SelectionNode) -> bool:
        if not node.directives:
            return True
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if"):
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and not include.get("if"))

    def _applies(self, condition: str | None, concrete: GraphQLNamedType) -> bool:
        if condition is None or condition == concrete.name:
            return True
        wanted = self.schema.get_type(condition)
        return (
            isinstance(wanted, GraphQLInterfaceType)
            and isinstance(concrete, GraphQLObjectType)
            and (wanted in concrete.interfaces)
        )

    def _fields(self, selection_set: SelectionSetNode | None, concrete: GraphQLNamedType) -> list[FieldNode]:
        """The selected fields that apply to ``concrete``, fragments flattened, in document order."""
        found: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                if self._applies(condition, concrete):
                    found += self._fields(selection.selection_set, concrete)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if self._applies(fragment.type_condition.name.value, concrete):
                    found += self._fields(fragment.selection_set, concrete)
        return found

    def _plan(self, selection_set: SelectionSetNode | None, concrete: GraphQLObjectType) -> list[Step]:
        """What to do for each selected field of ``concrete``: worked out once per selection and type."""
        key = (id(selection_set), concrete.name)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = [self._step(node, concrete) for node in self._fields(selection_set, concrete)]
        return plan

    def _step(self, node: FieldNode, parent: GraphQLObjectType) -> Step:
        name = node.name.value
        if name == "__typename":
            return Step((node.alias or node.name).value, name, node, None, None, leaf=True, every_item=True)
        definition = parent.fields[name]
        named = get_named_type(definition.type)
        every_item = parent.name.endswith("Connection")
        return Step((node.alias or node.name).value, name, node, definition, named, is_leaf_type(named), every_item)

    def _field(self, out: dict[str, Any], step: Step, parent: GraphQLObjectType, raw: Any) -> None:
        if step.definition is None:
            out[step.key] = parent.name
            return
        if callable(raw):
            raw = raw(None, **get_argument_values(step.definition, step.node, self.variables))
        if step.leaf or raw is None:
            value = raw
        else:
            assert step.named is not None
            value = self._complete(raw, step.named, step.node.selection_set, every_item=step.every_item)
        previous = out.get(step.key)
        out[step.key] = _merge(previous, value) if isinstance(previous, dict) and isinstance(value, dict) else value

    def _complete(
        self, value: Any, named: GraphQLNamedType, selection_set: SelectionSetNode | None, *, every_item: bool = True
    ) -> Any:
        if value is None or is_leaf_type(named):
            return value
        if isinstance(value, list):
            if every_item:
                return [self._complete(item, named, selection_set) for item in value]
            items, once = [], self.cost
            for position, item in enumerate(value):
                items.append(self._complete(item, named, selection_set))
                once = self.cost if position == 0 else once
            self.cost = once
            return items
        concrete = self.schema.get_type(value.get("__typename", "")) if is_abstract_type(named) else named
        assert isinstance(concrete, GraphQLObjectType)
        self.cost += _object_cost(concrete.name)
        out: dict[str, Any] = {}
        for step in self._plan(selection_set, concrete):
            self._field(out, step, concrete, value.get(step.name))
        return out


@dataclass(frozen=True)
class Step:
    """One selected field, resolved against its parent type once per execution."""

    key: str
    name: str
    node: FieldNode
    definition: GraphQLField | None
    """None for ``__typename``."""
    named: GraphQLNamedType | None
    leaf: bool
    every_item: bool
    """Whether every item of a list value is counted in the actual cost (connection edges and nodes)."""


def _object_cost(type_name: str) -> int:
    if type_name.endswith("Connection"):
        return 2
    return 0 if type_name.endswith("Edge") or type_name == "PageInfo" else 1


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Two selections of the same response key (validated to be compatible), merged."""
    merged = dict(left)
    for key, value in right.items():
        before = merged.get(key)
        merged[key] = _merge(before, value) if isinstance(before, dict) and isinstance(value, dict) else value
    return merged
