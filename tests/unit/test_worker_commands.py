"""The repair commands the SLA worker sends at a deadline, through the desk.

``EscalateOverdueDispatch`` (逐级派工 when nobody arrived in time, T06/T07),
``RedispatchForVisit`` (30 minutes before a rescheduled visit, T14) and ``RaiseCallback``
(回访, T28–T30) are stamped with the deadline they act on. Each acts once; sent again, with a
stale stamp, or after the ticket moved on, it stores nothing and raises nothing. Only an
impossible request (before its deadline, by someone who may not send it, to a person who
left) is refused.

On an in-memory desk with a manual clock, under the seeds' default policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from helpers import ORG, S, entries_named, given, goal_named, make, path_to, when_rejected

import propdesk as p
from propdesk.domain import commands as c
from propdesk.domain.organisation import Organisation
from propdesk.testing import MONDAY_MORNING, ManualClock, new_repair

if TYPE_CHECKING:
    from uuid import UUID

T0 = MONDAY_MORNING
"""Where the ``clock`` fixture starts (09:00 on a working Monday in Shanghai)."""
WORKER = "sla-monitor"


def _run(desk: p.Desk, *commands: p.Command) -> None:
    for command in commands:
        desk.execute(command)


def _ignored(desk: p.Desk, ticket: UUID, command: p.Command) -> None:
    """The command is a no-op: no event, the same version, the same history."""
    history, version = desk.history(ticket), desk.view(ticket).version

    result = desk.execute(command)

    assert result.events == ()
    assert result.version == version
    assert desk.history(ticket) == history


def _refused(desk: p.Desk, ticket: UUID, command: p.Command, error: type[Exception]) -> str:
    """The command raises ``error`` and stores nothing; returns the error's message."""
    history = desk.history(ticket)
    with pytest.raises(error) as raised:
        desk.execute(command)
    assert desk.history(ticket) == history
    return str(raised.value)


# ---------------------------------------------------------------------- escalate_overdue_dispatch


def _dispatched(desk: p.Desk, **log: object) -> UUID:
    """A repair dispatched to tech-zhang at T0 (his arrival goal is due at T0 + 10 min)."""
    ticket = desk.execute(new_repair(**log)).ticket_id
    desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    return ticket


def _overdue(ticket: UUID, due: datetime, goal: str = "arrive_asap", **fields: object) -> c.Command:
    data: dict[str, object] = {"actor": WORKER, **fields}
    return c.EscalateOverdueDispatch(ticket_id=ticket, goal=goal, due_at=due, **data)


def test_nobody_arriving_in_time_climbs_the_dispatch_one_level_up(desk, clock):
    ticket = _dispatched(desk)
    due = goal_named(desk, ticket, "arrive_asap").due_at
    assert due == T0 + timedelta(minutes=10)
    clock.set(due)

    result = desk.execute(_overdue(ticket, due))

    assert result.events == ("Escalated", "GoalCancelled", "GoalStarted")
    [escalated] = entries_named(desk, ticket, "Escalated")
    assert escalated.actor == WORKER
    assert escalated.payload == {
        "cause": "overdue", "refused_by": "tech-zhang", "acceptor": "sup-wang",
        "acceptor_name": ORG.person("sup-wang").name, "level": 1, "accepted_at": due,
        "promised_arrival": due + timedelta(minutes=10), "channel": "phone",
        "top_of_chain": False, "overdue_goal": "arrive_asap", "overdue_due_at": due,
    }  # fmt: skip
    view = desk.view(ticket)
    assert (view.state, view.acceptor, view.escalation_level) == (S.DISPATCHED, "sup-wang", 1)
    assert view.refusal_count == 0


