"""Run one CLI action inside a database session that commits on success."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.domain.errors import DomainError
from control_plane.domain.principals import Principal, Role
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import IntegrationService
from control_plane.settings import Settings, get_settings

T = TypeVar("T")


def run_in_session(action: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """The CLI is an edge: it owns the transaction its service calls run in."""

    async def _run() -> T:
        settings = get_settings()
        engine = create_engine(settings.database)
        try:
            async with create_session_factory(engine)() as session:
                result = await action(session, settings)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(_run())
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        raise click.ClickException(f"{exc.detail}{where}") from exc


CLI_OPERATOR = Principal(subject="cli", role=Role.OPERATOR, company_id=None)
"""Whoever runs importctl on the control plane's host acts as an operator."""


def integration_service(session: AsyncSession, settings: Settings) -> IntegrationService:
    return IntegrationService(
        session,
        actor=CLI_OPERATOR,
        secrets=SecretBox(settings.provider.secrets_key.get_secret_value()),
        roastify_base_url=settings.provider.roastify_base_url,
        shopify_shop_url=settings.provider.shopify_shop_url,
    )
