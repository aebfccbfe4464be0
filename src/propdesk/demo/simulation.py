"""The entry points: :func:`demo_clock` sets the clock, :func:`simulate` plays the days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from propdesk.demo.cast import Cast
from propdesk.demo.complaint_cast import ComplaintCast
from propdesk.demo.complaint_plans import deal_complaints
from propdesk.demo.complaint_story import ComplaintStory
from propdesk.demo.engine import Engine
from propdesk.demo.plans import deal_plans
from propdesk.demo.settings import DEMO_DAY, DemoRun, DemoSettings
from propdesk.demo.story import Story
from propdesk.testing import ManualClock

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from propdesk.application.desk import Desk
    from propdesk.domain.organisation import Organisation


def demo_clock(organisation: Organisation, day: date = DEMO_DAY) -> ManualClock:
    """A manual clock at midnight before ``day`` at the estate, ready for :func:`simulate`."""
    return ManualClock(datetime.combine(day, time(0), tzinfo=ZoneInfo(organisation.zone)))


def simulate(
    desk: Desk,
    clock: ManualClock,
    organisation: Organisation,
    settings: DemoSettings | None = None,
    *,
    on_step: Callable[[datetime, int], None] | None = None,
) -> DemoRun:
    """Simulates the days at ``desk``, whose clock must be ``clock``.

    Each day's requests are dealt when the day begins, from a deck of its own, and join the
    follow-up work of the days before; after the last day, the follow-up days run out.

    Args:
        desk: an empty desk serving ``organisation``, stamping times from ``clock``.
        clock: the desk's clock, not later than midnight before the first day (see
            :func:`demo_clock`); the simulation moves it forward.
        organisation: the estate; it needs technicians, a notifier, customer service and
            finance, and every technician's chain needs an engineering supervisor; for
            complaints, a project manager, an office head and a department head too.
        settings: what to simulate; the defaults otherwise.
        on_step: called after each command with the simulated time and the number of commands
            executed so far (for a progress bar).

    Raises:
        ConfigurationError: the organisation lacks someone the demo needs.
        PropdeskError: the desk refused a step (a bug in the demo) or the store failed.
    """
    settings = settings or DemoSettings()
    cast = Cast.of(organisation)
    complaint_cast = ComplaintCast.of(cast) if settings.complaints_per_day else None
    first = cast.local(settings.day, 0)
    day_end = cast.local(settings.last_day + timedelta(days=1), 0)
    horizon = cast.local(settings.last_day + timedelta(days=1 + settings.follow_up_days), 0)
    engine = Engine(desk, clock, horizon=horizon)
    engine.on_step = on_step
    repairs: list[UUID] = []
    complaints: list[UUID] = []
    for index in range(settings.days):
        day_start = cast.local(settings.day + timedelta(days=index), 0)
        plans = sorted(deal_plans(settings, cast, day_start, index), key=lambda p: p.arrival)
        for plan in plans:
            engine.start(Story(engine, cast, plan).run())
        repairs.extend(plan.ticket_id for plan in plans)
        if complaint_cast is not None:
            dealt = deal_complaints(settings, complaint_cast, day_start, plans, index)
            for complaint in dealt:
                engine.start(ComplaintStory(engine, complaint_cast, complaint).run())
            complaints.extend(complaint.ticket_id for complaint in dealt)
        engine.run(until=cast.local(day_start.date() + timedelta(days=1), 0))
    engine.run()
    return DemoRun(
        settings=settings,
        estate=organisation.estate,
        day_start=first,
        day_end=day_end,
        horizon=engine.horizon,
        tickets=tuple(repairs),
        commands=engine.commands,
        steps_beyond_horizon=engine.beyond_horizon,
        complaints=tuple(complaints),
    )
