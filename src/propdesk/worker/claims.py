"""Claiming due deadlines from the agenda, and recording what became of them.

A claim is a lease: the worker writes its name and a time into the rows it takes, in one short
transaction, and acts on them afterwards. Another worker skips leased rows until the lease
runs out; so a worker that dies mid-batch holds its rows only until then, and another worker
takes them over. On PostgreSQL the claim selects ``FOR UPDATE SKIP LOCKED``, so that workers
claiming at the same moment take different rows instead of queueing behind each other. On
SQLite only the worker holding the desk's worker lock claims (:mod:`propdesk.worker.lock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, tuple_, update

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine, Table

_KEY_COLUMNS = ("ticket_id", "goal", "run", "action")


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


def _to_do(table: Table, now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    c = table.c
    return (
        c.done_at.is_(None) & (c.fire_at <= now)
        & (c.lease_until.is_(None) | (c.lease_until < now))
    )  # fmt: skip


def claim(
    engine: Engine, table: Table, *, now: datetime, owner: str, until: datetime, batch: int
) -> list[Deadline]:
    """Leases up to ``batch`` due rows to ``owner`` until ``until``; soonest first."""
    c = table.c
    key = tuple_(*(c[name] for name in _KEY_COLUMNS))
    choose = (
        select(*(c[name] for name in _KEY_COLUMNS))
        .where(_to_do(table, now))
        .order_by(c.fire_at, c.rank, c.ticket_id, c.goal, c.run)
        .limit(batch)
    )
    if engine.dialect.name == "postgresql":
        choose = choose.with_for_update(skip_locked=True)
    with engine.begin() as connection:
        keys = [tuple(row) for row in connection.execute(choose)]
        if not keys:
            return []
        connection.execute(
            update(table).where(key.in_(keys))
            .values(lease_owner=owner, lease_until=until, attempts=c.attempts + 1)
        )  # fmt: skip
        rows = connection.execute(select(table).where(key.in_(keys)))
        found = {
            tuple(row[name] for name in _KEY_COLUMNS): row
            for row in (r._mapping for r in rows)  # noqa: SLF001 - SQLAlchemy's public row mapping
        }
    return [_deadline(found[k]) for k in keys if k in found]


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
    c = table.c
    with engine.begin() as connection:
        marked = connection.execute(
            update(table)
            .where(tuple_(*(c[name] for name in _KEY_COLUMNS)) == deadline.key)
            .where(c.lease_owner == owner)
            .values(done_at=now, outcome=outcome, detail=detail, lease_owner=None, lease_until=None)
        )
    return marked.rowcount == 1


def release(engine: Engine, table: Table, deadlines: list[Deadline], *, owner: str) -> None:
    """Gives claimed rows back at once (a graceful stop, or a failure to act)."""
    if not deadlines:
        return
    c = table.c
    key = tuple_(*(c[name] for name in _KEY_COLUMNS))
    with engine.begin() as connection:
        connection.execute(
            update(table).where(key.in_([d.key for d in deadlines]), c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )  # fmt: skip


def due_count(engine: Engine, table: Table, now: datetime) -> tuple[int, datetime | None]:
    """How many rows are due and not done, and the oldest one's time (for the metrics)."""
    c = table.c
    due = c.done_at.is_(None) & (c.fire_at <= now)
    with engine.connect() as connection:
        query = select(func.count(), func.min(c.fire_at)).where(due)
        count, oldest = connection.execute(query).one()
    return int(count), oldest
