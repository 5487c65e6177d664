"""`importctl slo verify`: judge every SLO over a window, for operators and for CI.

Exit status: 0 when every SLO passes or has no data, 1 on any breach, 2 when
the definitions, the evidence or the window are invalid.  "No data" is shown,
never counted as a pass nor as a breach.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.cli.session import run_in_session
from control_plane.domain.slo import Evaluation, Verdict, breached, parse_duration
from control_plane.domain.slo_spec import Observation, SloSpecError
from control_plane.services.slo import SloReport, SloVerifier, load_evidence, load_slos
from control_plane.services.slo_document import as_document, objective_text, value_text
from control_plane.settings import Settings

COLUMNS = ("SLO", "value", "objective", "verdict", "budget left", "95% CI", "n")


class InvalidInput(click.ClickException):
    exit_code = 2


def parse_moment(text: str, reference: datetime) -> datetime:
    """An ISO 8601 time (UTC if it has no offset) or a duration back from ``reference`` (``24h``, ``7d``)."""
    try:
        return reference - parse_duration(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"expected an ISO 8601 time or a duration like 24h or 7d, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group()
def slo() -> None:
    """Service level objectives: verify them against the job store and what drills and load runs measured."""


@slo.command("verify")
@click.option(
    "--since",
    help="Window start: ISO 8601 time or a duration back from --until (24h, 7d). Default: each SLO's own window.",
)
@click.option("--until", help="Window end, excluded: ISO 8601 time or a duration back from now. Default: now.")
@click.option(
    "--evidence",
    "evidence_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="More observations of drill-sourced SLOs, besides those drills and load runs recorded: "
    'JSON [{"slo", "at", "value", "source"}]. Repeatable.',
)
@click.option(
    "--catalog",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An SLO file to verify instead of the packaged control_plane/slo/slos.yaml.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def verify(
    since: str | None, until: str | None, evidence_files: tuple[Path, ...], catalog: Path | None, as_json: bool
) -> None:
    """Judge every SLO over [since, until); exit 1 on any breach ("no data" is not one)."""
    try:
        slos = load_slos(catalog.read_text(encoding="utf-8") if catalog else None)
        evidence: list[Observation] = []
        for path in evidence_files:
            evidence.extend(load_evidence(path.read_text(encoding="utf-8"), slos))
    except SloSpecError as exc:
        raise InvalidInput(str(exc)) from exc

    async def action(session: AsyncSession, settings: Settings) -> list[SloReport]:
        verifier = SloVerifier(session)
        now = await verifier.now()
        end = parse_moment(until, now) if until else now
        start = parse_moment(since, end) if since else None
        try:
            return await verifier.verify(slos, since=start, until=end, evidence=evidence)
        except SloSpecError as exc:
            raise InvalidInput(str(exc)) from exc

    reports = run_in_session(action)
    click.echo(json.dumps(as_document(reports), indent=2) if as_json else render_table(reports))
    if breached([report.evaluation for report in reports]):
        raise SystemExit(1)


def render_table(reports: list[SloReport]) -> str:
    rows = [COLUMNS, *(_row(report.evaluation) for report in reports)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [_window_line(reports)]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    for report in reports:
        if report.evaluation.verdict is Verdict.BREACH:
            lines.append(f"breach: {report.evaluation.slo.name} -> {report.evaluation.slo.runbook}")
    return "\n".join(lines)


def _window_line(reports: list[SloReport]) -> str:
    if not reports:
        return "no SLOs"
    windows = {(report.since, report.until) for report in reports}
    until = reports[0].until.isoformat()
    if len(windows) == 1:
        return f"window [{reports[0].since.isoformat()}, {until})"
    return f"each SLO over its own window, until {until}"


def _row(evaluation: Evaluation) -> tuple[str, ...]:
    interval = evaluation.interval
    budget = evaluation.error_budget_left
    return (
        evaluation.slo.name,
        value_text(evaluation),
        objective_text(evaluation),
        evaluation.verdict.value,
        f"{budget:.1%}" if budget is not None else "-",
        f"[{interval[0]:.2%}, {interval[1]:.2%}]" if interval else "-",
        str(evaluation.samples),
    )
