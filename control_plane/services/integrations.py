"""A company's provider integrations: create them with a sealed credential, open them for clients."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import Integration
from control_plane.db.repositories import CompanyRepository, IntegrationRepository
from control_plane.domain.errors import InvalidRequest, NotFound, PermissionDenied
from control_plane.domain.principals import Principal
from control_plane.domain.providers import Provider, credential_problem, shop_problem, shopify_settings_problem
from control_plane.integrations.providers.base import IntegrationAccess
from control_plane.integrations.secrets import SecretBox, SecretDecryptionError


@dataclass(frozen=True)
class NewIntegration:
    provider: Provider
    name: str
    credential: str
    account_settings: dict[str, Any]
    base_url: str | None = None
    """Only operators may set it (e.g. a simulator); vendors get the provider's own address."""
    company_id: uuid.UUID | None = None
    """Operators name the company; vendors always create for their own."""


SHOPIFY_SHOP_URL = "https://{shop}.myshopify.com"


def provider_base_url(
    provider: Provider,
    account_settings: dict[str, Any],
    roastify_base_url: str,
    shopify_shop_url: str = SHOPIFY_SHOP_URL,
) -> str:
    """Where a provider account lives, derived from the account, never from free text."""
    if provider is Provider.ROASTIFY:
        return roastify_base_url
    shop = account_settings.get("shop")
    if shop is None:
        raise InvalidRequest("a Shopify integration needs account_settings.shop, the shop's name", field="shop")
    if problem := shop_problem(shop):
        raise InvalidRequest(problem, field="shop")
    return shopify_shop_url.format(shop=shop)


class IntegrationService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        actor: Principal,
        secrets: SecretBox,
        roastify_base_url: str = "",
        shopify_shop_url: str = SHOPIFY_SHOP_URL,
    ) -> None:
        self._repo = IntegrationRepository(session)
        self._companies = CompanyRepository(session)
        self._actor = actor
        self._secrets = secrets
        self._roastify_base_url = roastify_base_url
        self._shopify_shop_url = shopify_shop_url

    async def create(self, new: NewIntegration) -> Integration:
        company_id = self._actor.company_scope() or new.company_id
        if company_id is None:
            raise InvalidRequest("an operator must name the company", field="company_id")
        if await self._companies.get(company_id) is None:
            raise InvalidRequest("no company has this id", field="company_id")
        if new.provider is Provider.SHOPIFY and (problem := shopify_settings_problem(new.account_settings)):
            raise InvalidRequest(problem[1], field=problem[0])
        if reason := credential_problem(new.credential):
            raise InvalidRequest(reason, field="credential")
        base_url = new.base_url
        if base_url is None:
            base_url = provider_base_url(
                new.provider, new.account_settings, self._roastify_base_url, self._shopify_shop_url
            )
        elif not self._actor.is_operator:
            raise PermissionDenied("only operators may set base_url", field="base_url")
        elif not base_url.startswith(("http://", "https://")):
            raise InvalidRequest("base_url must be an http(s) URL", field="base_url")
        integration = await self._repo.add(
            company_id=company_id,
            provider=new.provider,
            name=new.name,
            base_url=base_url.rstrip("/"),
            account_settings=new.account_settings,
        )
        integration.secret_ciphertext = self._secrets.seal(new.credential)
        return integration

    async def get(self, integration_id: uuid.UUID) -> Integration:
        integration = await self._repo.get(integration_id, company_scope=self._actor.company_scope())
        if integration is None:
            raise NotFound("integration not found")
        return integration

    async def list(self) -> Sequence[Integration]:
        return await self._repo.list(company_scope=self._actor.company_scope())

    async def access(self, integration_id: uuid.UUID) -> IntegrationAccess:
        """What a provider client needs, credential decrypted; visible integrations only."""
        integration = await self.get(integration_id)
        return open_access(integration, self._secrets)


def open_access(integration: Integration, secrets: SecretBox) -> IntegrationAccess:
    """Decrypt an integration's credential for a client (workers call this with their own job's row)."""
    if integration.secret_ciphertext is None:
        raise InvalidRequest("this integration has no credential", field="credential")
    try:
        credential = secrets.open(integration.secret_ciphertext)
    except SecretDecryptionError as exc:
        raise InvalidRequest(str(exc), field="credential") from exc
    if reason := credential_problem(credential):  # stored before the rule: a client error, never a retry
        raise InvalidRequest(reason, field="credential")
    return IntegrationAccess(
        integration_id=str(integration.id),
        company_id=str(integration.company_id),
        provider=integration.provider,
        base_url=integration.base_url,
        account_settings=dict(integration.account_settings),
        credential=credential,
    )
