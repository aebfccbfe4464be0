"""The few questions every report asks of the read models, as SQL the indexes answer.

- how many steps of a kind happened in a period (``ticket_steps`` by ``(step, at)``);
- which tickets were in which states at a cut-off (``ticket_steps`` by ``(state, until)``:
  a row holds its state from ``at`` until ``until``);
- the register rows those tickets have.

Every read model a report reads keeps each row's estate, so an estate filter is a condition on
the table itself, never a join.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, Table, func, select

from propdesk.projections.base import chunks
from propdesk.projections.books import CALLBACKS, FEES, callback_columns, fee_columns
from propdesk.projections.goal_runs import runs_table
from propdesk.projections.registers import ComplaintRegister, RepairRegister, register_table
from propdesk.projections.steps import steps_table

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from sqlalchemy import Connection, Select

    from propdesk.reports.periods import Period

STEPS = steps_table()
RUNS = runs_table()
REPAIRS = register_table(RepairRegister)
COMPLAINTS = register_table(ComplaintRegister)
CALLBACK_BOOK = Table(CALLBACKS, MetaData(), *callback_columns())
FEE_BOOK = Table(FEES, MetaData(), *fee_columns())

Row = dict[str, Any]


def step_count(
    connection: Connection,
    step: str,
    period: Period,
    estate: str | None,
    *,
    distinct_tickets: bool = False,
) -> int:
    """How many ``step`` steps happened in ``period`` (or on how many tickets)."""
    s = STEPS.c
    counted = func.count(s.ticket_id.distinct()) if distinct_tickets else func.count()
    query = select(counted).where(s.step == step, s.at >= period.start, s.at < period.end)
    if estate is not None:
        query = query.where(s.estate == estate)
    return int(connection.execute(query).scalar_one())


def steps_in(
    connection: Connection, steps: Collection[str], period: Period, estate: str | None
) -> list[Row]:
    """The steps of these kinds in ``period``, in time order."""
    s = STEPS.c
    query = select(STEPS).where(s.step.in_(steps), s.at >= period.start, s.at < period.end)
    if estate is not None:
        query = query.where(s.estate == estate)
    return _rows(connection, query.order_by(s.at, s.ticket_id, s.version))


def states_at(
    connection: Connection,
    kind: str,
    states: Collection[str],
    moment: datetime,
    estate: str | None,
) -> list[Row]:
    """The step rows of the tickets of ``kind`` in one of ``states`` just before ``moment``.

    A row holds its state from ``at`` until ``until``; a step taken at ``moment`` itself is
    after the cut-off, as the periods ``[start, moment)`` have it.
    """
    s = STEPS.c
    query = select(STEPS).where(
        s.state.in_(states), s.until >= moment, s.at < moment, s.kind == kind
    )
    if estate is not None:
        query = query.where(s.estate == estate)
    return _rows(connection, query.order_by(s.at, s.ticket_id))


def register_rows(connection: Connection, register: Table, ids: Collection[str]) -> dict[str, Row]:
    """These tickets' register rows, by ticket id (in chunks the drivers accept)."""
    found: dict[str, Row] = {}
    for chunk in chunks(ids):
        query = select(register).where(register.c.ticket_id.in_(chunk))
        found.update((row["ticket_id"], row) for row in _rows(connection, query))
    return found


def _rows(connection: Connection, query: Select[Any]) -> list[Row]:
    return [dict(row._mapping) for row in connection.execute(query)]  # noqa: SLF001 - SQLAlchemy's public row mapping
