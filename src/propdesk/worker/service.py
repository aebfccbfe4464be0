"""The SLA worker: one tick catches up, acts on what is due, and sends what it must.

Each tick, in order:

1. On SQLite, take or renew the worker lock; a worker without it does nothing this tick.
2. Catch the read models up, the agenda among them (leaving to another worker a read model
   it is catching up at that moment, rather than queueing behind it).
3. Claim due deadlines in batches (a lease; ``SKIP LOCKED`` on PostgreSQL), soonest first;
   send each one's commands (:mod:`propdesk.worker.actions`); mark it done. Stop when nothing
   is due, after ``tick_budget_seconds``, or when asked to stop (what is still claimed is
   given back).
4. Catch the outbox up (the notices of the events just stored), and send what is due.

A tick that cannot reach the database logs it and waits before the next try, doubling the
wait up to ``database_retry_max_seconds``: the worker does not crash, and does not hammer a
database that is starting up. The time comes from the injected clock, so tests can move it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from propdesk.domain.errors import (
    ConcurrencyConflict,
    IllegalStep,
    InvalidCommand,
    RuleViolation,
    UnauthorisedActor,
    UnknownTicket,
)
from propdesk.persistence.store import StoreUnavailable
from propdesk.projections.agenda import AGENDA
from propdesk.projections.runner import Projector, default_projections
from propdesk.worker import claims, lock
from propdesk.worker.actions import plan
from propdesk.worker.metrics import Metrics
from propdesk.worker.outbox import OUTBOX, Audience, Outbox
from propdesk.worker.sending import Retrying, send_due

if TYPE_CHECKING:
    from sqlalchemy import Table

    from propdesk.application.clock import Clock
    from propdesk.application.desk import Desk
    from propdesk.worker.claims import Deadline
    from propdesk.worker.notifiers import Notifier
    from propdesk.worker.settings import WorkerSettings

_log = structlog.get_logger("propdesk.worker")

_REFUSED = (IllegalStep, RuleViolation, UnknownTicket, UnauthorisedActor, InvalidCommand)
"""A command the ticket will not take: recorded as the deadline's outcome, not retried."""
_UNREACHABLE = (StoreUnavailable, SQLAlchemyError, DBAPIError, ConcurrencyConflict, OSError)
"""The database (or a ticket's contention) is in the way: the tick stops and tries later."""


@dataclass
class TickReport:
    """What one tick did."""

    held_lock: bool = True
    caught_up: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    retried: int = 0
    failed_notices: int = 0
    error: str | None = None
    """Why the tick stopped early, if it did."""

    @property
    def handled(self) -> int:
        """Deadlines handled, whatever their outcome."""
        return sum(self.outcomes.values())


