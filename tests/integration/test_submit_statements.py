"""The submit path's database cost is pinned: statements and commits per submission.

Each statement is a round trip to PostgreSQL on a core the API shares, so a
query added to the path must show up here. The counter listens on the app's
engine; a warm-up request first records the API key's last-used time, so the
counted submission is the steady state (a key used within the minute).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from control_plane.db.repositories.submissions import SubmissionRepository
from tests.conftest import Tenants

IMPORTS = "/api/v1/imports"


@dataclass(frozen=True)
class Budget:
    statements: int
    commits: int


PLAIN = Budget(statements=4, commits=3)
"""API key lookup; integration, tier and quota counts; job and its event; QUEUED and its event."""
KEYED = Budget(statements=6, commits=3)
"""As plain, with the savepoint and its release around the keyed insert (a racing twin is answered)."""


@dataclass
class Tally:
    """Statements and commits the app's engine ran, with the statements' text for a failure message."""

    statements: list[str] = field(default_factory=list)
    commits: int = 0

    def on_statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(statement.split("\n", 1)[0][:80])

    def on_commit(self, _conn: Any) -> None:
        self.commits += 1

    def reset(self) -> None:
        self.statements.clear()
        self.commits = 0

    def over(self, budget: Budget) -> list[str]:
        """What exceeds the budget, said plainly; empty when within it."""
        problems = []
        if len(self.statements) > budget.statements:
            problems.append(f"{len(self.statements)} statements > {budget.statements}: {self.statements}")
        if self.commits > budget.commits:
            problems.append(f"{self.commits} commits > {budget.commits}")
        return problems


@pytest.fixture
def tally(client: AsyncTestClient) -> Iterator[Tally]:  # type: ignore[type-arg]
    engine: AsyncEngine = client.app.state.engine
    counted = Tally()
    event.listen(engine.sync_engine, "before_cursor_execute", counted.on_statement)
    event.listen(engine.sync_engine, "commit", counted.on_commit)
    yield counted
    event.remove(engine.sync_engine, "before_cursor_execute", counted.on_statement)
    event.remove(engine.sync_engine, "commit", counted.on_commit)


async def _submit_counted(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    tally: Tally,
    headers: dict[str, str] | None = None,
) -> None:
    warm_up = await client.get(IMPORTS, headers=tenants.acme.auth)  # the key's last-used time is now fresh
    assert warm_up.status_code == 200, warm_up.text
    tally.reset()
    body = {"integration_id": str(tenants.acme.integration_id)}
    response = await client.post(IMPORTS, json=body, headers={**tenants.acme.auth, **(headers or {})})
    assert response.status_code == 202, response.text
    assert response.json()["enqueued"] is True


async def test_a_plain_submission_stays_within_its_budget(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    tally: Tally,
) -> None:
    await _submit_counted(client, tenants, tally)
    assert not tally.over(PLAIN), tally.over(PLAIN)
    assert not any(s.startswith("SAVEPOINT") for s in tally.statements), "no savepoint without a key"


async def test_a_keyed_submission_stays_within_its_budget(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    tally: Tally,
) -> None:
    await _submit_counted(client, tenants, tally, headers={"Idempotency-Key": "budget-1"})
    assert not tally.over(KEYED), tally.over(KEYED)


async def test_one_more_query_on_the_path_breaks_the_budget(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    tally: Tally,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check can fail: the submission's read followed by one extra statement is over the budget."""
    read = SubmissionRepository.context

    async def read_twice(self: SubmissionRepository, *args: Any, **kwargs: Any) -> Any:
        await self._session.execute(sa.text("SELECT 1"))
        return await read(self, *args, **kwargs)

    monkeypatch.setattr(SubmissionRepository, "context", read_twice)
    await _submit_counted(client, tenants, tally)
    assert tally.over(PLAIN) == [f"{PLAIN.statements + 1} statements > {PLAIN.statements}: {tally.statements}"]
