"""Throughput: commands per second for whole repair lifecycles, propdesk against a bare peer.

Four runners share one backend:

* ``propdesk``: ``desk.execute`` of each lifecycle command, without ``command_id``;
* ``propdesk+id``: the same, with a fresh ``command_id`` on every command (a receipt lookup
  before, and a receipt written with the events);
* ``bare``: the bare application with eventsourcing's defaults (no cache, no snapshots);
* ``bare(cache)``: the same with ``AGGREGATE_CACHE_MAXSIZE=1000``, propdesk's cache setting.

Every runner runs the same tickets (the two lifecycles alternate by ticket number). Within a
round the runners take turns a couple of tickets at a time, in an order that rotates, so that a
slow spell of the machine or of the disk falls on all of them alike. A runner's figure for a
round is its commands divided by the wall time of its tickets; the report gives the median over
the rounds, and compares runners by the median of their round-by-round ratios.
"""

from __future__ import annotations

import statistics
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import propdesk
from _bare import BareApp, run_bare_ticket
from _lifecycle import LIFECYCLES, capture_templates, run_steps
from propdesk.persistence.store import open_store
from propdesk.testing import ManualClock, sample_organisation

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from _backends import Backend

PROPDESK_CACHE_SIZE = 1000
"""``open_desk``'s default cache size, which the like-for-like bare peer copies."""


@dataclass
class Runner:
    """A named way of running the ``i``-th ticket, with what it has measured so far.

    ``run_ticket(i)`` runs ticket number ``i`` and returns how many commands it ran.
    """

    label: str
    run_ticket: Callable[[int], int]
    commands: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    def run_chunk(self, start: int, tickets: int) -> None:
        """Runs ``tickets`` tickets, adding their commands, wall time and CPU time."""
        wall, cpu = time.perf_counter(), time.process_time()
        self.commands += sum(self.run_ticket(index) for index in range(start, start + tickets))
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu

    def take(self) -> tuple[float, float]:
        """Commands per second and CPU milliseconds per command since the last take."""
        figures = self.commands / self.wall, self.cpu * 1000 / self.commands
        self.commands, self.wall, self.cpu = 0, 0.0, 0.0
        return figures


@dataclass(frozen=True)
class ThroughputResult:
    """One backend's throughput figures, by runner label: one per round."""

    backend: str
    rates: dict[str, list[float]]
    """Commands per second (wall clock)."""
    cpu: dict[str, list[float]]
    """This process's CPU milliseconds per command (the database server's are not included)."""

    def median(self, label: str) -> float:
        """The median commands per second of ``label``."""
        return statistics.median(self.rates[label])

    def median_cpu(self, label: str) -> float:
        """The median CPU milliseconds per command of ``label``."""
        return statistics.median(self.cpu[label])

    def round_ratios(self, label: str, peer: str) -> list[float]:
        """``label``'s throughput over ``peer``'s, round by round (the same conditions)."""
        pairs = zip(self.rates[label], self.rates[peer], strict=True)
        return [mine / theirs for mine, theirs in pairs]

    def ratio(self, label: str, peer: str) -> float:
        """The median of the round-by-round ratios of ``label``'s throughput to ``peer``'s."""
        return statistics.median(self.round_ratios(label, peer))


def _propdesk_runner(label: str, desk: propdesk.Desk, clock: ManualClock, *, ids: bool) -> Runner:
    def run_ticket(index: int) -> int:
        _, steps = LIFECYCLES[index % len(LIFECYCLES)]
        run_steps(desk, clock, steps, command_ids=ids)
        return len(steps)

    return Runner(label, run_ticket)


def _bare_runner(label: str, app: BareApp) -> Runner:
    templates = [capture_templates(steps) for _, steps in LIFECYCLES]

    def run_ticket(index: int) -> int:
        chosen = templates[index % len(templates)]
        run_bare_ticket(app, chosen)
        return len(chosen)

    return Runner(label, run_ticket)


@contextmanager
def open_runners(backend: Backend) -> Iterator[list[Runner]]:
    """The four runners on ``backend``: one desk (both propdesk runners) and two bare apps."""
    clock = ManualClock()
    desk = propdesk.open_desk(
        backend.propdesk_url, organisations=[sample_organisation()], clock=clock
    )
    bare = BareApp(env=backend.bare_env)
    cached = BareApp(env={**backend.bare_env, "AGGREGATE_CACHE_MAXSIZE": str(PROPDESK_CACHE_SIZE)})
    try:
        yield [
            _propdesk_runner("propdesk", desk, clock, ids=False),
            _propdesk_runner("propdesk+id", desk, clock, ids=True),
            _bare_runner("bare", bare),
            _bare_runner("bare(cache)", cached),
        ]
    finally:
        desk.close()
        bare.close()
        cached.close()


def measure_throughput(
    backend: Backend,
    *,
    tickets: int,
    rounds: int,
    warmup: int,
    chunk: int,
    progress: Callable[[str], None],
) -> ThroughputResult:
    """Runs ``rounds`` rounds of ``tickets`` tickets per runner, interleaved in chunks.

    Within a round the runners take turns, ``chunk`` tickets at a time, and the order of
    turns rotates from chunk to chunk, so that a slow spell of the machine (or of the disk's
    fsync) falls on every runner alike.
    """
    rates: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    with open_runners(backend) as runners:
        for runner in runners:
            runner.run_chunk(0, warmup)
            runner.take()
        next_ticket = warmup
        for round_number in range(rounds):
            for turn, start in enumerate(range(0, tickets, chunk)):
                size = min(chunk, tickets - start)
                shift = turn % len(runners)
                for runner in runners[shift:] + runners[:shift]:
                    runner.run_chunk(next_ticket, size)
                next_ticket += size
            for runner in runners:
                rate, cpu_ms = runner.take()
                rates.setdefault(runner.label, []).append(rate)
                cpu.setdefault(runner.label, []).append(cpu_ms)
            figures = "  ".join(f"{r.label} {rates[r.label][-1]:.0f}" for r in runners)
            progress(f"  {backend.name} round {round_number + 1}/{rounds}: {figures} cmd/s")
    return ThroughputResult(backend.name, rates, cpu)


@dataclass(frozen=True)
class PayloadCheck:
    """What one lifecycle stored on each side: events and bytes of JSON state."""

    lifecycle: str
    propdesk_events: int
    propdesk_bytes: int
    bare_events: int
    bare_bytes: int


def check_payloads(backend: Backend) -> list[PayloadCheck]:
    """Runs each lifecycle once on both sides (untimed) and compares what was stored."""
    clock = ManualClock()
    checks = []
    with (
        propdesk.open_desk(
            backend.propdesk_url, organisations=[sample_organisation()], clock=clock
        ) as desk,
        closing(BareApp(env=backend.bare_env)) as bare,
    ):
        store, _ = open_store(backend.propdesk_url)
        try:
            for name, steps in LIFECYCLES:
                ticket_id, _ = run_steps(desk, clock, steps)
                mine = store.recorder.select_events(ticket_id)
                bare_id = run_bare_ticket(bare, capture_templates(steps))
                theirs = bare.recorder.select_events(bare_id)
                checks.append(
                    PayloadCheck(
                        name,
                        len(mine),
                        sum(len(r.state) for r in mine),
                        len(theirs),
                        sum(len(r.state) for r in theirs),
                    )
                )
        finally:
            store.close()
    return checks
