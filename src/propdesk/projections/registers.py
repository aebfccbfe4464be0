"""The desk's registers: one row per repair (报事报修登记表) and per complaint (客情记录表).

A register row mirrors the ticket's own fields as its events set them, read from each
event's ``apply`` through the probe (:func:`propdesk.projections.base.effects`), so a register
never restates what a step records. Personal data (names, phone numbers, the person
complained about) stays in the events and the views, where it can be redacted; the
registers do not copy it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    select,
)

from propdesk.domain.goals import CLOCK_EVENTS
from propdesk.projections.base import (
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
    from sqlalchemy.types import TypeEngine

    from propdesk.domain.ticket import Ticket

_SHORT = String(64)
_LABEL = String(200)

REPAIR_FIELDS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("estate", _SHORT), ("channel", _SHORT), ("scope", _SHORT), ("category", _SHORT),
    ("unit", _LABEL), ("description", Text()), ("price_item", _LABEL), ("paid", Boolean()),
    ("appointment", Instant()), ("received_at", Instant()), ("first_responder", _SHORT),
    ("logged_at", Instant()), ("status", _SHORT), ("first_acceptor", _SHORT),
    ("acceptor", _SHORT), ("acceptor_name", _SHORT), ("level", Integer()),
    ("accepted_at", Instant()), ("promised_arrival", Instant()),
    ("dispatch_count", Integer()), ("refusal_count", Integer()),
    ("rescheduled_to", Instant()), ("reschedule_kind", _SHORT), ("arrived_at", Instant()),
    ("arrived_on_time", Boolean()), ("arrival_disputed", Boolean()), ("actual_item", _LABEL),
    ("completed_at", Instant()), ("completed_by", _SHORT), ("fee_amount", Numeric(12, 2)),
    ("fee_status", _SHORT), ("receipt_no", _SHORT), ("verified_by", _SHORT),
    ("callback_due_at", Instant()), ("satisfied", Boolean()), ("rework_count", Integer()),
    ("closed_at", Instant()), ("close_reason", Text()),
)  # fmt: skip
"""The 报事报修登记表's columns: the repair's own fields (seed-spec §6), without personal data.

A reschedule's kind (``same_day`` or ``after_shift``) is the register's conspicuous mark
(醒目标注, §4.1.2.7): every rescheduled repair carries one."""

COMPLAINT_FIELDS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("estate", _SHORT), ("channel", _SHORT), ("occurred_at", Instant()), ("place", _LABEL),
    ("department_complained_about", _LABEL), ("what_happened", Text()), ("demands", Text()),
    ("raised_by_repair", String(36)), ("received_at", Instant()), ("first_responder", _SHORT),
    ("logged_at", Instant()), ("status", _SHORT), ("valid", Boolean()), ("severity", _SHORT),
    ("urgent", Boolean()), ("big_problem", Boolean()), ("complaint_type", _SHORT),
    ("liability", _SHORT), ("responsible_unit", _LABEL), ("handling_deadline", Instant()),
    ("resident_deadline", Instant()), ("handler", _SHORT), ("routed_at", Instant()),
    ("contacted_at", Instant()), ("answered_at", Instant()), ("expected_date", Instant()),
    ("resolved_at", Instant()), ("result_reported_at", Instant()), ("satisfaction", _SHORT),
    ("reopen_count", Integer()), ("escalated_to", _SHORT), ("closed_at", Instant()),
)  # fmt: skip
"""The 客情记录表's columns: what §3.2 requires recorded, without personal data."""


