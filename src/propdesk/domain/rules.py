"""The repair rules a company may set differently: the seeds' numbers, with their citations.

A :class:`RepairRules` is handed to every decision. The defaults are the seeds' values; a
company overrides them in its own profile. Whatever a rule decides is written on the event
(a computed due time, an on-time flag), so changing a rule never changes a stored history.
The full SLA policy, with working-day calendars, arrives with issue 3; these are the few
numbers the repair lifecycle itself needs to decide.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from propdesk.domain.validated import ValidatedConfig
from propdesk.domain.values import RepairCategory


class RepairRules(ValidatedConfig):
    """Numbers and switches that decide repair steps."""

    asap_arrival: timedelta = Field(default=timedelta(minutes=10), gt=timedelta(0))
    """T06: for an item the resident wants done as soon as possible, arrive within 10 minutes
    of 接单 (S0:L137 ①). Used as the promised arrival when the notifier names none."""

    appointment_lead: timedelta = Field(default=timedelta(minutes=5), ge=timedelta(0))
    """T07: for an appointment, arrive 5 minutes before it (S0:L137 ②)."""

    door_knock_wait: timedelta = Field(default=timedelta(minutes=5), ge=timedelta(0))
    """T16: wait 5 minutes between the two knocks before leaving (S0:L40-44)."""

    door_knock_attempts: int = Field(default=2, ge=1, le=10)
    """T16: knock (three at a time) this many times before leaving; the seed says twice."""

    redispatch_lead: timedelta = Field(default=timedelta(minutes=30), ge=timedelta(0))
    """T14: re-dispatch 30 minutes before a rescheduled visit (S0:L15 §4.1.2.7)."""

    callback_days: dict[RepairCategory, Annotated[int, Field(ge=0, le=366)]] = Field(
        default_factory=lambda: {
            RepairCategory.SAFETY_FACILITY: 2,
            RepairCategory.LEAK: 3,
            RepairCategory.OTHER: 2,
        }
    )
    """T28–T30: callback within 2 days (safety), 3 days after the leak test (leak), 2 days
    (other) (S1:L400, L425). Calendar days here; working-day clocks come with issue 3."""

    close_requires_fee_settlement: bool = True
    """R24/§8.16: a paid repair may close only once finance has settled its fee (当日结清)."""

    def callback_window(self, category: RepairCategory) -> timedelta:
        """How long after its start the callback for ``category`` is due."""
        return timedelta(days=self.callback_days.get(category, 2))


DEFAULT_RULES = RepairRules()
"""The seeds' values, unchanged."""
