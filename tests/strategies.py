"""Hypothesis strategies for propdesk's tests, in one place: people, times, commands, junk.

Valid strategies build commands that pass validation (the desk may still refuse them);
``malformed_*`` strategies build data of the wrong type or shape for the command constructors.
The section at the end reads stored histories back through the lifecycle table, for the
property tests' invariants.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from propdesk.domain import commands as c
from propdesk.domain import goals
from propdesk.domain.lifecycle import RepairState, check_step
from propdesk.domain.values import (
    Channel,
    ContactChannel,
    RepairCategory,
    RepairScope,
    Role,
)
from propdesk.testing import MONDAY_MORNING, SHANGHAI, sample_organisation

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

    from hypothesis.strategies import SearchStrategy

    from propdesk.application.views import HistoryEntry

ORGANISATION = sample_organisation()
PEOPLE: tuple[str, ...] = tuple(person.id for person in ORGANISATION.people)
STRANGERS: tuple[str, ...] = ("ghost", "tech-nobody", "pm-wang", "前台小王")
"""Ids that are not in the sample estate."""

TICKET_COMMANDS: tuple[type[c.Command], ...] = tuple(
    command for command in c.REPAIR_COMMANDS if command is not c.LogRepair
)
ZONES = (SHANGHAI, UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)))
"""Aware times arrive in any zone; the desk must compare them by instant."""


# ---------------------------------------------------------------- people


def people() -> SearchStrategy[str]:
    """Anyone in the sample estate."""
    return st.sampled_from(PEOPLE)


def people_with(*roles: Role) -> SearchStrategy[str]:
    """People of the sample estate who hold one of ``roles``."""
    return st.sampled_from(
        [person.id for person in ORGANISATION.people if any(person.has(role) for role in roles)]
    )


def actors() -> SearchStrategy[str]:
    """Mostly people of the estate, sometimes a stranger."""
    return st.one_of(people(), people(), people(), st.sampled_from(STRANGERS))


# ---------------------------------------------------------------- times


def moments(
    start: datetime = MONDAY_MORNING - timedelta(days=1),
    end: datetime = MONDAY_MORNING + timedelta(days=10),
) -> SearchStrategy[datetime]:
    """Aware times between ``start`` and ``end`` (Shanghai wall clock), in assorted zones.

    The desk refuses times outside 1970–2999 (``malformed_values`` tries those).
    """
    naive_start = start.astimezone(SHANGHAI).replace(tzinfo=None)
    naive_end = end.astimezone(SHANGHAI).replace(tzinfo=None)
    return st.datetimes(
        min_value=naive_start, max_value=naive_end, timezones=st.sampled_from(ZONES)
    )


def naive_datetimes() -> SearchStrategy[datetime]:
    """Times without a zone, which every command must refuse."""
    return st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))  # noqa: DTZ001 - naive on purpose


def maybe_at() -> SearchStrategy[datetime | None]:
    """A command's ``at``: mostly the desk's clock (``None``), sometimes any time."""
    return st.one_of(st.none(), st.none(), st.none(), moments())


# ---------------------------------------------------------------- values


def money() -> SearchStrategy[Decimal]:
    """Amounts in yuan to the fen, mostly small."""
    return st.one_of(
        st.sampled_from([Decimal(0), Decimal(80), Decimal("150.00"), Decimal("0.01")]),
        st.decimals(min_value=0, max_value=100_000, places=2),
    )


TEXT_ALPHABET = "报修厨房水龙头漏水卫生间渗楼下灯不亮门锁坏了师傅业主栋单元号abcXYZ0123456789éßд—"
"""Characters for valid free text: mostly Chinese, some Latin, digits and a few others."""


def texts(max_size: int = 30) -> SearchStrategy[str]:
    """Non-blank free text (a fixed alphabet without spaces keeps generation cheap)."""
    return st.text(TEXT_ALPHABET, min_size=1, max_size=max_size)


def phones() -> SearchStrategy[str]:
    """Mainland mobile and landline numbers, some with separators."""
    mobile = st.builds("1{}{:09d}".format, st.sampled_from("3456789"), st.integers(0, 999_999_999))
    landline = st.builds(
        "{}{}{:08d}".format,
        st.sampled_from(["010", "021", "022", "023", "0755", "0571"]),
        st.sampled_from(["", "-", " "]),
        st.integers(20_000_000, 89_999_999),
    )
    return st.one_of(mobile, mobile, landline)


def owners() -> SearchStrategy[c.OwnerContact]:
    """The reporter's contact."""
    return st.builds(c.OwnerContact, name=texts(10), phone=phones())


