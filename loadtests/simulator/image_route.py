"""``GET /images/{provider}/{account}/{product_index}/{serial}.{ext}``: the CDN behind product payloads.

No credential and no rate limit, like a provider's CDN; the image knobs
(``slow_images_ms``, ``broken_images``, ``wrong_content_type``) apply here and
the API faults do not.  Encoding runs in a worker thread so a cold render
does not stall every other request.
"""

from __future__ import annotations

import asyncio

from litestar import Response

from control_plane.domain.providers import Provider
from loadtests.simulator import images
from loadtests.simulator.catalog import Image
from loadtests.simulator.responses import json_response, recorded
from loadtests.simulator.state import AccountState, Simulator

ENDPOINT = "images"


def _find(state: AccountState, index: int, name: str) -> Image | None:
    serial, _, ext = name.partition(".")
    catalog = state.catalog
    if not serial.isdigit() or not catalog.exists(index):
        return None
    found = [image for image in catalog.images(index) if image.serial == int(serial)]
    return found[0] if found and found[0].ext == ext else None


async def serve(sim: Simulator, provider: str, account: str, index: int, name: str) -> Response[bytes]:
    try:
        kind = Provider(provider)
    except ValueError:
        return json_response({"error": f"unknown provider {provider!r}"}, 404)
    state = sim.account(kind, account)
    image = _find(state, index, name)
    if image is None:
        return recorded(state, ENDPOINT, json_response({"error": "image not found"}, 404))
    faults = state.config.faults
    if faults.slow_images_ms:
        await asyncio.sleep(faults.slow_images_ms / 1000)
    key = f"{sim.settings.seed}:{provider}:{account}:{index}:{image.serial}"
    decided = images.faults_for(key, faults.broken_images, faults.wrong_content_type)
    body, media_type = await asyncio.to_thread(images.body_and_type, image, decided)
    response = Response(content=body, status_code=200, media_type=media_type)
    return recorded(state, ENDPOINT, response)
