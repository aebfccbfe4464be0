"""Reading the store ticket by ticket: whole histories, for a rebuild.

eventsourcing reads a store in one of two orders: one aggregate's events (``get``), or every
event in the order it was stored (notifications). A rebuild of the read models wants a third:
every event up to a position, grouped into whole histories, so that each batch holds every
event of the tickets it touches and no other batch touches them. Its rows are then made once
and written once, instead of being read back and rewritten by each later batch that carries
another event of the same ticket.

Both of eventsourcing's recorders keep events in one table whose primary key is
``(originator_id, originator_version)``; this walks that key. The SQL is ours, over the
recorder's own table and connections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from propdesk.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from eventsourcing.persistence import ApplicationRecorder


def histories(
    recorder: ApplicationRecorder, *, stop: int, size: int
) -> Iterator[list[StoredEvent]]:
    """Every event stored at or before notification ``stop``, in batches of whole histories.

    Each batch holds whole histories (every event of each of its aggregates up to ``stop``,
    in version order), about ``size`` events; a history longer than ``size`` is a batch of
    its own. Aggregates come in the order of their ids.

    Raises:
        ConfigurationError: ``size`` is less than 1, or the recorder is neither SQLite's nor
            PostgreSQL's.
    """
    if size < 1:
        raise ConfigurationError(f"a batch of histories needs a size of at least 1, not {size}")
    reader = _reader(recorder)
    after: UUID | None = None
    while True:
        page = reader.page(after, stop, size)
        if not page:
            return
        last = page[-1]
        if len(page) == size:  # the last history may go on: read it whole, next time or now
            whole = [event for event in page if event.originator_id != last.originator_id]
            page = whole or [*page, *reader.rest(last, stop)]
        after = page[-1].originator_id  # type: ignore[assignment]  # a UUID: ours are
        yield page


class _Reader:
    """The SQL for one recorder's table, and how its rows become stored events."""

    def __init__(self, recorder: ApplicationRecorder, table: str, position: str, mark: str) -> None:
        self._recorder: Any = recorder  # its ``datastore`` is each recorder's own
        columns = "originator_id, originator_version, topic, state"
        base = f"SELECT {columns} FROM {table} WHERE {position} <= {mark} AND "  # noqa: S608 - the recorder's own table name, quoted by us
        order = " ORDER BY originator_id, originator_version"
        self._first = base + "TRUE" + order + f" LIMIT {mark}"
        self._next = base + f"originator_id > {mark}" + order + f" LIMIT {mark}"
        self._rest = base + f"originator_id = {mark} AND originator_version > {mark}" + order
        self._sqlite = isinstance(recorder, SQLiteApplicationRecorder)

    def page(self, after: UUID | None, stop: int, size: int) -> list[StoredEvent]:
        if after is None:
            return self._fetch(self._first, (stop, size))
        return self._fetch(self._next, (stop, self._key(after), size))

    def rest(self, last: StoredEvent, stop: int) -> list[StoredEvent]:
        """The events of ``last``'s aggregate after it."""
        originator = self._key(last.originator_id)  # type: ignore[arg-type]  # a UUID: ours are
        return self._fetch(self._rest, (stop, originator, last.originator_version))

    def _key(self, originator: UUID) -> object:
        """An aggregate's id as the table holds it: hex text on SQLite, ``uuid`` elsewhere."""
        return originator.hex if self._sqlite else originator

    def _fetch(self, statement: str, parameters: tuple[Any, ...]) -> list[StoredEvent]:
        with self._recorder.datastore.transaction(commit=False) as cursor:
            if not self._sqlite:  # psycopg's: plain tuples, not the recorder's dicts
                cursor.row_factory = _tuple_rows()
            cursor.execute(statement, parameters)
            rows = cursor.fetchall()
        if self._sqlite:  # sqlite3 rows, by position; hex ids, parsed once per history
            events, text, originator = [], None, None
            for row in rows:
                if row[0] != text:
                    text, originator = row[0], UUID(row[0])
                events.append(StoredEvent(originator, row[1], row[2], row[3]))  # type: ignore[arg-type]  # set just above
            return events
        return [StoredEvent(row[0], row[1], row[2], bytes(row[3])) for row in rows]


def _tuple_rows() -> Any:  # noqa: ANN401 - psycopg's row factory
    from psycopg.rows import tuple_row  # noqa: PLC0415 - only PostgreSQL needs the driver

    return tuple_row


def _reader(recorder: ApplicationRecorder) -> _Reader:
    name = getattr(recorder, "events_table_name", None)
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ConfigurationError(f"cannot read histories from {type(recorder).__name__}")
    if isinstance(recorder, SQLiteApplicationRecorder):
        return _Reader(recorder, _quoted(name), "rowid", "?")
    schema = getattr(getattr(recorder, "datastore", None), "schema", None)
    if type(recorder).__module__.startswith("eventsourcing.postgres") and isinstance(schema, str):
        table = f"{_quoted(schema)}.{_quoted(name)}"
        return _Reader(recorder, table, "notification_id", "%s")
    raise ConfigurationError(f"cannot read histories from {type(recorder).__name__}")


def _quoted(identifier: str) -> str:
    """An SQL identifier in double quotes (both databases' rule), its own quotes doubled."""
    doubled = identifier.replace('"', '""')
    return f'"{doubled}"'
