"""The complaints (投诉) part of the demo's report, read back from the desk like the rest.

As in :mod:`propdesk.cli.report`, every number is counted from what the desk stored (the
complaints' views and audit histories), never from the simulator's own counters. How the
complaints kept their time limits is in the report's SLA goals, with the repairs'.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from propdesk.application.complaint_view import ComplaintView
from propdesk.domain.complaint_lifecycle import CLOSED_STATES, ComplaintState
from propdesk.domain.errors import InvalidCommand

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from propdesk.application.desk import Desk
    from propdesk.application.views import HistoryEntry

INVALID = "invalid"
"""The grade counted for a complaint classified invalid (无效投诉)."""
UNGRADED = "ungraded"
"""The grade counted for a complaint not classified yet."""
OPEN = "open"
"""The outcome counted for a complaint not closed yet."""


@dataclass(frozen=True)
class ComplaintReport:
    """How many complaints there were, how they were graded, and how they ended."""

    tickets: int = 0
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Complaints by grade (``major``, ``important``, ``minor``, ``invalid``, ``ungraded``),
    then by where they stand at the horizon (``CLOSED``, ``CLOSED_INVALID``, ``open``)."""
    urgent: int = 0
    """Graded urgent (紧急投诉)."""
    big_problems: int = 0
    """Graded a big problem (大问题)."""
    deferred: int = 0
    """Deferred to an expected date (C7) at least once."""
    reopened: int = 0
    """Reopened after the complainant said the problem was not solved (C10)."""
    escalated_overdue: int = 0
    """Escalated overdue to the office head (C11) at least once."""
    linked_to_repairs: int = 0
    """Linked to a repair, or raised by one (R8)."""
    satisfaction: dict[str, int] = field(default_factory=dict)
    """The satisfaction recorded when each complaint closed, by grade."""


@dataclass(frozen=True)
class ComplaintFacts:
    """One complaint as read from the desk."""

    view: ComplaintView
    history: tuple[HistoryEntry, ...]

    @classmethod
    def read(cls, desk: Desk, ticket: UUID) -> ComplaintFacts:
        """The complaint's view and audit history.

        Raises:
            InvalidCommand: the ticket is not a complaint.
        """
        view = desk.view(ticket)
        if not isinstance(view, ComplaintView):
            raise InvalidCommand("view", [f"ticket {ticket} is not a complaint"])
        return cls(view, desk.history(ticket))

    def has(self, name: str) -> bool:
        """Whether the complaint stored an event called ``name``."""
        return any(entry.event == name for entry in self.history)

    @property
    def grade(self) -> str:
        """Its severity, or :data:`INVALID` or :data:`UNGRADED`."""
        if self.view.valid is False:
            return INVALID
        return self.view.severity or UNGRADED

    @property
    def outcome(self) -> str:
        """Its closed state, or :data:`OPEN`."""
        state = self.view.state
        return state.value if state in CLOSED_STATES else OPEN


def summarise_complaints(facts: Sequence[ComplaintFacts]) -> ComplaintReport:
    """Counts what the complaints' views and histories say happened."""
    outcomes: dict[str, Counter[str]] = {}
    for fact in facts:
        outcomes.setdefault(fact.grade, Counter())[fact.outcome] += 1
    closed = [f.view.satisfaction for f in facts if f.view.state is ComplaintState.CLOSED]
    return ComplaintReport(
        tickets=len(facts),
        outcomes={grade: dict(sorted(row.items())) for grade, row in sorted(outcomes.items())},
        urgent=sum(1 for f in facts if f.view.urgent),
        big_problems=sum(1 for f in facts if f.view.big_problem),
        deferred=sum(1 for f in facts if f.has("DeferredWithExpectedDate")),
        reopened=sum(1 for f in facts if f.view.reopen_count),
        escalated_overdue=sum(1 for f in facts if f.view.overdue_escalations),
        linked_to_repairs=sum(1 for f in facts if f.view.linked_repairs or f.view.raised_by_repair),
        satisfaction=dict(sorted(Counter(s for s in closed if s is not None).items())),
    )
