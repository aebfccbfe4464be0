"""Leasing rows of a work table: the one mechanism the agenda's claims and the sender share.

A lease is the worker's name and a time, written into the rows it takes in one short
transaction; the worker acts afterwards and then settles each row. Another worker skips
leased rows until the lease runs out, so a worker that dies holds its rows only until then.
On PostgreSQL the rows are chosen ``FOR UPDATE SKIP LOCKED``, so that workers leasing at the
same moment take different rows instead of queueing behind each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_, update

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy import ColumnElement, Engine, Table

Row = dict[str, Any]


def lease_rows(
    engine: Engine,
    table: Table,
    *,
    key: Sequence[str],
    ready: ColumnElement[bool],
    order: Sequence[str],
    now: datetime,
    owner: str,
    until: datetime,
    batch: int,
    **values: Any,  # noqa: ANN401 - more columns to set with the lease
) -> list[Row]:
    """Leases up to ``batch`` rows that are ``ready`` and not leased, in ``order``.

    Returns the rows as they stand after the lease, in that order; ``values`` are set too.
    """
    c = table.c
    free = ready & (c.lease_until.is_(None) | (c.lease_until < now))
    choose = select(*(c[name] for name in key)).where(free)
    choose = choose.order_by(*(c[name] for name in order)).limit(batch)
    if engine.dialect.name == "postgresql":
        choose = choose.with_for_update(skip_locked=True)
    with engine.begin() as connection:
        keys = [tuple(row) for row in connection.execute(choose)]
        if not keys:
            return []
        chosen = tuple_(*(c[name] for name in key)).in_(keys)
        connection.execute(
            update(table).where(chosen).values(lease_owner=owner, lease_until=until, **values)
        )
        rows = [dict(row._mapping) for row in connection.execute(select(table).where(chosen))]  # noqa: SLF001 - SQLAlchemy's public row mapping
    found = {tuple(row[name] for name in key): row for row in rows}
    return [found[k] for k in keys if k in found]


def settle(
    engine: Engine,
    table: Table,
    *,
    key: Sequence[str],
    keys: Sequence[tuple[Any, ...]],
    owner: str,
    **values: Any,  # noqa: ANN401 - the columns to record
) -> int:
    """Records ``values`` in rows ``owner`` still holds and gives their leases back.

    Returns how many rows it settled: a row another worker took over is left alone.
    """
    if not keys:
        return 0
    c = table.c
    with engine.begin() as connection:
        settled = connection.execute(
            update(table)
            .where(tuple_(*(c[name] for name in key)).in_(keys), c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None, **values)
        )
    return int(settled.rowcount)
