"""The dashboard in a real browser: headless Debian Chromium driven by Playwright.

The tests serve the API on the session's test database (queue tiers lowered
to 3/50/100), start two dashboards against it (an operator's and a viewer's)
and check what a person would see and do.  Screenshots land in
artifacts/dashboard/.
"""

from __future__ import annotations

import io
import json
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.async_api import BrowserContext, Page, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.settings import Settings
from tests.conftest import Tenants
from tests.support.jobs import poll
from tests.support.served import Served, serve_api, serve_dashboard, service_token
from tests.support.workers import ROOT

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "artifacts" / "dashboard"
UI_TIMEOUT_MS = 20_000
WARM_UP_MS = 90_000
RUNBOOK = "# Queue depth runbook\n\nDrain the backlog: scale workers out, then check the oldest job.\n"

expect.set_options(timeout=UI_TIMEOUT_MS)  # the first page load imports Streamlit's stack on a busy machine

if not CHROMIUM.exists():  # scripts/bootstrap.sh installs it
    pytest.skip("Debian chromium is not installed (run make bootstrap)", allow_module_level=True)


def _report_folder(root: Path) -> None:
    """One load-run report as the harness writes it, with a real PNG chart."""
    run = root / "load" / "run-0001"
    run.mkdir(parents=True)
    chart = io.BytesIO()
    Image.new("RGB", (320, 160), (30, 120, 200)).save(chart, format="PNG")
    (run / "throughput.png").write_bytes(chart.getvalue())
    report = {
        "kind": "load",
        "name": "steady 50 jobs/min",
        "run_id": "run-0001",
        "started_at": "2026-11-20T10:00:00+00:00",
        "finished_at": "2026-11-20T10:10:00+00:00",
        "verdict": "pass",
        "items": [{"name": "p95 job duration s", "value": 41.5, "target": 300, "verdict": "pass"}],
        "charts": ["throughput.png"],
    }
    (run / "report.json").write_text(json.dumps(report))
    (run / "summary.md").write_text("# steady 50 jobs/min\n\nAll targets met.\n")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard-files")
    _report_folder(root / "reports")
    (root / "runbooks").mkdir()
    (root / "runbooks" / "queue-depth.md").write_text(RUNBOOK)
    return root


@pytest.fixture(scope="module")
def api(migrated: Settings, files: Path) -> Iterator[Served]:
    served = serve_api(
        migrated,
        ICP_OPS_DEGRADED_AT="3",
        ICP_OPS_CRITICAL_AT="50",
        ICP_OPS_OVERLOAD_AT="100",
        ICP_REPORTS_DIR=str(files / "reports"),
        ICP_DASHBOARD_RUNBOOKS_DIR=str(files / "runbooks"),
    )
    try:
        yield served.wait_ready()
    finally:
        served.stop()


@pytest.fixture(scope="module")
def operator_token(migrated: Settings) -> str:
    return service_token(migrated, "operator", "dashboard-test-operator")


@pytest.fixture(scope="module")
def dashboards(api: Served, migrated: Settings, operator_token: str) -> Iterator[dict[str, Served]]:
    viewer_token = service_token(migrated, "viewer", "dashboard-test-viewer")
    started = {
        "operator": serve_dashboard("dashboard-operator", api.url, operator_token),
        "viewer": serve_dashboard("dashboard-viewer", api.url, viewer_token),
    }
    try:
        yield {role: served.wait_ready() for role, served in started.items()}
    finally:
        for served in started.values():
            served.stop()


@pytest.fixture(scope="module")
async def browser(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BrowserContext]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 1700},
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        yield context
        await context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
async def warm(browser: BrowserContext, dashboards: dict[str, Served]) -> None:
    """Load each dashboard once: its first session imports the whole app, which is slow on a busy machine."""
    first = await browser.new_page()
    for served in dashboards.values():
        await first.goto(served.url)
        await expect(first.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=WARM_UP_MS)
    await first.close()


@pytest.fixture
async def page(browser: BrowserContext, warm: None) -> AsyncIterator[Page]:
    opened = await browser.new_page()
    yield opened
    await opened.close()