def test_the_superiors_arrival_clock_starts_as_a_new_run(desk, clock):
    ticket = _dispatched(desk)
    due = T0 + timedelta(minutes=10)
    clock.set(due + timedelta(seconds=40))
    desk.execute(p.RecordGoalBreach(ticket_id=ticket, actor=WORKER, goal="arrive_asap",
                                    due_at=due))  # fmt: skip
    desk.execute(_overdue(ticket, due))

    arrive = goal_named(desk, ticket, "arrive_asap")
    assert (arrive.run, arrive.state) == (2, p.GoalState.RUNNING)
    assert arrive.started_at == due  # 接单 to the minute (T01)
    assert arrive.due_at == due + timedelta(minutes=10)
    assert not arrive.breach_recorded  # the first run's breach stays with the first run
    [cancelled] = entries_named(desk, ticket, "GoalCancelled")
    assert cancelled.payload == {"goal": "arrive_asap", "run": 1, "reason": "restarted"}
    [breached] = entries_named(desk, ticket, "GoalBreached")
    assert breached.payload["run"] == 1


def test_the_superior_missing_his_own_deadline_climbs_again(desk, clock):
    ticket = _dispatched(desk)
    first_due = T0 + timedelta(minutes=10)
    clock.set(first_due)
    desk.execute(_overdue(ticket, first_due))
    second_due = goal_named(desk, ticket, "arrive_asap").due_at
    clock.set(second_due)

    desk.execute(_overdue(ticket, second_due))

    view = desk.view(ticket)
    assert (view.acceptor, view.escalation_level) == ("eng-zhou", 2)
    assert [e.payload["refused_by"] for e in entries_named(desk, ticket, "Escalated")] == [
        "tech-zhang", "sup-wang",
    ]  # fmt: skip


def test_an_overdue_escalation_sent_again_is_a_no_op(desk, clock):
    ticket = _dispatched(desk)
    due = T0 + timedelta(minutes=10)
    clock.set(due)
    desk.execute(_overdue(ticket, due))
    clock.advance(minutes=1)

    _ignored(desk, ticket, _overdue(ticket, due))

    assert desk.view(ticket).acceptor == "sup-wang"


def test_an_overdue_escalation_with_a_stale_or_unknown_deadline_is_a_no_op(desk, clock):
    ticket = _dispatched(desk)
    clock.advance(hours=1)

    _ignored(desk, ticket, _overdue(ticket, T0 + timedelta(minutes=11)))
    _ignored(desk, ticket, _overdue(ticket, T0 + timedelta(minutes=10), goal="no_such_goal"))


def test_an_overdue_escalation_after_the_acceptor_arrived_is_a_no_op(desk, clock):
    ticket = _dispatched(desk)
    due = T0 + timedelta(minutes=10)
    clock.set(due - timedelta(minutes=1))
    desk.execute(p.ReportArrival(ticket_id=ticket, actor="tech-zhang"))
    clock.set(due)

    _ignored(desk, ticket, _overdue(ticket, due))

    assert desk.view(ticket).state is S.ON_SITE


def test_an_overdue_escalation_of_a_refused_dispatch_is_left_to_the_notifier(desk, clock):
    ticket = _dispatched(desk)
    desk.execute(p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="走不开"))
    due = T0 + timedelta(minutes=10)
    clock.set(due)

    _ignored(desk, ticket, _overdue(ticket, due))

    assert desk.view(ticket).state is S.REFUSED


def test_an_overdue_escalation_before_the_deadline_is_refused(desk, clock):
    ticket = _dispatched(desk)
    due = T0 + timedelta(minutes=10)
    clock.set(due - timedelta(seconds=1))

    message = _refused(desk, ticket, _overdue(ticket, due), p.RuleViolation)

    assert "arrive_asap is not due until" in message


def test_at_the_top_of_the_chain_an_overdue_escalation_is_a_no_op(desk, clock):
    ticket = _dispatched(desk)
    for refuser in ("tech-zhang", "sup-wang", "eng-zhou"):
        desk.execute(p.Refuse(ticket_id=ticket, actor=refuser, reason="走不开"))
        desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))
    assert desk.view(ticket).at_top_of_chain
    due = goal_named(desk, ticket, "arrive_asap").due_at
    clock.set(due)
    desk.execute(p.RecordGoalBreach(ticket_id=ticket, actor=WORKER, goal="arrive_asap",
                                    due_at=due))  # fmt: skip

    _ignored(desk, ticket, _overdue(ticket, due))

    view = desk.view(ticket)
    assert (view.acceptor, view.escalation_level) == ("pm-li", 3)
    assert goal_named(desk, ticket, "arrive_asap").breach_recorded  # the goal's roles were told


