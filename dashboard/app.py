"""Entry point: `streamlit run dashboard/app.py` (the local stack starts it for you).

Every page reads the control plane's HTTP API only, through dashboard.client,
with the URL and credential from the ICP_DASHBOARD_* settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts only this folder on the path
    sys.path.insert(0, str(ROOT))

from dashboard.live import identity, settings, show_flash  # noqa: E402
from dashboard.views import alarms, jobs, overview, providers, reports, slos, workers  # noqa: E402

PAGES = [
    st.Page(overview.render, title="Overview", icon=":material/traffic:", url_path="overview", default=True),
    st.Page(slos.render, title="SLOs", icon=":material/target:", url_path="slos"),
    st.Page(jobs.render, title="Jobs", icon=":material/inventory_2:", url_path="jobs"),
    st.Page(workers.render, title="Workers & scaling", icon=":material/settings:", url_path="workers"),
    st.Page(providers.render, title="Providers", icon=":material/power:", url_path="providers"),
    st.Page(alarms.render, title="Alarms & runbooks", icon=":material/notifications:", url_path="alarms"),
    st.Page(reports.render, title="Drills & load runs", icon=":material/science:", url_path="drills"),
]


@st.fragment(run_every=settings().refresh_s)
def _await_identity() -> None:
    """Until the API has said who we are, keep asking; then redraw the page with the right controls."""
    if identity() is not None:
        st.rerun(scope="app")
    st.warning("Credential not checked yet (API unreachable or key refused); actions stay hidden.")


def _sidebar() -> None:
    who = identity()
    with st.sidebar:
        st.caption(f"API: {settings().api_url}")
        if who is None:
            _await_identity()
        elif who.can_act:
            st.caption(f"Signed in as **{who.subject}** (operator)")
        else:
            st.info(f"Read-only: **{who.subject}** ({who.role}). Actions are hidden.")
        st.caption(f"Live panels refresh every {settings().refresh_s:g} s.")


st.set_page_config(page_title="Import Control Plane", page_icon=":material/traffic:", layout="wide")
page = st.navigation(PAGES)
_sidebar()
show_flash()
page.run()
