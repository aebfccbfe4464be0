"""Who may take which step (seed-spec §7.2): every command by every person of the sample estate.

The expected actors are written out here from the seeds, independently of
:data:`propdesk.domain.authority.AUTHORITY`, so a wrong row in the table fails a test.
"""

from __future__ import annotations

import pytest
from helpers import (
    ORG,
    T0,
    TICKET,
    S,
    decision,
    fee_handed_over,
    given,
    knocked_twice,
    log,
    make,
    path_to,
    settled_and_called_back,
    then_state,
    to_project_manager,
    when,
    when_rejected,
)

from propdesk.domain import commands as c
from propdesk.domain.authority import AUTHORITY
from propdesk.domain.errors import RuleViolation, UnauthorisedActor
from propdesk.domain.repair import Repair
from propdesk.testing import new_repair

EVERYONE = frozenset(person.id for person in ORG.people)
NOTIFIERS = frozenset({"desk-huang", "night-xu"})
CUSTOMER_SERVICE = frozenset({"desk-huang", "cs-he", "cs-lin"})
DESK = NOTIFIERS | CUSTOMER_SERVICE
SUPERVISORS = frozenset({"sup-wang", "sup-chen", "eng-zhou"})
TECHNICIANS = frozenset(
    {"tech-zhang", "tech-liu", "tech-zhao", "tech-sun", "tech-wu", "tech-zheng"}
)
ACCEPTOR = frozenset({"tech-zhang"})
"""The ticket's dispatched acceptor (受理人员) on every path below."""

SLA_WORKER = frozenset({"sla-monitor"})
"""The SLA worker's own account (role sla_monitor): only the worker's steps are its."""

EXPECTED_ACTORS: dict[str, frozenset[str]] = {
    "log_repair": DESK,  # R1: 通知人员 / 前台客服员 / 客服部门值班员
    "start_cost_review": SUPERVISORS,  # §7.2: fee review only by 工程部主管
    "quote": SUPERVISORS,
    "declare_not_repairable": SUPERVISORS,
    "accept_quote": DESK | SUPERVISORS,  # the resident's word, recorded by CS or supervisor
    "decline_quote": DESK | SUPERVISORS,
    "dispatch": NOTIFIERS | SUPERVISORS,  # 通知人员 dispatches; 荔园: 工程部主管 assigns
    "refuse": ACCEPTOR,  # 受理人员 states the reason himself
    "escalate": NOTIFIERS,  # 通知人员 逐级派工
    "escalate_overdue_dispatch": NOTIFIERS | SLA_WORKER,  # 逐级派工 when nobody arrived in time
    "confirm_no_staff": frozenset({"pm-li"}),  # §7.2: 经项目经理同意
    "record_owner_complaint": NOTIFIERS,
    "reschedule": NOTIFIERS,
    "redispatch_for_visit": NOTIFIERS | SUPERVISORS | SLA_WORKER,  # as dispatch (T14)
    "report_arrival": ACCEPTOR,
    "check_arrival": NOTIFIERS,
    "knock_unanswered": ACCEPTOR,
    "door_answered": ACCEPTOR,
    "leave_for_revisit": ACCEPTOR,
    "amend_item": ACCEPTOR,
    "start_repair": ACCEPTOR,
    "decline_on_site": ACCEPTOR,
    "complete": ACCEPTOR,
    "submit": ACCEPTOR,
    "verify": SUPERVISORS,  # §7.2: supervisor signature
    "record_leak_test": SUPERVISORS | TECHNICIANS,
    "raise_callback": CUSTOMER_SERVICE | SLA_WORKER,  # the 回访 is customer service's
    "record_callback": CUSTOMER_SERVICE,  # 客服人员
    "hand_over_fee": ACCEPTOR,  # the technician hands over the cash...
    "settle_fee": frozenset({"fin-ma"}),  # ...and only finance books it
    "close": DESK,
}

