"""One given/when/then test per transition of the repair lifecycle (seed-spec §3.1, R1–R24).

Each test declares the (trigger, source state) pairs of :data:`LIFECYCLE` it exercises with
:func:`covers` or :func:`sources`; the last test fails if a pair of the table has no test.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from helpers import (
    FEE,
    ORG,
    QUOTED,
    T0,
    S,
    fee_handed_over,
    given,
    given_state,
    knocked_twice,
    log,
    make,
    minutes,
    path_to,
    settled_and_called_back,
    then,
    then_recorded,
    then_state,
    to_project_manager,
    when,
    when_logged,
    when_rejected,
)

from propdesk.domain import commands as c
from propdesk.domain.errors import RuleViolation
from propdesk.domain.lifecycle import LIFECYCLE, RepairState, allowed_commands
from propdesk.domain.repair import Repair
from propdesk.domain.rules import RepairRules
from propdesk.domain.values import (
    Channel,
    ContactChannel,
    FeeStatus,
    RepairCategory,
    RepairScope,
    RescheduleKind,
)

if TYPE_CHECKING:
    from collections.abc import Callable

COVERED: set[tuple[str, RepairState]] = set()
"""The (trigger, source) pairs the tests below exercise."""


def covers(
    trigger: str, source: RepairState
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Declares that the decorated test exercises ``trigger`` leaving ``source``."""
    COVERED.add((trigger, source))

    def declare(test: Callable[..., None]) -> Callable[..., None]:
        return test

    return declare


def sources(trigger: str, *states: RepairState) -> list[RepairState]:
    """Declares a test parametrized over the states ``trigger`` leaves from; returns them."""
    COVERED.update((trigger, state) for state in states)
    return list(states)


# ---------------------------------------------------------------- R1, R3–R5b


@covers("log", S.NEW)
def test_logging_records_the_request_its_contact_and_who_took_it():
    appointment = T0 + timedelta(hours=6)
    command = log(
        channel=Channel.WECHAT,
        scope=RepairScope.PUBLIC,
        unit="3栋大堂",
        description="大堂感应门不关",
        appointment=appointment,
        paid=False,
    )

    ticket, events = when_logged(command)

    then(events, Repair.Logged)
    then_recorded(
        events,
        Repair.Logged,
        actor="desk-huang",
        estate="cuiyuan",
        channel="wechat",
        scope="public",
        category="other",
        unit="3栋大堂",
        description="大堂感应门不关",
        personal_data={"owner_name": "陈女士", "owner_phone": "13812345678"},
        in_price_list=True,
        paid=False,
        appointment=appointment,
        timestamp=T0,
    )
    then_state(
        ticket,
        S.LOGGED,
        first_responder="desk-huang",
        logged_at=T0,
        acceptor=None,
        fee_status=FeeStatus.NOT_CHARGED,
    )


@covers("start_cost_review", S.LOGGED)
def test_an_item_outside_the_price_list_goes_to_the_supervisors_cost_review():
    ticket = given(log(in_price_list=False, price_item=None))

    events = when(ticket, make(c.StartCostReview, at=T0 + minutes(2)))

    then(events, Repair.CostReviewStarted)
    then_recorded(events, Repair.CostReviewStarted, actor="sup-wang")
    then_state(ticket, S.COST_REVIEW, review_started_at=T0 + minutes(2))


@covers("quote", S.COST_REVIEW)
def test_a_quote_records_the_cost_and_feasibility_told_to_the_resident():
    ticket = given_state(S.COST_REVIEW)

    events = when(ticket, make(c.Quote, amount=Decimal("235.50"), feasibility="需更换整套龙头"))

    then(events, Repair.Quoted)
    then_recorded(
        events,
        Repair.Quoted,
        amount=Decimal("235.50"),
        feasibility="需更换整套龙头",
        actor="sup-wang",
    )
    then_state(ticket, S.AWAITING_QUOTE_DECISION, quoted_amount=Decimal("235.50"))


@covers("declare_not_repairable", S.COST_REVIEW)
def test_an_item_found_not_repairable_closes_with_the_reason():
    ticket = given_state(S.COST_REVIEW)

    events = when(ticket, make(c.DeclareNotRepairable, at=T0 + minutes(14)))

    then(events, Repair.FoundNotRepairable)
    then_recorded(events, Repair.FoundNotRepairable, reason="配件已停产，无法维修")
    then_state(
        ticket,
        S.CLOSED_NOT_REPAIRABLE,
        closed_at=T0 + minutes(14),
        close_reason="配件已停产，无法维修",
    )
    assert allowed_commands(ticket.state) == ()


