"""Drills & load runs: every report the load harness and the chaos drills wrote, with verdicts and charts."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from dashboard.live import client, read
from dashboard.widgets import figure, verdict


def render() -> None:
    st.title("Drills & load runs")
    reports = read("reports", client().reports) or []
    if not reports:
        st.info("No load-run or chaos-drill report yet (they appear here once a harness has written one).")
        return
    rows = [
        {
            "kind": report["kind"],
            "name": report.get("name", ""),
            "run": report["run_id"],
            "started": report.get("started_at", ""),
            "finished": report.get("finished_at", ""),
            "verdict": verdict(report.get("verdict")),
        }
        for report in reports
    ]
    st.dataframe(rows, hide_index=True)
    keys = [f"{report['kind']}/{report['run_id']}" for report in reports]
    wanted = st.query_params.get("run")
    chosen = st.selectbox("Open report", keys, index=keys.index(wanted) if wanted in keys else 0, key="report_open")
    if chosen:
        kind, run_id = chosen.split("/", 1)
        _report(kind, run_id)


def _report(kind: str, run_id: str) -> None:
    document = read(f"report:{kind}/{run_id}", lambda: client().report(kind, run_id))
    if document is None:
        return
    report: dict[str, Any] = document["report"]
    if "error" in report:
        st.error(report["error"])
        return
    st.subheader(f"{report.get('name', run_id)} — {verdict(report.get('verdict'))}")
    items = [
        {
            "check": item.get("name"),
            "value": figure(item.get("value")),
            "target": figure(item.get("target")),
            "verdict": verdict(item.get("verdict")),
        }
        for item in report.get("items", [])
    ]
    st.dataframe(items, hide_index=True)
    for name in report.get("charts", []):
        png = read(f"chart:{kind}/{run_id}/{name}", partial(client().chart, kind, run_id, name))
        if png is not None:
            st.image(png, caption=name, alt=name)
    if document.get("summary_md"):
        with st.expander("summary.md"):
            st.markdown(document["summary_md"])
