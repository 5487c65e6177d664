"""The served OpenAPI document tells the truth: an `Allow` header lists every method of the path.

An `OPTIONS` answer and a `405` answer name, in `Allow`, exactly the methods the
document lists for the path (`HEAD` and `OPTIONS` aside).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.integration

AnyClient = AsyncTestClient  # type: ignore[type-arg]
Document = dict[str, Any]
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
async def document(client: AnyClient) -> Document:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    found: Document = response.json()
    return found


SAMPLES = {
    "job_id": "00000000-0000-0000-0000-000000000000",
    "integration_id": "00000000-0000-0000-0000-000000000000",
    "provider": "shopify",
    "worker_id": "w-1",
    "kind": "load",
    "run_id": "r-1",
    "name": "chart.png",
}


async def test_allow_lists_every_documented_method_of_each_path(client: AnyClient, document: Document) -> None:
    wrong: list[str] = []
    for path, item in document["paths"].items():
        documented = {method.upper() for method in item if method in HTTP_METHODS}
        url = re.sub(r"\{(\w+)\}", lambda match: SAMPLES[match.group(1)], path)
        for method, status in (("OPTIONS", 204), ("PATCH", 405)):
            response = await client.request(method, url)
            allowed = {m.strip() for m in response.headers.get("allow", "").split(",")} - {"OPTIONS", "HEAD", ""}
            if response.status_code != status or allowed != documented:
                wrong.append(f"{method} {path}: {response.status_code}, Allow {sorted(allowed)} ≠ {sorted(documented)}")
    assert not wrong, "\n".join(wrong)
