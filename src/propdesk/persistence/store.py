"""The event store: eventsourcing's own recorders (SQLite, PostgreSQL, in-memory).

Set up from a database URL, with snapshots for long tickets and an explicit schema step.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import PersistenceError

from propdesk.domain.errors import DatabaseNotInitialised, PropdeskError
from propdesk.domain.repair import Repair
from propdesk.persistence.config import StoreConfig, parse_url

SNAPSHOT_INTERVAL = 50
"""A snapshot every 50 events keeps loading a long ticket close to loading a short one."""

_PROBE_ID = UUID(int=0)
_MISSING_TABLE_MARKERS = ("no such table", "does not exist", "undefinedtable")


class StoreUnavailable(PropdeskError):  # noqa: N818 - a domain name
    """The database could not be reached or answered with an error."""


class EventStore(Application[UUID]):
    """The eventsourcing application that records repair events and command receipts."""

    name = "propdesk"
    snapshotting_intervals = {Repair: SNAPSHOT_INTERVAL}  # noqa: RUF012 - eventsourcing reads a class dict


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
    env = dict(config.settings)
    env["CREATE_TABLE"] = "y" if create else "n"
    if cache_size > 0:
        env["AGGREGATE_CACHE_MAXSIZE"] = str(cache_size)
    store_class = EventStore
    if snapshot_interval is not None and snapshot_interval != SNAPSHOT_INTERVAL:
        interval: int = snapshot_interval

        class _TunedStore(EventStore):
            name = EventStore.name
            snapshotting_intervals = {Repair: interval}  # noqa: RUF012 - as above

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
    """Creates the event-store tables at ``url`` if they are missing (``propdesk db init``)."""
    store, config = open_store(url, create_tables=True, cache_size=0)
    store.close()
    return config