# ---------------------------------------------------------------- commands


def log_repairs(
    *,
    actor: SearchStrategy[str] | None = None,
    at: SearchStrategy[datetime | None] | None = None,
    ticket_id: SearchStrategy[UUID | None] | None = None,
) -> SearchStrategy[c.LogRepair]:
    """Valid :class:`LogRepair` commands for the sample estate (one estate: no ``estate``)."""
    return st.builds(
        c.LogRepair,
        actor=actor if actor is not None else people_with(Role.NOTIFIER, Role.CUSTOMER_SERVICE),
        at=at if at is not None else st.none(),
        ticket_id=ticket_id if ticket_id is not None else st.none(),
        channel=st.sampled_from(Channel),
        scope=st.sampled_from(RepairScope),
        category=st.sampled_from(RepairCategory),
        unit=texts(12),
        description=texts(),
        owner=owners(),
        in_price_list=st.booleans(),
        price_item=st.none() | texts(10),
        paid=st.booleans(),
        appointment=st.none() | moments(),
    )


def _promised() -> SearchStrategy[datetime | None]:
    return st.none() | moments()


def _goal_names() -> SearchStrategy[str]:
    """Goal names the SLA worker's commands act on: the seeds' own, and unknown ones."""
    return st.sampled_from(
        ["arrive_asap", "arrive_before_appointment", "redispatch_before_visit", "no_such_goal"]
    )


def _callback_fields() -> SearchStrategy[dict[str, Any]]:
    """A callback's result; an unsatisfied one always says what is wrong."""
    return st.fixed_dictionaries(
        {
            "satisfied": st.booleans(),
            "problem": texts(),
            "channel": st.sampled_from(ContactChannel),
        },
        optional={"rating": st.integers(1, 5), "remarks": texts()},
    )


FIELDS: dict[type[c.Command], dict[str, SearchStrategy[Any]]] = {
    c.StartCostReview: {},
    c.Quote: {"amount": money(), "feasibility": texts()},
    c.DeclareNotRepairable: {"reason": texts()},
    c.AcceptQuote: {"amount": money()},
    c.DeclineQuote: {"reason": texts()},
    c.Dispatch: {
        "acceptor": actors(),
        "promised_arrival": _promised(),
        "channel": st.sampled_from(ContactChannel),
        "owner_contacted_beforehand": st.booleans(),
    },
    c.Refuse: {"reason": texts()},
    c.Escalate: {"promised_arrival": _promised(), "channel": st.sampled_from(ContactChannel)},
    c.EscalateOverdueDispatch: {
        "goal": _goal_names(),
        "due_at": moments(),
        "promised_arrival": _promised(),
        "channel": st.sampled_from(ContactChannel),
    },
    c.ConfirmNoStaff: {"finding": texts()},
    c.RecordOwnerComplaint: {"complaint": texts(), "sent_staff": actors()},
    c.Reschedule: {
        "new_time": moments(),
        "owner_agreed": st.just(True),
        "appointment_with": st.none() | actors(),
    },
    c.RedispatchForVisit: {"goal": _goal_names(), "due_at": moments()},
    c.ReportArrival: {"channel": st.sampled_from(ContactChannel)},
    c.CheckArrival: {
        "reporter_says_on_time": st.booleans(),
        "channel": st.sampled_from(ContactChannel),
    },
    c.KnockUnanswered: {},
    c.DoorAnswered: {},
    c.LeaveForRevisit: {"informed_supervisor": actors(), "informed_customer_service": actors()},
    c.AmendItem: {"actual_item": texts(12), "charge_standard": money()},
    c.StartRepair: {"customer_agreed_to_charge": st.just(True)},
    c.DeclineOnSite: {
        "reason": texts(),
        "supervisor": actors(),
        "technician_signature_ref": texts(12),
        "supervisor_signature_ref": texts(12),
        "reminded_to_report_again": st.booleans(),
    },
    c.Complete: {
        "outcome": texts(),
        "customer_signature_ref": texts(12),
        "fee": money(),
        "waste_removed": st.booleans(),
    },
    c.Submit: {"supervisor": actors()},
    c.Verify: {
        "supervisor_signature_ref": texts(12),
        "result_notified_to": st.lists(texts(8), min_size=1, max_size=3).map(tuple),
    },
    c.RecordLeakTest: {"result": texts()},
    c.RaiseCallback: {"due_at": moments()},
    c.RecordCallback: {},  # drawn whole by _callback_fields, so that its fields agree
    c.HandOverFee: {"amount": money()},
    c.SettleFee: {"amount": money(), "receipt_no": texts(12)},
    c.Close: {"remarks": st.none() | texts()},
}
"""Valid values for each ticket command's own fields (besides actor, at, ids)."""