@pytest.fixture
async def ops_api(api: Served, operator_token: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {operator_token}"}
    async with httpx.AsyncClient(base_url=api.url, headers=headers, timeout=10) as client:
        yield client


async def _submit(api: Served, tenants: Tenants, vendor: str = "acme") -> str:
    chosen = getattr(tenants, vendor)
    async with httpx.AsyncClient(base_url=api.url, headers=chosen.auth, timeout=10) as client:
        response = await client.post("/api/v1/imports", json={"integration_id": str(chosen.integration_id)})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job"]["id"]
    return job_id


async def _open(page: Page, served: Served, path: str, title: str) -> None:
    await page.goto(f"{served.url}/{path}")
    await expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


async def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await expect(page.get_by_test_id("stException")).to_have_count(0)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_overview_shows_the_tier_in_words_and_follows_a_flood(
    page: Page, dashboards: dict[str, Served], api: Served, tenants: Tenants
) -> None:
    await _open(page, dashboards["operator"], "", "Overview")
    tier = page.locator('[data-testid="queue-tier"]')
    await expect(tier).to_contain_text("Queue health: HEALTHY")
    for _ in range(4):  # depth 4 >= the lowered Degraded threshold of 3 (no worker drains the queue)
        await _submit(api, tenants)
    await expect(tier).to_contain_text("Queue health: DEGRADED")
    await expect(tier).to_contain_text("depth 4")
    await expect(page.get_by_text("BASIC jobs deferred")).to_be_visible()
    await _shot(page, "overview")


async def test_jobs_page_finds_a_job_and_shows_its_timeline(
    page: Page, dashboards: dict[str, Served], api: Served, tenants: Tenants, ops_api: httpx.AsyncClient
) -> None:
    await _submit(api, tenants, "beans")
    job_id = await _submit(api, tenants, "acme")
    events = (await ops_api.get(f"/api/v1/imports/{job_id}/events")).json()["items"]
    await _open(page, dashboards["operator"], "jobs?q=acme", "Jobs")
    await expect(page.get_by_text(f"Job {job_id}")).to_be_visible()
    await expect(page.get_by_text("1 job(s), newest first")).to_be_visible()
    timeline = page.get_by_text("Timeline")
    await expect(timeline).to_be_visible()
    grid_text = page.locator('[data-testid="stDataFrame"]').last
    await expect(grid_text).to_be_visible()
    await expect(page.get_by_text("Cancel job")).to_be_visible()
    assert events, "the API recorded no event for a submitted job"
    await _shot(page, "jobs")


async def test_operator_retries_a_dead_job_from_the_ui(
    page: Page,
    dashboards: dict[str, Served],
    api: Served,
    tenants: Tenants,
    ops_api: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    job_id = await _submit(api, tenants)
    async with sessions() as session:  # a job that exhausted its attempts
        await session.execute(
            sa.text("UPDATE import_jobs SET status = 'FAILED', finished_at = now(), last_error = :e WHERE id = :id"),
            {"e": "provider kept answering 500", "id": uuid.UUID(job_id)},
        )
        await session.commit()
    await _open(page, dashboards["operator"], "jobs", "Jobs")
    await expect(page.get_by_text("Last error: provider kept answering 500")).to_be_visible()
    await page.get_by_role("button", name="Retry job").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="Confirm").click()

    async def requeued() -> str | None:
        status: str = (await ops_api.get(f"/api/v1/imports/{job_id}")).json()["status"]
        return status if status in ("PENDING", "QUEUED") else None

    assert await poll(requeued, timeout_s=15, what="the retried job to be queued again") in ("PENDING", "QUEUED")
    await expect(page.get_by_text(f"Retry job {job_id[:8]}: done.")).to_be_visible()


async def test_operator_pause_from_the_ui_reaches_the_api(
    page: Page, dashboards: dict[str, Served], ops_api: httpx.AsyncClient, tenants: Tenants
) -> None:
    await _open(page, dashboards["operator"], "", "Overview")
    await page.get_by_role("button", name="Pause the whole queue").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Reason (kept in the audit trail)").fill("browser test: provider incident")
    await dialog.get_by_role("button", name="Confirm").click()

    async def queue_paused() -> dict[str, str] | None:
        paused = (await ops_api.get("/api/v1/ops/state")).json()["paused"]
        return next((pause for pause in paused if pause["key"] == "queue"), None)

    pause = await poll(queue_paused, timeout_s=15, what="the queue pause in GET /ops/state")
    assert pause["reason"] == "browser test: provider incident"
    assert pause["actor"] == "jwt:dashboard-test-operator"
    await expect(page.get_by_text("Paused: queue")).to_be_visible()
    await expect(page.get_by_role("button", name="Resume the whole queue")).to_be_visible()


async def test_viewer_sees_the_data_but_no_action(
    page: Page, dashboards: dict[str, Served], api: Served, tenants: Tenants
) -> None:
    await _submit(api, tenants)
    viewer = dashboards["viewer"]
    await _open(page, viewer, "", "Overview")
    await expect(page.get_by_text("Read-only: jwt:dashboard-test-viewer")).to_be_visible()
    await expect(page.locator('[data-testid="queue-tier"]')).to_contain_text("HEALTHY")
    await expect(page.get_by_role("button", name="Pause the whole queue")).to_have_count(0)
    await _open(page, viewer, "jobs", "Jobs")
    await expect(page.get_by_text("Timeline")).to_be_visible()
    await expect(page.get_by_role("textbox", name="Search")).to_be_visible()
    for action in ("Cancel job", "Retry job", "Retry all dead"):
        await expect(page.get_by_role("button", name=action)).to_have_count(0)
    await _shot(page, "jobs-viewer")


async def test_runbook_renders_and_a_missing_one_says_so(
    page: Page, dashboards: dict[str, Served], tenants: Tenants
) -> None:
    await _open(page, dashboards["operator"], "alarms?runbook=queue-depth", "Alarms & runbooks")
    await expect(page.get_by_role("heading", name="Queue depth runbook")).to_be_visible()
    await expect(page.get_by_text("Drain the backlog")).to_be_visible()
    await _shot(page, "alarms")
    await _open(page, dashboards["operator"], "alarms?runbook=worker-count-low", "Alarms & runbooks")
    await expect(page.get_by_text("No runbook yet for worker-count-low")).to_be_visible()


async def test_other_pages_render_real_data(page: Page, dashboards: dict[str, Served], tenants: Tenants) -> None:
    operator = dashboards["operator"]
    await _open(page, operator, "drills", "Drills & load runs")
    await expect(page.get_by_text("steady 50 jobs/min — PASS")).to_be_visible()
    await expect(page.get_by_role("img", name="throughput.png")).to_be_visible()
    await _shot(page, "drills")
    await _open(page, operator, "slos", "SLOs")
    await expect(page.get_by_text("SLO breach(es)")).to_be_visible()
    await expect(page.get_by_text("steady 50 jobs/min")).to_be_visible()
    await _shot(page, "slos")
    await _open(page, operator, "workers", "Workers & scaling")
    await expect(page.get_by_text("Live workers")).to_be_visible()
    await expect(page.get_by_text("No live worker")).to_be_visible()  # none runs in this test
    await _shot(page, "workers")
    await _open(page, operator, "providers", "Providers")
    await expect(page.get_by_text("Recent provider error ratio")).to_be_visible()
    await _shot(page, "providers")
