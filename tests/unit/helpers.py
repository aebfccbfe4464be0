"""Given/when/then helpers for pure repair tests: no desk, no store, no clock.

A ticket is built by calling the domain directly, as the desk would: ``Repair.log`` for the
first command and the ticket's decide method (named by ``command.step``) for the rest, each
with a :class:`~propdesk.domain.context.Decision` for the sample estate. A command that carries
no ``at`` happens at the time of the ticket's last step (or at :data:`T0` for the log), so a
test names a time only where the time matters.

::

    ticket = given(*path_to(S.REFUSED))
    events = when(ticket, make(c.Escalate))
    then(events, Repair.Escalated)
    then_recorded(events, Repair.Escalated, acceptor="sup-wang", level=1)
"""

from __future__ import annotations

import functools
import itertools
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import pytest

from propdesk.application.calendars import china_calendar
from propdesk.application.configuration import default_policy
from propdesk.domain import commands as c
from propdesk.domain.context import Decision
from propdesk.domain.lifecycle import RepairState
from propdesk.domain.repair import Repair
from propdesk.domain.rules import DEFAULT_RULES, RepairRules
from propdesk.domain.values import RepairCategory
from propdesk.testing import MONDAY_MORNING, new_repair, sample_organisation

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    import propdesk as p
    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.organisation import Organisation
    from propdesk.domain.ticket import Ticket

S = RepairState
T0 = MONDAY_MORNING
"""Monday 2026-11-23 09:00 in Shanghai: when every given ticket is logged."""
TICKET = UUID("00000000-0000-4000-8000-00000000a11c")
"""The id of the ticket under test; the domain never compares it with the command's."""
ORG = sample_organisation()
FEE = Decimal("80.00")
QUOTED = Decimal("150.00")

CommandT = TypeVar("CommandT", bound=c.Command)
ErrorT = TypeVar("ErrorT", bound=Exception)

_command_ids = itertools.count(1)


def minutes(count: float) -> timedelta:
    """A span of ``count`` minutes."""
    return timedelta(minutes=count)


