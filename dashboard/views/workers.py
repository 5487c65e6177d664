"""Workers & scaling: live workers with heartbeat age and jobs, desired vs live, recent scaling decisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.live import can_act, client, read, settings
from dashboard.widgets import confirm


def render() -> None:
    st.title("Workers & scaling")
    _live()
    if can_act():
        _drain_controls()


def _drain_controls() -> None:
    """Outside the live fragment, so a refresh cannot close the confirmation."""
    workers = read("workers", client().workers)
    ids = [worker["worker_id"] for worker in workers["workers"]] if workers else []
    st.subheader("Drain a worker")
    chosen = st.selectbox("Worker", ids, key="drain_worker")
    if chosen and st.button(f"Drain {chosen}", key="drain-button"):
        confirm(
            f"Drain worker {chosen}: it takes no new job, finishes or hands back its jobs, and exits",
            lambda reason: client().drain_worker(chosen, reason),
            reason_required=True,
        )


@st.fragment(run_every=settings().refresh_s)
def _live() -> None:
    workers = read("workers", client().workers)
    scaler = read("autoscaler", client().autoscaler)
    if workers is None:
        return
    figures = st.columns(3)
    figures[0].metric("Live workers", workers["live"])
    desired = workers["desired"]
    figures[1].metric("Desired (autoscaler)", "-" if desired is None else desired)
    running = sum(len(worker["running_jobs"]) for worker in workers["workers"])
    figures[2].metric("Jobs running", running + len(workers["running_elsewhere"]))
    rows = [
        {
            "worker": worker["worker_id"],
            "heartbeat age s": worker["last_seen_age_s"],
            "active jobs": len(worker["running_jobs"]),
            "jobs": ", ".join(job["id"][:8] for job in worker["running_jobs"]),
        }
        for worker in workers["workers"]
    ]
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.warning("No live worker: nothing is stamping the presence set.")
    if workers["running_elsewhere"]:
        st.warning(f"{len(workers['running_elsewhere'])} RUNNING job(s) held by no live worker (lease will expire)")
    if scaler is None:
        return
    st.subheader("Scaling decisions")
    recent = scaler.get("recent", [])
    if not recent:
        st.info("No scaling decision recorded yet.")
        return
    table = [
        {
            "decided": datetime.fromtimestamp(item["decided_at"], UTC).strftime("%H:%M:%S"),
            "desired": item["desired"],
            "target": item["target"],
            "backlog": item["backlog"],
            "reason": item["reason"],
        }
        for item in recent
    ]
    st.line_chart(
        pd.DataFrame(table).set_index("decided")[["desired", "target"]].astype(float).sort_index(), height=200
    )
    st.dataframe(table, hide_index=True)
