"""The simulator's ASGI app: ``uvicorn loadtests.simulator.app:create_app --factory``.

Handlers are closures over one :class:`Simulator`, so the app carries its
whole state and tests can build independent instances.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Litestar, Response, delete, get, patch, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Stream

from control_plane.domain.providers import Provider
from harness.settings import SimulatorSettings
from loadtests.simulator import (
    admin,
    bulk_files,
    hostile,
    hostile_images,
    image_route,
    roastify,
    shopify_graphql,
    shopify_rest,
)
from loadtests.simulator.clock import Clock
from loadtests.simulator.responses import AnyRequest
from loadtests.simulator.state import Simulator

ACCOUNT = "/_sim/accounts/{provider:str}/{account:str}"
SHOPIFY = "/shopify/{shop:str}/admin/api/{version:str}"
ROASTIFY = "/roastify/{account:str}/v1/products"

AdminCall = Callable[[Provider], Awaitable[Response[bytes]]]


async def _for_provider(raw: str, call: AdminCall) -> Response[bytes]:
    try:
        provider = admin.provider_of(raw)
    except admin.UnknownProvider:
        return admin.unknown_provider(raw)
    return await call(provider)


def _account_handlers(sim: Simulator) -> list[HTTPRouteHandler]:
    @get(ACCOUNT)
    async def show(provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            return admin.show(sim, kind, account)

        return await _for_provider(provider, call)

    @put(ACCOUNT)
    async def replace(request: AnyRequest, provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            return await admin.configure(sim, request, kind, account, merge=False)

        return await _for_provider(provider, call)

    @patch(ACCOUNT)
    async def merge(request: AnyRequest, provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            return await admin.configure(sim, request, kind, account, merge=True)

        return await _for_provider(provider, call)

    @delete(ACCOUNT, status_code=200)
    async def reset(provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            sim.forget(kind, account)
            return Response(content=b"", status_code=204)

        return await _for_provider(provider, call)

    return [show, replace, merge, reset]


def _state_handlers(sim: Simulator) -> list[HTTPRouteHandler]:
    @post(ACCOUNT + "/reset-limits", status_code=200)
    async def reset_limits(provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            admin.reset_limits(sim, kind, account)
            return Response(content=b"", status_code=204)

        return await _for_provider(provider, call)

    @post(ACCOUNT + "/touch", status_code=200)
    async def touch(request: AnyRequest, provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            return await admin.touch(sim, request, kind, account)

        return await _for_provider(provider, call)

    @post(ACCOUNT + "/remove-products", status_code=200)
    async def remove_products(request: AnyRequest, provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            return await admin.remove_products(sim, request, kind, account)

        return await _for_provider(provider, call)

    @post(ACCOUNT + "/replace-images", status_code=200)
    async def replace_images(request: AnyRequest, provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            return await admin.replace_images(sim, request, kind, account)

        return await _for_provider(provider, call)

    @post(ACCOUNT + "/next-bulk-operation", status_code=200)
    async def next_bulk(request: AnyRequest, provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            return await admin.next_bulk_operation(sim, request, kind, account)

        return await _for_provider(provider, call)

    @get("/_sim/stats/{provider:str}/{account:str}")
    async def stats(provider: FromPath[str], account: FromPath[str]) -> Response[bytes]:
        async def call(kind: Provider) -> Response[bytes]:
            return admin.stats(sim, kind, account)

        return await _for_provider(provider, call)

    @get("/_sim/health")
    async def health() -> Response[bytes]:
        return admin.health(sim)

    return [reset_limits, touch, remove_products, replace_images, next_bulk, stats, health]


def _hostile_handlers(shops: hostile.HostileShops) -> list[HTTPRouteHandler]:
    @put("/_sim/hostile/{shop:str}")
    async def turn_on(request: AnyRequest, shop: FromPath[str]) -> Response[bytes]:
        return await shops.configure(request, shop)

    @delete("/_sim/hostile/{shop:str}", status_code=204)
    async def turn_off(shop: FromPath[str]) -> None:
        shops.forget(shop)

    @get("/_hostile/images/{case:str}/{name:str}")
    async def hostile_image(
        request: AnyRequest, case: FromPath[str], name: FromPath[str]
    ) -> Response[bytes] | Redirect | Stream:
        return hostile_images.serve(request, case)

    return [turn_on, turn_off, hostile_image]


def _provider_handlers(sim: Simulator, shops: hostile.HostileShops) -> list[HTTPRouteHandler]:
    @get(SHOPIFY + "/products.json")
    async def shopify_products(request: AnyRequest, shop: FromPath[str], version: FromPath[str]) -> Response[bytes]:
        return await shopify_rest.products(sim, request, shop, version)

    @post(SHOPIFY + "/graphql.json", status_code=200)
    async def shopify_graphql_query(
        request: AnyRequest, shop: FromPath[str], version: FromPath[str]
    ) -> Response[bytes] | Stream:
        case = shops.case_of(shop)
        if case is not None:
            return hostile.respond(request, case)
        return await shopify_graphql.graphql(sim, request, shop, version)

    @get("/_sim/bulk/{shop:str}/{name:str}")
    async def bulk_file(request: AnyRequest, shop: FromPath[str], name: FromPath[str]) -> Response[bytes]:
        return bulk_files.serve(sim, request, shop, name)

    @get(ROASTIFY)
    async def roastify_list(request: AnyRequest, account: FromPath[str]) -> Response[bytes]:
        return await roastify.list_products(sim, request, account)

    @get(ROASTIFY + "/{product_id:str}")
    async def roastify_detail(
        request: AnyRequest, account: FromPath[str], product_id: FromPath[str]
    ) -> Response[bytes]:
        return await roastify.get_product(sim, request, account, product_id)

    @get("/images/{provider:str}/{account:str}/{product_index:int}/{name:str}")
    async def image(
        provider: FromPath[str], account: FromPath[str], product_index: FromPath[int], name: FromPath[str]
    ) -> Response[bytes]:
        return await image_route.serve(sim, provider, account, product_index, name)

    return [shopify_products, shopify_graphql_query, bulk_file, roastify_list, roastify_detail, image]


def create_app(settings: SimulatorSettings | None = None, clock: Clock | None = None) -> Litestar:
    """A simulator with fresh in-memory state (uvicorn calls it with no arguments; tests pass a fake clock)."""
    sim = Simulator(settings or SimulatorSettings(), clock)
    shops = hostile.HostileShops()
    handlers = [
        *_account_handlers(sim),
        *_state_handlers(sim),
        *_provider_handlers(sim, shops),
        *_hostile_handlers(shops),
    ]
    return Litestar(route_handlers=handlers, openapi_config=None)
