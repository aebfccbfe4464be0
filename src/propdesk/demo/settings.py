"""What the demo is asked to simulate (:class:`DemoSettings`) and what it did (:class:`DemoRun`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from propdesk.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from uuid import UUID

DEMO_DAY = date(2026, 11, 23)
"""The default simulated day: a Monday."""

REPAIRS_PER_COMPLAINT = 20
"""Without a number of complaints, one complaint a day for about every 20 repairs."""


# ---------------------------------------------------------------------------- settings, result


@dataclass(frozen=True)
class DemoSettings:
    """What to simulate.

    Raises:
        ConfigurationError: a count is negative, or there is not at least one day.
    """

    repairs: int = 300
    """Repair requests (报修) arriving each day."""
    seed: int = 7
    """Seed of the pseudo-random generator; the same seed gives the same days."""
    day: date = DEMO_DAY
    """The first simulated day."""
    follow_up_days: int = 2
    """Days after the last day simulated for callbacks, fees, rework and complaints still
    open; later steps stay undone."""
    days: int = 1
    """Days on which requests arrive, one after another from ``day``, weekends included."""
    complaints: int | None = None
    """Complaints (投诉) arriving each day; ``None`` for one per 20 repairs, at least one."""

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ConfigurationError(f"the demo simulates at least one day, not {self.days}")
        for name in ("repairs", "follow_up_days", "complaints"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigurationError(f"the demo's {name} cannot be negative: {value}")

    @property
    def complaints_per_day(self) -> int:
        """Complaints arriving each day: the number asked for, or one per 20 repairs."""
        if self.complaints is not None:
            return self.complaints
        return max(1, round(self.repairs / REPAIRS_PER_COMPLAINT))

    @property
    def last_day(self) -> date:
        """The last day on which requests arrive."""
        return self.day + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class DemoRun:
    """What a simulation did; the numbers worth reporting are read back from the desk."""

    settings: DemoSettings
    estate: str
    day_start: datetime
    """Midnight at the start of the first simulated day, at the estate."""
    day_end: datetime
    """Midnight at the end of the last simulated day."""
    horizon: datetime
    """The end of the follow-up days: no step was taken at or after it."""
    tickets: tuple[UUID, ...]
    """The repairs logged, in the order they were logged."""
    commands: int
    """Commands executed by the desk."""
    steps_beyond_horizon: int
    """Steps the stories would have taken after the horizon (their tickets stay open)."""
    complaints: tuple[UUID, ...] = ()
    """The complaints logged, in the order they were logged."""
