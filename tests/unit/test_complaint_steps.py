"""One given/when/then test per transition of the complaint lifecycle (seed-spec §3.2, C1–C12).

Each test declares the (trigger, source state) pairs of :data:`COMPLAINT_LIFECYCLE` it
exercises with :func:`covers` or :func:`sources`; a test at the end fails if a pair of the
table has none. Then every guard, who may act (written out here from the seeds, apart from
the authority table), and the illegal steps of every state.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

import pytest
from complaint_helpers import (
    COMMANDS,
    HANDLER,
    ORG,
    RAISING_REPAIR,
    T0,
    S,
    given,
    given_state,
    hours,
    invalid_classification,
    invalid_path,
    make,
    path_to,
    receive,
    then,
    then_recorded,
    then_state,
    when,
    when_received,
    when_rejected,
)

from propdesk.application.calendars import china_calendar
from propdesk.application.configuration import default_policy
from propdesk.domain import complaint_commands as cc
from propdesk.domain.commands import ChangePolicy, OwnerContact, RecordGoalBreach
from propdesk.domain.complaint import HANDLING_TIME_LIMIT, Complaint
from propdesk.domain.complaint_authority import COMPLAINT_AUTHORITY, authorise_complaint
from propdesk.domain.complaint_lifecycle import (
    CLOSED_STATES,
    COMPLAINT_LIFECYCLE,
    OPEN_STATES,
    ComplaintState,
    allowed_complaint_commands,
    check_complaint_step,
    complaint_mermaid,
)
from propdesk.domain.complaint_values import (
    ComplaintLiability,
    ComplaintSatisfaction,
    ComplaintSeverity,
)
from propdesk.domain.context import Decision
from propdesk.domain.errors import IllegalStep, InvalidCommand, RuleViolation, UnauthorisedActor
from propdesk.domain.organisation import Organisation
from propdesk.domain.rules import DEFAULT_RULES
from propdesk.domain.values import ContactChannel

if TYPE_CHECKING:
    from collections.abc import Callable

COVERED: set[tuple[str, ComplaintState]] = set()
"""The (trigger, source) pairs the tests below exercise."""


def covers(
    trigger: str, source: ComplaintState
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Declares that the decorated test exercises ``trigger`` leaving ``source``."""
    COVERED.add((trigger, source))

    def declare(test: Callable[..., None]) -> Callable[..., None]:
        return test

    return declare


def sources(trigger: str, *states: ComplaintState) -> list[ComplaintState]:
    """Declares a test parametrized over the states ``trigger`` leaves from; returns them."""
    COVERED.update((trigger, state) for state in states)
    return list(states)


# ---------------------------------------------------------------- C1: receive


@covers("receive", S.NEW)
def test_a_complaint_is_received_with_everything_the_register_asks_for():
    complaint, events = when_received(receive(repair_id=RAISING_REPAIR, immediate_measures="关阀"))

    then(events, Complaint.ComplaintReceived)
    then_recorded(
        events,
        Complaint.ComplaintReceived,
        estate="cuiyuan",
        channel="phone",
        occurred_at=T0 - hours(2),
        place="3栋2单元1201",
        department_complained_about="工程部",
        what_happened="维修师傅比约定时间晚到两小时，且态度生硬",
        demands="要求道歉并减免维修费",
        preferred_reply_time="工作日晚上7点后",
        raised_by_repair=str(RAISING_REPAIR),
        immediate_measures="关阀",
        received_at=None,
    )
    then_state(
        complaint, S.RECEIVED, first_responder="desk-huang", logged_at=T0, handler=None,
        valid=None, policy_name=None, goals={},
    )  # fmt: skip


def test_personal_data_is_kept_only_in_the_personal_data_field():
    complaint, _ = when_received(receive())

    assert complaint.personal_data == {
        "complainant_name": "陈女士",
        "complainant_phone": "13812345678",
        "person_complained_about": "张师傅",
    }
    elsewhere = {k: v for k, v in vars(complaint).items() if k != "personal_data"}
    for value in ("陈女士", "13812345678", "张师傅"):
        assert value not in repr(elsewhere)


def test_a_complaint_naming_nobody_keeps_only_the_complainant_contact():
    complaint, _ = when_received(receive(person_complained_about=None))

    assert set(complaint.personal_data) == {"complainant_name", "complainant_phone"}


