"""Integration endpoints: connect a company to a provider account."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from control_plane.api.access import access
from control_plane.api.dependencies import AppSettings, Caller, DbSession
from control_plane.api.integration_schemas import CreateIntegration, IntegrationList, IntegrationOut
from control_plane.domain.principals import Access
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import IntegrationService, NewIntegration

Secrets = NamedDependency[SecretBox]


class IntegrationController(Controller):
    path = "/api/v1/integrations"
    tags = ["integrations"]

    @post("/", status_code=HTTP_201_CREATED, summary="Connect a provider account", opt=access(Access.TENANT_WRITE))
    async def create(
        self,
        data: JSONBody[CreateIntegration],
        principal: Caller,
        db_session: DbSession,
        secrets: Secrets,
        settings: AppSettings,
    ) -> IntegrationOut:
        service = IntegrationService(
            db_session,
            actor=principal,
            secrets=secrets,
            roastify_base_url=settings.provider.roastify_base_url,
            shopify_shop_url=settings.provider.shopify_shop_url,
        )
        integration = await service.create(
            NewIntegration(
                provider=data.provider,
                name=data.name,
                credential=data.credential,
                account_settings=data.account_settings,
                base_url=data.base_url,
                company_id=data.company_id,
            )
        )
        await db_session.commit()
        return IntegrationOut.of(integration)

    @get("/", summary="List integrations", opt=access(Access.TENANT_READ))
    async def list_integrations(self, principal: Caller, db_session: DbSession, secrets: Secrets) -> IntegrationList:
        items = await IntegrationService(db_session, actor=principal, secrets=secrets).list()
        return IntegrationList(items=[IntegrationOut.of(item) for item in items])

    @get("/{integration_id:uuid}", summary="One integration", opt=access(Access.TENANT_READ))
    async def get_integration(
        self, integration_id: FromPath[uuid.UUID], principal: Caller, db_session: DbSession, secrets: Secrets
    ) -> IntegrationOut:
        service = IntegrationService(db_session, actor=principal, secrets=secrets)
        return IntegrationOut.of(await service.get(integration_id))
