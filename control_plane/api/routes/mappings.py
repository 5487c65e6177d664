"""Field mapping endpoints: read and save a company's mapping, preview one on live products.

A preview is a dry run: it reads the provider and maps, and the handler
commits nothing.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from control_plane.api.access import access
from control_plane.api.dependencies import Caller, DbSession
from control_plane.api.mapping_schemas import (
    MappingOut,
    PreviewItemOut,
    PreviewOut,
    PreviewRequest,
    SaveMapping,
    rules_json,
)
from control_plane.api.problem_docs import problem_response
from control_plane.domain.principals import Access
from control_plane.domain.providers import Provider
from control_plane.integrations.providers.base import ProviderClientFactory
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import IntegrationService
from control_plane.services.mappings import MappingService

Secrets = NamedDependency[SecretBox]
ProviderClients = NamedDependency[ProviderClientFactory]


class MappingController(Controller):
    path = "/api/v1"
    tags = ["mappings"]

    @get(
        "/mappings/{provider:str}", summary="The field mapping in force for a provider", opt=access(Access.TENANT_READ)
    )
    async def get_mapping(
        self,
        provider: FromPath[Provider],
        principal: Caller,
        db_session: DbSession,
        company_id: FromQuery[uuid.UUID | None] = None,
    ) -> MappingOut:
        mapping = await MappingService(db_session, actor=principal).effective(provider, company_id)
        return MappingOut.of(mapping)

    @put(
        "/mappings/{provider:str}",
        summary="Validate and save a company's field mapping",
        opt=access(Access.TENANT_WRITE),
    )
    async def save_mapping(
        self,
        provider: FromPath[Provider],
        data: JSONBody[SaveMapping],
        principal: Caller,
        db_session: DbSession,
        company_id: FromQuery[uuid.UUID | None] = None,
    ) -> MappingOut:
        mapping = await MappingService(db_session, actor=principal).save(provider, rules_json(data.rules), company_id)
        await db_session.commit()
        return MappingOut.of(mapping)

    @post(
        "/integrations/{integration_id:uuid}/mapping-preview",
        status_code=HTTP_200_OK,
        summary="Map the integration's first live products (dry run)",
        opt=access(Access.TENANT_WRITE),
        responses={502: problem_response(502)},  # the provider's answer could not be read
    )
    async def preview_mapping(
        self,
        integration_id: FromPath[uuid.UUID],
        data: JSONBody[PreviewRequest],
        principal: Caller,
        db_session: DbSession,
        secrets: Secrets,
        provider_clients: ProviderClients,
    ) -> PreviewOut:
        access = await IntegrationService(db_session, actor=principal, secrets=secrets).access(integration_id)
        rules = rules_json(data.rules) if data.rules is not None else None
        service = MappingService(db_session, actor=principal)
        items = await service.preview(access, provider_clients(access), rules, limit=data.limit)
        return PreviewOut(items=[PreviewItemOut.of(item) for item in items])