def test_a_complaint_received_earlier_records_when_it_reached_the_desk():
    complaint, events = when_received(receive(received_at=T0 - hours(1)))

    then_recorded(events, Complaint.ComplaintReceived, received_at=T0 - hours(1))
    assert complaint.received_at == T0 - hours(1)


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"received_at": T0 + hours(1)}, "received_at cannot be after"),
        ({"occurred_at": T0 + hours(1)}, "occurred_at cannot be after"),
    ],
)
def test_a_complaint_cannot_be_about_the_future(overrides, rule):
    with pytest.raises(RuleViolation, match=rule) as raised:
        when_received(receive(**overrides))
    assert raised.value.state == "NEW"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"occurred_at": T0, "received_at": T0 - hours(1)}, "occurred_at cannot be after"),
        ({"occurred_at": T0.replace(tzinfo=None)}, "occurred_at"),
        ({"what_happened": "  "}, "what_happened"),
        ({"demands": ""}, "demands"),
        ({"complainant": {"name": "陈女士", "phone": "12345"}}, "complainant.phone"),
        ({"channel": "carrier_pigeon"}, "channel"),
    ],
)
def test_a_malformed_complaint_is_an_invalid_command(overrides, problem):
    with pytest.raises(InvalidCommand, match=problem):
        receive(**overrides)


def test_only_the_desk_receives_a_complaint():
    with pytest.raises(UnauthorisedActor, match="needs the role customer_service or notifier"):
        when_received(receive(actor="tech-zhang"))


def test_the_complainant_contact_is_the_repair_owner_contact_type():
    contact = receive().complainant

    assert isinstance(contact, OwnerContact)


# ---------------------------------------------------------------- C2: classify


@covers("classify", S.RECEIVED)
def test_a_valid_complaint_is_graded_and_its_unit_confirmed_by_a_leader():
    complaint = given_state(S.RECEIVED)
    deadline = T0 + timedelta(days=2)
    events = when(
        complaint,
        make(
            cc.ClassifyComplaint, severity="important", urgent=True,
            liability=ComplaintLiability.COMPANY, handling_deadline=deadline,
        ),
    )  # fmt: skip

    then(events, Complaint.ComplaintClassified)
    then_recorded(
        events, Complaint.ComplaintClassified, valid=True, severity="important", urgent=True,
        big_problem=False, complaint_type="service", liability="company",
        responsible_unit="工程部", handling_deadline=deadline, resident_deadline=None,
        confirmed_by="head-qian",
    )  # fmt: skip
    then_state(
        complaint, S.CLASSIFIED, severity="important", urgent=True, valid=True,
        handling_deadline=deadline, confirmed_by="head-qian", classified_at=T0,
    )  # fmt: skip


def test_a_leader_who_classifies_confirms_the_unit_himself():
    complaint = given_state(S.RECEIVED)
    events = when(complaint, make(cc.ClassifyComplaint, actor="head-qian", confirmed_by=None))

    then_recorded(events, Complaint.ComplaintClassified, confirmed_by="head-qian")


def test_customer_service_alone_cannot_fix_the_responsible_unit():
    complaint = given_state(S.RECEIVED)
    error = when_rejected(complaint, make(cc.ClassifyComplaint, confirmed_by=None), RuleViolation)

    assert "cs-he is not a 主管领导" in error.rule
    assert error.state == "RECEIVED"


@pytest.mark.parametrize(
    ("confirmer", "rule"), [("tech-zhang", "not a 主管领导"), ("ghost", "not in")]
)
def test_the_confirmer_must_be_a_leader_of_the_estate(confirmer, rule):
    complaint = given_state(S.RECEIVED)
    error = when_rejected(
        complaint, make(cc.ClassifyComplaint, confirmed_by=confirmer), RuleViolation
    )

    assert rule in error.rule


def test_an_invalid_complaint_is_classified_without_grade_or_unit():
    complaint = given_state(S.RECEIVED)
    events = when(complaint, invalid_classification())

    then_recorded(
        events, Complaint.ComplaintClassified, valid=False, severity=None, urgent=False,
        big_problem=False, responsible_unit=None, confirmed_by=None,
    )  # fmt: skip
    then_state(complaint, S.CLASSIFIED, valid=False)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"severity": None}, "a valid complaint needs severity"),
        ({"responsible_unit": None}, "a valid complaint needs responsible_unit"),
        ({"valid": False}, "is not graded: drop severity, responsible_unit"),
        ({"valid": False, "severity": None, "responsible_unit": None, "urgent": True}, "urgent"),
        ({"severity": "major", "resident_deadline": T0 + hours(5)}, "this one is not minor"),
        ({"severity": "catastrophic"}, "severity"),
    ],
)
def test_a_malformed_classification_is_an_invalid_command(overrides, problem):
    with pytest.raises(InvalidCommand, match=problem):
        make(cc.ClassifyComplaint, **overrides)