def test_a_missed_appointment_climbs_once_not_up_the_whole_chain(desk, clock):
    appointment = T0 + timedelta(hours=2)
    ticket = _dispatched(desk, appointment=appointment)
    due = appointment - timedelta(minutes=5)
    clock.set(due)
    desk.execute(_overdue(ticket, due, goal="arrive_before_appointment"))

    # The appointment's goal restarts for the superior with the same deadline, already due:
    # the worker acts on the new run too, and the superior, who had no time, stays.
    restarted = goal_named(desk, ticket, "arrive_before_appointment")
    assert (restarted.run, restarted.due_at) == (2, due)
    clock.advance(minutes=1)
    _ignored(desk, ticket, _overdue(ticket, due, goal="arrive_before_appointment"))

    assert desk.view(ticket).acceptor == "sup-wang"


def test_only_the_worker_or_a_notifier_may_escalate_an_overdue_dispatch(desk, clock):
    ticket = _dispatched(desk)
    due = T0 + timedelta(minutes=10)
    clock.set(due)
    late = c.EscalateOverdueDispatch(ticket_id=ticket, actor="tech-zhang", goal="arrive_asap",
                                     due_at=due)  # fmt: skip

    message = _refused(desk, ticket, late, p.UnauthorisedActor)

    assert "sla_monitor" in message
    desk.execute(late.model_copy(update={"actor": "desk-huang"}))
    assert desk.view(ticket).acceptor == "sup-wang"


def test_an_acceptor_who_left_the_organisation_is_a_rule_violation():
    ticket = given(*path_to(S.DISPATCHED), sla=True)

    error = when_rejected(
        ticket,
        make(c.EscalateOverdueDispatch),
        p.RuleViolation,
        organisation=_without("tech-zhang"),
    )

    assert "tech-zhang is no longer in the organisation" in error.rule


# ---------------------------------------------------------------------- redispatch_for_visit


def _rescheduled(desk: p.Desk, clock: ManualClock, visit: datetime) -> UUID:
    """A repair nobody could go to, rescheduled with tech-zhang for ``visit``."""
    ticket = _dispatched(desk)
    for refuser in ("tech-zhang", "sup-wang", "eng-zhou"):
        desk.execute(p.Refuse(ticket_id=ticket, actor=refuser, reason="走不开"))
        desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))
    clock.advance(minutes=5)
    _run(
        desk,
        p.ConfirmNoStaff(ticket_id=ticket, actor="pm-li"),
        p.Reschedule(ticket_id=ticket, actor="desk-huang", new_time=visit, owner_agreed=True),
    )
    return ticket


def _redispatch(ticket: UUID, due: datetime, **fields: object) -> c.Command:
    data: dict[str, object] = {"actor": WORKER, **fields}
    return c.RedispatchForVisit(
        ticket_id=ticket, goal="redispatch_before_visit", due_at=due, **data
    )


VISIT = T0 + timedelta(hours=4)
REDISPATCH_DUE = VISIT - timedelta(minutes=30)


def test_thirty_minutes_before_the_visit_the_worker_re_dispatches_to_the_person_booked(desk, clock):
    ticket = _rescheduled(desk, clock, VISIT)
    assert goal_named(desk, ticket, "redispatch_before_visit").due_at == REDISPATCH_DUE
    clock.set(REDISPATCH_DUE)

    result = desk.execute(_redispatch(ticket, REDISPATCH_DUE))

    assert result.events[0] == "Dispatched"
    [dispatched] = entries_named(desk, ticket, "Dispatched")[1:]
    assert dispatched.actor == WORKER
    assert dispatched.payload["round"] == "redispatch"
    assert dispatched.payload["appointment"] == VISIT
    assert dispatched.payload["promised_arrival"] == VISIT - timedelta(minutes=5)  # T07
    view = desk.view(ticket)
    assert (view.state, view.acceptor, view.escalation_level) == (S.DISPATCHED, "tech-zhang", 0)
    assert goal_named(desk, ticket, "redispatch_before_visit").state is p.GoalState.MET
    assert goal_named(desk, ticket, "arrive_before_appointment").due_at == VISIT - timedelta(
        minutes=5
    )


