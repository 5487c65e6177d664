"""Structured JSON logs for every process (API, workers, CLI)."""

from __future__ import annotations

import logging
import sys

import structlog

SECRET_KEYS = frozenset({"authorization", "credential", "token", "api_key", "secret", "password"})
"""Event keys whose values are never written out, whatever a caller passes."""
REDACTED = "[redacted]"
REQUEST_EVENT = "http.request"
"""The API's one line per request (method, route template, status, duration_ms); the load report reads it."""


def redact_secrets(_: object, __: str, event: structlog.types.EventDict) -> structlog.types.EventDict:
    """Replace the value of any secret-named key (``credential``, ``x_api_key``, ``Authorization`` …)."""
    for name in list(event):
        lowered = name.lower()
        if lowered in SECRET_KEYS or lowered.endswith(("_token", "_secret", "_password", "_api_key", "_credential")):
            event[name] = REDACTED
    return event


_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_secrets,
]


def json_formatter() -> logging.Formatter:
    """One JSON object per record, secrets redacted; for stdlib and structlog records alike."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )


def configure_logging(level: int = logging.INFO) -> None:
    """Route stdlib and structlog records to one JSON line each on stderr."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
