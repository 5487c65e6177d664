"""A request body is read as its schema says: no JSON type passes for another, and the document states every bound.

Litestar converts bodies leniently (``0`` for ``false``, ``"5"`` for ``5``) and
drops the bounds of a type inside a union from the document; the API converts
strictly and documents bodies with msgspec's own schema. The document's links
name operations that exist, with the parameters those operations take.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from litestar.testing import AsyncTestClient

from tests.conftest import Tenants

pytestmark = pytest.mark.integration

AnyClient = AsyncTestClient  # type: ignore[type-arg]
IMPORTS = "/api/v1/imports"


@pytest.fixture
async def document(client: AnyClient) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"include_images": 0}, "options.include_images"),  # a number is not a boolean
        ({"max_products": "5"}, "options.max_products"),  # a string is not an integer
        ({"updated_since": 1700000000}, "options.updated_since"),  # a number is not a time
    ],
    ids=["number-as-boolean", "string-as-integer", "number-as-time"],
)
async def test_a_value_of_another_json_type_is_a_400_naming_it_and_creates_nothing(
    client: AnyClient, tenants: Tenants, options: dict[str, Any], field: str
) -> None:
    body = {"integration_id": str(tenants.acme.integration_id), "options": options}
    response = await client.post(IMPORTS, json=body, headers=tenants.acme.auth)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field, response.text
    listed = await client.get(IMPORTS, headers=tenants.acme.auth)
    assert listed.json()["items"] == []


async def test_an_integral_number_is_an_integer_as_json_schema_counts_it(client: AnyClient, tenants: Tenants) -> None:
    body = {"integration_id": str(tenants.acme.integration_id), "options": {"max_products": 6.0}}
    response = await client.post(IMPORTS, json=body, headers=tenants.acme.auth)
    assert response.status_code == 202, response.text
    assert response.json()["job"]["options"]["max_products"] == 6


def _component(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


def test_bounds_inside_a_union_are_in_the_document(document: dict[str, Any]) -> None:
    rule = _component(document, "RuleIn")["properties"]
    transform_name = next(form for form in rule["transforms"]["items"]["anyOf"] if form.get("type") == "string")
    assert transform_name["minLength"] == 1 and transform_name["maxLength"] == 64
    paths = rule["source"]["anyOf"]
    assert {"type": "string", "maxLength": 200, "minLength": 1} in paths
    assert any(form.get("minItems") == 1 and form.get("maxItems") == 10 for form in paths)


def test_a_credential_and_a_time_declare_what_the_api_takes(document: dict[str, Any]) -> None:
    credential = Draft202012Validator(_component(document, "CreateIntegration")["properties"]["credential"])
    assert credential.is_valid("shpat_abc-123") and not credential.is_valid("café-key")
    assert not credential.is_valid("two words")
    since = _component(document, "ImportOptions")["properties"]["updated_since"]["anyOf"][0]
    assert since["format"] == "date-time"
    assert re.match(since["pattern"], "2026-01-02T03:04:05Z") and not re.match(since["pattern"], "")


def test_every_link_names_an_operation_and_its_parameters(document: dict[str, Any]) -> None:
    operations = {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    links = [
        (f"{method.upper()} {path} {status}", name, link)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        for status, answer in operation.get("responses", {}).items()
        for name, link in answer.get("links", {}).items()
    ]
    assert len(links) >= 12, links
    for source, name, link in links:
        target = operations.get(link["operationId"])
        assert target is not None, f"{source} → {name}: no operation {link['operationId']}"
        taken = {parameter["name"] for parameter in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= taken, f"{source} → {name}: {link} ({sorted(taken)})"
        assert "requestBody" not in link or "requestBody" in target, f"{source} → {name} sends a body to none"
