"""How a ticket's SLA goals look at a moment: due, state and time left.

The stored goal records say what was decided (started, paused, stopped, warned, breached);
whether a running goal is already past due, and how long it has left, depends on when one
looks, so the view takes ``now`` (the desk's clock, or the time a past view is taken at).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from propdesk.domain.goals import GoalStatus, as_moment

if TYPE_CHECKING:
    from collections.abc import Mapping

    from propdesk.domain.goals import GoalRecord


class GoalState(StrEnum):
    """A goal as a person reads it."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    """Past due: stopped late, recorded as breached, running past its due time, or
    cancelled after it."""
    CANCELLED = "cancelled"
    """Ended unjudged before its due time: what it timed will not happen."""


class GoalView(BaseModel):
    """One SLA goal of a ticket."""

    model_config = ConfigDict(frozen=True)

    goal: str
    seed: str
    run: int
    """1 for the first start; a restart (a new dispatch, say) counts up."""
    state: GoalState
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    stopped_at: datetime | None
    warned: bool
    breach_recorded: bool
    time_left: timedelta | None
    """Until due, for an open goal (negative once past due; frozen while paused)."""

    @classmethod
    def of(cls, name: str, record: GoalRecord, now: datetime) -> GoalView:
        """The view of one stored goal record at ``now``."""
        status = GoalStatus(str(record["status"]))
        due = as_moment(record["due_at"])
        open_at = as_moment(record["paused_at"]) if status is GoalStatus.PAUSED else now
        open_goal = status in (GoalStatus.RUNNING, GoalStatus.PAUSED)
        stopped = record["stopped_at"]
        # a paused clock stopped running at its pause, whatever ended the run later
        clock_end = record["paused_at"] or stopped
        cancelled_late = (
            status is GoalStatus.CANCELLED and isinstance(clock_end, datetime) and clock_end > due
        )
        breached = (
            status is GoalStatus.MISSED
            or bool(record["breached"])
            or cancelled_late
            or (open_goal and open_at >= due)
        )
        state = GoalState.BREACHED if breached else _STATES[status]
        return cls(
            goal=name, seed=str(record["seed"]), run=int(str(record["run"])), state=state,
            started_at=as_moment(record["started_at"]), due_at=due,
            warn_at=as_moment(record["warn_at"]),
            stopped_at=stopped if isinstance(stopped, datetime) else None,
            warned=bool(record["warned"]), breach_recorded=bool(record["breached"]),
            time_left=due - open_at if open_goal else None,
        )  # fmt: skip


_STATES = {
    GoalStatus.RUNNING: GoalState.RUNNING,
    GoalStatus.PAUSED: GoalState.PAUSED,
    GoalStatus.MET: GoalState.MET,
    GoalStatus.MISSED: GoalState.BREACHED,
    GoalStatus.CANCELLED: GoalState.CANCELLED,
}


def goal_views(goals: Mapping[str, GoalRecord], now: datetime) -> tuple[GoalView, ...]:
    """Every goal of a ticket at ``now``, soonest due first."""
    views = (GoalView.of(name, record, now) for name, record in goals.items())
    return tuple(sorted(views, key=lambda view: (view.due_at, view.goal)))
