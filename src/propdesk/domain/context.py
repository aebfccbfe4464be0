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

    from propdesk.domain.organisation import Organisation, Person
    from propdesk.domain.rules import RepairRules


@dataclass(frozen=True)
class Decision:
    """The inputs of one decision, besides the command and the ticket."""

    actor: Person
    at: datetime
    """When the step happens; always aware."""
    command_id: str
    organisation: Organisation
    rules: RepairRules

    @cached_property
    def zone(self) -> ZoneInfo:
        """The estate's time zone."""
        return ZoneInfo(self.organisation.zone)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of ``moment`` at the estate."""
        return moment.astimezone(self.zone).date()
