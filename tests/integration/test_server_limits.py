"""The HTTP server's own limits, on the API served as the stack serves it (uvicorn with h11).

Headers past ``ICP_API_MAX_HEADER_BYTES`` are refused before the app sees them, and an
idle keep-alive connection is closed after ``ICP_API_KEEP_ALIVE_TIMEOUT_S``.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator

import pytest

from control_plane.settings import Settings
from tests.support.served import Served, serve_api

KEEP_ALIVE_S = 1
READ_TIMEOUT_S = 15.0
"""How long a read may wait for the server: far past every timeout under test."""
IDLE_WAIT_S = KEEP_ALIVE_S + 3.0
"""Past the configured keep-alive with room to spare, and short of uvicorn's default (5 s): the option is applied."""


@pytest.fixture(scope="module")
def api(migrated: Settings) -> Iterator[Served]:
    """One served API for the module (each start costs seconds); the tests only read /health/live."""
    api_settings = migrated.api.model_copy(update={"keep_alive_timeout_s": KEEP_ALIVE_S})
    served = serve_api(dataclasses.replace(migrated, api=api_settings)).wait_ready()
    try:
        yield served
    finally:
        served.stop()


def _get(header_bytes: int) -> bytes:
    return b"GET /health/live HTTP/1.1\r\nHost: api\r\nX-Padding: " + b"a" * header_bytes + b"\r\n\r\n"


def _closing(request: bytes) -> bytes:
    return request.replace(b"Host: api", b"Host: api\r\nConnection: close")


def _exchange(port: int, request: bytes) -> bytes:
    """Send ``request`` and read until the server closes; b"" if it reset the connection instead."""
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S) as sock:
        try:
            sock.sendall(request)
            while chunk := sock.recv(65_536):
                reply += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass  # refused mid-request: the server stopped reading
    return reply


@pytest.mark.parametrize("header_bytes", [32_768, 1_048_576])
def test_oversized_headers_are_refused_by_the_server(api: Served, migrated: Settings, header_bytes: int) -> None:
    assert header_bytes > migrated.api.max_header_bytes
    reply = _exchange(api.port, _get(header_bytes))
    # the server's 400 (or reset) when it stopped buffering, else the app's 431 for a block read at once
    assert reply == b"" or reply.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), reply[:200]
    assert _exchange(api.port, _closing(_get(0))).startswith(b"HTTP/1.1 200")  # and it serves on


def test_headers_under_the_limit_are_served(api: Served) -> None:
    assert _exchange(api.port, _closing(_get(8_192))).startswith(b"HTTP/1.1 200")


def test_an_idle_keep_alive_connection_is_closed(api: Served) -> None:
    with socket.create_connection(("127.0.0.1", api.port), timeout=READ_TIMEOUT_S) as sock:
        sock.sendall(_get(0))
        reply = sock.recv(65_536)
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        sock.settimeout(IDLE_WAIT_S)
        while chunk := sock.recv(65_536):  # the rest of the answer, then the server's close (timeout: a failure)
            assert not chunk.startswith(b"HTTP/"), "a second answer on a connection nobody used"
