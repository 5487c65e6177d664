"""A Shopify shop's address is the configured template with the shop's (validated) name in it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from control_plane.domain.errors import InvalidRequest
from control_plane.domain.providers import Provider
from control_plane.services.integrations import provider_base_url
from control_plane.settings.providers import ProviderSettings


def test_the_default_is_the_shops_myshopify_address() -> None:
    assert provider_base_url(Provider.SHOPIFY, {"shop": "acme-coffee"}, "") == "https://acme-coffee.myshopify.com"


def test_a_configured_template_stands_in_for_every_shop() -> None:
    template = ProviderSettings(shopify_shop_url="http://127.0.0.1:9/shopify/{shop}").shopify_shop_url
    assert provider_base_url(Provider.SHOPIFY, {"shop": "acme"}, "", template) == "http://127.0.0.1:9/shopify/acme"


def test_the_name_is_validated_before_it_goes_into_the_template() -> None:
    with pytest.raises(InvalidRequest):
        provider_base_url(Provider.SHOPIFY, {"shop": "evil.example/x"}, "", "http://sim/{shop}")


@pytest.mark.parametrize("template", ["http://sim/shop", "ftp://{shop}.example", "http://{shop}/{other}"])
def test_a_template_without_one_shop_placeholder_is_refused(template: str) -> None:
    with pytest.raises(ValidationError):
        ProviderSettings(shopify_shop_url=template)
