"""Steps the lifecycle forbids (IllegalStep) and steps a seed rule forbids (RuleViolation).

Every rejection must leave the ticket exactly as it was: no pending event, no attribute
changed. The desk tests at the end check the same through the store.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from helpers import (
    DEFAULTS,
    ORG,
    T0,
    TICKET_COMMANDS,
    S,
    fee_handed_over,
    given,
    given_state,
    knocked_twice,
    log,
    make,
    minutes,
    path_to,
    to_project_manager,
    when,
    when_rejected,
)

from propdesk.domain import commands as c
from propdesk.domain.errors import IllegalStep, RuleViolation, TicketAlreadyExists, UnknownTicket
from propdesk.domain.lifecycle import CLOSED_STATES, RepairState, allowed_commands
from propdesk.domain.organisation import Organisation
from propdesk.domain.values import Role
from propdesk.testing import new_repair

NEVER_LOGGED = UUID("5f0c1f3e-2f1e-4a57-8d7e-000000000001")
TICKET_STATES = [state for state in RepairState if state is not RepairState.NEW]
FORBIDDEN = [
    pytest.param(state, command, id=f"{state}-{command.step}")
    for state in TICKET_STATES
    for command in TICKET_COMMANDS
    if command.step not in allowed_commands(state) and command not in c.WORKER_COMMANDS
]
IGNORED = [
    pytest.param(state, command, id=f"{state}-{command.step}")
    for state in TICKET_STATES
    for command in c.WORKER_COMMANDS
    if command.step not in allowed_commands(state)
]
"""The SLA worker's steps outside their states: the ticket moved on, so they are no-ops."""


@pytest.mark.parametrize(("state", "command"), FORBIDDEN)
def test_a_step_not_allowed_from_the_state_is_an_illegal_step(state, command):
    ticket = given_state(state)

    error = when_rejected(ticket, make(command), IllegalStep)

    assert error.step == command.step
    assert error.state == state
    assert error.allowed == allowed_commands(state)
    message = str(error)
    assert command.step in message
    assert str(state) in message
    assert all(step in message for step in error.allowed)
    if state in CLOSED_STATES - {S.CLOSED}:
        assert error.allowed == ()
        assert "closed" in message
    if state is S.CLOSED:  # only a late fee settlement may follow a close (RepairRules)
        assert error.allowed == ("hand_over_fee", "settle_fee")


@pytest.mark.parametrize(("state", "command"), IGNORED)
def test_a_worker_step_not_allowed_from_the_state_is_a_no_op(state, command):
    ticket = given_state(state, sla=True)
    before = dict(vars(ticket))

    events = when(ticket, make(command))

    assert events == []
    assert vars(ticket) == before


def test_the_forbidden_cases_cover_every_state_and_command_outside_the_table():
    every_pair = {(state, command.step) for state in TICKET_STATES for command in TICKET_COMMANDS}
    allowed = {(state, step) for state in TICKET_STATES for step in allowed_commands(state)}
    tested = {(case.values[0], case.values[1].step) for case in [*FORBIDDEN, *IGNORED]}

    assert tested == every_pair - allowed
    assert {command.step for command in TICKET_COMMANDS} == {
        command.step for command in c.REPAIR_COMMANDS if command is not c.LogRepair
    }
    # A closed ticket refuses every command but the two fee steps of a CLOSED one.
    closed_cases = sum(1 for state, _ in tested if state in CLOSED_STATES)
    assert closed_cases == 4 * len(TICKET_COMMANDS) - 2


def test_an_unsatisfied_callback_outside_the_callback_state_is_illegal_too():
    ticket = given_state(S.CALLED_BACK)

    error = when_rejected(
        ticket, make(c.RecordCallback, satisfied=False, problem="又漏了"), IllegalStep
    )

    assert error.step == "record_callback"
    assert error.allowed == ("close", "hand_over_fee", "settle_fee")


def test_the_project_manager_at_the_top_cannot_be_escalated_past():
    ticket = given(*to_project_manager())

    when_rejected(ticket, make(c.Refuse, actor="pm-li"), RuleViolation)
    error = when_rejected(ticket, make(c.Escalate), IllegalStep)

    assert error.state == S.DISPATCHED
    assert "escalate" not in error.allowed


# ---------------------------------------------------------------- rule violations


def _eng_zhou_at_the_top() -> Organisation:
    """The sample estate after a reorganisation that made eng-zhou the top of his chain."""
    data = ORG.model_dump(mode="json")
    for person in data["people"]:
        if person["id"] == "eng-zhou":
            person["roles"] = [Role.ENGINEERING_SUPERVISOR.value, Role.PROJECT_MANAGER.value]
            person["reports_to"] = None
    return Organisation.from_mapping(data)


def _without_tech_zhang() -> Organisation:
    """The sample estate after tech-zhang left."""
    data = ORG.model_dump(mode="json")
    data["people"] = [person for person in data["people"] if person["id"] != "tech-zhang"]
    return Organisation.from_mapping(data)


_SECOND_ROUND = (make(c.Dispatch), make(c.ReportArrival), make(c.StartRepair))

