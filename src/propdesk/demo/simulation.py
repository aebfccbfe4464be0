"""The entry points: :func:`demo_clock` sets the clock, :func:`simulate` plays the day at a desk."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from propdesk.demo.cast import Cast
from propdesk.demo.engine import Engine
from propdesk.demo.plans import deal_plans
from propdesk.demo.settings import DEMO_DAY, DemoRun, DemoSettings
from propdesk.demo.story import Story
from propdesk.testing import ManualClock

if TYPE_CHECKING:
    from collections.abc import Callable

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
    """Simulates the day at ``desk``, whose clock must be ``clock``.

    Args:
        desk: an empty desk serving ``organisation``, stamping times from ``clock``.
        clock: the desk's clock, not later than midnight before the day (see
            :func:`demo_clock`); the simulation moves it forward.
        organisation: the estate; it needs technicians, a notifier, customer service and
            finance, and every technician's chain needs an engineering supervisor.
        settings: what to simulate; the defaults otherwise.
        on_step: called after each command with the simulated time and the number of commands
            executed so far (for a progress bar).

    Raises:
        ConfigurationError: the organisation lacks someone the demo needs.
        PropdeskError: the desk refused a step (a bug in the demo) or the store failed.
    """
    settings = settings or DemoSettings()
    cast = Cast.of(organisation)
    day_start = datetime.combine(settings.day, time(0), tzinfo=cast.zone)
    engine = Engine(desk, clock, horizon=day_start + timedelta(days=1 + settings.follow_up_days))
    engine.on_step = on_step
    plans = deal_plans(settings, cast, day_start)
    for plan in plans:
        engine.start(Story(engine, cast, plan).run())
    engine.run()
    return DemoRun(
        settings=settings,
        estate=organisation.estate,
        day_start=day_start,
        day_end=day_start + timedelta(days=1),
        horizon=engine.horizon,
        tickets=tuple(plan.ticket_id for plan in sorted(plans, key=lambda p: p.arrival)),
        commands=engine.commands,
        steps_beyond_horizon=engine.beyond_horizon,
    )
