"""Jobs: search every company's jobs, open one for its progress and timeline, retry or cancel it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.live import can_act, client, read, settings
from dashboard.widgets import ago, confirm, product_count

STATUSES = ["PENDING", "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]
PROVIDERS = ["shopify", "roastify"]
TIERS = ["ENTERPRISE", "PRO", "BASIC"]
RETRYABLE = {"FAILED", "CANCELLED"}
CANCELLABLE = {"PENDING", "QUEUED", "RUNNING"}


def render() -> None:
    st.title("Jobs")
    companies = read("companies", client().companies) or []
    names = {company["id"]: f"{company['name']} ({company['slug']})" for company in companies}
    row = st.columns([2, 1, 1, 1, 2])
    wanted = st.query_params  # /jobs?q=acme&status=FAILED... links straight to a filtered list
    text = row[0].text_input(
        "Search", value=wanted.get("q", ""), placeholder="company name/slug or job id prefix", key="jobs_q"
    )
    status = row[1].selectbox("Status", STATUSES, index=_at(STATUSES, wanted.get("status")), key="jobs_status")
    provider = row[2].selectbox(
        "Provider", PROVIDERS, index=_at(PROVIDERS, wanted.get("provider")), key="jobs_provider"
    )
    tier = row[3].selectbox("Tier", TIERS, index=_at(TIERS, wanted.get("tier")), key="jobs_tier")
    company = row[4].selectbox(
        "Company",
        list(names),
        index=_at(list(names), wanted.get("company_id")),
        format_func=names.__getitem__,
        key="jobs_company",
    )
    filters = {"q": text or None, "status": status, "provider": provider, "tier": tier, "company_id": company}
    _results(filters)
    # Choices and buttons live outside the auto-refreshing fragments, so a refresh never closes a dialog.
    rows = [_row(hit) for hit in _search(filters)]
    if rows:
        labels = {row["id"]: f"{row['id'][:8]} · {row['company']} · {row['status']}" for row in rows}
        chosen = st.selectbox("Open job", list(labels), format_func=labels.__getitem__, key="jobs_open")
        if chosen:
            _detail(chosen)
            _job_actions(chosen)
    if can_act():
        _retry_dead(company, names, provider)


def _at(options: list[str], wanted: str | None) -> int | None:
    """The index of a filter given in the URL; None (any) otherwise."""
    return options.index(wanted) if wanted in options else None


def _search(filters: dict[str, Any]) -> list[dict[str, Any]]:
    return read("jobs", lambda: client().search_jobs(**filters, limit=100)) or []


@st.fragment(run_every=settings().refresh_s)
def _results(filters: dict[str, Any]) -> None:
    rows = [_row(hit) for hit in _search(filters)]
    st.caption(f"{len(rows)} job(s), newest first")
    st.dataframe(rows, hide_index=True, height=260)


def _row(hit: dict[str, Any]) -> dict[str, Any]:
    job, company = hit["job"], hit["company"]
    return {
        "id": job["id"],
        "company": company["name"],
        "tier": job["tier"],
        "provider": job["provider"],
        "status": job["status"],
        "products": product_count(job["progress"], job["status"]),
        "attempts": f"{job['attempt_count']}/{job['max_attempts']}",
        "requested": ago(job["requested_at"]),
        "last error": job["last_error"] or "",
    }


@st.fragment(run_every=settings().refresh_s)
def _detail(job_id: str) -> None:
    job = read(f"job:{job_id}", lambda: client().job(job_id))
    events = read(f"events:{job_id}", lambda: client().job_events(job_id)) or []
    if job is None:
        return
    st.subheader(f"Job {job_id}")
    progress = job["progress"]
    total = progress["products_total"] or 0
    done = progress["products_processed"]
    finished = 1.0 if job["status"] == "COMPLETED" else 0.0
    fraction = min(1.0, done / total) if total else finished
    st.progress(fraction, text=f"{job['status']} · products {product_count(progress, job['status'])}")
    facts = st.columns(4)
    facts[0].metric("Status", job["status"])
    facts[1].metric("Attempts", f"{job['attempt_count']}/{job['max_attempts']}")
    facts[2].metric("Images", f"{progress['images_processed']}/{progress['images_total']}")
    facts[3].metric("Worker", job["worker_id"] or "-")
    if job["last_error"]:
        st.error(f"Last error: {job['last_error']}")
    st.markdown("**Timeline**")
    timeline = [
        {
            "at": event["at"],
            "event": event["kind"],
            "from": event["from_status"] or "",
            "to": event["to_status"] or "",
            "by": event["actor"],
            "message": event["message"] or "",
        }
        for event in events
    ]
    st.dataframe(timeline, hide_index=True)


def _job_actions(job_id: str) -> None:
    job = read(f"job:{job_id}", lambda: client().job(job_id)) if can_act() else None
    if job is None:
        return
    left, right, _ = st.columns([1, 1, 4])
    if job["status"] in RETRYABLE and left.button("Retry job", key=f"retry-{job_id}", type="primary"):
        confirm(f"Retry job {job_id[:8]}", lambda _reason: client().retry_job(job_id))
    if job["status"] in CANCELLABLE and right.button("Cancel job", key=f"cancel-{job_id}"):
        confirm(f"Cancel job {job_id[:8]}", lambda _reason: client().cancel_job(job_id))


def _retry_dead(company: str | None, names: dict[str, str], provider: str | None) -> None:
    st.subheader("Retry all dead jobs")
    scope = " and ".join(
        part for part in (names[company] if company else None, f"provider {provider}" if provider else None) if part
    )
    st.caption(f"Retries every FAILED job of {scope or 'every company and provider'} (the Company/Provider filters).")
    if st.button("Retry all dead", key="retry-dead"):
        confirm(
            f"Retry all dead jobs of {scope or 'every company and provider'}",
            lambda _reason: client().retry_dead(company, provider),
        )
