"""Errors of field mapping: a rule set that cannot be used, a provider that did not answer.

``FieldError`` names *where* something went wrong (``rules[3].transforms[0]``
while validating, ``price`` or ``variants[1].grams`` while mapping) so a
client can fix exactly that rule or that product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from control_plane.domain.errors import DomainError, InvalidRequest


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidMapping(InvalidRequest):
    """A rule set failed validation; ``field`` names the first bad rule, ``problems`` all of them."""

    code = "invalid_mapping"

    def __init__(self, problems: Sequence[FieldError]) -> None:
        if not problems:
            raise ValueError("InvalidMapping needs at least one problem")
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}", field=first.field)
        self.problems = tuple(problems)

    def field_errors(self) -> list[tuple[str, str]]:
        return [(problem.field, problem.message) for problem in self.problems]


class ProviderCallFailed(DomainError):
    """The provider behind an integration failed to answer usefully (the API answers 502)."""

    code = "provider_error"

    def __init__(self, detail: str, *, retryable: bool, provider_status: int | None = None) -> None:
        super().__init__(detail)
        self.retryable = retryable
        self.provider_status = provider_status
