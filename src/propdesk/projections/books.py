"""Two more of the desk's books: the callback register and the fee register.

- 回访记录 (the callback register, S1:L432, S2 §5.4): one row per callback window a repair
  opened, with what the callback found: satisfied or not, the rating, the resident's remarks
  and the problem that sent the work back (the handling opinion and result).
- 有偿服务登记表 and the fee settlement (S1:L396-398, S0:L38, R24): one row per repair with
  what was quoted, charged, handed to finance and settled, and whether on the same day.

Complaint results told to the complainant are in the complaint register
(:mod:`propdesk.projections.registers`): the seeds' callback KPI is a repair one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, Numeric, String, Table, Text

from propdesk.projections.base import (
    Projection,
    Row,
    effects,
    estate_rows,
    estates_of,
    estates_table,
    id_of,
    opened_estates,
    replace_rows,
    rows_of,
)
from propdesk.projections.columns import Instant

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy import Connection

    from propdesk.domain.ticket import Ticket

CALLBACKS = "callback_register"
CALLBACK_ESTATES = "callback_estates"
FEES = "fee_register"


class Book(Projection):
    """A book of repair rows, changed by a few of the repair's events."""

    table_name: ClassVar[str]
    handlers: ClassVar[dict[str, Callable[[dict[Any, Row], Ticket.Event], None]]]
    estates_name: ClassVar[str | None] = None
    """The book's note of each ticket's estate, if its rows carry one (new rows take it)."""

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Reads the batch's tickets' rows, lets each handled event change them, writes back."""
        table = tables[self.table_name]
        mine = [event for event in events if type(event).__qualname__ in self.handlers]
        ids = sorted({id_of(event) for event in mine})
        estates = {}
        if self.estates_name is not None:
            estates = estates_of(connection, tables[self.estates_name], events, ids)
        if not ids:
            return
        rows = {_key(table, row): row for row in rows_of(connection, table, ids)}
        self._enter(rows, mine, estates)
        replace_rows(connection, table, ids, rows.values())

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[Row]]:
        """Each ticket's rows after its whole history (and the estates it noted)."""
        mine = [event for event in events if type(event).__qualname__ in self.handlers]
        rows: dict[Any, Row] = {}
        if self.estates_name is None:
            self._enter(rows, mine, {})
            return {self.table_name: list(rows.values())}
        estates = opened_estates(events)
        self._enter(rows, mine, estates)
        return {self.table_name: list(rows.values()), self.estates_name: estate_rows(estates)}

    def _enter(self, rows: dict[Any, Row], events: Sequence[Ticket.Event],
               estates: dict[str, str]) -> None:  # fmt: skip
        """Lets each handled event change the rows (in memory); new rows take the estate."""
        for event in events:
            self.handlers[type(event).__qualname__](rows, event)
        if estates:
            for row in rows.values():
                row.setdefault("estate", estates[row["ticket_id"]])


def _key(table: Table, row: Row) -> Any:  # noqa: ANN401 - the table's primary key
    return tuple(row[column.name] for column in table.primary_key.columns)


# ---------------------------------------------------------------------------- callbacks


def _callback_opened(rows: dict[Any, Row], event: Ticket.Event) -> None:
    ticket_id, fields = id_of(event), vars(event)
    number = 1 + sum(1 for key in rows if key[0] == ticket_id)
    rows[(ticket_id, number)] = {
        "ticket_id": ticket_id, "number": number, "opened_at": fields["starts_at"],
        "due_at": fields["due_at"], "category": fields["category"],
        "leak_test_result": fields["leak_test_result"], "called_at": None, "called_by": None,
        "channel": None, "satisfied": None, "rating": None, "remarks": None, "problem": None,
        "within_window": None,
    }  # fmt: skip


def _called_back(rows: dict[Any, Row], event: Ticket.Event) -> None:
    ticket_id, fields = id_of(event), vars(event)
    waiting = [key for key, row in rows.items() if key[0] == ticket_id and row["called_at"] is None]
    if not waiting:
        return  # pragma: no cover - the domain calls back only an open window
    rows[max(waiting)].update(
        called_at=event.timestamp, called_by=fields["actor"], channel=fields["channel"],
        satisfied=fields["satisfied"], rating=fields["rating"], remarks=fields["remarks"],
        problem=fields["problem"], within_window=fields["within_window"],
    )  # fmt: skip


