"""The API logs one line per request with its route template, status and server-side duration."""

from __future__ import annotations

import logging
import uuid

import structlog
from litestar import Litestar, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath
from litestar.testing import TestClient

from control_plane.api.app import create_app
from control_plane.api.request_timing import LogRequestDuration
from control_plane.logging import REQUEST_EVENT


@post("/api/v1/imports", status_code=202)
async def submit() -> dict[str, str]:
    return {"ok": "yes"}


@get("/api/v1/imports/{job_id:uuid}")
async def one(job_id: FromPath[uuid.UUID]) -> dict[str, str]:
    raise ValidationException("no such thing")


def requests_logged(*calls: tuple[str, str]) -> list[dict[str, object]]:
    # A logger of the test's own: capture_logs cannot see loggers cached by earlier tests.
    with structlog.testing.capture_logs() as logs:
        app = Litestar(route_handlers=[submit, one], middleware=[LogRequestDuration(structlog.get_logger("t"))])
        with TestClient(app) as client:
            for method, path in calls:
                client.request(method, path)
    return [line for line in logs if line["event"] == REQUEST_EVENT]


def test_a_request_is_logged_with_its_route_status_and_duration() -> None:
    (line,) = requests_logged(("POST", "/api/v1/imports"))
    assert (line["method"], line["route"], line["status"], line["log_level"]) == (
        "POST",
        "/api/v1/imports",
        202,
        "info",
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def test_a_client_error_is_logged_under_the_route_template() -> None:
    (line,) = requests_logged(("GET", f"/api/v1/imports/{uuid.uuid4()}"))
    assert (line["route"], line["status"]) == ("/api/v1/imports/{job_id}", 400)
    assert isinstance(line["duration_ms"], float)


def test_the_api_keeps_the_json_log_handler_through_startup() -> None:
    """Litestar's default logging setup would swap the root handler for plain text, hiding these lines."""
    with TestClient(create_app()):
        handlers = logging.getLogger().handlers
    assert handlers and all(isinstance(h.formatter, structlog.stdlib.ProcessorFormatter) for h in handlers)
