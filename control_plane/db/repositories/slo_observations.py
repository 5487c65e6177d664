"""What chaos drills and load runs measured for the drill-sourced SLOs; all SQL of ``slo_observations``.

Rows are only added: a run records its measurements once (one per SLO, run and
source; recording the same again changes nothing), and the verifier reads those
observed in its window [since, until), so a past window keeps its answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import SloObservation
from control_plane.domain.slo_spec import Observation


class SloObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, observations: Sequence[Observation]) -> int:
        """Add the observations (flushed, not committed); returns how many were new."""
        if not observations:
            return 0
        rows = [
            {
                "slo": o.slo,
                "value": o.value,
                "observed_at": o.at,
                "source": o.source,
                "run_id": o.run_id,
                "details": dict(o.details),
            }
            for o in observations
        ]
        statement = (
            insert(SloObservation)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["run_id", "slo", "source"])
            .returning(SloObservation.id)
        )
        return len((await self._session.execute(statement)).all())

    async def observed(self, slos: Sequence[str], since: datetime, until: datetime) -> list[Observation]:
        """Observations of ``slos`` taken in [since, until), oldest first."""
        query = (
            sa.select(SloObservation)
            .where(
                SloObservation.slo.in_(list(slos)),
                SloObservation.observed_at >= since,
                SloObservation.observed_at < until,
            )
            .order_by(SloObservation.observed_at, SloObservation.id)
        )
        return [
            Observation(row.slo, row.observed_at, row.value, row.source, row.run_id, row.details)
            for row in (await self._session.execute(query)).scalars()
        ]
