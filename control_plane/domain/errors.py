"""Domain errors: what went wrong, in terms a client or operator can act on.

The edges translate these: the API into RFC 9457 problem responses, the
workers into retry or fail decisions.  No framework is imported here.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class; ``code`` is a stable machine-readable identifier."""

    code = "domain_error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field

    def field_errors(self) -> list[tuple[str, str]]:
        """Every (field, message) the client should fix; empty when no field is at fault."""
        return [(self.field, self.detail)] if self.field else []


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class InvalidRequest(DomainError):
    """The request is well-formed but names something that cannot be used."""

    code = "invalid_request"


class Conflict(DomainError):
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a job in state {current} cannot move to {target}")
        self.current = current
        self.target = target


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"


class AuthenticationFailed(DomainError):
    code = "authentication_failed"


class DependencyUnavailable(DomainError):
    """A dependency (database, queue, storage) cannot be reached right now."""

    code = "dependency_unavailable"

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(detail)
        self.dependency = dependency


class AdmissionRejected(DependencyUnavailable):
    """Backpressure: the queue's health tier refuses this submission; nothing was stored."""

    code = "admission_rejected"

    def __init__(self, queue_tier: str, detail: str, *, retry_after_s: int) -> None:
        super().__init__("queue", detail)
        self.queue_tier = queue_tier
        self.retry_after_s = retry_after_s


class PermanentJobFailure(Exception):
    """A stored job that cannot run as stored: fail it at once, without spending its retries.

    Its integration was deleted or disabled, its credential cannot be opened, or the mapping in force is
    invalid; no retry can change that.  Workers raise and catch it; it is not a client error, so the API
    never maps it to a response.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
