"""Sending the outbox: lease the notices whose time has come, deliver, record the answer.

A failure is tried again after a growing wait (2 s, 4 s, 8 s... up to ``retry_max_seconds``,
with jitter, or the receiver's own ``Retry-After``), until ``max_send_attempts``; a rejection
is final. A worker that dies mid-batch leaves its lease to expire, and another worker sends
the rest; a notice may therefore reach a receiver twice, with the same ``Idempotency-Key``.
The rows are the outbox projection's (:mod:`propdesk.worker.outbox`); the columns this
module writes (``attempts``, ``next_attempt_at``, the lease, ``sent_at``, ``failed_at``,
``last_error``) are the sender's alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from propdesk.worker.leases import lease_rows, settle
from propdesk.worker.notifiers import DeliveryFailed, DeliveryRejected, Notice, Notifier

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine, Table

    from propdesk.worker.leases import Row

_log = structlog.get_logger("propdesk.worker.sending")


@dataclass
class SendTally:
    """What one round of sending did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Retrying:
    """How a failed delivery is tried again."""

    base_seconds: float = 2.0
    max_seconds: float = 600.0
    max_attempts: int = 10

    def wait(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before the next try; at least the receiver's own wait, if it named one.

        Doubling from the base, capped, with up to 20 % jitter so that workers do not retry
        in step.
        """
        doubled = min(self.max_seconds, self.base_seconds * 2.0 ** max(0, attempts - 1))
        jittered = doubled * (1 + 0.2 * random.random())  # noqa: S311 - spreading retries, not secrets
        return max(jittered, retry_after or 0.0)


def send_due(
    engine: Engine,
    table: Table,
    notifier: Notifier,
    *,
    now: datetime,
    owner: str,
    lease: timedelta,
    batch: int,
    retrying: Retrying,
) -> SendTally:
    """Leases up to ``batch`` notices whose time has come, sends them, records each answer."""
    tally = SendTally()
    leased = _lease(engine, table, now=now, owner=owner, until=now + lease, batch=batch)
    for row in leased:
        notice = Notice.model_validate({k: row[k] for k in Notice.model_fields})
        log = _log.bind(ticket_id=notice.ticket_id, key=notice.key)
        attempts = row["attempts"] + 1
        try:
            notifier.send(notice)
        except DeliveryRejected as error:
            _finish(engine, table, notice.key, owner, attempts=attempts, failed_at=now,
                    last_error=str(error)[:2000])  # fmt: skip
            tally.failed += 1
            tally.errors.append(str(error))
            log.warning("notification rejected", error=str(error), attempts=attempts)
            continue
        except DeliveryFailed as error:
            final = attempts >= retrying.max_attempts
            wait = timedelta(seconds=retrying.wait(attempts, error.retry_after))
            _finish(engine, table, notice.key, owner, attempts=attempts,
                    next_attempt_at=now + wait, failed_at=now if final else None,
                    last_error=str(error)[:2000])  # fmt: skip
            tally.errors.append(str(error))
            if final:
                tally.failed += 1
                log.error("notification failed for good", error=str(error), attempts=attempts)  # noqa: TRY400 - an answer, not a traceback
            else:
                tally.retried += 1
                log.warning("notification failed; will retry", error=str(error),
                            attempts=attempts, retry_in=wait.total_seconds())  # fmt: skip
            continue
        _finish(engine, table, notice.key, owner, attempts=attempts, sent_at=now)
        tally.sent += 1
    return tally


def _lease(
    engine: Engine, table: Table, *, now: datetime, owner: str, until: datetime, batch: int
) -> list[Row]:
    c = table.c
    ready = c.sent_at.is_(None) & c.failed_at.is_(None) & (c.next_attempt_at <= now)
    return lease_rows(engine, table, key=("key",), ready=ready, order=("next_attempt_at", "key"),
                      now=now, owner=owner, until=until, batch=batch)  # fmt: skip


def _finish(engine: Engine, table: Table, key: str, owner: str, **values: Any) -> None:  # noqa: ANN401 - column values
    """Records an answer, if this worker still holds the lease (else another one took over)."""
    settle(engine, table, key=("key",), keys=[(key,)], owner=owner, **values)
