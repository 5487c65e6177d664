"""What an integration may store: a shop name Shopify could have, a credential an HTTP header can carry."""

from __future__ import annotations

from typing import Any

import pytest

from control_plane.domain.providers import credential_problem, shop_problem


@pytest.mark.parametrize("shop", ["acme", "s-1", "acme-coffee-2", "bench-worker-20261202t194000z", "a" * 100, "7up"])
def test_shop_names_shopify_could_have_pass(shop: str) -> None:
    assert shop_problem(shop) is None


@pytest.mark.parametrize(
    "shop", ["acme\n", "localhost", "0x7f000001", "2130706433", "Acme", "-acme", "acme-", "a.b", "a", "a" * 101, None]
)
def test_other_shop_names_are_refused(shop: Any) -> None:
    assert shop_problem(shop) is not None


@pytest.mark.parametrize("credential", ["shpat_0123abcd", "rk_sim_acme-1", "a+b/c=~!"])
def test_visible_ascii_credentials_pass(credential: str) -> None:
    assert credential_problem(credential) is None


@pytest.mark.parametrize("credential", ["café-key", "two words", "key\r\nX-Evil: 1", "tab\t", "nul\x00", ""])
def test_credentials_no_header_can_carry_are_refused(credential: str) -> None:
    assert credential_problem(credential) is not None
