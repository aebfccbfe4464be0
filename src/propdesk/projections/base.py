"""What a projection is: named tables, built from the event stream.

A projection owns some tables. The runner (:mod:`propdesk.projections.runner`) creates them
for a *generation* (``board_g1``, ``board_g2``…) and points a view with the plain name
(``board``) at the live one, so a rebuild fills a new generation beside the live one and then
swaps the view in one transaction. Readers always query the plain names.

A projection says how a batch of events changes its tables (:meth:`Projection.apply`, for
catching up in the order events were stored) and, for a rebuild, what rows whole ticket
histories make from nothing (:meth:`Projection.fresh`). Both run the same in-memory code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sqlalchemy import Column, String, Table, delete, insert, select

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Sequence
    from uuid import UUID

    from sqlalchemy import ColumnElement, Connection, Dialect, MetaData

    from propdesk.domain.ticket import Ticket

Row = dict[str, Any]
"""A read model's row, by column name."""
Bound = tuple[Any, ...]
"""A row as the database driver takes it: its values in the insert's column order."""


class Projection(ABC):
    """One read model: its tables and how each event changes them."""

    name: ClassVar[str]
    """The projection's name, as ``propdesk projections`` shows it."""
    rebuildable: ClassVar[bool] = True
    """``False`` for a projection whose rows record what was done outside the store (the
    worker's outbox of notifications sent): rebuilding it would do that again. Such a
    projection starts at the head of the store when first created, and is never rebuilt."""

    @abstractmethod
    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """The projection's tables for one generation, by plain name.

        Each table is named ``{plain}_g{generation}``; its indexes carry the same suffix.
        """

    @abstractmethod
    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Changes the tables for a batch of events, in order, inside the batch's transaction.

        A projection reads the rows the batch touches once, changes them in memory, and
        writes them back in a few statements: per-event statements would make a rebuild of
        a million events take hours.
        """

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[Row]] | None:
        """The rows that whole histories make, by plain table name: what a rebuild writes.

        ``events`` holds every event of each of its tickets up to a position, ticket by
        ticket, and none of them has rows yet; the answer is what :meth:`apply` would leave
        in the tables for them. It is worked out without the database, so a rebuild can do
        it while the desk has the write lock, and write each row once.

        ``None`` (the default) if this projection cannot say: a rebuild then applies the
        events in the order they were stored, batch by batch.
        """
        del events
        return None


class Probe:
    """A stand-in ticket that records what an event's ``apply`` assigns.

    The domain's ``apply`` methods are the one statement of each event's effect on a ticket
    (its state, its acceptor, its handler…). A projection reads those effects from a probe
    instead of repeating them: ``effects(event)`` returns every attribute the event sets.
    Reading an attribute the probe was not given yields an empty tuple, so an ``apply`` that
    extends a list still runs; one that needs more (the goal records) is not probed.
    """

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - stands in for any field
        if name.startswith("__"):
            raise AttributeError(name)
        return ()


def effects(event: Ticket.Event) -> dict[str, Any]:
    """What ``event.apply`` assigns to a ticket, by attribute name (empty if it cannot say).

    Remembered per event (see :func:`_remember`). Treat the answer as read-only.
    """
    cached = _EFFECTS.get(id(event))
    if cached is not None and cached[0] is event:
        return cached[1]
    found: dict[str, Any] = _remember(_EFFECTS, event, _probed(event))
    return found


def id_of(event: Ticket.Event) -> str:
    """The id of the event's ticket, as the read models store it (text; remembered).

    Remembered by the id object, which a ticket's events read together often share.
    """
    originator = event.originator_id
    cached = _IDS.get(id(originator))
    if cached is not None and cached[0] is originator:
        return cached[1]
    text: str = _remember(_IDS, originator, str(originator))
    return text


def _probed(event: Ticket.Event) -> dict[str, Any]:
    probe = Probe()
    try:
        event.apply(probe)
    except (TypeError, KeyError, AttributeError):
        return {}
    found: dict[str, Any] = vars(probe)  # the probe's own: nothing else holds it
    return found


def _remember(kept: dict[int, tuple[Any, Any]], key: object, found: Any) -> Any:  # noqa: ANN401 - whatever was found
    """Keeps what was found for ``key`` (an event, an id), so every projection finds it.

    Kept by identity (the very same object, held so its id cannot be reused), for the most
    recent ones only: more than a batch holds.
    """
    if len(kept) >= _KEPT:
        kept.clear()
    kept[id(key)] = (key, found)
    return found


_IDS: dict[int, tuple[UUID, str]] = {}
_EFFECTS: dict[int, tuple[Ticket.Event, dict[str, Any]]] = {}
_KEPT = 20_000
"""More than a batch's events, so every projection finds them."""


CREATED = frozenset({"Logged", "ComplaintReceived"})
"""The steps that open a ticket (a repair's, a complaint's): they name its estate."""


def estates_table(metadata: MetaData, plain: str, generation: int) -> Table:
    """A projection's own note of each ticket's estate, for rows made by events without it.

    Each projection that needs it keeps its own, so that it can be rebuilt alone.
    """
    return Table(
        f"{plain}_g{generation}", metadata,
        Column("ticket_id", String(36), primary_key=True),
        Column("estate", String(64), nullable=False),
    )  # fmt: skip


def opened_estates(events: Iterable[Ticket.Event]) -> dict[str, str]:
    """The estate of each ticket these events open, by ticket id."""
    return {id_of(event): effects(event)["estate"]
            for event in events if type(event).__name__ in CREATED}  # fmt: skip


