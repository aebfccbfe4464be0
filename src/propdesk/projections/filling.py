"""A rebuild's rows, worked out from whole histories: in this process, or in several.

A batch of whole ticket histories (:func:`propdesk.persistence.histories.histories`) makes
final rows: each projection says which (:meth:`Projection.fresh`), without the database. So
the work for one batch needs nothing from any other, and a rebuild can hand batches to
other processes: they decode the events, work out the rows and convert them for the driver;
this process reads the store and writes what comes back. On SQLite, one writer is all there
can be; the Python work is what several processes share.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from sqlalchemy import MetaData

from propdesk.domain.errors import ConfigurationError
from propdesk.domain.ticket import Ticket
from propdesk.persistence.store import event_mapper
from propdesk.projections.base import bound_rows
from propdesk.projections.database import engine_for

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from concurrent.futures import Future
    from uuid import UUID

    from eventsourcing.persistence import Mapper, StoredEvent
    from sqlalchemy import Dialect, Table

    from propdesk.projections.base import Bound, Projection

Inserts = list[tuple[str, list["Bound"]]]
"""A batch's rows for every projection: by table name (with its generation), as the driver
takes them."""


class Filler:
    """Decodes whole histories and works out every projection's rows for them."""

    def __init__(
        self, mapper: Mapper[UUID], targets: Sequence[tuple[Projection, dict[str, Table]]],
        dialect: Dialect,
    ) -> None:  # fmt: skip
        self._mapper = mapper
        self._targets = targets
        self._dialect = dialect

    def __call__(self, stored: Sequence[StoredEvent]) -> Inserts:
        """The rows these histories make, converted for the driver.

        Raises:
            ConfigurationError: a projection's ``fresh`` answered ``None``.
        """
        events = [self._mapper.to_domain_event(event) for event in stored]
        tickets = [event for event in events if isinstance(event, Ticket.Event)]
        inserts: Inserts = []
        for projection, tables in self._targets:
            made = projection.fresh(tickets)
            if made is None:  # it overrides fresh, so a rebuild by ticket relies on it
                msg = f"{projection.name}: fresh() gave no rows for a batch of histories"
                raise ConfigurationError(msg)
            inserts += [(tables[plain].name, bound_rows(tables[plain], self._dialect, rows))
                        for plain, rows in made.items()]  # fmt: skip
        return inserts


def in_processes(
    batches: Iterable[Sequence[StoredEvent]],
    url: str,
    projections: Sequence[tuple[Projection, int]],
    processes: int,
) -> Iterator[Inserts]:
    """Each batch's rows, worked out by ``processes`` other processes, as they come back.

    At most two batches per process are handed out at a time, so memory stays bounded however
    long the store is. An error in a process is raised here.

    Args:
        batches: whole histories, batch by batch.
        url: the desk's URL (for its dialect: rows are converted where they are made).
        projections: the projections and the generation whose tables they fill.
        processes: how many to start.
    """
    context = multiprocessing.get_context("spawn")  # no copy of this process's connections
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=_start, initargs=(url, projections)
    ) as pool:
        waiting: deque[Future[Inserts]] = deque()
        for batch in batches:
            waiting.append(pool.submit(_fill, list(batch)))
            if len(waiting) >= 2 * processes:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()


_FILLER: Filler | None = None
"""A worker process's filler, made once when it starts."""


def _start(url: str, projections: Sequence[tuple[Projection, int]]) -> None:
    global _FILLER  # noqa: PLW0603 - one per worker process, made as it starts
    engine = engine_for(url)  # not connected: only its dialect is used
    targets = [(projection, projection.define(MetaData(), generation))
               for projection, generation in projections]  # fmt: skip
    _FILLER = Filler(event_mapper(), targets, engine.dialect)


def _fill(stored: list[StoredEvent]) -> Inserts:
    if _FILLER is None:  # pragma: no cover - the initializer made it
        raise RuntimeError("the worker process was not started")
    return _FILLER(stored)
