"""Goal runs: what became of each start of each goal, as stored or under another policy.

A *run* is one start of a goal, up to its stop (met or missed) or, if it is still open, up to
the moment the question is asked (overdue or open). :class:`RunLog` reads goal events in
order, whether they were stored on a ticket or computed again by :func:`runs_under` for a
policy the ticket never ran under. Nothing here stores anything: what-if replay rebuilds the
ticket in memory from its stored events, and the stored events stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from propdesk.domain.goals import CLOCK_EVENTS, Occurrence, as_moment, goal_changes

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.sla_policy import Policy
    from propdesk.domain.ticket import Ticket


class Outcome(StrEnum):
    """How one run of a goal ended, or stands."""

    MET = "met"
    MISSED = "missed"
    """Stopped after its due time."""
    OVERDUE = "overdue"
    """Still open, and past its due time when asked."""
    OPEN = "open"
    """Still open, not yet due when asked."""
    CANCELLED = "cancelled"
    """Ended unjudged before its due time (cancelled, or superseded by a restart)."""

    @property
    def breached(self) -> bool:
        """Whether the run failed its goal (missed, or open past due)."""
        return self in (Outcome.MISSED, Outcome.OVERDUE)


@dataclass(frozen=True)
class GoalRun:
    """One start of one goal and what became of it."""

    goal: str
    run: int
    started_at: datetime
    due_at: datetime
    outcome: Outcome
    stopped_at: datetime | None = None
    paused_at: datetime | None = None


class RunLog:
    """Collects goal runs from goal events read in order."""

    def __init__(self) -> None:
        """An empty log."""
        self._runs: list[GoalRun] = []
        self._open: dict[str, int] = {}

    def record(self, event: str, fields: Mapping[str, object], at: datetime) -> None:
        """Takes one goal event (its class name, its fields, its time); others are ignored."""
        goal = str(fields.get("goal", ""))
        if event == "GoalStarted":
            self._open[goal] = len(self._runs)
            self._runs.append(started_run(fields))
            return
        index = self._open.get(goal)
        if index is None:
            return
        run = advanced_run(self._runs[index], event, fields, at)
        self._runs[index] = run
        if run.outcome is not Outcome.OPEN:
            del self._open[goal]

    def runs(self, as_of: datetime) -> tuple[GoalRun, ...]:
        """Every run so far; open runs judged at ``as_of`` (a paused run, at its pause)."""
        judged = []
        for run in self._runs:
            if run.outcome is Outcome.OPEN:
                clock_at = run.paused_at or as_of
                outcome = Outcome.OVERDUE if clock_at >= run.due_at else Outcome.OPEN
                run = replace(run, outcome=outcome)  # noqa: PLW2901 - the judged copy
            judged.append(run)
        return tuple(judged)


def started_run(fields: Mapping[str, object]) -> GoalRun:
    """The run a ``GoalStarted`` event (given by its fields) begins."""
    return GoalRun(
        str(fields["goal"]), _int(fields["run"]), as_moment(fields["started_at"]),
        as_moment(fields["due_at"]), Outcome.OPEN,
    )  # fmt: skip


def advanced_run(run: GoalRun, event: str, fields: Mapping[str, object], at: datetime) -> GoalRun:
    """The open ``run`` after one more of its goal events (its class name, fields and time).

    A stop is met or missed as the desk judged it; a cancel after the due time (counted on
    the goal's clock, so a paused run at its pause) is a miss, and before it is unjudged.
    Warnings and breaches leave the run as it is: the stop judges it.
    """
    if event == "GoalPaused":
        return replace(run, paused_at=at)
    if event == "GoalResumed":
        return replace(run, paused_at=None, due_at=as_moment(fields["due_at"]))
    if event == "GoalStopped":
        return replace(run, outcome=Outcome.MET if fields["met"] else Outcome.MISSED, stopped_at=at)
    if event == "GoalCancelled":
        clock_at = run.paused_at or at
        outcome = Outcome.MISSED if clock_at > run.due_at else Outcome.CANCELLED
        return replace(run, outcome=outcome, stopped_at=at)
    return run


def stored_runs(events: Iterable[Ticket.Event], as_of: datetime) -> tuple[GoalRun, ...]:
    """The goal runs a ticket's stored events record, judged at ``as_of``."""
    log = RunLog()
    for event in events:
        log.record(type(event).__name__, vars(event), event.timestamp)
    return log.runs(as_of)


def runs_under(
    policy: Policy,
    calendar: WorkingCalendar,
    events: Sequence[Ticket.Event],
    as_of: datetime,
) -> tuple[GoalRun, ...]:
    """The goal runs a ticket would have had under ``policy``: its steps replayed in memory.

    The ticket's own steps are applied to a scratch copy; its stored clock events are left
    out, and the goal changes ``policy`` calls for are computed as the desk would have, at
    each step's time, and kept in the log only.

    Raises:
        CalendarYearUnknown: a working-day goal falls in a year the calendar lacks.
    """
    log = RunLog()
    if not events:
        return ()
    ticket: Any = events[0].mutate(None)
    for index, event in enumerate(events):
        name = type(event).__name__
        if name in CLOCK_EVENTS:
            continue
        if index:
            event.apply(ticket)
        occurrence = Occurrence.of(event, event.timestamp, ticket.goal_facts(name))
        for change in goal_changes(policy, calendar, ticket.kind, ticket.goals, occurrence):
            log.record(change.event, change.fields, event.timestamp)
            _apply_change(ticket, change.event, change.fields, event)
    return log.runs(as_of)


def _apply_change(
    ticket: Any,  # noqa: ANN401 - any ticket kind; its event classes do the assigning
    event_name: str,
    fields: Mapping[str, object],
    step: Ticket.Event,
) -> None:
    """Applies a computed goal event to the scratch ticket, as storing it would have."""
    event_class = getattr(type(ticket), event_name)
    event = event_class(
        originator_id=step.originator_id, originator_version=step.originator_version,
        timestamp=step.timestamp, actor="what-if", command_id="what-if", **fields,
    )  # fmt: skip
    event.apply(ticket)


def _int(value: object) -> int:
    if not isinstance(value, int):
        msg = f"a goal event holds {value!r} where a number belongs"
        raise TypeError(msg)
    return value
