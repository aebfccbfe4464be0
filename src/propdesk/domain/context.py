"""What a decision is given besides the command: who acts, when, and under which rules.

The application builds one :class:`Decision` per command attempt. The domain reads nothing
else: no clock, no database, no global configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from datetime import date, datetime

    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.organisation import Organisation, Person
    from propdesk.domain.rules import RepairRules
    from propdesk.domain.sla_policy import Policy


@dataclass(frozen=True)
class Decision:
    """The inputs of one decision, besides the command and the ticket."""

    actor: Person
    at: datetime
    """When the step happens; always aware."""
    command_id: str
    organisation: Organisation
    rules: RepairRules
    policy: Policy | None = None
    """The SLA policy the ticket runs under (for a new ticket: the one it is pinned to)."""
    calendar: WorkingCalendar | None = None
    """The working calendar goals are timed in; needed whenever ``policy`` is given."""

    @cached_property
    def zone(self) -> ZoneInfo:
        """The estate's time zone."""
        return ZoneInfo(self.organisation.zone)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of ``moment`` at the estate."""
        return moment.astimezone(self.zone).date()
