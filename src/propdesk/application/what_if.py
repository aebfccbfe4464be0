"""What-if replay: how stored tickets would have fared under a candidate SLA policy.

A desk manager weighing a stricter profile replays the tickets of a period (or chosen ones)
under it and compares, goal by goal, what would have been met or breached with what actually
was. Tickets are rebuilt in memory from their stored events; nothing is stored or changed.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from propdesk.domain.errors import ConfigurationError, InvalidCommand
from propdesk.domain.goal_runs import GoalRun, Outcome, runs_under, stored_runs

if TYPE_CHECKING:
    from collections.abc import Iterable

    from propdesk.application.desk import Desk
    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.sla_policy import Policy


class RunCompared(BaseModel):
    """One goal run on one ticket: as it actually went, or as it would have gone."""

    model_config = ConfigDict(frozen=True)

    ticket_id: UUID
    goal: str
    run: int
    started_at: datetime
    due_at: datetime
    outcome: Outcome
    """``met``, ``missed``, ``overdue`` (open past due) or ``open``."""
    actual: bool
    """True for what the stored events record; False for the candidate policy's run."""

    @classmethod
    def of(cls, ticket_id: UUID, run: GoalRun, *, actual: bool) -> RunCompared:
        """The row for one run."""
        return cls(
            ticket_id=ticket_id, goal=run.goal, run=run.run, started_at=run.started_at,
            due_at=run.due_at, outcome=run.outcome, actual=actual,
        )  # fmt: skip


class GoalComparison(BaseModel):
    """One goal across every ticket replayed: actual against candidate counts."""

    model_config = ConfigDict(frozen=True)

    goal: str
    actual_met: int
    actual_breached: int
    actual_open: int
    actual_cancelled: int
    candidate_met: int
    candidate_breached: int
    candidate_open: int
    candidate_cancelled: int

    @property
    def change_in_breaches(self) -> int:
        """How many more runs the candidate would breach (negative: fewer)."""
        return self.candidate_breached - self.actual_breached


class WhatIfReport(BaseModel):
    """The outcome of one what-if replay."""

    model_config = ConfigDict(frozen=True)

    policy: str
    """The candidate, as ``name vN``."""
    as_of: datetime
    """Open runs are judged at this time."""
    tickets: int
    goals: tuple[GoalComparison, ...]
    runs: tuple[RunCompared, ...]


def what_if(
    desk: Desk,
    candidate: Policy,
    *,
    as_of: datetime,
    tickets: Iterable[UUID] | None = None,
    logged_from: datetime | None = None,
    logged_until: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> WhatIfReport:
    """Replays tickets under ``candidate`` and compares each goal with what happened.

    Args:
        desk: the desk whose store holds the tickets; nothing is written to it.
        candidate: the policy to try.
        as_of: when open runs are judged (now, usually).
        tickets: these tickets only; otherwise every ticket logged in the period.
        logged_from: the period's start (inclusive), by the time a ticket was logged.
        logged_until: the period's end (exclusive).
        calendar: the working calendar; the desk's by default.

    Raises:
        InvalidCommand: a naive time was given, or the period ends before it starts.
        ConfigurationError: no calendar was given and the desk has none.
        UnknownTicket: a ticket asked for does not exist.
    """
    _check_period(as_of, logged_from, logged_until)
    calendar = calendar or desk.calendar
    if calendar is None:
        raise ConfigurationError("what-if replay needs a working calendar")
    chosen = list(tickets) if tickets is not None else list(desk.ticket_ids())
    rows: list[RunCompared] = []
    replayed = 0
    for ticket_id in chosen:
        events = desk.stored_events(ticket_id)
        logged_at = events[0].timestamp
        if tickets is None and not _within(logged_at, logged_from, logged_until):
            continue
        replayed += 1
        rows += [RunCompared.of(ticket_id, r, actual=True) for r in stored_runs(events, as_of)]
        candidate_runs = runs_under(candidate, calendar, events, as_of)
        rows += [RunCompared.of(ticket_id, r, actual=False) for r in candidate_runs]
    return WhatIfReport(
        policy=f"{candidate.name} v{candidate.version}", as_of=as_of, tickets=replayed,
        goals=_compare(rows), runs=tuple(rows),
    )  # fmt: skip


def _compare(rows: list[RunCompared]) -> tuple[GoalComparison, ...]:
    counts: Counter[tuple[str, bool, str]] = Counter()
    for row in rows:
        verdict = "breached" if row.outcome.breached else row.outcome.value
        counts[row.goal, row.actual, verdict] += 1
    goals = sorted({row.goal for row in rows})
    return tuple(
        GoalComparison(
            goal=goal,
            actual_met=counts[goal, True, "met"],
            actual_breached=counts[goal, True, "breached"],
            actual_open=counts[goal, True, "open"],
            actual_cancelled=counts[goal, True, "cancelled"],
            candidate_met=counts[goal, False, "met"],
            candidate_breached=counts[goal, False, "breached"],
            candidate_open=counts[goal, False, "open"],
            candidate_cancelled=counts[goal, False, "cancelled"],
        )
        for goal in goals
    )


def _check_period(as_of: datetime, start: datetime | None, end: datetime | None) -> None:
    named = {"as_of": as_of, "logged_from": start, "logged_until": end}
    naive = [name for name, value in named.items() if value is not None and value.tzinfo is None]
    if naive:
        raise InvalidCommand("what_if", [f"{name}: a naive datetime" for name in naive])
    if start is not None and end is not None and end <= start:
        raise InvalidCommand("what_if", ["logged_until: must be after logged_from"])


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)