@covers("accept_quote", S.AWAITING_QUOTE_DECISION)
def test_the_resident_accepting_the_quoted_amount_readies_the_dispatch():
    ticket = given_state(S.AWAITING_QUOTE_DECISION)

    events = when(ticket, make(c.AcceptQuote, amount=Decimal(150)))

    then(events, Repair.QuoteAccepted)
    then_recorded(events, Repair.QuoteAccepted, amount=QUOTED, actor="desk-huang")
    then_state(ticket, S.QUOTE_ACCEPTED)


@covers("decline_quote", S.AWAITING_QUOTE_DECISION)
def test_the_resident_declining_the_quote_closes_the_ticket_with_the_reason():
    ticket = given_state(S.AWAITING_QUOTE_DECISION)

    events = when(ticket, make(c.DeclineQuote))

    then(events, Repair.QuoteDeclined)
    then_recorded(events, Repair.QuoteDeclined, reason="业主认为费用太高")
    then_state(ticket, S.CLOSED_QUOTE_DECLINED, closed_at=T0, close_reason="业主认为费用太高")


# ---------------------------------------------------------------- R2, R5, R11, R14, R23: dispatch

_DISPATCH_CASES = {
    # source: (path, dispatch time, expected promised arrival, expected round, dispatch count)
    S.LOGGED: ((log(),), T0 + minutes(3.7), T0 + minutes(13), "first", 1),
    S.QUOTE_ACCEPTED: (
        (
            log(in_price_list=False, price_item=None, appointment=T0 + timedelta(hours=6)),
            *path_to(S.QUOTE_ACCEPTED)[1:],
        ),
        T0 + minutes(20.5),
        T0 + timedelta(hours=6) - minutes(5),
        "after_quote",
        1,
    ),
    S.RESCHEDULED: (
        path_to(S.RESCHEDULED),
        T0 + timedelta(hours=4, minutes=30),
        T0 + timedelta(hours=5) - minutes(5),
        "redispatch",
        2,
    ),
    S.AWAITING_REVISIT: (
        path_to(S.AWAITING_REVISIT),
        T0 + timedelta(hours=2, seconds=59),
        T0 + timedelta(hours=2, minutes=10),
        "revisit",
        2,
    ),
    S.REWORK: (
        path_to(S.REWORK),
        T0 + timedelta(days=1),
        T0 + timedelta(days=1, minutes=10),
        "rework",
        2,
    ),
}


@pytest.mark.parametrize(
    "source",
    sources("dispatch", S.LOGGED, S.QUOTE_ACCEPTED, S.RESCHEDULED, S.AWAITING_REVISIT, S.REWORK),
)
def test_dispatch_records_the_acceptor_the_minute_and_the_promised_arrival(source):
    path, at, promised, dispatch_round, count = _DISPATCH_CASES[source]
    ticket = given(*path)
    assert ticket.state is source

    events = when(
        ticket, make(c.Dispatch, acceptor="tech-sun", at=at, channel=ContactChannel.RADIO)
    )

    then(events, Repair.Dispatched)
    then_recorded(
        events,
        Repair.Dispatched,
        actor="desk-huang",
        acceptor="tech-sun",
        acceptor_name=ORG.person("tech-sun").name,
        accepted_at=at.replace(second=0, microsecond=0),
        promised_arrival=promised,
        channel="radio",
        round=dispatch_round,
        dispatch_count=count,
        top_of_chain=False,
    )
    then_state(
        ticket, S.DISPATCHED, acceptor="tech-sun", first_acceptor="tech-sun", level=0, knocks=0
    )


@pytest.mark.parametrize(
    ("first", "given_arrival", "expected"),
    [
        pytest.param(log(), None, T0 + minutes(10), id="asap-10-minutes"),
        pytest.param(log(), T0 + minutes(25), T0 + minutes(25), id="as-the-notifier-says"),
        pytest.param(
            log(appointment=T0 + timedelta(hours=3)),
            None,
            T0 + timedelta(hours=3) - minutes(5),
            id="appointment-less-5-minutes",
        ),
        pytest.param(
            log(appointment=T0 + minutes(3)), None, T0 + minutes(10), id="appointment-too-soon"
        ),
    ],
)
def test_the_promised_arrival_is_as_given_or_the_seed_default(first, given_arrival, expected):
    ticket = given(first)

    events = when(ticket, make(c.Dispatch, promised_arrival=given_arrival))

    then_recorded(events, Repair.Dispatched, promised_arrival=expected)
    assert ticket.promised_arrival == expected


# ---------------------------------------------------------------- R6–R10: refusal, escalation


