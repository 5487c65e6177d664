"""Content-addressed image objects in S3 (SeaweedFS locally), one obstore client per process.

Keys name their bytes (see ``control_plane.domain.images``), so an object that
exists is already right: ``put_if_absent`` asks with HEAD first and a re-run
uploads nothing.  Two workers racing on the same key both upload the same
bytes, which is harmless.  Failures are sorted for the worker: the store being
away or overloaded is retryable, a refused request (credentials, bucket) is not.

The client is obstore (Rust's ``object_store``): request signing and the HTTP
exchange run in native code, about a sixth of the CPU botocore spends per call,
and a worker makes two or three calls per image.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any, Literal, Self

import obstore
from obstore.exceptions import (
    BaseError,
    InvalidPathError,
    NotSupportedError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from obstore.store import S3Store

from control_plane.domain.errors import DependencyUnavailable, DomainError
from control_plane.settings import S3Settings

StoreFactory = Callable[[], S3Store]
"""Builds a store client; it connects on its first request and closes its pool when dropped."""

Operation = Literal["head_object", "put_object", "get_object", "delete_object"]
CACHE_CONTROL = "public, max-age=31536000, immutable"  # a key's bytes never change
_REFUSED = (PermissionDeniedError, UnauthenticatedError, InvalidPathError, NotSupportedError)
_STATUS = re.compile(r"status code: (\d{3})")
_RETRYABLE_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str
    cache_control: str | None


class StorageUnavailable(DependencyUnavailable):
    """S3 cannot be reached or is overloaded right now; retry later."""

    code = "storage_unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__("s3", detail)


class StorageRejected(DomainError):
    """S3 refused the request (credentials, bucket, key); retrying will not help."""

    code = "storage_rejected"


class ObjectNotFound(StorageRejected):
    code = "object_not_found"


def s3_client_factory(
    settings: S3Settings, *, connect_timeout_s: float = 5.0, read_timeout_s: float = 30.0
) -> StoreFactory:
    """Clients with bounded waits and one retry (one worker retry policy is enough)."""
    config = store_config(settings)
    client_options: dict[str, Any] = {
        "allow_http": bool(settings.endpoint_url and settings.endpoint_url.startswith("http://")),
        "connect_timeout": timedelta(seconds=connect_timeout_s),
        "timeout": timedelta(seconds=read_timeout_s),
    }
    retry = {"max_retries": 1, "retry_timeout": timedelta(seconds=read_timeout_s)}

    def open_client() -> S3Store:
        return S3Store(settings.bucket, config=config, client_options=client_options, retry_config=retry)  # type: ignore[arg-type]

    return open_client


def store_config(settings: S3Settings) -> dict[str, str | bool]:
    """Region, path-style addressing on a custom endpoint (SeaweedFS), and static keys unless told otherwise.

    Without static keys (``use_default_credentials``) the client reads AWS's
    usual sources itself: the environment, the ECS task role, instance metadata.
    """
    config: dict[str, str | bool] = {"region": settings.region}
    if settings.endpoint_url:
        config |= {"endpoint": settings.endpoint_url, "virtual_hosted_style_request": False}
    if not settings.use_default_credentials:
        config |= {
            "access_key_id": settings.access_key_id,
            "secret_access_key": settings.secret_access_key.get_secret_value(),
        }
    return config


class S3ImageStore:
    """Image objects in one bucket; use as ``async with S3ImageStore(factory) as store:``."""

    def __init__(self, client_factory: StoreFactory) -> None:
        self._factory = client_factory
        self._client: S3Store | None = None

    @classmethod
    def from_settings(cls, settings: S3Settings) -> S3ImageStore:
        return cls(s3_client_factory(settings))

    async def __aenter__(self) -> Self:
        self._client = self._factory()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._client = None

    async def put_if_absent(self, key: str, data: bytes, content_type: str) -> bool:
        """Upload unless ``key`` exists; True if this call uploaded it."""
        if await self.exists(key):
            return False
        await self.put(key, data, content_type)
        return True

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload without asking first: for a key known to be missing (or whose bytes are known to match)."""
        attributes = {"Content-Type": content_type, "Cache-Control": CACHE_CONTROL}
        await self._call("put_object", key, lambda c: obstore.put_async(c, key, data, attributes=attributes))

    async def exists(self, key: str) -> bool:
        try:
            await self._call("head_object", key, lambda c: obstore.head_async(c, key))
        except ObjectNotFound:
            return False
        return True

    async def get(self, key: str) -> bytes:
        """The object's bytes (verification and tests; serving goes through S3 itself)."""

        async def read(client: S3Store) -> bytes:
            result = await obstore.get_async(client, key)
            return bytes(await result.bytes_async())

        data: bytes = await self._call("get_object", key, read)
        return data

    async def head(self, key: str) -> StoredObject:
        """Size and headers of ``key``; :class:`ObjectNotFound` if it is missing."""

        async def read(client: S3Store) -> StoredObject:
            result = await obstore.get_async(client, key, options={"head": True})
            attributes = result.attributes
            return StoredObject(
                size=int(result.meta["size"]),
                content_type=str(attributes.get("Content-Type", "")),
                cache_control=_text(attributes.get("Cache-Control")),
            )

        stored: StoredObject = await self._call("head_object", key, read)
        return stored

    async def delete(self, key: str) -> None:
        """Remove ``key``; only once no image row references it (objects are shared, see the domain docs)."""
        await self._call("delete_object", key, lambda c: obstore.delete_async(c, key))

    async def _call(self, operation: Operation, key: str, send: Callable[[S3Store], Awaitable[Any]]) -> Any:
        if self._client is None:
            raise RuntimeError("S3ImageStore is not open; use it as an async context manager")
        try:
            return await send(self._client)
        except (BaseError, FileNotFoundError, OSError, TimeoutError) as exc:
            raise _classify(exc, operation, key) from exc


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _classify(exc: Exception, operation: Operation, key: str) -> DomainError:
    """Missing, refused for good, or away for now, from obstore's error class and the HTTP status it names."""
    message = str(exc).split("\n\n", 1)[0]  # the first paragraph; the rest is a debug dump
    detail = f"S3 {operation} {key}: {type(exc).__name__}: {message}"
    if isinstance(exc, FileNotFoundError) and operation in ("head_object", "get_object"):
        return ObjectNotFound(detail)
    if isinstance(exc, (*_REFUSED, FileNotFoundError)):
        return StorageRejected(detail)
    status = _STATUS.search(message)
    if status and 400 <= int(status.group(1)) < 500 and int(status.group(1)) not in _RETRYABLE_STATUSES:
        return StorageRejected(detail)
    return StorageUnavailable(detail)
