"""The board: every ticket with its state, who has it, and its nearest deadline.

One row per ticket, repairs and complaints alike. The ticket's state, acceptor or handler,
escalation level and severity are read from what each event's ``apply`` assigns
(:func:`propdesk.projections.base.effects`), so the board never restates the lifecycle; the
nearest deadline is the earliest due time among the ticket's open goals.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)

from propdesk.domain.goals import CLOCK_EVENTS
from propdesk.projections.base import (
    CREATED,
    Projection,
    Row,
    effects,
    id_of,
    replace_rows,
    rows_of,
    ticket_kind,
)
from propdesk.projections.columns import Instant

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Engine

    from propdesk.domain.ticket import Ticket

BOARD = "board"
_ASSIGNEE_FIELDS = ("acceptor", "handler")
_OPENING = frozenset({"GoalStarted", "GoalResumed"})
_CLOSING = frozenset({"GoalStopped", "GoalCancelled"})


class Board(Projection):
    """Tickets by state, assignee, level and nearest deadline."""

    name = "board"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """One table, one row per ticket."""
        table = Table(f"{BOARD}_g{generation}", metadata, *_columns())
        Index(f"ix_{BOARD}_g{generation}_open_due", table.c.open, table.c.nearest_due)
        Index(f"ix_{BOARD}_g{generation}_assignee", table.c.assignee, table.c.open)
        Index(f"ix_{BOARD}_g{generation}_estate_state", table.c.estate, table.c.state)
        return {BOARD: table}

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Reads the batch's tickets, applies the events to them in memory, writes them back."""
        table = tables[BOARD]
        ids = sorted({id_of(event) for event in events})
        rows: dict[str, Row] = {row["ticket_id"]: row for row in rows_of(connection, table, ids)}
        for event in events:
            _apply(rows, event)
        replace_rows(connection, table, ids, (_stored(row) for row in rows.values()))

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[Row]]:
        """Each ticket's row after its whole history."""
        rows: dict[str, Row] = {}
        for event in events:
            _apply(rows, event)
        return {BOARD: [_stored(row) for row in rows.values()]}


def _apply(rows: dict[str, Row], event: Ticket.Event) -> None:
    """Changes one ticket's row (in memory) for one event."""
    name = type(event).__name__
    ticket_id = id_of(event)
    if name in CREATED:
        found = effects(event)
        rows[ticket_id] = {
            "ticket_id": ticket_id, "kind": ticket_kind(event),
            "estate": found["estate"], "state": found["status"], "open": True,
            "assignee": None, "level": 0, "severity": None, "logged_at": event.timestamp,
            "updated_at": event.timestamp, "nearest_due": None, "open_goals": {},
        }  # fmt: skip
        return
    row = rows.get(ticket_id)
    if row is None:  # pragma: no cover - a ticket's first event, in the same log, made its row
        return
    if isinstance(row["open_goals"], str):  # as stored: read for a change
        stored = json.loads(row["open_goals"])
        row["open_goals"] = {goal: datetime.fromisoformat(due) for goal, due in stored.items()}
    if name in _OPENING or name in _CLOSING:
        _track_due(row, event)
        return
    if name not in CLOCK_EVENTS:
        _apply_step(row, event)


def _apply_step(row: Row, event: Ticket.Event) -> None:
    """A step of the ticket's lifecycle: its state, who has it, its level and severity."""
    found = effects(event)
    row["updated_at"] = event.timestamp
    if "status" in found:
        row["state"] = found["status"]
        row["open"] = not str(found["status"]).startswith("CLOSED")
    for field in _ASSIGNEE_FIELDS:
        if field in found:  # None too: a technician who left for a revisit has it no more
            row["assignee"] = found[field]
    if "level" in found:
        row["level"] = found["level"]
    if "severity" in found:
        row["severity"] = found["severity"]


def _track_due(row: Row, event: Ticket.Event) -> None:
    """A goal opened or closed: the ticket's open goals, with their due times, in memory."""
    goals: dict[str, datetime] = row["open_goals"]
    fields = vars(event)
    if type(event).__name__ in _OPENING:
        goals[fields["goal"]] = fields["due_at"]
    else:
        goals.pop(fields["goal"], None)


def _stored(row: Row) -> Row:
    """The row to write: its open goals as JSON, and the nearest of their due times."""
    goals = row["open_goals"]
    if isinstance(goals, str):
        return row  # as it was read
    return {**row, "open_goals": json.dumps({goal: due.isoformat() for goal, due in goals.items()}),
            "nearest_due": min(goals.values(), default=None)}  # fmt: skip


class BoardRow(BaseModel):
    """One ticket on the board."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    kind: str
    estate: str
    state: str
    open: bool
    assignee: str | None
    """The acceptor (repairs) or the handler (complaints) who has the ticket now."""
    level: int
    """The escalation level of a repair's dispatch (0: the first acceptor)."""
    severity: str | None
    logged_at: datetime
    updated_at: datetime
    nearest_due: datetime | None
    """The earliest due time among the ticket's open goals."""


def board(
    engine: Engine,
    *,
    estate: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    overdue_at: datetime | None = None,
    assignee: str | None = None,
    limit: int = 1000,
) -> list[BoardRow]:
    """Open tickets, nearest deadline first (those without one last).

    Args:
        engine: the read side's database (:func:`propdesk.projections.engine_for`).
        estate: only this estate's tickets.
        kind: ``repair`` or ``complaint`` only.
        severity: only complaints of this severity.
        overdue_at: only tickets with a deadline at or before this time.
        assignee: only the tickets this person has (their queue).
        limit: at most this many rows.
    """
    plain = board_table()
    c = plain.c
    query = select(plain).where(c.open)
    for column, value in ((c.estate, estate), (c.kind, kind), (c.severity, severity),
                          (c.assignee, assignee)):  # fmt: skip
        if value is not None:
            query = query.where(column == value)
    if overdue_at is not None:
        query = query.where(c.nearest_due <= overdue_at)
    query = query.order_by(c.nearest_due.is_(None), c.nearest_due, c.logged_at).limit(limit)
    with engine.connect() as connection:
        return [
            BoardRow.model_validate(row._mapping)  # noqa: SLF001 - SQLAlchemy's public row mapping
            for row in connection.execute(query)
        ]


def technician_queue(engine: Engine, person: str, *, limit: int = 200) -> list[BoardRow]:
    """What one person has now, what is due first at the top."""
    return board(engine, assignee=person, limit=limit)


def board_table() -> Table:
    """The board under its plain name, for queries."""
    return Table(BOARD, MetaData(), *_columns())


def _columns() -> list[Column[object]]:
    return [
        Column("ticket_id", String(36), primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("estate", String(64), nullable=False),
        Column("state", String(32), nullable=False),
        Column("open", Boolean, nullable=False),
        Column("assignee", String(64)),
        Column("level", Integer, nullable=False),
        Column("severity", String(16)),
        Column("logged_at", Instant, nullable=False),
        Column("updated_at", Instant, nullable=False),
        Column("nearest_due", Instant),
        Column("open_goals", Text, nullable=False),
    ]
