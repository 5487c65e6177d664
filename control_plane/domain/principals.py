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


class Access(StrEnum):
    """What an endpoint declares it needs; the API refuses other callers before the handler runs."""

    PUBLIC = "public"
    """No credential: liveness, readiness and metrics (the last kept behind the network boundary)."""
    TENANT_READ = "tenant-read"
    """Any role; a vendor sees only its own company (the repositories scope every query)."""
    TENANT_WRITE = "tenant-write"
    """Vendors (own company) and operators; viewers are read-only."""
    OBSERVER = "observer"
    """Operations reads: operators and viewers, never vendors."""
    OPERATOR = "operator"
    """Operations controls and the audit trail: operators only."""


ACCESS_ROLES: dict[Access, frozenset[Role]] = {
    Access.PUBLIC: frozenset(Role),
    Access.TENANT_READ: frozenset(Role),
    Access.TENANT_WRITE: frozenset({Role.VENDOR, Role.OPERATOR}),
    Access.OBSERVER: GLOBAL_ROLES,
    Access.OPERATOR: frozenset({Role.OPERATOR}),
}
"""The roles each access level admits."""


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

    def ensure_access(self, access: Access) -> None:
        """The edge's check of an endpoint's declared access (services keep their own checks too)."""
        if self.role not in ACCESS_ROLES[access]:
            allowed = ", ".join(sorted(role.value for role in ACCESS_ROLES[access]))
            raise PermissionDenied(f"this endpoint needs one of the roles: {allowed}")

    def ensure_may_change(self) -> None:
        """Viewers are read-only everywhere: any state-changing request is refused."""
        if self.is_read_only:
            raise PermissionDenied("the viewer role is read-only")