# Valid data for every ticket command, as the sample estate's people would give them: the
# default acceptor is tech-zhang, dispatched by desk-huang; his supervisor is sup-wang.
DEFAULTS: dict[type[c.Command], dict[str, Any]] = {
    c.StartCostReview: {"actor": "sup-wang"},
    c.Quote: {"actor": "sup-wang", "amount": QUOTED, "feasibility": "可以维修，需更换阀芯"},
    c.DeclareNotRepairable: {"actor": "sup-wang", "reason": "配件已停产，无法维修"},
    c.AcceptQuote: {"actor": "desk-huang", "amount": QUOTED},
    c.DeclineQuote: {"actor": "desk-huang", "reason": "业主认为费用太高"},
    c.Dispatch: {"actor": "desk-huang", "acceptor": "tech-zhang"},
    c.Refuse: {"actor": "tech-zhang", "reason": "正在5栋维修，走不开"},
    c.Escalate: {"actor": "desk-huang"},
    c.EscalateOverdueDispatch: {  # at the T06 deadline of a dispatch at T0
        "actor": "sla-monitor",
        "goal": "arrive_asap",
        "due_at": T0 + timedelta(minutes=10),
        "at": T0 + timedelta(minutes=10),
    },
    c.ConfirmNoStaff: {"actor": "pm-li"},
    c.RecordOwnerComplaint: {
        "actor": "desk-huang",
        "complaint": "业主抱怨等了太久",
        "sent_staff": "cs-he",
    },
    c.Reschedule: {
        "actor": "desk-huang",
        "new_time": T0 + timedelta(hours=5),
        "owner_agreed": True,
    },
    c.RedispatchForVisit: {  # at the T14 deadline of the default reschedule
        "actor": "sla-monitor",
        "goal": "redispatch_before_visit",
        "due_at": T0 + timedelta(hours=4, minutes=30),
        "at": T0 + timedelta(hours=4, minutes=30),
    },
    c.ReportArrival: {"actor": "tech-zhang"},
    c.CheckArrival: {"actor": "desk-huang", "reporter_says_on_time": True},
    c.KnockUnanswered: {"actor": "tech-zhang"},
    c.DoorAnswered: {"actor": "tech-zhang"},
    c.LeaveForRevisit: {
        "actor": "tech-zhang",
        "informed_supervisor": "sup-wang",
        "informed_customer_service": "cs-he",
    },
    c.AmendItem: {
        "actor": "tech-zhang",
        "actual_item": "更换角阀",
        "charge_standard": Decimal(45),
    },
    c.StartRepair: {"actor": "tech-zhang", "customer_agreed_to_charge": True},
    c.DeclineOnSite: {
        "actor": "tech-zhang",
        "reason": "业主不同意收费标准",
        "supervisor": "sup-wang",
        "technician_signature_ref": "sig-tech-zhang",
        "supervisor_signature_ref": "sig-sup-wang",
    },
    c.Complete: {
        "actor": "tech-zhang",
        "outcome": "更换水龙头，试水正常",
        "customer_signature_ref": "sig-owner-1",
        "fee": FEE,
    },
    c.Submit: {"actor": "tech-zhang", "supervisor": "sup-wang"},
    c.Verify: {
        "actor": "sup-wang",
        "supervisor_signature_ref": "sig-sup-wang",
        "result_notified_to": ("客服部",),
    },
    c.RecordLeakTest: {"actor": "sup-wang", "result": "闭水试验24小时无渗漏"},
    c.RaiseCallback: {"actor": "sla-monitor", "due_at": T0 + timedelta(days=2)},  # T30
    c.RecordCallback: {"actor": "cs-he", "satisfied": True, "rating": 5},
    c.HandOverFee: {"actor": "tech-zhang", "amount": FEE},
    c.SettleFee: {"actor": "fin-ma", "amount": FEE, "receipt_no": "R-0001"},
    c.Close: {"actor": "cs-he"},
}
"""Valid fields for every ticket command; :func:`make` fills in the rest.

The SLA worker's commands act at the deadlines the seeds' policy sets on the canonical paths
(:func:`path_to`), so the two that act on a goal need a ticket given with ``sla=True``."""

TICKET_COMMANDS: tuple[type[c.Command], ...] = tuple(DEFAULTS)


def log(**overrides: object) -> c.LogRepair:
    """A valid :class:`LogRepair` for :data:`TICKET` at :data:`T0` (in the price list, paid)."""
    fields: dict[str, object] = {"ticket_id": TICKET, "at": T0}
    fields.update(overrides)
    return new_repair(**fields)


def make(command_class: type[CommandT], **overrides: object) -> CommandT:
    """A valid ``command_class`` for :data:`TICKET`; ``overrides`` replace the defaults."""
    fields: dict[str, Any] = {"ticket_id": TICKET, **DEFAULTS[command_class], **overrides}
    return command_class(**fields)


@functools.cache
def _calendar() -> WorkingCalendar:
    return china_calendar()


def decision(
    actor: str,
    at: datetime,
    *,
    rules: RepairRules = DEFAULT_RULES,
    organisation: Organisation = ORG,
    sla: bool = False,
) -> Decision:
    """The decision the desk would build: the actor looked up in ``organisation``.

    With ``sla`` the ticket runs on the SLA clock of the seeds' default policy; without it
    (the default here) no goal events are recorded, so a test sees only the step's own.
    """
    person = organisation.person(actor)
    if person is None:
        msg = f"{actor} is not in {organisation.estate}; use the desk to test strangers"
        raise LookupError(msg)
    return Decision(
        actor=person,
        at=at,
        command_id=f"unit-{next(_command_ids)}",
        organisation=organisation,
        rules=rules,
        policy=default_policy() if sla else None,
        calendar=_calendar() if sla else None,
    )


def _apply(
    ticket: Repair,
    command: c.Command,
    *,
    rules: RepairRules = DEFAULT_RULES,
    organisation: Organisation = ORG,
    sla: bool = False,
) -> None:
    at = command.at or ticket.modified_on
    decide = getattr(ticket, command.step)
    decide(command, decision(command.actor, at, rules=rules, organisation=organisation, sla=sla))


