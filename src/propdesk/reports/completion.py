"""The 17:10 repair completion report: what was completed, and what was not and why.

S3:L44-46 (每天17:10与工程部确认当天报修完成情况, 当天、本周完成和未完成的数量及未完成原因):
each day at 17:10 the front desk confirms with engineering the day's and the week's
completed and not-completed repairs, with the reason for each one not completed.

Each report counts what happened since the previous one: the day runs from yesterday's
cut-off to today's, the week from the cut-off on the Sunday before it. Every step therefore
falls in exactly one day's report and one week's, whatever time it happened; a step at the
very cut-off belongs to the next report.

*Completed* means the work was done and the customer signed (R18, ``Completed``); a repair
counts once in a period however many visits it took. *Not completed* are the repairs whose
work was still to do just before the cut-off, whenever they were logged; the totals count
those logged in the period. The reason is the state the repair was in, with what the step
that put it there said (the refusal's reason, the problem a callback found, the new time
agreed). Repairs closed without a repair (declined, not repairable) are neither; they are
counted apart. Times are given at the estate.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from propdesk.domain.lifecycle import RepairState
from propdesk.reports.periods import Period, ReportSchedule, at, local, week_start
from propdesk.reports.reading import REPAIRS, register_rows, states_at, step_count, steps_in

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy import Connection, Engine

S = RepairState

WHY_NOT_COMPLETED: dict[str, str] = {
    S.LOGGED: "waiting to be dispatched",
    S.COST_REVIEW: "under cost review",
    S.AWAITING_QUOTE_DECISION: "quote awaiting the resident's decision",
    S.QUOTE_ACCEPTED: "quote accepted, waiting to be dispatched",
    S.DISPATCHED: "dispatched, technician not yet arrived",
    S.REFUSED: "refused by the acceptor, to be escalated",
    S.RESCHEDULE_NEGOTIATION: "nobody could go, agreeing a new time",
    S.RESCHEDULED: "rescheduled with the owner",
    S.ON_SITE: "technician on site",
    S.NO_ONE_HOME: "nobody home",
    S.AWAITING_REVISIT: "nobody home, revisit to be arranged",
    S.IN_REPAIR: "repair in progress",
    S.REWORK: "rework after an unhappy callback",
}
"""The states of a repair whose work is still to do, and how the report words each."""

ENDED_UNREPAIRED = ("DeclinedOnSite", "QuoteDeclined", "FoundNotRepairable")
"""The steps that close a repair without a repair."""


class Totals(BaseModel):
    """One period's counts."""

    model_config = ConfigDict(frozen=True)

    received: int
    """Repairs logged in the period."""
    completed: int
    """Repairs whose work was completed in the period."""
    not_completed: int
    """Repairs logged in the period whose work was still to do at the cut-off."""
    closed_unrepaired: int
    """Repairs closed in the period without a repair (declined, or not repairable)."""


class CompletedRepair(BaseModel):
    """A repair completed on the day."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    completed_at: datetime
    completed_by: str | None
    category: str
    unit: str
    logged_at: datetime
    fee: Decimal | None
    """The repair's fee as the register holds it now (paid work)."""


class Outstanding(BaseModel):
    """A repair whose work was still to do at the cut-off, and why."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    logged_at: datetime
    category: str
    unit: str
    state: str
    reason: str
    """Why it is not completed: the state in words, and what its step said."""
    since: datetime
    """The time of the repair's last step before the cut-off."""
    person: str | None
    """Who had it (the acceptor)."""
    level: int
    appointment: datetime | None
    """The time agreed with the owner, for a rescheduled repair."""
    hours_open: float
    """Hours from logging to the cut-off."""


class CompletionReport(BaseModel):
    """The 17:10 report of one day (报修完成情况)."""

    model_config = ConfigDict(frozen=True)

    estate: str | None
    day: date
    as_of: datetime
    """The cut-off: 17:10 on the day, at the estate, unless the schedule says otherwise."""
    day_from: datetime
    """The previous day's cut-off: the start of the day's totals and completions."""
    week_from: datetime
    """The cut-off on the Sunday before the day's week: the start of the week's totals."""
    today: Totals
    week: Totals
    completed: list[CompletedRepair]
    """Today's completions, in time order."""
    outstanding: list[Outstanding]
    """Every repair not completed at the cut-off, longest open first."""
    reasons: dict[str, int]
    """The outstanding repairs counted by reason (the state in words)."""


