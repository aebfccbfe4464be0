"""The event store: eventsourcing's own recorders (SQLite, PostgreSQL, in-memory).

Set up from a database URL only (never from the process environment), with snapshots for
long tickets, an aggregate cache, and an explicit schema step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import Mapper, PersistenceError
from eventsourcing.utils import Environment

from propdesk.domain.complaint import Complaint
from propdesk.domain.errors import DatabaseNotInitialised, PropdeskError
from propdesk.domain.repair import Repair
from propdesk.persistence.config import StoreConfig, parse_url

if TYPE_CHECKING:
    from collections.abc import Iterable


SNAPSHOT_INTERVAL = 40
"""A snapshot about every 40 events keeps loading a long ticket close to loading a short one.

With the SLA clock a command stores 1.75 events on average, so this is about every 23
commands (``docs/benchmarks.md``)."""

_PROBE_ID = UUID(int=0)
_MISSING_TABLE_MARKERS = ("no such table", "does not exist", "undefinedtable")

A = TypeVar("A")


class StoreUnavailable(PropdeskError):
    """The database could not be reached or answered with an error."""


def replay(aggregate: A | None, events: Iterable[object]) -> A | None:
    """Applies stored events in order: the projector used for loads and snapshots.

    eventsourcing's default projector asserts a runtime protocol on every event, which costs
    more than applying most events; these events are ours and always mutate.
    """
    for event in events:
        aggregate = cast("Any", event).mutate(aggregate)
    return aggregate


class EventStore(Application[UUID]):
    """The eventsourcing application that records repair events and command receipts."""

    name = "propdesk"
    snapshotting_intervals = {Repair: SNAPSHOT_INTERVAL, Complaint: SNAPSHOT_INTERVAL}  # noqa: RUF012 - eventsourcing reads a class dict
    snapshotting_projectors = {Repair: replay, Complaint: replay}  # noqa: RUF012 - as above

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots each ticket just saved whose events crossed a multiple of the interval.

        eventsourcing's own way reads the ticket back from the database and replays it up to
        the multiple. The ticket in hand already holds that state and more (its fields come
        only from its events, as ``Ticket.__deepcopy__`` relies on too), so the snapshot is
        taken from it, at its version after the save: one read and one replay fewer.
        """
        if self.snapshots is None:
            return
        for aggregate in processing_event.aggregates.values():
            interval = self.snapshotting_intervals.get(type(aggregate))
            versions = [
                event.originator_version
                for event in processing_event.events
                if event.originator_id == aggregate.id
            ]
            if interval is None or not versions:
                continue
            if (min(versions) - 1) // interval == max(versions) // interval:
                continue  # no multiple of the interval was reached
            snapshot_class = getattr(type(aggregate), "Snapshot", None) or self.snapshot_class
            if snapshot_class is not None:
                self.snapshots.put([snapshot_class.take(aggregate)])

    def construct_env(self, name: str, env: Any = None) -> Environment:  # noqa: ANN401 - eventsourcing's signature
        """Settings come from the URL alone: the process environment cannot redirect a desk."""
        settings = dict(type(self).env)
        if type(self).snapshotting_intervals:
            settings["IS_SNAPSHOTTING_ENABLED"] = "y"
        settings.update(env or {})
        return Environment(name, settings)


def open_store(
    url: str,
    *,
    create_tables: bool = False,
    cache_size: int = 1000,
    snapshot_interval: int | None = None,
) -> tuple[EventStore, StoreConfig]:
    """Opens the event store at ``url``.

    Tables are created only when asked (``propdesk db init``) or for an in-memory store, so
    that many worker processes never race to create them.

    Raises:
        ConfigurationError: the URL is not usable.
        DatabaseNotInitialised: the tables do not exist and ``create_tables`` is false.
        StoreUnavailable: the database cannot be reached.
    """
    config = parse_url(url)
    create = create_tables or config.in_memory
    sqlite_file = config.settings.get("SQLITE_DBNAME")
    if not create and sqlite_file is not None and not Path(sqlite_file).exists():
        raise DatabaseNotInitialised(config.safe_url)
    if create and "POSTGRES_SCHEMA" in config.settings:
        _create_postgres_schema(config)
    env = dict(config.settings)
    env["CREATE_TABLE"] = "y" if create else "n"
    if cache_size > 0:
        env["AGGREGATE_CACHE_MAXSIZE"] = str(cache_size)
    store_class = EventStore
    if snapshot_interval is not None and snapshot_interval != SNAPSHOT_INTERVAL:
        interval: int = snapshot_interval

        class _TunedStore(EventStore):
            name = EventStore.name
            snapshotting_intervals = {Repair: interval, Complaint: interval}  # noqa: RUF012 - as above

        store_class = _TunedStore
    try:
        store = store_class(env=env)
        store.recorder.max_notification_id()
        if store.snapshots is not None:
            store.snapshots.recorder.select_events(_PROBE_ID, limit=1)
    except PersistenceError as error:
        text = str(error).lower() + str(error.__cause__ or "").lower()
        if any(marker in text for marker in _MISSING_TABLE_MARKERS):
            raise DatabaseNotInitialised(config.safe_url) from error
        raise StoreUnavailable(f"cannot use the database at {config.safe_url}: {error}") from error
    return store, config


def init_schema(url: str) -> StoreConfig:
    """Creates the event-store tables at ``url`` if they are missing (``propdesk db init``).

    For PostgreSQL with ``?schema=name`` the schema itself is created too.
    """
    store, config = open_store(url, create_tables=True, cache_size=0)
    store.close()
    return config


def _create_postgres_schema(config: StoreConfig) -> None:
    import psycopg  # noqa: PLC0415 - the driver is an optional extra, needed only here
    from psycopg import sql  # noqa: PLC0415 - as above

    s = config.settings
    try:
        with psycopg.connect(
            dbname=s["POSTGRES_DBNAME"], host=s["POSTGRES_HOST"], port=int(s["POSTGRES_PORT"]),
            user=s["POSTGRES_USER"], password=s["POSTGRES_PASSWORD"], autocommit=True,
        ) as connection:  # fmt: skip
            statement = sql.SQL("CREATE SCHEMA IF NOT EXISTS {}")
            connection.execute(statement.format(sql.Identifier(s["POSTGRES_SCHEMA"])))
    except psycopg.Error as error:
        raise StoreUnavailable(f"cannot create the schema at {config.safe_url}: {error}") from error


def event_mapper() -> Mapper[UUID]:
    """How stored events become domain events, without opening a database.

    propdesk stores events alike on every database (no URL sets a compressor or a cipher),
    so the in-memory store's mapper decodes any store's events: for processes that only
    decode (a rebuild's helpers).
    """
    store, _ = open_store("memory://", cache_size=0)
    mapper = store.mapper
    store.close()
    return mapper
