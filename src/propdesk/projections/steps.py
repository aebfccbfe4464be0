"""The step log: one row per step of every ticket, with the state it left the ticket in.

This is the desk's work log (工作日志) and the dispatch log the notifier keeps (S0:L10-13):
who was sent, when, at which level, who refused and why, when the technician arrived and
whether on time. Each row also records how long its state lasted (``at`` until ``until``,
the time of the ticket's next step), so the reports can ask what state every ticket was in
at a cut-off (17:10, 09:00, Friday 15:00) as well as what happened within a period.

The SLA clock's own events are not steps: the goal runs are their read model
(:mod:`propdesk.projections.goal_runs`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
)

from propdesk.domain.goals import CLOCK_EVENTS
from propdesk.projections.base import (
    CREATED,
    Projection,
    Row,
    effects,
    id_of,
    insert_rows,
    rows_where,
    ticket_kind,
)
from propdesk.projections.columns import Instant

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection

    from propdesk.domain.ticket import Ticket

STEPS = "ticket_steps"

OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)
"""The ``until`` of a ticket's latest step: its state lasts until further notice.

A far-future time rather than NULL keeps "in this state just before T" a plain range
(``at < T <= until``) that an index on ``(state, until, at)`` answers."""

_ASSIGNEE_FIELDS = ("acceptor", "handler")
_REASON_FIELDS = ("reason", "finding", "problem", "remarks", "complaint", "outcome", "result")
"""Where a step says why: the first of these fields the event has becomes the row's reason."""
_APPOINTMENT_FIELDS = ("rescheduled_to", "expected_date", "round_appointment")


class TicketSteps(Projection):
    """Every ticket's steps, and the state each left it in until the next."""

    name = "ticket_steps"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """One table, keyed by ticket and version; indexed by step and time, and by state."""
        suffix = f"{STEPS}_g{generation}"
        table = Table(suffix, metadata, *_columns())
        # the reports count steps in a period (by person, estate, on time, distinct tickets):
        # covered, so that they never read the table, whatever order its rows were written in
        Index(f"ix_{suffix}_step_at_covering", table.c.step, table.c.at, table.c.estate,
              table.c.person, table.c.on_time, table.c.ticket_id)  # fmt: skip
        # "in this state at T" reads (state, until >= T) and checks at < T in the index itself
        Index(f"ix_{suffix}_state_span", table.c.state, table.c.until, table.c.at)
        return {STEPS: table}

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Closes each ticket's latest row at its next step and adds a row per step."""
        table = tables[STEPS]
        steps = [event for event in events if type(event).__name__ not in CLOCK_EVENTS]
        ids = sorted({id_of(event) for event in steps})
        if not ids:
            return
        latest_of = table.c.ticket_id.in_(ids) & (table.c.until == OPEN_END)
        latest = {row["ticket_id"]: row for row in rows_where(connection, table, latest_of)}
        written = [*latest.values(), *_added(latest, steps)]  # the latest ones closed, if stepped
        connection.execute(delete(table).where(latest_of))
        insert_rows(connection, table, written)

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[Row]]:
        """A row per step of each ticket's whole history."""
        steps = [event for event in events if type(event).__name__ not in CLOCK_EVENTS]
        return {STEPS: _added({}, steps)}


def _added(latest: dict[str, Row], steps: Sequence[Ticket.Event]) -> list[Row]:
    """The rows these steps add; each ticket's row before (``latest``) ends at its next step.

    ``latest`` is left holding each ticket's newest row.
    """
    added: list[Row] = []
    for event in steps:
        row = _step_row(latest.get(id_of(event)), event)
        if row is None:
            continue  # pragma: no cover - a ticket's created event comes first
        previous = latest.get(row["ticket_id"])
        if previous is not None:
            previous["until"] = row["at"]
        latest[row["ticket_id"]] = row
        added.append(row)
    return added


def _step_row(previous: Row | None, event: Ticket.Event) -> Row | None:
    """The row for one step: what the event set, and what it kept from the step before."""
    name = type(event).__name__
    found = effects(event)
    if name in CREATED:
        carried: Row = {"kind": ticket_kind(event), "estate": found["estate"],
                        "person": None, "level": 0}  # fmt: skip
    elif previous is None:
        return None
    else:
        carried = {key: previous[key] for key in ("kind", "estate", "person", "level", "state")}
    fields = vars(event)
    return {
        "ticket_id": id_of(event),
        "version": event.originator_version,
        **carried,
        "step": name,
        "at": event.timestamp,
        "actor": fields.get("actor"),
        "person": _first_present(found, _ASSIGNEE_FIELDS, carried["person"]),
        "level": found.get("level", carried["level"]),
        "state": found.get("status", carried.get("state")),
        "reason": _first_said(fields, _REASON_FIELDS),
        "appointment": _first_set(found, _APPOINTMENT_FIELDS),
        "on_time": fields.get("on_time") if name == "ArrivalReported" else None,
        "until": OPEN_END,
    }


# Plain loops: a rebuild makes a row per step, and a generator per field costs more than it.


def _first_present(values: dict[str, Any], names: tuple[str, ...], otherwise: Any) -> Any:  # noqa: ANN401 - a column's value
    """The value of the first of ``names`` in ``values`` (even ``None``), else ``otherwise``."""
    for name in names:
        if name in values:
            return values[name]
    return otherwise


def _first_set(values: dict[str, Any], names: tuple[str, ...]) -> Any:  # noqa: ANN401 - a column's value
    """The first of ``names`` that ``values`` holds a true value for; ``None`` if none."""
    for name in names:
        value = values.get(name)
        if value:
            return value
    return None


def _first_said(values: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """:func:`_first_set`, as text."""
    value = _first_set(values, names)
    return None if value is None else str(value)


def steps_table() -> Table:
    """The step log under its plain name, for queries."""
    return Table(STEPS, MetaData(), *_columns())


def _columns() -> list[Column[Any]]:
    return [
        Column("ticket_id", String(36), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("estate", String(64), nullable=False),
        Column("step", String(48), nullable=False),
        Column("at", Instant, nullable=False),
        Column("actor", String(64)),
        # the acceptor (repairs) or handler (complaints) who had the ticket after the step
        Column("person", String(64)),
        Column("level", Integer, nullable=False),
        Column("state", String(32), nullable=False),
        Column("reason", Text),
        # the time a reschedule or a deferral agreed, or the appointment a dispatch serves
        Column("appointment", Instant),
        Column("on_time", Boolean),  # an arrival's: did the acceptor come by the promised time
        Column("until", Instant, nullable=False),
    ]