def estate_rows(estates: dict[str, str]) -> list[Row]:
    """Rows of an :func:`estates_table`."""
    return [{"ticket_id": ticket, "estate": estate} for ticket, estate in estates.items()]


def estates_of(
    connection: Connection, table: Table, events: Sequence[Ticket.Event], ids: Iterable[str]
) -> dict[str, str]:
    """The estate of each of ``ids``; notes in ``table`` the tickets this batch opens.

    An opened ticket's estate comes from its event; the others' are read from ``table``.
    """
    opened = opened_estates(events)
    insert_rows(connection, table, estate_rows(opened))
    known = dict(opened)
    for chunk in chunks(set(ids) - known.keys()):
        query = select(table.c.ticket_id, table.c.estate).where(table.c.ticket_id.in_(chunk))
        known.update((str(ticket), str(estate)) for ticket, estate in connection.execute(query))
    return known


Key = TypeVar("Key", str, tuple[str, str, int])


def chunks(ids: Collection[Key], size: int = 500) -> Iterator[list[Key]]:
    """``ids`` in sorted lists of at most ``size``: ``IN (...)`` lists the drivers accept."""
    ordered = sorted(ids)
    for first in range(0, len(ordered), size):
        yield ordered[first : first + size]


def ticket_kind(event: Ticket.Event) -> str:
    """``repair`` or ``complaint``: the ticket kind whose event this is (``Repair.Logged``...)."""
    kind = _KINDS.get(type(event))
    if kind is None:
        kind = _KINDS[type(event)] = type(event).__qualname__.split(".", 1)[0].lower()
    return kind


_KINDS: dict[type, str] = {}
"""The kind of each event class, as :func:`ticket_kind` worked it out."""


def rows_of(connection: Connection, table: Table, ids: Sequence[str]) -> list[Row]:
    """The rows of these tickets, as dicts a batch can change in memory."""
    return rows_where(connection, table, table.c.ticket_id.in_(ids))


def rows_where(connection: Connection, table: Table, condition: ColumnElement[bool]) -> list[Row]:
    """The rows that meet ``condition``, as dicts a batch can change in memory."""
    query = select(table).where(condition)
    return [dict(row._mapping) for row in connection.execute(query)]  # noqa: SLF001 - SQLAlchemy's public row mapping


def replace_rows(
    connection: Connection, table: Table, ids: Sequence[str], rows: Iterable[Row]
) -> None:
    """Writes a batch back: these tickets' rows are replaced by ``rows`` (two statements)."""
    connection.execute(delete(table).where(table.c.ticket_id.in_(ids)))
    insert_rows(connection, table, rows)


def insert_rows(connection: Connection, table: Table, rows: Iterable[Row]) -> None:
    """Inserts rows, converting each value with its column's type.

    This does what ``connection.execute(insert(table), rows)`` does, without the statement
    machinery around each row (a rebuild writes millions): the statement is made once per
    table and dialect, and each column's bind processor is looked up once. On PostgreSQL
    (psycopg) the rows are sent with ``COPY``, the server's bulk load; elsewhere in one
    ``executemany``.
    """
    insert_bound(connection, table, bound_rows(table, connection.dialect, rows))


def bound_rows(table: Table, dialect: Dialect, rows: Iterable[Row]) -> list[Bound]:
    """Rows as the driver takes them for :func:`insert_bound`: converted, not yet written."""
    writer = _writer(table, dialect)
    return [writer.values(row) for row in rows]


def insert_bound(connection: Connection, table: Table, values: list[Bound]) -> None:
    """Inserts rows that :func:`bound_rows` converted for this connection's dialect."""
    if values:
        _writer(table, connection.dialect).write(connection, values)


class _Writer:
    """How to insert rows into one table on one dialect, and how to bind a row for it."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        compiled = insert(table).compile(dialect=dialect)
        self._sql = str(compiled)
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        self._names = list(names or ())
        self._positional = compiled.positional
        keys = [compiled.binds[name].key for name in self._names]
        self._get = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
        processors = [table.columns[key].type.bind_processor(dialect) for key in keys]
        self._converted = [(at, convert) for at, convert in enumerate(processors) if convert]
        self._copy = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer
            columns = ", ".join(quote.quote(table.columns[key].name) for key in keys)
            self._copy = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"

    def values(self, row: Row) -> Bound:
        """The row's values as the driver takes them, in the statement's order.

        The values are taken at once (``itemgetter``), and only those of columns whose type
        converts them are converted: a rebuild binds millions of rows.
        """
        values = list(self._get(row))
        for at, convert in self._converted:
            value = values[at]
            if value is not None:
                values[at] = convert(value)
        return tuple(values)

    def write(self, connection: Connection, values: list[Bound]) -> None:
        """Inserts bound rows, in the connection's transaction."""
        if self._copy is not None:
            driver = connection.connection.driver_connection  # psycopg's, in this transaction
            with driver.cursor() as cursor, cursor.copy(self._copy) as copy:  # type: ignore[union-attr]  # a psycopg connection
                for row in values:
                    copy.write_row(row)
            return
        if self._positional:
            connection.exec_driver_sql(self._sql, values)
        else:  # a driver that takes parameters by name
            connection.exec_driver_sql(
                self._sql, [dict(zip(self._names, row, strict=True)) for row in values]
            )


_WRITERS: dict[tuple[str, tuple[str, ...], str], _Writer] = {}


def _writer(table: Table, dialect: Dialect) -> _Writer:
    key = (table.name, tuple(table.columns.keys()), dialect.name)
    found = _WRITERS.get(key)
    if found is None:
        found = _WRITERS[key] = _Writer(table, dialect)
    return found
