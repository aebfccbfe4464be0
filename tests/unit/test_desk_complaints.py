"""Complaints through the desk: stored, viewed, timed and audited like repairs, and linked.

The domain rules of each step are tested in ``test_complaint_steps.py``; here the desk's own
part: creating the right kind of ticket, refusing another kind's steps, checking links,
retried commands, listing tickets by kind, and the SLA clock through the view.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import propdesk as p
from propdesk.testing import (
    SHANGHAI,
    ManualClock,
    in_memory_desk,
    new_complaint,
    new_repair,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def desk(clock: ManualClock) -> p.Desk:
    return in_memory_desk(clock=clock)


def _classify(ticket, **fields: object) -> p.ClassifyComplaint:
    values: dict[str, object] = {
        "ticket_id": ticket, "actor": "cs-he", "severity": "major",
        "complaint_type": p.ComplaintSubject.SERVICE, "responsible_unit": "工程部",
        "confirmed_by": "head-qian",
    }  # fmt: skip
    values.update(fields)
    return p.ClassifyComplaint(**values)


def _goal(desk: p.Desk, ticket, name: str) -> p.GoalView:
    [found] = [goal for goal in desk.view(ticket).goals if goal.goal == name]
    return found


def test_a_complaint_is_received_pinned_and_timed(desk):
    result = desk.execute(new_complaint())

    assert result.kind == "complaint"
    assert result.state is p.ComplaintState.RECEIVED
    assert result.events[:2] == ("ComplaintReceived", "PolicyPinned")
    view = desk.view(result.ticket_id)
    assert isinstance(view, p.ComplaintView)
    assert view.policy == "seeds v1"
    assert _goal(desk, result.ticket_id, "complaint_reply").due_at == T0 + timedelta(hours=24)
    # received Monday 09:00: close of business on the third working day, Thursday 18:00
    assert _goal(desk, result.ticket_id, "complaint_solution").due_at == datetime(
        2026, 11, 26, 18, 0, tzinfo=SHANGHAI
    )


def test_classifying_a_major_complaint_starts_its_goals(desk, clock):
    ticket = desk.execute(new_complaint()).ticket_id
    clock.advance(minutes=30)
    desk.execute(_classify(ticket))

    assert _goal(desk, ticket, "major_to_project_head").due_at == datetime(
        2026, 11, 24, 0, 0, tzinfo=SHANGHAI
    )
    assert _goal(desk, ticket, "major_resolved").due_at == T0 + timedelta(days=10, minutes=30)


def test_a_repair_step_on_a_complaint_is_invalid_and_stores_nothing(desk):
    ticket = desk.execute(new_complaint()).ticket_id
    before = desk.history(ticket)

    with pytest.raises(p.InvalidCommand, match="is a complaint; dispatch is not its step"):
        desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    repair = desk.execute(new_repair()).ticket_id
    with pytest.raises(p.InvalidCommand, match="is a repair; give_answer is not its step"):
        desk.execute(p.GiveAnswer(ticket_id=repair, actor="sup-chen", answer="已处理"))
    assert desk.history(ticket) == before


def test_a_complaint_raised_by_a_repair_must_name_a_stored_repair(desk):
    repair = desk.execute(new_repair()).ticket_id
    other = desk.execute(new_complaint()).ticket_id

    linked = desk.execute(new_complaint(repair_id=repair)).ticket_id
    assert desk.view(linked).raised_by_repair == str(repair)
    with pytest.raises(p.InvalidCommand, match="is not a stored repair"):
        desk.execute(new_complaint(repair_id=other))
    with pytest.raises(p.InvalidCommand, match="is not a stored repair"):
        desk.execute(p.LinkRepair(ticket_id=linked, actor="desk-huang", repair_id=other))


def test_a_complaint_links_to_the_repairs_it_causes(desk):
    complaint = desk.execute(new_complaint()).ticket_id
    repair = desk.execute(new_repair()).ticket_id

    result = desk.execute(p.LinkRepair(ticket_id=complaint, actor="desk-huang", repair_id=repair))

    assert result.events == ("RepairLinked",)
    assert desk.view(complaint).linked_repairs == (str(repair),)


def test_a_retried_complaint_command_returns_the_same_result(desk, clock):
    first = desk.execute(new_complaint(command_id="c-1"))
    again = desk.execute(new_complaint(command_id="c-1"))
    classify = _classify(first.ticket_id, command_id="c-2")
    clock.advance(minutes=5)
    applied = desk.execute(classify)
    replayed = desk.execute(classify)

    assert again == first.model_copy(update={"replayed": True})
    assert replayed == applied.model_copy(update={"replayed": True})
    assert replayed.state is p.ComplaintState.CLASSIFIED


def test_a_retried_clock_command_on_a_complaint_keeps_the_complaint_state(desk, clock):
    ticket = desk.execute(new_complaint()).ticket_id
    due = _goal(desk, ticket, "complaint_reply").due_at
    clock.set(due)
    breach = p.RecordGoalBreach(ticket_id=ticket, actor="sla-monitor", goal="complaint_reply",
                                due_at=due, command_id="breach-1")  # fmt: skip

    applied = desk.execute(breach)
    replayed = desk.execute(breach)

    assert replayed.state is p.ComplaintState.RECEIVED
    assert (replayed.kind, replayed.events) == ("complaint", applied.events)


def test_tickets_are_listed_by_kind_in_logging_order(desk):
    repair = desk.execute(new_repair()).ticket_id
    complaint = desk.execute(new_complaint()).ticket_id
    second_repair = desk.execute(new_repair()).ticket_id

    assert list(desk.ticket_ids()) == [repair, complaint, second_repair]
    assert list(desk.ticket_ids(kind="repair")) == [repair, second_repair]
    assert list(desk.ticket_ids(kind="complaint")) == [complaint]
    assert (desk.kind_of(repair), desk.kind_of(complaint)) == ("repair", "complaint")


def test_the_complainant_is_redacted_in_the_view_and_the_history(desk):
    ticket = desk.execute(new_complaint(person_complained_about="张师傅")).ticket_id

    view = desk.view(ticket, redact_personal_data=True)
    [received] = [e for e in desk.history(ticket, redact_personal_data=True)
                  if e.event == "ComplaintReceived"]  # fmt: skip

    assert (view.complainant.name, view.complainant.phone) == ("***", "***")
    assert view.person_complained_about == "***"
    assert set(received.payload["personal_data"].values()) == {"***"}
    assert "13812345678" not in received.model_dump_json()
    assert "unit" not in received.payload


def test_replay_of_a_complaint_equals_the_loaded_one(desk, clock):
    ticket = desk.execute(new_complaint()).ticket_id
    clock.advance(minutes=10)
    desk.execute(_classify(ticket))

    loaded = {k: v for k, v in vars(desk.load(ticket)).items() if k != "_pending_events"}
    replayed = {k: v for k, v in vars(desk.replay(ticket)).items() if k != "_pending_events"}
    assert loaded == replayed


def test_what_if_replays_complaints_too(desk, clock):
    ticket = desk.execute(new_complaint()).ticket_id
    clock.advance(minutes=10)
    desk.execute(_classify(ticket))
    clock.advance(days=3)

    report = p.what_if(desk, p.default_policy(), as_of=clock.now())

    actual = [r.model_dump(exclude={"actual"}) for r in report.runs if r.actual]
    candidate = [r.model_dump(exclude={"actual"}) for r in report.runs if not r.actual]
    assert actual == candidate
    assert {r.goal for r in report.runs} >= {"complaint_reply", "major_answer"}
