"""The monthly KPIs (seed-spec §5.1) and the month's volume and SLA compliance by day.

Each KPI is a count over a count, so a reader can check it, beside the seeds' target where
they give one. The seeds leave the denominators open (§8.20); the choices, recorded in
docs/explanation/seed-decisions.md, are:

- **callback rate** (回访率, target 100 %): callback windows opened in the month that were
  called back by the report's time, over windows opened;
- **callbacks within their window**: of the same windows, those called back in time;
- **on-time arrival** (按时到达): arrivals reported in the month that were by the promised
  time, over arrivals (the seeds check it per dispatch and set no percentage);
- **SLA compliance**: goal runs that ended in the month met, over those met or missed (a
  run cancelled before its due time is not judged); per goal in :attr:`MonthlyReport.sla`;
- **satisfaction** (满意度, target ≥ 98 %): satisfied callbacks over callbacks made;
- **complaint rate** (客户投诉率, target ≤ 6 %): valid complaints received over the estate's
  households when the caller gives them, otherwise over all tickets received;
- **rework** (返修): unsatisfied callbacks, which send the work back, over callbacks made.

Refusals and escalations are counted per person in :attr:`MonthlyReport.people`.

Everything is as known at the report's ``as_of`` (the month's end unless given): of a month
still in progress, what happened so far; a callback made or a goal run ended after ``as_of``
is not yet made or ended.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, case, func, literal, select

from propdesk.domain.goal_runs import Outcome
from propdesk.reports.periods import Period, at, month_period
from propdesk.reports.reading import (
    CALLBACK_BOOK,
    COMPLAINTS,
    RUNS,
    STEPS,
    step_count,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from sqlalchemy import ColumnElement, Connection, Engine

_PEOPLE_STEPS = ("Dispatched", "Refused", "Escalated", "ArrivalReported")
_VOLUME_STEPS = ("Logged", "ComplaintReceived", "Completed")


class Kpi(BaseModel):
    """One indicator: a count over a count, and the seeds' target if they give one."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    numerator: int
    denominator: int
    value: float | None
    """``numerator / denominator``; ``None`` when there was nothing to count."""
    target: str | None
    """The seeds' target, as they state it (``100 %``, ``≥ 98 %``, ``≤ 6 %``)."""
    met: bool | None
    """Whether ``value`` meets the target; ``None`` without a target or a value."""


class GoalCompliance(BaseModel):
    """One goal's runs that ended in the month."""

    model_config = ConfigDict(frozen=True)

    goal: str
    met: int
    missed: int
    cancelled: int
    overdue: int
    """Runs due in the month before ``as_of`` and still open at ``as_of``."""
    compliance: float | None
    """``met / (met + missed)``."""


class PersonActivity(BaseModel):
    """What one person was sent to do in the month, refused, and reached."""

    model_config = ConfigDict(frozen=True)

    person: str
    dispatched: int
    """First dispatches, re-dispatches, revisits and reworks sent to them."""
    escalated_to: int
    """Escalations that reached them after someone below refused."""
    refused: int
    arrivals: int
    on_time: int


class DayVolume(BaseModel):
    """One day of the month."""

    model_config = ConfigDict(frozen=True)

    day: date
    repairs_received: int
    complaints_received: int
    repairs_completed: int
    sla_met: int
    sla_missed: int
    sla_compliance: float | None


class MonthlyReport(BaseModel):
    """The month's KPIs, SLA compliance per goal, people and days."""

    model_config = ConfigDict(frozen=True)

    estate: str | None
    year: int
    month: int
    start: datetime
    end: datetime
    as_of: datetime
    """Open goal runs and uncalled callbacks are judged at this time."""
    kpis: list[Kpi]
    sla: list[GoalCompliance]
    people: list[PersonActivity]
    days: list[DayVolume]
    complaints_by_severity: dict[str, int]

    def kpi(self, name: str) -> Kpi:
        """The KPI of this name (``callback_rate``, ``satisfaction``...).

        Raises:
            KeyError: there is no KPI of that name.
        """
        for kpi in self.kpis:
            if kpi.name == name:
                return kpi
        raise KeyError(name)


