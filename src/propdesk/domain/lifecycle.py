"""The repair lifecycle (seed-spec §3.1, R1–R24) as a table, and the one machine that checks it.

The table is data: each :class:`Step` names a trigger, the states it leaves from, the state it
reaches, the command that asks for it, and the seed rule behind it. One ``transitions.Machine``
is built from the table at import and shared by every ticket. It is never attached to a ticket
and replay never runs it: the aggregate asks it only while deciding a new step, through
:func:`check_step`. The same table renders the Mermaid diagram in ``docs/reference/lifecycle.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Protocol

from transitions import Machine

from propdesk.domain.errors import IllegalStep

if TYPE_CHECKING:
    from collections.abc import Iterable


class RepairState(StrEnum):
    """Where a repair ticket stands. Names are the design names of seed-spec §3.1.1."""

    NEW = "NEW"
    """Before R1: nothing is recorded yet."""
    LOGGED = "LOGGED"
    """已登记."""
    COST_REVIEW = "COST_REVIEW"
    """收费评审中: an item outside the price list is reviewed by the engineering supervisor."""
    AWAITING_QUOTE_DECISION = "AWAITING_QUOTE_DECISION"
    """待住户确认费用."""
    QUOTE_ACCEPTED = "QUOTE_ACCEPTED"
    """The resident accepted the cost and agreed to the repair; ready to dispatch."""
    DISPATCHED = "DISPATCHED"
    """已派工, at an escalation level (0 for the first acceptor)."""
    REFUSED = "REFUSED"
    """The acceptor refused with a reason; the notifier must escalate one level up."""
    RESCHEDULE_NEGOTIATION = "RESCHEDULE_NEGOTIATION"
    """协商另约时间: the project manager confirmed that nobody can be sent."""
    RESCHEDULED = "RESCHEDULED"
    """已另约: a new time is agreed; re-dispatch is due 30 minutes before it."""
    ON_SITE = "ON_SITE"
    """已到场."""
    NO_ONE_HOME = "NO_ONE_HOME"
    """无人应答: knocking at the door, nobody answers yet."""
    AWAITING_REVISIT = "AWAITING_REVISIT"
    """待再次上门."""
    IN_REPAIR = "IN_REPAIR"
    """维修中."""
    COMPLETED = "COMPLETED"
    """完工: the customer signed."""
    SUBMITTED = "SUBMITTED"
    """交单: the signed order is with the supervisor."""
    VERIFIED = "VERIFIED"
    """主管审核签字: the supervisor signed; the result notice is sent."""
    CALLBACK_PENDING = "CALLBACK_PENDING"
    """待回访."""
    CALLED_BACK = "CALLED_BACK"
    """回访满意: the customer is satisfied; the ticket may close."""
    REWORK = "REWORK"
    """整改: the callback found the customer unsatisfied."""
    CLOSED = "CLOSED"
    """关闭."""
    CLOSED_DECLINED = "CLOSED_DECLINED"
    """住户不同意维修, 备案: the resident declined the repair on site."""
    CLOSED_NOT_REPAIRABLE = "CLOSED_NOT_REPAIRABLE"
    """The cost review found the item cannot be repaired."""
    CLOSED_QUOTE_DECLINED = "CLOSED_QUOTE_DECLINED"
    """The resident declined the quote before dispatch."""


S = RepairState

CLOSED_STATES = frozenset(
    {S.CLOSED, S.CLOSED_DECLINED, S.CLOSED_NOT_REPAIRABLE, S.CLOSED_QUOTE_DECLINED}
)

# A fee may be settled after closing when a company closes before settlement (RepairRules).
_FEE_STATES = (
    S.COMPLETED, S.SUBMITTED, S.VERIFIED, S.CALLBACK_PENDING, S.CALLED_BACK, S.REWORK, S.CLOSED,
)  # fmt: skip
_ARRIVAL_CHECK_STATES = (S.ON_SITE, S.NO_ONE_HOME, S.IN_REPAIR, S.COMPLETED)


@dataclass(frozen=True)
class Step:
    """One row of the lifecycle table."""

    trigger: str
    sources: tuple[RepairState, ...]
    dest: RepairState | None
    """``None`` for a step that records something and stays in the state it left from."""
    command: str
    """The command that asks for this step; what an :class:`IllegalStep` lists as allowed."""
    seed: str
    """The seed-spec rule (R-number) behind the step."""


LIFECYCLE: tuple[Step, ...] = (
    Step("log", (S.NEW,), S.LOGGED, "log_repair", "R1"),
    Step("start_cost_review", (S.LOGGED,), S.COST_REVIEW, "start_cost_review", "R3"),
    Step("quote", (S.COST_REVIEW,), S.AWAITING_QUOTE_DECISION, "quote", "R4"),
    Step(
        "declare_not_repairable",
        (S.COST_REVIEW,),
        S.CLOSED_NOT_REPAIRABLE,
        "declare_not_repairable",
        "R5b",
    ),
    Step("accept_quote", (S.AWAITING_QUOTE_DECISION,), S.QUOTE_ACCEPTED, "accept_quote", "R5"),
    Step(
        "decline_quote",
        (S.AWAITING_QUOTE_DECISION,),
        S.CLOSED_QUOTE_DECLINED,
        "decline_quote",
        "R5b",
    ),
    Step(
        "dispatch",
        (S.LOGGED, S.QUOTE_ACCEPTED, S.RESCHEDULED, S.AWAITING_REVISIT, S.REWORK),
        S.DISPATCHED,
        "dispatch",
        "R2 R5 R11 R14 R23",
    ),
    Step("refuse", (S.DISPATCHED,), S.REFUSED, "refuse", "R6"),
    Step("escalate", (S.REFUSED,), S.DISPATCHED, "escalate", "R6"),
    Step(
        "escalate_overdue_dispatch",
        (S.DISPATCHED,),
        S.DISPATCHED,
        "escalate_overdue_dispatch",
        "R6 T06 T07",
    ),
    Step("confirm_no_staff", (S.DISPATCHED,), S.RESCHEDULE_NEGOTIATION, "confirm_no_staff", "R7"),
    Step(
        "record_owner_complaint", (S.RESCHEDULE_NEGOTIATION,), None, "record_owner_complaint", "R8"
    ),
    Step("reschedule", (S.RESCHEDULE_NEGOTIATION,), S.RESCHEDULED, "reschedule", "R9 R10"),
    Step("redispatch_for_visit", (S.RESCHEDULED,), S.DISPATCHED, "redispatch_for_visit", "R11 T14"),
    Step("report_arrival", (S.DISPATCHED,), S.ON_SITE, "report_arrival", "R12"),
    Step("check_arrival", _ARRIVAL_CHECK_STATES, None, "check_arrival", "R12a"),
    Step("knock_unanswered", (S.ON_SITE, S.NO_ONE_HOME), S.NO_ONE_HOME, "knock_unanswered", "R13"),
    Step("door_answered", (S.NO_ONE_HOME,), S.ON_SITE, "door_answered", "R13"),
    Step("leave_for_revisit", (S.NO_ONE_HOME,), S.AWAITING_REVISIT, "leave_for_revisit", "R13"),
    Step("amend_item", (S.ON_SITE,), None, "amend_item", "R15"),
    Step("start_repair", (S.ON_SITE,), S.IN_REPAIR, "start_repair", "R16"),
    Step("decline_on_site", (S.ON_SITE,), S.CLOSED_DECLINED, "decline_on_site", "R17"),
    Step("complete", (S.IN_REPAIR,), S.COMPLETED, "complete", "R18"),
    Step("submit", (S.COMPLETED,), S.SUBMITTED, "submit", "R19"),
    Step("verify", (S.SUBMITTED,), S.VERIFIED, "verify", "R20"),
    Step("open_callback", (S.VERIFIED,), S.CALLBACK_PENDING, "record_leak_test", "R21"),
    Step("raise_callback", (S.CALLBACK_PENDING,), None, "raise_callback", "R22 T28 T29 T30"),
    Step("callback_satisfied", (S.CALLBACK_PENDING,), S.CALLED_BACK, "record_callback", "R22"),
    Step("callback_unsatisfied", (S.CALLBACK_PENDING,), S.REWORK, "record_callback", "R23"),
    Step("hand_over_fee", _FEE_STATES, None, "hand_over_fee", "R24"),
    Step("settle_fee", _FEE_STATES, None, "settle_fee", "R24"),
    Step("close", (S.CALLED_BACK,), S.CLOSED, "close", "R22"),
)
"""Every step of the repair lifecycle. The order is the order of seed-spec §3.1.2.