@covers("refuse", S.DISPATCHED)
def test_a_refusal_records_the_reason_and_the_level_it_happened_at():
    ticket = given_state(S.DISPATCHED)

    events = when(ticket, make(c.Refuse, reason="手上有急修"))

    then(events, Repair.Refused)
    then_recorded(
        events, Repair.Refused, actor="tech-zhang", reason="手上有急修", level=0, refusal_count=1
    )
    then_state(ticket, S.REFUSED, acceptor="tech-zhang", refusal_count=1)


@covers("escalate", S.REFUSED)
@pytest.mark.parametrize(
    ("refuser", "superior"), [("tech-zhang", "sup-wang"), ("tech-sun", "sup-chen")]
)
def test_refusal_is_escalated_to_the_refusers_superior_one_level_up(refuser, superior):
    ticket = given(log(), make(c.Dispatch, acceptor=refuser), make(c.Refuse, actor=refuser))

    events = when(ticket, make(c.Escalate, at=T0 + minutes(1.5)))

    then(events, Repair.Escalated)
    then_recorded(
        events,
        Repair.Escalated,
        actor="desk-huang",
        cause="refused",
        refused_by=refuser,
        acceptor=superior,
        acceptor_name=ORG.person(superior).name,
        level=1,
        accepted_at=T0 + minutes(1),
        promised_arrival=T0 + minutes(11),
        top_of_chain=False,
        overdue_goal=None,
        overdue_due_at=None,
    )
    then_state(ticket, S.DISPATCHED, acceptor=superior, level=1, first_acceptor=refuser)


@covers("escalate_overdue_dispatch", S.DISPATCHED)
def test_nobody_arriving_by_the_arrival_deadline_escalates_one_level_up():
    ticket = given(*path_to(S.DISPATCHED), sla=True)

    events = when(ticket, make(c.EscalateOverdueDispatch, at=T0 + minutes(10.5)))

    then(events, Repair.Escalated)
    then_recorded(
        events,
        Repair.Escalated,
        actor="sla-monitor",
        cause="overdue",
        refused_by="tech-zhang",
        acceptor="sup-wang",
        level=1,
        accepted_at=T0 + minutes(10),
        promised_arrival=T0 + minutes(20),
        top_of_chain=False,
        overdue_goal="arrive_asap",
        overdue_due_at=T0 + minutes(10),
    )
    then_state(ticket, S.DISPATCHED, acceptor="sup-wang", level=1, first_acceptor="tech-zhang")


def test_escalation_climbs_one_level_at_a_time_and_stops_at_the_project_manager():
    ticket = given(log())
    climbed = []
    when(ticket, make(c.Dispatch))
    for refuser in ("tech-zhang", "sup-wang", "eng-zhou"):
        when(ticket, make(c.Refuse, actor=refuser))
        escalated = when(ticket, make(c.Escalate))
        climbed.append((escalated[0].acceptor, escalated[0].level, escalated[0].top_of_chain))

    assert climbed == [("sup-wang", 1, False), ("eng-zhou", 2, False), ("pm-li", 3, True)]
    assert [person.id for person in ORG.chain_from("tech-zhang")][-1] == "pm-li"
    then_state(ticket, S.DISPATCHED, acceptor="pm-li", level=3, top_of_chain=True, refusal_count=3)


@covers("confirm_no_staff", S.DISPATCHED)
def test_the_project_managers_consent_that_nobody_can_go_opens_the_negotiation():
    ticket = given(*to_project_manager())

    events = when(ticket, make(c.ConfirmNoStaff))

    then(events, Repair.NoStaffConfirmed)
    then_recorded(
        events,
        Repair.NoStaffConfirmed,
        actor="pm-li",
        project_manager="pm-li",
        finding="确无人员可派出",
    )
    then_state(ticket, S.RESCHEDULE_NEGOTIATION, acceptor=None)


@covers("record_owner_complaint", S.RESCHEDULE_NEGOTIATION)
def test_an_owner_complaint_during_the_negotiation_records_who_was_sent_to_talk():
    ticket = given_state(S.RESCHEDULE_NEGOTIATION)

    events = when(ticket, make(c.RecordOwnerComplaint, sent_staff="cs-lin"))

    then(events, Repair.OwnerComplained)
    then_recorded(events, Repair.OwnerComplained, complaint="业主抱怨等了太久", sent_staff="cs-lin")
    then_state(ticket, S.RESCHEDULE_NEGOTIATION)


def _day(offset: int, hour: int, minute: int = 0):
    return (T0 + timedelta(days=offset)).replace(hour=hour, minute=minute)


