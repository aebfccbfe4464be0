"""The worker lock: on SQLite, one worker at a time acts for the desk.

SQLite has one writer at a time and no ``SKIP LOCKED``, so several workers on one SQLite file
would only queue behind each other. Instead they share a lease in ``propdesk_worker_lock``:
the holder renews it every tick; the others wait, and one of them takes it over when the
holder stops renewing (it died, or it was stopped). PostgreSQL workers do not need it: they
share the work row by row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from propdesk.projections.columns import Instant

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Engine

LOCKS = Table(
    "propdesk_worker_lock", MetaData(),
    Column("name", String(64), primary_key=True),
    Column("owner", String(128)),
    Column("lease_until", Instant),
)  # fmt: skip
_NAME = "sla"


def create(engine: Engine) -> None:
    """Creates the lock's table if it is missing."""
    with engine.begin() as connection:
        LOCKS.create(connection, checkfirst=True)


def acquire(engine: Engine, *, owner: str, now: datetime, until: datetime) -> bool:
    """Takes or renews the lock for ``owner`` until ``until``; ``False`` if another holds it."""
    c = LOCKS.c
    with engine.begin() as connection:
        taken = connection.execute(
            update(LOCKS).where(c.name == _NAME)
            .where((c.owner == owner) | c.owner.is_(None) | (c.lease_until < now))
            .values(owner=owner, lease_until=until)
        )  # fmt: skip
        if taken.rowcount == 1:
            return True
        exists = connection.execute(select(c.name).where(c.name == _NAME)).first()
    if exists is not None:
        return False
    try:
        with engine.begin() as connection:
            connection.execute(insert(LOCKS).values(name=_NAME, owner=owner, lease_until=until))
    except IntegrityError:
        return False  # another worker made it first
    return True


def release(engine: Engine, *, owner: str) -> None:
    """Lets go of the lock, if ``owner`` holds it (a graceful stop)."""
    c = LOCKS.c
    with engine.begin() as connection:
        connection.execute(
            update(LOCKS).where(c.name == _NAME, c.owner == owner)
            .values(owner=None, lease_until=None)
        )  # fmt: skip


def holder(engine: Engine) -> tuple[str | None, datetime | None]:
    """Who holds the lock and until when (``None``s if nobody)."""
    c = LOCKS.c
    with engine.connect() as connection:
        row = connection.execute(select(c.owner, c.lease_until).where(c.name == _NAME)).first()
    return (None, None) if row is None else (row.owner, row.lease_until)
