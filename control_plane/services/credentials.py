"""API keys: issued once, stored only as a peppered hash, checked in constant work."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories import CredentialRepository
from control_plane.domain.errors import AuthenticationFailed
from control_plane.domain.principals import Principal, Role

API_KEY_PREFIX = "icp_"
TOUCH_EVERY = timedelta(minutes=1)
"""A key's last-used time is kept to the minute (the repository's update has the same guard)."""


@dataclass(frozen=True)
class IssuedKey:
    credential_id: uuid.UUID
    key: str


def hash_api_key(key: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(API_KEY_PREFIX)


async def issue_api_key(
    session: AsyncSession, *, pepper: str, company_id: uuid.UUID | None, role: Role, name: str
) -> IssuedKey:
    """Create a key; the plaintext is returned here and never again."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    credential = await CredentialRepository(session).add(
        company_id=company_id,
        name=name,
        role=role,
        key_prefix=key[:12],
        key_hash=hash_api_key(key, pepper),
    )
    return IssuedKey(credential.id, key)


async def authenticate_api_key(session: AsyncSession, key: str, *, pepper: str) -> Principal:
    repo = CredentialRepository(session)
    credential = await repo.find_active(hash_api_key(key, pepper))
    if credential is None:
        raise AuthenticationFailed("unknown or revoked API key")
    now = datetime.now(UTC)
    if credential.last_used_at is None or credential.last_used_at < now - TOUCH_EVERY:
        await repo.touch(credential.id, now)  # skipped for a key used within the minute: one round trip less
    return Principal(subject=f"key:{credential.key_prefix}", role=credential.role, company_id=credential.company_id)
