"""Running projections: catch up from the event store, exactly once; rebuild without downtime.

Each projection records the last notification it has applied in ``propdesk_projections``, in
the same transaction as the rows that notification changed. A batch therefore commits whole
or not at all: a process killed in the middle leaves the previous position and the previous
rows, and the next catch-up applies the batch again from there. Two processes catching up
at once cannot both apply a batch: the position is advanced only from the value the batch
started at (and the row is locked on PostgreSQL), so the slower one rolls back.

A rebuild fills a new generation of the projection's tables from the first event, beside the
live one, while the desk and other catch-ups go on: ticket by ticket, in batches of whole
histories whose rows are final (:meth:`Projection.fresh`), written once and indexed when the
tables are full. Then, in one transaction, it applies what came in meanwhile (in stored
order), points the projection's views at the new tables, and records the new generation and
position. The old tables are dropped afterwards.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self, overload

import structlog
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.schema import CreateTable

from propdesk.application.clock import Clock, SystemClock
from propdesk.domain.errors import ConfigurationError
from propdesk.domain.ticket import Ticket
from propdesk.persistence.histories import histories
from propdesk.persistence.store import open_store
from propdesk.projections.agenda import Agenda
from propdesk.projections.base import Projection, insert_bound
from propdesk.projections.board import Board
from propdesk.projections.books import CallbackRegister, FeeRegister
from propdesk.projections.columns import Instant
from propdesk.projections.database import engine_for
from propdesk.projections.filling import Filler, Inserts, in_processes
from propdesk.projections.goal_runs import GoalRuns
from propdesk.projections.registers import ComplaintRegister, RepairRegister
from propdesk.projections.sla_timers import SlaTimers
from propdesk.projections.steps import TicketSteps

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from concurrent.futures import Future
    from datetime import datetime

    from sqlalchemy import Connection
    from sqlalchemy.engine import Engine, Inspector


_log = structlog.get_logger("propdesk.projections")

DEFAULT_BATCH = 500
"""Notifications a catch-up applies per transaction."""
DEFAULT_REBUILD_BATCH = 1000
"""Events a rebuild reads per batch of whole histories (and applies per transaction, for a
projection without :meth:`Projection.fresh`). Measured over 400,000 events on SQLite: 1,000
needs 40 µs of CPU an event, 5,000 needs 45 and 20,000 needs 50; a batch's objects stay in
the processor's caches."""
_MAX_PAUSE = 0.12
"""The longest pause between two batches on SQLite, in seconds.

A connection waiting for SQLite's write lock sleeps between tries, at most 100 ms at a time
(SQLite's busy handler), so a pause a little longer than that lets any waiting desk in."""

_SET_UP = 0x70726F70_64657331  # "propdes1": the advisory lock the read side's set-up holds
"""A PostgreSQL advisory lock key, so that projectors set up the read side one at a time."""

