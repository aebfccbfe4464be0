"""Malformed command data raise InvalidCommand, naming the field, and never pydantic's error."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from helpers import DEFAULTS, TICKET, log, make
from pydantic import ValidationError

from propdesk.domain import commands as c
from propdesk.domain.errors import InvalidCommand, PropdeskError
from propdesk.testing import new_repair

NAIVE = datetime(2026, 11, 23, 14, 0)  # noqa: DTZ001 - the naive time is what is under test


def invalid(build, *args, **fields) -> InvalidCommand:
    """Builds a command expecting InvalidCommand; checks pydantic's error stayed inside."""
    with pytest.raises(InvalidCommand) as raised:
        build(*args, **fields)
    error = raised.value
    assert isinstance(error, PropdeskError)
    assert not isinstance(error, ValidationError)
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert error.problems
    assert str(error).startswith(f"invalid {error.command}: ")
    return error


def fields_named(error: InvalidCommand) -> set[str]:
    """The field each problem line names (the text before its first colon)."""
    return {problem.split(":", 1)[0] for problem in error.problems}


CASES = [
    pytest.param(new_repair, {"unit": ""}, "unit", id="empty-unit"),
    pytest.param(new_repair, {"unit": "   \t"}, "unit", id="whitespace-unit"),
    pytest.param(new_repair, {"description": " "}, "description", id="blank-description"),
    pytest.param(
        new_repair,
        {"owner": {"name": "陈女士", "phone": "12345"}},
        "owner.phone",
        id="phone-too-short",
    ),
    pytest.param(
        new_repair,
        {"owner": {"name": "陈女士", "phone": "call me maybe"}},
        "owner.phone",
        id="phone-not-a-number",
    ),
    pytest.param(
        new_repair,
        {"owner": {"name": "陈女士", "phone": "+1 415 555 0100"}},
        "owner.phone",
        id="phone-outside-china",
    ),
    pytest.param(
        new_repair,
        {"owner": {"name": "", "phone": "13812345678"}},
        "owner.name",
        id="no-owner-name",
    ),
    pytest.param(new_repair, {"appointment": NAIVE}, "appointment", id="naive-appointment"),
    pytest.param(new_repair, {"at": NAIVE}, "at", id="naive-log-time"),
    pytest.param(new_repair, {"channel": "carrier-pigeon"}, "channel", id="unknown-channel"),
    pytest.param(new_repair, {"category": "plumbing"}, "category", id="unknown-category"),
    pytest.param(new_repair, {"actor": "  "}, "actor", id="blank-actor"),
    pytest.param(new_repair, {"colour": "red"}, "colour", id="unknown-field"),
    pytest.param(new_repair, {"ticket_id": "ticket-1"}, "ticket_id", id="ticket-id-not-a-uuid"),
]

TICKET_CASES = [
    (c.Complete, {"fee": Decimal(-1)}, "fee"),
    (c.Complete, {"fee": Decimal("80.005")}, "fee"),
    (c.Complete, {"fee": "eighty"}, "fee"),
    (c.HandOverFee, {"amount": Decimal("-0.01")}, "amount"),
    (c.HandOverFee, {"amount": Decimal("1.234")}, "amount"),
    (c.SettleFee, {"amount": -80}, "amount"),
    (c.SettleFee, {"receipt_no": ""}, "receipt_no"),
    (c.Quote, {"amount": Decimal(-150)}, "amount"),
    (c.Quote, {"amount": Decimal("150.001")}, "amount"),
    (c.AcceptQuote, {"amount": Decimal("NaN")}, "amount"),
    (c.AmendItem, {"charge_standard": Decimal(-45)}, "charge_standard"),
    (c.Dispatch, {"at": NAIVE}, "at"),
    (c.Dispatch, {"promised_arrival": NAIVE}, "promised_arrival"),
    (c.Escalate, {"promised_arrival": NAIVE}, "promised_arrival"),
    (c.Close, {"at": NAIVE}, "at"),
    (c.Reschedule, {"new_time": NAIVE}, "new_time"),
    (c.Reschedule, {"owner_agreed": False}, "owner_agreed"),
    (c.StartRepair, {"customer_agreed_to_charge": False}, "customer_agreed_to_charge"),
    (c.RecordCallback, {"rating": 0}, "rating"),
    (c.RecordCallback, {"rating": 6}, "rating"),
    (c.RecordCallback, {"rating": -3}, "rating"),
    (c.Verify, {"result_notified_to": ()}, "result_notified_to"),
    (c.Refuse, {"reason": "   "}, "reason"),
    (c.Dispatch, {"acceptor": ""}, "acceptor"),
    (c.Dispatch, {"channel": "telepathy"}, "channel"),
    (c.Close, {"colour": "red"}, "colour"),
    (c.Close, {"ticket_id": "12"}, "ticket_id"),
    (c.Close, {"command_id": ""}, "command_id"),
]


