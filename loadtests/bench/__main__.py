"""``python -m loadtests.bench [--products N] [--images M] [--worker-products K] [--skip F …] [--include F …]``.

The submit figure takes `--submit-clients C` and `--submissions S`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path

from loadtests.bench.environment import BENCH_BUCKET_PREFIX, BENCH_DATABASE, BENCH_QUEUE, BENCH_REDIS_DB, Target
from loadtests.bench.run import FIGURES, ON_REQUEST, Options, run

SIMULATOR_MAX_PRODUCTS = 10_000
MAX_IMAGES_PER_PRODUCT = 20
"""The load harness's bound on images per product too."""


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.bench",
        description="Measure the import pipeline against raw baselines from the same run; never fails on a figure.",
    )
    parser.add_argument("--products", type=int, default=5_000, help="products through the pipeline (figure 1)")
    parser.add_argument("--images", type=int, default=200, help="images through the pipeline (figure 2)")
    parser.add_argument(
        "--worker-products", type=int, default=10_000, help="products imported by the worker process (figure 3)"
    )
    parser.add_argument(
        "--worker-images", type=int, default=1, help="images per product of the worker's shop (figure 3; 0 to 20)"
    )
    parser.add_argument("--skip", action="append", choices=FIGURES, default=[], help="leave a figure out (repeatable)")
    parser.add_argument(
        "--include",
        action="append",
        choices=FIGURES + ON_REQUEST,
        default=[],
        help="add a long figure (repeatable; figures not skipped are always in)",
    )
    parser.add_argument("--shopify-products", type=int, default=600, help="catalog of the shopify figure")
    parser.add_argument("--submit-clients", type=int, default=200, help="concurrent API clients of the submit figure")
    parser.add_argument("--submissions", type=int, default=2_000, help="submissions of the submit figure, in all")
    parser.add_argument("--out", type=Path, default=Path("artifacts/bench"), help="reports go to OUT/<timestamp>/")
    parser.add_argument("--database", default=BENCH_DATABASE, help="database created and dropped by the run")
    parser.add_argument("--redis-db", type=int, default=BENCH_REDIS_DB, help="Redis logical db, emptied before/after")
    parser.add_argument("--queue", default=BENCH_QUEUE, help="arq queue of the bench worker")
    args = parser.parse_args(argv)
    for name in ("products", "worker_products"):
        if not 1 <= getattr(args, name) <= SIMULATOR_MAX_PRODUCTS:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and {SIMULATOR_MAX_PRODUCTS}")
    if not 1 <= args.images <= SIMULATOR_MAX_PRODUCTS:
        parser.error(f"--images must be between 1 and {SIMULATOR_MAX_PRODUCTS}")
    if not 0 <= args.worker_images <= MAX_IMAGES_PER_PRODUCT:
        parser.error(f"--worker-images must be between 0 and {MAX_IMAGES_PER_PRODUCT}")
    if not 1 <= args.submit_clients <= args.submissions:
        parser.error("--submit-clients must be at least 1 and at most --submissions")
    return Options(
        products=args.products,
        images=args.images,
        worker_products=args.worker_products,
        worker_images=args.worker_images,
        skip=frozenset(args.skip),
        include=frozenset(args.include),
        shopify_products=args.shopify_products,
        submit_clients=args.submit_clients,
        submissions=args.submissions,
        out=args.out,
        target=Target(database=args.database, redis_db=args.redis_db, queue=args.queue, bucket=BENCH_BUCKET_PREFIX),
    )


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    main()
