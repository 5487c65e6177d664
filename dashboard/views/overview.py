"""Overview: the queue's tier and what it does to each client tier, pauses, depth over time, outcomes, alarms."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.live import can_act, client, read, settings
from dashboard.views.charts import frame, window_rate
from dashboard.widgets import pause_controls, tier_banner

WINDOWS = ("15m", "1h", "6h", "24h", "7d")
PROVIDERS = ["shopify", "roastify"]


def render() -> None:
    st.title("Overview")
    since = st.segmented_control("History window", WINDOWS, default="1h", key="overview_window") or "1h"
    _live(since)
    if can_act():
        st.subheader("Pause / resume")
        state = read("state", client().state)
        companies = read("companies", client().companies) or []
        if state is not None:
            pause_controls(state, companies, PROVIDERS)


@st.fragment(run_every=settings().refresh_s)
def _live(since: str) -> None:
    state = read("state", client().state)
    if state is None:
        return
    tier_banner(state["tier"], state["depth"])
    _admission(state)
    history = read(f"history:{since}", lambda: client().history(since))
    if history is not None:
        _history(history["points"], history["step_s"])
    alarms = read("alarms", client().alarms)
    _firing(alarms["firing"] if alarms else [])


def _admission(state: dict[str, Any]) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Admission by client tier**")
        rows = [
            {"client tier": tier, "outcome": item["outcome"], "delay s": item["defer_s"], "why": item["reason"]}
            for tier, item in state["admission"].items()
        ]
        st.dataframe(rows, hide_index=True)
    with right:
        paused = state.get("paused", [])
        if paused:
            for pause in paused:
                st.warning(
                    f"**Paused: {pause['key']}** — {pause['reason']} (by {pause['actor']})", icon=":material/pause:"
                )
        else:
            st.success("Nothing is paused", icon=":material/play_arrow:")
        limits = state["thresholds"]
        st.caption(
            f"Depth {state['depth']:,} (from {state['depth_source']}); thresholds "
            + ", ".join(f"{name.removesuffix('_at')} ≥ {value:,}" for name, value in limits.items())
        )


def _history(points: list[dict[str, Any]], step_s: int) -> None:
    last = points[-1] if points else {}
    rate = window_rate(points)
    figures = st.columns(5)
    figures[0].metric("Throughput (last bucket)", f"{last.get('throughput_per_min', 0):.1f}/min")
    figures[1].metric("Success rate (window)", "-" if rate is None else f"{rate:.1%}")
    for column, name in zip(figures[2:], ("p50", "p95", "p99"), strict=True):
        value = next((p[f"duration_{name}_s"] for p in reversed(points) if p[f"duration_{name}_s"] is not None), None)
        column.metric(f"Duration {name}", "-" if value is None else f"{value:.1f} s")
    depth, outcomes = st.columns(2)
    with depth:
        st.markdown(f"**Queue depth by state** (per {step_s} s)")
        st.line_chart(frame(points, {"waiting": "waiting", "active": "active", "dead": "dead"}), height=220)
    with outcomes:
        st.markdown("**Throughput** (jobs finished per minute)")
        st.area_chart(frame(points, {"throughput_per_min": "finished/min"}), height=220)
    rates, durations = st.columns(2)
    with rates:
        st.markdown("**Success rate**")
        st.line_chart(frame(points, {"success_rate": "success rate"}), height=200)
    with durations:
        st.markdown("**Job duration** (s)")
        labels = {"duration_p50_s": "p50", "duration_p95_s": "p95", "duration_p99_s": "p99"}
        st.line_chart(frame(points, labels), height=200)


def _firing(firing: list[dict[str, Any]]) -> None:
    if not firing:
        st.success("No alarm is firing")
        return
    st.markdown("**Firing alarms**")
    for alarm in firing:
        st.error(f"**{alarm['alarm']}** ({alarm['severity']}): {alarm['summary']}")
