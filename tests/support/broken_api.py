"""The API with one defect planted on purpose, for showing that the fuzz gate fails on it.

``GET /api/v1/integrations`` answers 418, a status its operation does not document;
everything else is the real app.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from control_plane.api.app import create_app as create_real_app

BROKEN_PATH = "/api/v1/integrations"
BROKEN_STATUS = 418


def create_app() -> ASGIApp:
    app = create_real_app()

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != BROKEN_PATH or scope["method"] != "GET":
            await app(scope, receive, send)
            return

        async def send_undocumented(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "status": BROKEN_STATUS}
            await send(message)

        await app(scope, receive, send_undocumented)

    return broken
