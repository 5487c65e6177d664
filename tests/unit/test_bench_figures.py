"""The products and images figures' CPU ratios, from made-up runs (no stack)."""

from __future__ import annotations

import uuid

import pytest

from loadtests.bench.bench_images import images_ratio
from loadtests.bench.bench_products import cheapest, products_ratio
from loadtests.bench.pipeline_images import ImagePipelineRun
from loadtests.bench.pipeline_products import PipelineRun
from loadtests.bench.raw_images import RawImages
from loadtests.bench.raw_upsert import RawRun


def pipeline(products: int, cpu_seconds: float, seconds: float = 10.0) -> PipelineRun:
    return PipelineRun(uuid.uuid4(), products, 0, products // 100, seconds, 1.0, 1.0, cpu_seconds)


def image_run(stored: int, cpu_seconds: float) -> ImagePipelineRun:
    return ImagePipelineRun(stored, stored, 0, [], 2.0, cpu_seconds, 2, 0, {"simulator": 1.0})


def test_products_ratio_is_cpu_per_product_not_wall_time() -> None:
    # 1.5 s of CPU for 5,000 products (0.3 ms) against 0.75 s for 5,000 rows (0.15 ms): twice the cost,
    # however long either took on the wall clock.
    raw = RawRun("copy", 5_000, seconds=0.5, cpu_seconds=0.75)
    assert products_ratio(pipeline(5_000, 1.5, seconds=100.0), raw) == pytest.approx(2.0)
    assert products_ratio(pipeline(5_000, 1.5, seconds=1.0), raw) == pytest.approx(2.0)


def test_the_products_baseline_is_the_raw_method_that_spent_less_cpu_per_row() -> None:
    faster_but_dearer = RawRun("copy", 5_000, seconds=0.4, cpu_seconds=1.0)
    slower_but_cheaper = RawRun("executemany", 5_000, seconds=0.6, cpu_seconds=0.5)
    assert cheapest([faster_but_dearer, slower_but_cheaper]) is slower_but_cheaper
    assert cheapest([RawRun("copy", 0, 0.0, 0.0), slower_but_cheaper]) is slower_but_cheaper


def test_products_ratio_without_imported_products_is_not_a_pass() -> None:
    assert products_ratio(pipeline(0, 1.0), RawRun("copy", 5_000, 0.5, 0.5)) is None


def test_images_ratio_is_pipeline_cpu_per_stored_image_over_pillow_cpu_per_image() -> None:
    raw = RawImages(images=200, seconds=1.0, processes=2, thumbnail_bytes=0, cpu_seconds=0.8)  # 4 ms an image
    assert images_ratio(image_run(stored=200, cpu_seconds=2.0), raw) == pytest.approx(2.5)  # 10 ms an image
    # failed images are not in the denominator: the same CPU over fewer stored images costs more each
    assert images_ratio(image_run(stored=100, cpu_seconds=2.0), raw) == pytest.approx(5.0)


def test_images_ratio_is_none_when_nothing_was_stored() -> None:
    raw = RawImages(images=200, seconds=1.0, processes=2, thumbnail_bytes=0, cpu_seconds=0.8)
    assert images_ratio(image_run(stored=0, cpu_seconds=2.0), raw) is None