@covers("reschedule", S.RESCHEDULE_NEGOTIATION)
@pytest.mark.parametrize(
    ("notifier", "now", "new_time", "kind", "shift_end"),
    [
        pytest.param(
            "desk-huang", _day(0, 9, 5), _day(0, 14), "same_day", _day(0, 18), id="day-same-day"
        ),
        pytest.param(
            "desk-huang", _day(0, 9, 5), _day(0, 18), "same_day", _day(0, 18), id="day-at-shift-end"
        ),
        pytest.param(
            "desk-huang", _day(0, 9, 5), _day(0, 19), "after_shift", _day(0, 18), id="day-evening"
        ),
        pytest.param(
            "desk-huang", _day(0, 9, 5), _day(1, 10), "after_shift", _day(0, 18), id="day-tomorrow"
        ),
        pytest.param(
            "night-xu", _day(0, 22), _day(0, 23), "same_day", _day(1, 8), id="night-before-midnight"
        ),
        pytest.param(
            "night-xu", _day(0, 22), _day(1, 7), "after_shift", _day(1, 8), id="night-past-midnight"
        ),
        pytest.param(
            "night-xu", _day(0, 22), _day(1, 9), "after_shift", _day(1, 8), id="night-next-morning"
        ),
        pytest.param(
            "night-xu",
            _day(1, 2),
            _day(1, 7, 30),
            "same_day",
            _day(1, 8),
            id="night-after-midnight",
        ),
    ],
)
def test_reschedule_is_same_day_or_after_the_notifiers_shift_and_due_30_minutes_early(
    notifier, now, new_time, kind, shift_end
):
    assert ORG.person("night-xu").shift_end == time(8)
    assert ORG.person("desk-huang").shift_end == time(18)
    ticket = given_state(S.RESCHEDULE_NEGOTIATION)

    events = when(ticket, make(c.Reschedule, actor=notifier, at=now, new_time=new_time))

    then(events, Repair.Rescheduled)
    after_shift = kind == RescheduleKind.AFTER_SHIFT
    then_recorded(
        events,
        Repair.Rescheduled,
        actor=notifier,
        new_time=new_time,
        kind=kind,
        owner_agreed=True,
        appointment_with="tech-zhang",
        redispatch_due_at=new_time - minutes(30),
        notifier_shift_end=shift_end,
        conspicuously_marked=True,
        entered_in_scheduling_system=after_shift,
    )
    then_state(
        ticket,
        S.RESCHEDULED,
        rescheduled_to=new_time,
        reschedule_kind=kind,
        redispatch_due_at=new_time - minutes(30),
        appointment_with="tech-zhang",
    )


@covers("redispatch_for_visit", S.RESCHEDULED)
def test_thirty_minutes_before_the_visit_the_worker_re_dispatches_to_the_person_booked():
    ticket = given(*path_to(S.RESCHEDULED), sla=True)
    visit = T0 + timedelta(hours=5)

    events = when(ticket, make(c.RedispatchForVisit))

    then(events, Repair.Dispatched)
    then_recorded(
        events,
        Repair.Dispatched,
        actor="sla-monitor",
        acceptor="tech-zhang",
        round="redispatch",
        appointment=visit,
        accepted_at=visit - minutes(30),
        promised_arrival=visit - minutes(5),
        dispatch_count=2,
    )
    then_state(ticket, S.DISPATCHED, acceptor="tech-zhang", level=0, round_appointment=visit)


def test_a_worker_re_dispatch_records_what_a_notifiers_dispatch_would():
    by_hand = given(*path_to(S.RESCHEDULED), sla=True)
    by_worker = given(*path_to(S.RESCHEDULED), sla=True)

    [manual] = when(by_hand, make(c.Dispatch, at=T0 + timedelta(hours=4, minutes=30)))
    [sent] = when(by_worker, make(c.RedispatchForVisit))

    def recorded(event: Repair.Event) -> dict[str, object]:
        return {k: v for k, v in vars(event).items() if k not in {"actor", "command_id"}}

    assert recorded(sent) == recorded(manual)
    assert vars(by_worker) == vars(by_hand)


def test_a_reschedule_books_the_person_named_for_the_appointment():
    ticket = given_state(S.RESCHEDULE_NEGOTIATION)

    events = when(ticket, make(c.Reschedule, appointment_with="tech-liu"))

    then_recorded(events, Repair.Rescheduled, appointment_with="tech-liu")


def test_a_day_notifier_working_late_books_the_next_morning_after_her_shift():
    ticket = given_state(S.RESCHEDULE_NEGOTIATION)

    events = when(ticket, make(c.Reschedule, at=_day(0, 19), new_time=_day(1, 10)))

    then_recorded(
        events,
        Repair.Rescheduled,
        kind=RescheduleKind.AFTER_SHIFT,
        entered_in_scheduling_system=True,
    )


# ---------------------------------------------------------------- R12–R17: on site


