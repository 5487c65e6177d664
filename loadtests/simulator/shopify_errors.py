"""GraphQL errors in Shopify's wording, and the outcome each answer is counted under.

Validation errors are answered HTTP 200 with an ``errors`` list and no
``data``, as Shopify answers them; graphql-core's message for an unknown
field is reworded the way Shopify words it ("Field 'x' doesn't exist on type
'Y'", code ``undefinedField``).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from graphql import GraphQLError

_UNKNOWN_FIELD = re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\.")


class Outcome(StrEnum):
    """How a GraphQL answer is counted in ``graphql_outcomes``."""

    OK = "ok"
    THROTTLED = "throttled"
    MAX_COST_EXCEEDED = "max_cost_exceeded"
    INVALID = "invalid"


class Refusal(Exception):
    """The request is answered with these errors and no data."""

    def __init__(self, outcome: Outcome, errors: list[dict[str, Any]]) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
        self.errors = errors


def _locations(error: GraphQLError | None) -> list[dict[str, int]] | None:
    if error is None or not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in error.locations]


def validation_error(message: str, error: GraphQLError | None = None, code: str | None = None) -> dict[str, Any]:
    unknown = _UNKNOWN_FIELD.match(message)
    extensions: dict[str, Any] = {"code": code or "GRAPHQL_VALIDATION_FAILED"}
    if unknown is not None:
        field, type_name = unknown.groups()
        message = f"Field '{field}' doesn't exist on type '{type_name}'"
        extensions = {"code": "undefinedField", "typeName": type_name, "fieldName": field}
    found: dict[str, Any] = {"message": message}
    locations = _locations(error)
    if locations:
        found["locations"] = locations
    found["extensions"] = extensions
    return found


def shopify_error(error: GraphQLError) -> dict[str, Any]:
    """An execution error (a bad cursor, an invalid id) with its path, as Shopify reports them."""
    found: dict[str, Any] = {"message": error.message}
    locations = _locations(error)
    if locations:
        found["locations"] = locations
    if error.path:
        found["path"] = list(error.path)
    found["extensions"] = dict(error.extensions or {}) or {"code": "BAD_USER_INPUT"}
    return found
