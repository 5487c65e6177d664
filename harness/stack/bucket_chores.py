"""Bucket-level chores of the harness (list every key, delete many at once), with botocore.

The product's store client reads and writes single objects only; emptying a
bucket between load runs or after a bench is the harness's business.  The
calls are synchronous: run them in a thread from async code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DELETE_BATCH = 1000  # the most S3 deletes in one request


def list_keys(client: Any, bucket: str) -> list[str]:
    """Every key in ``bucket``, page after page."""
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def delete_keys(client: Any, bucket: str, keys: Sequence[str]) -> None:
    """Delete ``keys`` in batches of at most :data:`DELETE_BATCH`."""
    for start in range(0, len(keys), DELETE_BATCH):
        batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
        client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
