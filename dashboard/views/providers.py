"""Providers: calls and errors by status, rate-limit waits, circuit breakers and their transitions, last errors."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.live import client, read, settings


def render() -> None:
    st.title("Providers")
    _live()


@st.fragment(run_every=settings().refresh_s)
def _live() -> None:
    document = read("providers", client().providers)
    if document is None:
        return
    ratio = document.get("recent_error_ratio")
    st.caption("Recent provider error ratio: " + ("-" if ratio is None else f"{ratio:.1%}"))
    if not document["providers"]:
        st.info("No provider call recorded yet.")
    for provider in document["providers"]:
        _provider(provider)


def _provider(provider: dict[str, Any]) -> None:
    name = provider["provider"]
    st.subheader(name)
    requests, errors = provider["requests"], provider["errors"]
    figures = st.columns(4)
    figures[0].metric("Requests", requests)
    figures[1].metric("Errors", errors)
    figures[2].metric("Error rate", f"{errors / requests:.1%}" if requests else "-")
    figures[3].metric("Rate-limit waits", provider["rate_limit_waits"])
    left, right = st.columns(2)
    with left:
        st.markdown("**Requests by status**")
        by_status = provider["requests_by_status"]
        if by_status:
            st.bar_chart(pd.DataFrame({"requests": by_status}).astype(float), height=180)
    with right:
        st.markdown("**Circuit breakers** (per provider and company)")
        breakers = [
            {
                "scope": scope,
                "state": item["state"].upper(),
                "failures": item["failures"],
                "opened": item["opened_at"] or "",
                "retry in s": item["retry_after_s"] or "",
            }
            for scope, item in provider["breakers"].items()
        ]
        st.dataframe(breakers, hide_index=True) if breakers else st.caption("no breaker state yet")
    if provider["recent_transitions"]:
        with st.expander(f"Breaker transitions ({len(provider['recent_transitions'])})"):
            st.dataframe(provider["recent_transitions"], hide_index=True)
    failed = read(f"failed:{name}", lambda: client().search_jobs(status="FAILED", provider=name, limit=5)) or []
    if failed:
        st.markdown("**Last errors**")
        rows = [
            {"job": hit["job"]["id"][:8], "company": hit["company"]["name"], "error": hit["job"]["last_error"] or ""}
            for hit in failed
        ]
        st.dataframe(rows, hide_index=True)
