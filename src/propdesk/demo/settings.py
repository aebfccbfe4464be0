"""What the demo is asked to simulate (:class:`DemoSettings`) and what it did (:class:`DemoRun`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uuid import UUID

DEMO_DAY = date(2026, 11, 23)
"""The default simulated day: a Monday."""


# ---------------------------------------------------------------------------- settings, result


@dataclass(frozen=True)
class DemoSettings:
    """What to simulate."""

    repairs: int = 300
    """Repair requests arriving during the day."""
    seed: int = 7
    """Seed of the pseudo-random generator; the same seed gives the same day."""
    day: date = DEMO_DAY
    follow_up_days: int = 2
    """Days after ``day`` simulated for callbacks, fees and rework; later steps stay undone."""


@dataclass(frozen=True)
class DemoRun:
    """What a simulation did; the numbers worth reporting are read back from the desk."""

    settings: DemoSettings
    estate: str
    day_start: datetime
    """Midnight at the start of the simulated day, at the estate."""
    day_end: datetime
    """Midnight at its end."""
    horizon: datetime
    """The end of the follow-up days: no step was taken at or after it."""
    tickets: tuple[UUID, ...]
    """The tickets logged, in the order they were logged."""
    commands: int
    """Commands executed by the desk."""
    steps_beyond_horizon: int
    """Steps the stories would have taken after the horizon (their tickets stay open)."""
