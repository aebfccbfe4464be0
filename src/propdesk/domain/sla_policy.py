"""SLA policy as versioned data: the goals a ticket's steps must meet, and how each is timed.

A :class:`Goal` names the event that starts it, the events that stop (meet) it, optional pause
and resume events, and how its due time is reckoned: elapsed time, calendar days, working days
or working time (in a :class:`~propdesk.domain.calendar.WorkingCalendar`), the end of the
start day (当天), or a lead before a time the start event carries (an appointment). A
:class:`Policy` is a named, numbered set of goals; a company's profile is loaded from a file
and validated here (issue 3). Due times are computed by :meth:`Goal.due`, a pure function of
the start time, the start event's fields and the calendar: the desk will compute them while
deciding and store them on events, so replay never recomputes them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from propdesk.domain.complaint import Complaint
from propdesk.domain.errors import InvalidCommand
from propdesk.domain.goals import CLOCK_EVENTS
from propdesk.domain.repair import Repair
from propdesk.domain.validated import ValidatedConfig
from propdesk.domain.values import Role, ShortText, listed_twice

if TYPE_CHECKING:
    from collections.abc import Mapping

    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.ticket import Ticket

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,62}$")]
"""A goal's or policy's name: lower case, digits and underscores."""

SeedRule = Annotated[str, StringConstraints(pattern=r"^T\d{2}[a-z]?$")]
"""A time-limit number from seed-spec §4, such as ``T34``."""

FieldValue = str | int | bool | None


def _as_tuple(value: object) -> object:
    """Lets a profile name one start event as a plain string."""
    return (value,) if isinstance(value, str) else value


def _step_events(aggregate: type[Ticket]) -> frozenset[str]:
    """The events of a ticket kind that record its steps: not the SLA clock's own."""
    return frozenset(
        name
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, aggregate.Event)
        and name not in {"Event", "Created", *CLOCK_EVENTS}
    )


REPAIR_EVENTS = _step_events(Repair)
"""Events a repair goal may name: the repair's steps."""

COMPLAINT_EVENTS = _step_events(Complaint)
"""Events a complaint goal may name: the complaint's steps (seed-spec §3.4's catalogue, with
``ComplaintReopened`` and ``RepairLinked``)."""

_TICKETS: dict[str, type[Ticket]] = {"repair": Repair, "complaint": Complaint}
EVENTS_OF: dict[str, frozenset[str]] = {"repair": REPAIR_EVENTS, "complaint": COMPLAINT_EVENTS}


def goal_facts(ticket: str, event: str) -> frozenset[str] | None:
    """The facts a goal may test on this start event: its fields and any the ticket adds.

    ``None`` when the event is unknown (reported as such elsewhere).
    """
    if event not in EVENTS_OF[ticket]:
        return None
    aggregate = _TICKETS[ticket]
    fields = frozenset(getattr(aggregate, event).__dataclass_fields__)
    return fields | aggregate.GOAL_FACTS.get(event, frozenset())


class GoalClock(StrEnum):
    """How a goal's due time is reckoned from its start."""

    ELAPSED = "elapsed"
    """``duration`` of wall time (minutes and hours limits: T04, T06, T08, T33, T38, T42)."""
    CALENDAR_DAYS = "calendar_days"
    """``days`` calendar days, at the same local time (天/日: T28–T30, T36, T37, T39, T41)."""
    WORKING_DAYS = "working_days"
    """Close of business on the ``days``-th working day after the start (工作日: T34)."""
    WORKING_TIME = "working_time"
    """``duration`` of business hours on working days."""
    END_OF_DAY = "end_of_day"
    """Midnight at the end of the start's local day (当天/当日: T22, T35, T44)."""
    BEFORE_ANCHOR = "before_anchor"
    """``lead`` before a time the start event carries in its field ``anchor`` (T07, T14)."""


_NEEDS: dict[GoalClock, frozenset[str]] = {
    GoalClock.ELAPSED: frozenset({"duration"}),
    GoalClock.CALENDAR_DAYS: frozenset({"days"}),
    GoalClock.WORKING_DAYS: frozenset({"days"}),
    GoalClock.WORKING_TIME: frozenset({"duration"}),
    GoalClock.END_OF_DAY: frozenset(),
    GoalClock.BEFORE_ANCHOR: frozenset({"anchor", "lead"}),
}
_CLOCK_FIELDS = frozenset({"duration", "days", "anchor", "lead"})


