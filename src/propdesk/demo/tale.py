"""What every part of a request's story shares: its plan, its own PRNG, and small helpers."""

from __future__ import annotations

import itertools
import random
from collections.abc import Generator
from typing import TYPE_CHECKING, TypeAlias

from propdesk.application.views import CommandResult
from propdesk.demo.engine import Step, minutes_after

if TYPE_CHECKING:
    from datetime import datetime

    from propdesk.demo.cast import Cast
    from propdesk.demo.engine import Engine
    from propdesk.demo.plans import Plan
    from propdesk.domain import commands as c

SubStory: TypeAlias = Generator[Step, CommandResult, None]


class Tale:
    """A request's state as its story goes on, with the helpers every step uses."""

    def __init__(self, engine: Engine, cast: Cast, plan: Plan) -> None:
        self.engine = engine
        self.cast = cast
        self.plan = plan
        self.ticket = plan.ticket_id
        self.rng = random.Random(plan.seed)
        self.first_visit = True
        self.reworks = 0
        self.signatures = itertools.count(1)

    # -- time and people

    def now(self) -> datetime:
        """The simulated time."""
        return self.engine.now()

    def after(self, low: float, high: float, *, since: datetime | None = None) -> datetime:
        """A moment between ``low`` and ``high`` minutes after ``since`` (default: now)."""
        return minutes_after(self.rng, since or self.now(), low, high)

    def notifier(self, at: datetime) -> str:
        """The id of the notifier on duty at ``at``."""
        return self.cast.notifier_at(at).id

    def signature(self, who: str) -> str:
        """A fresh reference to a signature by ``who`` on this ticket."""
        return f"sig-{self.ticket.hex[:8]}-{who}-{next(self.signatures)}"

    def step(self, at: datetime, command: c.Command) -> Step:
        """The step that asks the desk to execute ``command`` at ``at``."""
        return Step(at, command)
