"""Mapping one payload the way imports and previews do: with the compiled rule set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from control_plane.domain.mapping import MappedProduct, MappingErrors, RuleSet, compile_rules


def map_with(rules: RuleSet, payload: Any, context: Mapping[str, Any] | None = None) -> MappedProduct | MappingErrors:
    return compile_rules(rules)(payload, context)
