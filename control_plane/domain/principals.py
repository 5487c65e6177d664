"""Who is calling, and what their role lets them see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from control_plane.domain.errors import NotFound, PermissionDenied


class Role(StrEnum):
    VENDOR = "vendor"
    OPERATOR = "operator"
    VIEWER = "viewer"
    """Sees what an operator sees (every company), changes nothing."""


GLOBAL_ROLES = frozenset({Role.OPERATOR, Role.VIEWER})
"""Roles not bound to one company."""


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

    @property
    def is_read_only(self) -> bool:
        return self.role is Role.VIEWER

    def company_scope(self) -> uuid.UUID | None:
        """The company every query must be limited to, or None for operators and viewers."""
        if self.role in GLOBAL_ROLES:
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

    def ensure_observer(self) -> None:
        """Operations reads: operators and viewers, never vendors."""
        if self.role not in GLOBAL_ROLES:
            raise PermissionDenied("this view needs the operator or viewer role")

    def ensure_may_change(self) -> None:
        """Viewers are read-only everywhere: any state-changing request is refused."""
        if self.is_read_only:
            raise PermissionDenied("the viewer role is read-only")
