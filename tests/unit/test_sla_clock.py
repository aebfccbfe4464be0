"""The SLA clock on repair tickets: deadlines decided once, stored on events, shown in views.

Through the desk, on an in-memory store, with a manual clock: the default policy pins every
new ticket; goals start, stop, pause and resume as the ticket's own steps happen; warnings
and breaches are idempotent commands; and no later policy or clock changes a stored deadline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from helpers import entries_named, goal_named

import propdesk as p
from propdesk.testing import MONDAY_MORNING, SHANGHAI, in_memory_desk, new_repair

if TYPE_CHECKING:
    from uuid import UUID

T0 = MONDAY_MORNING
"""Where the ``clock`` fixture starts (09:00 on a working Monday in Shanghai)."""


def _dispatch(ticket: UUID, **fields: object) -> p.Dispatch:
    return p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang", **fields)


def _policy(*goals: dict[str, object], name: str = "strict", version: int = 1) -> p.Policy:
    return p.Policy.model_validate(
        {"name": name, "version": version, "title": "test", "goals": list(goals)}
    )


def _goal_spec(**fields: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "name": "first_visit", "title": "On site within an hour", "seed": "T06",
        "source": "test", "ticket": "repair", "starts_on": "Logged",
        "stops_on": ["ArrivalReported"], "clock": "elapsed", "duration": "PT60M",
        "notify": ["engineering_supervisor"],
    }  # fmt: skip
    spec.update(fields)
    return spec


# ---------------------------------------------------------------------- pinning and starting


def test_a_new_ticket_is_pinned_to_the_desk_policy_and_starts_its_first_goal(desk):
    ticket = desk.execute(new_repair()).ticket_id

    view = desk.view(ticket)
    assert view.policy == "seeds v1"
    [pinned] = entries_named(desk, ticket, "PolicyPinned")
    assert pinned.payload == {
        "policy": "seeds",
        "version": 1,
        "digest": p.default_policy().digest(),
        "reason": "logged",
    }
    [notify] = view.goals
    assert (notify.goal, notify.seed, notify.run) == ("notify_engineering", "T04", 1)
    assert notify.due_at == T0 + timedelta(minutes=3)
    assert notify.warn_at == T0 + timedelta(minutes=2, seconds=15)
    assert notify.state is p.GoalState.RUNNING
    assert notify.time_left == timedelta(minutes=3)


def test_a_desk_without_a_policy_runs_no_clock(clock):
    desk = in_memory_desk(clock=clock, policy=None)
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(ticket))

    view = desk.view(ticket)
    assert (view.policy, view.goals) == (None, ())
    assert [e.event for e in desk.history(ticket)] == ["Logged", "Dispatched"]


def test_a_dispatch_in_time_meets_the_notify_goal_and_starts_the_arrival_clock(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=2)
    result = desk.execute(_dispatch(ticket))

    assert result.events == ("Dispatched", "GoalStopped", "GoalStarted")
    assert goal_named(desk, ticket, "notify_engineering").state is p.GoalState.MET
    arrive = goal_named(desk, ticket, "arrive_asap")
    assert arrive.due_at == T0 + timedelta(minutes=12)
    assert arrive.state is p.GoalState.RUNNING


def test_a_late_dispatch_misses_the_goal_by_the_minutes_it_was_late(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=4, seconds=30)
    desk.execute(_dispatch(ticket))

    [stopped] = entries_named(desk, ticket, "GoalStopped")
    assert stopped.payload == {
        "goal": "notify_engineering", "run": 1, "met": False, "late_by_minutes": 1,
    }  # fmt: skip
    assert goal_named(desk, ticket, "notify_engineering").state is p.GoalState.BREACHED


def test_an_open_goal_past_due_shows_as_breached_with_negative_time_left(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=5)

    notify = goal_named(desk, ticket, "notify_engineering")
    assert notify.state is p.GoalState.BREACHED
    assert notify.time_left == timedelta(minutes=-2)
    assert not notify.breach_recorded


def test_an_appointment_is_met_five_minutes_early_not_ten_minutes_after_the_dispatch(desk):
    appointment = T0 + timedelta(hours=3)
    ticket = desk.execute(new_repair(appointment=appointment)).ticket_id
    desk.execute(_dispatch(ticket))

    names = {goal.goal for goal in desk.view(ticket).goals}
    assert "arrive_asap" not in names
    assert goal_named(desk, ticket, "arrive_before_appointment").due_at == appointment - timedelta(
        minutes=5
    )


def test_an_escalation_restarts_the_arrival_clock_as_a_new_run(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(ticket))
    clock.advance(minutes=2)
    desk.execute(p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="走不开"))
    clock.advance(minutes=1)
    desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))

    arrive = goal_named(desk, ticket, "arrive_asap")
    assert arrive.run == 2
    assert arrive.due_at == T0 + timedelta(minutes=13)


def test_an_escalation_keeps_the_appointment_goal_of_the_round(desk):
    appointment = T0 + timedelta(hours=2)
    ticket = desk.execute(new_repair(appointment=appointment)).ticket_id
    desk.execute(_dispatch(ticket))
    desk.execute(p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="走不开"))
    desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))

    goal = goal_named(desk, ticket, "arrive_before_appointment")
    assert (goal.run, goal.due_at) == (2, appointment - timedelta(minutes=5))
    assert "arrive_asap" not in {g.goal for g in desk.view(ticket).goals}


def test_the_time_a_request_was_received_starts_the_two_minute_recording_goal(desk):
    late = desk.execute(new_repair(received_at=T0 - timedelta(minutes=3))).ticket_id
    prompt = desk.execute(new_repair(received_at=T0 - timedelta(seconds=90))).ticket_id

    assert goal_named(desk, late, "record_request").state is p.GoalState.BREACHED
    assert goal_named(desk, prompt, "record_request").state is p.GoalState.MET
    assert desk.view(late).received_at == T0 - timedelta(minutes=3)


def test_a_request_cannot_be_received_after_it_is_logged(desk):
    with pytest.raises(p.RuleViolation, match="received_at"):
        desk.execute(new_repair(received_at=T0 + timedelta(minutes=1)))


def test_a_leak_callback_gets_three_calendar_days_from_the_leak_test(desk, clock):
    ticket = desk.execute(new_repair(category=p.RepairCategory.LEAK)).ticket_id
    for command in (
        _dispatch(ticket),
        p.ReportArrival(ticket_id=ticket, actor="tech-zhang"),
        p.StartRepair(ticket_id=ticket, actor="tech-zhang", customer_agreed_to_charge=True),
        p.Complete(ticket_id=ticket, actor="tech-zhang", outcome="补漏",
                   customer_signature_ref="sig", fee=0),
        p.Submit(ticket_id=ticket, actor="tech-zhang", supervisor="sup-wang"),
        p.Verify(ticket_id=ticket, actor="sup-wang", supervisor_signature_ref="s2",
                 result_notified_to=("客服部",)),
    ):  # fmt: skip
        clock.advance(minutes=20)
        desk.execute(command)
    clock.set(datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI))  # a Friday
    desk.execute(p.RecordLeakTest(ticket_id=ticket, actor="sup-wang", result="不漏"))

    callback = goal_named(desk, ticket, "callback_leak")
    assert callback.due_at == datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI)


def test_a_fee_charged_today_is_due_at_finance_by_midnight_shanghai_time(desk, clock):
    clock.set(datetime(2026, 11, 23, 22, 30, tzinfo=SHANGHAI))
    ticket = desk.execute(new_repair()).ticket_id
    for command in (
        _dispatch(ticket),
        p.ReportArrival(ticket_id=ticket, actor="tech-zhang"),
        p.StartRepair(ticket_id=ticket, actor="tech-zhang", customer_agreed_to_charge=True),
        p.Complete(ticket_id=ticket, actor="tech-zhang", outcome="换龙头",
                   customer_signature_ref="sig", fee="80.00"),
    ):  # fmt: skip
        clock.advance(minutes=5)
        desk.execute(command)

    fee = goal_named(desk, ticket, "fee_settled_same_day")
    assert fee.due_at == datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------- warnings and breaches


def test_a_warning_is_recorded_once_at_its_threshold(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    due = T0 + timedelta(minutes=3)
    warn = p.RecordGoalWarning(
        ticket_id=ticket, actor="sla-monitor", goal="notify_engineering", due_at=due
    )

    with pytest.raises(p.RuleViolation, match="not due a warning until"):
        desk.execute(warn)
    clock.advance(minutes=2, seconds=20)
    first = desk.execute(warn)
    again = desk.execute(warn)

    assert first.events == ("GoalWarned",)
    assert again.events == ()
    assert goal_named(desk, ticket, "notify_engineering").warned
    assert len(entries_named(desk, ticket, "GoalWarned")) == 1


def test_a_breach_is_recorded_once_with_who_is_to_be_told(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    due = T0 + timedelta(minutes=3)
    breach = p.RecordGoalBreach(
        ticket_id=ticket, actor="sla-monitor", goal="notify_engineering", due_at=due
    )

    with pytest.raises(p.RuleViolation, match="not due until"):
        desk.execute(breach)
    clock.advance(minutes=3)
    assert desk.execute(breach).events == ("GoalBreached",)
    assert desk.execute(breach).events == ()

    [recorded] = entries_named(desk, ticket, "GoalBreached")
    assert recorded.payload["notify"] == ["customer_service"]
    assert recorded.actor == "sla-monitor"
    assert goal_named(desk, ticket, "notify_engineering").breach_recorded


def test_a_warning_after_the_due_time_is_refused_so_the_worker_can_skip_it(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=4)
    with pytest.raises(p.RuleViolation, match="record the breach instead"):
        desk.execute(
            p.RecordGoalWarning(ticket_id=ticket, actor="sla-monitor", goal="notify_engineering",
                                due_at=T0 + timedelta(minutes=3))
        )  # fmt: skip


def test_a_breach_of_a_stale_deadline_or_a_met_goal_is_a_no_op(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(ticket))
    clock.advance(hours=1)

    met = p.RecordGoalBreach(ticket_id=ticket, actor="sla-monitor", goal="notify_engineering",
                             due_at=T0 + timedelta(minutes=3))  # fmt: skip
    stale = p.RecordGoalBreach(ticket_id=ticket, actor="sla-monitor", goal="arrive_asap",
                               due_at=T0 + timedelta(minutes=99))  # fmt: skip
    unknown = p.RecordGoalBreach(ticket_id=ticket, actor="sla-monitor", goal="no_such_goal",
                                 due_at=T0)  # fmt: skip

    assert [desk.execute(c).events for c in (met, stale, unknown)] == [(), (), ()]


def test_only_the_sla_monitor_or_customer_service_records_a_breach(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=5)
    with pytest.raises(p.UnauthorisedActor, match="sla_monitor"):
        desk.execute(
            p.RecordGoalBreach(ticket_id=ticket, actor="tech-zhang", goal="notify_engineering",
                               due_at=T0 + timedelta(minutes=3))
        )  # fmt: skip


def test_a_breach_is_recorded_even_on_a_closed_ticket_that_still_owes_its_fee(clock):
    policy = _policy(_goal_spec(name="fee_today", starts_on="Completed",
                                stops_on=["FeeSettled"], when={"fee_status": ["due"]}))  # fmt: skip
    desk = in_memory_desk(clock=clock, policy=policy, rules=p.RepairRules(
        close_requires_fee_settlement=False))  # fmt: skip
    ticket = desk.execute(new_repair()).ticket_id
    for command in (
        _dispatch(ticket),
        p.ReportArrival(ticket_id=ticket, actor="tech-zhang"),
        p.StartRepair(ticket_id=ticket, actor="tech-zhang", customer_agreed_to_charge=True),
        p.Complete(ticket_id=ticket, actor="tech-zhang", outcome="换龙头",
                   customer_signature_ref="sig", fee="80.00"),
        p.Submit(ticket_id=ticket, actor="tech-zhang", supervisor="sup-wang"),
        p.Verify(ticket_id=ticket, actor="sup-wang", supervisor_signature_ref="s2",
                 result_notified_to=("客服部",)),
        p.RecordCallback(ticket_id=ticket, actor="cs-he", satisfied=True, rating=5),
        p.Close(ticket_id=ticket, actor="cs-he"),
    ):  # fmt: skip
        clock.advance(minutes=5)
        desk.execute(command)
    due = goal_named(desk, ticket, "fee_today").due_at
    clock.set(due)

    result = desk.execute(
        p.RecordGoalBreach(ticket_id=ticket, actor="sla-monitor", goal="fee_today", due_at=due)
    )
    assert result.events == ("GoalBreached",)
    assert result.state is p.RepairState.CLOSED


# ---------------------------------------------------------------------- pause and resume


def test_a_paused_goal_keeps_its_time_left_and_resumes_with_its_deadline_moved(clock):
    policy = _policy(_goal_spec(pauses_on=["Refused"], resumes_on=["Escalated"]))
    desk = in_memory_desk(clock=clock, policy=policy)
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(ticket))
    clock.advance(minutes=10)
    desk.execute(p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="走不开"))
    clock.advance(minutes=25)

    paused = goal_named(desk, ticket, "first_visit")
    assert paused.state is p.GoalState.PAUSED
    assert paused.time_left == timedelta(minutes=50)

    desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))
    resumed = goal_named(desk, ticket, "first_visit")
    assert resumed.state is p.GoalState.RUNNING
    assert resumed.due_at == T0 + timedelta(minutes=60 + 25)
    assert resumed.warn_at == T0 + timedelta(minutes=45 + 25)


def test_a_working_time_goal_paused_overnight_loses_only_working_time(clock):
    policy = _policy(
        _goal_spec(clock="working_time", duration="PT2H", pauses_on=["Refused"],
                   resumes_on=["Escalated"])
    )  # fmt: skip
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=SHANGHAI))
    desk = in_memory_desk(clock=clock, policy=policy)
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(ticket))
    clock.advance(minutes=30)  # 16:30, 1h30 of working time left
    desk.execute(p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="下班"))
    clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI))
    desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))

    assert goal_named(desk, ticket, "first_visit").due_at == datetime(
        2026, 11, 24, 11, 30, tzinfo=SHANGHAI
    )


def test_a_goal_stopped_while_paused_is_judged_at_the_pause(clock):
    policy = _policy(_goal_spec(duration="PT10M", pauses_on=["Refused"], resumes_on=["Dispatched"],
                                stops_on=["Escalated"]))  # fmt: skip
    desk = in_memory_desk(clock=clock, policy=policy)
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(ticket))
    clock.advance(minutes=5)
    desk.execute(p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="走不开"))
    clock.advance(hours=2)
    desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))

    assert goal_named(desk, ticket, "first_visit").state is p.GoalState.MET
    [stopped] = entries_named(desk, ticket, "GoalStopped")
    assert stopped.payload["met"] is True


# ---------------------------------------------------------------------- policies and replay


def test_stored_deadlines_survive_a_desk_with_another_policy_and_replay(clock):
    first = in_memory_desk(clock=clock)
    ticket = first.execute(new_repair()).ticket_id
    before = first.view(ticket).goals

    stricter = _policy(_goal_spec(name="notify_engineering", starts_on="Logged",
                                  stops_on=["Dispatched"], duration="PT1M"),
                       name="seeds", version=2)  # fmt: skip
    store = first._store  # the same stored events, decided on by a desk with a newer policy
    second = p.Desk(store, first._config, first.organisations.values(), clock=clock,
                    policy=stricter, policies=[p.default_policy()],
                    calendar=first.calendar)  # fmt: skip

    assert second.view(ticket).goals == before
    assert second.replay(ticket).goals == first.load(ticket).goals
    newer = second.execute(new_repair()).ticket_id
    assert goal_named(second, newer, "notify_engineering").due_at == T0 + timedelta(minutes=1)
    assert second.view(newer).policy == "seeds v2"


def test_a_ticket_pinned_to_a_policy_the_desk_lacks_is_a_configuration_error(clock):
    first = in_memory_desk(clock=clock)
    ticket = first.execute(new_repair()).ticket_id
    other = _policy(_goal_spec(), name="other")
    second = p.Desk(first._store, first._config, first.organisations.values(), clock=clock,
                    policy=other, calendar=first.calendar)  # fmt: skip

    with pytest.raises(p.ConfigurationError, match="seeds v1"):
        second.execute(_dispatch(ticket))


def test_changing_a_ticket_policy_is_an_explicit_step_that_keeps_running_deadlines(clock):
    v2 = _policy(
        _goal_spec(name="notify_engineering", starts_on="Logged", stops_on=["Dispatched"],
                   duration="PT1M"),
        _goal_spec(name="on_site", starts_on="Dispatched", duration="PT5M"),
        name="seeds", version=2,
    )  # fmt: skip
    desk = in_memory_desk(clock=clock, policies=[v2])
    ticket = desk.execute(new_repair()).ticket_id
    running = goal_named(desk, ticket, "notify_engineering")

    with pytest.raises(p.UnauthorisedActor):
        desk.execute(p.ChangePolicy(ticket_id=ticket, actor="desk-huang", policy="seeds",
                                    version=2, reason="stricter"))  # fmt: skip
    result = desk.execute(p.ChangePolicy(ticket_id=ticket, actor="pm-li", policy="seeds",
                                         version=2, reason="管理处采用新时限"))  # fmt: skip
    assert goal_named(desk, ticket, "notify_engineering") == running
    clock.advance(minutes=2)
    desk.execute(_dispatch(ticket))

    assert result.events == ("PolicyPinned",)
    assert desk.view(ticket).policy == "seeds v2"
    assert goal_named(desk, ticket, "notify_engineering").state is p.GoalState.MET  # 3 minutes kept
    assert goal_named(desk, ticket, "on_site").due_at == T0 + timedelta(minutes=7)


def test_a_goal_the_new_policy_lacks_is_cancelled_when_the_policy_changes(clock):
    v2 = _policy(_goal_spec(name="on_site", starts_on="Dispatched"), name="seeds", version=2)
    desk = in_memory_desk(clock=clock, policies=[v2])
    ticket = desk.execute(new_repair()).ticket_id

    result = desk.execute(p.ChangePolicy(ticket_id=ticket, actor="pm-li", policy="seeds",
                                         version=2, reason="T04 dropped"))  # fmt: skip

    assert result.events == ("PolicyPinned", "GoalCancelled")
    assert goal_named(desk, ticket, "notify_engineering").state is p.GoalState.CANCELLED
    clock.advance(hours=1)
    breach = p.RecordGoalBreach(ticket_id=ticket, actor="sla-monitor", goal="notify_engineering",
                                due_at=T0 + timedelta(minutes=3))  # fmt: skip
    assert desk.execute(breach).events == ()


def test_changing_to_a_policy_the_desk_does_not_have_is_refused(desk):
    ticket = desk.execute(new_repair()).ticket_id
    with pytest.raises(p.ConfigurationError, match="no SLA policy seeds v9"):
        desk.execute(p.ChangePolicy(ticket_id=ticket, actor="pm-li", policy="seeds", version=9,
                                    reason="typo"))  # fmt: skip


def test_a_past_view_shows_the_goals_as_they_stood_then(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=10)
    desk.execute(_dispatch(ticket))

    then = desk.view_at(ticket, at=T0 + timedelta(minutes=1))
    [notify] = then.goals
    assert notify.state is p.GoalState.RUNNING
    assert notify.time_left == timedelta(minutes=2)


# ---------------------------------------------------------------------- cancelling


def test_a_restart_cancels_the_open_run_before_starting_the_next(desk):
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(ticket))
    desk.execute(p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="走不开"))
    result = desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))

    assert result.events == ("Escalated", "GoalCancelled", "GoalStarted")
    [cancelled] = entries_named(desk, ticket, "GoalCancelled")
    assert cancelled.payload == {"goal": "arrive_asap", "run": 1, "reason": "restarted"}


def test_nobody_to_send_cancels_the_arrival_clock_unless_it_had_already_run_out(desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(ticket))
    for refuser in ("tech-zhang", "sup-wang", "eng-zhou"):
        desk.execute(p.Refuse(ticket_id=ticket, actor=refuser, reason="走不开"))
        desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))
    clock.advance(minutes=5)
    desk.execute(p.ConfirmNoStaff(ticket_id=ticket, actor="pm-li"))

    arrive = goal_named(desk, ticket, "arrive_asap")
    assert arrive.state is p.GoalState.CANCELLED
    assert arrive.time_left is None

    late = desk.execute(new_repair()).ticket_id
    desk.execute(_dispatch(late))
    for refuser in ("tech-zhang", "sup-wang", "eng-zhou"):
        desk.execute(p.Refuse(ticket_id=late, actor=refuser, reason="走不开"))
        desk.execute(p.Escalate(ticket_id=late, actor="desk-huang"))
    clock.advance(minutes=15)
    desk.execute(p.ConfirmNoStaff(ticket_id=late, actor="pm-li"))
    assert goal_named(desk, late, "arrive_asap").state is p.GoalState.BREACHED


def test_a_policy_changed_without_a_new_version_is_refused_for_tickets_pinned_to_it(clock):
    first = in_memory_desk(clock=clock)
    ticket = first.execute(new_repair()).ticket_id
    seeds = p.default_policy()
    edited = seeds.model_copy(
        update={"goals": [g for g in seeds.goals if g.name != "cost_review"]}
    )  # still "seeds v1"
    second = p.Desk(first._store, first._config, first.organisations.values(), clock=clock,
                    policy=edited, calendar=first.calendar)  # fmt: skip

    with pytest.raises(p.ConfigurationError, match="changed without a new version number"):
        second.execute(_dispatch(ticket))
    assert [e.event for e in second.history(ticket)] == [e.event for e in first.history(ticket)]


def test_a_policy_and_rules_that_give_one_limit_two_values_are_refused(clock):
    rules = p.RepairRules(callback_days={"safety_facility": 2, "leak": 3, "other": 5},
                          redispatch_lead=timedelta(minutes=45))  # fmt: skip

    with pytest.raises(p.ConfigurationError) as raised:
        in_memory_desk(clock=clock, rules=rules)

    assert raised.value.problems == (
        (
            "goal redispatch_before_visit (T14) allows 0:30:00 but RepairRules.redispatch_lead "
            "is 0:45:00"
        ),
        "goal callback_other (T30) allows 2 but RepairRules.callback_days[other] is 5",
    )


def test_rules_and_a_policy_that_agree_or_count_differently_are_accepted(clock):
    seeds = p.default_policy()
    working = seeds.model_copy(update={"goals": [
        g.model_copy(update={"clock": "working_days"}) if g.name == "callback_other" else g
        for g in seeds.goals
    ]})  # fmt: skip
    rules = p.RepairRules(callback_days={"safety_facility": 2, "leak": 3, "other": 5})

    desk = in_memory_desk(clock=clock, rules=rules, policy=working)

    assert desk.policy == working