Three steps are the SLA worker's (``escalate_overdue_dispatch``, ``redispatch_for_visit``,
``raise_callback``): a ticket asked for one outside the states listed here ignores it
(see :func:`allows`) instead of refusing it, because the worker may act on a deadline the
ticket has already moved past.
"""


class TableStep(Protocol):
    """A row of a lifecycle table, of any ticket kind."""

    @property
    def trigger(self) -> str:
        """The step's name in the machine."""
        ...

    @property
    def sources(self) -> tuple[StrEnum, ...]:
        """The states it may leave from."""
        ...

    @property
    def dest(self) -> StrEnum | None:
        """The state it reaches; ``None`` to stay."""
        ...


def build_machine(steps: Iterable[TableStep], states: Iterable[StrEnum], initial: str) -> Machine:
    """One model-less ``transitions`` machine for a lifecycle table.

    A step whose ``dest`` is ``None`` stays where it leaves from.
    """
    transitions = [
        {"trigger": step.trigger, "source": str(source), "dest": str(step.dest or source)}
        for step in steps
        for source in step.sources
    ]
    return Machine(
        model=None,
        states=[str(state) for state in states],
        transitions=transitions,
        initial=initial,
        auto_transitions=False,
        send_event=False,
    )


def destination(machine: Machine, trigger: str, state: str) -> str | None:
    """Where ``trigger`` leads from ``state`` in ``machine``; ``None`` if it is not allowed."""
    event = machine.events.get(trigger)
    found = event.transitions.get(state) if event is not None else None
    return str(found[0].dest) if found else None


