"""The SLA timers: one row per open goal of every ticket, with its due and warning times.

The SLA worker (issue 5) reads this table to find what is due. A goal's row appears when the
goal starts, changes when it pauses, resumes, is warned or breached, and goes when it is
stopped or cancelled.
"""

from __future__ import annotations

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
    delete,
    insert,
    select,
    update,
)

from propdesk.projections.base import Projection
from propdesk.projections.columns import Instant

if TYPE_CHECKING:
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

    def apply(self, connection: Connection, tables: dict[str, Table], event: Ticket.Event) -> None:
        """Keeps one row per open goal."""
        table = tables[TIMERS]
        name = type(event).__name__
        fields = vars(event)
        if "goal" not in fields:
            return
        key = (table.c.ticket_id == str(event.originator_id)) & (table.c.goal == fields["goal"])
        if name == "GoalStarted":
            connection.execute(delete(table).where(key))
            connection.execute(
                insert(table).values(
                    ticket_id=str(event.originator_id), goal=fields["goal"],
                    kind=type(event).__qualname__.split(".")[0].lower(), seed=fields["seed"],
                    run=fields["run"], started_at=fields["started_at"], due_at=fields["due_at"],
                    warn_at=fields["warn_at"], paused=False, warned=False, breached=False,
                )
            )  # fmt: skip
        elif name in ("GoalStopped", "GoalCancelled"):
            connection.execute(delete(table).where(key))
        elif name == "GoalPaused":
            connection.execute(update(table).where(key).values(paused=True))
        elif name == "GoalResumed":
            connection.execute(
                update(table)
                .where(key)
                .values(paused=False, due_at=fields["due_at"], warn_at=fields["warn_at"])
            )
        elif name == "GoalWarned":
            connection.execute(update(table).where(key).values(warned=True))
        elif name == "GoalBreached":
            connection.execute(update(table).where(key).values(breached=True))


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
