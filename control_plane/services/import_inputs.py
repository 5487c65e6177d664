"""What a job needs before its first page: the provider account and the mapping in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob
from control_plane.db.repositories import IntegrationRepository
from control_plane.domain.errors import InvalidRequest, PermanentJobFailure
from control_plane.domain.mapping import RuleSet
from control_plane.domain.principals import Principal, Role
from control_plane.integrations.providers.base import IntegrationAccess
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import open_access
from control_plane.services.mappings import MappingService, mapping_context

SYSTEM = Principal(subject="importer", role=Role.OPERATOR, company_id=None)
"""Workers act for the platform: the job row already fixes whose data they touch."""


@dataclass(frozen=True)
class ImportInputs:
    access: IntegrationAccess
    rules: RuleSet
    context: dict[str, Any]


async def load_inputs(session: AsyncSession, job: ImportJob, secrets: SecretBox) -> ImportInputs:
    """Raises PermanentJobFailure for a deleted/disabled integration, an unusable credential or a broken mapping."""
    integration = await IntegrationRepository(session).get(job.integration_id, company_scope=job.company_id)
    if integration is None or not integration.enabled:
        raise PermanentJobFailure("the job's integration no longer exists or is disabled")
    try:
        access = open_access(integration, secrets)
        rules = await MappingService(session, actor=SYSTEM).rule_set(job.provider, job.company_id)
    except InvalidRequest as exc:  # the services' own checks, said to a job instead of a client
        raise PermanentJobFailure(exc.detail) from exc
    return ImportInputs(access, rules, mapping_context(access.account_settings))