class Goal(ValidatedConfig):
    """One time limit: what starts and stops it, how it is timed, and who hears of a miss."""

    name: Slug
    title: ShortText
    seed: SeedRule
    source: ShortText
    """The seed lines the limit comes from, as seed-spec cites them (``S0:L137 ①``)."""
    ticket: Literal["repair", "complaint"]
    starts_on: Annotated[tuple[ShortText, ...], BeforeValidator(_as_tuple), Field(min_length=1)]
    """The events that start the goal (one name or a list); a new start restarts a running
    goal as a new run."""
    starts_at: str | None = None
    """A time field of the start event the clock starts from, instead of the event's own time
    (a request received before it was recorded, T03). Without it the goal does not start."""
    when: dict[str, tuple[FieldValue, ...]] = Field(default_factory=dict)
    """Start only if each named field of the start event holds one of the listed values."""
    unless: tuple[str, ...] = ()
    """Start only if these fields of the start event hold nothing (an ASAP job has no
    appointment, T06)."""
    stops_on: tuple[ShortText, ...] = Field(min_length=1)
    """Events that meet the goal."""
    cancels_on: tuple[ShortText, ...] = ()
    """Events that end the goal's run without judging it: what it timed will not happen
    (nobody can be sent, so no arrival is due). A run cancelled after its due time still
    counts as missed."""
    pauses_on: tuple[ShortText, ...] = ()
    resumes_on: tuple[ShortText, ...] = ()
    clock: GoalClock
    duration: timedelta | None = Field(default=None, gt=timedelta(0))
    days: int | None = Field(default=None, ge=1, le=366)
    anchor: str | None = None
    lead: timedelta | None = Field(default=None, ge=timedelta(0))
    or_by: str | None = None
    """A field of the start event with the resident's own deadline; the earlier one wins."""
    warn_at: float = Field(default=0.75, gt=0, lt=1)
    """The share of the time allowed after which a warning is due."""
    notify: tuple[Role, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems = self._clock_problems() + self._event_problems() + self._field_problems()
        if problems:
            raise ValueError(f"goal {self.name}: " + "; ".join(problems))
        return self

    def _clock_problems(self) -> list[str]:
        needed = _NEEDS[self.clock]
        given = {name for name in _CLOCK_FIELDS if getattr(self, name) is not None}
        problems = [f"clock {self.clock} needs {name}" for name in sorted(needed - given)]
        problems += [f"clock {self.clock} takes no {name}" for name in sorted(given - needed)]
        return problems

    def _event_problems(self) -> list[str]:
        known = EVENTS_OF[self.ticket]
        named = [
            *self.starts_on,
            *self.stops_on,
            *self.cancels_on,
            *self.pauses_on,
            *self.resumes_on,
        ]
        problems = [
            f"{event} is not a {self.ticket} event" for event in named if event not in known
        ]
        if bool(self.pauses_on) != bool(self.resumes_on):
            problems.append("pauses_on and resumes_on go together")
        return problems

    def _field_problems(self) -> list[str]:
        optional = (self.anchor, self.or_by, self.starts_at)
        named = [*self.when, *self.unless, *(f for f in optional if f is not None)]
        problems = []
        for event in self.starts_on:
            facts = goal_facts(self.ticket, event)
            if facts is not None:
                problems += [f"{event} has no field {name}" for name in named if name not in facts]
        return problems

    def starts(self, event_name: str, fields: Mapping[str, object]) -> bool:
        """Whether an event with this name and these fields starts the goal.

        A goal timed before an anchor starts only when the event carries that time (an
        appointment, say); without it there is nothing to be early for.
        """
        if event_name not in self.starts_on:
            return False
        if self.clock is GoalClock.BEFORE_ANCHOR and fields.get(self.anchor or "") is None:
            return False
        if any(fields.get(name) is not None for name in self.unless):
            return False
        return all(fields.get(name) in allowed for name, allowed in self.when.items())

    def start_time(self, event_time: datetime, fields: Mapping[str, object]) -> datetime | None:
        """When the goal's clock starts, for a start event at ``event_time`` with ``fields``.

        That is the event's time, or the time in its ``starts_at`` field (``None`` if that
        field is empty: the goal does not start).
        """
        if self.starts_at is None:
            return event_time
        given = fields.get(self.starts_at)
        return given if isinstance(given, datetime) else None

    def due(
        self, start: datetime, fields: Mapping[str, object], calendar: WorkingCalendar
    ) -> datetime:
        """When the goal is due, for a start at ``start`` by an event with ``fields``.

        Raises:
            CalendarYearUnknown: a working-day goal needs a year the calendar has no data for.
            InvalidCommand: ``start`` is naive, or the anchor field holds no time.
        """
        if start.tzinfo is None:
            raise InvalidCommand(self.name, ["start: a naive datetime; give its time zone"])
        due = self._due_by_clock(start, fields, calendar)
        own = fields.get(self.or_by) if self.or_by is not None else None
        return min(due, own) if isinstance(own, datetime) else due

    def warning(self, start: datetime, due: datetime, calendar: WorkingCalendar) -> datetime:
        """When a warning is due: ``warn_at`` of the time allowed, on the goal's own clock.

        A working-day or working-time goal warns after that share of the working time
        between start and due, so a 3-working-day limit never warns in the night.
        """
        if self.clock in (GoalClock.WORKING_DAYS, GoalClock.WORKING_TIME):
            allowed = calendar.working_time_between(start, due)
            return calendar.add_working_time(start, allowed * self.warn_at)
        return start + (due - start) * self.warn_at

    def _due_by_clock(
        self, start: datetime, fields: Mapping[str, object], calendar: WorkingCalendar
    ) -> datetime:
        if self.clock is GoalClock.ELAPSED and self.duration is not None:
            return start + self.duration
        if self.clock is GoalClock.CALENDAR_DAYS and self.days is not None:
            return calendar.add_calendar_days(start, self.days)
        if self.clock is GoalClock.WORKING_DAYS and self.days is not None:
            return calendar.add_working_days(start, self.days)
        if self.clock is GoalClock.WORKING_TIME and self.duration is not None:
            return calendar.add_working_time(start, self.duration)
        if self.clock is GoalClock.END_OF_DAY:
            local = start.astimezone(calendar.tz)
            return datetime.combine(local.date(), time(0), tzinfo=calendar.tz) + timedelta(days=1)
        anchored = fields.get(self.anchor or "")
        if not isinstance(anchored, datetime) or self.lead is None:
            raise InvalidCommand(self.name, [f"{self.anchor}: the start event holds no time"])
        return anchored - self.lead


class Policy(ValidatedConfig):
    """A named, numbered set of goals: what a ticket is held to (a profile)."""

    name: Slug
    version: int = Field(ge=1)
    """Raised on every change; a ticket keeps the version it started under."""
    title: ShortText
    goals: tuple[Goal, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        twice = listed_twice(goal.name for goal in self.goals)
        if twice:
            msg = f"goals named twice: {', '.join(twice)}"
            raise ValueError(msg)
        return self

    @cached_property
    def named_events(self) -> frozenset[str]:
        """Every event a goal of the policy starts, stops, cancels, pauses or resumes on."""
        return frozenset(
            name
            for goal in self.goals
            for name in (
                *goal.starts_on, *goal.stops_on, *goal.cancels_on, *goal.pauses_on,
                *goal.resumes_on,
            )
        )  # fmt: skip

    @cached_property
    def _by_name(self) -> dict[str, Goal]:
        return {goal.name: goal for goal in self.goals}

    def digest(self) -> str:
        """A fingerprint of the policy's content: a changed goal under the same version shows."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()[:16]

    def has_goal(self, name: str) -> bool:
        """Whether the policy has a goal with this name."""
        return name in self._by_name

    def goal(self, name: str) -> Goal:
        """The goal with this name; ``KeyError`` if there is none."""
        return self._by_name[name]

    def started_by(
        self, ticket: str, event_name: str, fields: Mapping[str, object]
    ) -> tuple[Goal, ...]:
        """The goals an event of this ticket kind starts."""
        return tuple(
            goal for goal in self.goals if goal.ticket == ticket and goal.starts(event_name, fields)
        )

    def seeds(self) -> frozenset[str]:
        """The seed-spec §4 rules the policy's goals carry."""
        return frozenset(goal.seed for goal in self.goals)