def test_a_re_dispatch_sent_again_or_after_a_dispatch_by_hand_is_a_no_op(desk, clock):
    by_worker = _rescheduled(desk, clock, VISIT)
    by_hand = _rescheduled(desk, clock, VISIT)
    clock.set(REDISPATCH_DUE - timedelta(minutes=10))
    desk.execute(p.Dispatch(ticket_id=by_hand, actor="desk-huang", acceptor="tech-liu"))
    clock.set(REDISPATCH_DUE)
    desk.execute(_redispatch(by_worker, REDISPATCH_DUE))

    _ignored(desk, by_worker, _redispatch(by_worker, REDISPATCH_DUE))
    _ignored(desk, by_hand, _redispatch(by_hand, REDISPATCH_DUE))

    assert desk.view(by_hand).acceptor == "tech-liu"


def test_a_re_dispatch_with_a_stale_deadline_is_a_no_op(desk, clock):
    ticket = _rescheduled(desk, clock, VISIT)
    clock.set(VISIT)

    _ignored(desk, ticket, _redispatch(ticket, REDISPATCH_DUE - timedelta(hours=1)))

    assert desk.view(ticket).state is S.RESCHEDULED


def test_a_re_dispatch_before_its_deadline_is_refused(desk, clock):
    ticket = _rescheduled(desk, clock, VISIT)
    clock.set(REDISPATCH_DUE - timedelta(minutes=1))

    message = _refused(desk, ticket, _redispatch(ticket, REDISPATCH_DUE), p.RuleViolation)

    assert "redispatch_before_visit is not due until" in message


def test_a_re_dispatch_to_someone_who_left_must_be_done_by_hand():
    ticket = given(*path_to(S.RESCHEDULED), sla=True)
    assert ticket.appointment_with == "tech-zhang"
    assert ticket.acceptor is None  # cleared when the project manager confirmed nobody could go

    error = when_rejected(
        ticket, make(c.RedispatchForVisit), p.RuleViolation, organisation=_without("tech-zhang")
    )

    assert "tech-zhang, booked for the rescheduled visit" in error.rule
    assert "a person must dispatch" in error.rule


def test_only_the_worker_or_a_dispatcher_may_re_dispatch(desk, clock):
    ticket = _rescheduled(desk, clock, VISIT)
    clock.set(REDISPATCH_DUE)

    _refused(desk, ticket, _redispatch(ticket, REDISPATCH_DUE, actor="cs-he"), p.UnauthorisedActor)


# ---------------------------------------------------------------------- raise_callback


def _callback_pending(desk: p.Desk, clock: ManualClock, **log: object) -> UUID:
    """A repair done, signed off and verified: its callback window is open."""
    ticket = _dispatched(desk, **log)
    for command in (
        p.ReportArrival(ticket_id=ticket, actor="tech-zhang"),
        p.StartRepair(ticket_id=ticket, actor="tech-zhang", customer_agreed_to_charge=True),
        p.Complete(ticket_id=ticket, actor="tech-zhang", outcome="换龙头",
                   customer_signature_ref="sig", fee=0),
        p.Submit(ticket_id=ticket, actor="tech-zhang", supervisor="sup-wang"),
        p.Verify(ticket_id=ticket, actor="sup-wang", supervisor_signature_ref="s2",
                 result_notified_to=("客服部",)),
    ):  # fmt: skip
        clock.advance(minutes=5)
        desk.execute(command)
    return ticket


def _raise(ticket: UUID, due: datetime | None, actor: str = WORKER) -> c.Command:
    assert due is not None
    return c.RaiseCallback(ticket_id=ticket, actor=actor, due_at=due)


