"""Content-addressed image objects in S3 (SeaweedFS locally), one aioboto3 client per process.

Keys name their bytes (see ``control_plane.domain.images``), so an object that
exists is already right: ``put_if_absent`` asks with HEAD first and a re-run
uploads nothing.  Two workers racing on the same key both upload the same
bytes, which is harmless.  Failures are sorted for the worker: the store being
away or overloaded is retryable, a refused request (credentials, bucket) is not.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aioboto3
from aiobotocore.config import AioConfig  # type: ignore[import-untyped,unused-ignore]
from botocore.exceptions import BotoCoreError, ClientError

from control_plane.domain.errors import DependencyUnavailable, DomainError
from control_plane.settings import S3Settings

ClientFactory = Callable[[], AbstractAsyncContextManager[Any]]
"""Opens an S3 client; entering it connects nothing yet, leaving it closes its connection pool."""

CACHE_CONTROL = "public, max-age=31536000, immutable"  # a key's bytes never change
_MISSING = {"404", "NoSuchKey", "NotFound"}
_RETRYABLE_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling"}


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
) -> ClientFactory:
    """Clients from one aioboto3 session, with path-style addressing (SeaweedFS) and bounded waits."""
    session = aioboto3.Session()
    config = AioConfig(
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )

    def open_client() -> AbstractAsyncContextManager[Any]:
        client: AbstractAsyncContextManager[Any] = session.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            config=config,
            **_explicit_keys(settings),
        )
        return client

    return open_client


def _explicit_keys(settings: S3Settings) -> dict[str, str]:
    """Static keys locally; none on AWS, where boto's default chain finds the task role."""
    if settings.use_default_credentials:
        return {}
    return {
        "aws_access_key_id": settings.access_key_id,
        "aws_secret_access_key": settings.secret_access_key.get_secret_value(),
    }


class S3ImageStore:
    """Image objects in one bucket; use as ``async with S3ImageStore(factory, bucket) as store:``."""

    def __init__(self, client_factory: ClientFactory, bucket: str) -> None:
        self._factory = client_factory
        self._bucket = bucket
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    @classmethod
    def from_settings(cls, settings: S3Settings) -> S3ImageStore:
        return cls(s3_client_factory(settings), settings.bucket)

    async def __aenter__(self) -> Self:
        stack = AsyncExitStack()
        self._client = await stack.enter_async_context(self._factory())
        self._stack = stack
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def put_if_absent(self, key: str, data: bytes, content_type: str) -> bool:
        """Upload unless ``key`` exists; True if this call uploaded it."""
        if await self.exists(key):
            return False
        await self.put(key, data, content_type)
        return True

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload without asking first: for a key known to be missing (or whose bytes are known to match)."""
        await self._call("put_object", Key=key, Body=data, ContentType=content_type, CacheControl=CACHE_CONTROL)

    async def exists(self, key: str) -> bool:
        try:
            await self._call("head_object", Key=key)
        except ObjectNotFound:
            return False
        return True

    async def get(self, key: str) -> bytes:
        """The object's bytes (verification and tests; serving goes through S3 itself)."""
        response = await self._call("get_object", Key=key)
        async with response["Body"] as body:
            data: bytes = await body.read()
        return data

    async def head(self, key: str) -> StoredObject:
        """Size and headers of ``key``; :class:`ObjectNotFound` if it is missing."""
        response = await self._call("head_object", Key=key)
        return StoredObject(
            size=int(response.get("ContentLength", 0)),
            content_type=str(response.get("ContentType", "")),
            cache_control=response.get("CacheControl"),
        )

    async def delete(self, key: str) -> None:
        """Remove ``key``; only once no image row references it (objects are shared, see the domain docs)."""
        await self._call("delete_object", Key=key)

    async def _call(self, operation: str, **params: Any) -> Any:
        if self._client is None:
            raise RuntimeError("S3ImageStore is not open; use it as an async context manager")
        try:
            return await getattr(self._client, operation)(Bucket=self._bucket, **params)
        except ClientError as exc:
            raise _classify(exc, operation, params.get("Key")) from exc
        except (TimeoutError, BotoCoreError, OSError) as exc:
            raise StorageUnavailable(f"S3 {operation} failed: {type(exc).__name__}: {exc}") from exc


def _classify(exc: ClientError, operation: str, key: object) -> DomainError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    detail = f"S3 {operation} {key}: {code or status} {error.get('Message', '')}".strip()
    if code in _MISSING or (status == 404 and operation == "head_object"):
        return ObjectNotFound(detail)
    if status >= 500 or status == 429 or code in _RETRYABLE_CODES:
        return StorageUnavailable(detail)
    return StorageRejected(detail)
