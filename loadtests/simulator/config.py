"""Per-account configuration: catalog shape, Shopify plan, credential and faults.

``PUT`` replaces an account's configuration (omitted fields take their
defaults) and ``PATCH`` merges into the current one.  Both are validated here,
so a typo in a load script is a 400 naming the field instead of a knob that
silently does nothing.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from control_plane.domain.providers import Provider

ImageFormat = Literal["jpeg", "png", "webp", "mixed"]
Plan = Literal["standard", "advanced", "plus", "enterprise"]
Fraction = Annotated[float, Meta(ge=0.0, le=1.0)]
Millis = Annotated[int, Meta(ge=0, le=120_000)]
ImageCount = Annotated[int, Meta(ge=0, le=250)]
"""Shopify allows up to 250 media per product."""
VariantCount = Annotated[int, Meta(ge=1, le=2048)]
"""Shopify allows up to 2,048 variants per product."""
Pixels = Annotated[int, Meta(ge=1, le=4096)]

_FIELD_AT = re.compile(r"at `\$\.?([^`]*)`")
_UNKNOWN = re.compile(r"unknown field `([^`]*)`")


class Faults(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Failure knobs: the API ones apply to provider API calls, the image ones to image downloads."""

    error_rate: Fraction = 0.0
    latency_ms: Millis = 0
    burst_5xx: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    slow_images_ms: Millis = 0
    broken_images: Fraction = 0.0
    wrong_content_type: Fraction = 0.0


class AccountConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything that shapes one account's catalog and behaviour."""

    products: Annotated[int, Meta(ge=0, le=10_000)]
    images_min: ImageCount = 0
    images_max: ImageCount = 3
    variants_min: VariantCount = 1
    variants_max: VariantCount = 6
    image_width: Pixels = 800
    image_height: Pixels = 800
    image_format: ImageFormat = "jpeg"
    plan: Plan = "standard"
    credential: Annotated[str, Meta(min_length=1, max_length=256)] | None = None
    """None means the default credential of the account (see :func:`default_credential`)."""
    gone: bool = False
    """A shop or account that no longer exists: every API call answers 404."""
    faults: Faults = msgspec.field(default_factory=Faults)


class ConfigError(ValueError):
    """The submitted configuration is invalid; ``field`` names the culprit (dotted path)."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def default_credential(provider: Provider, account: str) -> str:
    """The credential an unconfigured account accepts."""
    prefix = "shpat_sim_" if provider is Provider.SHOPIFY else "rk_sim_"
    return prefix + account


def effective_credential(provider: Provider, account: str, config: AccountConfig) -> str:
    return config.credential if config.credential is not None else default_credential(provider, account)


def field_of(error: msgspec.ValidationError) -> str | None:
    text = str(error)
    located = _FIELD_AT.search(text)
    path = located.group(1) if located else ""
    unknown = _UNKNOWN.search(text)
    if unknown:
        path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
    return path or None


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Overlay ``patch`` on ``base``; the ``faults`` object merges field by field."""
    merged = {**base, **patch}
    faults = patch.get("faults")
    if isinstance(faults, dict):
        merged["faults"] = {**base.get("faults", {}), **faults}
    return merged


def _check_ranges(config: AccountConfig) -> None:
    if config.images_min > config.images_max:
        raise ConfigError("images_min must not exceed images_max", "images_min")
    if config.variants_min > config.variants_max:
        raise ConfigError("variants_min must not exceed variants_max", "variants_min")


def apply(base: AccountConfig, body: bytes) -> AccountConfig:
    """Validate the JSON ``body`` and overlay it on ``base`` (defaults for PUT, current for PATCH)."""
    try:
        patch = msgspec.json.decode(body) if body.strip() else {}
    except msgspec.DecodeError as exc:
        raise ConfigError(f"body is not valid JSON: {exc}", None) from exc
    if not isinstance(patch, dict):
        raise ConfigError("body must be a JSON object", None)
    try:
        config = msgspec.convert(_merge(msgspec.to_builtins(base), patch), AccountConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(str(exc), field_of(exc)) from exc
    _check_ranges(config)
    return config


def public_view(provider: Provider, account: str, config: AccountConfig) -> dict[str, Any]:
    """The configuration as ``GET`` shows it, with the effective credential filled in."""
    view: dict[str, Any] = msgspec.to_builtins(config)
    view["credential"] = effective_credential(provider, account, config)
    return view