RULE_CASES = [
    pytest.param(
        (log(in_price_list=False, price_item=None),),
        make(c.Dispatch),
        "start_cost_review first",
        id="dispatch-before-the-cost-review",
    ),
    pytest.param(
        (log(),), make(c.StartCostReview), "in the price list", id="cost-review-of-a-listed-item"
    ),
    pytest.param(
        path_to(S.AWAITING_QUOTE_DECISION),
        make(c.AcceptQuote, amount=Decimal("149.99")),
        "quoted amount 150",
        id="accepting-a-different-amount",
    ),
    pytest.param(
        (log(),),
        make(c.Dispatch, acceptor="tech-ghost"),
        "not in the estate's organisation",
        id="dispatch-to-a-stranger",
    ),
    pytest.param(
        (log(),),
        make(c.Dispatch, promised_arrival=T0 - minutes(5)),
        "before the dispatch",
        id="promised-arrival-before-the-dispatch",
    ),
    pytest.param(
        path_to(S.REFUSED),
        make(c.Escalate, promised_arrival=T0 - minutes(1)),
        "before the dispatch",
        id="escalation-promising-the-past",
    ),
    pytest.param(
        to_project_manager(), make(c.Refuse, actor="pm-li"), "top of the chain", id="pm-refusing"
    ),
    pytest.param(
        (log(), make(c.Dispatch, acceptor="pm-li")),
        make(c.Refuse, actor="pm-li"),
        "top of the chain",
        id="pm-dispatched-directly-refusing",
    ),
    pytest.param(
        path_to(S.DISPATCHED),
        make(c.ConfirmNoStaff),
        "only the project manager the chain has reached",
        id="no-staff-before-the-chain-reaches-the-pm",
    ),
    pytest.param(
        path_to(S.RESCHEDULE_NEGOTIATION),
        make(c.RecordOwnerComplaint, sent_staff="nobody"),
        "sent_staff",
        id="sending-a-stranger-to-talk",
    ),
    pytest.param(
        path_to(S.RESCHEDULE_NEGOTIATION),
        make(c.Reschedule, new_time=T0 - minutes(1)),
        "later than now",
        id="reschedule-into-the-past",
    ),
    pytest.param(
        path_to(S.RESCHEDULE_NEGOTIATION),
        make(c.Reschedule, new_time=T0),
        "later than now",
        id="reschedule-to-this-very-minute",
    ),
    pytest.param(
        path_to(S.RESCHEDULE_NEGOTIATION),
        make(c.Reschedule, appointment_with="tech-ghost"),
        "appointment_with",
        id="reschedule-with-a-stranger",
    ),
    pytest.param(
        path_to(S.DISPATCHED),
        make(c.ReportArrival, at=T0 - minutes(1)),
        "cannot happen before",
        id="time-running-backwards",
    ),
    pytest.param(
        path_to(S.NO_ONE_HOME),
        make(c.KnockUnanswered, at=T0 + minutes(5) - timedelta(seconds=1)),
        "wait 5 minutes",
        id="second-knock-within-5-minutes",
    ),
    pytest.param(
        knocked_twice(),
        make(c.KnockUnanswered, at=T0 + minutes(30)),
        "already knocked 2 times",
        id="a-third-knock",
    ),
    pytest.param(
        path_to(S.NO_ONE_HOME),
        make(c.LeaveForRevisit, at=T0 + minutes(10)),
        "knock 2 times",
        id="leaving-after-one-knock",
    ),
    pytest.param(
        knocked_twice(),
        make(c.LeaveForRevisit, informed_supervisor="tech-liu"),
        "not a engineering_supervisor",
        id="leaving-word-with-a-non-supervisor",
    ),
    pytest.param(
        knocked_twice(),
        make(c.LeaveForRevisit, informed_customer_service="fin-ma"),
        "fin-ma is not a customer_service or notifier",
        id="leaving-word-with-finance",
    ),
    pytest.param(
        path_to(S.ON_SITE),
        make(c.DeclineOnSite, supervisor="tech-liu"),
        "not a engineering_supervisor",
        id="decline-co-signed-by-a-non-supervisor",
    ),
    pytest.param(
        (log(paid=False), *path_to(S.IN_REPAIR)[1:]),
        make(c.Complete, fee=Decimal("0.01")),
        "warranty",
        id="warranty-repair-with-a-fee",
    ),
    pytest.param(
        (*path_to(S.REWORK), *_SECOND_ROUND),
        make(c.Complete, fee=Decimal(50)),
        "previous fee is not settled",
        id="new-fee-before-the-old-is-settled",
    ),
    pytest.param(
        path_to(S.COMPLETED),
        make(c.Submit, supervisor="cs-he"),
        "not a engineering_supervisor",
        id="submitting-to-customer-service",
    ),
    pytest.param(
        path_to(S.COMPLETED),
        make(c.HandOverFee, amount=Decimal("79.99")),
        "fee charged was 80",
        id="handing-over-a-different-amount",
    ),
    pytest.param(
        (*path_to(S.IN_REPAIR), make(c.Complete, fee=Decimal(0))),
        make(c.HandOverFee, amount=Decimal(0)),
        "no fee is due",
        id="handing-over-when-nothing-is-charged",
    ),
    pytest.param(
        fee_handed_over(S.COMPLETED),
        make(c.HandOverFee),
        "no fee is due",
        id="handing-over-twice",
    ),
    pytest.param(
        path_to(S.COMPLETED),
        make(c.SettleFee),
        "has not handed over",
        id="settling-before-the-hand-over",
    ),
    pytest.param(
        fee_handed_over(S.COMPLETED),
        make(c.SettleFee, amount=Decimal("8.00")),
        "must match the fee charged",
        id="settling-a-different-amount",
    ),
    pytest.param(
        (*fee_handed_over(S.COMPLETED), make(c.SettleFee)),
        make(c.SettleFee),
        "has not handed over",
        id="settling-twice",
    ),
    pytest.param(
        path_to(S.CALLED_BACK), make(c.Close), "not settled", id="closing-with-the-fee-due"
    ),
    pytest.param(
        fee_handed_over(S.CALLED_BACK),
        make(c.Close),
        "not settled",
        id="closing-with-the-fee-with-finance",
    ),
]