@pytest.mark.parametrize("field", ["handling_deadline", "resident_deadline"])
def test_a_deadline_must_be_in_the_future(field):
    complaint = given_state(S.RECEIVED)
    error = when_rejected(complaint, make(cc.ClassifyComplaint, **{field: T0}), RuleViolation)

    assert error.rule == f"{field} must be later than now"


# ---------------------------------------------------------------- C3: route


@covers("route", S.CLASSIFIED)
def test_a_minor_complaint_is_routed_to_its_handler():
    complaint = given_state(S.CLASSIFIED)
    events = when(complaint, make(cc.RouteComplaint, notified=("eng-zhou",), at=T0 + hours(1)))

    then(events, Complaint.ComplaintRouted)
    then_recorded(events, Complaint.ComplaintRouted, to=HANDLER, notified=["eng-zhou"])
    then_state(complaint, S.ROUTED, handler=HANDLER, notified=["eng-zhou"], routed_at=T0 + hours(1))


def test_a_major_complaint_must_reach_the_project_head():
    complaint = given(receive(), make(cc.ClassifyComplaint, severity="major"))
    error = when_rejected(complaint, make(cc.RouteComplaint), RuleViolation)

    assert "项目总" in error.rule
    assert "project_manager" in error.rule
    then_recorded(
        when(complaint, make(cc.RouteComplaint, notified=("pm-li",))),
        Complaint.ComplaintRouted,
        notified=["pm-li"],
    )


@pytest.mark.parametrize(
    ("to", "notified"), [("head-qian", ()), (HANDLER, ("head-an",)), (HANDLER, ("pm-li",))]
)
def test_an_important_complaint_reaches_a_department_head_or_the_project_manager(to, notified):
    complaint = given(receive(), make(cc.ClassifyComplaint, severity="important"))
    events = when(complaint, make(cc.RouteComplaint, to=to, notified=notified))

    then_recorded(events, Complaint.ComplaintRouted, to=to)


def test_an_important_complaint_routed_below_a_department_head_is_refused():
    complaint = given(receive(), make(cc.ClassifyComplaint, severity="important"))
    error = when_rejected(
        complaint, make(cc.RouteComplaint, notified=("office-zhu",)), RuleViolation
    )

    assert "department_head or project_manager" in error.rule


def test_a_shared_fault_calls_a_department_head_to_the_scene():
    shared = make(cc.ClassifyComplaint, liability=ComplaintLiability.SHARED)
    complaint = given(receive(), shared)
    error = when_rejected(complaint, make(cc.RouteComplaint, to="tech-liu"), RuleViolation)

    assert "S1:L415" in error.rule
    events = when(complaint, make(cc.RouteComplaint, to="tech-liu", notified=("head-an",)))
    then_recorded(events, Complaint.ComplaintRouted, to="tech-liu", notified=["head-an"])


def test_an_invalid_complaint_is_not_routed():
    complaint = given(*invalid_path())
    error = when_rejected(complaint, make(cc.RouteComplaint), RuleViolation)

    assert "close_as_invalid" in error.rule


@pytest.mark.parametrize(("field", "value"), [("to", "ghost"), ("notified", ("ghost",))])
def test_a_complaint_is_routed_only_to_people_of_the_estate(field, value):
    complaint = given_state(S.CLASSIFIED)
    error = when_rejected(complaint, make(cc.RouteComplaint, **{field: value}), RuleViolation)

    assert error.rule == f"{field} 'ghost' is not in the estate's organisation"


def test_a_routing_names_each_person_once():
    with pytest.raises(InvalidCommand, match="listed twice: sup-chen"):
        make(cc.RouteComplaint, notified=(HANDLER,))


# ---------------------------------------------------------------- C4: contact


@covers("contact_customer", S.ROUTED)
def test_the_handler_contacts_the_complainant_and_handling_starts():
    complaint = given_state(S.ROUTED)
    events = when(complaint, make(cc.ContactCustomer, channel=ContactChannel.IN_PERSON))

    then_recorded(
        events,
        Complaint.CustomerContacted,
        channel="in_person",
        clarified="已致电业主，了解迟到原因",
    )
    then_state(complaint, S.IN_HANDLING, contacted_at=T0)


def test_only_the_handler_contacts_the_complainant():
    complaint = given_state(S.ROUTED)
    error = when_rejected(complaint, make(cc.ContactCustomer, actor="cs-he"), UnauthorisedActor)

    assert error.reason == "only the complaint's handler (sup-chen) may do this"


