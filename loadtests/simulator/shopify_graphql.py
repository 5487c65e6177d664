"""``POST /shopify/{shop}/admin/api/{version}/graphql.json``: Shopify's Admin GraphQL endpoint.

The document is parsed, validated against the schema subset and executed by
graphql-core.  Before execution, the requested cost is computed as Shopify
documents it (see :mod:`shopify_cost`): a query above 1,000 points is refused
with ``MAX_COST_EXCEEDED``; a query needing more points than the shop's
bucket holds is refused with ``THROTTLED`` and nothing is charged; otherwise
the requested cost is charged up front and the difference to the actual cost
refunded.  Every answer is HTTP 200 and carries ``extensions.cost``
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
"""

from __future__ import annotations

import asyncio
import copy
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import msgspec
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values
from litestar import Response

from loadtests.simulator import shopify_bulk as bulk
from loadtests.simulator import shopify_cost as cost
from loadtests.simulator.catalog import Catalog
from loadtests.simulator.limits import PLANS, LeakyBucket, PlanLimits
from loadtests.simulator.responses import AnyRequest, base_url, json_response, recorded
from loadtests.simulator.shopify_bulk_query import export
from loadtests.simulator.shopify_errors import Outcome, Refusal, shopify_error, validation_error
from loadtests.simulator.shopify_gate import admit
from loadtests.simulator.shopify_nodes import Scope
from loadtests.simulator.shopify_paging import PageSizeError
from loadtests.simulator.shopify_project import Projection
from loadtests.simulator.shopify_root import Bulk, MutationRoot, QueryRoot
from loadtests.simulator.shopify_schema import schema
from loadtests.simulator.shopify_versions import DEPRECATED_HEADER, DEPRECATION_DOCS, VERSION_HEADER, Served, serve
from loadtests.simulator.state import AccountState, Simulator

ENDPOINT = "shopify.graphql"
CACHED_DOCUMENTS = 256
CACHED_ANSWERS = 128
"""Encoded answers kept (at most ~0.5 MB each): a 10,000-product import at 100 per page fits."""
_CACHEABLE_ROOTS = frozenset({"products", "product", "productsCount"})
_MISSING_QUERY = {"errors": {"query": "Required parameter missing or invalid"}}


Answer = tuple[msgspec.Raw, list[dict[str, Any]] | None, int]
"""Encoded data, Shopify-shaped errors (None without any) and the actual cost."""


class Prepared(msgspec.Struct, frozen=True):
    """A validated operation: its document, coerced variables, requested cost and deprecated fields used."""

    document: DocumentNode
    operation: OperationDefinitionNode
    variables: VariableValues
    raw_variables: dict[str, Any]
    requested: int
    deprecated: tuple[str, ...]
    variables_key: bytes
    """The request's variables, canonically encoded (part of the answer cache key)."""


