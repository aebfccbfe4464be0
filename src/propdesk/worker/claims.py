"""Claiming due deadlines from the agenda, and recording what became of them.

A claim is a lease (:mod:`propdesk.worker.leases`): a worker that dies mid-batch holds its
rows only until the lease runs out, and another worker takes them over. On SQLite only the
worker holding the desk's worker lock claims (:mod:`propdesk.worker.lock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from propdesk.worker.leases import lease_rows, settle

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine, Table

_KEY_COLUMNS = ("ticket_id", "goal", "run", "action")
"""The agenda's primary key."""


@dataclass(frozen=True)
class Deadline:
    """One agenda row a worker has claimed."""

    ticket_id: str
    goal: str
    run: int
    action: str
    kind: str
    fire_at: datetime
    due_at: datetime
    attempts: int

    @property
    def key(self) -> tuple[str, str, int, str]:
        """The row's primary key."""
        return (self.ticket_id, self.goal, self.run, self.action)


def claim(
    engine: Engine, table: Table, *, now: datetime, owner: str, until: datetime, batch: int
) -> list[Deadline]:
    """Leases up to ``batch`` due rows to ``owner`` until ``until``; soonest first."""
    c = table.c
    rows = lease_rows(
        engine, table, key=_KEY_COLUMNS, ready=c.done_at.is_(None) & (c.fire_at <= now),
        order=("fire_at", "rank", "ticket_id", "goal", "run"), now=now, owner=owner,
        until=until, batch=batch, attempts=c.attempts + 1,
    )  # fmt: skip
    return [_deadline(row) for row in rows]


def _deadline(row: Any) -> Deadline:  # noqa: ANN401 - a row mapping
    return Deadline(
        ticket_id=row["ticket_id"], goal=row["goal"], run=row["run"], action=row["action"],
        kind=row["kind"], fire_at=row["fire_at"], due_at=row["due_at"], attempts=row["attempts"],
    )  # fmt: skip


def finish(
    engine: Engine,
    table: Table,
    deadline: Deadline,
    *,
    owner: str,
    now: datetime,
    outcome: str,
    detail: str | None = None,
) -> bool:
    """Marks a claimed row done; ``False`` if this worker no longer held it (or it is gone)."""
    marked = settle(engine, table, key=_KEY_COLUMNS, keys=[deadline.key], owner=owner,
                    done_at=now, outcome=outcome, detail=detail)  # fmt: skip
    return marked == 1


def release(engine: Engine, table: Table, deadlines: list[Deadline], *, owner: str) -> None:
    """Gives claimed rows back at once (a graceful stop, or a failure to act)."""
    settle(engine, table, key=_KEY_COLUMNS, keys=[d.key for d in deadlines], owner=owner)


def due_count(engine: Engine, table: Table, now: datetime) -> tuple[int, datetime | None]:
    """How many rows are due and not done, and the oldest one's time (for the metrics)."""
    c = table.c
    due = c.done_at.is_(None) & (c.fire_at <= now)
    with engine.connect() as connection:
        query = select(func.count(), func.min(c.fire_at)).where(due)
        count, oldest = connection.execute(query).one()
    return int(count), oldest