# ---------------------------------------------------------------- C5: approve plan


@pytest.mark.parametrize("source", sources("approve_plan", S.IN_HANDLING, S.DEFERRED))
def test_a_leader_approves_the_handler_s_plan_and_the_state_stays(source):
    complaint = given_state(source)
    events = when(complaint, make(cc.ApprovePlan))

    then(events, Complaint.PlanApproved)
    then_recorded(
        events, Complaint.PlanApproved, drawn_up_by=HANDLER, cost=Decimal("80.00"), plan_number=1
    )
    then_state(complaint, source, plans_approved=1, plan_cost=Decimal("80.00"))
    then_recorded(
        when(complaint, make(cc.ApprovePlan, cost=None, drawn_up_by="cs-he")),
        Complaint.PlanApproved,
        plan_number=2,
        drawn_up_by="cs-he",
    )


def test_a_leader_does_not_approve_his_own_plan():
    complaint = given_state(S.IN_HANDLING)
    error = when_rejected(complaint, make(cc.ApprovePlan, drawn_up_by="pm-li"), RuleViolation)

    assert error.rule == "pm-li drew up the plan; another leader must approve it (§7.2)"


def test_the_handler_cannot_approve_a_plan():
    complaint = given_state(S.IN_HANDLING)
    error = when_rejected(complaint, make(cc.ApprovePlan, actor=HANDLER), UnauthorisedActor)

    assert "department_head or office_head or project_manager" in error.reason


def test_a_plan_cannot_cost_less_than_nothing():
    with pytest.raises(InvalidCommand, match="cost"):
        make(cc.ApprovePlan, cost=Decimal(-1))


# ---------------------------------------------------------------- C6: answer


@pytest.mark.parametrize(
    "source", sources("give_answer", S.CLASSIFIED, S.ROUTED, S.IN_HANDLING, S.DEFERRED)
)
def test_an_answer_is_recorded_and_the_state_stays(source):
    complaint = given_state(source)
    events = when(complaint, make(cc.GiveAnswer, actor="cs-he", at=T0 + hours(3)))

    then(events, Complaint.AnswerGiven)
    then_recorded(events, Complaint.AnswerGiven, channel="phone", answer_number=1)
    then_state(complaint, source, answered_at=T0 + hours(3), answer_count=1)


def test_the_handler_may_answer_once_the_complaint_is_routed_to_him():
    classified = given_state(S.CLASSIFIED)
    when_rejected(classified, make(cc.GiveAnswer), UnauthorisedActor)

    routed = given_state(S.ROUTED)
    then(when(routed, make(cc.GiveAnswer)), Complaint.AnswerGiven)


# ---------------------------------------------------------------- C7: defer


@pytest.mark.parametrize("source", sources("defer", S.IN_HANDLING, S.DEFERRED))
def test_a_deferral_agrees_an_expected_date_with_the_complainant(source):
    complaint = given_state(source)
    expected = T0 + timedelta(days=5)
    events = when(complaint, make(cc.DeferComplaint, expected_date=expected))

    then_recorded(
        events, Complaint.DeferredWithExpectedDate, expected_date=expected,
        customer_understanding=True, reported_to="eng-zhou",
        deferral_number=2 if source is S.DEFERRED else 1,
    )  # fmt: skip
    then_state(complaint, S.DEFERRED, expected_date=expected)


def test_the_expected_date_must_be_later_than_now():
    complaint = given_state(S.IN_HANDLING)
    error = when_rejected(complaint, make(cc.DeferComplaint, expected_date=T0), RuleViolation)

    assert "预计解决日期" in error.rule


def test_a_deferral_is_reported_to_someone_else():
    complaint = given_state(S.IN_HANDLING)
    error = when_rejected(complaint, make(cc.DeferComplaint, reported_to=HANDLER), RuleViolation)

    assert "上级" in error.rule


def test_a_deferral_needs_the_complainant_s_understanding():
    with pytest.raises(InvalidCommand, match="customer_understanding"):
        make(cc.DeferComplaint, customer_understanding=False)


# ---------------------------------------------------------------- C8: resolve


@pytest.mark.parametrize("source", sources("resolve", S.IN_HANDLING, S.DEFERRED))
def test_an_answered_complaint_is_resolved_and_the_receiver_told(source):
    complaint = given(*path_to(source), make(cc.GiveAnswer))
    events = when(complaint, make(cc.ResolveComplaint, at=T0 + hours(4)))

    then(events, Complaint.ComplaintResolved)
    then_recorded(events, Complaint.ComplaintResolved, receiver="desk-huang")
    then_state(complaint, S.RESOLVED, resolved_at=T0 + hours(4))


