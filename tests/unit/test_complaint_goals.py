"""The SLA clock on complaints: the seeds' complaint time limits (T33–T46) as the domain runs them.

Pure domain with the default policy and China's working calendar (``sla=True``): each step's
events start and stop the goals the policy names, with due times decided once and stored on
the goal events. Dates are chosen so that a calendar error shows: a weekend, the 2026
Mid-Autumn Festival and National Day holidays, and their make-up working days (调休).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from complaint_helpers import (
    T0,
    S,
    given,
    hours,
    make,
    path_to,
    receive,
    then,
    then_recorded,
    when,
    when_received,
)

from propdesk.domain import complaint_commands as cc
from propdesk.domain.complaint import Complaint
from propdesk.domain.goals import GoalStatus
from propdesk.testing import SHANGHAI

if TYPE_CHECKING:
    from collections.abc import Sequence


def _at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _started(events: Sequence[Complaint.Event]) -> dict[str, datetime]:
    """The goals the events started, with their due times."""
    return {
        event.goal: event.due_at  # type: ignore[attr-defined]
        for event in events
        if isinstance(event, Complaint.GoalStarted)
    }


def _stopped(events: Sequence[Complaint.Event]) -> dict[str, tuple[bool, int]]:
    """The goals the events stopped: whether each was met, and how many minutes late."""
    return {
        event.goal: (event.met, event.late_by_minutes)  # type: ignore[attr-defined]
        for event in events
        if isinstance(event, Complaint.GoalStopped)
    }


def _classified(severity: str | None = "minor", **fields: object) -> cc.ClassifyComplaint:
    return make(cc.ClassifyComplaint, severity=severity, **fields)


# ---------------------------------------------------------------- on receipt: T33, T34


def test_a_received_complaint_is_pinned_and_owes_a_reply_and_a_solution():
    complaint, events = when_received(receive(), sla=True)

    then(
        events, Complaint.ComplaintReceived, Complaint.PolicyPinned, Complaint.GoalStarted,
        Complaint.GoalStarted,
    )  # fmt: skip
    then_recorded(events, Complaint.PolicyPinned, policy="seeds", version=1, reason="logged")
    # Monday 09:00: the reply 24 hours later; the solution at close of business on the
    # third working day after the day of receipt (Thursday).
    assert _started(events) == {
        "complaint_reply": T0 + hours(24),
        "complaint_solution": _at(11, 26, 18),
    }
    assert complaint.goals["complaint_reply"]["status"] == GoalStatus.RUNNING


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Thursday: Friday, then the weekend passes, Monday, Tuesday.
        (_at(11, 26, 10), _at(12, 1, 18)),
        # Friday 18 September: Saturday is off, Sunday the 20th is a make-up working day (调休)
        # for Mid-Autumn, then Monday and Tuesday.
        (_at(9, 18, 16), _at(9, 22, 18)),
        # Wednesday 30 September: 1–7 October are National Day holidays; Thursday the 8th,
        # Friday the 9th, and the make-up Saturday the 10th.
        (_at(9, 30, 16), _at(10, 10, 18)),
        # Thursday 24 September, late: Friday the 25th is Mid-Autumn, then the weekend, and
        # Monday 28 to Wednesday 30.
        (_at(9, 24, 17, 55), _at(9, 30, 18)),
    ],
)
def test_the_solution_is_due_at_close_of_business_on_the_third_working_day(received, due):
    _, events = when_received(receive(at=received), sla=True)

    assert _started(events)["complaint_solution"] == due


def test_a_complaint_received_earlier_is_still_timed_from_when_it_is_recorded():
    _, events = when_received(receive(received_at=T0 - hours(1)), sla=True)

    assert _started(events)["complaint_reply"] == T0 + hours(24)


# ---------------------------------------------------------------- on classification: T35–T46


def test_a_major_complaint_owes_the_project_head_today_an_answer_in_2_days_and_10_to_resolve():
    complaint = given(receive(), sla=True)
    events = when(complaint, _classified("major", at=T0 + hours(2)), sla=True)

    assert _started(events) == {
        "major_to_project_head": _at(11, 24, 0),
        "major_answer": T0 + hours(2) + timedelta(days=2),
        "major_resolved": T0 + hours(2) + timedelta(days=10),
    }


def test_an_important_urgent_complaint_owes_an_hour_and_five_minutes():
    complaint = given(receive(), sla=True)
    events = when(complaint, _classified("important", urgent=True), sla=True)

    assert _started(events) == {
        "important_to_department_head": T0 + hours(1),
        "important_handled": T0 + timedelta(days=3),
        "urgent_to_specialty": T0 + timedelta(minutes=5),
    }


def test_a_big_problem_owes_a_reply_in_3_days_and_handling_in_5():
    complaint = given(receive(), sla=True)
    events = when(complaint, _classified(big_problem=True), sla=True)

    assert _started(events) == {
        "minor_resolved": T0 + timedelta(days=2),
        "big_problem_reply": T0 + timedelta(days=3),
        "big_problem_handled": T0 + timedelta(days=5),
    }


@pytest.mark.parametrize(
    ("deadline", "due"),
    [
        (T0 + hours(30), T0 + hours(30)),  # the resident's own deadline is earlier: it wins
        (T0 + timedelta(days=4), T0 + timedelta(days=2)),  # later: the 2 days hold
        (None, T0 + timedelta(days=2)),
    ],
)
def test_a_minor_complaint_is_due_in_2_days_or_by_the_resident_s_earlier_deadline(deadline, due):
    complaint = given(receive(), sla=True)
    events = when(complaint, _classified(resident_deadline=deadline), sla=True)

    assert _started(events) == {"minor_resolved": due}


def test_an_invalid_complaint_starts_no_severity_goal():
    complaint = given(receive(), sla=True)
    events = when(
        complaint,
        make(cc.ClassifyComplaint, valid=False, severity=None, responsible_unit=None),
        sla=True,
    )

    then(events, Complaint.ComplaintClassified)


# ---------------------------------------------------------------- routing stops T35, T38, T42


@pytest.mark.parametrize(
    ("routed_after", "met", "late"),
    [(timedelta(minutes=59), True, 0), (timedelta(minutes=90), False, 30)],
)
def test_routing_an_important_complaint_meets_or_misses_its_hour(routed_after, met, late):
    complaint = given(receive(), _classified("important"), sla=True)
    routing = make(cc.RouteComplaint, to="head-qian", at=T0 + routed_after)
    events = when(complaint, routing, sla=True)

    assert _stopped(events) == {"important_to_department_head": (met, late)}
    status = GoalStatus.MET if met else GoalStatus.MISSED
    assert complaint.goals["important_to_department_head"]["status"] == status
    assert complaint.goals["important_handled"]["status"] == GoalStatus.RUNNING


def test_a_major_complaint_routed_after_midnight_missed_the_same_day():
    complaint = given(receive(at=_at(11, 23, 22)), _classified("major"), sla=True)
    routing = make(cc.RouteComplaint, notified=("pm-li",), at=_at(11, 24, 0, 20))
    events = when(complaint, routing, sla=True)

    assert _stopped(events) == {"major_to_project_head": (False, 20)}


def test_an_urgent_complaint_routed_within_five_minutes_meets_both_routing_goals():
    complaint = given(receive(), _classified("important", urgent=True), sla=True)
    routing = make(cc.RouteComplaint, to="head-qian", at=T0 + timedelta(minutes=4))
    events = when(complaint, routing, sla=True)

    assert _stopped(events) == {
        "important_to_department_head": (True, 0),
        "urgent_to_specialty": (True, 0),
    }


# ---------------------------------------------------------------- answers, plans, resolution


def test_an_answer_meets_the_reply_goals_it_is_in_time_for():
    major = _classified("major", big_problem=True)
    complaint = given(receive(), major, make(cc.RouteComplaint, notified=("pm-li",)), sla=True)
    events = when(complaint, make(cc.GiveAnswer, at=T0 + hours(30)), sla=True)

    assert _stopped(events) == {
        "complaint_reply": (False, 6 * 60),
        "major_answer": (True, 0),
        "big_problem_reply": (True, 0),
    }


def test_a_second_answer_stops_nothing():
    complaint = given(*path_to(S.ROUTED), make(cc.GiveAnswer), sla=True)
    events = when(complaint, make(cc.GiveAnswer), sla=True)

    then(events, Complaint.AnswerGiven)


def test_an_approved_plan_gives_the_solution_in_time():
    complaint = given(*path_to(S.IN_HANDLING), sla=True)
    events = when(complaint, make(cc.ApprovePlan, at=_at(11, 26, 17)), sla=True)

    assert _stopped(events) == {"complaint_solution": (True, 0)}


def test_resolving_meets_the_resolution_goals_and_starts_the_same_day_result():
    complaint = given(*path_to(S.IN_HANDLING), make(cc.GiveAnswer), sla=True)
    events = when(complaint, make(cc.ResolveComplaint, at=_at(11, 25, 10)), sla=True)

    # The solution was due Thursday 18:00; the minor complaint's 2 days ran out Wednesday 09:00.
    assert _stopped(events) == {"complaint_solution": (True, 0), "minor_resolved": (False, 60)}
    assert _started(events) == {"result_same_day": _at(11, 26, 0)}


@pytest.mark.parametrize(
    ("reported", "met", "late", "same_day"),
    [(_at(11, 25, 23, 59), True, 0, True), (_at(11, 26, 9), False, 9 * 60, False)],
)
def test_the_result_is_told_the_day_the_complaint_is_resolved(reported, met, late, same_day):
    steps = (make(cc.GiveAnswer), make(cc.ResolveComplaint, at=_at(11, 25, 10)))
    complaint = given(*path_to(S.IN_HANDLING), *steps, sla=True)
    events = when(complaint, make(cc.ReportResult, at=reported), sla=True)

    assert _stopped(events) == {"result_same_day": (met, late)}
    then_recorded(events, Complaint.ResultReportedToComplainant, same_day=same_day)


def test_a_reopened_complaint_resolved_again_starts_a_new_result_run():
    unsolved = make(
        cc.ConfirmResolution, solved=False, satisfaction="unsatisfied", problem="未退费"
    )
    complaint = given(*path_to(S.RESULT_NOTIFIED), unsolved, sla=True)
    events = when(complaint, make(cc.ResolveComplaint, at=T0 + hours(5)), sla=True)

    assert _started(events) == {"result_same_day": _at(11, 24, 0)}
    assert complaint.goals["result_same_day"]["run"] == 2


def test_a_complaint_decided_without_a_policy_runs_no_clock():
    complaint, events = when_received(receive())

    then(events, Complaint.ComplaintReceived)
    assert (complaint.policy_name, complaint.goals) == (None, {})
