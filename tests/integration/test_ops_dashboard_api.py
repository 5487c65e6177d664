"""The API routes the dashboard needs: history, job search, companies, reports, runbooks, and the viewer role."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.api.app import create_app
from control_plane.domain.errors import InvalidRequest
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Role
from control_plane.services.tenants import TenantService
from control_plane.settings import DashboardSettings, ReportSettings, Settings
from tests.conftest import Tenants
from tests.support.job_history import Event, History
from tests.support.served import service_token

pytestmark = pytest.mark.integration
OPS = "/api/v1/ops"
IMPORTS = "/api/v1/imports"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _db_now(sessions: async_sessionmaker[AsyncSession]) -> datetime:
    async with sessions() as session:
        now: datetime = (await session.execute(sa.select(sa.func.now()))).scalar_one()
        return now


async def _submit(client: AsyncTestClient, tenants: Tenants, vendor: str) -> str:  # type: ignore[type-arg]
    chosen = getattr(tenants, vendor)
    response = await client.post(IMPORTS, json={"integration_id": str(chosen.integration_id)}, headers=chosen.auth)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job"]["id"]
    return job_id


async def test_history_buckets_queue_states_outcomes_and_percentiles(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = await _db_now(sessions)
    history = History(tenants.acme)
    finished_from = now - timedelta(minutes=35)
    for run_s, status in ((10, JobStatus.COMPLETED), (20, JobStatus.COMPLETED), (30, JobStatus.COMPLETED)):
        history.job(
            finished_from, status, [], started_at=finished_from, finished_at=finished_from + timedelta(seconds=run_s)
        )
    history.job(
        finished_from, JobStatus.FAILED, [], started_at=finished_from, finished_at=finished_from + timedelta(seconds=40)
    )
    history.job(now - timedelta(minutes=15), JobStatus.RUNNING, [], started_at=now - timedelta(minutes=15))
    history.job(now - timedelta(minutes=5), JobStatus.QUEUED, [Event("queued", now - timedelta(minutes=5))])
    await history.save(sessions)

    response = await client.get(f"{OPS}/history", params={"since": "1h", "step_s": 600}, headers=tenants.operator)
    assert response.status_code == 200, response.text
    body = response.json()
    points: list[dict[str, Any]] = body["points"]
    assert body["step_s"] == 600
    assert len(points) == 6
    finished = points[2]  # [now-40m, now-30m)
    assert (finished["completed"], finished["failed"]) == (3, 1)
    assert finished["success_rate"] == pytest.approx(0.75)
    assert finished["duration_p50_s"] == pytest.approx(25.0)
    assert finished["duration_p95_s"] == pytest.approx(38.5)
    assert finished["duration_p99_s"] == pytest.approx(39.7)
    assert finished["throughput_per_min"] == pytest.approx(0.4)
    assert [p["dead"] for p in points] == [0, 0, 1, 1, 1, 1]
    assert [p["active"] for p in points] == [0, 0, 0, 0, 1, 1]
    assert [p["waiting"] for p in points] == [0, 0, 0, 0, 0, 1]
    assert all(p["success_rate"] is None for i, p in enumerate(points) if i != 2)


async def test_job_search_filters_across_companies_and_names_the_company(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
) -> None:
    acme_job = await _submit(client, tenants, "acme")
    beans_job = await _submit(client, tenants, "beans")
    search = f"{OPS}/jobs/search"

    basic = (await client.get(search, params={"tier": "BASIC"}, headers=tenants.operator)).json()["items"]
    assert [(hit["job"]["id"], hit["company"]["slug"]) for hit in basic] == [(beans_job, "beans-co")]
    by_name = (await client.get(search, params={"q": "ACME"}, headers=tenants.operator)).json()["items"]
    assert [hit["job"]["id"] for hit in by_name] == [acme_job]
    by_prefix = (await client.get(search, params={"q": beans_job[:8]}, headers=tenants.operator)).json()["items"]
    assert [hit["job"]["id"] for hit in by_prefix] == [beans_job]
    params = {"provider": "shopify", "company_id": str(tenants.beans.company_id)}
    assert (await client.get(search, params=params, headers=tenants.operator)).json()["items"] == []
    everything = (await client.get(search, headers=tenants.operator)).json()["items"]
    assert {hit["job"]["id"] for hit in everything} == {acme_job, beans_job}

    bad = await client.get(search, params={"tier": "GOLD"}, headers=tenants.operator)
    assert bad.status_code == 400 and "tier" in bad.text
    vendor = await client.get(search, headers=tenants.acme.auth)
    assert vendor.status_code == 403
    assert vendor.headers["content-type"].startswith("application/problem+json")
    companies = (await client.get(f"{OPS}/companies", headers=tenants.operator)).json()["items"]
    assert [(c["slug"], c["tier"]) for c in companies] == [("acme-co", "PRO"), ("beans-co", "BASIC")]


async def test_viewer_reads_everything_and_changes_nothing(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    job_id = await _submit(client, tenants, "acme")
    async with sessions() as session:
        key = (
            await TenantService(session, settings.auth.api_key_pepper.get_secret_value()).issue_key(
                company=None, role=Role.VIEWER, name="wallboard"
            )
        ).key
        await session.commit()
    for viewer in (_bearer(key), _bearer(service_token(settings, "viewer", "wallboard-jwt"))):
        assert (await client.get(f"{OPS}/whoami", headers=viewer)).json()["role"] == "viewer"
        for path in ("/state", "/workers", "/alarms", "/history", "/jobs/search", "/companies", "/reports"):
            response = await client.get(OPS + path, headers=viewer)
            assert response.status_code == 200, (path, response.text)
        assert (await client.get(f"{IMPORTS}/{job_id}", headers=viewer)).status_code == 200
        for path, body in (
            (f"{OPS}/pause", {"scope": "queue", "reason": "x"}),
            (f"{OPS}/retry-dead", {}),
            (f"{IMPORTS}/{job_id}/cancel", {}),
            (IMPORTS, {"integration_id": str(tenants.acme.integration_id)}),
        ):
            refused = await client.post(path, json=body, headers=viewer)
            assert refused.status_code == 403, (path, refused.text)
            assert "read-only" in refused.json()["detail"]
    state = (await client.get(f"{OPS}/state", headers=tenants.operator)).json()
    assert state["paused"] == []
    assert (await client.get(f"{IMPORTS}/{job_id}", headers=tenants.operator)).json()["status"] != "CANCELLED"
    async with sessions() as session:
        service = TenantService(session, settings.auth.api_key_pepper.get_secret_value())
        with pytest.raises(InvalidRequest, match="give no company"):
            await service.issue_key(company=await service.company("acme-co"), role=Role.VIEWER, name="x")


@pytest.fixture
async def files_client(migrated: Settings, clean: None, tmp_path: Path) -> Any:
    reports, runbooks = tmp_path / "reports", tmp_path / "runbooks"
    run = reports / "chaos" / "drill-7"
    run.mkdir(parents=True)
    (run / "report.json").write_text(
        json.dumps(
            {
                "kind": "chaos",
                "name": "redis failover",
                "verdict": "fail",
                "started_at": "2026-11-20T10:00:00+00:00",
                "charts": ["a.png"],
            }
        )
    )
    (run / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (reports / "load" / "broken").mkdir(parents=True)
    (reports / "load" / "broken" / "report.json").write_text("{not json")
    runbooks.mkdir()
    (runbooks / "queue-depth.md").write_text("# Queue depth\n")
    (runbooks / "README.md").write_text("index")
    tuned = replace(migrated, reports=ReportSettings(dir=reports), dashboard=DashboardSettings(runbooks_dir=runbooks))
    async with AsyncTestClient(app=create_app(tuned)) as test_client:
        yield test_client


async def test_reports_and_runbooks_are_served_and_paths_stay_inside(files_client: Any, tenants: Tenants) -> None:
    get = files_client.get
    listed = (await get(f"{OPS}/reports", headers=tenants.operator)).json()["items"]
    assert [(r["kind"], r["run_id"], r.get("verdict")) for r in listed] == [
        ("chaos", "drill-7", "fail"),
        ("load", "broken", None),
    ]
    assert "unreadable" in listed[1]["error"]
    one = (await get(f"{OPS}/reports/chaos/drill-7", headers=tenants.operator)).json()
    assert one["report"]["name"] == "redis failover" and one["summary_md"] is None
    chart = await get(f"{OPS}/reports/chaos/drill-7/charts/a.png", headers=tenants.operator)
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    for path, status in (
        ("/reports/other/drill-7", 422),
        ("/reports/chaos/drill..7", 422),
        ("/reports/chaos/drill-7/charts/..%2F..%2Fsecret.png", 404),  # no route: never a file outside
        ("/reports/chaos/drill-7/charts/report.json", 422),
        ("/reports/chaos/nope", 404),
        ("/runbooks/no-such-alarm", 404),
        ("/runbooks/..%2Fsecret", 404),
        ("/runbooks/Bad.Name", 422),
    ):
        response = await get(OPS + path, headers=tenants.operator)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await get(f"{OPS}/runbooks", headers=tenants.operator)).json()["items"] == ["queue-depth"]
    assert (await get(f"{OPS}/runbooks/queue-depth", headers=tenants.operator)).json()["markdown"] == "# Queue depth\n"
    assert (await get(f"{OPS}/runbooks", headers=tenants.acme.auth)).status_code == 403
