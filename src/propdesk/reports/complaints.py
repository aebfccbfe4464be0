"""The daily complaint report (投诉报表): the day's complaints, due by 09:00 the next day.

S3:L48-49 (次日9:00前将前一天的投诉报表交上级审阅): the complaints received on a day are
reported to the superior for review by 09:00 the next morning. Each line is the complaint
as the complaint register (客情记录表) holds it, with the state it was in at the due time.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from propdesk.domain.complaint_lifecycle import CLOSED_STATES
from propdesk.reports.periods import Period, ReportSchedule, at, day_period
from propdesk.reports.reading import COMPLAINTS, STEPS

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy import Connection, Engine

_CLOSED = frozenset(state.value for state in CLOSED_STATES)


class ComplaintLine(BaseModel):
    """One complaint received on the day."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    received_at: datetime
    channel: str
    place: str
    what_happened: str
    demands: str
    valid: bool | None
    severity: str | None
    urgent: bool
    complaint_type: str | None
    responsible_unit: str | None
    handler: str | None
    state_when_due: str
    """The state the complaint was in when the report was due."""
    answered_at: datetime | None
    resolved_at: datetime | None


class ComplaintDayReport(BaseModel):
    """The complaints of one day, as reported the next morning."""

    model_config = ConfigDict(frozen=True)

    estate: str | None
    day: date
    due_at: datetime
    """09:00 the next day, at the estate, unless the schedule says otherwise."""
    received: int
    by_severity: dict[str, int]
    """Counted by severity; ``unclassified`` for those not classified by the due time."""
    invalid: int
    closed_when_due: int
    open_when_due: int
    complaints: list[ComplaintLine]


def complaint_report(
    engine: Engine,
    day: date,
    zone: ZoneInfo,
    *,
    estate: str | None = None,
    schedule: ReportSchedule | None = None,
) -> ComplaintDayReport:
    """The complaints received on ``day``, as they stood at 09:00 the next day.

    Args:
        engine: the read side's database, with its projections caught up.
        day: the day the complaints were received, at the estate.
        zone: the estate's time zone.
        estate: only this estate's complaints.
        schedule: the report times; the seeds' by default.
    """
    schedule = schedule or ReportSchedule()
    due_at = at(day + timedelta(days=1), schedule.complaints_due, zone)
    period = day_period(day, zone)
    with engine.connect() as connection:
        registered = _received(connection, period, estate)
        states = _states_at(connection, list(registered), due_at)
    lines = [
        ComplaintLine(
            ticket_id=ticket_id,
            received_at=row["logged_at"],
            channel=row["channel"],
            place=row["place"],
            what_happened=row["what_happened"],
            demands=row["demands"],
            valid=row["valid"],
            severity=row["severity"],
            urgent=bool(row["urgent"]),
            complaint_type=row["complaint_type"],
            responsible_unit=row["responsible_unit"],
            handler=row["handler"],
            state_when_due=states.get(ticket_id, row["status"]),
            answered_at=row["answered_at"],
            resolved_at=row["resolved_at"],
        )
        for ticket_id, row in registered.items()
    ]
    severities = Counter(
        line.severity or ("invalid" if line.valid is False else "unclassified") for line in lines
    )
    closed = sum(1 for line in lines if line.state_when_due in _CLOSED)
    return ComplaintDayReport(
        estate=estate, day=day, due_at=due_at, received=len(lines),
        by_severity=dict(sorted(severities.items())),
        invalid=sum(1 for line in lines if line.valid is False),
        closed_when_due=closed, open_when_due=len(lines) - closed, complaints=lines,
    )  # fmt: skip


def _received(
    connection: Connection, period: Period, estate: str | None
) -> dict[str, dict[str, object]]:
    c = COMPLAINTS.c
    query = select(COMPLAINTS).where(c.logged_at >= period.start, c.logged_at < period.end)
    if estate is not None:
        query = query.where(c.estate == estate)
    rows = connection.execute(query.order_by(c.logged_at, c.ticket_id))
    return {row.ticket_id: dict(row._mapping) for row in rows}  # noqa: SLF001 - SQLAlchemy's public row mapping


def _states_at(connection: Connection, ids: list[str], moment: datetime) -> dict[str, str]:
    """Each complaint's state at ``moment`` (its step row spanning it)."""
    s = STEPS.c
    found: dict[str, str] = {}
    for first in range(0, len(ids), 500):
        query = select(s.ticket_id, s.state).where(
            s.ticket_id.in_(ids[first : first + 500]), s.at <= moment, s.until > moment
        )
        found.update((row.ticket_id, row.state) for row in connection.execute(query))
    return found