def test_a_complaint_is_not_resolved_before_it_is_answered():
    complaint = given_state(S.IN_HANDLING)
    error = when_rejected(complaint, make(cc.ResolveComplaint), RuleViolation)

    assert error.rule.startswith("give_answer first")


def test_the_receiver_told_is_a_person_of_the_estate():
    complaint = given(*path_to(S.IN_HANDLING), make(cc.GiveAnswer))
    error = when_rejected(complaint, make(cc.ResolveComplaint, receiver="ghost"), RuleViolation)

    assert "receiver 'ghost'" in error.rule


# ---------------------------------------------------------------- C9: report the result


@covers("report_result", S.RESOLVED)
@pytest.mark.parametrize(("later", "same_day"), [(hours(6), True), (hours(16), False)])
def test_the_result_is_reported_and_whether_it_was_the_same_day(later, same_day):
    complaint = given_state(S.RESOLVED)
    events = when(complaint, make(cc.ReportResult, channel=ContactChannel.IN_PERSON, at=T0 + later))

    then_recorded(
        events, Complaint.ResultReportedToComplainant, channel="in_person", same_day=same_day
    )
    then_state(complaint, S.RESULT_NOTIFIED, result_reported_at=T0 + later)


def test_the_result_is_told_by_phone_or_in_person_only():
    with pytest.raises(InvalidCommand, match="channel"):
        make(cc.ReportResult, channel=ContactChannel.SMS)


# ---------------------------------------------------------------- C10: close or reopen


@covers("close", S.RESULT_NOTIFIED)
def test_a_complaint_the_complainant_confirms_solved_is_closed():
    complaint = given_state(S.RESULT_NOTIFIED)
    events = when(complaint, make(cc.ConfirmResolution, at=T0 + hours(8)))

    then(events, Complaint.ComplaintClosed)
    then_recorded(
        events, Complaint.ComplaintClosed, invalid=False, satisfaction="satisfied",
        correction_effect="此后派工均提前确认到达时间", help_offered=None,
    )  # fmt: skip
    then_state(complaint, S.CLOSED, satisfaction="satisfied", closed_at=T0 + hours(8))


@covers("reopen", S.RESULT_NOTIFIED)
def test_a_complaint_not_solved_goes_back_to_handling_and_can_be_resolved_again():
    complaint = given_state(S.RESULT_NOTIFIED)
    unsolved = make(
        cc.ConfirmResolution, solved=False, satisfaction=ComplaintSatisfaction.UNSATISFIED,
        problem="费用还未退回",
    )  # fmt: skip
    events = when(complaint, unsolved)

    then_recorded(
        events, Complaint.ComplaintReopened, problem="费用还未退回", satisfaction="unsatisfied",
        reopen_number=1,
    )  # fmt: skip
    then_state(complaint, S.IN_HANDLING, reopen_count=1, satisfaction="unsatisfied")
    when(complaint, make(cc.ResolveComplaint, outcome="已退回维修费"))
    when(complaint, make(cc.ReportResult))
    when(complaint, make(cc.ConfirmResolution))
    then_state(complaint, S.CLOSED, reopen_count=1, satisfaction="satisfied")


def test_an_unsolved_complaint_must_say_what_is_still_wrong():
    with pytest.raises(InvalidCommand, match="what the problem still is"):
        make(cc.ConfirmResolution, solved=False)


# ---------------------------------------------------------------- C11: escalate overdue

_LATE = T0 + hours(25)
"""A day and an hour after receipt: the 24-hour reply (T33) has run out."""


def _overdue_in(state: ComplaintState) -> tuple[Complaint, str]:
    """A complaint on the SLA clock in ``state`` with an overdue goal, and that goal."""
    if state is S.RESOLVED:
        return given_state(state, sla=True), "result_same_day"
    if state is S.RESULT_NOTIFIED:
        late_report = make(cc.ReportResult, at=T0 + hours(20))
        return given(*path_to(S.RESOLVED), late_report, sla=True), "result_same_day"
    return given_state(state, sla=True), "complaint_reply"