def completion_report(
    engine: Engine,
    day: date,
    zone: ZoneInfo,
    *,
    estate: str | None = None,
    schedule: ReportSchedule | None = None,
) -> CompletionReport:
    """The repair completion report of ``day``, as of its cut-off (17:10 by default).

    Args:
        engine: the read side's database (:func:`propdesk.projections.engine_for`), with its
            projections caught up.
        day: the day, at the estate.
        zone: the estate's time zone.
        estate: only this estate's repairs (all the desk's otherwise).
        schedule: the report times; the seeds' by default.
    """
    schedule = schedule or ReportSchedule()
    as_of = at(day, schedule.daily_at, zone)
    today = Period(at(day - timedelta(days=1), schedule.daily_at, zone), as_of)
    week = Period(at(week_start(day) - timedelta(days=1), schedule.daily_at, zone), as_of)
    with engine.connect() as connection:
        outstanding = outstanding_at(connection, as_of, zone, estate)
        completed = _completed(connection, today, zone, estate)
        return CompletionReport(
            estate=estate, day=day, as_of=as_of, day_from=today.start, week_from=week.start,
            today=totals(connection, today, outstanding, estate),
            week=totals(connection, week, outstanding, estate),
            completed=completed, outstanding=outstanding, reasons=count_reasons(outstanding),
        )  # fmt: skip


def totals(
    connection: Connection, period: Period, outstanding: list[Outstanding], estate: str | None
) -> Totals:
    """The counts of one period, given the repairs outstanding at its end."""
    closed = sum(step_count(connection, step, period, estate) for step in ENDED_UNREPAIRED)
    return Totals(
        received=step_count(connection, "Logged", period, estate),
        completed=step_count(connection, "Completed", period, estate, distinct_tickets=True),
        not_completed=sum(1 for line in outstanding if line.logged_at >= period.start),
        closed_unrepaired=closed,
    )


def outstanding_at(
    connection: Connection, moment: datetime, zone: ZoneInfo, estate: str | None
) -> list[Outstanding]:
    """Every repair whose work was still to do just before ``moment``, longest open first."""
    rows = states_at(connection, "repair", list(WHY_NOT_COMPLETED), moment, estate)
    registers = register_rows(connection, REPAIRS, {row["ticket_id"] for row in rows})
    lines = []
    for row in rows:
        entry = registers.get(row["ticket_id"])
        if entry is None:
            continue  # the register is behind the step log; the next catch-up brings it
        why = WHY_NOT_COMPLETED[row["state"]]
        lines.append(
            Outstanding(
                ticket_id=row["ticket_id"], logged_at=entry["logged_at"].astimezone(zone),
                category=entry["category"], unit=entry["unit"], state=row["state"],
                reason=f"{why}: {row['reason']}" if row["reason"] else why,
                since=row["at"].astimezone(zone), person=row["person"], level=row["level"],
                appointment=local(row["appointment"], zone),
                hours_open=round((moment - entry["logged_at"]) / timedelta(hours=1), 1),
            )
        )  # fmt: skip
    return sorted(lines, key=lambda line: (line.logged_at, line.ticket_id))


def count_reasons(outstanding: list[Outstanding]) -> dict[str, int]:
    """How many outstanding repairs are in each state, in the lifecycle's order."""
    counts = {WHY_NOT_COMPLETED[line.state]: 0 for line in outstanding}
    for line in outstanding:
        counts[WHY_NOT_COMPLETED[line.state]] += 1
    order = list(WHY_NOT_COMPLETED.values())
    return dict(sorted(counts.items(), key=lambda item: order.index(item[0])))


def _completed(
    connection: Connection, period: Period, zone: ZoneInfo, estate: str | None
) -> list[CompletedRepair]:
    steps = steps_in(connection, ["Completed"], period, estate)
    last = {row["ticket_id"]: row for row in steps}  # a ticket completed twice: its last
    registers = register_rows(connection, REPAIRS, last)
    return [
        CompletedRepair(
            ticket_id=ticket_id,
            completed_at=row["at"].astimezone(zone),
            completed_by=row["actor"],
            category=registers[ticket_id]["category"],
            unit=registers[ticket_id]["unit"],
            logged_at=registers[ticket_id]["logged_at"].astimezone(zone),
            fee=registers[ticket_id]["fee_amount"],
        )
        for ticket_id, row in sorted(last.items(), key=lambda item: item[1]["at"])
        if ticket_id in registers
    ]
