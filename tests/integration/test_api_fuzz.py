"""The fuzz gate: schemathesis, every check and every phase, against the running API as three callers.

The API runs as a real process on this session's database and Redis db. The
schemathesis command line runs its four phases (the schema's examples,
boundary coverage, random fuzzing, and stateful sequences that follow the
document's OpenAPI links, e.g. create an integration, import from it, read,
cancel and retry the job) with every check it has: no 5xx, every status and
header documented, every body in its schema, schema-violating input refused,
schema-valid input accepted, authentication enforced, and so on.

- **vendor**: a company's key; operator operations must answer 403.
- **operator**: acting on a disposable company (its id is every ``company_id``
  the fuzzer sends) that has queued jobs to act on.
- **no key**: every protected operation must answer 401, the public ones work.

A run fails on any failed check; the gate also fails if any operation of the
document went untested. Generation is deterministic, so a failure reproduces.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from control_plane.settings import Settings
from harness.settings import SimulatorSettings
from tests.conftest import Tenants
from tests.support.broken_api import BROKEN_PATH, BROKEN_STATUS
from tests.support.processes import served

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 12
RUN_TIMEOUT_S = 900
ACCEPTED_VALID = ["2xx", "401", "403", "404", "409", "422", "429"]
"""What a schema-valid request may get: 422 is a rule the schema cannot state (an unknown
integration, a mapping missing a required target), documented on every operation."""


def _config(company_id: uuid.UUID | None) -> str:
    """The run's schemathesis.toml.

    The long-poll answers at once (its waits are tested elsewhere), and an operator's
    ``base_url`` is the simulator's, so every call the API makes stays on loopback.
    """
    lines = [
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        "deterministic = true",
        "",
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {ACCEPTED_VALID!r}".replace("'", '"'),
        "",
        "[parameters]",
        '"query.wait" = 0',
        f'"body.base_url" = "{SimulatorSettings().shopify_base}/shopify/fuzz"',
    ]
    if company_id is not None:
        lines += [f'"query.company_id" = "{company_id}"', f'"body.company_id" = "{company_id}"']
    return "\n".join(lines) + "\n"


def _api_env(migrated: Settings) -> dict[str, str]:
    """The API on this session's stores; every provider account it derives lives on the simulator (loopback)."""
    simulator = SimulatorSettings()
    return {
        "ICP_DB_NAME": migrated.database.name,
        "ICP_REDIS_DATABASE": str(migrated.redis.database),
        "ICP_REDIS_QUEUE_NAME": migrated.redis.queue_name,
        "ICP_PROVIDER_ROASTIFY_BASE_URL": f"{simulator.roastify_base}/roastify/fuzz",
        "ICP_PROVIDER_SHOPIFY_SHOP_URL": f"{simulator.shopify_base}/shopify/{{shop}}",
    }


@pytest.fixture(scope="module")
def api_url(migrated: Settings) -> Iterator[str]:
    with served("fuzzed-api", "control_plane.api.app", "/health/live", _api_env(migrated)) as port:
        yield f"http://127.0.0.1:{port}"


def _queue_jobs(api_url: str, tenants: Tenants, count: int) -> None:
    """Jobs for the operator to find, cancel and retry (no worker runs, so they stay queued)."""
    for n in range(count):
        answer = httpx.post(
            f"{api_url}/api/v1/imports",
            json={"integration_id": str(tenants.acme.integration_id), "correlation_id": f"fuzz-seed-{n}"},
            headers=tenants.acme.auth,
            timeout=30,
        )
        assert answer.status_code == 202, answer.text


def _operations(api_url: str) -> set[str]:
    document = httpx.get(f"{api_url}/schema/openapi.json", timeout=30).json()
    methods = {"get", "put", "post", "delete", "patch"}
    return {f"{m.upper()} {path}" for path, item in document["paths"].items() for m in item if m in methods}


def _tested(junit: Path) -> set[str]:
    return {case.attrib["name"] for case in ET.parse(junit).getroot().iter("testcase")}  # noqa: S314 - our own run


def _schemathesis(
    api_url: str, config: Path, junit: Path, headers: dict[str, str], *only: str
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", *only]
    argv += [f"{api_url}/schema/openapi.json", "--checks", "all", "--request-timeout", "30", "--no-color"]
    argv += ["--report", "junit", "--report-junit-path", str(junit)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    return subprocess.run(  # noqa: S603 - our own interpreter; its cache stays out of the checkout
        argv, cwd=config.parent, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )


@pytest.mark.parametrize("caller", ["vendor", "operator", "no key"])
def test_fuzzing_finds_no_failure_on_any_operation(api_url: str, tenants: Tenants, caller: str, tmp_path: Path) -> None:
    headers = {"vendor": tenants.acme.auth, "operator": tenants.operator, "no key": {}}[caller]
    disposable = tenants.acme.company_id if caller == "operator" else None
    _queue_jobs(api_url, tenants, count=3)
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(disposable), encoding="utf-8")
    junit = tmp_path / "junit.xml"

    run = _schemathesis(api_url, config, junit, headers)

    assert run.returncode == 0, f"schemathesis as {caller} failed:\n{run.stdout[-12000:]}\n{run.stderr[-2000:]}"
    untested = _operations(api_url) - _tested(junit)
    assert not untested, f"operations never exercised as {caller}: {sorted(untested)}"


def test_the_gate_fails_on_an_undocumented_status(migrated: Settings, tenants: Tenants, tmp_path: Path) -> None:
    """The same run against an API with one planted defect (tests.support.broken_api) must fail, naming it."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(None), encoding="utf-8")
    with served("broken-api", "tests.support.broken_api", "/health/live", _api_env(migrated)) as port:
        only = ("--include-name", f"GET {BROKEN_PATH}")
        run = _schemathesis(f"http://127.0.0.1:{port}", config, tmp_path / "junit.xml", tenants.acme.auth, *only)
    assert run.returncode != 0, run.stdout[-4000:]
    assert "ST103 Undocumented status code" in run.stdout and f"Received: {BROKEN_STATUS}" in run.stdout, run.stdout[
        -4000:
    ]
