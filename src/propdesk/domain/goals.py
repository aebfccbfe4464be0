"""Goal tracking: which SLA goals a ticket's new event starts, pauses, resumes or stops.

This is the arithmetic of the SLA clock, kept apart from the aggregates so that a complaint
and a repair run on the same rules, and so that what-if replay can run it under another
policy. :func:`goal_changes` is a pure function of the policy, the calendar, the goals as
they stand and one new event; the aggregate turns each :class:`GoalChange` into a stored
event, so every deadline is on the record and replay never computes one again.

A goal's state, as the aggregate keeps it in ``goals[name]`` (JSON-native values only):

``seed``, ``run`` (1 for the first start, 2 after a restart…), ``status`` (``running``,
``paused``, ``met``, ``missed`` or ``cancelled``), ``started_at``, ``due_at``, ``warn_at``,
``paused_at``, ``stopped_at``, ``warned`` and ``breached``.

Every run ends explicitly: stopped (met or missed) by one of its stop events, or cancelled,
by one of its cancel events or by a new start of the same goal (a restart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.sla_policy import Goal, Policy

GoalRecord = dict[str, object]
"""One goal's state on a ticket (see the module docstring)."""


class GoalStatus(StrEnum):
    """Where a goal's current run stands, as stored."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    """Stopped by one of its stop events in time."""
    MISSED = "missed"
    """Stopped by one of its stop events after its due time."""
    CANCELLED = "cancelled"
    """Ended unjudged: by a cancel event, or superseded by a restart."""


OPEN = frozenset({GoalStatus.RUNNING, GoalStatus.PAUSED})
"""The statuses of a goal whose clock can still run out."""


CLOCK_EVENTS = frozenset(
    {"PolicyPinned", "GoalStarted", "GoalPaused", "GoalResumed", "GoalStopped",
     "GoalCancelled", "GoalWarned", "GoalBreached"}
)  # fmt: skip
"""The SLA clock's own events, which every ticket kind records besides its steps."""

_NOT_FACTS = frozenset({"originator_id", "originator_version", "timestamp", "command_id"})


@dataclass(frozen=True)
class Occurrence:
    """A ticket event as the goals see it: its name, its time and what it says."""

    name: str
    at: datetime
    facts: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, event: object, at: datetime, extra_facts: Mapping[str, object]) -> Occurrence:
        """A stored or pending ticket event, with the facts its ticket adds for goals."""
        facts = {k: v for k, v in vars(event).items() if k not in _NOT_FACTS}
        facts.update(extra_facts)
        return cls(type(event).__name__, at, facts)


@dataclass(frozen=True)
class GoalChange:
    """One goal event to record, with its fields.

    ``event`` is ``GoalStarted``, ``GoalPaused``, ``GoalResumed``, ``GoalStopped`` or
    ``GoalCancelled``.
    """

    event: str
    fields: dict[str, object]


def goal_changes(
    policy: Policy,
    calendar: WorkingCalendar,
    ticket: str,
    goals: Mapping[str, GoalRecord],
    occurrence: Occurrence,
) -> list[GoalChange]:
    """The goal events one new ticket event causes, in the order to record them.

    Goals already open are stopped, cancelled, paused or resumed first; then the goals the
    event starts are started (a start of a goal still open cancels its run and starts a new
    one). A goal that the same event both starts and stops (the time to record a request,
    measured from a time the event carries) is stopped at once.

    Raises:
        CalendarYearUnknown: a working-day goal starts in a year the calendar has no data for.
        InvalidCommand: the start event's anchor field holds no time.
    """
    if occurrence.name not in policy.named_events:
        return []  # most steps start, stop or pause no goal
    changes: list[GoalChange] = []
    still_open = set()
    for name, record in goals.items():
        if GoalStatus(str(record["status"])) not in OPEN or not policy.has_goal(name):
            continue
        ended = _open_goal_changes(policy.goal(name), calendar, record, occurrence)
        changes += ended
        if not any(change.event in _ENDINGS for change in ended):
            still_open.add(name)
    for goal in policy.started_by(ticket, occurrence.name, occurrence.facts):
        start = goal.start_time(occurrence.at, occurrence.facts)
        if start is None:
            continue
        due = goal.due(start, occurrence.facts, calendar)
        previous = goals.get(goal.name)
        run = int(str(previous["run"])) + 1 if previous is not None else 1
        if goal.name in still_open:
            cancelled = {"goal": goal.name, "run": run - 1, "reason": "restarted"}
            changes.append(GoalChange("GoalCancelled", cancelled))
        started: dict[str, object] = {
            "goal": goal.name, "seed": goal.seed, "run": run, "started_at": start,
            "due_at": due, "warn_at": goal.warning(start, due, calendar),
        }  # fmt: skip
        changes.append(GoalChange("GoalStarted", started))
        if occurrence.name in goal.stops_on:
            changes.append(_stop(goal.name, run, due, occurrence.at))
    return changes


