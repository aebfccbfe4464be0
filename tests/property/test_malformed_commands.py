"""Random and malformed commands: only propdesk's typed errors, and nothing stored by a failure.

Commands are built from random keyword data (fields valid, of the wrong type or shape, missing,
or unknown), aimed at known tickets, at ids nobody logged, and at closed tickets, by people
of the estate and by strangers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import strategies
from propdesk.domain import commands as c
from propdesk.domain.errors import (
    IllegalStep,
    InvalidCommand,
    PropdeskError,
    RuleViolation,
    TicketAlreadyExists,
    UnauthorisedActor,
    UnknownTicket,
)
from propdesk.domain.lifecycle import RepairState, allowed_commands
from propdesk.testing import SHANGHAI, ManualClock, in_memory_desk, new_repair

if TYPE_CHECKING:
    from collections.abc import Callable

    from propdesk.application.desk import Desk

T = TypeVar("T")

TYPED_ERRORS = (
    InvalidCommand,
    IllegalStep,
    RuleViolation,
    UnauthorisedActor,
    UnknownTicket,
    TicketAlreadyExists,
)

LOGGED, DISPATCHED, CALLBACK, CLOSED, DECLINED = (UUID(int=n) for n in range(101, 106))


def _dispatched(ticket: UUID) -> list[c.Command]:
    return [
        new_repair(ticket_id=ticket),
        c.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"),
    ]


def _completed(ticket: UUID) -> list[c.Command]:
    return [
        *_dispatched(ticket),
        c.ReportArrival(ticket_id=ticket, actor="tech-zhang"),
        c.StartRepair(ticket_id=ticket, actor="tech-zhang", customer_agreed_to_charge=True),
        c.Complete(
            ticket_id=ticket,
            actor="tech-zhang",
            outcome="修好了",
            customer_signature_ref="sig",
            fee=Decimal(80),
        ),
        c.Submit(ticket_id=ticket, actor="tech-zhang", supervisor="sup-wang"),
        c.Verify(
            ticket_id=ticket,
            actor="sup-wang",
            supervisor_signature_ref="sig-w",
            result_notified_to=("客服部",),
        ),
    ]


SCENARIOS: dict[UUID, list[c.Command]] = {
    LOGGED: [new_repair(ticket_id=LOGGED, in_price_list=False)],
    DISPATCHED: _dispatched(DISPATCHED),
    CALLBACK: _completed(CALLBACK),
    CLOSED: [
        *_completed(CLOSED),
        c.HandOverFee(ticket_id=CLOSED, actor="tech-zhang", amount=Decimal(80)),
        c.SettleFee(ticket_id=CLOSED, actor="fin-ma", amount=Decimal(80), receipt_no="R-9"),
        c.RecordCallback(ticket_id=CLOSED, actor="cs-he", satisfied=True),
        c.Close(ticket_id=CLOSED, actor="cs-he"),
    ],
    DECLINED: [
        *_dispatched(DECLINED),
        c.ReportArrival(ticket_id=DECLINED, actor="tech-zhang"),
        c.DeclineOnSite(
            ticket_id=DECLINED,
            actor="tech-zhang",
            reason="不修了",
            supervisor="sup-wang",
            technician_signature_ref="sig-t",
            supervisor_signature_ref="sig-s",
        ),
    ],
}
"""Tickets every example starts with, in the states their names say."""


def _desk(*tickets: UUID) -> Desk:
    """A fresh desk with the scenarios of ``tickets`` (all of them by default)."""
    desk = in_memory_desk(clock=ManualClock())
    for ticket in tickets or SCENARIOS:
        for command in SCENARIOS[ticket]:
            desk.execute(command)
    return desk


def _histories(desk: Desk) -> dict[UUID, tuple]:
    return {ticket: desk.history(ticket) for ticket in desk.ticket_ids()}


def _assert_every_history_valid(desk: Desk) -> None:
    for ticket in desk.ticket_ids():
        states = strategies.assert_well_formed(desk.history(ticket))
        assert states[-1] is desk.view(ticket).state


def _outcome(action: Callable[[], T]) -> tuple[T | None, PropdeskError | None]:
    """Runs ``action``: its result, or the propdesk error it raised (anything else escapes)."""
    try:
        return action(), None
    except PropdeskError as error:
        return None, error


def test_the_scenarios_start_in_the_states_they_are_named_for():
    desk = _desk()

    states = {ticket: desk.view(ticket).state for ticket in SCENARIOS}

    assert states == {
        LOGGED: RepairState.LOGGED,
        DISPATCHED: RepairState.DISPATCHED,
        CALLBACK: RepairState.CALLBACK_PENDING,
        CLOSED: RepairState.CLOSED,
        DECLINED: RepairState.CLOSED_DECLINED,
    }


@given(command=st.sampled_from(c.REPAIR_COMMANDS), data=st.data())
def test_random_keyword_data_build_a_command_or_raise_invalid_command(command, data):
    kwargs = data.draw(strategies.command_kwargs(command), label="kwargs")

    built, error = _outcome(lambda: command(**kwargs))

    if error is None:
        assert type(built) is command
        assert set(kwargs) <= set(command.model_fields)
    else:
        assert isinstance(error, InvalidCommand)
        assert error.command == command.__name__
        assert error.problems
        assert all(": " in problem for problem in error.problems)


KNOWN_OR_NOT = st.sampled_from(list(SCENARIOS)) | st.uuids()
WELL_FORMED = st.one_of(
    strategies.ticket_commands(KNOWN_OR_NOT),
    strategies.ticket_commands(KNOWN_OR_NOT),
    strategies.log_repairs(
        actor=strategies.actors(), at=strategies.maybe_at(), ticket_id=st.none() | KNOWN_OR_NOT
    ),
)
"""Commands that pass validation but are mostly wrong for the desk: state, actor, amounts."""


@st.composite
def attempts(draw: st.DrawFn) -> c.Command | dict[str, object]:
    """A well-formed command, or a command class with random keyword data to build it from."""
    if draw(st.booleans()):
        return draw(WELL_FORMED)
    command_class = draw(st.sampled_from(c.REPAIR_COMMANDS))
    return {
        "class": command_class,
        "kwargs": draw(strategies.command_kwargs(command_class, KNOWN_OR_NOT)),
    }


@given(data=st.data())
def test_malformed_commands_at_the_desk_raise_typed_errors_and_store_nothing(data):
    desk = _desk()
    for attempt in data.draw(st.lists(attempts(), min_size=1, max_size=6), label="attempts"):
        try:
            command = (
                attempt if isinstance(attempt, c.Command) else attempt["class"](**attempt["kwargs"])
            )
        except InvalidCommand:
            event("built: InvalidCommand")
            continue
        before = _histories(desk)
        result, error = _outcome(lambda command=command: desk.execute(command))
        if error is not None:
            event(f"desk: {type(error).__name__}")
            assert isinstance(error, TYPED_ERRORS), f"unexpected {type(error).__name__}"
            assert _histories(desk) == before, f"{type(error).__name__} stored events: {error}"
        else:
            event(f"desk: took {result.step}")
            after = _histories(desk)
            grown = {ticket for ticket in after if after[ticket] != before.get(ticket)}
            assert grown <= {result.ticket_id}
            assert len(after[result.ticket_id]) == len(before.get(result.ticket_id, ())) + len(
                result.events
            )
    _assert_every_history_valid(desk)


@given(command=strategies.ticket_commands(st.sampled_from([CLOSED, DECLINED])))
def test_every_command_for_a_closed_ticket_is_refused_or_ignored(command):
    desk = _desk(command.ticket_id)
    before = _histories(desk)

    if type(command) in c.WORKER_COMMANDS and command.actor in strategies.PEOPLE:
        # the SLA worker's steps ignore a ticket that has moved on, once the actor may act
        result, error = _outcome(lambda: desk.execute(command))
        assert result is None or result.events == ()
        assert error is None or isinstance(error, UnauthorisedActor)
        assert _histories(desk) == before
        return
    with pytest.raises((IllegalStep, RuleViolation, UnauthorisedActor)) as raised:
        desk.execute(command)

    state = desk.view(command.ticket_id).state
    if command.actor in strategies.PEOPLE and command.step in allowed_commands(state):
        # a CLOSED ticket still takes a late fee settlement; this one's fee is settled
        assert isinstance(raised.value, (RuleViolation, UnauthorisedActor))
    elif command.actor in strategies.PEOPLE:
        assert isinstance(raised.value, IllegalStep)
        assert raised.value.allowed == allowed_commands(state)
    else:
        assert isinstance(raised.value, UnauthorisedActor)
    assert _histories(desk) == before


@given(command=strategies.ticket_commands(st.uuids().filter(lambda u: u not in SCENARIOS)))
def test_a_command_for_a_ticket_nobody_logged_is_an_unknown_ticket(command):
    desk = _desk(LOGGED)
    before = _histories(desk)

    with pytest.raises(UnknownTicket) as raised:
        desk.execute(command)

    assert raised.value.ticket_id == command.ticket_id
    assert _histories(desk) == before


@given(command=strategies.log_repairs(actor=strategies.actors(), at=strategies.maybe_at()))
def test_a_random_log_is_stored_whole_or_not_at_all(command):
    desk = _desk(LOGGED)
    before = _histories(desk)

    result, error = _outcome(lambda: desk.execute(command))

    if error is not None:
        assert isinstance(error, UnauthorisedActor)
        assert command.actor not in strategies.PEOPLE or "needs the role" in error.reason
        assert _histories(desk) == before
    else:
        assert result.events[:2] == ("Logged", "PolicyPinned")
        assert set(result.events[2:]) <= strategies.CLOCK_EVENTS
        assert desk.view(result.ticket_id).unit == command.unit
        assert set(_histories(desk)) == {*before, result.ticket_id}
    _assert_every_history_valid(desk)


END_OF_TIME = datetime(9999, 12, 31, 23, 58, tzinfo=SHANGHAI)


def test_a_time_at_the_end_of_the_calendar_is_refused_with_a_typed_error():
    desk = _desk(LOGGED)
    ticket = desk.execute(new_repair()).ticket_id
    before = desk.history(ticket)

    with pytest.raises(InvalidCommand, match="years"):
        desk.execute(
            c.Dispatch(ticket_id=ticket, actor="sup-wang", acceptor="tech-zhang", at=END_OF_TIME)
        )

    assert desk.history(ticket) == before


def test_a_copied_command_is_validated_again():
    command = _completed(LOGGED)[-1]

    with pytest.raises(InvalidCommand, match="years"):
        command.model_copy(update={"at": END_OF_TIME})
    with pytest.raises(InvalidCommand, match="timezone"):
        command.model_copy(update={"at": END_OF_TIME.replace(tzinfo=None)})
