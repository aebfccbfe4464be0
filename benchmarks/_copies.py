"""Fresh databases holding the first N events of a corpus: the setup of every measurement.

A :class:`Prefix` is made once per backend and size: a SQLite file, or a PostgreSQL schema,
holding the corpus's ``stored_events`` rows whose notification id is at most N, with the
same ids (SQLite's ``rowid``, PostgreSQL's ``notification_id``), in tables made by
``propdesk.init_schema``. Snapshots are not copied: projections read notifications only, and
the store opens with an empty snapshot table. Each measurement then asks the prefix for a
:meth:`~Prefix.fresh` copy of it, with no projection tables yet, and drops the copy after:

- SQLite: the prefix file is copied (its WAL checkpointed into it first);
- PostgreSQL: a new schema is made with ``propdesk.init_schema``, filled with one
  ``INSERT ... SELECT`` from the prefix's schema, its id sequence set past the last id, and
  ``VACUUM ANALYZE``-d, so that the first read of the copy does not pay for setting hint bits
  that every later read would find set (the rebuild after the raw read would gain from them).

The prefix itself is filled with one ``INSERT ... SELECT`` from the attached corpus (SQLite)
or a ``COPY`` streamed from it (PostgreSQL). None of this is measured.
"""

from __future__ import annotations

import functools
import itertools
import shutil
import sqlite3
import tempfile
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from uuid import uuid4

import propdesk
from _backends import safe_url, schema_url
from propdesk.persistence.store import open_store

if TYPE_CHECKING:
    from collections.abc import Iterator

_COLUMNS = "originator_id, originator_version, topic, state"
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class Prefix(Protocol):
    """The first ``events`` events of a corpus in one backend, ready to be copied fresh."""

    backend: str
    events: int
    where: str
    """A human description of where the copies live."""

    def fresh(self) -> AbstractContextManager[str]:
        """A new database holding the prefix and nothing else; yields its propdesk URL."""
        ...

    def close(self) -> None:
        """Removes the prefix."""
        ...


@contextmanager
def open_prefix(
    backend: str, corpus: Path, events: int, directory: Path, postgres_url: str
) -> Iterator[Prefix]:
    """The first ``events`` events of ``corpus`` in ``backend``; removed on exit.

    Raises:
        ValueError: the corpus holds fewer than ``events`` events, or the backend is unknown.
    """
    prefix: Prefix
    if backend == "sqlite":
        prefix = SqlitePrefix(corpus, events, directory)
    elif backend == "postgres":
        prefix = PostgresPrefix(corpus, events, postgres_url)
    else:
        raise ValueError(f"unknown backend {backend!r}; use sqlite or postgres")
    try:
        yield prefix
    finally:
        prefix.close()


def events_table(url: str) -> str:
    """The table the event store at ``url`` keeps its events in (eventsourcing names it)."""
    store, _ = open_store(url, cache_size=0)
    try:
        return str(store.recorder.events_table_name)  # type: ignore[attr-defined]
    finally:
        store.close()


@functools.cache
def sqlite_events_table() -> str:
    """The events table of a SQLite store, such as a corpus (asked of an empty one)."""
    with tempfile.TemporaryDirectory(prefix="propdesk-bench-") as directory:
        url = f"sqlite:///{directory}/probe.db"
        propdesk.init_schema(url)
        return events_table(url)