class SlaWorker:
    """Watches the agenda and acts. Make one with :func:`propdesk.worker.open_worker`."""

    def __init__(
        self,
        settings: WorkerSettings,
        *,
        desk: Desk,
        notifier: Notifier,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.desk = desk
        self.notifier = notifier
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.owner = settings.worker_id
        self.audience = Audience(
            organisations=desk.organisations, estate_of=self._estate_of,
            worker_actor=settings.actor, policy=desk.policy,
            urgent_goals=settings.urgent_goals, quiet_start=settings.quiet_start,
            quiet_end=settings.quiet_end,
        )  # fmt: skip
        self.projector = Projector(
            settings.database_url, [*default_projections(), Outbox(self.audience)], clock=clock
        )
        self._sqlite = self.projector.engine.dialect.name == "sqlite"
        if self._sqlite:
            lock.create(self.projector.engine)
        self._stopping = threading.Event()
        self._failures = 0
        self._resume_at = 0.0
        """When (``time.monotonic``) to try the database again after a failed tick."""
        self._retrying = Retrying(
            settings.retry_base_seconds, settings.retry_max_seconds, settings.max_send_attempts
        )

    # ------------------------------------------------------------------ the tick

    def tick(self) -> TickReport:
        """One round: catch up, act on what is due, send. Never raises for a database outage."""
        report = TickReport()
        if time.monotonic() < self._resume_at:
            report.error = "waiting before trying the database again"
            return report
        now = self.clock.now()
        started = time.perf_counter()
        stage = "lock"
        try:
            if self._sqlite:
                until = now + timedelta(seconds=self.settings.lease_seconds)
                report.held_lock = lock.acquire(
                    self.projector.engine, owner=self.owner, now=now, until=until
                )
                if not report.held_lock:
                    return report
            stage = "catch_up"
            report.caught_up = sum(self.projector.catch_up(wait=False).values())
            stage = "act"
            self._act_on_due(report, started)
            stage = "outbox"
            self.projector.catch_up(["outbox"], wait=False)
            stage = "send"
            self._send(report, started)
            stage = "metrics"
            self._measure()
        except _UNREACHABLE as error:
            self._failed(report, stage, error)
        else:
            if self._failures:
                _log.info("database reachable again", after_failures=self._failures)
            self._failures, self._resume_at = 0, 0.0
        finally:
            self.metrics.tick(time.perf_counter() - started)
        return report

    def _act_on_due(self, report: TickReport, started: float) -> None:
        engine = self.projector.engine
        lease = timedelta(seconds=self.settings.lease_seconds)
        while not self._stopping.is_set():
            if time.perf_counter() - started > self.settings.tick_budget_seconds:
                return
            now = self.clock.now()
            table = self._live_table("sla_agenda", AGENDA)
            claimed = claims.claim(engine, table, now=now, owner=self.owner, until=now + lease,
                                   batch=self.settings.claim_batch)  # fmt: skip
            if not claimed:
                return
            for index, deadline in enumerate(claimed):
                if self._stopping.is_set():
                    claims.release(engine, table, claimed[index:], owner=self.owner)
                    return
                try:
                    outcome, detail = self._act(deadline)
                except _UNREACHABLE:
                    claims.release(engine, table, claimed[index:], owner=self.owner)
                    raise
                claims.finish(engine, table, deadline, owner=self.owner, now=self.clock.now(),
                              outcome=outcome, detail=detail)  # fmt: skip
                report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
                self.metrics.action(deadline.action, outcome)

    def _act(self, deadline: Deadline) -> tuple[str, str | None]:
        """Sends the deadline's commands; returns the outcome and what went wrong, if anything.

        ``acted``: a command stored events (now, or the first time it was sent); ``moot``:
        the ticket had moved on, so every command was a no-op; ``skipped``: nothing was worth
        sending (a warning after its deadline); ``refused``: the ticket refused a command.
        """
        log = _log.bind(ticket_id=deadline.ticket_id, goal=deadline.goal, run=deadline.run,
                        action=deadline.action, due_at=deadline.due_at.isoformat())  # fmt: skip
        chosen = plan(
            deadline, now=self.clock.now(), actor=self.settings.actor,
            follow_ups=self.settings.follow_ups,
            escalate_overdue_complaints=self.settings.escalate_overdue_complaints,
        )  # fmt: skip
        if chosen.skipped:
            log.info("deadline skipped", reason=chosen.skipped)
            return "skipped", chosen.skipped
        stored, refusals = 0, []
        for command in chosen.commands:
            try:
                result = self.desk.execute(command)
            except _REFUSED as error:
                refusals.append(f"{command.step}: {error}")
                log.warning("command refused", step=command.step, error=str(error))
                continue
            stored += len(result.events)
            log.info("deadline acted on", step=command.step, events=result.events,
                     replayed=result.replayed)  # fmt: skip
        detail = "; ".join(refusals) or None
        if stored:
            return "acted", detail
        return ("refused" if refusals else "moot"), detail

    def _send(self, report: TickReport, started: float) -> None:
        """Sends what is due, a batch at a time, until none is left or the budget is spent.

        What is left goes next tick, after the deadlines due by then.
        """
        engine = self.projector.engine
        table = self._live_table("outbox", OUTBOX)
        while not self._stopping.is_set():
            if time.perf_counter() - started > self.settings.tick_budget_seconds:
                return
            tally = send_due(
                engine, table, self.notifier, now=self.clock.now(), owner=self.owner,
                lease=timedelta(seconds=self.settings.lease_seconds),
                batch=self.settings.send_batch, retrying=self._retrying,
            )  # fmt: skip
            report.sent += tally.sent
            report.retried += tally.retried
            report.failed_notices += tally.failed
            self.metrics.notifications(tally.sent, tally.retried, tally.failed)
            if tally.sent + tally.retried + tally.failed < self.settings.send_batch:
                return

    def _measure(self) -> None:
        engine, now = self.projector.engine, self.clock.now()
        table = self._live_table("sla_agenda", AGENDA)
        count, oldest = claims.due_count(engine, table, now)
        self.metrics.due(count, (now - oldest).total_seconds() if oldest else 0.0)
        self.metrics.projection_lag({s.name: s.lag for s in self.projector.status()})

    def _live_table(self, projection: str, plain: str) -> Table:
        """A projection's table in its live generation (a rebuild may have swapped it)."""
        with self.projector.engine.connect() as connection:
            return self.projector.live_tables(connection, projection)[plain]

    def _failed(self, report: TickReport, stage: str, error: BaseException) -> None:
        self._failures += 1
        wait = min(self.settings.database_retry_max_seconds,
                   self.settings.tick_seconds * 2 ** min(self._failures, 20))  # fmt: skip
        self._resume_at = time.monotonic() + wait
        report.error = f"{stage}: {type(error).__name__}: {error}"
        self.metrics.failure(stage)
        _log.warning("tick failed; trying again later", stage=stage, error=str(error)[:500],
                     failures=self._failures, retry_in=wait)  # fmt: skip

    # ------------------------------------------------------------------ lifecycle

    def stop(self) -> None:
        """Asks the running tick to give back what it holds and end (thread-safe)."""
        self._stopping.set()

    def close(self) -> None:
        """Releases the SQLite worker lock and closes the database connections."""
        try:
            if self._sqlite:
                lock.release(self.projector.engine, owner=self.owner)
        except _UNREACHABLE as error:
            _log.warning("could not release the worker lock", error=str(error)[:500])
        finally:
            self.notifier.close()
            self.projector.close()
            self.desk.close()

    def _estate_of(self, ticket_id: str) -> str | None:
        try:
            return self.desk.load(UUID(ticket_id)).estate
        except UnknownTicket:
            return None
