"""The weekly repair summary, Friday at 15:00 (每周五15:00, S3:L52-54).

The week's completed and not-completed repairs (with the reasons, as in the daily report),
the customers' opinions from the week's callbacks, and the satisfaction they gave. The week
runs from the previous summary's cut-off (Friday 15:00 a week before) to this one's, so every
step falls in exactly one summary. Times are given at the estate.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from propdesk.reports.completion import (
    Outstanding,
    Totals,
    count_reasons,
    outstanding_at,
    totals,
)
from propdesk.reports.periods import Period, ReportSchedule, at, week_start
from propdesk.reports.reading import CALLBACK_BOOK, step_count

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy import Connection, Engine


class Opinion(BaseModel):
    """What a resident said on a callback."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    called_at: datetime
    satisfied: bool
    rating: int | None
    remarks: str | None
    problem: str | None
    """What an unsatisfied resident said was wrong (the work was sent back)."""
    within_window: bool
    """Made within the callback window (2 days, or 3 after a leak test)."""


class Callbacks(BaseModel):
    """The callbacks made in a period."""

    model_config = ConfigDict(frozen=True)

    made: int
    satisfied: int
    unsatisfied: int
    within_window: int
    satisfaction_rate: float | None
    """Satisfied callbacks over callbacks made (``None`` if none was made)."""


class WeeklySummary(BaseModel):
    """The week's repair summary (每周维修汇总)."""

    model_config = ConfigDict(frozen=True)

    estate: str | None
    week_from: datetime
    """The previous summary's cut-off."""
    as_of: datetime
    """This summary's cut-off: Friday 15:00 of the week, unless the schedule says otherwise."""
    repairs: Totals
    reasons: dict[str, int]
    outstanding: list[Outstanding]
    callbacks: Callbacks
    opinions: list[Opinion]
    """Callbacks in which the resident said something, in time order."""
    complaints_received: int
    complaints_resolved: int


def weekly_summary(
    engine: Engine,
    day: date,
    zone: ZoneInfo,
    *,
    estate: str | None = None,
    schedule: ReportSchedule | None = None,
) -> WeeklySummary:
    """The summary of the week ``day`` falls in, as of its cut-off (Friday 15:00 by default).

    Args:
        engine: the read side's database, with its projections caught up.
        day: any day of the week, at the estate.
        zone: the estate's time zone.
        estate: only this estate's tickets.
        schedule: the report times; the seeds' by default.
    """
    schedule = schedule or ReportSchedule()
    report_day = week_start(day) + timedelta(days=schedule.weekly_day)
    as_of = at(report_day, schedule.weekly_at, zone)
    week = Period(at(report_day - timedelta(days=7), schedule.weekly_at, zone), as_of)
    with engine.connect() as connection:
        outstanding = outstanding_at(connection, as_of, zone, estate)
        made = callbacks_made(connection, week, zone, estate)
        return WeeklySummary(
            estate=estate, week_from=week.start, as_of=as_of,
            repairs=totals(connection, week, outstanding, estate),
            reasons=count_reasons(outstanding), outstanding=outstanding,
            callbacks=tally(made),
            opinions=[line for line in made if line.remarks or line.problem],
            complaints_received=step_count(connection, "ComplaintReceived", week, estate),
            complaints_resolved=step_count(connection, "ComplaintResolved", week, estate),
        )  # fmt: skip


def callbacks_made(
    connection: Connection, period: Period, zone: ZoneInfo, estate: str | None
) -> list[Opinion]:
    """The callbacks made in ``period``, in time order."""
    c = CALLBACK_BOOK.c
    query = select(CALLBACK_BOOK).where(c.called_at >= period.start, c.called_at < period.end)
    if estate is not None:
        query = query.where(c.estate == estate)
    query = query.order_by(c.called_at, c.ticket_id)
    return [
        Opinion.model_validate({**row._mapping, "called_at": row.called_at.astimezone(zone)})  # noqa: SLF001 - SQLAlchemy's public row mapping
        for row in connection.execute(query)
    ]


def tally(made: list[Opinion]) -> Callbacks:
    """Counts the callbacks made."""
    satisfied = sum(1 for line in made if line.satisfied)
    return Callbacks(
        made=len(made), satisfied=satisfied, unsatisfied=len(made) - satisfied,
        within_window=sum(1 for line in made if line.within_window),
        satisfaction_rate=satisfied / len(made) if made else None,
    )  # fmt: skip
