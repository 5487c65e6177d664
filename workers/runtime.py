"""Process-wide tuning a worker applies once at startup."""

from __future__ import annotations

import gc


def tune_garbage_collection(young_threshold: int) -> None:
    """Fewer cyclic collections while pages of decoded JSON come and go.

    Reference counting frees a page's objects; the cyclic collector only
    needs to find cycles, yet with the default threshold (700 allocations) it
    runs hundreds of times per page and each pass walks the young objects.
    Startup objects (modules, settings, clients) are frozen out of every pass.
    ``young_threshold`` 0 keeps Python's default.
    """
    gc.freeze()
    if young_threshold:
        _, middle, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, middle, oldest)