def ticket_commands(
    ticket_id: SearchStrategy[UUID],
    *,
    actor: SearchStrategy[str] | None = None,
    at: SearchStrategy[datetime | None] | None = None,
    command_id: SearchStrategy[str | None] | None = None,
) -> SearchStrategy[c.Command]:
    """Any valid ticket command, with plausible random data, for a ticket id from ``ticket_id``.

    Most are refused by the desk (wrong state, wrong actor, wrong amount); some are taken.
    """

    def build(command: type[c.Command]) -> SearchStrategy[c.Command]:
        common: dict[str, SearchStrategy[Any]] = {
            "ticket_id": ticket_id,
            "actor": actor if actor is not None else actors(),
            "at": at if at is not None else maybe_at(),
            "command_id": command_id if command_id is not None else st.none(),
        }
        if command is c.RecordCallback:
            return st.builds(
                lambda fields, **rest: c.RecordCallback(**fields, **rest),
                _callback_fields(),
                **common,
            )
        return st.builds(command, **common, **FIELDS[command])

    return st.one_of([build(command) for command in TICKET_COMMANDS])


# ---------------------------------------------------------------- malformed data

UNKNOWN_FIELDS = ("colour", "Actor", "ticketId", "at_time", "fees", "__class__", "model_config")
"""Field names no command has. (``self`` is left out: see test_command_validation.)"""


