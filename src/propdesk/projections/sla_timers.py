"""The SLA timers: one row per open goal of every ticket, with its due and warning times.

The SLA worker (issue 5) reads this table to find what is due. A goal's row appears when the
goal starts, changes when it pauses, resumes, is warned or breached, and goes when it is
stopped or cancelled.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    select,
)

from propdesk.projections.base import Projection, Row, id_of, replace_rows, rows_of, ticket_kind
from propdesk.projections.columns import Instant

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection, Engine

    from propdesk.domain.ticket import Ticket

TIMERS = "sla_timers"


class SlaTimers(Projection):
    """Open goals and their times."""

    name = "sla_timers"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """One table, keyed by ticket and goal."""
        table = Table(f"{TIMERS}_g{generation}", metadata, *_columns())
        Index(f"ix_{TIMERS}_g{generation}_due", table.c.due_at)
        Index(f"ix_{TIMERS}_g{generation}_warn", table.c.warn_at)
        return {TIMERS: table}

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Reads the batch's tickets' timers, applies the goal events in memory, writes back."""
        table = tables[TIMERS]
        goal_events = [event for event in events if "goal" in vars(event)]
        if not goal_events:
            return
        ids = sorted({id_of(event) for event in goal_events})
        timers: dict[tuple[str, str], dict[str, Any]] = {
            (row["ticket_id"], row["goal"]): row for row in rows_of(connection, table, ids)
        }
        for event in goal_events:
            _apply(timers, event)
        replace_rows(connection, table, ids, timers.values())

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[Row]]:
        """The goals still running at the end of each ticket's whole history."""
        timers: dict[tuple[str, str], Row] = {}
        for event in events:
            if "goal" in vars(event):
                _apply(timers, event)
        return {TIMERS: list(timers.values())}


def _apply(timers: dict[tuple[str, str], dict[str, Any]], event: Ticket.Event) -> None:
    """Changes one goal's timer (in memory) for one goal event."""
    name = type(event).__name__
    fields = vars(event)
    key = (id_of(event), fields["goal"])
    if name == "GoalStarted":
        timers[key] = {
            "ticket_id": key[0], "goal": key[1],
            "kind": ticket_kind(event), "seed": fields["seed"],
            "run": fields["run"], "started_at": fields["started_at"], "due_at": fields["due_at"],
            "warn_at": fields["warn_at"], "paused": False, "warned": False, "breached": False,
        }  # fmt: skip
        return
    timer = timers.get(key)
    if timer is None:
        return  # a goal event for a run no longer open (a repeat the domain made a no-op)
    if name in ("GoalStopped", "GoalCancelled"):
        del timers[key]
    elif name == "GoalPaused":
        timer["paused"] = True
    elif name == "GoalResumed":
        timer.update(paused=False, due_at=fields["due_at"], warn_at=fields["warn_at"])
    elif name == "GoalWarned":
        timer["warned"] = True
    elif name == "GoalBreached":
        timer["breached"] = True


class Timer(BaseModel):
    """One open goal, as the SLA timers hold it."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    goal: str
    kind: str
    seed: str
    run: int
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    paused: bool
    warned: bool
    breached: bool


def timers_due(engine: Engine, at: datetime, *, limit: int = 500) -> list[Timer]:
    """Running goals whose warning or breach is due at ``at`` and not yet recorded.

    Soonest first: a goal past due and not recorded as breached, or past its warning time and
    neither warned nor breached.
    """
    plain = Table(TIMERS, MetaData(), *_columns())
    c = plain.c
    due = (c.due_at <= at) & ~c.breached
    warn = (c.warn_at <= at) & ~c.warned & ~c.breached
    query = select(plain).where(~c.paused & (due | warn)).order_by(c.warn_at, c.goal).limit(limit)
    with engine.connect() as connection:
        return [Timer.model_validate(row._mapping) for row in connection.execute(query)]  # noqa: SLF001 - SQLAlchemy's public row mapping


def all_timers(engine: Engine) -> list[Timer]:
    """Every open goal, soonest due first."""
    plain = Table(TIMERS, MetaData(), *_columns())
    query = select(plain).order_by(plain.c.due_at, plain.c.ticket_id, plain.c.goal)
    with engine.connect() as connection:
        return [Timer.model_validate(row._mapping) for row in connection.execute(query)]  # noqa: SLF001 - as above


def _columns() -> list[Column[object]]:
    return [
        Column("ticket_id", String(36), primary_key=True),
        Column("goal", String(64), primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("seed", String(8), nullable=False),
        Column("run", Integer, nullable=False),
        Column("started_at", Instant, nullable=False),
        Column("due_at", Instant, nullable=False),
        Column("warn_at", Instant, nullable=False),
        Column("paused", Boolean, nullable=False),
        Column("warned", Boolean, nullable=False),
        Column("breached", Boolean, nullable=False),
    ]
