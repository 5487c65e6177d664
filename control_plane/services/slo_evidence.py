"""SLO evidence in the job store: what chaos drills and load runs measured, recorded and read back by window.

The runs (the edge) own the transaction: :meth:`SloEvidence.record` flushes and
never commits.  Only drill-sourced SLOs of the catalog take observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories.slo_observations import SloObservationRepository
from control_plane.domain.slo import SliSource, Slo
from control_plane.domain.slo_spec import Observation, check_observations


class SloEvidence:
    def __init__(self, session: AsyncSession) -> None:
        self._repo = SloObservationRepository(session)

    async def record(self, observations: Sequence[Observation], slos: Sequence[Slo]) -> int:
        """Record a run's observations (checked against ``slos``); returns how many were new."""
        return await self._repo.record(check_observations(observations, slos))

    async def observed(self, slos: Sequence[Slo], since: datetime, until: datetime) -> list[Observation]:
        """The recorded observations of the drill-sourced ``slos`` taken in [since, until)."""
        names = [slo.name for slo in slos if slo.indicator.source is SliSource.DRILL]
        return await self._repo.observed(names, since, until) if names else []
