"""Shapes simulator accounts through its admin API and forgets every one of them afterwards."""

from __future__ import annotations

from typing import Any

import httpx

from harness.settings import HarnessSettings

PROVIDER = "shopify"


class SimulatorAdmin:
    """``/_sim/accounts/shopify/<shop>`` for the shops a run creates (reached through the ``shopify`` proxy)."""

    def __init__(self, http: httpx.AsyncClient, settings: HarnessSettings) -> None:
        self._http = http
        self._base = settings.simulator.shopify_base
        self._accounts: list[str] = []

    def shop_url(self, shop: str) -> str:
        """What an integration stores as its base URL: the proxy, never the simulator's own port."""
        return f"{self._base}/{PROVIDER}/{shop}"

    def image_url(self, shop: str, product_index: int, position: int, ext: str = "jpg") -> str:
        """The simulator's CDN route, as its product payloads spell it."""
        return f"{self._base}/images/{PROVIDER}/{shop}/{product_index}/{position}.{ext}"

    @staticmethod
    def credential(shop: str) -> str:
        return f"shpat_sim_{shop}"

    async def configure(self, shop: str, config: dict[str, Any]) -> dict[str, Any]:
        """Replace the shop's configuration; remembered so :meth:`forget_all` removes it."""
        self._accounts.append(shop)
        response = await self._http.put(self._path(shop), json=config)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def stats(self, shop: str) -> dict[str, Any]:
        response = await self._http.get(f"{self._base}/_sim/stats/{PROVIDER}/{shop}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def forget_all(self) -> None:
        for shop in dict.fromkeys(self._accounts):
            response = await self._http.delete(self._path(shop))
            if response.status_code not in (200, 204, 404):
                response.raise_for_status()
        self._accounts.clear()

    def _path(self, shop: str) -> str:
        return f"{self._base}/_sim/accounts/{PROVIDER}/{shop}"
