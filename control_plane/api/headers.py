"""Security headers on every response, errors and unknown routes included (a ``before_send`` hook)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""No sniffing, no framing, no referrer; answers carry tenant data, so nothing is cached on the way.

HSTS is left to the TLS terminator (the load balancer), which knows the connection was HTTPS.
"""


def add_security_headers(message: Message, scope: Scope) -> None:
    """Set each header the handler did not set itself."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
