"""Idempotency keys: a repeated request returns the original job."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

MAX_KEY_LENGTH = 200


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """A stable hash of a request body, to detect a key reused for a different request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
