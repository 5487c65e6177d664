"""The HTTP server's own limits, on the API served as the stack serves it (``control_plane.api.server``).

Headers past ``ICP_API_MAX_HEADER_BYTES`` are refused before the app sees them, an idle
keep-alive connection is closed after ``ICP_API_KEEP_ALIVE_TIMEOUT_S``, and a request
whose headers or body trickle in (slowloris) is answered 408 and closed at its deadline.
The same trickle against plain uvicorn holds its connection: the deadlines are ours.
"""

from __future__ import annotations

import dataclasses
import socket
import sys
import time
from collections.abc import Iterator

import pytest

from control_plane.settings import Settings
from tests.support.served import Served, free_port, serve_api, service_token, session_env

KEEP_ALIVE_S = 1
READ_TIMEOUT_S = 15.0
"""How long a read may wait for the server: far past every timeout under test."""
IDLE_WAIT_S = KEEP_ALIVE_S + 3.0
"""Past the configured keep-alive with room to spare, and short of uvicorn's default (5 s): the option is applied."""
HEADER_TIMEOUT_S = 2.0
BODY_TIMEOUT_S = 3.0
TRICKLE_S = 0.25
"""One byte per interval: far quicker than any per-read idle timeout, so only a deadline ends the request."""
SLOW_CLIENTS = 20


@pytest.fixture(scope="module")
def api(migrated: Settings) -> Iterator[Served]:
    """One served API for the module (each start costs seconds); the tests only read /health/live."""
    deadlines = {"header_timeout_s": HEADER_TIMEOUT_S, "body_timeout_s": BODY_TIMEOUT_S}
    api_settings = migrated.api.model_copy(update={"keep_alive_timeout_s": KEEP_ALIVE_S, **deadlines})
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


def _trickle(sockets: list[socket.socket], message: bytes, for_s: float) -> dict[int, bytes]:
    """Send ``message`` a byte per :data:`TRICKLE_S` on every socket for ``for_s``; what each got back when closed.

    A socket is in the result once the server closed it (its answer, or b"" for a reset);
    the others were still open when the time was up.
    """
    closed: dict[int, bytes] = {}
    deadline = time.monotonic() + for_s
    position = 0
    while time.monotonic() < deadline and len(closed) < len(sockets):
        for index, sock in enumerate(sockets):
            if index in closed:
                continue
            try:
                sock.sendall(message[position % len(message) : position % len(message) + 1])
                sock.setblocking(False)
                try:
                    reply = sock.recv(65_536)
                    closed[index] = reply + _rest(sock)
                except BlockingIOError:
                    pass  # nothing from the server yet: still open
                finally:
                    sock.setblocking(True)
            except (ConnectionResetError, BrokenPipeError):
                closed[index] = b""
        position += 1
        time.sleep(TRICKLE_S)  # the slow client's pace, not a synchronisation
    return closed


def _rest(sock: socket.socket) -> bytes:
    sock.settimeout(READ_TIMEOUT_S)
    reply = b""
    try:
        while chunk := sock.recv(65_536):
            reply += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return reply


def _connections(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S) for _ in range(count)]


def _endless_headers() -> bytes:
    return b"GET /health/live HTTP/1.1\r\nHost: api\r\nX-Slow: " + b"a" * 4_000


def _endless_body(settings: Settings) -> bytes:
    """Headers an operator's import would send, and a body that never comes (the handler waits to read it)."""
    token = service_token(settings, "operator", "slow-body-test").encode()
    head = b"POST /api/v1/imports HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
    return head + b"Authorization: Bearer " + token + b"\r\nContent-Length: 4000\r\n\r\n"


def test_slow_headers_from_many_clients_are_cut_at_the_deadline(api: Served) -> None:
    """Twenty slowloris clients each get a 408 at the header deadline, and the server serves others meanwhile."""
    sockets = _connections(api.port, SLOW_CLIENTS)
    try:
        started = time.monotonic()
        closed = _trickle(sockets, _endless_headers(), for_s=HEADER_TIMEOUT_S + 8)
        elapsed = time.monotonic() - started
        assert _exchange(api.port, _closing(_get(0))).startswith(b"HTTP/1.1 200")
    finally:
        for sock in sockets:
            sock.close()
    assert len(closed) == SLOW_CLIENTS, f"{SLOW_CLIENTS - len(closed)} slow clients still held a connection"
    assert all(reply.startswith(b"HTTP/1.1 408") for reply in closed.values()), set(closed.values())
    assert b"headers did not arrive within 2 s" in next(iter(closed.values()))
    assert elapsed >= HEADER_TIMEOUT_S, "closed before the deadline: something else ended the requests"


def test_a_connection_that_sends_nothing_is_closed_at_the_header_deadline(api: Served) -> None:
    with socket.create_connection(("127.0.0.1", api.port), timeout=HEADER_TIMEOUT_S + 8) as sock:
        assert _rest(sock).startswith(b"HTTP/1.1 408")


def test_a_slow_body_is_cut_at_the_body_deadline(api: Served, migrated: Settings) -> None:
    sockets = _connections(api.port, 1)
    try:
        sockets[0].sendall(_endless_body(migrated))
        closed = _trickle(sockets, b"{", for_s=BODY_TIMEOUT_S + 8)
    finally:
        sockets[0].close()
    assert list(closed) == [0], "the slow body still held its connection"
    assert closed[0].startswith(b"HTTP/1.1 408"), closed[0][:200]
    assert b"body did not arrive within 3 s" in closed[0]


def _response(sock: socket.socket) -> bytes:
    """One whole response of a keep-alive connection (its headers and its Content-Length of body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65_536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")).split(b":")[1]
    )
    while len(body) < length:
        body += sock.recv(65_536)
    return head + b"\r\n\r\n" + body


def test_each_request_of_a_connection_gets_its_own_header_deadline(api: Served) -> None:
    """Three requests, each paused mid-headers for half the deadline: together past it, each within its own."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=READ_TIMEOUT_S) as sock:
        for _ in range(3):
            request = _get(0)
            sock.sendall(request[:10])
            time.sleep(HEADER_TIMEOUT_S / 2)  # the client's pause mid-request, not a synchronisation
            sock.sendall(request[10:])
            assert _response(sock).startswith(b"HTTP/1.1 200")


def test_plain_uvicorn_lets_slow_headers_hold_the_connection(migrated: Settings) -> None:
    """The broken case: without the deadline protocol the same trickle is never cut, so the tests above can fail."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "control_plane.api.app:create_app", "--factory", "--http", "h11"]
    plain = Served(
        "api-plain-uvicorn",
        [*argv, "--host", "127.0.0.1", "--port", str(port)],
        session_env(migrated),
        port,
        "/health/live",
    )
    plain.wait_ready()
    try:
        sockets = _connections(port, 2)
        try:
            closed = _trickle(sockets, _endless_headers(), for_s=HEADER_TIMEOUT_S + 3)
        finally:
            for sock in sockets:
                sock.close()
    finally:
        plain.stop()
    assert closed == {}, "plain uvicorn cut a slow request: this test no longer shows what the deadlines add"