def given(
    first: c.LogRepair,
    *steps: c.Command,
    rules: RepairRules = DEFAULT_RULES,
    organisation: Organisation = ORG,
    sla: bool = False,
) -> Repair:
    """A ticket logged by ``first`` with ``steps`` applied; its pending events are collected."""
    at = first.at or T0
    ticket = Repair.log(
        TICKET, first, decision(first.actor, at, rules=rules, organisation=organisation, sla=sla)
    )
    for step in steps:
        _apply(ticket, step, rules=rules, organisation=organisation, sla=sla)
    ticket.collect_events()
    return ticket


def given_state(state: RepairState, *, sla: bool = False) -> Repair:
    """A ticket in ``state``, reached by the canonical path :func:`path_to`."""
    return given(*path_to(state), sla=sla)


def when_logged(
    command: c.LogRepair, *, rules: RepairRules = DEFAULT_RULES
) -> tuple[Repair, list[Repair.Event]]:
    """Logs a new ticket and returns it with the events it recorded."""
    ticket = Repair.log(TICKET, command, decision(command.actor, command.at or T0, rules=rules))
    return ticket, list(ticket.collect_events())  # type: ignore[arg-type]


def when(
    ticket: Repair,
    command: c.Command,
    *,
    rules: RepairRules = DEFAULT_RULES,
    organisation: Organisation = ORG,
) -> list[Repair.Event]:
    """Applies ``command`` to ``ticket`` and returns the events it recorded."""
    _apply(ticket, command, rules=rules, organisation=organisation)
    return list(ticket.collect_events())  # type: ignore[arg-type]


def when_rejected(
    ticket: Repair,
    command: c.Command,
    error: type[ErrorT],
    *,
    rules: RepairRules = DEFAULT_RULES,
    organisation: Organisation = ORG,
) -> ErrorT:
    """Applies ``command``, expects ``error``, and checks that nothing was decided.

    Nothing decided means no pending event and every attribute of the ticket as it was.
    """
    before = dict(vars(ticket))
    with pytest.raises(error) as raised:
        _apply(ticket, command, rules=rules, organisation=organisation)
    assert ticket.pending_events == [], "a rejected command left pending events"
    assert vars(ticket) == before, "a rejected command changed the ticket"
    return raised.value


def then(events: Sequence[Ticket.Event], *expected: type[Ticket.Event]) -> None:
    """The command recorded exactly these events, in this order."""
    assert [type(event).__name__ for event in events] == [kind.__name__ for kind in expected]


def then_recorded(
    events: Sequence[Ticket.Event], event_type: type[Ticket.Event], /, **fields: object
) -> Ticket.Event:
    """The one ``event_type`` event among ``events`` carries these field values; returns it."""
    found = [event for event in events if type(event) is event_type]
    names = [type(event).__name__ for event in events]
    assert len(found) == 1, f"expected one {event_type.__name__}, got {names}"
    event = found[0]
    wrong = {
        name: (getattr(event, name, "<missing>"), value)
        for name, value in fields.items()
        if getattr(event, name, "<missing>") != value
    }
    assert not wrong, f"{event_type.__name__} fields (recorded, expected): {wrong}"
    return event


def then_state(ticket: Repair, state: RepairState, /, **attributes: object) -> None:
    """The ticket is in ``state`` and its attributes have these values."""
    assert ticket.state is state
    wrong = {
        name: (getattr(ticket, name), value)
        for name, value in attributes.items()
        if getattr(ticket, name) != value
    }
    assert not wrong, f"ticket attributes (actual, expected): {wrong}"


# ---------------------------------------------------------------- canonical paths


def to_project_manager(first: c.LogRepair | None = None) -> tuple[c.Command, ...]:
    """Logged, then refused and escalated up tech-zhang's chain until pm-li holds it."""
    return (
        first or log(),
        make(c.Dispatch),
        make(c.Refuse),
        make(c.Escalate),
        make(c.Refuse, actor="sup-wang", reason="在开部门例会"),
        make(c.Escalate),
        make(c.Refuse, actor="eng-zhou", reason="在外地培训"),
        make(c.Escalate),
    )


