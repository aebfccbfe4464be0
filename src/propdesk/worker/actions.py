"""What a worker does about one due deadline: the commands, in order, and sending them.

:func:`plan` is pure: from the agenda row, the time and the settings it gives the commands to
send (or a reason to send none). Every command is an ordinary one, stamped with the deadline
it acts on, and carries a command id made from the row's key and that deadline, so that a
second worker, or the same one after a crash, sending it again gets the first result back
and stores nothing. The ticket itself ignores a command the ticket has moved past.

At a goal's deadline the order is: a re-dispatch first, if the goal asks for one (so that a
visit the worker re-dispatches on time is met, not missed); then the breach; then the
escalation, if the goal asks for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from propdesk.domain.commands import (
    EscalateOverdueDispatch,
    RaiseCallback,
    RecordGoalBreach,
    RecordGoalWarning,
    RedispatchForVisit,
)
from propdesk.domain.complaint_commands import EscalateOverdue
from propdesk.projections.agenda import CALLBACK, DUE, WARN
from propdesk.worker.settings import FollowUp

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from propdesk.domain.commands import Command
    from propdesk.worker.claims import Deadline


@dataclass(frozen=True)
class Plan:
    """The commands for one deadline, or why there are none."""

    commands: tuple[Command, ...] = ()
    skipped: str | None = None
    """Set when nothing is to be done: the reason."""


def plan(
    deadline: Deadline,
    *,
    now: datetime,
    actor: str,
    follow_ups: Mapping[str, FollowUp],
    escalate_overdue_complaints: bool,
) -> Plan:
    """The commands a due agenda row calls for, in order."""
    ticket = UUID(deadline.ticket_id)
    stamp = deadline.due_at.strftime("%Y%m%dT%H%M%S.%f%z")

    def command_id(step: str) -> str:
        return f"sla:{deadline.ticket_id}:{deadline.goal}:{deadline.run}:{step}:{stamp}"

    if deadline.action == WARN:
        if now >= deadline.due_at:
            return Plan(skipped="the deadline had passed when the warning was due to be sent")
        return Plan((RecordGoalWarning(ticket_id=ticket, actor=actor, goal=deadline.goal,
                                       due_at=deadline.due_at,
                                       command_id=command_id("warn")),))  # fmt: skip
    if deadline.action == CALLBACK:
        return Plan((RaiseCallback(ticket_id=ticket, actor=actor, due_at=deadline.due_at,
                                   command_id=command_id("raise")),))  # fmt: skip
    if deadline.action != DUE:
        return Plan(skipped=f"unknown agenda action {deadline.action!r}")
    follow_up = follow_ups.get(deadline.goal)
    if follow_up is None and deadline.kind == "complaint" and escalate_overdue_complaints:
        follow_up = FollowUp.ESCALATE_OVERDUE
    commands: list[Command] = []
    goal, due = deadline.goal, deadline.due_at
    if follow_up is FollowUp.REDISPATCH and deadline.kind == "repair":
        commands.append(RedispatchForVisit(ticket_id=ticket, actor=actor, goal=goal, due_at=due,
                                           command_id=command_id("redispatch")))  # fmt: skip
    commands.append(RecordGoalBreach(ticket_id=ticket, actor=actor, goal=goal, due_at=due,
                                     command_id=command_id("breach")))  # fmt: skip
    if follow_up is FollowUp.ESCALATE_DISPATCH and deadline.kind == "repair":
        escalate = EscalateOverdueDispatch(ticket_id=ticket, actor=actor, goal=goal, due_at=due,
                                           command_id=command_id("escalate"))  # fmt: skip
        commands.append(escalate)
    elif follow_up is FollowUp.ESCALATE_OVERDUE and deadline.kind == "complaint":
        commands.append(EscalateOverdue(ticket_id=ticket, actor=actor, goal=goal,
                                        command_id=command_id("overdue")))  # fmt: skip
    return Plan(tuple(commands))
