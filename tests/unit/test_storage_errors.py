"""How S3 failures are sorted for the worker: missing, refused for good, or away for now."""

from __future__ import annotations

import pytest
from obstore.exceptions import GenericError, PermissionDeniedError

from control_plane.integrations.images.storage import (
    ObjectNotFound,
    Operation,
    StorageRejected,
    StorageUnavailable,
    _classify,
)

_STATUS = "Server returned non-2xx status code: "
_DEBUG = '\n\nDebug source:\nGeneric { store: "S3" }'


@pytest.mark.parametrize(
    ("error", "operation", "expected"),
    [
        (FileNotFoundError("Object at location k not found"), "head_object", ObjectNotFound),
        (FileNotFoundError("Object at location k not found: NoSuchBucket"), "put_object", StorageRejected),
        (PermissionDeniedError(_STATUS + "403 Forbidden"), "get_object", StorageRejected),
        (
            GenericError(_STATUS + "400 Bad Request: InvalidArgument"),
            "put_object",
            StorageRejected,
        ),
        (
            GenericError(_STATUS + "503 Service Unavailable: SlowDown"),
            "put_object",
            StorageUnavailable,
        ),
        (GenericError(_STATUS + "429 Too Many Requests"), "head_object", StorageUnavailable),
        (GenericError("HTTP error: error sending request"), "head_object", StorageUnavailable),
        (TimeoutError("timed out"), "get_object", StorageUnavailable),
    ],
)
def test_each_failure_is_sorted(error: Exception, operation: Operation, expected: type[Exception]) -> None:
    sorted_error = _classify(error, operation, "originals/ab/abc.jpg")
    assert type(sorted_error) is expected


def test_the_detail_keeps_the_first_paragraph_only() -> None:
    error = GenericError(_STATUS + "503 Service Unavailable" + _DEBUG)
    detail = str(_classify(error, "put_object", "k"))
    assert "503" in detail and "Debug source" not in detail