def malformed_values() -> SearchStrategy[object]:
    """Values of the wrong type or shape for almost any field."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(["", "   ", "\t\n", "-1", "1.234", "NaN", "13812345678", "2026-11-23"]),
        st.binary(max_size=8),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.decimals(min_value=-1000, max_value=1000, places=4),
        naive_datetimes(),
        st.datetimes(timezones=st.sampled_from(ZONES)),  # any year, 1 to 9999
        st.uuids(),
        st.just(object()),
    )


def _valid_field(command: type[c.Command], name: str, ticket_id: SearchStrategy[UUID]) -> Any:
    common: dict[str, SearchStrategy[Any]] = {
        "ticket_id": ticket_id,
        "actor": actors(),
        "at": maybe_at(),
        "command_id": st.none() | texts(8),
    }
    if name in common:
        return common[name]
    if command is c.LogRepair:
        return {
            "estate": st.none() | st.just("cuiyuan") | texts(8),
            "channel": st.sampled_from(Channel),
            "scope": st.sampled_from(RepairScope),
            "category": st.sampled_from(RepairCategory),
            "unit": texts(12),
            "description": texts(),
            "owner": owners(),
            "in_price_list": st.booleans(),
            "price_item": st.none() | texts(10),
            "paid": st.booleans(),
            "appointment": st.none() | moments(),
            "received_at": st.none() | moments(),
        }[name]
    if command is c.RecordCallback:
        return {
            "satisfied": st.booleans(),
            "problem": st.none() | texts(),
            "channel": st.sampled_from(ContactChannel),
            "rating": st.none() | st.integers(1, 5),
            "remarks": st.none() | texts(),
        }[name]
    return FIELDS[command][name]


@st.composite
def command_kwargs(
    draw: st.DrawFn,
    command: type[c.Command],
    ticket_id: SearchStrategy[UUID] | None = None,
) -> dict[str, object]:
    """Keyword data for ``command``: each field valid, malformed or missing, plus strays."""
    ids = ticket_id if ticket_id is not None else st.uuids()
    kwargs: dict[str, object] = {}
    for name in command.model_fields:
        kind = draw(st.sampled_from(["valid", "valid", "valid", "malformed", "missing"]))
        if kind == "valid":
            kwargs[name] = draw(_valid_field(command, name, ids))
        elif kind == "malformed":
            kwargs[name] = draw(malformed_values())
    strays = draw(
        st.dictionaries(
            st.sampled_from(UNKNOWN_FIELDS) | st.text(st.characters(categories=("L",)), max_size=6),
            malformed_values(),
            max_size=2,
        )
    )
    kwargs.update({key: value for key, value in strays.items() if key != "self"})
    return kwargs


# ---------------------------------------------------------------- histories

EVENT_TRIGGERS: dict[str, str] = {
    "Logged": "log",
    "CostReviewStarted": "start_cost_review",
    "Quoted": "quote",
    "FoundNotRepairable": "declare_not_repairable",
    "QuoteAccepted": "accept_quote",
    "QuoteDeclined": "decline_quote",
    "Dispatched": "dispatch",
    "Refused": "refuse",
    "Escalated": "escalate",  # or escalate_overdue_dispatch: see trigger_of
    "NoStaffConfirmed": "confirm_no_staff",
    "OwnerComplained": "record_owner_complaint",
    "Rescheduled": "reschedule",
    "ArrivalReported": "report_arrival",
    "ArrivalChecked": "check_arrival",
    "KnockUnanswered": "knock_unanswered",
    "DoorAnswered": "door_answered",
    "LeftForRevisit": "leave_for_revisit",
    "ItemAmended": "amend_item",
    "RepairStarted": "start_repair",
    "DeclinedOnSite": "decline_on_site",
    "Completed": "complete",
    "Submitted": "submit",
    "Verified": "verify",
    "CallbackOpened": "open_callback",
    "CallbackRaised": "raise_callback",
    "CalledBack": "callback_satisfied",  # or callback_unsatisfied: see trigger_of
    "FeeHandedOver": "hand_over_fee",
    "FeeSettled": "settle_fee",
    "Closed": "close",
}
"""The lifecycle trigger each stored event records."""


def trigger_of(entry: HistoryEntry) -> str:
    """The lifecycle trigger a stored event records."""
    if entry.event == "CalledBack" and not entry.payload["satisfied"]:
        return "callback_unsatisfied"
    if entry.event == "Escalated" and entry.payload["cause"] == "overdue":
        return "escalate_overdue_dispatch"
    return EVENT_TRIGGERS[entry.event]


CLOCK_EVENTS = goals.CLOCK_EVENTS
"""The SLA clock's events (every ticket's, from ``Ticket``): not lifecycle steps."""


def lifecycle_path(history: Iterable[HistoryEntry]) -> list[RepairState]:
    """The states a stored history passes through, from NEW, checked step by step.

    The SLA clock's events are skipped: they record time, not a step of the lifecycle.

    Raises:
        IllegalStep: two consecutive steps are not a transition of the lifecycle table.
    """
    states = [RepairState.NEW]
    for entry in history:
        if entry.event not in CLOCK_EVENTS:
            states.append(check_step(trigger_of(entry), states[-1]))
    return states


def assert_well_formed(history: tuple[HistoryEntry, ...]) -> list[RepairState]:
    """A stored history is a legal lifecycle path, numbered 1..n, with time never going back."""
    assert [entry.version for entry in history] == list(range(1, len(history) + 1))
    assert history[0].event == "Logged"
    assert all(earlier.at <= later.at for earlier, later in itertools.pairwise(history)), (
        "a stored step happened before the step stored before it"
    )
    return lifecycle_path(history)
