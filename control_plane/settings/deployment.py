"""The deployment a process belongs to, and the refusal to run production on the public development secrets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from control_plane.settings.base import Section
from control_plane.settings.edge import AuthSettings
from control_plane.settings.providers import ProviderSettings

if TYPE_CHECKING:
    from control_plane.settings import Settings


class DeploymentSettings(Section):
    """Where the process runs."""

    model_config = SettingsConfigDict(env_prefix="ICP_", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = Field(
        "development",
        description=(
            "`production` makes the API and workers refuse to start while a secret still has its "
            "(public) development default."
        ),
    )


class DevelopmentSecretsInProduction(RuntimeError):
    """A production process was given a secret everyone can read in the source."""


def _default(section: type[Section], name: str) -> str:
    default = section.model_fields[name].default
    assert isinstance(default, SecretStr)
    return default.get_secret_value()


def development_secrets(settings: Settings) -> list[str]:
    """The environment variables still holding a development default (or nothing at all)."""
    public_jwt = _default(AuthSettings, "jwt_secret")
    checks = {
        "ICP_AUTH_JWT_SECRET": (settings.auth.jwt_secret.get_secret_value(), public_jwt),
        "ICP_AUTH_API_KEY_PEPPER": (
            settings.auth.api_key_pepper.get_secret_value(),
            _default(AuthSettings, "api_key_pepper"),
        ),
        "ICP_PROVIDER_SECRETS_KEY": (
            settings.provider.secrets_key.get_secret_value(),
            _default(ProviderSettings, "secrets_key"),
        ),
    }
    found = [name for name, (value, public) in checks.items() if not value.strip() or value == public]
    previous = [key.get_secret_value() for key in settings.auth.jwt_previous_secrets]
    if any(not key.strip() or key == public_jwt for key in previous):
        found.append("ICP_AUTH_JWT_PREVIOUS_SECRETS")
    return found


def ensure_production_secrets(settings: Settings) -> None:
    """Refuse to start a production process on development secrets: tokens, keys and credentials would be forgeable."""
    if settings.deployment.environment != "production":
        return
    found = development_secrets(settings)
    if found:
        raise DevelopmentSecretsInProduction(
            "ICP_ENVIRONMENT=production, but these settings still hold their public development default "
            f"(or are empty): {', '.join(found)}. Set each to its own secret (in AWS: the application's "
            "Secrets Manager secret) before starting the API or the workers."
        )
