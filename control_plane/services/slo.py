"""Verify the SLOs: load their definitions, measure each SLI over a window, judge it.

Definitions are YAML (``control_plane/slo/slos.yaml``) parsed here and
validated by the domain; job-store SLIs come from PostgreSQL's jobs and their
timeline, drill SLIs from the observations chaos drills and load runs recorded
in ``slo_observations`` (plus any evidence files given).  Read-only: nothing is
written, so a verification can run against production at any time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files

import yaml  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories.slo import SloRepository
from control_plane.domain.slo import Evaluation, Measurement, SliSource, Slo, evaluate
from control_plane.domain.slo_spec import Observation, SloSpecError, drill_sample, parse_catalog, parse_observations
from control_plane.services.slo_evidence import SloEvidence
from control_plane.services.slo_measures import MEASURES, check_measures

CATALOG_PACKAGE = "control_plane.slo"
CATALOG_FILE = "slos.yaml"


@dataclass(frozen=True)
class SloReport:
    """One SLO judged over [since, until)."""

    evaluation: Evaluation
    since: datetime
    until: datetime


def packaged_catalog() -> str:
    return files(CATALOG_PACKAGE).joinpath(CATALOG_FILE).read_text(encoding="utf-8")


def load_slos(text: str | None = None) -> tuple[Slo, ...]:
    """The SLO definitions (the packaged file unless ``text`` is given), validated; SloSpecError otherwise."""
    try:
        document = yaml.safe_load(packaged_catalog() if text is None else text)
    except yaml.YAMLError as exc:
        raise SloSpecError(None, "(yaml)", str(exc)) from exc
    slos = parse_catalog(document)
    check_measures(slos)
    return slos


def load_evidence(text: str, slos: Sequence[Slo]) -> list[Observation]:
    """Drill evidence as JSON: ``[{"slo", "at", "value", "source"}, ...]`` or ``{"observations": [...]}``."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SloSpecError(None, "(json)", str(exc)) from exc
    return parse_observations(document, slos)


class SloVerifier:
    def __init__(self, session: AsyncSession) -> None:
        self._repo = SloRepository(session)
        self._evidence = SloEvidence(session)

    async def now(self) -> datetime:
        """The database clock: job timestamps are written in it."""
        return await self._repo.database_now()

    async def verify(
        self,
        slos: Sequence[Slo],
        *,
        until: datetime,
        since: datetime | None = None,
        evidence: Sequence[Observation] = (),
    ) -> list[SloReport]:
        """Judge each SLO over [since, until); without ``since``, over the SLO's own window up to ``until``."""
        if since is not None and since >= until:
            raise SloSpecError(None, "since", "must be before until (the window would be empty)")
        reports = []
        for slo in slos:
            start = since if since is not None else until - slo.window
            measurement = await self.measure(slo, start, until, evidence)
            reports.append(SloReport(evaluate(slo, measurement), start, until))
        return reports

    async def measure(
        self, slo: Slo, since: datetime, until: datetime, evidence: Sequence[Observation] = ()
    ) -> Measurement:
        if slo.indicator.source is SliSource.DRILL:
            recorded = await self._evidence.observed([slo], since, until)
            return drill_sample([*recorded, *evidence], slo.name, since, until)
        return await MEASURES[slo.indicator.measure].compute(self._repo, slo.indicator.params, since, until)