READY: dict[str, tuple[c.Command, ...]] = {
    "start_cost_review": (log(in_price_list=False, price_item=None),),
    "quote": path_to(S.COST_REVIEW),
    "declare_not_repairable": path_to(S.COST_REVIEW),
    "accept_quote": path_to(S.AWAITING_QUOTE_DECISION),
    "decline_quote": path_to(S.AWAITING_QUOTE_DECISION),
    "dispatch": path_to(S.LOGGED),
    "refuse": path_to(S.DISPATCHED),
    "escalate": path_to(S.REFUSED),
    "escalate_overdue_dispatch": path_to(S.DISPATCHED),
    "confirm_no_staff": to_project_manager(),
    "record_owner_complaint": path_to(S.RESCHEDULE_NEGOTIATION),
    "reschedule": path_to(S.RESCHEDULE_NEGOTIATION),
    "redispatch_for_visit": path_to(S.RESCHEDULED),
    "report_arrival": path_to(S.DISPATCHED),
    "check_arrival": path_to(S.ON_SITE),
    "knock_unanswered": path_to(S.ON_SITE),
    "door_answered": path_to(S.NO_ONE_HOME),
    "leave_for_revisit": knocked_twice(),
    "amend_item": path_to(S.ON_SITE),
    "start_repair": path_to(S.ON_SITE),
    "decline_on_site": path_to(S.ON_SITE),
    "complete": path_to(S.IN_REPAIR),
    "submit": path_to(S.COMPLETED),
    "verify": path_to(S.SUBMITTED),
    "record_leak_test": path_to(S.VERIFIED),
    "raise_callback": path_to(S.CALLBACK_PENDING),
    "record_callback": path_to(S.CALLBACK_PENDING),
    "hand_over_fee": path_to(S.COMPLETED),
    "settle_fee": fee_handed_over(S.COMPLETED),
    "close": settled_and_called_back(),
}
"""For each ticket command, a path to a state where its default data are valid."""

ON_THE_CLOCK = frozenset({"escalate_overdue_dispatch", "redispatch_for_visit"})
"""Steps that act on an SLA goal's deadline: their tickets run on the seeds' policy."""

COMMAND_CLASSES = {command.step: command for command in c.REPAIR_COMMANDS}


def test_the_authority_table_names_every_command_and_only_commands():
    assert set(AUTHORITY) == set(COMMAND_CLASSES) == set(EXPECTED_ACTORS)
    assert set(READY) == set(COMMAND_CLASSES) - {"log_repair"}


@pytest.mark.parametrize("step", sorted(set(AUTHORITY) - {"log_repair"}))
def test_only_the_people_the_seeds_name_may_take_each_step(step):
    allowed, refused = set(), set()

    for person in sorted(EVERYONE):
        ready = READY[step]
        if step == "verify" and person in EXPECTED_ACTORS[step]:
            # each supervisor verifies the orders handed to them (R19/R20)
            ready = [*path_to(S.COMPLETED), make(c.Submit, supervisor=person)]
        ticket = given(*ready, sla=step in ON_THE_CLOCK)
        command = make(COMMAND_CLASSES[step], actor=person)
        if person in EXPECTED_ACTORS[step]:
            events = when(ticket, command)
            assert events, f"{person} may {step} but nothing was recorded"
            assert {event.actor for event in events} == {person}
            allowed.add(person)
        else:
            error = when_rejected(ticket, command, UnauthorisedActor)
            assert (error.actor, error.step) == (person, step)
            assert person in str(error)
            assert step in str(error)
            refused.add(person)

    assert allowed == EXPECTED_ACTORS[step]
    assert refused == EVERYONE - EXPECTED_ACTORS[step]
    assert refused, f"everybody may {step}; the seeds restrict every step"


def test_only_desk_staff_may_log_a_repair():
    logged_by, refused = set(), set()
    for person in sorted(EVERYONE):
        command = log(actor=person)
        if person in EXPECTED_ACTORS["log_repair"]:
            ticket = Repair.log(TICKET, command, decision(person, T0))
            assert ticket.first_responder == person
            logged_by.add(person)
        else:
            with pytest.raises(UnauthorisedActor, match="needs the role") as raised:
                Repair.log(TICKET, command, decision(person, T0))
            assert raised.value.actor == person
            refused.add(person)

    assert logged_by == EXPECTED_ACTORS["log_repair"]
    assert refused == EVERYONE - logged_by


def test_an_acceptor_only_step_names_the_acceptor_in_the_refusal():
    ticket = given(*path_to(S.DISPATCHED))

    error = when_rejected(ticket, make(c.ReportArrival, actor="tech-liu"), UnauthorisedActor)

    assert "only the dispatched acceptor (tech-zhang)" in error.reason


def test_after_an_escalation_only_the_new_acceptor_may_go_or_refuse():
    ticket = given(*path_to(S.REFUSED), make(c.Escalate))

    when_rejected(ticket, make(c.ReportArrival, actor="tech-zhang"), UnauthorisedActor)
    when_rejected(ticket, make(c.Refuse, actor="tech-zhang"), UnauthorisedActor)
    when(ticket, make(c.ReportArrival, actor="sup-wang"))

    then_state(ticket, S.ON_SITE, acceptor="sup-wang")


