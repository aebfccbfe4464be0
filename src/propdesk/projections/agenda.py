"""The SLA worker's agenda: one row per deadline a worker must act on, and when.

Rows come from the tickets' events, like every read model's:

- a goal's start (``GoalStarted``) adds its **warning** (at ``warn_at``, if that is before the
  deadline) and its **deadline** (at ``due_at``); a resumed goal's rows are replaced with its
  moved times; a goal that stops, is cancelled or pauses loses its rows;
- a recorded warning (``GoalWarned``) settles the warning row;
- a repair's callback window (``CallbackOpened``) adds a **callback** row at the window's
  start; raising it (``CallbackRaised``) or making the callback (``CalledBack``) settles it.

A deadline row stays after the breach is recorded, because what a worker does at a deadline
may not end there (an escalation follows a breach): the worker marks it done when it has
finished. The worker's columns (``lease_owner``, ``lease_until``, ``attempts``, ``done_at``,
``outcome``, ``detail``) are the worker's alone; this projection only ever inserts and
deletes rows, so it never overwrites them. After a rebuild a row a worker had marked done may
come back; acting on it again is a no-op, since every action is a command stamped with the
deadline it acts on (see ``docs/explanation/sla-worker.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, delete, tuple_

from propdesk.projections.base import Projection, Row, chunks, id_of, insert_rows, ticket_kind
from propdesk.projections.columns import Instant

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import Connection

    from propdesk.domain.ticket import Ticket

AGENDA = "sla_agenda"
CALLBACK = "callback"
"""The ``goal`` of a callback row (its ``run`` is the version of the event that opened it)."""

WARN, DUE = "warn", "due"
"""The ``action`` of a goal's rows; a callback row's action is :data:`CALLBACK`."""
_RANK = {WARN: 0, CALLBACK: 0, DUE: 1}
"""Which of two rows due at the same moment comes first."""
_WORKER_COLUMNS = {"lease_owner": None, "lease_until": None, "attempts": 0, "done_at": None,
                   "outcome": None, "detail": None}  # fmt: skip

RunKey = tuple[str, str, int]


class Agenda(Projection):
    """What the SLA worker must do, and when."""

    name = "sla_agenda"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """One table, keyed by ticket, goal, run and action; indexed by what is still to do."""
        suffix = f"{AGENDA}_g{generation}"
        table = Table(suffix, metadata, *_columns())
        # the claim reads the rows not done yet, soonest first: a partial index keeps it small
        not_done = table.c.done_at.is_(None)
        Index(f"ix_{suffix}_to_do", table.c.fire_at, table.c.rank,
              sqlite_where=not_done, postgresql_where=not_done)  # fmt: skip
        return {AGENDA: table}

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Adds and removes the batch's rows: deletes first, then the rows the batch made."""
        table = tables[AGENDA]
        batch = _Batch()
        for event in events:
            batch.take(event)
        c = table.c
        for keys in chunks(batch.gone_runs):
            connection.execute(delete(table).where(tuple_(c.ticket_id, c.goal, c.run).in_(keys)))
        for keys in chunks(batch.gone_warnings):
            gone = tuple_(c.ticket_id, c.goal, c.run).in_(keys) & (c.action == WARN)
            connection.execute(delete(table).where(gone))
        for ids in chunks(batch.gone_callbacks):
            connection.execute(delete(table).where(c.ticket_id.in_(ids) & (c.goal == CALLBACK)))
        insert_rows(connection, table, batch.rows.values())

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[Row]]:
        """The rows still standing at the end of each ticket's whole history."""
        batch = _Batch()
        for event in events:
            batch.take(event)
        return {AGENDA: list(batch.rows.values())}


class _Batch:
    """A batch's changes, in order: what to delete from the table, and the rows to add."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, int, str], Row] = {}
        self.gone_runs: set[RunKey] = set()
        self.gone_warnings: set[RunKey] = set()
        self.gone_callbacks: set[str] = set()

    def take(self, event: Ticket.Event) -> None:
        name = type(event).__name__
        fields = vars(event)
        if name in ("GoalStarted", "GoalResumed"):
            key = (id_of(event), str(fields["goal"]), int(fields["run"]))
            self._drop_run(key)
            if fields["warn_at"] < fields["due_at"]:
                self._add(event, key, WARN, fields["warn_at"], fields["due_at"])
            self._add(event, key, DUE, fields["due_at"], fields["due_at"])
        elif name in ("GoalPaused", "GoalStopped", "GoalCancelled"):
            self._drop_run((id_of(event), str(fields["goal"]), int(fields["run"])))
        elif name == "GoalWarned":
            key = (id_of(event), str(fields["goal"]), int(fields["run"]))
            self.rows.pop((*key, WARN), None)
            self.gone_warnings.add(key)
        elif name == "CallbackOpened":
            key = (id_of(event), CALLBACK, event.originator_version)
            self._add(event, key, CALLBACK, fields["starts_at"], fields["due_at"])
        elif name in ("CallbackRaised", "CalledBack"):
            ticket = id_of(event)
            for row_key in [k for k in self.rows if k[0] == ticket and k[1] == CALLBACK]:
                del self.rows[row_key]
            self.gone_callbacks.add(ticket)

    def _drop_run(self, key: RunKey) -> None:
        for action in (WARN, DUE):
            self.rows.pop((*key, action), None)
        self.gone_runs.add(key)

    def _add(
        self, event: Ticket.Event, key: RunKey, action: str, fire_at: datetime, due_at: datetime
    ) -> None:
        self.rows[(*key, action)] = {
            "ticket_id": key[0], "goal": key[1], "run": key[2], "action": action,
            "rank": _RANK[action], "kind": ticket_kind(event),
            "fire_at": fire_at, "due_at": due_at, **_WORKER_COLUMNS,
        }  # fmt: skip


def agenda_table(generation: int | None = None) -> Table:
    """The agenda under its plain name (a view), or one generation's table (for updates)."""
    name = AGENDA if generation is None else f"{AGENDA}_g{generation}"
    return Table(name, MetaData(), *_columns())


def _columns() -> list[Column[Any]]:
    return [
        Column("ticket_id", String(36), primary_key=True),
        Column("goal", String(64), primary_key=True),
        Column("run", Integer, primary_key=True),
        Column("action", String(16), primary_key=True),
        Column("rank", Integer, nullable=False),
        Column("kind", String(16), nullable=False),
        Column("fire_at", Instant, nullable=False),
        Column("due_at", Instant, nullable=False),
        # the worker's
        Column("lease_owner", String(128)),
        Column("lease_until", Instant),
        Column("attempts", Integer, nullable=False),
        Column("done_at", Instant),
        Column("outcome", String(16)),
        Column("detail", Text),
    ]
