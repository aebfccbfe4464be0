"""What a projection is: named tables, built from the event stream one event at a time.

A projection owns some tables. The runner (:mod:`propdesk.projections.runner`) creates them
for a *generation* (``board_g1``, ``board_g2``…) and points a view with the plain name
(``board``) at the live one, so a rebuild fills a new generation beside the live one and then
swaps the view in one transaction. Readers always query the plain names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import delete, insert, select

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy import Connection, MetaData, Table

    from propdesk.domain.ticket import Ticket


class Projection(ABC):
    """One read model: its tables and how each event changes them."""

    name: ClassVar[str]
    """The projection's name, as ``propdesk projections`` shows it."""

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
    """What ``event.apply`` assigns to a ticket, by attribute name (empty if it cannot say)."""
    probe = Probe()
    try:
        event.apply(probe)
    except (TypeError, KeyError, AttributeError):
        return {}
    return dict(vars(probe))


def ticket_kind(event: Ticket.Event) -> str:
    """``repair`` or ``complaint``: the ticket kind whose event this is (``Repair.Logged``...)."""
    return type(event).__qualname__.split(".", 1)[0].lower()


def rows_of(connection: Connection, table: Table, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of these tickets, as dicts a batch can change in memory."""
    query = select(table).where(table.c.ticket_id.in_(ids))
    return [dict(row._mapping) for row in connection.execute(query)]  # noqa: SLF001 - SQLAlchemy's public row mapping


def replace_rows(
    connection: Connection, table: Table, ids: Sequence[str], rows: Iterable[dict[str, Any]]
) -> None:
    """Writes a batch back: these tickets' rows are replaced by ``rows`` (two statements)."""
    connection.execute(delete(table).where(table.c.ticket_id.in_(ids)))
    stored = list(rows)
    if stored:
        connection.execute(insert(table), stored)