def test_after_a_rework_dispatch_only_the_new_technician_works_on_site():
    ticket = given(*path_to(S.REWORK), make(c.Dispatch, acceptor="tech-sun"))

    when_rejected(ticket, make(c.ReportArrival, actor="tech-zhang"), UnauthorisedActor)
    when(ticket, make(c.ReportArrival, actor="tech-sun"))
    when_rejected(ticket, make(c.StartRepair, actor="tech-zhang"), UnauthorisedActor)

    then_state(ticket, S.ON_SITE, acceptor="tech-sun")


def test_confirming_no_staff_needs_the_project_manager_role_before_the_chain_is_checked():
    ticket = given(*to_project_manager())

    error = when_rejected(ticket, make(c.ConfirmNoStaff, actor="eng-zhou"), UnauthorisedActor)

    assert "project_manager" in error.reason


# ---------------------------------------------------------------- through the desk

DESK_CASES = [
    pytest.param(
        path_to(S.LOGGED), make(c.Dispatch, actor="tech-zhang"), id="technician-dispatching"
    ),
    pytest.param(path_to(S.COST_REVIEW), make(c.Quote, actor="desk-huang"), id="desk-quoting"),
    pytest.param(path_to(S.DISPATCHED), make(c.Refuse, actor="tech-liu"), id="other-tech-refusing"),
    pytest.param(
        path_to(S.DISPATCHED), make(c.ReportArrival, actor="desk-huang"), id="desk-arriving"
    ),
    pytest.param(
        to_project_manager(), make(c.ConfirmNoStaff, actor="eng-zhou"), id="engineer-consenting"
    ),
    pytest.param(path_to(S.SUBMITTED), make(c.Verify, actor="tech-zhang"), id="tech-verifying"),
    pytest.param(
        path_to(S.CALLBACK_PENDING), make(c.RecordCallback, actor="tech-zhang"), id="tech-calling"
    ),
    pytest.param(
        fee_handed_over(S.COMPLETED), make(c.SettleFee, actor="tech-zhang"), id="tech-booking-fee"
    ),
    pytest.param(settled_and_called_back(), make(c.Close, actor="fin-ma"), id="finance-closing"),
    pytest.param(path_to(S.DISPATCHED), make(c.Refuse, actor="ghost"), id="stranger-refusing"),
    pytest.param(
        path_to(S.CALLBACK_PENDING),
        make(c.RecordCallback, actor="cs-wrong-estate"),
        id="stranger-calling-back",
    ),
    pytest.param(path_to(S.CLOSED), make(c.Dispatch, actor="ghost"), id="stranger-at-closed"),
]


@pytest.mark.parametrize(("path", "command"), DESK_CASES)
def test_the_desk_refuses_a_wrong_actor_and_stores_nothing(desk, path, command):
    for step in path:
        desk.execute(step)
    history = desk.history(TICKET)
    view = desk.view(TICKET)

    with pytest.raises(UnauthorisedActor) as raised:
        desk.execute(command)

    assert raised.value.actor == command.actor
    assert desk.history(TICKET) == history
    assert desk.view(TICKET) == view
    if command.actor not in EVERYONE:
        assert "not a member of estate cuiyuan" in raised.value.reason


@pytest.mark.parametrize("actor", ["tech-zhang", "fin-ma", "pm-li", "visitor-007"])
def test_the_desk_stores_no_ticket_logged_by_someone_who_may_not_log(desk, actor):
    with pytest.raises(UnauthorisedActor):
        desk.execute(new_repair(actor=actor, ticket_id=TICKET))

    assert list(desk.ticket_ids()) == []


def test_only_the_supervisor_handed_the_order_verifies_it():
    ticket = given(*path_to(S.COMPLETED), make(c.Submit, supervisor="sup-chen"))

    error = when_rejected(ticket, make(c.Verify, actor="sup-wang"), RuleViolation)

    assert "handed to sup-chen" in error.rule
    then_events = when(ticket, make(c.Verify, actor="sup-chen"))
    assert [type(event).__name__ for event in then_events] == ["Verified", "CallbackOpened"]


def test_a_supervisor_who_did_the_repair_cannot_take_his_own_order():
    ticket = given(
        log(), make(c.Dispatch, acceptor="sup-wang"), make(c.ReportArrival, actor="sup-wang"),
        make(c.StartRepair, actor="sup-wang"), make(c.Complete, actor="sup-wang"),
    )  # fmt: skip

    error = when_rejected(ticket, make(c.Submit, actor="sup-wang", supervisor="sup-wang"),
                          RuleViolation)  # fmt: skip

    assert "did the repair" in error.rule
