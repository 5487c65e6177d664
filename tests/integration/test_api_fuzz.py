"""Schemathesis against the running API's OpenAPI schema: no 5xx, no response outside the schema.

Error answers are problem documents, documented on every operation, so their
content type is checked like any other answer's.

The API runs as a real process on this session's database and Redis db.
Every operation gets a bounded number of generated requests (fixed seed, so
a run is repeatable), as a vendor and as an operator.
"""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from control_plane.settings import Settings
from tests.conftest import Tenants
from tests.support.processes import served

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 10
SEED = 20261123
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def api_url(migrated: Settings) -> Iterator[str]:
    env = {
        "ICP_DB_NAME": migrated.database.name,
        "ICP_REDIS_DATABASE": str(migrated.redis.database),
        "ICP_REDIS_QUEUE_NAME": migrated.redis.queue_name,
    }
    with served("fuzzed-api", "control_plane.api.app", "/health/live", env) as port:
        yield f"http://127.0.0.1:{port}"


def _fuzz(operation: schemathesis.APIOperation, base_url: str, headers: dict[str, str]) -> list[str]:
    found: list[str] = []

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)
        except (AssertionError, FailureGroup) as failure:  # how schemathesis reports failed checks
            found.append(f"{operation.label}: {str(failure)[:800]}")

    run()
    return found


def test_no_operation_answers_5xx_or_outside_its_schema(api_url: str, tenants: Tenants) -> None:
    schema = schemathesis.openapi.from_url(f"{api_url}/schema/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for headers in (tenants.acme.auth, tenants.operator):
            failures += _fuzz(operation, api_url, headers)
    assert not failures, "\n\n".join(dict.fromkeys(failures))
