"""Hostile providers: real imports from a simulator shop whose answers attack the importer.

Every hostile image must end as that image's recorded failure with a reason
while the job completes; every hostile product page must fail the job at once
with a reason that names the problem.  Nothing may crash a worker, hang a job
or lose it.  Limits are lowered for the workers (1 MiB bodies, 3 s per image)
so the cases run in seconds; the rules are the production ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from control_plane.db.models import ProductImage
from control_plane.domain.providers import Provider
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.settings import Settings
from loadtests.simulator.hostile_images import IMAGE_CASES
from tests.conftest import OPERATOR, secret_box
from tests.integration.conftest import IMPORTS, Rig
from tests.support.jobs import wait_for_status
from tests.support.processes import HostileSimulator, hostile_simulator

pytestmark = pytest.mark.integration

LIMIT_BYTES = str(1024 * 1024)
EXPECTED_IMAGE_REASONS: dict[str, set[str]] = {
    "ok": set(),
    "redirect_metadata": {"address"},
    "redirect_loopback": {"address"},
    "redirect_private_dns": {"address"},
    "private_dns": {"address"},
    "endless": {"too_large"},
    "huge_declared": {"too_large"},
    "trickle": {"timeout"},
    "gzip_bomb": {"too_large"},
    "pixel_bomb": {"bomb"},
    "polyglot_png_html": {"format"},
    "polyglot_gif_js": {"format", "decode", "bomb"},  # its "size" is whatever the script text spells
    "html_as_jpeg": {"format"},
    "svg_script": {"format"},
}
EXPECTED_JOB_ERRORS = {
    "deep_json": "nested deeper than",
    "deep_json_parsable": "nested deeper than",
    "huge_json": "byte limit",
    "endless_json": "byte limit",
    "not_json": "not JSON",
    "bad_cursor": "cursor is not a non-empty string",
    "bad_node": "unexpected product node shape",
}


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileSimulator]:
    with hostile_simulator() as simulator:
        yield simulator


def _worker_env(hostile: HostileSimulator) -> dict[str, str]:
    return {
        "ICP_IMAGES_ALLOW_HOSTS": f"127.0.0.1:{hostile.port}",
        "ICP_IMAGES_MAX_BYTES": LIMIT_BYTES,
        "ICP_IMAGES_TOTAL_TIMEOUT_S": "3",
        "ICP_IMAGES_READ_TIMEOUT_S": "2",
        "ICP_PROVIDER_MAX_RESPONSE_BYTES": LIMIT_BYTES,
        "ICP_PROVIDER_RESPONSE_TIMEOUT_S": "10",
    }


async def _hostile_import(rig: Rig, settings: Settings, hostile: HostileSimulator, case: str) -> uuid.UUID:
    """A Shopify integration of acme's on a hostile shop, and one import submitted from it."""
    shop = f"hostile-{case.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    hostile.turn_on(shop, case)
    async with rig.sessions() as session:
        service = IntegrationService(session, actor=OPERATOR, secrets=secret_box(settings))
        integration = await service.create(
            NewIntegration(
                provider=Provider.SHOPIFY,
                name=shop,
                credential=f"shpat_sim_{shop}",
                account_settings={},
                base_url=hostile.shop_base(shop),
                company_id=rig.tenants.acme.company_id,
            )
        )
        await session.commit()
    body = {"integration_id": str(integration.id), "options": {}}
    response = await rig.client.post(IMPORTS, json=body, headers=rig.tenants.acme.auth)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["job"]["id"])


async def test_every_hostile_image_fails_alone_with_its_reason(
    rig: Rig, settings: Settings, hostile: HostileSimulator
) -> None:
    rig.start_workers(1, **_worker_env(hostile))
    job_id = await _hostile_import(rig, settings, hostile, "images")
    job = await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED", timeout_s=90)
    assert job.status.value == "COMPLETED", job.last_error
    assert (job.images_total, job.images_processed, job.images_failed) == (len(IMAGE_CASES), 1, len(IMAGE_CASES) - 1)
    async with rig.sessions() as session:
        rows = (
            await session.execute(sa.select(ProductImage.source_url, ProductImage.status, ProductImage.error))
        ).all()
    outcomes = {_case_of(url): (status, (error or "").split(":")[0]) for url, status, error in rows}
    assert set(outcomes) == set(IMAGE_CASES)
    for case, reasons in EXPECTED_IMAGE_REASONS.items():
        status, reason = outcomes[case]
        if not reasons:
            assert status == "stored", f"{case}: {reason}"
        else:
            assert status == "failed" and reason in reasons, f"{case}: {status} {reason}"


def _case_of(url: str) -> str:
    if url.startswith("http://localhost:"):
        return "private_dns"
    return url.split("/_hostile/images/")[1].split("/")[0]


async def test_every_hostile_product_page_fails_its_job_with_the_reason(
    rig: Rig, settings: Settings, hostile: HostileSimulator
) -> None:
    """One worker runs every case at once: each job fails on its first attempt, the worker lives on."""
    (worker,) = rig.start_workers(1, **_worker_env(hostile))
    jobs = {case: await _hostile_import(rig, settings, hostile, case) for case in sorted(EXPECTED_JOB_ERRORS)}
    wrong = []
    for case, job_id in jobs.items():
        job = await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED", timeout_s=60)
        error = job.last_error or ""
        if job.status.value != "FAILED" or job.attempt_count != 1 or EXPECTED_JOB_ERRORS[case] not in error:
            wrong.append(f"{case}: {job.status.value} after {job.attempt_count} attempt(s): {error}")
    assert not wrong, "\n".join(wrong)
    assert worker.alive(), "the worker survives every hostile page"
