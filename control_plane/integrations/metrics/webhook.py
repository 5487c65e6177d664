"""Alarm notices to a Slack-compatible incoming webhook; a failed delivery is logged, never raised.

The alarm's state and history are already in Redis, so a lost notice does not
lose the alarm; raising would only stop the evaluation of the others.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from control_plane.domain.alarms import AlarmChange, Severity

log = structlog.get_logger("control_plane.alarms")
_COLOURS = {Severity.CRITICAL: "#d00000", Severity.HIGH: "#ff8c00", Severity.MEDIUM: "#e6c200"}
_RESOLVED_COLOUR = "#2eb67d"


def slack_payload(change: AlarmChange) -> dict[str, Any]:
    check = change.check
    icon = ":rotating_light:" if change.status == "firing" else ":white_check_mark:"
    return {
        "text": f"{icon} [{check.severity.value.upper()}] {check.name} {change.status}: {check.summary}",
        "attachments": [
            {
                "color": _COLOURS[check.severity] if change.status == "firing" else _RESOLVED_COLOUR,
                "fields": [
                    {"title": "alarm", "value": check.name, "short": True},
                    {"title": "status", "value": change.status, "short": True},
                    {"title": "value", "value": "n/a" if check.value is None else f"{check.value:g}", "short": True},
                    {"title": "threshold", "value": f"{check.threshold:g}", "short": True},
                    {"title": "runbook", "value": check.runbook, "short": False},
                ],
            }
        ],
    }


async def notify(url: str, changes: list[AlarmChange], *, timeout_s: float = 5.0) -> int:
    """POST one message per change; returns how many were accepted."""
    delivered = 0
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as http:
        for change in changes:
            try:
                response = await http.post(url, json=slack_payload(change))
                response.raise_for_status()
                delivered += 1
            except httpx.HTTPError as exc:
                log.warning("alarm.notify_failed", alarm=change.check.name, status=change.status, error=str(exc))
    return delivered
