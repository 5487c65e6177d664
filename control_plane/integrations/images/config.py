"""The image policy made from the ``ICP_IMAGES_*`` settings."""

from __future__ import annotations

from control_plane.domain.images import ImagePolicy
from control_plane.settings import ImageSettings


def image_policy(settings: ImageSettings) -> ImagePolicy:
    return ImagePolicy(
        max_bytes=settings.max_bytes,
        max_pixels=settings.max_pixels,
        thumbnail_box=(settings.thumbnail_width, settings.thumbnail_height),
        max_redirects=settings.max_redirects,
        connect_timeout_s=settings.connect_timeout_s,
        read_timeout_s=settings.read_timeout_s,
        total_timeout_s=settings.total_timeout_s,
        download_attempts=settings.download_attempts,
        retry_backoff_s=settings.retry_backoff_s,
    )