class CallbackRegister(Book):
    """回访记录: every callback window a repair opened, and what its callback found."""

    name = "callback_register"
    table_name = CALLBACKS
    handlers: ClassVar[dict[str, Callable[[dict[Any, Row], Ticket.Event], None]]] = {
        "Repair.CallbackOpened": _callback_opened,
        "Repair.CalledBack": _called_back,
    }
    estates_name = CALLBACK_ESTATES

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """The book, and each ticket's estate (which a callback row takes when it opens).

        The book is keyed by ticket and callback number, and indexed by opening and call.
        """
        suffix = f"{CALLBACKS}_g{generation}"
        table = Table(suffix, metadata, *callback_columns())
        Index(f"ix_{suffix}_opened", table.c.opened_at)
        Index(f"ix_{suffix}_called", table.c.called_at)
        estates = estates_table(metadata, CALLBACK_ESTATES, generation)
        return {CALLBACKS: table, CALLBACK_ESTATES: estates}


def callback_columns() -> list[Column[Any]]:
    """The callback register's columns."""
    return [
        Column("ticket_id", String(36), primary_key=True),
        Column("number", Integer, primary_key=True),
        Column("estate", String(64), nullable=False),
        Column("opened_at", Instant, nullable=False),
        Column("due_at", Instant, nullable=False),
        Column("category", String(64), nullable=False),
        Column("leak_test_result", String(200)),
        Column("called_at", Instant),
        Column("called_by", String(64)),
        Column("channel", String(32)),
        Column("satisfied", Boolean),
        Column("rating", Integer),
        Column("remarks", Text),
        Column("problem", Text),
        Column("within_window", Boolean),
    ]


# ---------------------------------------------------------------------------- fees


def _logged(rows: dict[Any, Row], event: Ticket.Event) -> None:
    ticket_id, fields = id_of(event), vars(event)
    rows[(ticket_id,)] = {
        "ticket_id": ticket_id, "logged_at": event.timestamp, "paid": fields["paid"],
        "price_item": fields["price_item"], "quoted": None, "charged": Decimal(0),
        "charged_at": None, "handed_over_at": None, "handed_over": None, "settled_at": None,
        "settled": None, "receipt_no": None, "same_day": None, "fee_status": None,
    }  # fmt: skip


def _quoted(rows: dict[Any, Row], event: Ticket.Event) -> None:
    _update(rows, event, quoted=vars(event)["amount"])


def _completed(rows: dict[Any, Row], event: Ticket.Event) -> None:
    fields = vars(event)
    row = rows.get((id_of(event),))
    if row is None:  # pragma: no cover - Logged made the row
        return
    row["fee_status"] = fields["fee_status"]
    if fields["fee"]:
        row.update(charged=Decimal(row["charged"]) + fields["fee"], charged_at=event.timestamp)


def _handed_over(rows: dict[Any, Row], event: Ticket.Event) -> None:
    _update(rows, event, handed_over_at=event.timestamp, handed_over=vars(event)["amount"],
            fee_status=effects(event)["fee_status"])  # fmt: skip


def _settled(rows: dict[Any, Row], event: Ticket.Event) -> None:
    fields = vars(event)
    _update(rows, event, settled_at=event.timestamp, settled=fields["amount"],
            receipt_no=fields["receipt_no"], same_day=fields["same_day"],
            fee_status=effects(event)["fee_status"])  # fmt: skip


def _update(rows: dict[Any, Row], event: Ticket.Event, **values: object) -> None:
    row = rows.get((id_of(event),))
    if row is not None:
        row.update(values)


class FeeRegister(Book):
    """有偿服务登记表 and the fee settlement: what each repair was quoted, charged and paid."""

    name = "fee_register"
    table_name = FEES
    handlers: ClassVar[dict[str, Callable[[dict[Any, Row], Ticket.Event], None]]] = {
        "Repair.Logged": _logged,
        "Repair.Quoted": _quoted,
        "Repair.Completed": _completed,
        "Repair.FeeHandedOver": _handed_over,
        "Repair.FeeSettled": _settled,
    }

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """One table, one row per repair; indexed by when fees were charged."""
        suffix = f"{FEES}_g{generation}"
        table = Table(suffix, metadata, *fee_columns())
        Index(f"ix_{suffix}_charged", table.c.charged_at)
        return {FEES: table}


def fee_columns() -> list[Column[Any]]:
    """The fee register's columns."""
    money = Numeric(12, 2)
    return [
        Column("ticket_id", String(36), primary_key=True),
        Column("logged_at", Instant, nullable=False),
        Column("paid", Boolean, nullable=False),
        Column("price_item", String(200)),
        Column("quoted", money),
        Column("charged", money, nullable=False),
        Column("charged_at", Instant),
        Column("handed_over_at", Instant),
        Column("handed_over", money),
        Column("settled_at", Instant),
        Column("settled", money),
        Column("receipt_no", String(64)),
        Column("same_day", Boolean),
        Column("fee_status", String(32)),
    ]