@pytest.mark.parametrize("source", sources("escalate_overdue", *OPEN_STATES))
def test_an_overdue_complaint_is_passed_to_the_office_head_in_any_open_state(source):
    complaint, goal = _overdue_in(source)
    due = complaint.goals[goal]["due_at"]
    events = when(complaint, make(cc.EscalateOverdue, goal=goal, at=_LATE), sla=True)

    then(events, Complaint.OverdueEscalated)
    then_recorded(events, Complaint.OverdueEscalated, to="office-zhu", reason=goal, due_at=due)
    then_state(complaint, source, overdue_escalations=[goal], escalated_to="office-zhu")


def test_a_repeated_escalation_for_the_same_goal_is_a_no_op():
    complaint = given(receive(), make(cc.EscalateOverdue, at=_LATE), sla=True)

    assert when(complaint, make(cc.EscalateOverdue, at=_LATE + hours(1)), sla=True) == []
    assert complaint.overdue_escalations == ["complaint_reply"]


def test_a_goal_breach_already_recorded_counts_as_overdue():
    breach = RecordGoalBreach(
        ticket_id=UUID(int=1), actor="sla-monitor", goal="complaint_reply",
        due_at=T0 + hours(24), at=_LATE,
    )  # fmt: skip
    complaint = given(receive(), breach, sla=True)
    events = when(complaint, make(cc.EscalateOverdue, at=_LATE), sla=True)

    then(events, Complaint.OverdueEscalated)


@pytest.mark.parametrize(
    ("steps", "goal", "rule"),
    [
        ((), "complaint_reply", "complaint_reply is running, due 2026-11-24T09:00:00+08:00"),
        ((), "major_answer", "the complaint has no goal major_answer"),
        (
            (make(cc.ClassifyComplaint), make(cc.GiveAnswer, actor="cs-he")),
            "complaint_reply",
            "complaint_reply is met",
        ),
    ],
)
def test_nothing_is_escalated_that_is_not_overdue(steps, goal, rule):
    complaint = given(receive(), *steps, sla=True)
    error = when_rejected(
        complaint, make(cc.EscalateOverdue, goal=goal, at=T0 + hours(2)), RuleViolation, sla=True
    )

    assert error.rule.startswith(rule)


def test_the_handling_time_limit_set_at_classification_is_escalated_when_passed():
    limit = T0 + hours(2)
    complaint = given(receive(), make(cc.ClassifyComplaint, handling_deadline=limit))
    early = when_rejected(
        complaint, make(cc.EscalateOverdue, goal=None, at=T0 + hours(1)), RuleViolation
    )
    events = when(complaint, make(cc.EscalateOverdue, goal=None, at=T0 + hours(3)))

    assert early.rule == f"the handling time limit is {limit.isoformat()}"
    then_recorded(events, Complaint.OverdueEscalated, reason=HANDLING_TIME_LIMIT, due_at=limit)


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        (path_to(S.ROUTED), "no handling time limit (处理时限) was set at C2"),
        (
            (
                receive(),
                make(cc.ClassifyComplaint, handling_deadline=T0 + hours(2)),
                *path_to(S.RESOLVED)[2:],
            ),
            "the complaint is resolved; its time limit is kept",
        ),
    ],
)
def test_a_handling_time_limit_not_set_or_kept_is_not_escalated(path, rule):
    complaint = given(*path)
    error = when_rejected(
        complaint, make(cc.EscalateOverdue, goal=None, at=T0 + hours(5)), RuleViolation
    )

    assert error.rule == rule


@pytest.mark.parametrize(
    ("to", "rule"),
    [("pm-li", "pm-li is not a 管理处主任"), ("ghost", "to 'ghost' is not in the estate's")],
)
def test_an_overdue_complaint_goes_to_an_office_head_only(to, rule):
    complaint = given(receive(), sla=True)
    error = when_rejected(
        complaint, make(cc.EscalateOverdue, to=to, at=_LATE), RuleViolation, sla=True
    )

    assert rule in error.rule


def test_an_estate_without_an_office_head_cannot_escalate():
    people = [p for p in ORG.people if p.id != "office-zhu"]
    headless = Organisation(estate=ORG.estate, name=ORG.name, people=tuple(people))
    complaint = given(receive(), organisation=headless, sla=True)
    error = when_rejected(
        complaint,
        make(cc.EscalateOverdue, at=_LATE),
        RuleViolation,
        organisation=headless,
        sla=True,
    )

    assert error.rule == "the estate has no office head (管理处主任)"


# ---------------------------------------------------------------- C12: close as invalid


