"""``/_sim/...``: configure accounts, reset their limits, touch, remove or re-image products, read counters.

Load runs and chaos drills drive the simulator through these endpoints only,
so a drill can turn a fault on mid-run without restarting anything.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Response
from msgspec import Meta

from control_plane.domain.providers import Provider
from loadtests.simulator import config as account_config
from loadtests.simulator.catalog import utc_z
from loadtests.simulator.responses import AnyRequest, json_response
from loadtests.simulator.shopify_bulk import Outcome, Script
from loadtests.simulator.state import AccountState, Simulator


class TouchRequest(msgspec.Struct, forbid_unknown_fields=True):
    count: Annotated[int, Meta(ge=0, le=10_000)]


Index = Annotated[int, Meta(ge=0)]
Indices = Annotated[list[Index], Meta(min_length=1, max_length=10_000)]
MAX_IMAGES = 250
"""Shopify's media limit per product; a replacement may not exceed it."""


class RemoveRequest(msgspec.Struct, forbid_unknown_fields=True):
    indices: Indices


class ReplaceImagesRequest(msgspec.Struct, forbid_unknown_fields=True):
    indices: Indices
    drop: Annotated[int, Meta(ge=0, le=MAX_IMAGES)] = 0
    add: Annotated[int, Meta(ge=0, le=MAX_IMAGES)] = 0


Seconds = Annotated[float, Meta(ge=0.0, le=30 * 86400.0)]


_Body = TypeVar("_Body", TouchRequest, RemoveRequest, ReplaceImagesRequest, "NextBulkRequest")


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


def _decode(raw: bytes, kind: type[_Body], default_field: str) -> _Body | Response[bytes]:
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as error:
        return _bad(str(error), account_config.field_of(error) or default_field)
    except msgspec.DecodeError as error:
        return _bad(f"body is not valid JSON: {error}", None)


def _unknown_indices(state: AccountState, indices: list[int]) -> Response[bytes] | None:
    """A 400 naming the first index that is not a listed product (never generated, or removed)."""
    catalog = state.catalog
    missing = [i for i in indices if not catalog.exists(i)]
    if not missing:
        return None
    return _bad(f"no product at index {missing[0]} (catalog has {catalog.size}, removed ones included)", "indices")


async def remove_products(sim: Simulator, request: AnyRequest, provider: Provider, account: str) -> Response[bytes]:
    """Products disappear from every surface; other products keep their ids."""
    body = _decode(await request.body(), RemoveRequest, "indices")
    if isinstance(body, Response):
        return body
    state = sim.account(provider, account)
    refused = _unknown_indices(state, body.indices)
    if refused is not None:
        return refused
    state.remove_products(body.indices)
    return json_response({"removed": sorted(set(body.indices)), "listed": state.catalog.matching(None)})


async def replace_images(sim: Simulator, request: AnyRequest, provider: Provider, account: str) -> Response[bytes]:
    """Drop the first ``drop`` images of each product and add ``add`` new ones; updated_at moves forward."""
    body = _decode(await request.body(), ReplaceImagesRequest, "indices")
    if isinstance(body, Response):
        return body
    state = sim.account(provider, account)
    refused = _unknown_indices(state, body.indices)
    if refused is not None:
        return refused
    catalog = state.catalog
    too_many = [i for i in body.indices if len(catalog.images(i)[body.drop :]) + body.add > MAX_IMAGES]
    if too_many:
        return _bad(f"product {too_many[0]} would have more than {MAX_IMAGES} images", "add")
    at = state.replace_images(body.indices, body.drop, body.add)
    images = {str(i): len(state.catalog.images(i)) for i in dict.fromkeys(body.indices)}
    return json_response({"replaced": images, "updated_at": utc_z(at)})


class NextBulkRequest(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Literal["completed", "failed", "canceled", "expired"] = "completed"
    error_code: Literal["ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT"] = "INTERNAL_SERVER_ERROR"
    queued_s: Seconds = 1.0
    running_s: Seconds = 2.0
    expires_after_s: Seconds = 7 * 86400.0


async def next_bulk_operation(sim: Simulator, request: AnyRequest, provider: Provider, account: str) -> Response[bytes]:
    """Script the outcome and schedule of the shop's next bulk operation."""
    if provider is not Provider.SHOPIFY:
        return _bad("bulk operations exist on Shopify only", "provider")
    body = _decode(await request.body(), NextBulkRequest, "outcome")
    if isinstance(body, Response):
        return body
    script = Script(Outcome(body.outcome), body.error_code, body.queued_s, body.running_s, body.expires_after_s)
    sim.account(provider, account).bulk.next_script = script
    return json_response(msgspec.to_builtins(body))


async def touch(sim: Simulator, request: AnyRequest, provider: Provider, account: str) -> Response[bytes]:
    body = _decode(await request.body(), TouchRequest, "count")
    if isinstance(body, Response):
        return body
    state = sim.account(provider, account)
    done = state.touch(body.count)
    return json_response({"touched": min(done.count, state.catalog.size), "updated_at": utc_z(done.at)})


def stats(sim: Simulator, provider: Provider, account: str) -> Response[bytes]:
    state = sim.account(provider, account)
    body: dict[str, Any] = {"provider": provider.value, "account": account}
    body.update(state.stats.as_dict())
    body["burst_5xx_remaining"] = state.burst_remaining
    body["bulk_operations"] = state.bulk.counters(sim.clock.now())
    return json_response(body)