@pytest.mark.parametrize(("path", "command", "rule"), RULE_CASES)
def test_a_seed_rule_refuses_the_step_and_nothing_is_decided(path, command, rule):
    ticket = given(*path)
    state = ticket.state

    error = when_rejected(ticket, command, RuleViolation)

    assert error.step == command.step
    assert error.state == state
    assert rule in error.rule
    assert rule in str(error)


def test_escalating_past_a_refuser_who_became_the_top_of_the_chain_is_refused():
    ticket = given(log(), make(c.Dispatch, acceptor="eng-zhou"), make(c.Refuse, actor="eng-zhou"))

    error = when_rejected(
        ticket, make(c.Escalate), RuleViolation, organisation=_eng_zhou_at_the_top()
    )

    assert "eng-zhou has no superior" in error.rule


def test_escalating_past_a_refuser_who_left_the_estate_is_refused():
    ticket = given(*path_to(S.REFUSED))

    error = when_rejected(
        ticket, make(c.Escalate), RuleViolation, organisation=_without_tech_zhang()
    )

    assert "tech-zhang is no longer in the organisation" in error.rule


def test_a_knock_exactly_five_minutes_later_is_allowed_but_not_a_second_sooner():
    ticket = given(*path_to(S.NO_ONE_HOME))

    when_rejected(
        ticket, make(c.KnockUnanswered, at=T0 + minutes(4) + timedelta(seconds=59)), RuleViolation
    )
    events = when(ticket, make(c.KnockUnanswered, at=T0 + minutes(5)))

    assert [event.attempt for event in events] == [2]


def test_the_time_check_applies_to_every_step_not_only_the_first():
    ticket = given(*path_to(S.SUBMITTED)[:-1], make(c.Submit, at=T0 + timedelta(hours=2)))

    error = when_rejected(
        ticket, make(c.Verify, at=T0 + timedelta(hours=1, minutes=59)), RuleViolation
    )

    assert error.state == S.SUBMITTED
    assert "cannot happen before" in error.rule


# ---------------------------------------------------------------- through the desk


def test_a_ticket_that_was_never_logged_is_unknown_to_every_command(desk):
    existing = desk.execute(new_repair()).ticket_id
    before = desk.history(existing)

    for command_class in TICKET_COMMANDS:
        with pytest.raises(UnknownTicket) as raised:
            desk.execute(command_class(**{**DEFAULTS[command_class], "ticket_id": NEVER_LOGGED}))
        assert raised.value.ticket_id == NEVER_LOGGED

    assert desk.history(existing) == before
    assert list(desk.ticket_ids()) == [existing]


def test_logging_a_second_ticket_with_the_same_id_is_refused(desk):
    ticket_id = desk.execute(new_repair()).ticket_id
    before = desk.history(ticket_id)

    with pytest.raises(TicketAlreadyExists) as raised:
        desk.execute(new_repair(ticket_id=ticket_id, unit="9栋101"))

    assert raised.value.ticket_id == ticket_id
    assert desk.history(ticket_id) == before
    assert desk.view(ticket_id).unit == "3栋2单元1201"


def test_an_illegal_step_at_the_desk_stores_nothing(desk, clock):
    ticket_id = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=3)
    before = desk.history(ticket_id)

    with pytest.raises(IllegalStep) as raised:
        desk.execute(c.Close(ticket_id=ticket_id, actor="cs-he"))

    assert raised.value.state == S.LOGGED
    assert desk.history(ticket_id) == before
    assert desk.view(ticket_id).state is S.LOGGED


def test_a_rule_violation_at_the_desk_stores_nothing(desk, clock):
    ticket_id = desk.execute(new_repair(in_price_list=False)).ticket_id
    clock.advance(minutes=3)
    before = desk.history(ticket_id)

    with pytest.raises(RuleViolation):
        desk.execute(c.Dispatch(ticket_id=ticket_id, actor="desk-huang", acceptor="tech-zhang"))

    assert desk.history(ticket_id) == before
