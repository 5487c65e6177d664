"""Small pieces several pages use: the tier banner, confirmation dialogs, pause controls, timestamps, figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

import streamlit as st

from dashboard.client import PauseScope
from dashboard.live import client, run_action

TIER_STYLE = {
    "Healthy": ("#1e7e34", "all client tiers admitted"),
    "Degraded": ("#b8860b", "BASIC jobs deferred"),
    "Critical": ("#d9480f", "only ENTERPRISE admitted"),
    "Overload": ("#a61e1e", "new jobs refused with 503"),
}


def tier_banner(tier: str, depth: int) -> None:
    """The queue-health tier, unmistakable: a coloured block with the tier in words."""
    colour, effect = TIER_STYLE.get(tier, ("#555555", "unknown tier"))
    st.markdown(
        f'<div data-testid="queue-tier" style="background:{colour};color:white;padding:0.8rem 1.2rem;'
        f'border-radius:0.5rem;font-size:1.6rem;font-weight:700">'
        f"Queue health: {tier.upper()} <span style='font-size:1rem;font-weight:400'>"
        f"— depth {depth:,} · {effect}</span></div>",
        unsafe_allow_html=True,
    )


RUNBOOK_LINK = st.column_config.LinkColumn("runbook", display_text=r"runbook=(.*)$")
"""Table column opening ``/alarms?runbook=<name>``: the runbook rendered in the app."""


def runbook_link(path: str) -> str:
    """``runbooks/queue-depth.md`` → the in-app link to that runbook."""
    return f"/alarms?runbook={PurePosixPath(path).stem}"


def verdict(value: str | None) -> str:
    if not value:
        return "-"
    return value.upper()  # words, not emoji: readable on any font set


def product_count(progress: dict[str, Any], status: str) -> str:
    """``done/total``; providers that do not say how many products a shop has leave the total open until the end."""
    done, total = progress["products_processed"], progress["products_total"]
    if total is not None:
        return f"{done}/{total}"
    return f"{done}" if status == "COMPLETED" else f"{done} so far"


def ago(moment: str | float | None) -> str:
    """``12 s ago`` from an ISO time or Unix seconds."""
    if moment is None or moment == "":
        return "-"
    when = (
        datetime.fromtimestamp(float(moment), UTC)
        if isinstance(moment, float | int) or str(moment).replace(".", "", 1).isdigit()
        else datetime.fromisoformat(str(moment))
    )
    seconds = (datetime.now(UTC) - when).total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


@st.dialog("Please confirm")
def confirm(title: str, action: Callable[[str], object], *, reason_required: bool = False) -> None:
    """Ask before any state-changing call; a reason is audited with pauses and resumes."""
    st.markdown(f"**{title}**")
    reason = st.text_input("Reason (kept in the audit trail)", value="" if reason_required else "from the dashboard")
    left, right = st.columns(2)
    if left.button("Confirm", type="primary"):
        if not reason.strip():
            st.error("Give a reason: it goes into the audit trail.")
            return
        run_action(title, lambda: action(reason.strip()))
        st.rerun()
    if right.button("Cancel"):
        st.rerun()


def pause_controls(state: dict[str, Any], companies: list[dict[str, Any]], providers: list[str]) -> None:
    """Pause or resume the queue, one provider or one company (operators only; each asks to confirm)."""
    paused = {pause["key"] for pause in state.get("paused", [])}
    queue_col, provider_col, company_col = st.columns(3)
    with queue_col:
        _toggle("queue", None, "the whole queue", "queue" in paused)
    with provider_col:
        provider = st.selectbox("Provider", providers, key="pause_provider")
        if provider:
            _toggle("provider", provider, f"provider {provider}", f"provider:{provider}" in paused)
    with company_col:
        names = {company["id"]: f"{company['name']} ({company['tier']})" for company in companies}
        company = st.selectbox("Company", list(names), format_func=names.__getitem__, key="pause_company")
        if company:
            _toggle("company", company, f"company {names[company]}", f"company:{company}" in paused)


def _toggle(scope: PauseScope, target: str | None, what: str, is_paused: bool) -> None:
    verb = "Resume" if is_paused else "Pause"
    if st.button(f"{verb} {what}", key=f"{verb}-{scope}-{target}", type="primary" if not is_paused else "secondary"):
        call = client().resume if is_paused else client().pause
        confirm(f"{verb} {what}", lambda reason: call(scope, reason, target), reason_required=not is_paused)


def figure(value: Any) -> str:
    """A measured value as a person reads it: floats to four significant digits, lists and maps as text."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


_COMMENT = re.compile(r"<!--.*?-->\s*", flags=re.DOTALL)


def without_comments(markdown: str) -> str:
    """Markdown as its renderer on a code host shows it: HTML comments are notes to editors, not content."""
    return _COMMENT.sub("", markdown)
