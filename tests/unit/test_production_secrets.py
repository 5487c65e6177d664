"""Production refuses to start on the development secrets; rotation keys are read from the environment."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from pydantic import SecretStr, ValidationError

from control_plane.api.app import create_app
from control_plane.settings import (
    AuthSettings,
    DeploymentSettings,
    DevelopmentSecretsInProduction,
    ProviderSettings,
    Settings,
    ensure_production_secrets,
    load_settings,
)
from workers.resources import open_resources

FERNET_KEY = "cHJvZHVjdGlvbi1mZXJuZXQta2V5LTMyLWJ5dGVzLSE="
ALL = ("ICP_AUTH_JWT_SECRET", "ICP_AUTH_API_KEY_PEPPER", "ICP_PROVIDER_SECRETS_KEY")


def _settings(environment: str = "production", **auth: object) -> Settings:
    base = load_settings()
    return replace(base, deployment=DeploymentSettings(environment=environment), auth=AuthSettings(**auth))


def _production_secrets(**auth: object) -> Settings:
    fields: dict[str, object] = {
        "jwt_secret": SecretStr("a-production-jwt-secret-of-enough-length"),
        "api_key_pepper": SecretStr("a-production-pepper"),
        **auth,
    }
    settings = _settings(**fields)
    return replace(settings, provider=ProviderSettings(secrets_key=SecretStr(FERNET_KEY)))


def test_development_runs_on_the_development_defaults() -> None:
    ensure_production_secrets(_settings("development"))


def test_production_with_every_default_names_every_variable() -> None:
    with pytest.raises(DevelopmentSecretsInProduction) as refused:
        ensure_production_secrets(_settings())
    for name in ALL:
        assert name in str(refused.value)
    assert "ICP_ENVIRONMENT=production" in str(refused.value)


def test_production_with_its_own_secrets_starts() -> None:
    ensure_production_secrets(_production_secrets())


@pytest.mark.parametrize(
    ("auth", "named"),
    [
        ({"jwt_secret": AuthSettings.model_fields["jwt_secret"].default}, "ICP_AUTH_JWT_SECRET"),
        ({"api_key_pepper": SecretStr("  ")}, "ICP_AUTH_API_KEY_PEPPER"),
        (
            {"jwt_previous_secrets": (SecretStr("an-old-key"), AuthSettings.model_fields["jwt_secret"].default)},
            "ICP_AUTH_JWT_PREVIOUS_SECRETS",
        ),
    ],
    ids=["jwt-default", "empty-pepper", "default-among-previous"],
)
def test_production_names_only_what_is_left_at_its_default(auth: dict[str, object], named: str) -> None:
    with pytest.raises(DevelopmentSecretsInProduction) as refused:
        ensure_production_secrets(_production_secrets(**auth))
    message = str(refused.value)
    assert named in message
    assert [name for name in (*ALL, "ICP_AUTH_JWT_PREVIOUS_SECRETS") if name in message] == [named]


def test_provider_key_default_is_refused() -> None:
    settings = replace(_production_secrets(), provider=ProviderSettings())
    with pytest.raises(DevelopmentSecretsInProduction, match="ICP_PROVIDER_SECRETS_KEY"):
        ensure_production_secrets(settings)


def test_the_api_and_the_workers_refuse_to_start() -> None:
    with pytest.raises(DevelopmentSecretsInProduction):
        create_app(_settings())
    ctx: dict[str, object] = {}
    with pytest.raises(DevelopmentSecretsInProduction):
        asyncio.run(open_resources(ctx, _settings()))
    assert ctx == {}, "nothing is opened before the refusal"


def test_environment_and_previous_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DeploymentSettings().environment == "development"
    monkeypatch.setenv("ICP_ENVIRONMENT", "production")
    monkeypatch.setenv("ICP_AUTH_JWT_PREVIOUS_SECRETS", '["old-key-1", "old-key-2"]')
    assert DeploymentSettings().environment == "production"
    assert [key.get_secret_value() for key in AuthSettings().jwt_previous_secrets] == ["old-key-1", "old-key-2"]
    monkeypatch.setenv("ICP_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError):
        DeploymentSettings()