class Register(Projection):
    """One row per ticket of one kind, mirroring the ticket's fields."""

    name: ClassVar[str]
    kind: ClassVar[str]
    created: ClassVar[str]
    fields: ClassVar[tuple[tuple[str, TypeEngine[Any]], ...]]

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """One table, keyed by ticket, indexed by the time the ticket was logged."""
        table = Table(f"{self.name}_g{generation}", metadata, *_columns(self.fields))
        Index(f"ix_{self.name}_g{generation}_logged", table.c.estate, table.c.logged_at)
        return {self.name: table}

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Reads the batch's tickets of this kind, mirrors each event's effects, writes back."""
        table = tables[self.name]
        mine = [event for event in events if ticket_kind(event) == self.kind]
        ids = sorted({id_of(event) for event in mine})
        if not ids:
            return
        rows = {row["ticket_id"]: row for row in rows_of(connection, table, ids)}
        self._mirror(rows, mine)
        replace_rows(connection, table, ids, rows.values())

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[Row]]:
        """Each ticket's row after its whole history."""
        rows: dict[str, Row] = {}
        self._mirror(rows, [event for event in events if ticket_kind(event) == self.kind])
        return {self.name: list(rows.values())}

    def _mirror(self, rows: dict[str, Row], events: Sequence[Ticket.Event]) -> None:
        """Changes the rows (in memory) as the events changed their tickets."""
        names = [name for name, _ in self.fields]
        mirrored = frozenset(names)
        for event in events:
            if type(event).__name__ in CLOCK_EVENTS:
                continue
            ticket_id = id_of(event)
            found = effects(event)
            if type(event).__name__ == self.created:
                rows[ticket_id] = {"ticket_id": ticket_id, **dict.fromkeys(names)}
            row = rows.get(ticket_id)
            if row is not None:
                row.update({name: value for name, value in found.items() if name in mirrored})


class RepairRegister(Register):
    """报事报修登记表: every repair, as it stands."""

    name = "repair_register"
    kind = "repair"
    created = "Logged"
    fields = REPAIR_FIELDS


class ComplaintRegister(Register):
    """客情记录表: every complaint, as it stands."""

    name = "complaint_register"
    kind = "complaint"
    created = "ComplaintReceived"
    fields = COMPLAINT_FIELDS


class RepairEntry(BaseModel):
    """One line of the repair register (报事报修登记表)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ticket_id: str
    estate: str
    channel: str
    category: str
    unit: str
    description: str
    logged_at: datetime
    status: str
    acceptor_name: str | None
    accepted_at: datetime | None
    promised_arrival: datetime | None
    arrived_at: datetime | None
    arrived_on_time: bool | None
    reschedule_kind: str | None
    """``same_day`` or ``after_shift``: the conspicuous mark of a rescheduled repair."""
    rescheduled_to: datetime | None
    refusal_count: int
    level: int
    completed_at: datetime | None
    fee_amount: Decimal | None
    fee_status: str
    verified_by: str | None
    satisfied: bool | None
    rework_count: int
    closed_at: datetime | None


class ComplaintEntry(BaseModel):
    """One line of the complaint register (客情记录表)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ticket_id: str
    estate: str
    channel: str
    occurred_at: datetime
    place: str
    what_happened: str
    demands: str
    logged_at: datetime
    status: str
    severity: str | None
    urgent: bool
    responsible_unit: str | None
    handler: str | None
    answered_at: datetime | None
    resolved_at: datetime | None
    result_reported_at: datetime | None
    satisfaction: str | None
    closed_at: datetime | None


def repair_register(
    engine: Engine, *, logged_from: datetime, logged_until: datetime, estate: str | None = None
) -> list[RepairEntry]:
    """The repairs logged in ``[logged_from, logged_until)``, in the order they were logged."""
    return [
        RepairEntry.model_validate(row)
        for row in _between(engine, RepairRegister, logged_from, logged_until, estate)
    ]


def complaint_register(
    engine: Engine, *, logged_from: datetime, logged_until: datetime, estate: str | None = None
) -> list[ComplaintEntry]:
    """The complaints received in ``[logged_from, logged_until)``, in order."""
    return [
        ComplaintEntry.model_validate(row)
        for row in _between(engine, ComplaintRegister, logged_from, logged_until, estate)
    ]


def _between(
    engine: Engine,
    register: type[Register],
    start: datetime,
    end: datetime,
    estate: str | None,
) -> list[dict[str, Any]]:
    plain = register_table(register)
    c = plain.c
    query = select(plain).where(c.logged_at >= start, c.logged_at < end)
    if estate is not None:
        query = query.where(c.estate == estate)
    query = query.order_by(c.logged_at, c.ticket_id)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]  # noqa: SLF001 - SQLAlchemy's public row mapping


def register_table(register: type[Register]) -> Table:
    """A register under its plain name, for queries."""
    return Table(register.name, MetaData(), *_columns(register.fields))


def _columns(fields: Sequence[tuple[str, TypeEngine[Any]]]) -> list[Column[Any]]:
    return [
        Column("ticket_id", String(36), primary_key=True),
        *(Column(name, kind) for name, kind in fields),
    ]
