"""The discrete-event loop: one heap of due :class:`Step` entries, one clock, one desk.

Every story is a :data:`Process`; :class:`Engine` pops the earliest due step, moves the shared
clock to it, has the desk execute its command, and sends the result back into the story.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias
from uuid import UUID

from propdesk.application.views import CommandResult, repair_view

if TYPE_CHECKING:
    import random

    from propdesk.application.desk import Desk
    from propdesk.application.views import RepairView
    from propdesk.domain import commands as c
    from propdesk.testing import ManualClock


@dataclass(frozen=True)
class Step:
    """The next step of a story: what to ask the desk, and when."""

    at: datetime
    command: c.Command


Process: TypeAlias = Generator[Step, CommandResult, None]
"""A story: yields steps, receives each step's result, and ends when its ticket is done."""


@dataclass(order=True)
class _Due:
    """A heap entry: a step due at ``at``; ``seq`` breaks ties in the order steps were set."""

    at: datetime
    seq: int
    ticket: UUID = field(compare=False)
    command: c.Command = field(compare=False)
    process: Process = field(compare=False)


class Engine:
    """The discrete-event loop: one heap of due steps, one clock, one desk."""

    def __init__(self, desk: Desk, clock: ManualClock, *, horizon: datetime) -> None:
        self.desk = desk
        self.clock = clock
        self.horizon = horizon
        self.commands = 0
        self.beyond_horizon = 0
        self.receipts = itertools.count(1)
        self.on_step: Callable[[datetime, int], None] | None = None
        self._heap: list[_Due] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        """The simulated time."""
        return self.clock.now()

    def view(self, ticket: UUID) -> RepairView:
        """The ticket as the desk sees it now."""
        return repair_view(self.desk.view(ticket))

    def start(self, process: Process) -> None:
        """Sets a new story going: its first step joins the heap."""
        self._push(next(process), process)

    def run(self, *, until: datetime | None = None) -> None:
        """Takes due steps in time order until none is left before ``until``.

        Without ``until`` it runs to the horizon, and the steps still due then are counted in
        :attr:`beyond_horizon` and dropped. With it, later steps wait for the next run, so
        stories can join between runs (the next day's requests).
        """
        end = self.horizon if until is None else min(until, self.horizon)
        while self._heap and self._heap[0].at < end:
            due = heapq.heappop(self._heap)
            self.clock.set(max(due.at, self.clock.now()))
            result = self.desk.execute(due.command)
            self.commands += 1
            if self.on_step is not None:
                self.on_step(self.clock.now(), self.commands)
            try:
                following = due.process.send(result)
            except StopIteration:
                continue
            self._push(following, due.process)
        if until is None:
            self.beyond_horizon += len(self._heap)
            self._heap.clear()

    def _push(self, step: Step, process: Process) -> None:
        ticket = getattr(step.command, "ticket_id", None)
        if not isinstance(ticket, UUID):  # pragma: no cover - every demo command names one
            msg = f"the demo's {step.command.step} names no ticket"
            raise TypeError(msg)
        due = _Due(step.at, next(self._seq), ticket, step.command, process)
        heapq.heappush(self._heap, due)


def minutes_after(rng: random.Random, since: datetime, low: float, high: float) -> datetime:
    """A moment between ``low`` and ``high`` minutes after ``since``, to the second."""
    return since + timedelta(seconds=round(rng.uniform(low, high) * 60))
