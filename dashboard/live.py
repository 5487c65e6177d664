"""Per-session plumbing shared by every page: settings, the API client, the caller, last good data.

A failed read never raises into a page: it shows a banner and hands back the
last good answer (with its age), so an API outage looks like an outage, not
like a stack trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from control_plane.settings.dashboard import DashboardSettings
from dashboard.client import ApiError, ApiUnreachable, ControlPlaneClient, Identity

T = TypeVar("T")
_LAST_GOOD = "last_good"


@st.cache_resource
def settings() -> DashboardSettings:
    return DashboardSettings()


def client() -> ControlPlaneClient:
    """One client per browser session (httpx clients are not shared across threads)."""
    if "client" not in st.session_state:
        config = settings()
        token = config.api_key.get_secret_value() if config.api_key else None
        st.session_state["client"] = ControlPlaneClient(config.api_url, token, timeout_s=config.timeout_s)
    found: ControlPlaneClient = st.session_state["client"]
    return found


def identity() -> Identity | None:
    """Who the configured credential is; None until the API has answered once."""
    if "identity" not in st.session_state:
        try:
            st.session_state["identity"] = client().whoami()
        except (ApiUnreachable, ApiError):
            return None
    found: Identity = st.session_state["identity"]
    return found


def can_act() -> bool:
    """Operator actions are offered only to operators; viewers (and unknown callers) read."""
    who = identity()
    return who is not None and who.can_act


def read(key: str, fetch: Callable[[], T]) -> T | None:
    """``fetch()``, remembering the answer; on failure a banner and the last good answer (or None)."""
    cache: dict[str, tuple[float, object]] = st.session_state.setdefault(_LAST_GOOD, {})
    try:
        value = fetch()
    except ApiUnreachable as exc:
        _banner(key, cache, f"The control plane API is unreachable ({exc}).")
    except ApiError as exc:
        _banner(key, cache, f"The API refused `{key}`: {exc.detail} (HTTP {exc.status}).")
    else:
        cache[key] = (time.time(), value)
        return value
    stale = cache.get(key)
    return stale[1] if stale else None  # type: ignore[return-value]


def _banner(key: str, cache: dict[str, tuple[float, object]], message: str) -> None:
    stale = cache.get(key)
    if stale is None:
        st.error(f"{message} No data yet.", icon=":material/cloud_off:")
        return
    age = time.time() - stale[0]
    shown = time.strftime("%H:%M:%S", time.localtime(stale[0]))
    st.error(f"{message} Showing the last good data, from {shown} ({age:.0f} s ago).", icon=":material/cloud_off:")


def run_action(label: str, action: Callable[[], object]) -> bool:
    """Run an operator action, reporting the outcome; True when the API accepted it."""
    try:
        result = action()
    except (ApiUnreachable, ApiError) as exc:
        st.session_state["flash"] = ("error", f"{label} failed: {exc}")
        return False
    st.session_state["flash"] = ("success", f"{label}: done. {_short(result)}")
    return True


def show_flash() -> None:
    """The outcome of the last action, shown once after the rerun that follows it."""
    flash = st.session_state.pop("flash", None)
    if flash is None:
        return
    kind, message = flash
    (st.success if kind == "success" else st.error)(message)


def _short(result: object) -> str:
    text = str(result)
    return text if len(text) <= 160 else text[:157] + "..."