def monthly_report(
    engine: Engine,
    year: int,
    month: int,
    zone: ZoneInfo,
    *,
    estate: str | None = None,
    households: int | None = None,
    as_of: datetime | None = None,
) -> MonthlyReport:
    """The KPIs of one calendar month at the estate.

    Args:
        engine: the read side's database, with its projections caught up.
        year: the year.
        month: the month, 1 to 12.
        zone: the estate's time zone.
        estate: only this estate's tickets.
        households: the estate's households, the complaint rate's denominator; without it
            the rate is over all tickets received.
        as_of: when to judge what is still open (the month's end by default).

    Raises:
        ConfigurationError: ``month`` is not 1 to 12.
    """
    whole = month_period(year, month, zone)
    as_of = whole.end if as_of is None else as_of.astimezone(zone)
    period = Period(whole.start, min(whole.end, as_of))  # a month in progress: so far
    days = _days_of(whole, zone)
    with engine.connect() as connection:
        callbacks = _callback_counts(connection, period, as_of, estate)
        steps = _step_counts(connection, period, estate)
        severities = _complaints_by_severity(connection, period, estate)
        ended = _ended_runs(connection, period, days, zone, estate)
        sla = _sla_by_goal(connection, ended, period, as_of, estate)
        people = _people(connection, period, estate)
        volumes = _volumes(connection, days, ended, period, zone=zone, estate=estate)
    valid_complaints = sum(n for severity, n in severities.items() if severity != "invalid")
    tickets = steps["Logged"] + steps["ComplaintReceived"]
    met = sum(goal.met for goal in sla)
    judged = met + sum(goal.missed for goal in sla)
    kpis = [
        _kpi("callback_rate", "Callback rate (回访率)", callbacks["called"],
             callbacks["opened"], "100 %", lambda v: v >= 1.0),
        _kpi("callbacks_within_window", "Callbacks within their window",
             callbacks["within_window"], callbacks["opened"], "100 %", lambda v: v >= 1.0),
        _kpi("on_time_arrival", "On-time arrival (按时到达)", steps["on_time"],
             steps["ArrivalReported"], None, None),
        _kpi("sla_compliance", "SLA compliance, all goals", met, judged, None, None),
        _kpi("satisfaction", "Satisfaction (满意度)", callbacks["satisfied"],
             callbacks["made"], "≥ 98 %", lambda v: v >= 0.98),  # noqa: PLR2004 - S1:L179
        _kpi("complaint_rate", "Complaint rate (客户投诉率)", valid_complaints,
             households if households is not None else tickets, "≤ 6 %",
             lambda v: v <= 0.06),  # noqa: PLR2004 - S1:L178
        _kpi("rework_rate", "Rework after callback (返修)",
             callbacks["made"] - callbacks["satisfied"], callbacks["made"], None, None),
    ]  # fmt: skip
    return MonthlyReport(
        estate=estate, year=year, month=month, start=whole.start, end=whole.end, as_of=as_of,
        kpis=kpis, sla=sla, people=people, days=volumes, complaints_by_severity=severities,
    )  # fmt: skip


def _kpi(  # noqa: PLR0917 - a KPI's six parts, in the order a reader says them
    name: str,
    title: str,
    numerator: int,
    denominator: int,
    target: str | None,
    meets: Callable[[float], bool] | None,
) -> Kpi:
    value = numerator / denominator if denominator else None
    met = meets(value) if meets is not None and value is not None else None
    return Kpi(name=name, title=title, numerator=numerator, denominator=denominator,
               value=value, target=target, met=met)  # fmt: skip


def _callback_counts(
    connection: Connection, period: Period, as_of: datetime, estate: str | None
) -> dict[str, int]:
    """Windows opened in the month and what became of them; callbacks made in the month."""
    c = CALLBACK_BOOK.c
    called = and_(c.called_at.is_not(None), c.called_at < as_of)
    opened = select(
        func.count(), _sum(called), _sum(and_(called, c.within_window.is_(True)))
    ).where(c.opened_at >= period.start, c.opened_at < period.end)
    made = select(func.count(), _sum(c.satisfied.is_(True))).where(
        c.called_at >= period.start, c.called_at < period.end
    )
    if estate is not None:
        opened, made = opened.where(c.estate == estate), made.where(c.estate == estate)
    first = connection.execute(opened).one()
    second = connection.execute(made).one()
    return {
        "opened": first[0], "called": int(first[1] or 0), "within_window": int(first[2] or 0),
        "made": second[0], "satisfied": int(second[1] or 0),
    }  # fmt: skip


def _step_counts(connection: Connection, period: Period, estate: str | None) -> dict[str, int]:
    s = STEPS.c
    counts = {step: step_count(connection, step, period, estate)
              for step in ("Logged", "ComplaintReceived", "ArrivalReported")}  # fmt: skip
    on_time = select(func.count()).where(
        s.step == "ArrivalReported", s.at >= period.start, s.at < period.end, s.on_time.is_(True)
    )
    if estate is not None:
        on_time = on_time.where(s.estate == estate)
    counts["on_time"] = int(connection.execute(on_time).scalar_one())
    return counts


def _complaints_by_severity(
    connection: Connection, period: Period, estate: str | None
) -> dict[str, int]:
    c = COMPLAINTS.c
    severity = case((c.valid.is_(False), literal("invalid")),
                    else_=func.coalesce(c.severity, literal("unclassified")))  # fmt: skip
    query = select(severity, func.count()).where(
        c.logged_at >= period.start, c.logged_at < period.end
    )
    if estate is not None:
        query = query.where(c.estate == estate)
    return {str(row[0]): int(row[1]) for row in connection.execute(query.group_by(severity))}


def _ended_runs(
    connection: Connection, period: Period, days: list[date], zone: ZoneInfo, estate: str | None
) -> dict[tuple[int, str, str], int]:
    """Goal runs that ended in ``period``, counted by (index of the day, goal, outcome).

    One grouped query serves both the per-goal lines and the per-day compliance.
    """
    r = RUNS.c
    day = _bucket(r.stopped_at, _day_starts(days, zone))
    query = select(day, r.goal, r.outcome, func.count()).where(
        r.stopped_at >= period.start, r.stopped_at < period.end
    )
    if estate is not None:
        query = query.where(r.estate == estate)
    grouped = query.group_by(day, r.goal, r.outcome)
    return {(index, goal, outcome): n for index, goal, outcome, n in connection.execute(grouped)}


