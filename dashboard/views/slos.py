"""SLOs: each objective's value, target, verdict and error budget, a trend over windows, the latest reports."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.live import client, read
from dashboard.views.charts import frame
from dashboard.widgets import RUNBOOK_LINK, runbook_link, verdict

TREND_WINDOWS = ("1h", "6h", "24h", "7d")
SLO_REFRESH_S = 30


def render() -> None:
    st.title("SLOs")
    _table()
    _trend()
    _latest_reports()


@st.fragment(run_every=SLO_REFRESH_S)
def _table() -> None:
    document = read("slo", client().slo)
    if document is None:
        return
    breaches = document["breaches"]
    (st.error if breaches else st.success)(f"{breaches} SLO breach(es) in each SLO's own window")
    rows = [
        {
            "SLO": item["name"],
            "value": _value(item["value"], item["objective"]),
            "target": item["objective"],
            "verdict": verdict(item["verdict"]),
            "error budget left": "-" if item["error_budget_left"] is None else f"{item['error_budget_left']:.0%}",
            "samples": item["samples"],
            "measured by": measured_by(item),
            "window from": item["since"][:16],
            "runbook": runbook_link(item["runbook"]),
        }
        for item in document["slos"]
    ]
    st.dataframe(rows, hide_index=True, column_config={"runbook": RUNBOOK_LINK})


def measured_by(item: dict[str, Any]) -> str:
    """What measured the SLO: the job store, or the drills and load runs whose observations were judged."""
    if item["source"] != "drill":
        return "job store"
    sources = (item.get("details") or {}).get("sources") or []
    return ", ".join(sources) if sources else "no drill or load run in the window"


def _value(value: float | None, objective: str) -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if "%" in objective else f"{value:g}"


def _trend() -> None:
    st.subheader("Trend")
    history = read("history:24h", lambda: client().history("24h"))
    if history is not None:
        left, right = st.columns(2)
        left.markdown("**Success rate** (per bucket, 24 h)")
        left.line_chart(frame(history["points"], {"success_rate": "success rate"}), height=200)
        right.markdown("**Job duration p95** (s, 24 h)")
        right.line_chart(frame(history["points"], {"duration_p95_s": "p95"}), height=200)
    documents = {window: read(f"slo:{window}", partial(client().slo, window)) for window in TREND_WINDOWS}
    names = sorted({item["name"] for doc in documents.values() if doc for item in doc["slos"]})
    chosen = st.selectbox("SLO value by window", names, key="slo_trend")
    if not chosen:
        return
    values: dict[str, Any] = {}
    for window, doc in documents.items():
        item = next((i for i in (doc or {}).get("slos", []) if i["name"] == chosen), None)
        values[window] = item["value"] if item else None
    st.bar_chart(pd.DataFrame({"value": values}).astype(float), height=200)


def _latest_reports() -> None:
    st.subheader("Latest load run and chaos drill")
    reports = read("reports", client().reports) or []
    for kind in ("load", "chaos"):
        latest = next((report for report in reports if report["kind"] == kind), None)
        if latest is None:
            st.info(f"No {kind} report yet.")
            continue
        st.markdown(
            f"**{kind}**: [{latest.get('name', latest['run_id'])}](/drills?run={kind}/{latest['run_id']}) "
            f"· {verdict(latest.get('verdict'))} · started {latest.get('started_at', '?')}"
        )
