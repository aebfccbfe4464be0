"""``propdesk report daily | complaints | weekly | monthly``: the seeds' reports.

Each catches the projections up first (unless ``--no-catch-up``), asks the report's query
function, and prints a table, or CSV or JSON. Times are shown at the estate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from rich.table import Table

from propdesk.cli.common import CliError, require_existing_database, stdout_console
from propdesk.projections import Projector
from propdesk.reports import (
    ComplaintDayReport,
    CompletionReport,
    MonthlyReport,
    Outstanding,
    Totals,
    WeeklySummary,
    complaint_report,
    completion_report,
    monthly_chart,
    monthly_report,
    to_csv,
    to_json,
    weekly_summary,
)

if TYPE_CHECKING:
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from sqlalchemy import Engine

    from propdesk.reports.export import Report

FORMATS = ("table", "csv", "json")
KINDS = ("daily", "complaints", "weekly", "monthly")
_LISTED = 40
"""Rows of a long list a table shows; CSV and JSON give them all."""


@dataclass(frozen=True)
class ReportOptions:
    """What ``propdesk report`` was asked for."""

    kind: str
    url: str
    zone: ZoneInfo
    day: date | None
    """The day (daily, complaints, weekly); today or yesterday at the estate if not given."""
    month: tuple[int, int] | None
    """The month (monthly); the current one if not given."""
    estate: str | None
    output: str
    section: str | None
    catch_up: bool
    households: int | None = None
    chart: Path | None = None
    as_of: datetime | None = None
    """When the monthly report judges what is still open (now if not given)."""


def run_report(options: ReportOptions) -> int:
    """Catches up, asks the report, prints it; draws the monthly chart if asked."""
    require_existing_database(options.url)
    with Projector(options.url) as projector:
        if options.catch_up:
            projector.catch_up()
        report = _ask(projector.engine, options)
    if options.chart is not None:
        if not isinstance(report, MonthlyReport):
            raise CliError("--chart draws the monthly report only")
        monthly_chart(report, options.chart)
    if options.output == "json":
        print(to_json(report))
    elif options.output == "csv":
        print(to_csv(report, options.section), end="")
    else:
        _print_table(stdout_console(pipe_width=120), report, options.zone)
    if options.chart is not None and options.output == "table":
        print(f"chart: {options.chart}")
    return 0


def _ask(engine: Engine, options: ReportOptions) -> Report:
    zone, estate = options.zone, options.estate
    today = datetime.now(zone).date()
    day = options.day or today
    if options.kind == "daily":
        return completion_report(engine, day, zone, estate=estate)
    if options.kind == "complaints":
        return complaint_report(engine, options.day or date.fromordinal(today.toordinal() - 1),
                                zone, estate=estate)  # fmt: skip
    if options.kind == "weekly":
        return weekly_summary(engine, day, zone, estate=estate)
    year, month = options.month or (today.year, today.month)
    return monthly_report(engine, year, month, zone, estate=estate, households=options.households,
                          as_of=options.as_of or datetime.now(zone))  # fmt: skip


# ------------------------------------------------------------------------------ tables


def _print_table(console: Console, report: Report, zone: ZoneInfo) -> None:
    if isinstance(report, CompletionReport):
        _completion(console, report, zone)
    elif isinstance(report, ComplaintDayReport):
        _complaints(console, report, zone)
    elif isinstance(report, WeeklySummary):
        _weekly(console, report, zone)
    else:
        _monthly(console, report)


def _completion(console: Console, report: CompletionReport, zone: ZoneInfo) -> None:
    where = f" at {report.estate}" if report.estate else ""
    console.print(f"[bold]Repair completion report{where}, {report.day} "
                  f"(as of {_time(report.as_of, zone)})[/bold]")  # fmt: skip
    console.print(_totals_table([("today", report.today), ("this week", report.week)]))
    console.print(_counts_table("Not completed, by reason", report.reasons))
    console.print(_outstanding_table(report.outstanding, zone))
    done = _table(f"Completed today ({len(report.completed)})",
                  "Completed", "By", "Category", "Unit", "Ticket")  # fmt: skip
    for line in report.completed[:_LISTED]:
        done.add_row(_time(line.completed_at, zone), line.completed_by or "", line.category,
                     line.unit, line.ticket_id[:8])  # fmt: skip
    console.print(done)
    _more(console, len(report.completed))


def _complaints(console: Console, report: ComplaintDayReport, zone: ZoneInfo) -> None:
    where = f" at {report.estate}" if report.estate else ""
    console.print(f"[bold]Complaint report{where} for {report.day} "
                  f"(due {_time(report.due_at, zone)})[/bold]")  # fmt: skip
    console.print(f"received {report.received}, invalid {report.invalid}, closed when due "
                  f"{report.closed_when_due}, open when due {report.open_when_due}")  # fmt: skip
    console.print(_counts_table("By severity", report.by_severity))
    table = _table("Complaints", "Received", "Severity", "Type", "Place", "What happened",
                   "Responsible", "State when due", "Ticket")  # fmt: skip
    for line in report.complaints[:_LISTED]:
        severity = (line.severity or "-") + (" urgent" if line.urgent else "")
        table.add_row(
            _time(line.received_at, zone), severity, line.complaint_type or "-", line.place,
            line.what_happened[:30], line.responsible_unit or "-", line.state_when_due,
            line.ticket_id[:8],
        )  # fmt: skip
    console.print(table)
    _more(console, len(report.complaints))


def _weekly(console: Console, report: WeeklySummary, zone: ZoneInfo) -> None:
    where = f" at {report.estate}" if report.estate else ""
    console.print(f"[bold]Weekly repair summary{where}, {_time(report.week_from, zone)} to "
                  f"{_time(report.as_of, zone)}[/bold]")  # fmt: skip
    console.print(_totals_table([("this week", report.repairs)]))
    console.print(_counts_table("Not completed, by reason", report.reasons))
    console.print(_outstanding_table(report.outstanding, zone))
    calls = report.callbacks
    rate = "-" if calls.satisfaction_rate is None else f"{calls.satisfaction_rate:.1%}"
    console.print(f"callbacks made {calls.made}: satisfied {calls.satisfied}, unsatisfied "
                  f"{calls.unsatisfied}, within their window {calls.within_window}; "
                  f"satisfaction {rate}")  # fmt: skip
    console.print(f"complaints received {report.complaints_received}, "
                  f"resolved {report.complaints_resolved}")  # fmt: skip
    table = _table("Customer opinions", "Called", "Satisfied", "Rating", "Said", "Ticket")
    for line in report.opinions[:_LISTED]:
        table.add_row(_time(line.called_at, zone), "yes" if line.satisfied else "NO",
                      str(line.rating or "-"), line.problem or line.remarks or "",
                      line.ticket_id[:8])  # fmt: skip
    console.print(table)
    _more(console, len(report.opinions))


def _monthly(console: Console, report: MonthlyReport) -> None:
    where = f" at {report.estate}" if report.estate else ""
    console.print(f"[bold]Monthly KPIs{where}, {report.year}-{report.month:02d}[/bold] "
                  f"(what is still open judged at {report.as_of:%Y-%m-%d %H:%M})")  # fmt: skip
    kpis = _table("KPIs", "KPI", "Count", "Of", "Value", "Target", "Met")
    for kpi in report.kpis:
        met = "-" if kpi.met is None else ("yes" if kpi.met else "NO")
        kpis.add_row(kpi.title, str(kpi.numerator), str(kpi.denominator), _percent(kpi.value),
                     kpi.target or "-", met)  # fmt: skip
    console.print(kpis)
    sla = _table("SLA compliance per goal", "Goal", "Met", "Missed", "Cancelled", "Overdue",
                 "Compliance")  # fmt: skip
    for goal in report.sla:
        sla.add_row(goal.goal, str(goal.met), str(goal.missed), str(goal.cancelled),
                    str(goal.overdue), _percent(goal.compliance))  # fmt: skip
    console.print(sla)
    people = _table("Refusals and escalations per person", "Person", "Dispatched",
                    "Escalated to", "Refused", "Arrivals", "On time")  # fmt: skip
    for person in report.people:
        people.add_row(person.person, str(person.dispatched), str(person.escalated_to),
                       str(person.refused), str(person.arrivals), str(person.on_time))  # fmt: skip
    console.print(people)
    console.print(_counts_table("Complaints by severity", report.complaints_by_severity))
    days = _table("By day", "Day", "Repairs", "Complaints", "Completed", "SLA met", "Missed",
                  "Compliance")  # fmt: skip
    for line in report.days:
        if line.repairs_received or line.complaints_received or line.sla_met or line.sla_missed:
            days.add_row(
                f"{line.day:%m-%d %a}", str(line.repairs_received), str(line.complaints_received),
                str(line.repairs_completed), str(line.sla_met), str(line.sla_missed),
                _percent(line.sla_compliance),
            )  # fmt: skip
    console.print(days)


def _totals_table(periods: list[tuple[str, Totals]]) -> Table:
    table = _table("Repairs", "Period", "Received", "Completed", "Not completed",
                   "Closed unrepaired")  # fmt: skip
    for name, totals in periods:
        table.add_row(name, str(totals.received), str(totals.completed),
                      str(totals.not_completed), str(totals.closed_unrepaired))  # fmt: skip
    return table


def _outstanding_table(lines: list[Outstanding], zone: ZoneInfo) -> Table:
    table = _table(f"Not completed at the cut-off ({len(lines)}), longest open first",
                   "Logged", "Hours", "Category", "Unit", "Why", "Who", "Ticket")  # fmt: skip
    for line in lines[:_LISTED]:
        when = f" (appointment {_time(line.appointment, zone)})" if line.appointment else ""
        why = line.reason + when
        table.add_row(_time(line.logged_at, zone), f"{line.hours_open:.1f}", line.category,
                      line.unit, why, line.person or "-", line.ticket_id[:8])  # fmt: skip
    return table


def _counts_table(title: str, counts: dict[str, int]) -> Table | str:
    if not counts:
        return f"[bold]{title}[/bold]: none"
    table = _table(title, "", "Count")
    for name, count in counts.items():
        table.add_row(name, str(count))
    return table


def _table(title: str, *headings: str) -> Table:
    table = Table(title=f"[bold]{title}[/bold]", title_justify="left")
    for heading in headings:
        table.add_column(heading)
    return table


def _more(console: Console, total: int) -> None:
    if total > _LISTED:
        console.print(f"… and {total - _LISTED} more (all of them with --format csv or json)")


def _time(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%m-%d %H:%M}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