@pytest.mark.parametrize(("build", "fields", "field"), CASES)
def test_a_malformed_log_is_an_invalid_command_naming_the_field(build, fields, field):
    error = invalid(build, **fields)

    assert error.command == "LogRepair"
    assert fields_named(error) == {field}


@pytest.mark.parametrize(
    ("command", "fields", "field"),
    [
        pytest.param(*case, id=f"{case[0].__name__}-{case[2]}-{i}")
        for i, case in enumerate(TICKET_CASES)
    ],
)
def test_a_malformed_ticket_command_is_an_invalid_command_naming_the_field(command, fields, field):
    error = invalid(make, command, **fields)

    assert error.command == command.__name__
    assert fields_named(error) == {field}


def test_an_unsatisfied_callback_must_say_what_the_problem_is():
    error = invalid(make, c.RecordCallback, satisfied=False, rating=2)

    assert error.command == "RecordCallback"
    assert len(error.problems) == 1
    assert "problem" in error.problems[0]


def test_a_missing_required_field_is_named():
    fields = {**DEFAULTS[c.Refuse], "ticket_id": TICKET}
    del fields["reason"]

    error = invalid(c.Refuse, **fields)

    assert fields_named(error) == {"reason"}
    assert "Field required" in error.problems[0]


def test_every_bad_field_is_reported_at_once():
    error = invalid(
        new_repair, unit="", at=NAIVE, owner={"name": "陈女士", "phone": "1"}, colour="red"
    )

    assert fields_named(error) == {"unit", "at", "owner.phone", "colour"}


@pytest.mark.parametrize(
    ("owner", "inner"),
    [
        ({"name": "陈女士", "phone": "12345"}, "owner.phone: "),
        ({"name": " ", "phone": "13812345678"}, "owner.name: "),
    ],
)
def test_a_bad_owner_contact_names_the_inner_field_under_the_owner(owner, inner):
    error = invalid(new_repair, owner=owner)

    (problem,) = error.problems
    assert problem.startswith(inner)
    assert "OwnerContact" not in problem


def test_a_phone_outside_a_command_is_checked_the_same_way():
    error = invalid(c.OwnerContact, name="陈女士", phone="13812345")

    assert error.command == "OwnerContact"
    assert fields_named(error) == {"phone"}


def test_valid_data_are_normalised_not_refused():
    command = new_repair(
        unit="  3栋2单元1201 ", owner=c.OwnerContact(name="陈女士", phone="138-1234 5678")
    )
    landline = c.OwnerContact(name="物业前台", phone="(021) 6234-5678")

    assert command.unit == "3栋2单元1201"
    assert command.owner.phone == "13812345678"
    assert landline.phone == "02162345678"
    assert make(c.HandOverFee, amount="80.5").amount == Decimal("80.50")


def test_commands_are_immutable_once_built():
    command = make(c.Complete)

    with pytest.raises(ValidationError):
        command.fee = Decimal(-1)  # type: ignore[misc]

    assert command.fee == Decimal(80)


def test_an_unknown_estate_at_the_desk_is_an_invalid_command(desk):
    with pytest.raises(InvalidCommand) as raised:
        desk.execute(log(estate="no-such-estate", ticket_id=uuid4()))

    assert fields_named(raised.value) == {"estate"}
    assert list(desk.ticket_ids()) == []


def test_a_field_named_self_is_an_unknown_field():
    fields = {**DEFAULTS[c.Close], "ticket_id": TICKET, "self": "x"}

    error = invalid(c.Close, **fields)

    assert fields_named(error) == {"self"}


@pytest.mark.parametrize("how", ["model_validate", "model_validate_json"])
def test_commands_read_from_data_raise_invalid_command(how):
    data = {"ticket_id": str(TICKET), "actor": "tech-zhang", "amount": "-1"}
    payload = data if how == "model_validate" else json.dumps(data)

    error = invalid(getattr(c.HandOverFee, how), payload)

    assert "amount" in fields_named(error)


@pytest.mark.parametrize("number", [5, 1_763_888_400.0])
def test_a_number_is_not_taken_for_a_time(number):
    error = invalid(c.Close, ticket_id=TICKET, actor="cs-he", at=number)

    assert fields_named(error) == {"at"}
    assert "not a number" in error.problems[0]
