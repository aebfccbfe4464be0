"""The demo's complaints (投诉) take every path of the complaint lifecycle, through the desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from propdesk import ComplaintState, ComplaintView, ConfigurationError, Organisation
from propdesk.cli.report import summarise
from propdesk.demo import DemoRun, DemoSettings, demo_clock, simulate
from propdesk.demo.cast import Cast
from propdesk.demo.complaint_cast import ComplaintCast
from propdesk.demo.complaint_plans import ComplaintTwist, deal_complaints
from propdesk.demo.plans import deal_plans
from propdesk.testing import in_memory_desk, sample_organisation

if TYPE_CHECKING:
    from uuid import UUID

    from propdesk import Desk, HistoryEntry

SETTINGS = DemoSettings(repairs=40, complaints=20, seed=7, follow_up_days=4)
"""Enough complaints for every twist, and days enough for most of them to close."""


@dataclass(frozen=True)
class Complaints:
    desk: Desk
    run: DemoRun
    views: dict[UUID, ComplaintView]
    histories: dict[UUID, tuple[HistoryEntry, ...]]

    def with_event(self, name: str) -> list[ComplaintView]:
        return [self.views[t] for t, history in self.histories.items() if _has(history, name)]

    def events(self, ticket: UUID, name: str) -> list[HistoryEntry]:
        return [e for e in self.histories[ticket] if e.event == name]


def _has(history: tuple[HistoryEntry, ...], name: str) -> bool:
    return any(entry.event == name for entry in history)


def simulate_complaints(settings: DemoSettings) -> Complaints:
    organisation = sample_organisation()
    clock = demo_clock(organisation, settings.day)
    desk = in_memory_desk(clock=clock)
    run = simulate(desk, clock, organisation, settings)
    views: dict[UUID, ComplaintView] = {}
    for ticket in run.complaints:
        view = desk.view(ticket)
        assert isinstance(view, ComplaintView)
        views[ticket] = view
    histories = {ticket: desk.history(ticket) for ticket in run.complaints}
    return Complaints(desk, run, views, histories)


@pytest.fixture(scope="module")
def day() -> Complaints:
    return simulate_complaints(SETTINGS)


def test_every_twist_is_dealt_when_there_are_enough_complaints():
    organisation = sample_organisation()
    cast = Cast.of(organisation)
    start = demo_clock(organisation).now()
    repairs = deal_plans(SETTINGS, cast, start)

    plans = deal_complaints(SETTINGS, ComplaintCast.of(cast), start, repairs)

    assert {plan.twist for plan in plans} == set(ComplaintTwist)
    assert [plan.arrival for plan in plans] == sorted(plan.arrival for plan in plans)
    assert all(start < plan.arrival < start + timedelta(days=1) for plan in plans)


def test_complaints_are_received_by_the_desk_on_their_day(day):
    assert list(day.run.complaints) == list(day.desk.ticket_ids(kind="complaint"))
    assert len(day.views) == 20
    zone = day.run.day_start.tzinfo
    for view in day.views.values():
        assert view.logged_at.astimezone(zone).date() == SETTINGS.day
        assert view.first_responder in {"desk-huang", "night-xu"}
        assert view.occurred_at <= view.logged_at
        assert view.policy == "seeds v1"


def test_complaints_are_graded_by_severity_and_most_close_satisfied(day):
    severities = {view.severity for view in day.views.values()}
    assert severities == {"major", "important", "minor", None}
    assert any(view.urgent for view in day.views.values())
    assert any(view.big_problem for view in day.views.values())
    closed = [v for v in day.views.values() if v.state is ComplaintState.CLOSED]
    assert len(closed) >= len(day.views) / 2
    assert {v.satisfaction for v in closed} <= {"satisfied", "basically_satisfied"}


def test_a_major_complaint_reaches_the_project_head_who_approves_its_plan(day):
    major = [v for v in day.views.values() if v.severity == "major"]
    assert major
    for view in major:
        assert "pm-li" in (view.handler, *view.notified)
        for approval in day.events(view.ticket_id, "PlanApproved"):
            assert approval.actor == "pm-li"


def test_an_invalid_complaint_is_answered_and_closed_invalid(day):
    invalid = [v for v in day.views.values() if v.valid is False]
    assert invalid
    for view in invalid:
        assert view.state is ComplaintState.CLOSED_INVALID
        events = [e.event for e in day.histories[view.ticket_id]]
        assert events.index("AnswerGiven") < events.index("ComplaintClosed")
        assert "ComplaintRouted" not in events


def test_a_deferred_complaint_agrees_an_expected_date_with_the_resident(day):
    deferred = day.with_event("DeferredWithExpectedDate")
    assert deferred
    for view in deferred:
        [deferral] = day.events(view.ticket_id, "DeferredWithExpectedDate")
        assert deferral.payload["customer_understanding"] is True
        assert deferral.payload["expected_date"] > deferral.at + timedelta(days=2)
        assert deferral.payload["reported_to"] != deferral.actor


def test_a_reopened_complaint_was_reopened_once_and_handled_again(day):
    reopened = day.with_event("ComplaintReopened")
    assert reopened
    for view in reopened:
        assert view.reopen_count == 1
        events = [e.event for e in day.histories[view.ticket_id]]
        after = events[events.index("ComplaintReopened") :]
        assert "ComplaintResolved" in after
        assert events.count("ComplaintResolved") == 2


def test_an_overdue_complaint_is_escalated_to_the_office_head_after_its_time_limit(day):
    overdue = day.with_event("OverdueEscalated")
    assert overdue
    for view in overdue:
        [escalation] = day.events(view.ticket_id, "OverdueEscalated")
        assert view.handling_deadline is not None
        assert escalation.at >= view.handling_deadline
        assert view.escalated_to == "office-zhu"
        assert view.resolved_at is None or view.resolved_at > escalation.at


def test_a_complaint_about_a_repair_is_linked_to_one_of_the_days_repairs(day):
    linked = [v for v in day.views.values() if v.linked_repairs]
    assert linked
    for view in linked:
        [repair_id] = view.linked_repairs
        repair = next(t for t in day.run.tickets if str(t) == repair_id)
        repair_view = day.desk.view(repair)
        assert view.complainant.model_dump() == repair_view.owner.model_dump()
        assert view.place == repair_view.unit
        assert day.events(view.ticket_id, "RepairLinked")[0].at > repair_view.logged_at


def test_most_complaints_keep_the_seeds_time_limits(day):
    report = summarise(
        day.desk, sample_organisation(), day_end=day.run.day_end, horizon=day.run.horizon
    )
    goals = {goal.goal: goal for goal in report.goals}
    for name in ("complaint_reply", "complaint_solution", "result_same_day", "minor_resolved"):
        goal = goals[name]
        assert goal.met >= 3 * goal.breached, name
    assert goals["urgent_to_specialty"].met >= 1


def test_the_report_counts_the_complaints_the_desk_stored(day):
    report = summarise(
        day.desk, sample_organisation(), day_end=day.run.day_end, horizon=day.run.horizon
    )
    complaints = report.complaints

    assert complaints.tickets == len(day.views)
    assert sum(sum(row.values()) for row in complaints.outcomes.values()) == len(day.views)
    invalid = sum(1 for v in day.views.values() if v.valid is False)
    assert complaints.outcomes["invalid"] == {"CLOSED_INVALID": invalid}
    assert complaints.deferred == len(day.with_event("DeferredWithExpectedDate"))
    assert complaints.reopened == len(day.with_event("ComplaintReopened"))
    assert complaints.escalated_overdue == len(day.with_event("OverdueEscalated"))
    assert complaints.linked_to_repairs == len(day.with_event("RepairLinked"))
    closed = sum(1 for v in day.views.values() if v.state is ComplaintState.CLOSED)
    assert sum(complaints.satisfaction.values()) == closed


def test_every_complaint_history_replays_to_the_state_the_desk_shows(day):
    for ticket, view in day.views.items():
        assert day.desk.replay(ticket).state == view.state


def test_complaint_ids_come_from_the_seed(day):
    again = simulate_complaints(SETTINGS)
    other = simulate_complaints(DemoSettings(repairs=40, complaints=20, seed=8))

    assert again.run.complaints == day.run.complaints
    assert not set(other.run.complaints) & set(day.run.complaints)


def test_an_estate_without_an_office_head_runs_the_demo_only_without_complaints():
    people = [p.model_dump() for p in sample_organisation().people if p.id != "office-zhu"]
    organisation = Organisation.from_mapping({"estate": "x", "name": "无主任", "people": people})
    clock = demo_clock(organisation)
    desk = in_memory_desk(clock=clock, organisations=[organisation])

    with pytest.raises(ConfigurationError, match="office head"):
        simulate(desk, clock, organisation, DemoSettings(repairs=2))
    run = simulate(desk, clock, organisation, DemoSettings(repairs=2, complaints=0))
    assert (len(run.tickets), run.complaints) == (2, ())