@covers("report_arrival", S.DISPATCHED)
@pytest.mark.parametrize(
    ("arrival", "on_time", "minutes_late"),
    [
        pytest.param(T0 + minutes(4), True, 0, id="early"),
        pytest.param(T0 + minutes(10), True, 0, id="at-the-promised-minute"),
        pytest.param(T0 + minutes(17), False, 7, id="7-minutes-late"),
        pytest.param(T0 + timedelta(hours=1, minutes=10, seconds=40), False, 60, id="an-hour-late"),
    ],
)
def test_arrival_is_checked_against_the_promised_time(arrival, on_time, minutes_late):
    ticket = given_state(S.DISPATCHED)
    assert ticket.promised_arrival == T0 + minutes(10)

    events = when(ticket, make(c.ReportArrival, at=arrival))

    then(events, Repair.ArrivalReported)
    then_recorded(
        events,
        Repair.ArrivalReported,
        actor="tech-zhang",
        channel="intercom",
        on_time=on_time,
        minutes_late=minutes_late,
    )
    then_state(ticket, S.ON_SITE, arrived_at=arrival, arrived_on_time=on_time)


def test_an_arrival_is_late_exactly_when_it_is_late_by_some_minutes():
    ticket = given_state(S.DISPATCHED)

    events = when(ticket, make(c.ReportArrival, at=T0 + minutes(10) + timedelta(seconds=30)))

    arrived = then_recorded(events, Repair.ArrivalReported)
    assert arrived.on_time == (arrived.minutes_late == 0)


@pytest.mark.parametrize(
    "source", sources("check_arrival", S.ON_SITE, S.NO_ONE_HOME, S.IN_REPAIR, S.COMPLETED)
)
@pytest.mark.parametrize(("reporter_says", "disputed"), [(True, False), (False, True)])
def test_the_reporters_word_on_punctuality_is_recorded_and_compared(
    source, reporter_says, disputed
):
    ticket = given_state(source)
    assert ticket.arrived_on_time is True

    events = when(ticket, make(c.CheckArrival, reporter_says_on_time=reporter_says))

    then(events, Repair.ArrivalChecked)
    then_recorded(
        events,
        Repair.ArrivalChecked,
        actor="desk-huang",
        reporter_says_on_time=reporter_says,
        channel="phone",
        disputed=disputed,
    )
    then_state(ticket, source, arrival_disputed=disputed)


@pytest.mark.parametrize("source", sources("knock_unanswered", S.ON_SITE, S.NO_ONE_HOME))
def test_unanswered_knocks_are_counted_five_minutes_apart(source):
    ticket = given_state(source)
    earlier = ticket.knocks
    at = T0 + minutes(5) if source is S.NO_ONE_HOME else T0 + minutes(1)

    events = when(ticket, make(c.KnockUnanswered, at=at))

    then(events, Repair.KnockUnanswered)
    then_recorded(events, Repair.KnockUnanswered, attempt=earlier + 1)
    then_state(ticket, S.NO_ONE_HOME, knocks=earlier + 1, last_knock_at=at)


@covers("door_answered", S.NO_ONE_HOME)
def test_a_door_answered_after_a_knock_resumes_the_visit():
    ticket = given_state(S.NO_ONE_HOME)

    events = when(ticket, make(c.DoorAnswered, at=T0 + minutes(3)))

    then(events, Repair.DoorAnswered)
    then_recorded(events, Repair.DoorAnswered, after_attempts=1)
    then_state(ticket, S.ON_SITE, knocks=0)


@covers("leave_for_revisit", S.NO_ONE_HOME)
def test_after_two_unanswered_knocks_the_technician_leaves_and_tells_both_desks():
    ticket = given(*knocked_twice())

    events = when(ticket, make(c.LeaveForRevisit, informed_customer_service="desk-huang"))

    then(events, Repair.LeftForRevisit)
    then_recorded(
        events,
        Repair.LeftForRevisit,
        actor="tech-zhang",
        attempts=2,
        informed_supervisor="sup-wang",
        informed_customer_service="desk-huang",
    )
    then_state(ticket, S.AWAITING_REVISIT, acceptor=None)


@covers("amend_item", S.ON_SITE)
def test_the_item_found_on_site_is_written_with_its_charge_standard():
    ticket = given_state(S.ON_SITE)

    events = when(
        ticket, make(c.AmendItem, actual_item="更换角阀", charge_standard=Decimal("45.5"))
    )

    then(events, Repair.ItemAmended)
    then_recorded(
        events, Repair.ItemAmended, actual_item="更换角阀", charge_standard=Decimal("45.50")
    )
    then_state(ticket, S.ON_SITE, actual_item="更换角阀", charge_standard=Decimal("45.50"))