def _open_goal_changes(
    goal: Goal, calendar: WorkingCalendar, record: GoalRecord, occurrence: Occurrence
) -> list[GoalChange]:
    run = int(str(record["run"]))
    due = as_moment(record["due_at"])
    status = GoalStatus(str(record["status"]))
    if occurrence.name in goal.stops_on:
        stopped_clock_at = as_moment(record["paused_at"]) if status is GoalStatus.PAUSED else None
        return [_stop(goal.name, run, due, stopped_clock_at or occurrence.at)]
    if occurrence.name in goal.cancels_on:
        cancelled = {"goal": goal.name, "run": run, "reason": occurrence.name}
        return [GoalChange("GoalCancelled", cancelled)]
    if status is GoalStatus.RUNNING and occurrence.name in goal.pauses_on:
        return [GoalChange("GoalPaused", {"goal": goal.name, "run": run})]
    if status is GoalStatus.PAUSED and occurrence.name in goal.resumes_on:
        paused_at = as_moment(record["paused_at"])
        new_due = _shifted(goal, calendar, due, paused_at, occurrence.at)
        warn = as_moment(record["warn_at"])
        new_warn = _shifted(goal, calendar, warn, paused_at, occurrence.at)
        return [
            GoalChange(
                "GoalResumed",
                {"goal": goal.name, "run": run, "due_at": new_due, "warn_at": new_warn},
            )
        ]
    return []


def _stop(name: str, run: int, due: datetime, clock_stopped_at: datetime) -> GoalChange:
    """A stop, judged to the minute.

    The record keeps times to the minute (T01, 精确到分), so a stop within the due minute is
    in time, as the arrival check is.
    """
    stopped_minute = clock_stopped_at.replace(second=0, microsecond=0)
    late = max(timedelta(0), stopped_minute - due.replace(second=0, microsecond=0))
    return GoalChange(
        "GoalStopped",
        {
            "goal": name, "run": run, "met": stopped_minute <= due,
            "late_by_minutes": int(late.total_seconds() // 60),
        },
    )  # fmt: skip


def _shifted(
    goal: Goal,
    calendar: WorkingCalendar,
    moment: datetime,
    paused_at: datetime,
    resumed_at: datetime,
) -> datetime:
    """``moment`` moved later by the time the goal was paused, on the goal's own clock.

    Working-time and working-day goals lose only the working time left at the pause; the
    others lose the wall time left.
    """
    if moment <= paused_at:
        return resumed_at  # already due (or due to warn) when paused: due again at once
    if goal.clock in _WORKING_CLOCKS:
        left = calendar.working_time_between(paused_at, moment)
        return calendar.add_working_time(resumed_at, left)
    return resumed_at + (moment - paused_at)


_ENDINGS = frozenset({"GoalStopped", "GoalCancelled"})
"""The goal events that end a run."""

_WORKING_CLOCKS = frozenset({"working_days", "working_time"})
"""The :class:`~propdesk.domain.sla_policy.GoalClock` values that count working time only."""


def as_moment(value: object) -> datetime:
    """A time read from a goal record or a goal event's fields (a ``TypeError`` if not one)."""
    if not isinstance(value, datetime):
        msg = f"a goal holds {value!r} where a time belongs"
        raise TypeError(msg)
    return value
