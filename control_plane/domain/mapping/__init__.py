"""Declarative field mapping: provider payloads → the platform's product columns.

A company keeps one rule set per provider; until it saves one, the provider's
default applies.  Rules are data, not code, so a vendor can adjust them
through the API and preview the result on live products before saving.

Grammar (JSON)::

    rules     := [ rule, … ]                       at most 100; one per target
    rule      := { "target":     product target (see below),
                   "source":     path | [ path, … ],   a list gives the list of values
                   "transforms": [ transform, … ],     applied in order (optional)
                   "default":    value,                used when nothing was found (optional)
                   "required":   bool,                 nothing found and no default = error
                   "each":       [ rule, … ] }         only for "variants": one record per element
    transform := "name" | { "name": "name", "args": { … } }
    path      := [ "$context." | "$root." ] step ( "." step )*
    step      := name ( "[" integer "]" | "[*]" )*

A path reads the record being mapped (inside ``each``: one variant);
``$root.`` reads the whole product, ``$context.`` the integration's context
(its account settings, e.g. ``currency``).  ``[*]`` makes a list, a negative
index counts from the end, and anything missing is null.  Transforms pass
null through; most apply to each element of a list.  After the transforms
the value must fit the target's kind (an integer id becomes text, a numeric
string a decimal).  ``external_id`` and ``title`` (and each variant's
``external_id``) are always required.

Product targets: external_id, title, description, vendor, product_type,
status, tags (list of text), price (decimal), currency, sku,
source_updated_at (datetime), variants, options (list of objects), images
(list of URLs).  Variant targets: external_id, title, sku, price (decimal),
options (object), inventory_quantity (int), in_stock (bool), grams (int).
"""

from __future__ import annotations

from control_plane.domain.mapping.compiled import CompiledMapping, compile_rules
from control_plane.domain.mapping.defaults import default_rule_set, default_rules
from control_plane.domain.mapping.errors import FieldError, InvalidMapping, ProviderCallFailed
from control_plane.domain.mapping.results import MappedProduct, MappingErrors, jsonable
from control_plane.domain.mapping.rules import MAX_RULES, Rule, RuleSet, parse_rules
from control_plane.domain.mapping.transforms import REGISTRY as TRANSFORMS

__all__ = [
    "MAX_RULES",
    "TRANSFORMS",
    "CompiledMapping",
    "FieldError",
    "InvalidMapping",
    "MappedProduct",
    "MappingErrors",
    "ProviderCallFailed",
    "Rule",
    "RuleSet",
    "compile_rules",
    "default_rule_set",
    "default_rules",
    "jsonable",
    "parse_rules",
]