@covers("start_repair", S.ON_SITE)
def test_work_starts_once_the_resident_agrees_to_the_charge_standard():
    ticket = given_state(S.ON_SITE)

    events = when(ticket, make(c.StartRepair))

    then(events, Repair.RepairStarted)
    then_recorded(events, Repair.RepairStarted, customer_agreed_to_charge=True)
    then_state(ticket, S.IN_REPAIR)


@covers("decline_on_site", S.ON_SITE)
def test_a_repair_declined_on_site_is_filed_with_both_signatures():
    ticket = given_state(S.ON_SITE)

    events = when(ticket, make(c.DeclineOnSite, supervisor="sup-chen", at=T0 + minutes(20)))

    then(events, Repair.DeclinedOnSite)
    then_recorded(
        events,
        Repair.DeclinedOnSite,
        actor="tech-zhang",
        reason="业主不同意收费标准",
        supervisor="sup-chen",
        technician_signature_ref="sig-tech-zhang",
        supervisor_signature_ref="sig-sup-wang",
        reminded_to_report_again=True,
    )
    then_state(
        ticket, S.CLOSED_DECLINED, closed_at=T0 + minutes(20), close_reason="业主不同意收费标准"
    )
    assert allowed_commands(ticket.state) == ()


# ---------------------------------------------------------------- R18–R23


@covers("complete", S.IN_REPAIR)
@pytest.mark.parametrize(
    ("paid", "fee", "fee_status"),
    [(True, Decimal("80.00"), FeeStatus.DUE), (True, Decimal(0), FeeStatus.NOT_CHARGED),
     (False, Decimal(0), FeeStatus.NOT_CHARGED)],
)  # fmt: skip
def test_completion_records_the_customers_signature_and_the_fee_due(paid, fee, fee_status):
    ticket = given(*((log(paid=paid), *path_to(S.IN_REPAIR)[1:])))

    events = when(ticket, make(c.Complete, fee=fee, at=T0 + minutes(40)))

    then(events, Repair.Completed)
    then_recorded(
        events,
        Repair.Completed,
        outcome="更换水龙头，试水正常",
        customer_signature_ref="sig-owner-1",
        fee=fee,
        fee_status=fee_status,
        waste_removed=True,
    )
    then_state(
        ticket,
        S.COMPLETED,
        completed_at=T0 + minutes(40),
        customer_signature_ref="sig-owner-1",
        fee_amount=fee,
        fee_status=fee_status,
    )


@covers("submit", S.COMPLETED)
def test_the_signed_order_is_handed_to_an_engineering_supervisor():
    ticket = given_state(S.COMPLETED)

    events = when(ticket, make(c.Submit, supervisor="sup-chen"))

    then(events, Repair.Submitted)
    then_recorded(events, Repair.Submitted, actor="tech-zhang", supervisor="sup-chen")
    then_state(ticket, S.SUBMITTED, submitted_to="sup-chen")


@covers("verify", S.SUBMITTED)
@pytest.mark.parametrize("category", [RepairCategory.OTHER, RepairCategory.SAFETY_FACILITY])
def test_verification_is_signed_and_opens_a_two_day_callback_window(category):
    ticket = given(log(category=category), *path_to(S.SUBMITTED)[1:])
    verified_at = T0 + timedelta(hours=3)

    events = when(ticket, make(c.Verify, at=verified_at, result_notified_to=("客服部", "业主")))

    then(events, Repair.Verified, Repair.CallbackOpened)
    then_recorded(
        events,
        Repair.Verified,
        actor="sup-wang",
        supervisor_signature_ref="sig-sup-wang",
        result_notified_to=["客服部", "业主"],
    )
    then_recorded(
        events,
        Repair.CallbackOpened,
        starts_at=verified_at,
        due_at=verified_at + timedelta(days=2),
        category=category,
        leak_test_result=None,
    )
    then_state(
        ticket,
        S.CALLBACK_PENDING,
        verified_by="sup-wang",
        callback_starts_at=verified_at,
        callback_due_at=verified_at + timedelta(days=2),
    )


def test_verifying_a_leak_repair_waits_for_the_leak_test():
    ticket = given(log(category=RepairCategory.LEAK), *path_to(S.SUBMITTED)[1:])

    events = when(ticket, make(c.Verify))

    then(events, Repair.Verified)
    then_state(ticket, S.VERIFIED, verified_by="sup-wang", callback_due_at=None)


