"""The API's HTTP server: uvicorn's h11 protocol with the two deadlines uvicorn lacks.

uvicorn bounds the bytes of a request's headers (h11) and the idle time between
requests (keep-alive), but nothing bounds how long a request may take to *arrive*:
a client that sends its headers or body a byte at a time (slowloris), or opens a
connection and sends nothing, holds that connection for as long as it likes. Here a
request's line and headers must arrive within ``header_timeout_s`` of the
connection's opening or the request's first byte, and its body within
``body_timeout_s`` of its headers; otherwise the client gets a 408 problem document
and the connection is closed. Run it as ``python -m control_plane.api.server``: the
local stack and the container both do, so they serve with the same limits.
"""

from __future__ import annotations

import argparse
import asyncio
import enum
import json
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from control_plane.settings import ApiSettings

APP = "control_plane.api.app:create_app"
log = logging.getLogger("uvicorn.error")


class Awaiting(enum.Enum):
    """What part of a request the server is waiting for; each has its own deadline."""

    HEADERS = "headers"
    BODY = "body"


_SETTING = {Awaiting.HEADERS: "header_timeout_s", Awaiting.BODY: "body_timeout_s"}
"""The setting (and :class:`ServerConfig` attribute) that holds each deadline."""


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration plus the request deadlines (pickled to each worker process with the rest)."""

    def __init__(self, app: str, *, header_timeout_s: float, body_timeout_s: float, **options: Any) -> None:
        super().__init__(app, **options)
        self.header_timeout_s = header_timeout_s
        self.body_timeout_s = body_timeout_s


def _timeout_response(awaiting: Awaiting, seconds: float) -> bytes:
    """A complete 408 answer, written raw: h11 lets a server answer only a request it has read whole."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Request Timeout",
            "status": 408,
            "detail": f"the request's {awaiting.value} did not arrive within {seconds:g} s",
        }
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def _deadline_s(config: uvicorn.Config, awaiting: Awaiting) -> float:
    """The deadline a :class:`ServerConfig` sets, else the setting's default (a plain ``uvicorn.Config``)."""
    name = _SETTING[awaiting]
    return float(getattr(config, name, ApiSettings.model_fields[name].default))


class DeadlineH11Protocol(H11Protocol):
    """An h11 connection whose request headers, then body, must arrive before their deadlines."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._limits = {awaiting: _deadline_s(config, awaiting) for awaiting in Awaiting}
        self._awaiting: Awaiting | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await(Awaiting.HEADERS)  # a connection that sends nothing is a request that never arrives

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        buffered, _ = self.conn.trailing_data
        if self.conn.their_state is h11.IDLE and not buffered:
            self._await(None)  # between requests the keep-alive timeout applies
        else:
            self._follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._await(None)
        super().connection_lost(exc)

    def _follow_request(self) -> None:
        state = self.conn.their_state
        if state is h11.IDLE:
            self._await(Awaiting.HEADERS)  # part of a request line or its headers is in
        elif state is h11.SEND_BODY:
            self._await(Awaiting.BODY)
        else:
            self._await(None)  # the request is complete, or the connection is done

    def _await(self, awaiting: Awaiting | None) -> None:
        """Start the deadline of what is now awaited; a deadline already running for it keeps running."""
        if awaiting is self._awaiting:
            return
        if self._deadline is not None:
            self._deadline.cancel()
        self._awaiting, self._deadline = awaiting, None
        if awaiting is not None:
            self._deadline = self.loop.call_later(self._limits[awaiting], self._expire, awaiting)

    def _expire(self, awaiting: Awaiting) -> None:
        self._awaiting, self._deadline = None, None
        if self.transport.is_closing():
            return
        seconds = self._limits[awaiting]
        client = "{}:{} - ".format(*self.client) if self.client else ""
        log.warning("%sthe request's %s did not arrive within %g s: closed", client, awaiting.value, seconds)
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_timeout_response(awaiting, seconds))
        self.transport.close()


def server_config(api: ApiSettings) -> ServerConfig:
    """The API's server with the limits of ``api``: h11, not httptools, because only h11 bounds header bytes."""
    return ServerConfig(
        APP,
        factory=True,
        host=api.host,
        port=api.port,
        workers=api.workers,
        http=DeadlineH11Protocol,
        h11_max_incomplete_event_size=api.max_header_bytes,
        timeout_keep_alive=api.keep_alive_timeout_s,
        header_timeout_s=api.header_timeout_s,
        body_timeout_s=api.body_timeout_s,
    )


def serve(config: ServerConfig) -> None:
    """Run the server: one process, or ``config.workers`` sharing one socket (as ``uvicorn.run`` does)."""
    server = uvicorn.Server(config)
    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server.run()
    if not server.started and config.workers == 1:
        raise SystemExit(3)  # uvicorn's startup-failure exit status


_OPTIONS = ("host", "port", "workers", "max_header_bytes", "keep_alive_timeout_s", "header_timeout_s", "body_timeout_s")
"""The settings a command line may override (the local stack passes each; the container's environment sets them)."""


def server_argv(api: ApiSettings) -> list[str]:
    """The command-line options that serve with exactly the settings of ``api``."""
    return [part for name in _OPTIONS for part in (f"--{name.replace('_', '-')}", str(getattr(api, name)))]


def _arguments(argv: list[str] | None, api: ApiSettings) -> ApiSettings:
    parser = argparse.ArgumentParser(prog="python -m control_plane.api.server", description=__doc__.split("\n")[0])
    for name in _OPTIONS:
        flag, field = f"--{name.replace('_', '-')}", ApiSettings.model_fields[name]
        parser.add_argument(flag, dest=name, default=getattr(api, name), help=field.description)
    return ApiSettings.model_validate(api.model_dump() | vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> None:
    """Serve the API; each option defaults to its ``ICP_API_*`` setting."""
    api = _arguments(argv, ApiSettings())
    serve(server_config(api))


if __name__ == "__main__":
    main()