@covers("close_as_invalid", S.CLASSIFIED)
def test_an_invalid_complaint_is_closed_once_answered_with_help_offered():
    complaint = given(*invalid_path(), make(cc.GiveAnswer, actor="cs-he"))
    events = when(complaint, make(cc.CloseAsInvalid, remarks="已告知燃气公司电话"))

    then(events, Complaint.ComplaintClosed)
    then_recorded(
        events, Complaint.ComplaintClosed, invalid=True, satisfaction=None,
        help_offered="协助业主联系燃气公司", remarks="已告知燃气公司电话",
    )  # fmt: skip
    then_state(complaint, S.CLOSED_INVALID, help_offered="协助业主联系燃气公司", closed_at=T0)


def test_an_invalid_complaint_still_gets_an_answer_before_it_closes():
    complaint = given(*invalid_path())
    error = when_rejected(complaint, make(cc.CloseAsInvalid), RuleViolation)

    assert error.rule.startswith("give_answer first")


def test_a_valid_complaint_is_not_closed_as_invalid():
    complaint = given_state(S.CLASSIFIED)
    error = when_rejected(complaint, make(cc.CloseAsInvalid), RuleViolation)

    assert error.rule == "the complaint was classified valid; route it"


# ---------------------------------------------------------------- R8: link a repair


@pytest.mark.parametrize("source", sources("link_repair", *OPEN_STATES))
def test_a_repair_is_linked_in_any_open_state(source):
    complaint = given_state(source)
    events = when(complaint, make(cc.LinkRepair))

    then_recorded(events, Complaint.RepairLinked, repair_id=str(UUID(int=77)), note="需返修")
    then_state(complaint, source, linked_repairs=[str(UUID(int=77))])


@pytest.mark.parametrize("repair", [UUID(int=77), RAISING_REPAIR])
def test_a_repair_is_linked_once(repair):
    complaint = given(receive(repair_id=RAISING_REPAIR), make(cc.LinkRepair))
    error = when_rejected(complaint, make(cc.LinkRepair, repair_id=repair), RuleViolation)

    assert error.rule == f"repair {repair} is already linked to the complaint"


# ---------------------------------------------------------------- any step


def test_a_step_cannot_happen_before_the_last_one():
    complaint = given(receive(), make(cc.ClassifyComplaint, at=T0 + hours(1)))
    error = when_rejected(complaint, make(cc.RouteComplaint, at=T0), RuleViolation)

    assert "a step cannot happen before it" in error.rule


@pytest.mark.parametrize("state", [s for s in ComplaintState if s is not S.NEW])
def test_every_command_not_allowed_in_a_state_is_an_illegal_step(state):
    allowed = allowed_complaint_commands(state)
    refused = [command for command in COMMANDS if command.step not in allowed]
    assert refused, f"every command is allowed in {state}"
    for command_class in refused:
        complaint = given_state(state)
        error = when_rejected(complaint, make(command_class), IllegalStep)
        assert (error.step, error.state, error.allowed) == (command_class.step, state, allowed)
        assert f"cannot {command_class.step} a ticket in state {state}" in str(error)


def test_a_closed_complaint_allows_no_complaint_step():
    for state in CLOSED_STATES:
        assert allowed_complaint_commands(state) == ()
    with pytest.raises(IllegalStep, match=r"none \(the ticket is closed\)"):
        check_complaint_step("link_repair", S.CLOSED)


@pytest.mark.parametrize("state", sorted(CLOSED_STATES))
def test_a_closed_complaint_still_takes_the_ticket_wide_steps(state):
    complaint = given_state(state, sla=True)
    met = RecordGoalBreach(
        ticket_id=UUID(int=1), actor="sla-monitor", goal="complaint_reply",
        due_at=complaint.goals["complaint_reply"]["due_at"], at=T0 + hours(30),
    )  # fmt: skip
    assert when(complaint, met, sla=True) == []  # answered in time: the breach is a no-op

    revised = default_policy().model_copy(update={"version": 2})
    change = ChangePolicy(
        ticket_id=UUID(int=1), actor="pm-li", policy="seeds", version=2, reason="修订时限"
    )
    pm = ORG.person("pm-li")
    assert pm is not None
    complaint.change_policy(
        change,
        Decision(
            actor=pm, at=T0 + hours(31), command_id="change", organisation=ORG,
            rules=DEFAULT_RULES, policy=revised, calendar=china_calendar(),
        ),
    )  # fmt: skip

    then(complaint.collect_events(), Complaint.PolicyPinned)  # type: ignore[arg-type]
    assert (complaint.state, complaint.policy_version) == (state, 2)


def test_the_lifecycle_reaches_the_state_each_step_names():
    for step in COMPLAINT_LIFECYCLE:
        for source in step.sources:
            assert check_complaint_step(step.trigger, source) is (step.dest or source)


