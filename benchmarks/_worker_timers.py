"""Filling a desk with open timers and real deadlines, and reading what the workers did.

- :func:`fill_synthetic`: the agenda's live table gets ``rows`` synthetic open deadlines,
  days ahead, inserted server-side (``INSERT … SELECT … generate_series``) and vacuumed and
  analysed (so that autovacuum does not visit it during the measurement): what
  a desk with that many running goals looks like to the worker's claim.
- :func:`log_falling_due`: real repairs logged with a past ``at``, so that each one's
  ``notify_engineering`` goal (T04: due 3 minutes after ``Logged``) falls due at a chosen
  moment in the near future; the read models caught up (and the worker's outbox made)
  before any worker starts.
- :func:`log_overdue`: real repairs dispatched two hours ago, so that each one's
  ``arrive_asap`` deadline (T06, run 1) is overdue: a breach and an escalation each, and a
  warning skipped; :func:`overdue_handled` counts what the workers stored on them.
- :func:`wait_until_done`: polls (through the agenda's partial index, so that a million rows
  cost the poll nothing) until every row due by a moment is done; :func:`wait_until_sent`,
  until the outbox has read every event and sent every notice they called for.
- :func:`breach_latencies`: each deadline's ``GoalBreached`` timestamp, and its agenda row's
  ``done_at``, less its due time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from propdesk import Dispatch, open_desk
from propdesk.projections import Projector, default_projections
from propdesk.projections.agenda import AGENDA
from propdesk.testing import new_repair, sample_organisation
from propdesk.worker.outbox import OUTBOX, Audience, Outbox

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from sqlalchemy import Table

    from _worker_fleet import Fleet

GOAL = "notify_engineering"
"""T04: engineering notified within 3 minutes of ``Logged``; elapsed time, to the second."""
GOAL_LIMIT = timedelta(minutes=3)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    """p50, p95, p99 and max of some latencies (seconds)."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        """The spread of ``values``."""
        return cls(
            len(values),
            percentile(values, 0.50),
            percentile(values, 0.95),
            percentile(values, 0.99),
            max(values, default=float("nan")),
        )


def agenda_table(projector: Projector) -> Table:
    """The agenda's live generation table (the view cannot take the worker's updates)."""
    with projector.engine.connect() as connection:
        return projector.live_tables(connection, "sla_agenda")[AGENDA]


def fill_synthetic(url: str, rows: int, progress: Callable[[str], None]) -> float:
    """Adds ``rows`` open deadlines 1–31 days ahead to the live agenda; returns the seconds."""
    began = time.perf_counter()
    with Projector(url) as projector:
        table = agenda_table(projector)
        done, chunk = 0, 200_000
        while done < rows:
            size = min(chunk, rows - done)
            with projector.engine.begin() as connection:
                connection.exec_driver_sql(
                    f"INSERT INTO {table.name} (ticket_id, goal, run, action, rank, kind,"  # noqa: S608 - our own table name
                    " fire_at, due_at, attempts)"
                    " SELECT gen_random_uuid()::text, 'arrive_asap', 1, 'due', 1, 'repair',"
                    " s.t, s.t, 0 FROM (SELECT now() + interval '1 day'"
                    " + random() * interval '30 days' AS t FROM generate_series(1, %(n)s)) AS s",
                    {"n": size},
                )
            done += size
            progress(f"    {done:,} synthetic agenda rows")
        # VACUUM too: autovacuum would otherwise visit a freshly filled table mid-measurement
        autocommit = projector.engine.execution_options(isolation_level="AUTOCOMMIT")
        with autocommit.connect() as connection:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table.name}")
    return time.perf_counter() - began


def log_falling_due(
    url: str, *, count: int, first_due: datetime, spacing: float
) -> list[tuple[UUID, datetime]]:
    """Logs ``count`` repairs whose T04 deadlines fall due ``spacing`` s apart from ``first_due``.

    Each is logged with ``at`` three minutes before its deadline (the desk's own arithmetic
    fixes ``due_at``); none is dispatched, so each goal is still running when it falls due.
    The read models are caught up before this returns (:func:`catch_up`). Returns each
    ticket and its deadline.
    """
    logged = []
    with open_desk(url, organisations=[sample_organisation()]) as desk:
        for number in range(count):
            due = first_due + timedelta(seconds=number * spacing)
            ticket = desk.execute(new_repair(at=due - GOAL_LIMIT)).ticket_id
            logged.append((ticket, due))
    catch_up(url)
    return logged


def log_overdue(url: str, *, count: int) -> tuple[list[UUID], datetime]:
    """Logs ``count`` repairs dispatched two hours ago; returns them, and when (all due before).

    Each one's ``arrive_asap`` run 1 fell due 1 h 50 min ago: a warning row (to be skipped:
    its deadline has passed) and a deadline row (a breach, then the dispatch escalated).
    """
    now = datetime.now(UTC)
    tickets = []
    with open_desk(url, organisations=[sample_organisation()]) as desk:
        for _ in range(count):
            ticket = desk.execute(new_repair(at=now - timedelta(hours=2, minutes=1))).ticket_id
            desk.execute(
                Dispatch(
                    ticket_id=ticket,
                    actor="desk-huang",
                    acceptor="tech-zhang",
                    at=now - timedelta(hours=2),
                )
            )
            tickets.append(ticket)
    catch_up(url)
    return tickets, now


@dataclass(frozen=True)
class Handled:
    """What the workers stored on the overdue tickets (from the events, not the agenda).

    The agenda forgets a run's rows once the escalation that stops it is projected, so the
    events are what is left to count.
    """

    breaches: int
    escalations: int
    warnings: int
    untouched: int
    """Tickets with no breach or no escalation (should be 0)."""


def overdue_handled(url: str, tickets: list[UUID]) -> Handled:
    """Counts the breaches, escalations and warnings stored on ``tickets`` by the workers."""
    counts = {"GoalBreached": 0, "Escalated": 0, "GoalWarned": 0}
    untouched = 0
    with open_desk(url, organisations=[sample_organisation()], cache_size=0) as desk:
        for ticket in tickets:
            names = [type(event).__name__ for event in desk.stored_events(ticket)]
            for name in counts:
                counts[name] += names.count(name)
            untouched += "GoalBreached" not in names or "Escalated" not in names
    return Handled(counts["GoalBreached"], counts["Escalated"], counts["GoalWarned"], untouched)


def watching(url: str) -> Projector:
    """A projector that knows the worker's outbox too (to read its tables and its lag).

    Opening it makes the outbox if it is not there yet, at the store's head, as the first
    worker to start would.
    """
    audience = Audience(organisations={}, estate_of=lambda _: None, worker_actor="sla-monitor")
    return Projector(url, [*default_projections(), Outbox(audience)])


def catch_up(url: str) -> None:
    """Catches the read models up, making the worker's outbox too (at the store's head).

    The outbox is made here, as the first worker to start would make it, because workers
    started at the same moment on a database without it race to make it, and all but one
    exit (see the README's section on this benchmark).
    """
    with watching(url) as projector:
        projector.catch_up()


def notices_pending(projector: Projector) -> int:
    """Notices not yet sent (nor failed for good), and events the outbox has not yet read.

    ``projector`` must know the outbox (:func:`watching`).
    """
    with projector.engine.connect() as connection:
        table = projector.live_tables(connection, "outbox")[OUTBOX]
        c = table.c
        query = select(func.count()).where(c.sent_at.is_(None) & c.failed_at.is_(None))
        unsent = int(connection.execute(query).scalar_one())
    lag = sum(status.lag for status in projector.status() if status.name == "outbox")
    return unsent + lag


def notices_sent(projector: Projector) -> int:
    """Notices sent so far (``projector`` must know the outbox)."""
    with projector.engine.connect() as connection:
        table = projector.live_tables(connection, "outbox")[OUTBOX]
        query = select(func.count()).where(table.c.sent_at.is_not(None))
        return int(connection.execute(query).scalar_one())


def wait_until_sent(projector: Projector, *, fleet: Fleet, timeout: float) -> float | None:
    """Waits until the outbox has read every event and sent every notice; ``time.time()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fleet.check_alive()
        if notices_pending(projector) == 0:
            return time.time()
        time.sleep(0.25)
    return None


def to_do(projector: Projector, table: Table, until: datetime) -> int:
    """Rows due by ``until`` and not done (read through the partial index on ``fire_at``)."""
    c = table.c
    with projector.engine.connect() as connection:
        query = select(func.count()).where(c.done_at.is_(None) & (c.fire_at <= until))
        return int(connection.execute(query).scalar_one())


def wait_until_done(
    projector: Projector, table: Table, until: datetime, *, fleet: Fleet, timeout: float
) -> float | None:
    """Waits until ``until`` has passed and every row due by then is done; ``time.time()``.

    ``None`` if ``timeout`` seconds pass first. Raises ``RuntimeError`` if a worker exits.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fleet.check_alive()
        if datetime.now(UTC) > until and to_do(projector, table, until) == 0:
            return time.time()
        time.sleep(0.25)
    return None


def outcomes(projector: Projector, table: Table, until: datetime) -> dict[str, int]:
    """Rows due by ``until``, by ``action:outcome`` (``due:acted``, ``warn:skipped``…)."""
    c = table.c
    with projector.engine.connect() as connection:
        query = (
            select(c.action, c.outcome, func.count())
            .where(c.fire_at <= until)
            .group_by(c.action, c.outcome)
        )
        return {f"{a}:{o}": int(n) for a, o, n in connection.execute(query)}


@dataclass(frozen=True)
class Latencies:
    """How late each deadline was acted on (seconds)."""

    breach: list[float]
    """The ``GoalBreached`` event's timestamp less the deadline."""
    done: list[float]
    """The agenda row's ``done_at`` less the deadline."""
    missing: int
    """Deadlines with no ``GoalBreached`` (should be 0)."""


def breach_latencies(url: str, logged: list[tuple[UUID, datetime]]) -> Latencies:
    """Each logged ticket's breach and done latencies."""
    due_of = {str(ticket): due for ticket, due in logged}
    breach, missing = [], 0
    with open_desk(url, organisations=[sample_organisation()], cache_size=0) as desk:
        for ticket, due in logged:
            found = [
                event
                for event in desk.stored_events(ticket)
                if type(event).__name__ == "GoalBreached" and vars(event).get("goal") == GOAL
            ]
            if not found:
                missing += 1
                continue
            breach.append((found[0].timestamp - due).total_seconds())
    done = []
    with Projector(url) as projector:
        table = agenda_table(projector)
        c = table.c
        ids = list(due_of)
        with projector.engine.connect() as connection:
            for first in range(0, len(ids), 500):
                query = select(c.ticket_id, c.done_at).where(
                    c.ticket_id.in_(ids[first : first + 500])
                    & (c.goal == GOAL)
                    & (c.action == "due")
                )
                done += [
                    (at - due_of[ticket]).total_seconds()
                    for ticket, at in connection.execute(query)
                    if at is not None
                ]
    return Latencies(breach, done, missing)