@covers("open_callback", S.VERIFIED)
def test_the_leak_test_opens_a_three_day_callback_window():
    ticket = given_state(S.VERIFIED)
    tested_at = T0 + timedelta(days=1, hours=2)

    events = when(ticket, make(c.RecordLeakTest, actor="tech-zhang", at=tested_at))

    then(events, Repair.CallbackOpened)
    then_recorded(
        events,
        Repair.CallbackOpened,
        actor="tech-zhang",
        starts_at=tested_at,
        due_at=tested_at + timedelta(days=3),
        category="leak",
        leak_test_result="闭水试验24小时无渗漏",
    )
    then_state(ticket, S.CALLBACK_PENDING, callback_due_at=tested_at + timedelta(days=3))


@covers("raise_callback", S.CALLBACK_PENDING)
def test_the_callback_is_raised_to_customer_service_as_its_window_opens():
    ticket = given_state(S.CALLBACK_PENDING)

    events = when(ticket, make(c.RaiseCallback))

    then(events, Repair.CallbackRaised)
    then_recorded(
        events, Repair.CallbackRaised, actor="sla-monitor", due_at=T0 + timedelta(days=2),
        category="other",
    )  # fmt: skip
    then_state(ticket, S.CALLBACK_PENDING, callback_raised_for=T0 + timedelta(days=2))


@covers("callback_satisfied", S.CALLBACK_PENDING)
@pytest.mark.parametrize(
    ("after", "within"),
    [(timedelta(days=1), True), (timedelta(days=2), True), (timedelta(days=2, minutes=1), False)],
)
def test_a_satisfied_callback_records_the_rating_and_whether_it_was_in_time(after, within):
    ticket = given_state(S.CALLBACK_PENDING)
    assert ticket.callback_due_at == T0 + timedelta(days=2)

    events = when(ticket, make(c.RecordCallback, at=T0 + after, rating=4, remarks="师傅很专业"))

    then(events, Repair.CalledBack)
    then_recorded(
        events,
        Repair.CalledBack,
        actor="cs-he",
        channel="phone",
        satisfied=True,
        rating=4,
        remarks="师傅很专业",
        problem=None,
        within_window=within,
        rework_count=0,
    )
    then_state(ticket, S.CALLED_BACK, satisfied=True, rework_count=0)


@covers("callback_unsatisfied", S.CALLBACK_PENDING)
def test_an_unsatisfied_callback_sends_the_ticket_to_rework_and_counts_it():
    ticket = given_state(S.CALLBACK_PENDING)

    events = when(ticket, make(c.RecordCallback, satisfied=False, rating=1, problem="还在滴水"))

    then(events, Repair.CalledBack)
    then_recorded(
        events,
        Repair.CalledBack,
        satisfied=False,
        rating=1,
        problem="还在滴水",
        within_window=True,
        rework_count=1,
    )
    then_state(ticket, S.REWORK, satisfied=False, rework_count=1)


def test_each_unsatisfied_callback_adds_one_rework():
    second_round = (
        make(c.Dispatch),
        make(c.ReportArrival),
        make(c.StartRepair),
        make(c.Complete, fee=Decimal(0)),
        make(c.Submit),
        make(c.Verify),
    )
    ticket = given(*path_to(S.REWORK), *second_round)

    events = when(ticket, make(c.RecordCallback, satisfied=False, problem="换了还是滴"))

    then_recorded(events, Repair.CalledBack, rework_count=2)
    then_state(ticket, S.REWORK, rework_count=2, dispatch_count=2)


# ---------------------------------------------------------------- R24: the fee

_FEE_STATES = (S.COMPLETED, S.SUBMITTED, S.VERIFIED, S.CALLBACK_PENDING, S.CALLED_BACK, S.REWORK)


@pytest.mark.parametrize("source", sources("hand_over_fee", *_FEE_STATES))
def test_the_technician_hands_the_fee_charged_to_finance(source):
    ticket = given_state(source)
    assert ticket.fee_status == FeeStatus.DUE

    events = when(ticket, make(c.HandOverFee, amount=Decimal(80)))

    then(events, Repair.FeeHandedOver)
    then_recorded(events, Repair.FeeHandedOver, actor="tech-zhang", amount=FEE)
    then_state(ticket, source, fee_status=FeeStatus.HANDED_OVER, fee_amount=FEE)


@pytest.mark.parametrize("source", sources("settle_fee", *_FEE_STATES))
def test_finance_settles_the_fee_the_same_day_with_a_receipt(source):
    ticket = given(*fee_handed_over(source))

    events = when(ticket, make(c.SettleFee, at=T0 + timedelta(hours=8), receipt_no="R-2026-117"))

    then(events, Repair.FeeSettled)
    then_recorded(
        events,
        Repair.FeeSettled,
        actor="fin-ma",
        amount=FEE,
        receipt_no="R-2026-117",
        same_day=True,
    )
    then_state(ticket, source, fee_status=FeeStatus.SETTLED, receipt_no="R-2026-117")


