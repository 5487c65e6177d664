"""Field mappings: read the one in force, save a validated one, preview one on live products.

A company without a saved mapping gets its provider's default.  Saving
validates first, so an import never meets a malformed rule set; previewing
maps the first few live products and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories import CompanyRepository, MappingRepository
from control_plane.domain.errors import InvalidRequest, NotFound
from control_plane.domain.mapping import (
    CompiledMapping,
    FieldError,
    MappingErrors,
    ProviderCallFailed,
    RuleSet,
    compile_rules,
    default_rule_set,
    parse_rules,
)
from control_plane.domain.principals import Principal
from control_plane.domain.providers import Provider
from control_plane.integrations.providers.base import (
    AccountRefused,
    IntegrationAccess,
    ProviderClient,
    ProviderError,
    SourceProduct,
)

DEFAULT_PREVIEW = 3
MAX_PREVIEW = 20
MAX_PREVIEW_PAGES = 3
"""A provider that answers with tiny pages still costs a bounded number of calls."""


@dataclass(frozen=True)
class EffectiveMapping:
    company_id: uuid.UUID
    provider: Provider
    rules: list[dict[str, Any]]
    version: int
    """0 while the provider's default is in force."""
    is_default: bool


@dataclass(frozen=True)
class PreviewItem:
    external_id: str
    source: dict[str, Any]
    mapped: dict[str, Any] | None
    errors: list[FieldError]


def mapping_context(account_settings: Mapping[str, Any]) -> dict[str, Any]:
    """What ``$context.`` paths read for an integration: its account settings (e.g. ``currency``)."""
    return dict(account_settings)


class MappingService:
    def __init__(self, session: AsyncSession, *, actor: Principal) -> None:
        self._session = session
        self._repo = MappingRepository(session)
        self._actor = actor

    async def effective(self, provider: Provider, company_id: uuid.UUID | None = None) -> EffectiveMapping:
        """The company's saved mapping, or the provider's default."""
        company = await self._company(company_id)
        saved = await self._repo.get(company, provider)
        if saved is None:
            return EffectiveMapping(company, provider, default_rule_set(provider).to_json(), 0, is_default=True)
        return EffectiveMapping(company, provider, saved.rules, saved.version, is_default=False)

    async def rule_set(self, provider: Provider, company_id: uuid.UUID | None = None) -> RuleSet:
        """The mapping in force, ready to apply (what an import uses)."""
        return parse_rules((await self.effective(provider, company_id)).rules)

    async def save(self, provider: Provider, rules: Any, company_id: uuid.UUID | None = None) -> EffectiveMapping:
        """Validate, then store as the next version (the caller commits)."""
        canonical = parse_rules(rules).to_json()
        company = await self._company(company_id)
        saved = await self._repo.upsert(company, provider, canonical)
        return EffectiveMapping(company, provider, saved.rules, saved.version, is_default=False)

    async def preview(
        self,
        access: IntegrationAccess,
        client: ProviderClient,
        rules: Any | None = None,
        limit: int = DEFAULT_PREVIEW,
    ) -> list[PreviewItem]:
        """Map the integration's first ``limit`` live products with ``rules`` (None = the mapping in force)."""
        if not 1 <= limit <= MAX_PREVIEW:
            raise InvalidRequest(f"limit must be 1 to {MAX_PREVIEW}", field="limit")
        company = uuid.UUID(access.company_id)
        self._actor.ensure_can_see(company, "integration")
        rule_set = parse_rules(rules) if rules is not None else await self.rule_set(access.provider, company)
        products = await _first_products(client, access.provider, limit)
        context = mapping_context(access.account_settings)
        mapping = compile_rules(rule_set)  # what an import with these rules would run
        return [_preview_item(mapping, product, context) for product in products]

    async def _company(self, company_id: uuid.UUID | None) -> uuid.UUID:
        """A vendor's own company; the company an operator names (which must exist)."""
        scope = self._actor.company_scope()
        if scope is not None:
            if company_id is not None and company_id != scope:
                raise NotFound("company not found")
            return scope
        if company_id is None:
            raise InvalidRequest("an operator must name the company", field="company_id")
        if await CompanyRepository(self._session).get(company_id) is None:
            raise InvalidRequest("no company with this id", field="company_id")
        return company_id


async def _first_products(client: ProviderClient, provider: Provider, limit: int) -> list[SourceProduct]:
    found: list[SourceProduct] = []
    cursor: str | None = None
    for _ in range(MAX_PREVIEW_PAGES):
        try:
            page = await client.fetch_page(cursor, page_size=limit - len(found), sample=True)
        except ProviderError as exc:
            if isinstance(exc, AccountRefused):  # the vendor's to fix: a 422, not the provider's failure
                detail = f"{provider.value} refused this integration's credential or account: {exc.message}"
                raise InvalidRequest(detail, field="integration_id") from exc
            hint = " (retrying later may help)" if exc.retryable else ""
            detail = f"{provider.value} could not be read: {exc.message}{hint}"
            raise ProviderCallFailed(detail, retryable=exc.retryable, provider_status=exc.status) from exc
        found.extend(page.products)
        cursor = page.next_cursor
        if cursor is None or len(found) >= limit:
            break
    return found[:limit]


def _preview_item(mapping: CompiledMapping, product: SourceProduct, context: Mapping[str, Any]) -> PreviewItem:
    result = mapping(product.payload, context)
    if isinstance(result, MappingErrors):
        return PreviewItem(product.external_id, product.payload, None, list(result.errors))
    return PreviewItem(product.external_id, product.payload, result.as_dict(), [])
