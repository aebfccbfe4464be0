"""The daily complaint report (投诉报表): the day's complaints, due by 09:00 the next day.

S3:L48-49 (次日9:00前将前一天的投诉报表交上级审阅): the complaints received on a day are
reported to the superior for review by 09:00 the next morning. Each line is the complaint
as the complaint register (客情记录表) holds it now, with what it was at the due time: its
state, its handler, and its grade if it had been classified by then; the counts are of the
complaints as they stood at the due time. Times are given at the estate.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from propdesk.domain.complaint_lifecycle import CLOSED_STATES
from propdesk.projections.base import chunks
from propdesk.reports.periods import Period, ReportSchedule, at, day_period, local
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
    """Valid or not, as classified (now)."""
    severity: str | None
    """The grade, as classified (now)."""
    urgent: bool
    complaint_type: str | None
    responsible_unit: str | None
    handler: str | None
    """Who handles it now."""
    state_when_due: str
    """The state the complaint was in when the report was due."""
    classified_when_due: bool
    """Whether it had been classified when the report was due."""
    handler_when_due: str | None
    """Who handled it when the report was due."""
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
    """Counted by the grade they had at the due time: ``unclassified`` if not classified by
    then, ``invalid`` if classified invalid."""
    invalid: int
    """Classified invalid by the due time."""
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
        classified = _classified_before(connection, list(registered), due_at)
    lines = [
        ComplaintLine(
            ticket_id=ticket_id,
            received_at=row["logged_at"].astimezone(zone),
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
            state_when_due=states[ticket_id][0],
            classified_when_due=ticket_id in classified,
            handler_when_due=states[ticket_id][1],
            answered_at=local(row["answered_at"], zone),
            resolved_at=local(row["resolved_at"], zone),
        )
        for ticket_id, row in registered.items()
        if ticket_id in states  # the step log is behind the register; the next catch-up
    ]
    severities = Counter(_grade_when_due(line) for line in lines)
    closed = sum(1 for line in lines if line.state_when_due in _CLOSED)
    return ComplaintDayReport(
        estate=estate, day=day, due_at=due_at, received=len(lines),
        by_severity=dict(sorted(severities.items())),
        invalid=sum(1 for line in lines if _grade_when_due(line) == "invalid"),
        closed_when_due=closed, open_when_due=len(lines) - closed, complaints=lines,
    )  # fmt: skip


def _received(
    connection: Connection, period: Period, estate: str | None
) -> dict[str, dict[str, Any]]:
    c = COMPLAINTS.c
    query = select(COMPLAINTS).where(c.logged_at >= period.start, c.logged_at < period.end)
    if estate is not None:
        query = query.where(c.estate == estate)
    rows = connection.execute(query.order_by(c.logged_at, c.ticket_id))
    return {row.ticket_id: dict(row._mapping) for row in rows}  # noqa: SLF001 - SQLAlchemy's public row mapping


def _grade_when_due(line: ComplaintLine) -> str:
    if not line.classified_when_due:
        return "unclassified"
    if line.valid is False:
        return "invalid"
    return line.severity or "unclassified"


def _states_at(
    connection: Connection, ids: list[str], moment: datetime
) -> dict[str, tuple[str, str | None]]:
    """Each complaint's state and handler just before ``moment`` (the step row spanning it)."""
    s = STEPS.c
    found: dict[str, tuple[str, str | None]] = {}
    for chunk in chunks(ids):
        query = select(s.ticket_id, s.state, s.person).where(
            s.ticket_id.in_(chunk), s.at < moment, s.until >= moment
        )
        found.update((row.ticket_id, (row.state, row.person)) for row in connection.execute(query))
    return found


def _classified_before(connection: Connection, ids: list[str], moment: datetime) -> set[str]:
    """The complaints among ``ids`` classified before ``moment``."""
    s = STEPS.c
    found: set[str] = set()
    for chunk in chunks(ids):
        query = select(s.ticket_id).where(
            s.ticket_id.in_(chunk),
            s.step == "ComplaintClassified",
            s.at < moment,
        )
        found.update(connection.execute(query).scalars())
    return found
