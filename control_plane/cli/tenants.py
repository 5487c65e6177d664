"""Operator commands to onboard companies, integrations and API keys."""

from __future__ import annotations

import json
import uuid

import click
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.cli.session import integration_service, run_in_session
from control_plane.db.models import ApiCredential
from control_plane.domain.principals import Role, Tier
from control_plane.domain.providers import Provider
from control_plane.services.integrations import NewIntegration
from control_plane.services.tenants import TenantService
from control_plane.settings import Settings


def _service(session: AsyncSession, settings: Settings) -> TenantService:
    return TenantService(session, settings.auth.api_key_pepper.get_secret_value())


@click.group()
def tenants() -> None:
    """Companies, integrations and API keys."""


@tenants.command("create-company")
@click.option("--name", required=True)
@click.option("--slug", required=True, help="Short unique handle, e.g. acme-coffee.")
@click.option("--tier", type=click.Choice([t.value for t in Tier]), default=Tier.BASIC.value)
def create_company(name: str, slug: str, tier: str) -> None:
    """Create a company."""

    async def action(session: AsyncSession, settings: Settings) -> str:
        company = await _service(session, settings).create_company(name=name, slug=slug, tier=Tier(tier))
        return str(company.id)

    click.echo(run_in_session(action))


@tenants.command("add-integration")
@click.option("--company", "slug", required=True, help="Company slug.")
@click.option("--provider", type=click.Choice([p.value for p in Provider]), required=True)
@click.option("--name", required=True)
@click.option(
    "--credential",
    envvar="ICP_NEW_INTEGRATION_CREDENTIAL",
    prompt=True,
    hide_input=True,
    help="Access token or API key (or ICP_NEW_INTEGRATION_CREDENTIAL); stored encrypted.",
)
@click.option("--base-url", default=None, help="Override the provider's address (e.g. a simulator).")
@click.option("--settings-json", default="{}", help='Provider account settings as JSON, e.g. {"shop": "acme"}.')
def add_integration(
    slug: str, provider: str, name: str, credential: str, base_url: str | None, settings_json: str
) -> None:
    """Connect a company to a provider account."""

    async def action(session: AsyncSession, settings: Settings) -> str:
        company = await _service(session, settings).company(slug)
        integration = await integration_service(session, settings).create(
            NewIntegration(
                provider=Provider(provider),
                name=name,
                credential=credential,
                account_settings=json.loads(settings_json),
                base_url=base_url,
                company_id=company.id,
            )
        )
        return str(integration.id)

    click.echo(run_in_session(action))


@tenants.command("create-key")
@click.option("--company", "slug", default=None, help="Company slug (vendor keys).")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", required=True, help="What the key is for.")
def create_key(slug: str | None, role: str, name: str) -> None:
    """Issue an API key; it is printed once and never stored in plain text."""

    async def action(session: AsyncSession, settings: Settings) -> str:
        service = _service(session, settings)
        company = await service.company(slug) if slug else None
        return (await service.issue_key(company=company, role=Role(role), name=name)).key

    click.echo(run_in_session(action))


def _key_line(key: ApiCredential, slugs: dict[uuid.UUID, str]) -> str:
    company = slugs.get(key.company_id, "-") if key.company_id else "-"
    used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
    revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "-"
    created = key.created_at.isoformat(timespec="seconds")
    return "\t".join([str(key.id), key.key_prefix + "…", key.role.value, company, key.name, created, used, revoked])


@tenants.command("list-keys")
@click.option("--company", "slug", default=None, help="Only this company's keys (slug).")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
def list_keys(slug: str | None, include_revoked: bool) -> None:
    """List API keys: id, prefix, role, company, name, created, last used, revoked (never the key)."""

    async def action(session: AsyncSession, settings: Settings) -> list[str]:
        service = _service(session, settings)
        company = await service.company(slug) if slug else None
        keys = await service.list_keys(company=company, include_revoked=include_revoked)
        slugs = {c.id: c.slug for c in await service.companies({k.company_id for k in keys if k.company_id})}
        return [_key_line(key, slugs) for key in keys]

    click.echo("id\tprefix\trole\tcompany\tname\tcreated\tlast_used\trevoked")
    for line in run_in_session(action):
        click.echo(line)


@tenants.command("revoke-key")
@click.argument("key_id", type=click.UUID)
def revoke_key(key_id: uuid.UUID) -> None:
    """Revoke a key (its id from list-keys): it is refused from the next request on."""

    async def action(session: AsyncSession, settings: Settings) -> str:
        revoked = await _service(session, settings).revoke_key(key_id)
        return f"revoked {revoked.id} ({revoked.key_prefix}…, {revoked.name})"

    click.echo(run_in_session(action))


@tenants.command("rotate-key")
@click.argument("key_id", type=click.UUID)
def rotate_key(key_id: uuid.UUID) -> None:
    """A new key for the same company, role and name; the old one is revoked at once. The new key is printed once."""

    async def action(session: AsyncSession, settings: Settings) -> str:
        return (await _service(session, settings).rotate_key(key_id)).key

    click.echo(run_in_session(action))
