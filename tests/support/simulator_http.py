"""Calls on the provider simulator as its tests make them: through its toxiproxy proxy, as clients reach it."""

from __future__ import annotations

from typing import Any

import httpx

API = "/admin/api/2026-10"


async def configure(http: httpx.AsyncClient, provider: str, account: str, **config: Any) -> dict[str, Any]:
    response = await http.put(f"/_sim/accounts/{provider}/{account}", json=config)
    assert response.status_code == 200, response.text
    return dict(response.json())


def shopify_headers(shop: str) -> dict[str, str]:
    return {"X-Shopify-Access-Token": f"shpat_sim_{shop}"}


def roastify_headers(account: str) -> dict[str, str]:
    return {"x-api-key": f"rk_sim_{account}"}


async def rest_page(http: httpx.AsyncClient, shop: str, **params: Any) -> httpx.Response:
    return await http.get(f"/shopify/{shop}{API}/products.json", params=params, headers=shopify_headers(shop))
