"""The goal runs: one row per start of every goal, with how it ended (met, missed, cancelled).

The SLA timers (:mod:`propdesk.projections.sla_timers`) hold the goals still running, for the
worker; this table keeps every run after it ends too, for the monthly SLA compliance. A run's
outcome is judged as the domain judges it (:func:`propdesk.domain.goal_runs.advanced_run`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, delete

from propdesk.domain.goal_runs import GoalRun, Outcome, advanced_run, started_run
from propdesk.projections.base import (
    Projection,
    Row,
    estate_rows,
    estates_of,
    estates_table,
    id_of,
    insert_rows,
    opened_estates,
    rows_where,
    ticket_kind,
)
from propdesk.projections.columns import Instant

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection

    from propdesk.domain.ticket import Ticket

RUNS = "goal_runs"
RUN_ESTATES = "goal_run_estates"
_RUN_EVENTS = frozenset({"GoalStarted", "GoalPaused", "GoalResumed", "GoalStopped",
                         "GoalCancelled"})  # fmt: skip
RunKey = tuple[str, str, int]


class GoalRuns(Projection):
    """Every run of every goal, and its outcome."""

    name = "goal_runs"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """The runs, and each ticket's estate (which a run takes when it starts).

        The runs are keyed by ticket, goal and run, and indexed by when they ended and are due.
        """
        suffix = f"{RUNS}_g{generation}"
        table = Table(suffix, metadata, *_columns())
        # the monthly counts group runs that ended in a period by goal and outcome: covered,
        # for the whole desk and for one estate
        Index(f"ix_{suffix}_stopped", table.c.stopped_at, table.c.outcome, table.c.goal,
              table.c.estate)  # fmt: skip
        # the runs due in a period and still open at its end, by goal: covered as well
        Index(f"ix_{suffix}_outcome_due_covering", table.c.outcome, table.c.due_at,
              table.c.stopped_at, table.c.goal, table.c.estate)  # fmt: skip
        return {RUNS: table, RUN_ESTATES: estates_table(metadata, RUN_ESTATES, generation)}

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Reads the batch's tickets' open runs, advances them in memory, writes them back."""
        table = tables[RUNS]
        run_events = [event for event in events if type(event).__name__ in _RUN_EVENTS]
        ids = sorted({id_of(event) for event in run_events})
        estates = estates_of(connection, tables[RUN_ESTATES], events, ids)
        if not ids:
            return
        open_of = table.c.ticket_id.in_(ids) & (table.c.outcome == Outcome.OPEN.value)
        runs = {_key(row): (row["kind"], row["estate"], _run(row))
                for row in rows_where(connection, table, open_of)}  # fmt: skip
        _advance(runs, run_events, estates)
        # Ended runs never change again: only the open ones are read, replaced and written.
        connection.execute(delete(table).where(open_of))
        insert_rows(connection, table, (_row(key, *run) for key, run in runs.items()))

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[Row]]:
        """Every run of each ticket's whole history (and the estates it noted)."""
        estates = opened_estates(events)
        runs: dict[RunKey, Run] = {}
        _advance(runs, [event for event in events if type(event).__name__ in _RUN_EVENTS], estates)
        return {RUNS: [_row(key, *run) for key, run in runs.items()],
                RUN_ESTATES: estate_rows(estates)}  # fmt: skip


Run = tuple[str, str, GoalRun]
"""A run's ticket kind and estate, and the run."""


def _advance(runs: dict[RunKey, Run], events: Sequence[Ticket.Event],
             estates: dict[str, str]) -> None:  # fmt: skip
    """Starts and advances runs (in memory) for goal events; ``runs`` holds the open ones."""
    open_runs = {(key[0], key[1]): key for key in runs}
    for event in events:
        name, fields = type(event).__name__, vars(event)
        ticket_goal = (id_of(event), str(fields["goal"]))
        if name == "GoalStarted":
            run = started_run(fields)
            key = (*ticket_goal, run.run)
            runs[key] = (ticket_kind(event), estates[key[0]], run)
            open_runs[ticket_goal] = key
            continue
        open_key = open_runs.get(ticket_goal)
        if open_key is None:
            continue  # a goal event for a run already ended (a repeat, a no-op)
        kind, estate, opened = runs[open_key]
        run = advanced_run(opened, name, fields, event.timestamp)
        runs[open_key] = (kind, estate, run)
        if run.outcome is not Outcome.OPEN:
            del open_runs[ticket_goal]


def _key(row: Row) -> RunKey:
    return (row["ticket_id"], row["goal"], row["run"])


def _row(key: RunKey, kind: str, estate: str, run: GoalRun) -> Row:
    return {
        "ticket_id": key[0], "goal": key[1], "run": key[2], "kind": kind, "estate": estate,
        "started_at": run.started_at, "due_at": run.due_at, "paused_at": run.paused_at,
        "stopped_at": run.stopped_at, "outcome": run.outcome.value,
    }  # fmt: skip


def _run(row: Row) -> GoalRun:
    return GoalRun(
        row["goal"], row["run"], row["started_at"], row["due_at"], Outcome(row["outcome"]),
        stopped_at=row["stopped_at"], paused_at=row["paused_at"],
    )  # fmt: skip


def runs_table() -> Table:
    """The goal runs under their plain name, for queries."""
    return Table(RUNS, MetaData(), *_columns())


def _columns() -> list[Column[Any]]:
    return [
        Column("ticket_id", String(36), primary_key=True),
        Column("goal", String(64), primary_key=True),
        Column("run", Integer, primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("estate", String(64), nullable=False),
        Column("started_at", Instant, nullable=False),
        Column("due_at", Instant, nullable=False),
        Column("paused_at", Instant),
        Column("stopped_at", Instant),
        Column("outcome", String(16), nullable=False),
    ]