def _sla_by_goal(
    connection: Connection,
    ended: dict[tuple[int, str, str], int],
    period: Period,
    as_of: datetime,
    estate: str | None,
) -> list[GoalCompliance]:
    r = RUNS.c
    still_open = r.stopped_at.is_(None) | (r.stopped_at >= as_of)
    overdue = select(r.goal, func.count()).where(
        still_open, r.due_at >= period.start, r.due_at < period.end
    )
    counts: dict[str, dict[str, int]] = {}
    for (_, goal, outcome), n in ended.items():
        by_outcome = counts.setdefault(goal, {})
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
    if estate is not None:
        overdue = overdue.where(r.estate == estate)
    for goal, n in connection.execute(overdue.group_by(r.goal)):
        counts.setdefault(goal, {})["overdue"] = n
    lines = []
    for goal in sorted(counts):
        found = counts[goal]
        met, missed = found.get(Outcome.MET.value, 0), found.get(Outcome.MISSED.value, 0)
        lines.append(
            GoalCompliance(
                goal=goal, met=met, missed=missed,
                cancelled=found.get(Outcome.CANCELLED.value, 0), overdue=found.get("overdue", 0),
                compliance=met / (met + missed) if met + missed else None,
            )
        )  # fmt: skip
    return lines


def _people(connection: Connection, period: Period, estate: str | None) -> list[PersonActivity]:
    s = STEPS.c
    query = select(s.person, s.step, func.count(), _sum(s.on_time.is_(True))).where(
        s.step.in_(_PEOPLE_STEPS), s.at >= period.start, s.at < period.end, s.person.is_not(None)
    )
    if estate is not None:
        query = query.where(s.estate == estate)
    found: dict[str, dict[str, int]] = {}
    for person, step, n, on_time in connection.execute(query.group_by(s.person, s.step)):
        found.setdefault(person, {})[step] = n
        if step == "ArrivalReported":
            found[person]["on_time"] = int(on_time or 0)
    return [
        PersonActivity(
            person=person,
            dispatched=steps.get("Dispatched", 0),
            escalated_to=steps.get("Escalated", 0),
            refused=steps.get("Refused", 0),
            arrivals=steps.get("ArrivalReported", 0),
            on_time=steps.get("on_time", 0),
        )
        for person, steps in sorted(found.items())
    ]


def _days_of(month: Period, zone: ZoneInfo) -> list[date]:
    """Every local day of the month."""
    days = []
    day = month.start.date()
    while at(day, time(0), zone) < month.end:
        days.append(day)
        day += timedelta(days=1)
    return days


def _day_starts(days: list[date], zone: ZoneInfo) -> list[datetime]:
    """When each day after the first begins, at the estate (the day buckets' bounds)."""
    return [at(day, time(0), zone) for day in days[1:]]


def _volumes(
    connection: Connection,
    days: list[date],
    ended: dict[tuple[int, str, str], int],
    period: Period,
    *,
    zone: ZoneInfo,
    estate: str | None,
) -> list[DayVolume]:
    """Each local day's volume (one grouped query) and SLA outcomes (from ``ended``).

    Every day of the month is listed; what is counted is what happened in ``period``.
    A repair completed twice in a day counts once that day, as in the daily report.
    """
    s = STEPS.c
    step_day = _bucket(s.at, _day_starts(days, zone))
    steps = select(step_day, s.step, func.count(s.ticket_id.distinct())).where(
        s.step.in_(_VOLUME_STEPS), s.at >= period.start, s.at < period.end
    )
    if estate is not None:
        steps = steps.where(s.estate == estate)
    counts: dict[tuple[int, str], int] = {}
    for index, name, n in connection.execute(steps.group_by(step_day, s.step)):
        counts[(index, name)] = n
    for (index, _, outcome), n in ended.items():
        counts[(index, outcome)] = counts.get((index, outcome), 0) + n
    lines = []
    for index, day in enumerate(days):
        met = counts.get((index, Outcome.MET.value), 0)
        missed = counts.get((index, Outcome.MISSED.value), 0)
        lines.append(
            DayVolume(
                day=day, repairs_received=counts.get((index, "Logged"), 0),
                complaints_received=counts.get((index, "ComplaintReceived"), 0),
                repairs_completed=counts.get((index, "Completed"), 0),
                sla_met=met, sla_missed=missed,
                sla_compliance=met / (met + missed) if met + missed else None,
            )
        )  # fmt: skip
    return lines


def _bucket(column: Any, starts: list[datetime]) -> ColumnElement[Any]:  # noqa: ANN401 - a column
    """The index of the day a time falls in, given each later day's start (DST-safe)."""
    if not starts:
        return literal(0)
    return case(*((column < start, literal(index)) for index, start in enumerate(starts)),
                else_=literal(len(starts)))  # fmt: skip


def _sum(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))
