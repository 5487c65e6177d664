"""``/_sim/...``: configure accounts, reset their limits, touch products, read counters.

Load runs and chaos drills drive the simulator through these endpoints only,
so a drill can turn a fault on mid-run without restarting anything.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Response
from msgspec import Meta

from control_plane.domain.providers import Provider
from loadtests.simulator import config as account_config
from loadtests.simulator.catalog import utc_z
from loadtests.simulator.responses import AnyRequest, json_response
from loadtests.simulator.state import Simulator


class TouchRequest(msgspec.Struct, forbid_unknown_fields=True):
    count: Annotated[int, Meta(ge=0, le=10_000)]


class UnknownProvider(Exception):
    pass


def provider_of(raw: str) -> Provider:
    try:
        return Provider(raw)
    except ValueError as exc:
        raise UnknownProvider(raw) from exc


def unknown_provider(raw: str) -> Response[bytes]:
    known = ", ".join(p.value for p in Provider)
    return json_response({"error": f"unknown provider {raw!r}; expected one of {known}", "field": "provider"}, 404)


def _bad(message: str, field: str | None) -> Response[bytes]:
    return json_response({"error": message, "field": field}, 400)


def health(sim: Simulator) -> Response[bytes]:
    return json_response({"status": "ok", "seed": sim.settings.seed})


def show(sim: Simulator, provider: Provider, account: str) -> Response[bytes]:
    return json_response(account_config.public_view(provider, account, sim.config_of(provider, account)))


async def configure(
    sim: Simulator, request: AnyRequest, provider: Provider, account: str, *, merge: bool
) -> Response[bytes]:
    """PUT (``merge=False``: omitted fields take defaults) or PATCH (``merge=True``: onto the current one)."""
    base = sim.config_of(provider, account) if merge else sim.defaults()
    try:
        config = account_config.apply(base, await request.body())
    except account_config.ConfigError as error:
        return _bad(error.message, error.field)
    sim.configure(provider, account, config)
    return show(sim, provider, account)


def reset_limits(sim: Simulator, provider: Provider, account: str) -> None:
    sim.account(provider, account).limits.clear()


async def touch(sim: Simulator, request: AnyRequest, provider: Provider, account: str) -> Response[bytes]:
    try:
        body = msgspec.json.decode(await request.body(), type=TouchRequest)
    except msgspec.ValidationError as error:
        return _bad(str(error), account_config.field_of(error) or "count")
    except msgspec.DecodeError as error:
        return _bad(f"body is not valid JSON: {error}", None)
    state = sim.account(provider, account)
    done = state.touch(body.count)
    return json_response({"touched": min(done.count, state.catalog.size), "updated_at": utc_z(done.at)})


def stats(sim: Simulator, provider: Provider, account: str) -> Response[bytes]:
    state = sim.account(provider, account)
    body: dict[str, Any] = {"provider": provider.value, "account": account}
    body.update(state.stats.as_dict())
    body["burst_5xx_remaining"] = state.burst_remaining
    return json_response(body)