def _body(raw: bytes) -> tuple[str, dict[str, Any], str | None]:
    """Document, variables and operation name; ValueError when the body is not a GraphQL request."""
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise ValueError("not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        raise ValueError("no query")
    variables = body.get("variables")
    name = body.get("operationName")
    return body["query"], variables if isinstance(variables, dict) else {}, name if isinstance(name, str) else None


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [op for op in operations if name is None or (op.name and op.name.value == name)]
    if len(chosen) != 1:
        raise Refusal(Outcome.INVALID, [validation_error("An operation name is required to pick one operation.")])
    return chosen[0]


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _parsed(document_text: str) -> DocumentNode | list[dict[str, Any]]:
    """The parsed, validated document, or its errors: clients send the same few documents again and again."""
    try:
        document = parse(document_text)
    except GraphQLError as error:
        return [validation_error(error.message, error)]
    errors = validate(schema(), document)
    return [validation_error(e.message, e) for e in errors] if errors else document


def prepare(document_text: str, raw_variables: dict[str, Any], name: str | None) -> Prepared:
    """Parse, validate, coerce variables and compute the requested cost; Refusal when Shopify would refuse."""
    document = _parsed(document_text)
    if isinstance(document, list):
        raise Refusal(Outcome.INVALID, copy.deepcopy(document))
    operation = _operation(document, name)
    coerced = get_variable_values(schema(), operation.variable_definitions or (), raw_variables)
    if isinstance(coerced, list):
        raise Refusal(Outcome.INVALID, [validation_error(e.message, e, code="INVALID_VARIABLE") for e in coerced])
    walk = cost.Walk(schema(), _fragments(document), coerced)
    root = schema().mutation_type if operation.operation is OperationType.MUTATION else schema().query_type
    assert root is not None
    try:
        requested = cost.requested(walk, operation.selection_set, root)
    except PageSizeError as error:
        raise Refusal(Outcome.INVALID, [validation_error(str(error))]) from error
    if operation.operation is OperationType.MUTATION:
        requested = cost.MUTATION_COST
    key = msgspec.json.encode(raw_variables, order="sorted")
    deprecated = tuple(sorted(walk.deprecated))
    return Prepared(document, operation, coerced, raw_variables, requested, deprecated, key)


def _cost(requested: int, actual: int | None, bucket: LeakyBucket, plan: PlanLimits) -> dict[str, Any]:
    throttle = {
        "maximumAvailable": float(plan.graphql_max_points),
        "currentlyAvailable": round(bucket.free(), 1),
        "restoreRate": float(plan.graphql_restore_per_s),
    }
    return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": throttle}


def _cacheable(prepared: Prepared) -> bool:
    if prepared.operation.operation is not OperationType.QUERY:
        return False
    names = {getattr(s, "name", None) for s in prepared.operation.selection_set.selections}
    return all(n is not None and n.value in _CACHEABLE_ROOTS for n in names)


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _run(prepared: Prepared, root: QueryRoot) -> Answer:
    """Execute (see :mod:`shopify_project`) and cost what the answer holds."""
    is_mutation = prepared.operation.operation is OperationType.MUTATION
    root_type = schema().mutation_type if is_mutation else schema().query_type
    assert root_type is not None
    fragments = _fragments(prepared.document)
    projection = Projection(schema(), fragments, prepared.variables)
    data, raised = projection.run(prepared.operation, root_type, MutationRoot(root) if is_mutation else root)
    errors = [shopify_error(e) for e in raised] or None
    actual = cost.MUTATION_COST if is_mutation else projection.cost
    return msgspec.Raw(msgspec.json.encode(data)), errors, min(actual, prepared.requested)


_ANSWERS: OrderedDict[tuple[Catalog, str, str, bytes, str | None], Answer] = OrderedDict()


def _cached_run(key: tuple[Catalog, str, str, bytes, str | None], prepared: Prepared, root: QueryRoot) -> Answer:
    """Catalogs are immutable snapshots, so an answer depends only on ``key``: built once, then reused.

    A touch, an edit or a new configuration makes a different catalog (part of the key), so a cached answer
    is never stale; the cost extension and every header are still computed per request.
    """
    found = _ANSWERS.get(key)
    if found is None:
        found = _ANSWERS[key] = _run(prepared, root)
        if len(_ANSWERS) > CACHED_ANSWERS:
            _ANSWERS.popitem(last=False)
    else:
        _ANSWERS.move_to_end(key)
    return found


def _answer(root: QueryRoot, prepared: Prepared, document_text: str) -> Answer:
    if not _cacheable(prepared):
        return _run(prepared, root)
    name = prepared.operation.name.value if prepared.operation.name else None
    key = (root.scope.catalog, root.scope.base, document_text, prepared.variables_key, name)
    return _cached_run(key, prepared, root)


async def _materialize(state: AccountState, root: QueryRoot) -> None:
    """Write the JSONL of every operation that has just completed (in a thread: it can be large)."""
    now = root.operations.now
    for operation in state.bulk.operations:
        done = operation.status(now) is not bulk.Status.CREATED and not operation.in_progress(now)
        if done and operation.script.outcome is bulk.Outcome.COMPLETED and operation.jsonl is None:
            exporter = QueryRoot(
                Scope(root.scope.seed, root.scope.base, operation.catalog), root.operations, export=True
            )
            data, objects, roots = await asyncio.to_thread(export, bulk_document(operation), exporter)
            operation.jsonl, operation.object_count, operation.root_object_count = data, objects, roots


def bulk_document(operation: bulk.Operation) -> DocumentNode:
    return parse(operation.query)


def _headers(served: Served, prepared: Prepared | None) -> dict[str, str]:
    headers = {VERSION_HEADER: served.version}
    reasons = [served.deprecated] if served.deprecated else []
    if prepared is not None and prepared.deprecated:
        reasons.append(f"{', '.join(prepared.deprecated)} deprecated; see {DEPRECATION_DOCS}")
    if reasons:
        headers[DEPRECATED_HEADER] = " | ".join(reasons)
    return headers


async def graphql(sim: Simulator, request: AnyRequest, shop: str, version: str) -> Response[bytes]:
    state, refused = await admit(sim, request, shop)
    if refused is not None:
        return recorded(state, ENDPOINT, refused)
    now = sim.clock.now()
    served = serve(version, now)
    if served is None:
        return recorded(state, ENDPOINT, json_response({"errors": "Not Found"}, 404))
    try:
        document_text, variables, name = _body(await request.body())
    except ValueError:
        return recorded(state, ENDPOINT, json_response(_MISSING_QUERY, 400))
    plan = PLANS[state.config.plan]
    bucket = state.limits.graphql_bucket(state.credential, plan)
    try:
        prepared = prepare(document_text, variables, name)
    except Refusal as refusal:
        state.stats.graphql_outcome(refusal.outcome)
        body = {"errors": refusal.errors, "extensions": {"cost": _cost(0, None, bucket, plan)}}
        return recorded(state, ENDPOINT, json_response(body, 200, _headers(served, None)))
    return recorded(state, ENDPOINT, await _execute(sim, request, state, prepared, document_text, served))


async def _execute(
    sim: Simulator, request: AnyRequest, state: AccountState, prepared: Prepared, text: str, served: Served
) -> Response[bytes]:
    plan = PLANS[state.config.plan]
    bucket = state.limits.graphql_bucket(state.credential, plan)
    headers = _headers(served, prepared)
    stats = state.stats
    stats.graphql_max_requested_cost = max(stats.graphql_max_requested_cost, prepared.requested)
    if prepared.requested > cost.MAX_QUERY_COST:
        stats.graphql_outcome(Outcome.MAX_COST_EXCEEDED)
        body = {
            "errors": [_max_cost(prepared.requested)],
            "extensions": {"cost": _cost(prepared.requested, None, bucket, plan)},
        }
        return json_response(body, 200, headers)
    if prepared.requested > bucket.free():
        stats.graphql_outcome(Outcome.THROTTLED)
        error = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": cost.RATE_LIMIT_DOCS}}
        body = {"errors": [error], "extensions": {"cost": _cost(prepared.requested, None, bucket, plan)}}
        return json_response(body, 200, headers)
    bucket.add(prepared.requested)
    root = QueryRoot(
        Scope(sim.settings.seed, base_url(request), state.catalog),
        Bulk(state.bulk, state.account, sim.clock.now(), served.version),
    )
    await _materialize(state, root)
    data, errors, actual = _answer(root, prepared, text)
    bucket.refund(prepared.requested - actual)
    stats.graphql_outcome(Outcome.OK)
    stats.graphql_points_charged += actual
    stats.graphql_points_max_used = max(stats.graphql_points_max_used, bucket.level())
    stats.graphql_max_query_cost = max(stats.graphql_max_query_cost, actual)
    body: dict[str, Any] = {"data": data}
    if errors:
        body = {"errors": errors, "data": data}
    body["extensions"] = {"cost": _cost(prepared.requested, actual, bucket, plan)}
    return json_response(body, 200, headers)


def _max_cost(requested: int) -> dict[str, Any]:
    message = (
        f"Query cost is {requested}, which exceeds the single query max cost limit ({cost.MAX_QUERY_COST}).\n\n"
        f"See {cost.RATE_LIMIT_DOCS} for more information on how the cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used instead."
    )
    extensions = {
        "code": "MAX_COST_EXCEEDED",
        "cost": requested,
        "maxCost": cost.MAX_QUERY_COST,
        "documentation": cost.RATE_LIMIT_DOCS,
    }
    return {"message": message, "extensions": extensions}