def test_a_fee_settled_on_a_later_day_is_not_same_day():
    ticket = given(*fee_handed_over(S.COMPLETED))

    events = when(ticket, make(c.SettleFee, at=T0.replace(hour=23, minute=59) + minutes(2)))

    then_recorded(events, Repair.FeeSettled, same_day=False)


def test_a_free_rework_keeps_the_unpaid_fee_due():
    second_round = (make(c.Dispatch), make(c.ReportArrival), make(c.StartRepair))
    ticket = given(*path_to(S.REWORK), *second_round)
    assert ticket.fee_amount == FEE

    when(ticket, make(c.Complete, fee=Decimal(0)))

    then_state(ticket, S.COMPLETED, fee_status=FeeStatus.DUE, fee_amount=FEE)


# ---------------------------------------------------------------- closing


@covers("close", S.CALLED_BACK)
def test_a_satisfied_repair_with_its_fee_settled_closes():
    ticket = given(*settled_and_called_back())
    assert ticket.fee_status == FeeStatus.SETTLED

    events = when(ticket, make(c.Close, remarks="回访满意", at=T0 + timedelta(days=1)))

    then(events, Repair.Closed)
    then_recorded(events, Repair.Closed, actor="cs-he", remarks="回访满意")
    then_state(ticket, S.CLOSED, closed_at=T0 + timedelta(days=1), close_reason="回访满意")
    assert allowed_commands(ticket.state) == ("hand_over_fee", "settle_fee")
    when_rejected(ticket, make(c.HandOverFee, amount=FEE), RuleViolation)


def test_a_repair_closes_only_after_its_fee_is_settled():
    ticket = given_state(S.CALLED_BACK)
    assert ticket.fee_status == FeeStatus.DUE

    error = when_rejected(ticket, make(c.Close), RuleViolation)

    assert "not settled" in error.rule


def test_a_company_may_close_before_settlement_when_its_rules_allow():
    rules = RepairRules(close_requires_fee_settlement=False)
    ticket = given(*path_to(S.CALLED_BACK), rules=rules)

    events = when(ticket, make(c.Close), rules=rules)

    then(events, Repair.Closed)
    then_state(ticket, S.CLOSED, fee_status=FeeStatus.DUE)


@covers("hand_over_fee", S.CLOSED)
@covers("settle_fee", S.CLOSED)
def test_a_fee_left_open_at_closing_is_still_settled_afterwards():
    rules = RepairRules(close_requires_fee_settlement=False)
    ticket = given(*path_to(S.CALLED_BACK), make(c.Close), rules=rules)

    handed = when(ticket, make(c.HandOverFee, amount=FEE), rules=rules)
    settled = when(ticket, make(c.SettleFee, receipt_no="R-late-1"), rules=rules)

    then(handed, Repair.FeeHandedOver)
    then_recorded(settled, Repair.FeeSettled, amount=FEE, receipt_no="R-late-1")
    then_state(ticket, S.CLOSED, fee_status=FeeStatus.SETTLED)


def test_a_free_repair_closes_without_any_settlement():
    ticket = given(log(paid=False), *path_to(S.IN_REPAIR)[1:], make(c.Complete, fee=Decimal(0)),
                   make(c.Submit), make(c.Verify), make(c.RecordCallback))  # fmt: skip

    events = when(ticket, make(c.Close))

    then(events, Repair.Closed)
    then_state(ticket, S.CLOSED, fee_status=FeeStatus.NOT_CHARGED)


def test_escalating_an_appointment_keeps_arrival_five_minutes_before_it():
    appointment = T0 + timedelta(hours=5)
    ticket = given(log(appointment=appointment), make(c.Dispatch), make(c.Refuse))
    assert ticket.promised_arrival == appointment - minutes(5)

    events = when(ticket, make(c.Escalate))

    then_recorded(events, Repair.Escalated, promised_arrival=appointment - minutes(5))


# ---------------------------------------------------------------- the table is covered


def test_every_transition_of_the_lifecycle_table_has_a_test():
    table = {(step.trigger, source) for step in LIFECYCLE for source in step.sources}

    assert table - COVERED == set(), "transitions without a test"
    assert COVERED - table == set(), "tests claim transitions the table does not have"


def test_once_nobody_holds_the_job_no_escalation_level_is_shown():
    negotiating = given(*to_project_manager(), make(c.ConfirmNoStaff, actor="pm-li"))
    revisiting = given_state(S.AWAITING_REVISIT)

    for ticket in (negotiating, revisiting):
        then_state(ticket, ticket.state, acceptor=None, level=0, top_of_chain=False)