def _read_corpus(corpus: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{corpus}?mode=ro", uri=True)


def _corpus_head(corpus: Path, table: str, events: int) -> None:
    """Checks that the corpus holds at least ``events`` events."""
    connection = _read_corpus(corpus)
    try:
        (head,) = connection.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()  # noqa: S608 - eventsourcing's table name
    finally:
        connection.close()
    if (head or 0) < events:
        msg = f"the corpus {corpus.name} holds {head or 0:,} events, fewer than {events:,}"
        raise ValueError(msg)


class SqlitePrefix:
    """A SQLite file with the prefix; fresh copies are copies of the file."""

    def __init__(self, corpus: Path, events: int, directory: Path) -> None:
        self.backend = "sqlite"
        self.events = events
        self.where = f"SQLite files in {directory}"
        self._directory = directory
        self._path = directory / f"prefix-{events}-{uuid4().hex[:8]}.db"
        self._copies = itertools.count(1)
        try:
            self._fill(corpus)
        except BaseException:
            self.close()
            raise

    def _fill(self, corpus: Path) -> None:
        url = f"sqlite:///{self._path}"
        propdesk.init_schema(url)
        table = sqlite_events_table()
        _corpus_head(corpus, table, self.events)
        connection = sqlite3.connect(f"file:{self._path}", uri=True)
        try:
            connection.execute("ATTACH DATABASE ? AS corpus", (f"file:{corpus}?mode=ro",))
            with connection:
                connection.execute(
                    f"INSERT INTO main.{table} (rowid, {_COLUMNS})"  # noqa: S608 - constants
                    f" SELECT rowid, {_COLUMNS} FROM corpus.{table}"
                    " WHERE rowid <= ? ORDER BY rowid",
                    (self.events,),
                )
            connection.execute("DETACH DATABASE corpus")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """A copy of the prefix file, deleted afterwards."""
        path = self._directory / f"copy-{self.events}-{next(self._copies)}.db"
        _remove_sqlite(path)
        try:
            shutil.copyfile(self._path, path)
            yield f"sqlite:///{path}"
        finally:
            _remove_sqlite(path)

    def close(self) -> None:
        """Deletes the prefix file."""
        _remove_sqlite(self._path)


def _remove_sqlite(path: Path) -> None:
    for suffix in _SQLITE_COMPANIONS:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresPrefix:
    """A PostgreSQL schema with the prefix; fresh copies are schemas filled from it."""

    def __init__(self, corpus: Path, events: int, base_url: str) -> None:
        self.backend = "postgres"
        self.events = events
        self._base = base_url
        self._tag = f"bench_{uuid4().hex[:10]}"
        self._schema = f"{self._tag}_prefix"
        self._copies = itertools.count(1)
        self._table = ""
        self.where = f"PostgreSQL schemas {self._tag}_* in {safe_url(base_url)}"
        try:
            self._fill(corpus)
        except BaseException:
            self.close()
            raise

    def _fill(self, corpus: Path) -> None:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs the driver
        from psycopg import sql  # noqa: PLC0415 - as above

        url = schema_url(self._base, self._schema)
        propdesk.init_schema(url)
        self._table = events_table(url)
        source_table = sqlite_events_table()
        _corpus_head(corpus, source_table, self.events)
        copy_rows = sql.SQL("COPY {}.{} (" + _COLUMNS + ", notification_id) FROM STDIN").format(
            sql.Identifier(self._schema), sql.Identifier(self._table)
        )
        source = _read_corpus(corpus)
        try:
            rows = source.execute(
                f"SELECT {_COLUMNS}, rowid FROM {source_table}"  # noqa: S608 - constants
                " WHERE rowid <= ? ORDER BY rowid",
                (self.events,),
            )
            with (
                psycopg.connect(self._base) as connection,
                connection.cursor() as cursor,
                cursor.copy(copy_rows) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        finally:
            source.close()
        self._settle(self._schema)

    def _settle(self, schema: str) -> None:
        """Sets the id sequence past the copied ids; vacuums and analyses the events."""
        import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs the driver
        from psycopg import sql  # noqa: PLC0415 - as above

        table = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(self._table))
        with psycopg.connect(self._base, autocommit=True) as connection:
            connection.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'),"
                    " (SELECT COALESCE(MAX(notification_id), 0) + 1 FROM {}), false)"
                ).format(table),
                (table.as_string(connection),),
            )
            connection.execute(sql.SQL("VACUUM ANALYZE {}").format(table))

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """A new schema filled from the prefix's, dropped afterwards."""
        import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs the driver
        from psycopg import sql  # noqa: PLC0415 - as above

        schema = f"{self._tag}_copy{next(self._copies)}"
        try:
            propdesk.init_schema(schema_url(self._base, schema))
            with psycopg.connect(self._base) as connection:
                connection.execute(
                    sql.SQL(
                        "INSERT INTO {}.{} (" + _COLUMNS + ", notification_id)"  # noqa: S608 - constants and quoted identifiers
                        " SELECT " + _COLUMNS + ", notification_id FROM {}.{}"
                        " ORDER BY notification_id"
                    ).format(
                        sql.Identifier(schema),
                        sql.Identifier(self._table),
                        sql.Identifier(self._schema),
                        sql.Identifier(self._table),
                    )
                )
            self._settle(schema)
            yield schema_url(self._base, schema)
        finally:
            self._drop(schema)

    def close(self) -> None:
        """Drops the prefix's schema."""
        self._drop(self._schema)

    def _drop(self, schema: str) -> None:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs the driver
        from psycopg import sql  # noqa: PLC0415 - as above

        with psycopg.connect(self._base, autocommit=True) as connection:
            statement = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
            connection.execute(statement.format(sql.Identifier(schema)))