TRACKING = Table(
    "propdesk_projections", MetaData(),
    Column("name", String(64), primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", Instant, nullable=False),
)  # fmt: skip
"""Where each projection stands: its live generation and the last notification applied."""


def default_projections() -> tuple[Projection, ...]:
    """The read models propdesk keeps.

    The board, the SLA timers and goal runs, the step log, the desk's registers (repairs,
    complaints, callbacks and fees), and the SLA worker's agenda.
    """
    return (
        Board(), SlaTimers(), GoalRuns(), TicketSteps(), RepairRegister(), ComplaintRegister(),
        CallbackRegister(), FeeRegister(), Agenda(),
    )  # fmt: skip


@dataclass(frozen=True)
class ProjectionStatus:
    """How far one projection has got."""

    name: str
    generation: int
    position: int
    """The last notification applied."""
    head: int
    """The last notification stored."""
    updated_at: datetime

    @property
    def lag(self) -> int:
        """Notifications stored but not applied yet."""
        return max(0, self.head - self.position)


class Projector:
    """Keeps read models up to date with one desk's event store.

    Open it with the desk's URL (its database must be initialised: ``propdesk db init``).
    """

    def __init__(
        self,
        url: str,
        projections: Iterable[Projection] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        rebuild_batch_size: int = DEFAULT_REBUILD_BATCH,
        rebuild_processes: int = 1,
        clock: Clock | None = None,
    ) -> None:
        """Opens the store and the read side's database; creates missing tables.

        Args:
            url: the desk's database URL.
            projections: the read models to keep (:func:`default_projections` if not given).
            batch_size: notifications a catch-up applies per transaction.
            rebuild_batch_size: notifications a rebuild applies per transaction.
            rebuild_processes: how many processes work out a rebuild's rows; 1 (the
                default): this one alone. More share the Python work, which is most of a
                rebuild's (the projections must be importable by the processes started).
            clock: stamps each projection's ``updated_at`` (the system clock by default).

        Raises:
            ConfigurationError: the URL is not usable, or two projections share a name.
            DatabaseNotInitialised: the event store's tables are missing.
        """
        sizes = {"batch_size": batch_size, "rebuild_batch_size": rebuild_batch_size,
                 "rebuild_processes": rebuild_processes}  # fmt: skip
        for name, size in sizes.items():
            if size < 1:
                raise ConfigurationError(f"{name} must be at least 1, not {size}")
        self._url = url
        self._store, _ = open_store(url, cache_size=0)
        self.engine: Engine = engine_for(url)
        """For queries: the read models and ``status``."""
        self._writer = engine_for(url, writer=True)
        self._projections: dict[str, Projection] = {}
        for projection in projections if projections is not None else default_projections():
            if projection.name in self._projections:
                raise ConfigurationError(f"two projections are named {projection.name}")
            self._projections[projection.name] = projection
        self._batch = batch_size
        self._rebuild_batch = rebuild_batch_size
        self._rebuild_processes = rebuild_processes
        self._clock: Clock = clock or SystemClock()
        self._last_hold = 0.0
        self._released_at = 0.0
        self._outdated: set[str] = set()
        self._live: dict[tuple[str, int], dict[str, Table]] = {}
        self._set_up()

    @property
    def names(self) -> tuple[str, ...]:
        """The projections this projector keeps."""
        return tuple(self._projections)

    # ------------------------------------------------------------------ catching up

    def catch_up(self, names: Iterable[str] | None = None, *, wait: bool = True) -> dict[str, int]:
        """Applies every stored event each projection has not applied yet.

        Projections at the same position share a pass: each batch of events is read and
        decoded once and applied to all of them in one transaction, each with its position.
        A projection behind the others catches up alone until it reaches them.

        Returns the number of notifications this call applied, by projection. If another
        process is catching a projection up at the same time, this call stops that
        projection at the first batch the other process applied first, and leaves the rest
        of it to that process. With ``wait=False`` it does not even wait for that batch: on
        PostgreSQL a projection another process is applying a batch to right now is left to
        it at once (the SLA worker's ticks do this, so that several workers act on deadlines
        instead of queueing to catch up the same read models).
        """
        active = sorted(self._chosen(names))
        outdated = sorted(self._outdated & set(active))
        if outdated:  # tables of an older shape: built anew first, then caught up as usual
            self.rebuild(*outdated)
        applied = dict.fromkeys(active, 0)
        while active:
            with self.engine.connect() as connection:
                positions = {name: self._tracking_row(connection, name, lock=False).position
                             for name in active}  # fmt: skip
            lowest = min(positions.values())
            group = [name for name in active if positions[name] == lowest]
            self._let_writers_in()
            try:
                count = self._timed_batch(group, lowest, wait=wait)
            except _Overtaken as overtaken:
                active.remove(overtaken.name)  # another process applied it first; its rows stand
                continue
            if count == 0:
                active = [name for name in active if name not in group]
                continue
            for name in group:
                applied[name] += count
        return {name: applied[name] for name in self._chosen(names)}

    def _let_writers_in(self) -> None:
        """On SQLite, leaves the one write lock free a moment between batches.

        Called just before a batch takes the lock. A desk waiting for the lock retries with
        growing sleeps; back-to-back batches could keep it out until it gives up. The lock
        stays free for as long as the last batch held it, up to :data:`_MAX_PAUSE`: short
        batches leave it free half the time, long ones (a rebuild's) long enough for every
        waiting desk to take it once. Time spent since the last batch let go (reading and
        decoding the next one) counts, so only the rest of the pause is slept.
        """
        if self._writer.dialect.name != "sqlite":
            return
        free_for = time.perf_counter() - self._released_at
        pause = min(self._last_hold, _MAX_PAUSE) - free_for
        if pause > 0:
            time.sleep(pause)

    def step(self, name: str) -> int:
        """Applies one batch to one projection; returns how many notifications it applied."""
        projection = self._projection(name)
        with self.engine.connect() as connection:
            position = self._tracking_row(connection, projection.name, lock=False).position
        try:
            return self._timed_batch([projection.name], position)
        except _Overtaken:
            return 0  # another process applied these first; its rows stand

    def _timed_batch(self, names: Sequence[str], position: int, *, wait: bool = True) -> int:
        with self._held():
            return self._apply_batch(names, position, wait=wait)

    @contextmanager
    def _held(self) -> Iterator[None]:
        """Times how long the enclosed work holds the write lock, for the next pause."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self._released_at = time.perf_counter()
            self._last_hold = self._released_at - started

    @contextmanager
    def _write_turn(self) -> Iterator[Connection]:
        """A write transaction of its own, taken after the pause that lets waiting desks in."""
        self._let_writers_in()
        with self._held(), self._writer.begin() as connection:
            yield connection

    def _apply_batch(self, names: Sequence[str], position: int, *, wait: bool = True) -> int:
        """Applies the batch after ``position`` to these projections, all at ``position``.

        Raises:
            _Overtaken: one of them is no longer at ``position``, or (``wait=False``) another
                process holds it (the batch is rolled back).
        """
        with self._writer.begin() as connection:
            generations = {}
            for name in names:  # locked in name order, so two processes cannot deadlock
                row = self._tracking_row(connection, name, lock=True, skip_locked=not wait)
                if row is None or row.position != position:
                    raise _Overtaken(name)
                generations[name] = row.generation
            notifications = self._store.recorder.select_notifications(position + 1, self._batch)
            if not notifications:
                return 0
            targets = [(self._projections[name],
                        self._projections[name].define(MetaData(), generations[name]))
                       for name in names]  # fmt: skip
            self._apply_to(connection, targets, notifications)
            now = self._clock.now()
            for name in names:
                advanced = connection.execute(
                    update(TRACKING)
                    .where(TRACKING.c.name == name)
                    .where(TRACKING.c.position == position)
                    .where(TRACKING.c.generation == generations[name])
                    .values(position=notifications[-1].id, updated_at=now)
                )
                if advanced.rowcount != 1:
                    raise _Overtaken(name)  # rolls the batch back
        _log.debug("projections caught up a batch", projections=list(names),
                   position=notifications[-1].id, applied=len(notifications))  # fmt: skip
        return len(notifications)

    def _apply_to(
        self,
        connection: Connection,
        targets: Sequence[tuple[Projection, dict[str, Table]]],
        notifications: Sequence[object],
    ) -> None:
        """Decodes a batch once and applies it to each projection's tables, in order."""
        self._apply_events(connection, targets, self._decoded(notifications))

    def _decoded(self, notifications: Sequence[object]) -> list[Ticket.Event]:
        """The tickets' events among these notifications (or stored events), decoded."""
        mapper = self._store.mapper
        events = [mapper.to_domain_event(n) for n in notifications]  # type: ignore[arg-type]  # StoredEvents
        return [event for event in events if isinstance(event, Ticket.Event)]

    @staticmethod
    def _apply_events(
        connection: Connection,
        targets: Sequence[tuple[Projection, dict[str, Table]]],
        tickets: Sequence[Ticket.Event],
    ) -> None:
        if tickets:
            for projection, tables in targets:
                projection.apply(connection, tables, tickets)

    # ------------------------------------------------------------------ rebuilding

    def rebuild(self, *names: str) -> int:
        """Rebuilds projections from the first event into new tables, then swaps them in.

        With no names, every projection is rebuilt. The named projections are rebuilt in one
        pass over the store: each batch of events is read and decoded once and applied to
        each of them. Readers keep reading the live tables until the swap; writers are not
        stopped. Returns the position the new generations reached.

        Raises:
            ConfigurationError: a name is not one of this projector's projections, or names
                one that cannot be rebuilt (with no names, those are left out).
        """
        chosen = [self._projection(name) for name in self._chosen(names or None)]
        if not names:
            chosen = [projection for projection in chosen if projection.rebuildable]
        for projection in chosen:
            if not projection.rebuildable:
                raise ConfigurationError(
                    f"{projection.name} cannot be rebuilt: its rows record what was done"
                    " outside the store, and a rebuild would do it again"
                )
        with self.engine.connect() as connection:
            live = {p.name: self._tracking_row(connection, p.name, lock=False).generation
                    for p in chosen}  # fmt: skip
        targets = [(p, p.define(MetaData(), live[p.name] + 1)) for p in chosen]
        with self._writer.begin() as connection:
            for _, tables in targets:
                for table in tables.values():
                    table.drop(connection, checkfirst=True)  # a rebuild that died half way
                    connection.execute(CreateTable(table))  # indexed once filled: faster
        position = self._fill_from_start(targets, [(p, live[p.name] + 1) for p in chosen])
        self._index(table for _, tables in targets for table in tables.values())
        with self._writer.begin() as connection:  # what came meanwhile, and the swap
            for projection in chosen:
                self._tracking_row(connection, projection.name, lock=True)
            position = self._fill(connection, targets, position)
            now = self._clock.now()
            for projection, tables in targets:
                self._point_views(connection, tables)
                connection.execute(
                    update(TRACKING).where(TRACKING.c.name == projection.name)
                    .values(generation=live[projection.name] + 1, position=position, updated_at=now)
                )  # fmt: skip
        with self._writer.begin() as connection:
            for projection in chosen:
                for table in projection.define(MetaData(), live[projection.name]).values():
                    table.drop(connection, checkfirst=True)
        self._outdated -= {p.name for p in chosen}
        self._analyse(table for _, tables in targets for table in tables.values())
        _log.info("projections rebuilt", projections=[p.name for p in chosen], position=position)
        return position

    def _index(self, tables: Iterable[Table]) -> None:
        """Creates the indexes of freshly filled tables, one per transaction.

        Sorting a filled table's keys once is several times faster than keeping its indexes
        while it fills, row by row in no useful order. On SQLite each index is a pause for
        the desk's writes, as long as it takes to build (a second or two per million rows).
        """
        for table in tables:
            for index in sorted(table.indexes, key=lambda index: str(index.name)):
                with self._write_turn() as connection:
                    index.create(connection)

    def _analyse(self, tables: Iterable[Table]) -> None:
        """Gathers the query planner's statistics for freshly filled tables.

        Without them SQLite guesses that an equality on any indexed column is selective (one
        estate out of one or two is not) and picks slow plans for the reports. PostgreSQL's
        are gathered by ``VACUUM (ANALYZE)``, its advice after a bulk load: the vacuum marks
        the pages all-visible, so that a covering index answers without visiting the table.
        """
        preparer = self._writer.dialect.identifier_preparer
        names = [preparer.format_table(table) for table in tables]  # our own, quoted
        if self._writer.dialect.name == "postgresql":
            with self._writer.connect() as connection:  # a vacuum runs outside a transaction
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                for name in names:
                    autocommit.execute(text(f"VACUUM (ANALYZE) {name}"))
            return
        with self._writer.begin() as connection:
            for name in names:
                connection.execute(text(f"ANALYZE {name}"))

    def _fill_from_start(
        self,
        targets: Sequence[tuple[Projection, dict[str, Table]]],
        generations: Sequence[tuple[Projection, int]],
    ) -> int:
        """Fills new tables from the first event to the head as it is now; returns the head.

        Ticket by ticket if every projection can say what whole histories make
        (:meth:`Projection.fresh`), else in the order the events were stored.
        """
        if all(_knows_fresh_rows(projection) for projection, _ in targets):
            return self._fill_by_ticket(targets, generations)
        return self._fill(None, targets, position=0)

    def _fill_by_ticket(
        self,
        targets: Sequence[tuple[Projection, dict[str, Table]]],
        generations: Sequence[tuple[Projection, int]],
    ) -> int:
        """Fills new tables from every event up to the head as it is now, ticket by ticket.

        Each batch holds whole histories, so its rows are final: they are worked out
        (:meth:`Projection.fresh`) and converted for the driver before the write lock is
        taken (by other processes, if the projector has them), and only inserted while it
        is held. On a database server a thread of its own inserts them, so the server
        writes one batch while the next one is worked out. Returns the head it filled up to.
        """
        head = self._head()
        batches = histories(self._store.recorder, stop=head, size=self._rebuild_batch)
        made: Iterable[Inserts]
        if self._rebuild_processes > 1:
            made = in_processes(batches, self._url, generations, self._rebuild_processes)
        else:
            made = map(Filler(self._store.mapper, targets, self._writer.dialect), batches)
        by_name = {table.name: table for _, tables in targets for table in tables.values()}
        if self._writer.dialect.name == "sqlite":  # in this process: a thread would only
            for inserts in made:  # take turns with this one for the interpreter (measured)
                self._insert_fresh(by_name, inserts)
            return head
        with ThreadPoolExecutor(1, thread_name_prefix="propdesk-rebuild-writer") as writer:
            written: Future[None] | None = None
            for inserts in made:
                if written is not None:
                    written.result()  # at most one batch waits to be written
                written = writer.submit(self._insert_fresh, by_name, inserts)
            if written is not None:
                written.result()
        return head

    def _insert_fresh(self, tables: dict[str, Table], inserts: Inserts) -> None:
        """Inserts one batch's rows (converted) into the new tables, in one transaction."""
        with self._write_turn() as connection:
            for name, values in inserts:
                insert_bound(connection, tables[name], values)

    def _fill(
        self,
        connection: Connection | None,
        targets: Sequence[tuple[Projection, dict[str, Table]]],
        position: int,
    ) -> int:
        """Applies the notifications after ``position`` up to the head as it is now.

        With no ``connection``, each batch commits on its own (the bulk of a rebuild); with
        one, they all go into it (the swap). Either way it stops at the head it saw when it
        began, so a desk that keeps writing cannot keep a rebuild from finishing: what comes
        later is applied by the next catch-up.
        """
        head = self._store.recorder.max_notification_id() or 0
        while position < head:
            batch = self._store.recorder.select_notifications(
                position + 1, self._rebuild_batch, stop=head
            )
            if not batch:
                break
            if connection is None:  # decoded before the lock is taken: it is free meanwhile
                tickets = self._decoded(batch)
                with self._write_turn() as own:
                    self._apply_events(own, targets, tickets)
            else:
                self._apply_to(connection, targets, batch)
            position = batch[-1].id
        return position

    # ------------------------------------------------------------------ status

    def status(self) -> list[ProjectionStatus]:
        """Each projection's generation, position and lag behind the store."""
        head = self._head()
        with self.engine.connect() as connection:
            rows = connection.execute(select(TRACKING).order_by(TRACKING.c.name)).all()
        return [
            ProjectionStatus(row.name, row.generation, row.position, head, row.updated_at)
            for row in rows
            if row.name in self._projections
        ]

    def live_tables(self, connection: Connection, name: str) -> dict[str, Table]:
        """The projection's tables of the live generation, by plain name.

        For a process that updates columns a projection leaves to it (the SLA worker's
        leases on the agenda): updates go to the tables, since a view on SQLite cannot take
        them. A rebuild may swap in a new generation at any moment; an update that lands in
        the old one is lost with it, so such columns must be safe to lose.

        Raises:
            ConfigurationError: ``name`` is not one of this projector's projections.
        """
        projection = self._projection(name)
        generation = self._tracking_row(connection, name, lock=False).generation
        key = (name, generation)
        if key not in self._live:  # the same Table objects each time: SQLAlchemy caches by them
            self._live[key] = projection.define(MetaData(), generation)
        return self._live[key]

    def _head(self) -> int:
        """The last notification stored (0 for an empty store)."""
        return self._store.recorder.max_notification_id() or 0

    def close(self) -> None:
        """Releases the database connections."""
        self.engine.dispose()
        self._writer.dispose()
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ set-up

    def _set_up(self) -> None:
        """Creates the tracking table, and the first generation of any new projection.

        Notes the projections whose live tables have another shape than this version of
        propdesk defines (columns added or dropped since they were built): the next catch-up
        rebuilds them.
        """
        with self._writer.begin() as connection:
            if connection.dialect.name == "postgresql":
                # processes starting together would race to create the same tables; SQLite's
                # writer already holds the one write lock (BEGIN IMMEDIATE)
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SET_UP})
            TRACKING.create(connection, checkfirst=True)
            known = dict(connection.execute(select(TRACKING.c.name, TRACKING.c.generation)).all())
            inspector = inspect(connection)
            for name, projection in self._projections.items():
                if name in known:
                    if not _shape_differs(inspector, projection.define(MetaData(), known[name])):
                        continue
                    if not projection.rebuildable:
                        raise ConfigurationError(
                            f"the tables of {name} have another shape than this version of"
                            " propdesk defines, and it cannot be rebuilt; migrate them by hand"
                        )
                    _log.warning("projection tables have an older shape; the next catch-up"
                                 " rebuilds them", projection=name)  # fmt: skip
                    self._outdated.add(name)
                    continue
                tables = projection.define(MetaData(), 1)
                for table in tables.values():
                    table.create(connection, checkfirst=True)
                self._point_views(connection, tables)
                start = 0 if projection.rebuildable else self._head()
                connection.execute(
                    insert(TRACKING).values(
                        name=name, generation=1, position=start, updated_at=self._clock.now()
                    )
                )

    def _point_views(self, connection: Connection, tables: dict[str, Table]) -> None:
        """Makes each plain name a view on this generation's table."""
        preparer = connection.dialect.identifier_preparer
        for plain, table in tables.items():
            view = preparer.quote(plain)
            connection.execute(text(f"DROP VIEW IF EXISTS {view}"))
            source = preparer.format_table(table)
            # Both names are the projection's own identifiers, quoted by the dialect.
            statement = f"CREATE VIEW {view} AS SELECT * FROM {source}"  # noqa: S608 - see above
            connection.execute(text(statement))

    @overload
    def _tracking_row(self, connection: Connection, name: str, *, lock: bool) -> _Row: ...
    @overload
    def _tracking_row(
        self, connection: Connection, name: str, *, lock: bool, skip_locked: bool
    ) -> _Row | None: ...
    def _tracking_row(
        self, connection: Connection, name: str, *, lock: bool, skip_locked: bool = False
    ) -> _Row | None:
        """The projection's tracking row; ``None`` if ``skip_locked`` and another holds it."""
        query = select(TRACKING).where(TRACKING.c.name == name)
        if lock:
            query = query.with_for_update(skip_locked=skip_locked)
        row = connection.execute(query).one_or_none()
        if row is None:
            if skip_locked:
                return None
            raise ConfigurationError(f"{name} has no tracking row")  # pragma: no cover - set up
        return _Row(row.generation, row.position)

    def _projection(self, name: str) -> Projection:
        found = self._projections.get(name)
        if found is None:
            known = ", ".join(self._projections)
            raise ConfigurationError(f"no projection named {name!r} (known: {known})")
        return found

    def _chosen(self, names: Iterable[str] | None) -> list[str]:
        if names is None:
            return list(self._projections)
        return [self._projection(name).name for name in names]


def _knows_fresh_rows(projection: Projection) -> bool:
    """Whether the projection says what rows whole histories make (:meth:`Projection.fresh`)."""
    return type(projection).fresh is not Projection.fresh


def _shape_differs(inspector: Inspector, tables: dict[str, Table]) -> bool:
    """Whether the database's tables lack one of these, or differ in columns or index names.

    A changed index gets a new name, so that databases built before the change are rebuilt.
    """
    for table in tables.values():
        if not inspector.has_table(table.name):
            return True
        found = {column["name"] for column in inspector.get_columns(table.name)}
        if found != set(table.columns.keys()):
            return True
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        if indexes != {index.name for index in table.indexes}:
            return True
    return False


class _Overtaken(Exception):
    """Another process advanced the projection while this batch was being applied."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class _Row:
    generation: int
    position: int
