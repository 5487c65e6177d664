"""One structured log line per HTTP request: method, route template, status and the server's own duration.

The duration runs from the request reaching the application's middleware to the end of its response
(or its unhandled error), so it leaves out only uvicorn's parsing and the network: a client-side
latency far above it means time spent waiting for the process (CPU, accept backlog), not in the handler.
The route is the template (``/api/v1/imports/{job_id}``), so lines group by endpoint, not by id.
"""

from __future__ import annotations

import time

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from control_plane.logging import REQUEST_EVENT

LOGGER_NAME = "control_plane.api.requests"


class LogRequestDuration(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, logger: structlog.typing.FilteringBoundLogger | None = None) -> None:
        self._log = logger or structlog.get_logger(LOGGER_NAME)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status = 500  # what the client gets if the application raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await next_app(scope, receive, send_and_note)
        finally:
            self._log.info(
                REQUEST_EVENT,
                method=scope.get("method"),
                route=scope.get("path_template") or scope.get("path"),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
