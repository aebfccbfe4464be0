"""``propdesk sla what-if --policy FILE``: stored tickets judged under a candidate policy.

Prints, goal by goal, how many runs were met, breached and still open as the tickets actually
went, and how many would have been under the candidate; ``--runs`` adds every run. Output is
a table, or JSON or CSV for a spreadsheet. Nothing stored changes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.table import Table

from propdesk.application.configuration import load_policy
from propdesk.application.desk import open_desk
from propdesk.application.what_if import WhatIfReport, what_if
from propdesk.cli.common import require_existing_database, stdout_console
from propdesk.cli.history import resolve_ticket

if TYPE_CHECKING:
    from pathlib import Path

    from propdesk.domain.organisation import Organisation

FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class WhatIfOptions:
    """What ``propdesk sla what-if`` was asked for."""

    policy: Path
    url: str
    organisation: Organisation
    tickets: tuple[str, ...] = ()
    logged_from: date | None = None
    logged_until: date | None = None
    """The last day of the period (inclusive)."""
    as_of: datetime | None = None
    output: str = "table"
    show_runs: bool = False


def run_what_if(options: WhatIfOptions) -> int:
    """Runs the replay and prints the report; returns the exit code."""
    candidate = load_policy(options.policy)
    zone = ZoneInfo(options.organisation.zone)
    require_existing_database(options.url)
    with open_desk(options.url, organisations=[options.organisation], cache_size=0) as desk:
        chosen = [resolve_ticket(desk, given) for given in options.tickets] or None
        report = what_if(
            desk, candidate, as_of=options.as_of or datetime.now(zone), tickets=chosen,
            logged_from=_midnight(options.logged_from, zone),
            logged_until=_midnight(options.logged_until, zone, next_day=True),
        )  # fmt: skip
    if options.output == "json":
        print(report.model_dump_json(indent=2, exclude=set() if options.show_runs else {"runs"}))
    elif options.output == "csv":
        print(report_csv(report, runs=options.show_runs), end="")
    else:
        console = stdout_console(pipe_width=120)
        console.print(
            f"[bold]What if[/bold] {report.policy}: {report.tickets} tickets, open runs judged "
            f"at {report.as_of.astimezone(zone):%Y-%m-%d %H:%M}"
        )
        console.print(goals_table(report))
        if options.show_runs:
            console.print(runs_table(report, zone))
    return 0


def goals_table(report: WhatIfReport) -> Table:
    """Per goal: met, breached and open runs, actual against candidate."""
    table = Table(title="Goals: actual → candidate", title_justify="left")
    table.add_column("Goal", no_wrap=True)
    for heading in ("Met", "Breached", "Open", "Cancelled", "Δ breached"):
        table.add_column(heading, justify="right", no_wrap=True)
    for goal in report.goals:
        table.add_row(
            goal.goal,
            f"{goal.actual_met} → {goal.candidate_met}",
            f"{goal.actual_breached} → {goal.candidate_breached}",
            f"{goal.actual_open} → {goal.candidate_open}",
            f"{goal.actual_cancelled} → {goal.candidate_cancelled}",
            f"{goal.change_in_breaches:+d}",
        )
    return table


def runs_table(report: WhatIfReport, zone: ZoneInfo) -> Table:
    """Every run, actual and candidate, ticket by ticket."""
    table = Table(title="Runs", title_justify="left")
    for heading in ("Ticket", "Goal", "Run", "Policy", "Started", "Due", "Outcome"):
        table.add_column(heading, no_wrap=True)
    for row in sorted(report.runs, key=lambda r: (str(r.ticket_id), r.goal, r.run, not r.actual)):
        table.add_row(
            str(row.ticket_id)[:8], row.goal, str(row.run),
            "actual" if row.actual else "candidate",
            f"{row.started_at.astimezone(zone):%m-%d %H:%M}",
            f"{row.due_at.astimezone(zone):%m-%d %H:%M}", row.outcome.value,
        )  # fmt: skip
    return table


def report_csv(report: WhatIfReport, *, runs: bool) -> str:
    """The goal comparison as CSV, or every run with ``runs``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if runs:
        writer.writerow(["ticket_id", "goal", "run", "actual", "started_at", "due_at", "outcome"])
        for row in report.runs:
            writer.writerow([
                row.ticket_id, row.goal, row.run, row.actual, row.started_at.isoformat(),
                row.due_at.isoformat(), row.outcome.value,
            ])  # fmt: skip
        return out.getvalue()
    columns = [
        "goal", "actual_met", "actual_breached", "actual_open", "actual_cancelled",
        "candidate_met", "candidate_breached", "candidate_open", "candidate_cancelled",
    ]  # fmt: skip
    writer.writerow(columns)
    for goal in report.goals:
        writer.writerow([getattr(goal, column) for column in columns])
    return out.getvalue()


def _midnight(day: date | None, zone: ZoneInfo, *, next_day: bool = False) -> datetime | None:
    """Local midnight at the start of ``day`` (of the day after, with ``next_day``)."""
    if day is None:
        return None
    if next_day:
        day = date.fromordinal(day.toordinal() + 1)
    return datetime.combine(day, time(0), tzinfo=zone)
