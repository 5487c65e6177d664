"""Alarms & runbooks: what fires now, what changed lately, and each alarm's runbook rendered here."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

import streamlit as st

from dashboard.live import client, read, settings
from dashboard.widgets import RUNBOOK_LINK, runbook_link, without_comments


def runbook_name(path: str) -> str:
    """``runbooks/queue-depth.md`` → ``queue-depth``."""
    return PurePosixPath(path).stem


def render() -> None:
    st.title("Alarms & runbooks")
    _live()
    alarms = read("alarms", client().alarms) or {"firing": [], "history": []}
    known = {runbook_name(a["runbook"]) for a in alarms["firing"] + alarms["history"] if a.get("runbook")}
    available = read("runbooks", client().runbooks) or []
    wanted = st.query_params.get("runbook")  # a link from an alarm or SLO, even to a runbook not written yet
    names = sorted(known | set(available) | ({wanted} if wanted else set()))
    index = names.index(wanted) if wanted in names else (0 if names else None)
    chosen = st.selectbox("Runbook", names, index=index, key="runbook_choice")
    if chosen:
        _runbook(chosen)


@st.fragment(run_every=settings().refresh_s)
def _live() -> None:
    alarms = read("alarms", client().alarms)
    if alarms is None:
        return
    firing = alarms["firing"]
    if firing:
        st.error(f"{len(firing)} alarm(s) firing")
        st.dataframe([_row(a) for a in firing], hide_index=True, column_config={"runbook": RUNBOOK_LINK})
    else:
        st.success("No alarm is firing")
    st.markdown("**Recent changes**")
    if not alarms["history"]:
        st.caption("No alarm has fired or resolved yet.")
        return
    st.dataframe([_row(a) for a in alarms["history"]], hide_index=True, column_config={"runbook": RUNBOOK_LINK})


def _row(alarm: dict[str, Any]) -> dict[str, Any]:
    at = alarm.get("at")
    name = runbook_name(alarm.get("runbook") or alarm["alarm"])
    return {
        "alarm": alarm["alarm"],
        "status": alarm.get("status", "firing"),
        "severity": alarm["severity"].upper(),
        "value": alarm.get("value"),
        "threshold": alarm.get("threshold"),
        "summary": alarm.get("summary"),
        "at": datetime.fromtimestamp(float(at), UTC).strftime("%Y-%m-%d %H:%M:%S") if at else "",
        "runbook": runbook_link(f"{name}.md"),
    }


def _runbook(name: str) -> None:
    markdown = read(f"runbook:{name}", lambda: client().runbook(name))
    with st.container(border=True):
        if markdown is None:
            st.warning(f"No runbook yet for **{name}** (expected at `runbooks/{name}.md`).")
        else:
            st.markdown(without_comments(markdown))
