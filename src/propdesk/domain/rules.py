"""The repair rules a company may set differently: the seeds' numbers, with their citations.

A :class:`RepairRules` is handed to every decision. The defaults are the seeds' values; a
company overrides them in its own profile. Whatever a rule decides is written on the event
(a computed due time, an on-time flag), so changing a rule never changes a stored history.
Some of these numbers are also SLA goals (:mod:`propdesk.domain.sla_policy`): the rules
decide what a step records (the promised arrival, the callback's due time), the policy times
the goal. :func:`disagreements` lists where a policy and the rules give the same limit two
values, and the desk refuses such a pair.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from propdesk.domain.validated import ValidatedConfig
from propdesk.domain.values import RepairCategory

if TYPE_CHECKING:
    from propdesk.domain.sla_policy import Policy


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
    (other) (S1:L400, L425), in calendar days; a policy may time the goal in working days."""

    close_requires_fee_settlement: bool = True
    """R24/§8.16: a paid repair may close only once finance has settled its fee (当日结清)."""

    def callback_window(self, category: RepairCategory) -> timedelta:
        """How long after its start the callback for ``category`` is due."""
        return timedelta(days=self.callback_days.get(category, 2))


DEFAULT_RULES = RepairRules()
"""The seeds' values, unchanged."""


_SAME_LIMIT: tuple[tuple[str, str, str, str | None], ...] = (
    ("arrive_asap", "elapsed", "duration", "asap_arrival"),
    ("arrive_before_appointment", "before_anchor", "lead", "appointment_lead"),
    ("redispatch_before_visit", "before_anchor", "lead", "redispatch_lead"),
    ("callback_safety", "calendar_days", "days", RepairCategory.SAFETY_FACILITY.value),
    ("callback_leak", "calendar_days", "days", RepairCategory.LEAK.value),
    ("callback_other", "calendar_days", "days", RepairCategory.OTHER.value),
)
"""Goals of the default profile that time a limit the rules also decide with: (goal, clock,
the goal's amount field, the rule, or the category of ``callback_days``)."""


def disagreements(policy: Policy, rules: RepairRules) -> list[str]:
    """Where ``policy`` and ``rules`` give one limit two values (empty if they agree).

    A goal on another clock (callbacks in working days, say) is the policy's own choice and
    not a disagreement; only the same limit counted the same way with another number is.
    """
    problems = []
    for name, clock, amount, rule in _SAME_LIMIT:
        if not policy.has_goal(name) or rule is None:
            continue
        goal = policy.goal(name)
        if goal.clock != clock:
            continue
        ours = getattr(goal, amount)
        if amount == "days":
            theirs: object = rules.callback_days.get(RepairCategory(rule))
            where = f"RepairRules.callback_days[{rule}]"
        else:
            theirs = getattr(rules, rule)
            where = f"RepairRules.{rule}"
        if ours != theirs:
            problems.append(f"goal {name} ({goal.seed}) allows {ours} but {where} is {theirs}")
    return problems
