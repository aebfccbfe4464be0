"""Latency: the same commands on a 5-event ticket and on a 500-event ticket, through propdesk.

Every measured command is one of the nobody-home revisit loop (:data:`REVISIT_BLOCK`:
knock_unanswered, knock_unanswered five minutes later, leave_for_revisit, dispatch,
report_arrival), which is legal from the same state (on site, with the same acceptor) on both
tickets and brings the ticket back to it.

* A short ticket is built fresh for every block: :data:`SHORT_PREFIX`, five events, so its
  measured commands run at 5–9 events.
* A long ticket is the same prefix followed by the revisit loop until it holds exactly
  ``long_events`` events; ``blocks`` blocks are then measured on it, so its measured commands
  run at ``long_events`` … ``long_events + 5 * blocks - 1`` events. Ten blocks from 500 span
  two whole snapshot intervals (25 events each): a cold load then replays 0 to 24 events after
  the latest snapshot, evenly, and the commands that reach versions 525 and 550 take snapshots,
  as one command in fifty does in real use.

Short and long blocks alternate (and swap order every other time) so that noise hits both.
Each latency is the wall time of building the command and ``desk.execute`` on it. Two desks
are measured: propdesk's defaults (cache on) and ``cache_size=0`` (every command loads the
ticket from the database: the latest snapshot, then the events after it).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import propdesk
from _lifecycle import REVISIT_BLOCK, SHORT_PREFIX, run_steps
from propdesk.testing import ManualClock, sample_organisation

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from _backends import Backend

SHORT_EVENTS = len(SHORT_PREFIX)
MODES: tuple[tuple[str, int], ...] = (("cache on", 1000), ("cache off", 0))
"""Each mode's label and the ``cache_size`` its desk is opened with."""


@dataclass(frozen=True)
class Percentiles:
    """Median and 95th percentile of a set of latencies, in milliseconds."""

    count: int
    p50: float
    p95: float

    @classmethod
    def of(cls, seconds: list[float]) -> Percentiles:
        """The summary of ``seconds``."""
        millis = [s * 1000 for s in seconds]
        p95 = statistics.quantiles(millis, n=20, method="inclusive")[18]
        return cls(len(millis), statistics.median(millis), p95)


@dataclass(frozen=True)
class LatencyResult:
    """One backend and desk mode: per-command latencies on each ticket size."""

    backend: str
    mode: str
    long_events: int
    short: Percentiles
    long: Percentiles

    @property
    def ratio(self) -> float:
        """Median latency on the long ticket over that on the short one."""
        return self.long.p50 / self.short.p50

    @property
    def p95_ratio(self) -> float:
        """95th-percentile latency on the long ticket over that on the short one."""
        return self.long.p95 / self.short.p95


def build_ticket(desk: propdesk.Desk, clock: ManualClock, events: int) -> UUID:
    """A ticket on site with exactly ``events`` events (5, 10, 15, …)."""
    loops, rest = divmod(events - SHORT_EVENTS, len(REVISIT_BLOCK))
    if loops < 0 or rest:
        raise ValueError(f"a ticket size must be {SHORT_EVENTS} plus a multiple of 5")
    ticket_id, _ = run_steps(desk, clock, SHORT_PREFIX)
    for _ in range(loops):
        run_steps(desk, clock, REVISIT_BLOCK, ticket_id)
    return ticket_id


def time_block(desk: propdesk.Desk, clock: ManualClock, ticket_id: UUID) -> list[float]:
    """Runs one revisit block on the ticket; returns each command's latency in seconds."""
    latencies = []
    for step in REVISIT_BLOCK:
        clock.advance(seconds=step.advance.total_seconds())
        began = time.perf_counter()
        desk.execute(step.build(ticket_id, None))
        latencies.append(time.perf_counter() - began)
    return latencies


def _measure_mode(
    desk: propdesk.Desk, clock: ManualClock, *, long_events: int, long_tickets: int, blocks: int
) -> tuple[list[float], list[float]]:
    longs = [build_ticket(desk, clock, long_events) for _ in range(long_tickets)]
    build_ticket(desk, clock, SHORT_EVENTS)  # warm-up
    short: list[float] = []
    long: list[float] = []
    for block in range(blocks):
        for index, long_id in enumerate(longs):
            short_id = build_ticket(desk, clock, SHORT_EVENTS)
            if (block + index) % 2 == 0:
                short += time_block(desk, clock, short_id)
                long += time_block(desk, clock, long_id)
            else:
                long += time_block(desk, clock, long_id)
                short += time_block(desk, clock, short_id)
    return short, long


def measure_latency(
    backend: Backend,
    *,
    long_events: int,
    long_tickets: int,
    blocks: int,
    progress: Callable[[str], None],
) -> list[LatencyResult]:
    """Measures both desk modes on ``backend``."""
    results = []
    for mode, cache_size in MODES:
        clock = ManualClock()
        with propdesk.open_desk(
            backend.propdesk_url,
            organisations=[sample_organisation()],
            clock=clock,
            cache_size=cache_size,
        ) as desk:
            short, long = _measure_mode(
                desk, clock, long_events=long_events, long_tickets=long_tickets, blocks=blocks
            )
        result = LatencyResult(
            backend.name, mode, long_events, Percentiles.of(short), Percentiles.of(long)
        )
        progress(
            f"  {backend.name} latency ({mode}): {SHORT_EVENTS}-event p50 {result.short.p50:.2f}"
            f" ms, {long_events}-event p50 {result.long.p50:.2f} ms"
        )
        results.append(result)
    return results