@functools.cache
def path_to(state: RepairState) -> tuple[c.Command, ...]:
    """The shortest ordinary way to reach ``state``: a log followed by valid steps.

    All steps happen at 09:00 except the second knock, five minutes after the first. Paid
    work is charged :data:`FEE`, which is due (not handed over) unless the path settles it.
    Commands are immutable, so the paths are built once and shared.
    """
    on_site = (log(), make(c.Dispatch), make(c.ReportArrival))
    completed = (*on_site, make(c.StartRepair), make(c.Complete))
    reviewed = (log(in_price_list=False, price_item=None), make(c.StartCostReview))
    quoted = (*reviewed, make(c.Quote))
    negotiating = (*to_project_manager(), make(c.ConfirmNoStaff))
    knocked = (*on_site, make(c.KnockUnanswered))
    knocked_twice = (*knocked, make(c.KnockUnanswered, at=T0 + minutes(5)))
    callback = (*completed, make(c.Submit), make(c.Verify))
    leak = (log(category=RepairCategory.LEAK, description="卫生间楼板渗水到楼下"),)
    settled = (*completed, make(c.Submit), make(c.HandOverFee), make(c.SettleFee))
    routes: dict[RepairState, tuple[c.Command, ...]] = {
        S.LOGGED: (log(),),
        S.COST_REVIEW: reviewed,
        S.AWAITING_QUOTE_DECISION: quoted,
        S.QUOTE_ACCEPTED: (*quoted, make(c.AcceptQuote)),
        S.CLOSED_NOT_REPAIRABLE: (*reviewed, make(c.DeclareNotRepairable)),
        S.CLOSED_QUOTE_DECLINED: (*quoted, make(c.DeclineQuote)),
        S.DISPATCHED: (log(), make(c.Dispatch)),
        S.REFUSED: (log(), make(c.Dispatch), make(c.Refuse)),
        S.RESCHEDULE_NEGOTIATION: negotiating,
        S.RESCHEDULED: (*negotiating, make(c.Reschedule)),
        S.ON_SITE: on_site,
        S.NO_ONE_HOME: knocked,
        S.AWAITING_REVISIT: (*knocked_twice, make(c.LeaveForRevisit)),
        S.IN_REPAIR: (*on_site, make(c.StartRepair)),
        S.CLOSED_DECLINED: (*on_site, make(c.DeclineOnSite)),
        S.COMPLETED: completed,
        S.SUBMITTED: (*completed, make(c.Submit)),
        S.VERIFIED: (*leak, *completed[1:], make(c.Submit), make(c.Verify)),
        S.CALLBACK_PENDING: callback,
        S.CALLED_BACK: (*callback, make(c.RecordCallback)),
        S.REWORK: (
            *callback,
            make(c.RecordCallback, satisfied=False, rating=2, problem="还在滴水"),
        ),
        S.CLOSED: (*settled, make(c.Verify), make(c.RecordCallback), make(c.Close)),
    }
    return routes[state]


def knocked_twice() -> tuple[c.Command, ...]:
    """On site, two unanswered knocks five minutes apart: ready to leave for a revisit."""
    return (*path_to(S.NO_ONE_HOME), make(c.KnockUnanswered, at=T0 + minutes(5)))


def fee_handed_over(state: RepairState) -> tuple[c.Command, ...]:
    """The path to ``state`` (a fee state) with the fee then handed to finance there."""
    return (*path_to(state), make(c.HandOverFee))


def settled_and_called_back() -> tuple[c.Command, ...]:
    """A satisfied callback on a repair whose fee finance has settled: ready to close."""
    return path_to(S.CLOSED)[:-1]


def goal_named(desk: p.Desk, ticket: UUID, name: str) -> p.GoalView:
    """The ticket's goal of that name, as the desk shows it (exactly one)."""
    [found] = [goal for goal in desk.view(ticket).goals if goal.goal == name]
    return found


def entries_named(desk: p.Desk, ticket: UUID, name: str) -> list[p.HistoryEntry]:
    """The ticket's history entries for events of that name."""
    return [entry for entry in desk.history(ticket) if entry.event == name]
