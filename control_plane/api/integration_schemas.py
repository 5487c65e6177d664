"""Wire shapes for integrations; a credential goes in and never comes out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from control_plane.db.models import Integration
from control_plane.domain.providers import CREDENTIAL_PATTERN, Provider

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Credential = Annotated[
    str, msgspec.Meta(min_length=1, max_length=4096, extra_json_schema={"pattern": CREDENTIAL_PATTERN})
]
"""The pattern is documented, and enforced by the domain rule (a ``422`` that says why), not the decoder."""
Url = Annotated[str, msgspec.Meta(min_length=8, max_length=2048, pattern=r"^https?://")]


class CreateIntegration(msgspec.Struct, forbid_unknown_fields=True):
    provider: Provider
    name: Name
    credential: Credential
    account_settings: dict[str, Any] = msgspec.field(default_factory=dict)
    base_url: Url | None = None
    company_id: uuid.UUID | None = None


class IntegrationOut(msgspec.Struct):
    id: uuid.UUID
    company_id: uuid.UUID
    provider: str
    name: str
    base_url: str
    account_settings: dict[str, Any]
    enabled: bool
    has_credential: bool
    created_at: datetime

    @classmethod
    def of(cls, integration: Integration) -> IntegrationOut:
        return cls(
            id=integration.id,
            company_id=integration.company_id,
            provider=integration.provider.value,
            name=integration.name,
            base_url=integration.base_url,
            account_settings=integration.account_settings,
            enabled=integration.enabled,
            has_credential=integration.secret_ciphertext is not None,
            created_at=integration.created_at,
        )


class IntegrationList(msgspec.Struct):
    items: list[IntegrationOut]
