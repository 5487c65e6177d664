"""One attempt at an import, streamed page by page.

Each page is fetched, mapped, upserted, its images stored, and the job's
checkpoint (the provider cursor and the running counters) advanced.  The run
then yields, and the worker (the edge) commits: a crash loses at most the page
in flight, and redoing it is harmless because every write is an idempotent
upsert.  When a page has images to download, the edge's ``end_transaction``
commits the page's rows first (the lease checked), so no transaction stays
open while images are fetched and uploaded.  A 10,000-product catalog is never
held in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob
from control_plane.db.repositories.catalog import CatalogRepository
from control_plane.db.repositories.catalog_removals import CatalogRemovalRepository
from control_plane.domain.mapping import MappedProduct, MappingErrors, RuleSet, compile_rules
from control_plane.integrations.providers.base import ProductPage, ProviderClient, SourceProduct
from control_plane.services.execution import JobExecution, LeaseLost
from control_plane.services.image_ingest import ImageIngest

FAILURES_KEPT_PER_PAGE = 20


@dataclass
class Progress:
    """Counters carried in the checkpoint, so a resumed run continues them exactly."""

    products_processed: int = 0
    products_failed: int = 0
    images_total: int = 0
    images_processed: int = 0
    images_failed: int = 0
    products_removed: int = 0
    images_removed: int = 0
    pages: int = 0

    @classmethod
    def of(cls, checkpoint: dict[str, Any]) -> Progress:
        known = {k: int(v) for k, v in (checkpoint.get("progress") or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class PageDone:
    progress: Progress
    last_page: bool


@dataclass(frozen=True)
class MappedPage:
    """A provider page and its products mapped: what the run writes, in the provider's order."""

    page: ProductPage
    mapped: list[tuple[MappedProduct, SourceProduct]]
    failures: list[tuple[SourceProduct, str]]
    """Products the mapping refused, with the reason."""

    def first(self, count: int) -> MappedPage:
        """Only the page's first ``count`` products (the job's ``max_products`` ends inside this page)."""
        kept = self.page.products[:count]
        cut = {id(source) for source in kept}
        return MappedPage(
            ProductPage(products=kept, next_cursor=None),
            [(product, source) for product, source in self.mapped if id(source) in cut],
            [(source, reason) for source, reason in self.failures if id(source) in cut],
        )


