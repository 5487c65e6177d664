"""What every Shopify Admin API call passes before it reaches a handler.

Order: injected faults (latency, 503 burst, random 500s: they model trouble in
front of the application), then a shop that is gone (404), then the access
token (401).  Rate limits are per surface and applied by the handlers.
"""

from __future__ import annotations

from litestar import Response

from control_plane.domain.providers import Provider
from loadtests.simulator.responses import AnyRequest, FaultBodies, injected_fault, json_response
from loadtests.simulator.state import AccountState, Simulator

TOKEN_HEADER = "x-shopify-access-token"  # noqa: S105 - a header name, not a secret
FAULTS = FaultBodies(
    internal_error={"errors": "Internal Server Error"},
    unavailable={"errors": "Service Unavailable"},
)
UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
NOT_FOUND = {"errors": "Not Found"}


async def admit(sim: Simulator, request: AnyRequest, shop: str) -> tuple[AccountState, Response[bytes] | None]:
    """The shop's state, and the refusal to send instead of a normal answer (None if admitted)."""
    state = sim.account(Provider.SHOPIFY, shop)
    fault = await injected_fault(state, FAULTS)
    if fault is not None:
        return state, fault
    if state.config.gone:
        return state, json_response(NOT_FOUND, 404)
    if request.headers.get(TOKEN_HEADER) != state.credential:
        return state, json_response(UNAUTHORIZED, 401)
    return state, None
