"""The demo simulates several days, one deck each, and one day is what it always was."""

from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Literal
from uuid import UUID

import pytest

from propdesk import ConfigurationError
from propdesk.demo import DEMO_DAY, DemoRun, DemoSettings, demo_clock, simulate
from propdesk.testing import in_memory_desk, sample_organisation

if TYPE_CHECKING:
    from propdesk import Desk

ONE_DAY_OF_TWELVE = [
    UUID(ticket)
    for ticket in (
        "ae97ba94-d0ed-482f-8f6d-05584ef8aa38", "7403e430-ec66-4787-95e7-61d17731af10",
        "26e87555-5790-482e-81d3-fcff2a3af4d4", "d70820fe-119a-42d1-b4c9-df6acc011cdd",
        "ab2cd31e-e315-4288-a2c3-3a4fb774eb52", "8ca81811-66d2-4876-b2fd-f2022a96fb1a",
        "96d0cc5f-d4c2-4c2e-bc26-847f0316909e", "c7ac1491-def8-4334-a647-cb8f74e69a5d",
        "0d75985d-99c9-4309-970d-c1951c2442f9", "d953ee26-1d87-4ec3-9f72-96ab7961fd92",
        "8b0d590b-b0a8-44e5-a587-be6b5c9bcf35", "9cfc8652-3919-4242-a2ed-dbbd5464ecc2",
    )
]  # fmt: skip
"""The repairs a one-day run of 12 with seed 7 logged before the demo simulated several days
(taken from that code, not from this one)."""


def run_demo(settings: DemoSettings) -> tuple[Desk, DemoRun]:
    organisation = sample_organisation()
    clock = demo_clock(organisation, settings.day)
    desk = in_memory_desk(clock=clock)
    return desk, simulate(desk, clock, organisation, settings)


def stored(
    desk: Desk, kind: Literal["repair", "complaint"]
) -> dict[UUID, list[tuple[object, ...]]]:
    """Every ticket's history without its random command ids."""
    return {
        ticket: [(e.event, e.at, e.actor, e.payload) for e in desk.history(ticket)]
        for ticket in desk.ticket_ids(kind=kind)
    }


def logged_days(desk: Desk, run: DemoRun, event: str = "Logged") -> Counter[date]:
    zone = run.day_start.tzinfo
    return Counter(
        entry.at.astimezone(zone).date()
        for ticket in desk.ticket_ids()
        for entry in desk.history(ticket)
        if entry.event == event
    )


@pytest.fixture(scope="module")
def three_days() -> tuple[Desk, DemoRun]:
    return run_demo(DemoSettings(repairs=10, complaints=2, days=3, seed=7))


def test_one_day_logs_the_repairs_it_logged_before_there_were_several():
    _, run = run_demo(DemoSettings(repairs=12))

    assert list(run.tickets) == ONE_DAY_OF_TWELVE


def test_complaints_do_not_change_the_repairs():
    with_complaints, run = run_demo(DemoSettings(repairs=40, complaints=6))
    without, alone = run_demo(DemoSettings(repairs=40, complaints=0))

    assert len(run.complaints) == 6
    assert alone.complaints == ()
    assert stored(with_complaints, "repair") == stored(without, "repair")


def test_each_day_logs_its_own_repairs_and_complaints_on_that_day(three_days):
    desk, run = three_days
    days = [DEMO_DAY + timedelta(days=n) for n in range(3)]

    assert len(run.tickets) == len(set(run.tickets)) == 30
    assert list(run.tickets) == list(desk.ticket_ids(kind="repair"))
    assert logged_days(desk, run) == dict.fromkeys(days, 10)
    assert logged_days(desk, run, "ComplaintReceived") == dict.fromkeys(days, 2)
    zone = run.day_start.tzinfo
    for ticket in run.tickets:
        logged = desk.history(ticket)[0].at.astimezone(zone)
        assert time(8) <= logged.time() < time(20)


def test_the_first_day_is_dealt_as_if_it_were_the_only_one(three_days):
    _, run = three_days
    _, one = run_demo(DemoSettings(repairs=10, complaints=2, seed=7))

    assert run.tickets[:10] == one.tickets
    assert run.complaints[:2] == one.complaints


def test_the_run_spans_the_days_and_the_follow_up_days_after_the_last(three_days):
    desk, run = three_days
    zone = run.day_start.tzinfo

    assert run.day_start.astimezone(zone).date() == DEMO_DAY
    assert run.day_end - run.day_start == timedelta(days=3)
    assert run.horizon - run.day_end == timedelta(days=2)
    last = max(e.at for t in desk.ticket_ids() for e in desk.history(t))
    assert run.day_end < last < run.horizon


def test_the_same_seed_gives_the_same_days_and_another_seed_does_not(three_days):
    desk, run = three_days
    again_desk, again = run_demo(DemoSettings(repairs=10, complaints=2, days=3, seed=7))
    _, other = run_demo(DemoSettings(repairs=10, complaints=2, days=3, seed=8))

    assert (again.tickets, again.complaints) == (run.tickets, run.complaints)
    assert again.commands == run.commands
    assert stored(again_desk, "repair") == stored(desk, "repair")
    assert stored(again_desk, "complaint") == stored(desk, "complaint")
    assert not set(other.tickets) & set(run.tickets)
    assert not set(other.complaints) & set(run.complaints)


def test_a_week_runs_through_the_weekend():
    desk, run = run_demo(DemoSettings(repairs=2, complaints=1, days=7, day=date(2026, 11, 27)))

    weekdays = {day.strftime("%a") for day in logged_days(desk, run)}
    assert weekdays == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    assert len(run.tickets) == 14


def test_complaints_default_to_one_for_every_twenty_repairs():
    assert DemoSettings().complaints_per_day == 15
    assert DemoSettings(repairs=20).complaints_per_day == 1
    assert DemoSettings(repairs=5).complaints_per_day == 1
    assert DemoSettings(repairs=5, complaints=0).complaints_per_day == 0
    assert DemoSettings(days=7).last_day == DEMO_DAY + timedelta(days=6)


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"days": 0}, "at least one day"), ({"complaints": -1}, "complaints cannot be negative")],
)
def test_settings_refuse_no_days_and_negative_counts(fields, message):
    with pytest.raises(ConfigurationError, match=message):
        DemoSettings(**fields)
