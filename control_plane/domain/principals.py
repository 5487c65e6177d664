"""Who is calling, and what their role lets them see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from control_plane.domain.errors import NotFound, PermissionDenied


class Role(StrEnum):
    VENDOR = "vendor"
    OPERATOR = "operator"


class Tier(StrEnum):
    BASIC = "BASIC"
    PRO = "PRO"
    ENTERPRISE = "ENTERPRISE"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.  Vendors are bound to one company."""

    subject: str
    role: Role
    company_id: uuid.UUID | None

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def company_scope(self) -> uuid.UUID | None:
        """The company every query must be limited to, or None for operators."""
        if self.is_operator:
            return None
        if self.company_id is None:
            raise PermissionDenied("this credential is not bound to a company")
        return self.company_id

    def ensure_can_see(self, company_id: uuid.UUID, what: str) -> None:
        """Another tenant's resource is reported as missing, never as forbidden."""
        scope = self.company_scope()
        if scope is not None and scope != company_id:
            raise NotFound(f"{what} not found")

    def ensure_operator(self) -> None:
        if not self.is_operator:
            raise PermissionDenied("this action needs the operator role")
