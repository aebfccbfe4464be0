"""The read side's database: a SQLAlchemy engine on the same database as the event store.

Read models live beside the events (the same SQLite file, or the same PostgreSQL database and
schema), so a projection can be rebuilt from the store and queried with plain SQL.
"""

from __future__ import annotations

from sqlalchemy import URL, Connection, Engine, create_engine, event

from propdesk.domain.errors import ConfigurationError
from propdesk.persistence.config import parse_url


def engine_for(url: str, *, writer: bool = False) -> Engine:
    """A SQLAlchemy engine on the database a desk URL names.

    Args:
        url: the desk's URL.
        writer: on SQLite, an engine whose every transaction is ``BEGIN IMMEDIATE`` and holds
            DDL too: it takes the write lock before it reads a projection's position (so two
            writers queue instead of failing), and a rebuild's swap of views is atomic.
            PostgreSQL needs neither.

    Raises:
        ConfigurationError: the URL is not usable, or names an in-memory store (its events
            live in one process only, so there is nothing to project into).
    """
    config = parse_url(url)
    settings = config.settings
    if config.in_memory:
        raise ConfigurationError(f"read models need a database, not {config.safe_url}")
    if config.backend == "sqlite":
        engine = create_engine(f"sqlite:///{settings['SQLITE_DBNAME']}")
        event.listen(engine, "connect", _sqlite_pragmas)
        if writer:
            event.listen(engine, "connect", _sqlite_manual_transactions)
            event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    connect_args: dict[str, object] = {}
    schema = settings.get("POSTGRES_SCHEMA")
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    if "POSTGRES_CONNECT_TIMEOUT" in settings:
        connect_args["connect_timeout"] = int(settings["POSTGRES_CONNECT_TIMEOUT"])
    target = URL.create(
        "postgresql+psycopg", username=settings["POSTGRES_USER"],
        password=settings["POSTGRES_PASSWORD"] or None, host=settings["POSTGRES_HOST"],
        port=int(settings["POSTGRES_PORT"]), database=settings["POSTGRES_DBNAME"],
    )  # fmt: skip
    return create_engine(target, connect_args=connect_args, pool_pre_ping=True)


def _sqlite_pragmas(connection: object, _record: object) -> None:
    """Waits for a writer instead of failing at once, as the event store's recorder does."""
    cursor = connection.cursor()  # type: ignore[attr-defined]  # a DB-API connection
    cursor.execute("PRAGMA busy_timeout = 10000")
    # In WAL mode (the event store's), NORMAL syncs at checkpoints, not at every commit. A
    # power cut may lose the last few batches, but a batch and its position commit together,
    # so the projection is rolled back whole and applies them again: exactly once still holds.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_manual_transactions(connection: object, _record: object) -> None:
    """Stops the driver from opening (and committing) transactions on its own."""
    connection.isolation_level = None  # type: ignore[attr-defined]  # a sqlite3 connection


def _sqlite_begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