class ImportRun:
    def __init__(
        self,
        session: AsyncSession,
        *,
        job: ImportJob,
        client: ProviderClient,
        rules: RuleSet,
        context: dict[str, Any],
        images: ImageIngest | None,
        execution: JobExecution,
        end_transaction: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``end_transaction`` (the edge's commit) runs before a page's image downloads; without it they
        happen inside the page's transaction (tests and benches that import without images)."""
        self._session = session
        self._job = job
        self._client = client
        self._mapping = compile_rules(rules)  # once per job, then reused for every product
        self._context = context
        self._images = images
        self._execution = execution
        self._end_transaction = end_transaction
        self._catalog = CatalogRepository(session)
        self._removals = CatalogRemovalRepository(session)
        self._full = is_full_import(job.options)

    async def pages(self) -> AsyncGenerator[PageDone, None]:
        """Process pages from the checkpoint on; after each, the caller commits.

        While a page is written, the next one is already being fetched and
        mapped (never more than one page ahead): mapping is CPU work that
        fills the time the run would otherwise spend waiting for PostgreSQL.  Close the iterator (e.g.
        ``contextlib.aclosing``) when leaving it early: that drops the page in
        flight; the checkpoint only ever names pages that were written.
        """
        cursor: str | None = self._job.checkpoint.get("cursor")
        progress = Progress.of(self._job.checkpoint)
        limit = self._job.options.get("max_products")
        upcoming = self._prefetch(cursor)
        try:
            while True:
                page = await upcoming
                if page.page.restarted:
                    progress = Progress(pages=progress.pages)  # the provider reads the catalog again from its start
                done = progress.products_processed + progress.products_failed
                if limit is not None and done + len(page.page.products) >= int(limit):
                    page, last = page.first(max(0, int(limit) - done)), True
                else:
                    last = page.page.next_cursor is None
                cursor = None if last else page.page.next_cursor
                if cursor is not None:
                    upcoming = self._prefetch(cursor)
                await self._ingest(page, progress)
                if last and self._full:
                    await self._settle_removals(progress)
                progress.pages += 1
                if not await self._execution.checkpoint(self._job.id, cursor=cursor, progress=asdict(progress)):
                    raise LeaseLost(self._job.id)
                yield PageDone(progress, last)
                if last:
                    return
        finally:
            upcoming.cancel()

    def _prefetch(self, cursor: str | None) -> asyncio.Task[MappedPage]:
        task = asyncio.ensure_future(self._fetch_and_map(cursor))
        task.add_done_callback(_retrieve)
        return task

    async def _fetch_and_map(self, cursor: str | None) -> MappedPage:
        page = await self._client.fetch_page(
            cursor, updated_since=self._updated_since(), bulk_allowed=self._job.options.get("max_products") is None
        )
        mapped, failures = self._map(page.products)
        return MappedPage(page, mapped, failures)

    async def _commit_before_downloads(self) -> None:
        """Commit the page's rows (fenced on the lease) so the downloads run outside any transaction.

        A crash after this commit redoes the page from the old checkpoint: the
        upserts change nothing, already removed rows are not found again, the
        pending images are downloaded again.
        """
        if not (await self._execution.renew(self._job.id)).held:
            raise LeaseLost(self._job.id)
        assert self._end_transaction is not None
        await self._end_transaction()

    async def _settle_removals(self, progress: Progress) -> None:
        """The whole catalog was listed: what this job never saw is no longer at the provider."""
        job = self._job
        counts = await self._removals.settle_full_import(
            job_id=job.id, company_id=job.company_id, integration_id=job.integration_id, provider=job.provider
        )
        progress.products_removed += counts.products_removed
        progress.images_removed += counts.images_removed

    def _updated_since(self) -> datetime | None:
        raw = self._job.options.get("updated_since")
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None

    async def _ingest(self, page: MappedPage, progress: Progress) -> None:
        mapped, failures = page.mapped, page.failures
        progress.products_failed += len(failures)
        progress.products_processed += len(mapped)
        if failures:
            kept = failures[:FAILURES_KEPT_PER_PAGE]
            await self._execution.note(
                self._job.id, "products_failed", data={source.external_id: reason for source, reason in kept}
            )
        job = self._job
        if self._full:  # failed mappings too: the provider still lists them, so they are not removed
            await self._removals.record_seen(job.id, [source.external_id for source in page.page.products])
        rows = [_row(product, source, job) for product, source in mapped]
        await self._catalog.upsert_products(company_id=job.company_id, provider=job.provider, rows=rows)
        if self._images is None:
            return
        ids = await self._catalog.product_ids(
            company_id=job.company_id, provider=job.provider, external_ids=[row["external_id"] for row in rows]
        )
        # Each product's list as the provider gives it now, positions 1..k (a URL listed twice counts once).
        wanted = [
            (ids[p.external_id], url, n) for p, _ in mapped for n, url in enumerate(dict.fromkeys(p.images), start=1)
        ]
        progress.images_removed += await self._removals.replace_image_sets(
            company_id=job.company_id,
            products=[ids[p.external_id] for p, _ in mapped],
            listed=[(product_id, url) for product_id, url, _ in wanted],
        )
        progress.images_total += len(wanted)
        pending = await self._catalog.images_to_process(company_id=job.company_id, wanted=wanted)
        progress.images_processed += len(wanted) - len(pending)  # already stored by an earlier run
        if pending and self._end_transaction is not None:
            await self._commit_before_downloads()
        result = await self._images.ingest(pending)
        await self._catalog.mark_stored(result.stored, company_id=job.company_id)
        await self._catalog.mark_failed(
            [(image.id, reason) for image, reason in result.failed], company_id=job.company_id
        )
        await self._catalog.add_storage(
            job.company_id, bytes_added=result.bytes_added, objects_added=result.objects_added
        )
        progress.images_processed += len(result.stored)
        progress.images_failed += len(result.failed)

    def _map(
        self, products: Sequence[SourceProduct]
    ) -> tuple[list[tuple[MappedProduct, SourceProduct]], list[tuple[SourceProduct, str]]]:
        mapped: list[tuple[MappedProduct, SourceProduct]] = []
        failures: list[tuple[SourceProduct, str]] = []
        for source in products:
            outcome = self._mapping(source.payload, self._context)
            if isinstance(outcome, MappingErrors):
                failures.append((source, outcome.reason()))
            else:
                mapped.append((outcome, source))
        return mapped, failures


def is_full_import(options: dict[str, Any]) -> bool:
    """A run that lists the whole catalog: no ``updated_since`` window and no ``max_products`` cut."""
    return options.get("updated_since") is None and options.get("max_products") is None


def _retrieve(task: asyncio.Task[MappedPage]) -> None:
    """A page fetched ahead and then abandoned (job stopped, lease lost) must not log an unretrieved error."""
    if not task.cancelled():
        task.exception()


def _row(product: MappedProduct, source: SourceProduct, job: ImportJob) -> dict[str, Any]:
    return {
        "external_id": product.external_id,
        "integration_id": job.integration_id,
        "last_import_job_id": job.id,
        "title": product.title,
        "description": product.description,
        "vendor": product.vendor,
        "product_type": product.product_type,
        "status": product.status,
        "tags": product.tags,
        "price": product.price,
        "currency": product.currency,
        "sku": product.sku,
        "variants": product.variants,  # Decimals become JSON strings in the engine's encoder (db/engine.py)
        "options": product.options,
        "raw": source.payload,  # JSON values already (see SourceProduct); no copy needed
        "source_updated_at": product.source_updated_at or source.updated_at,
    }


__all__ = ["ImportRun", "PageDone", "Progress", "is_full_import"]
