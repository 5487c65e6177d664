"""A page cut short by ``max_products`` keeps exactly its first products, mapped or refused, in order."""

from __future__ import annotations

from control_plane.domain.mapping import MappedProduct
from control_plane.integrations.providers.base import ProductPage, SourceProduct
from control_plane.services.import_run import MappedPage


def _page(count: int, refused: set[int]) -> MappedPage:
    sources = [SourceProduct(external_id=str(i), updated_at=None, payload={"id": i}) for i in range(count)]
    sources.append(SourceProduct(external_id="0", updated_at=None, payload={"id": 0, "twin": True}))
    mapped = [
        (MappedProduct(external_id=s.external_id, title="t"), s) for n, s in enumerate(sources) if n not in refused
    ]
    failures = [(s, "bad") for n, s in enumerate(sources) if n in refused]
    return MappedPage(ProductPage(products=sources, next_cursor="next"), mapped, failures)


def test_first_keeps_the_first_products_and_their_outcomes() -> None:
    page = _page(6, refused={1, 4})
    cut = page.first(3)
    assert [s.external_id for s in cut.page.products] == ["0", "1", "2"]
    assert [s.external_id for _, s in cut.mapped] == ["0", "2"]
    assert [s.external_id for s, _ in cut.failures] == ["1"]
    assert cut.page.next_cursor is None


def test_a_repeated_external_id_past_the_cut_is_not_kept() -> None:
    page = _page(3, refused=set())
    cut = page.first(3)
    assert len(cut.mapped) == 3 and all("twin" not in s.payload for _, s in cut.mapped)


def test_first_zero_keeps_nothing() -> None:
    cut = _page(4, refused={0}).first(0)
    assert cut.page.products == [] and cut.mapped == [] and cut.failures == []
