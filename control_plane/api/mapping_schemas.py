"""Wire shapes for field mappings and their preview.

The structs bound sizes and reject unknown keys at the edge; what a rule
*means* (known targets, transforms, paths) is checked by the domain, which
names the bad rule in a 422.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec

from control_plane.domain.mapping import MAX_RULES
from control_plane.services.mappings import DEFAULT_PREVIEW, MAX_PREVIEW, EffectiveMapping, PreviewItem

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
PathText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TransformIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name
    args: Annotated[dict[str, Any], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=dict)


Transforms = Annotated[list[Name | TransformIn], msgspec.Meta(max_length=20)]


class VariantRuleIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A rule inside ``each``: maps one element (a variant)."""

    target: Name
    source: PathText | Annotated[list[PathText], msgspec.Meta(min_length=1, max_length=10)] | None = None
    transforms: Transforms = msgspec.field(default_factory=list)
    default: Any = None
    required: bool = False
    keep_empty: bool = False
    """Optional text targets only: store ``""`` as it came instead of NULL."""


class RuleIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """``target`` ← ``source`` path, through ``transforms``; ``each`` only for ``variants``."""

    target: Name
    source: PathText | Annotated[list[PathText], msgspec.Meta(min_length=1, max_length=10)] | None = None
    transforms: Transforms = msgspec.field(default_factory=list)
    default: Any = None
    required: bool = False
    keep_empty: bool = False
    """Optional text targets only: store ``""`` as it came instead of NULL."""
    each: Annotated[list[VariantRuleIn], msgspec.Meta(max_length=MAX_RULES)] | None = None


Rules = Annotated[list[RuleIn], msgspec.Meta(max_length=MAX_RULES)]


class SaveMapping(msgspec.Struct, forbid_unknown_fields=True):
    rules: Rules


class MappingOut(msgspec.Struct):
    company_id: uuid.UUID
    provider: str
    rules: list[dict[str, Any]]
    version: int
    """0 while the provider's default is in force."""
    default: bool

    @classmethod
    def of(cls, mapping: EffectiveMapping) -> MappingOut:
        return cls(mapping.company_id, mapping.provider.value, mapping.rules, mapping.version, mapping.is_default)


class PreviewRequest(msgspec.Struct, forbid_unknown_fields=True):
    rules: Rules | None = None
    """None previews the mapping in force."""
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PREVIEW)] = DEFAULT_PREVIEW


class FieldErrorOut(msgspec.Struct):
    field: str
    message: str


class PreviewItemOut(msgspec.Struct):
    external_id: str
    source: dict[str, Any]
    mapped: dict[str, Any] | None
    errors: list[FieldErrorOut]

    @classmethod
    def of(cls, item: PreviewItem) -> PreviewItemOut:
        errors = [FieldErrorOut(error.field, error.message) for error in item.errors]
        return cls(item.external_id, item.source, item.mapped, errors)


class PreviewOut(msgspec.Struct):
    items: list[PreviewItemOut]


def rules_json(rules: list[RuleIn]) -> list[dict[str, Any]]:
    """The rules as plain JSON for the domain, which validates their meaning."""
    return [msgspec.to_builtins(rule) for rule in rules]
