"""What-if replay: stored tickets judged again under a candidate policy, nothing stored.

The strongest check is the first: replayed under the very policy they ran under, a whole
simulated day of tickets gives back exactly the goal runs their stored events record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import propdesk as p
from propdesk.application.what_if import what_if
from propdesk.demo import DemoSettings, demo_clock, simulate
from propdesk.testing import SHANGHAI, ManualClock, in_memory_desk, new_repair, sample_organisation

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def demo_day() -> tuple[p.Desk, ManualClock]:
    organisation = sample_organisation()
    clock = demo_clock(organisation)
    desk = in_memory_desk(organisations=[organisation], clock=clock)
    simulate(desk, clock, organisation, DemoSettings(repairs=60, seed=11))
    return desk, clock


def _stricter(minutes: int) -> p.Policy:
    seeds = p.default_policy()
    goals = [
        goal.model_copy(update={"duration": timedelta(minutes=minutes)})
        if goal.name == "notify_engineering"
        else goal
        for goal in seeds.goals
    ]
    return seeds.model_copy(update={"version": seeds.version + 1, "goals": goals})


def test_under_its_own_policy_every_ticket_replays_to_the_runs_it_stored(demo_day):
    desk, clock = demo_day

    report = what_if(desk, p.default_policy(), as_of=clock.now())

    actual = [r.model_dump(exclude={"actual"}) for r in report.runs if r.actual]
    candidate = [r.model_dump(exclude={"actual"}) for r in report.runs if not r.actual]
    assert report.tickets == 60 + 3, "60 repairs and the demo's 3 complaints"
    assert len(actual) > 60 * 3, "every ticket ran several goals"
    assert candidate == actual
    goals = {row.goal for row in report.runs}
    assert goals >= {"notify_engineering", "arrive_asap", "complaint_reply"}


def test_a_stricter_policy_shows_more_breaches_and_stores_nothing(demo_day):
    desk, clock = demo_day
    before = {ticket: desk.history(ticket) for ticket in desk.ticket_ids()}

    report = what_if(desk, _stricter(minutes=1), as_of=clock.now())

    [notify] = [g for g in report.goals if g.goal == "notify_engineering"]
    assert notify.candidate_breached > notify.actual_breached
    assert notify.change_in_breaches == notify.candidate_breached - notify.actual_breached
    assert notify.candidate_met + notify.candidate_breached == (
        notify.actual_met + notify.actual_breached
    )
    [arrive] = [g for g in report.goals if g.goal == "arrive_asap"]
    assert arrive.actual_cancelled > 0, "escalations restart the arrival clock"
    assert report.policy == "seeds v2"
    assert {ticket: desk.history(ticket) for ticket in desk.ticket_ids()} == before


def test_a_policy_without_a_goal_shows_no_candidate_runs_for_it(demo_day):
    desk, clock = demo_day
    seeds = p.default_policy()
    fewer = seeds.model_copy(
        update={"goals": [g for g in seeds.goals if g.name != "arrive_asap"], "version": 9}
    )

    report = what_if(desk, fewer, as_of=clock.now())

    [arrive] = [g for g in report.goals if g.goal == "arrive_asap"]
    assert arrive.actual_met + arrive.actual_breached > 0
    candidate = (arrive.candidate_met, arrive.candidate_breached, arrive.candidate_open,
                 arrive.candidate_cancelled)  # fmt: skip
    assert candidate == (0, 0, 0, 0)


def test_only_tickets_logged_in_the_period_are_replayed():
    clock = ManualClock(T0)
    desk = in_memory_desk(clock=clock)
    desk.execute(new_repair())
    clock.advance(days=1)
    second = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=10)

    report = what_if(desk, p.default_policy(), as_of=clock.now(),
                     logged_from=T0 + timedelta(hours=12))  # fmt: skip

    assert report.tickets == 1
    assert {row.ticket_id for row in report.runs} == {second}
    [open_run] = [row for row in report.runs if row.actual]
    assert open_run.outcome is p.Outcome.OVERDUE


def test_chosen_tickets_are_replayed_whatever_the_period():
    clock = ManualClock(T0)
    desk = in_memory_desk(clock=clock)
    ticket = desk.execute(new_repair()).ticket_id

    report = what_if(desk, p.default_policy(), as_of=T0 + timedelta(minutes=1),
                     tickets=[ticket], logged_from=T0 + timedelta(days=5))  # fmt: skip

    assert report.tickets == 1
    assert {row.outcome for row in report.runs} == {p.Outcome.OPEN}


def test_naive_times_and_backward_periods_are_refused():
    desk = in_memory_desk()
    with pytest.raises(p.InvalidCommand, match="as_of"):
        what_if(desk, p.default_policy(), as_of=datetime(2026, 11, 23))  # noqa: DTZ001 - on purpose
    with pytest.raises(p.InvalidCommand, match="logged_until"):
        what_if(desk, p.default_policy(), as_of=T0, logged_from=T0, logged_until=T0)