def test_the_callback_is_raised_once_as_its_window_opens(desk, clock):
    ticket = _callback_pending(desk, clock, category=p.RepairCategory.SAFETY_FACILITY)
    opened_at = clock.now()
    due = desk.view(ticket).callback_due_at
    assert due == opened_at + timedelta(days=2)  # T28

    result = desk.execute(_raise(ticket, due))
    again = desk.execute(_raise(ticket, due))

    assert result.events == ("CallbackRaised",)
    assert again.events == ()
    assert again.version == result.version
    [raised] = entries_named(desk, ticket, "CallbackRaised")
    assert raised.actor == WORKER
    assert raised.payload == {"due_at": due, "category": "safety_facility"}
    assert desk.view(ticket).state is S.CALLBACK_PENDING


def test_a_raised_callback_stays_raised_after_replay(desk, clock):
    ticket = _callback_pending(desk, clock)
    due = desk.view(ticket).callback_due_at
    desk.execute(_raise(ticket, due))

    assert desk.replay(ticket).callback_raised_for == due
    reopened = p.Desk(desk._store, desk._config, desk.organisations.values(), clock=clock,
                      policy=p.default_policy(), calendar=desk.calendar)  # fmt: skip
    _ignored(reopened, ticket, _raise(ticket, due))


def test_a_callback_for_another_window_or_after_the_callback_is_a_no_op(desk, clock):
    ticket = _callback_pending(desk, clock)
    due = desk.view(ticket).callback_due_at
    assert due is not None

    _ignored(desk, ticket, _raise(ticket, due + timedelta(days=1)))
    clock.advance(hours=3)
    desk.execute(p.RecordCallback(ticket_id=ticket, actor="cs-he", satisfied=True, rating=5))
    _ignored(desk, ticket, _raise(ticket, due))


def test_a_rework_opens_a_new_window_that_is_raised_again(desk, clock):
    ticket = _callback_pending(desk, clock)
    first = desk.view(ticket).callback_due_at
    desk.execute(_raise(ticket, first))
    clock.advance(hours=3)
    _run(
        desk,
        p.RecordCallback(ticket_id=ticket, actor="cs-he", satisfied=False, problem="还在滴水"),
        p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"),
        p.ReportArrival(ticket_id=ticket, actor="tech-zhang"),
        p.StartRepair(ticket_id=ticket, actor="tech-zhang", customer_agreed_to_charge=True),
        p.Complete(ticket_id=ticket, actor="tech-zhang", outcome="重新换垫圈",
                   customer_signature_ref="sig-2"),
        p.Submit(ticket_id=ticket, actor="tech-zhang", supervisor="sup-wang"),
        p.Verify(ticket_id=ticket, actor="sup-wang", supervisor_signature_ref="s3",
                 result_notified_to=("客服部",)),
    )  # fmt: skip
    second = desk.view(ticket).callback_due_at
    assert second is not None
    assert first is not None
    assert second > first

    _ignored(desk, ticket, _raise(ticket, first))
    assert desk.execute(_raise(ticket, second)).events == ("CallbackRaised",)


def test_only_the_worker_or_customer_service_may_raise_a_callback(desk, clock):
    ticket = _callback_pending(desk, clock)
    due = desk.view(ticket).callback_due_at

    message = _refused(desk, ticket, _raise(ticket, due, actor="tech-zhang"), p.UnauthorisedActor)

    assert "customer_service" in message
    assert desk.execute(_raise(ticket, due, actor="cs-he")).events == ("CallbackRaised",)


def test_an_unauthorised_actor_is_refused_even_where_the_step_would_be_a_no_op(desk):
    ticket = desk.execute(new_repair()).ticket_id

    _refused(desk, ticket, _raise(ticket, T0, actor="tech-zhang"), p.UnauthorisedActor)
    _ignored(desk, ticket, _raise(ticket, T0))


# ---------------------------------------------------------------------- helpers


def _without(person_id: str) -> Organisation:
    """The sample estate after ``person_id`` left."""
    data = ORG.model_dump(mode="json")
    data["people"] = [person for person in data["people"] if person["id"] != person_id]
    return Organisation.from_mapping(data)