MACHINE = build_machine(LIFECYCLE, RepairState, str(S.NEW))
"""The shared machine. It has no model: tickets ask it, they are never bound to it."""

_COMMAND_OF = {step.trigger: step.command for step in LIFECYCLE}


@cache
def allowed_commands(state: RepairState) -> tuple[str, ...]:
    """The commands the lifecycle accepts from ``state``, sorted."""
    return tuple(sorted({_COMMAND_OF[trigger] for trigger in MACHINE.get_triggers(str(state))}))


def allows(trigger: str, state: RepairState) -> bool:
    """Whether the lifecycle table has ``trigger`` leaving ``state`` (never raises)."""
    return destination(MACHINE, trigger, str(state)) is not None


def check_step(trigger: str, state: RepairState) -> RepairState:
    """Returns the state ``trigger`` leads to from ``state``, or raises :class:`IllegalStep`.

    The question is put to the shared machine: whether it has a transition for ``trigger``
    leaving ``state``.
    """
    found = destination(MACHINE, trigger, str(state))
    if found is None:
        raise IllegalStep(_COMMAND_OF.get(trigger, trigger), str(state), allowed_commands(state))
    return RepairState(found)


def mermaid() -> str:
    """The lifecycle as a Mermaid ``stateDiagram-v2``, generated from the table."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.LOGGED}: log"]
    lines.extend(
        f"    {source} --> {step.dest or source}: {step.trigger}"
        for step in LIFECYCLE
        if step.trigger != "log"
        for source in step.sources
    )
    lines.extend(f"    {state} --> [*]" for state in sorted(CLOSED_STATES))
    return "\n".join(lines) + "\n"