def test_every_transition_of_the_table_has_a_test():
    table = {(step.trigger, source) for step in COMPLAINT_LIFECYCLE for source in step.sources}

    assert table - COVERED == set()
    assert COVERED - table == set()


def test_the_diagram_shows_every_transition():
    diagram = complaint_mermaid()

    assert diagram.startswith("stateDiagram-v2\n    [*] --> RECEIVED: receive\n")
    assert "    RESULT_NOTIFIED --> IN_HANDLING: reopen\n" in diagram
    assert "    DEFERRED --> DEFERRED: give_answer\n" in diagram
    assert diagram.endswith("    CLOSED --> [*]\n    CLOSED_INVALID --> [*]\n")


# ---------------------------------------------------------------- who may act (§3.2, §7.2)

DESK = frozenset({"desk-huang", "night-xu", "cs-he", "cs-lin"})
CUSTOMER_SERVICE = frozenset({"desk-huang", "cs-he", "cs-lin"})
LEADERS = frozenset({"head-qian", "head-an", "pm-li", "office-zhu"})
THE_HANDLER = frozenset({HANDLER})

EXPECTED_ACTORS: dict[str, frozenset[str]] = {
    "log_complaint": DESK,  # C1: 投诉接待人; 客服人员; 投诉处理岗; 前台
    "classify_complaint": CUSTOMER_SERVICE | LEADERS,  # C2: CS / 投诉处理岗 / 主管领导
    "route_complaint": DESK,  # C3: 客服部 归口
    "contact_customer": THE_HANDLER,  # C4: 相关部门直接责任人
    "approve_plan": LEADERS,  # C5: 报请领导审批
    "give_answer": CUSTOMER_SERVICE | THE_HANDLER,  # C6: handler / CS
    "defer_complaint": THE_HANDLER,  # C7: handler
    "resolve_complaint": THE_HANDLER,  # C8: handler
    "report_result": DESK,  # C9: 投诉接待人 / 客服部
    "confirm_resolution": DESK,  # C10: 客服人员; 前台
    "escalate_overdue": CUSTOMER_SERVICE | {"sla-monitor"},  # C11: 客户服务中心管理员
    "close_as_invalid": CUSTOMER_SERVICE,  # C12: CS
    "link_repair": DESK | THE_HANDLER,
}


def test_every_complaint_command_has_a_written_out_expectation():
    assert set(EXPECTED_ACTORS) == set(COMPLAINT_AUTHORITY)
    assert {command.step for command in cc.COMPLAINT_COMMANDS} == set(COMPLAINT_AUTHORITY)


@pytest.mark.parametrize("command", sorted(EXPECTED_ACTORS))
def test_exactly_the_people_the_seeds_name_may_take_each_step(command):
    allowed = set()
    for person in ORG.people:
        try:
            authorise_complaint(command, person, HANDLER)
        except UnauthorisedActor:
            continue
        allowed.add(person.id)

    assert allowed == EXPECTED_ACTORS[command]


@pytest.mark.parametrize(
    ("command", "actor", "state"),
    [
        (make(cc.ClassifyComplaint, actor="tech-zhang"), "tech-zhang", S.RECEIVED),
        (make(cc.RouteComplaint, actor="head-qian"), "head-qian", S.CLASSIFIED),
        (make(cc.DeferComplaint, actor="cs-he"), "cs-he", S.IN_HANDLING),
        (make(cc.ReportResult, actor=HANDLER), HANDLER, S.RESOLVED),
        (make(cc.CloseAsInvalid, actor="night-xu"), "night-xu", S.CLASSIFIED),
        (make(cc.EscalateOverdue, actor="tech-zhang"), "tech-zhang", S.ROUTED),
    ],
)
def test_a_step_by_someone_not_entitled_is_refused_and_changes_nothing(command, actor, state):
    complaint = given_state(state)
    error = when_rejected(complaint, command, UnauthorisedActor)

    assert (error.actor, error.step) == (actor, command.step)


def test_a_handler_step_before_routing_names_nobody_as_handler():
    handler = ORG.person(HANDLER)
    assert handler is not None
    with pytest.raises(UnauthorisedActor) as raised:
        authorise_complaint("resolve_complaint", handler, None)

    assert raised.value.reason == "only the complaint's handler (nobody yet) may do this"


def test_severity_values_are_the_ones_the_policy_tests():
    assert [s.value for s in ComplaintSeverity] == ["major", "important", "minor"]
