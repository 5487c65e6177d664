"""Response helpers shared by the provider surfaces: JSON bodies, base URLs, timestamps, faults.

Bodies are encoded here with msgspec in insertion order, so identical
requests produce byte-identical bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, Response

from loadtests.simulator.state import AccountState

JSON = "application/json; charset=utf-8"
AnyRequest = Request[Any, Any, Any]


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response[bytes]:
    return Response(content=msgspec.json.encode(body), status_code=status, media_type=JSON, headers=dict(headers or {}))


def base_url(request: AnyRequest) -> str:
    """``scheme://host:port`` exactly as the client addressed us (the proxy port, through toxiproxy)."""
    url = request.url
    return f"{url.scheme}://{url.netloc}"


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant; naive values are taken as UTC. Raises ValueError."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FaultBodies:
    """How one provider words the failures the fault knobs inject."""

    internal_error: Any
    unavailable: Any


async def injected_fault(state: AccountState, bodies: FaultBodies) -> Response[bytes] | None:
    """Apply the account's API faults: latency first, then a pending 503 burst, then random 500s.

    Every provider API call passes here first, so this is where its arrival is counted.
    """
    state.stats.api_arrivals += 1
    faults = state.config.faults
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if state.burst_remaining > 0:
        state.burst_remaining -= 1
        return json_response(bodies.unavailable, 503)
    if faults.error_rate and state.fault_rng.random() < faults.error_rate:
        return json_response(bodies.internal_error, 500)
    return None


def recorded(state: AccountState, endpoint: str, response: Response[bytes]) -> Response[bytes]:
    state.stats.record(endpoint, response.status_code or 200)
    return response
