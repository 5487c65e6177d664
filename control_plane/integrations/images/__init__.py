"""Product images: safe downloads from third-party URLs, thumbnails, content-addressed S3 storage.

A worker holds one fetcher, one executor and one open store per process.
"""

from __future__ import annotations

from control_plane.integrations.images.config import image_policy
from control_plane.integrations.images.fetch import FetchedImage, Resolver, SafeImageFetcher, system_resolver
from control_plane.integrations.images.storage import (
    ObjectNotFound,
    S3ImageStore,
    StorageRejected,
    StorageUnavailable,
    StoredObject,
    s3_client_factory,
)
from control_plane.integrations.images.thumbnails import (
    ProcessedImage,
    create_image_executor,
    inspect_and_thumbnail,
    process_image,
)

__all__ = [
    "FetchedImage",
    "ObjectNotFound",
    "ProcessedImage",
    "Resolver",
    "S3ImageStore",
    "SafeImageFetcher",
    "StorageRejected",
    "StorageUnavailable",
    "StoredObject",
    "create_image_executor",
    "image_policy",
    "inspect_and_thumbnail",
    "process_image",
    "s3_client_factory",
    "system_resolver",
]
