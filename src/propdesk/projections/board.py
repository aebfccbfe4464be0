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
    insert,
    select,
    update,
)

from propdesk.domain.goals import CLOCK_EVENTS
from propdesk.projections.base import Projection, effects
from propdesk.projections.columns import Instant

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from propdesk.domain.ticket import Ticket

BOARD = "board"
_CREATED = frozenset({"Logged", "ComplaintReceived"})
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

    def apply(self, connection: Connection, tables: dict[str, Table], event: Ticket.Event) -> None:
        """Creates the ticket's row, or updates it from the event's effects and goals."""
        table = tables[BOARD]
        name = type(event).__name__
        ticket_id = str(event.originator_id)
        if name in _CREATED:
            found = effects(event)
            connection.execute(
                insert(table).values(
                    ticket_id=ticket_id, kind=type(event).__qualname__.split(".")[0].lower(),
                    estate=found["estate"], state=found["status"], open=True, assignee=None,
                    level=0, severity=None, logged_at=event.timestamp,
                    updated_at=event.timestamp, nearest_due=None, open_goals="{}",
                )
            )  # fmt: skip
            return
        key = table.c.ticket_id == ticket_id
        if name in _OPENING or name in _CLOSING:
            self._track_due(connection, table, event)
            return
        if name in CLOCK_EVENTS:
            return
        found = effects(event)
        values: dict[str, object] = {"updated_at": event.timestamp}
        if "status" in found:
            values["state"] = found["status"]
            values["open"] = not str(found["status"]).startswith("CLOSED")
        for field in _ASSIGNEE_FIELDS:
            if found.get(field):
                values["assignee"] = found[field]
        if "level" in found:
            values["level"] = found["level"]
        if "severity" in found:
            values["severity"] = found["severity"]
        connection.execute(update(table).where(key).values(**values))

    def _track_due(self, connection: Connection, table: Table, event: Ticket.Event) -> None:
        key = table.c.ticket_id == str(event.originator_id)
        stored = connection.execute(select(table.c.open_goals).where(key)).scalar_one()
        goals: dict[str, str] = json.loads(stored)
        fields = vars(event)
        if type(event).__name__ in _OPENING:
            goals[fields["goal"]] = fields["due_at"].isoformat()
        else:
            goals.pop(fields["goal"], None)
        nearest = min((datetime.fromisoformat(due) for due in goals.values()), default=None)
        connection.execute(
            update(table).where(key).values(open_goals=json.dumps(goals), nearest_due=nearest)
        )


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
    plain = Table(BOARD, MetaData(), *_columns())
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
