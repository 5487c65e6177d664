"""The submit figure without a stack: which API limits it raises, and the rows its baseline writes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from control_plane.domain.idempotency import request_fingerprint
from control_plane.settings import LimitSettings, OpsSettings
from loadtests.bench.bench_submit import limit_overrides
from loadtests.bench.raw_submit import JobTemplate
from loadtests.bench.submit_clients import SubmitRun, Vendor

LIMITS = LimitSettings(max_active_imports=1_000, api_burst=1_000)
OPS = OpsSettings(degraded_at=1_000, critical_at=5_000, overload_at=10_000)


def test_nothing_is_raised_when_the_defaults_admit_every_submission() -> None:
    assert limit_overrides(LIMITS, OPS, per_vendor=11, depth=2_008) == {}


def test_a_vendor_with_more_active_jobs_than_its_quota_gets_the_quota_raised() -> None:
    overrides = limit_overrides(LIMITS, OPS, per_vendor=1_500, depth=1_500)
    assert overrides == {"ICP_LIMITS_MAX_ACTIVE_IMPORTS": "1500", "ICP_LIMITS_API_BURST": "1500"}


def test_a_queue_deep_enough_to_refuse_pro_imports_gets_the_critical_tier_moved_past_it() -> None:
    overrides = limit_overrides(LIMITS, OPS, per_vendor=30, depth=6_000)
    assert overrides == {"ICP_OPS_CRITICAL_AT": "6001", "ICP_OPS_OVERLOAD_AT": "10000"}
    deeper = limit_overrides(LIMITS, OPS, per_vendor=60, depth=12_000)
    assert deeper == {"ICP_OPS_CRITICAL_AT": "12001", "ICP_OPS_OVERLOAD_AT": "12001"}
    # the raised thresholds still rise, as OpsSettings and Thresholds require
    assert OPS.degraded_at <= int(deeper["ICP_OPS_CRITICAL_AT"]) <= int(deeper["ICP_OPS_OVERLOAD_AT"])


def test_the_baseline_row_is_the_api_row_with_its_own_ids_fingerprint_and_queue_time() -> None:
    api_job = uuid.uuid4()
    values = {
        "id": api_job,
        "company_id": uuid.uuid4(),
        "integration_id": uuid.uuid4(),
        "status": "QUEUED",
        "tier": "PRO",
        "options": {"include_images": False},
        "max_attempts": 4,
        "correlation_id": str(api_job),
        "request_fingerprint": "api",
        "queued_at": datetime(2026, 1, 1, tzinfo=UTC),
        "requested_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    template = JobTemplate(tuple(name for name in values if name != "requested_at"), values, [])
    vendor = Vendor(uuid.uuid4(), uuid.uuid4(), "key")
    job_id = uuid.uuid4()
    row = dict(zip(template.columns, template.row(job_id, vendor), strict=True))
    assert (row["id"], row["company_id"], row["integration_id"]) == (job_id, vendor.company_id, vendor.integration_id)
    assert row["correlation_id"] == str(job_id)
    assert row["request_fingerprint"] == request_fingerprint(
        {"integration_id": str(vendor.integration_id), "options": {"include_images": False}}
    )
    assert row["queued_at"] != values["queued_at"]  # stamped when written, not copied
    assert row["queued_at"].tzinfo is not None
    assert (row["status"], row["tier"], row["options"], row["max_attempts"]) == (
        "QUEUED",
        "PRO",
        {"include_images": False},
        4,
    )
    assert "requested_at" not in template.insert_sql


def test_a_submit_run_counts_only_accepted_submissions_in_its_rate_and_latencies() -> None:
    run = SubmitRun(attempted=4, seconds=2.0, latencies_s=[0.1, 0.3, 0.2], statuses={"202": 3, "503": 1})
    assert run.accepted == 3
    assert run.per_second == 1.5
    assert run.latency_ms(0.5) == 200.0
    assert run.latency_ms(0.95) == 300.0
    assert SubmitRun(attempted=1, seconds=1.0, latencies_s=[]).latency_ms(0.5) is None
