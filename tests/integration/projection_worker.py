"""A stand-alone projector process for the crash test in ``test_projections.py``.

Usage: ``python projection_worker.py URL BATCH_SIZE PAUSE [HANG_PROJECTION HANG_AT]``.

It keeps the board, the SLA timers and a tally of events per ticket, and catches all three
up, one batch of each in turn, until none has anything left; then it prints ``done``. Each
event applied sleeps PAUSE seconds, so that a kill from outside lands inside a batch. With
HANG_PROJECTION and HANG_AT, the batch holding the HANG_AT-th event that projection applies
in this process prints ``hanging`` once its rows are written, and then waits, inside the
batch's open transaction, to be killed.

The tally is what makes double counting visible: the board and the timers mostly assign
values, so applying an event twice would often leave them unchanged, but a tally counts.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, ClassVar

import structlog
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, update

from propdesk.projections import Projector
from propdesk.projections.base import Projection
from propdesk.projections.board import Board
from propdesk.projections.sla_timers import SlaTimers

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection

    from propdesk.domain.ticket import Ticket

TALLY = "tally"
HANG_SECONDS = 600.0


class Tally(Projection):
    """How many events of each ticket were applied, and the last version seen."""

    name = TALLY

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        table = Table(
            f"{TALLY}_g{generation}",
            metadata,
            Column("ticket_id", String(36), primary_key=True),
            Column("events", Integer, nullable=False),
            Column("last_version", Integer, nullable=False),
        )
        return {TALLY: table}

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        table = tables[TALLY]
        for event in events:  # one statement per event: a tally is small, and plain to read
            ticket = str(event.originator_id)
            counted = connection.execute(
                update(table)
                .where(table.c.ticket_id == ticket)
                .values(events=table.c.events + 1, last_version=event.originator_version)
            )
            if counted.rowcount == 0:
                connection.execute(
                    insert(table).values(
                        ticket_id=ticket, events=1, last_version=event.originator_version
                    )
                )


class FaultyBoard(Board):
    """The board, failing whenever it is asked for a rebuild's rows (in any process)."""

    def fresh(self, events: Sequence[Ticket.Event]) -> dict[str, list[dict[str, object]]]:
        raise RuntimeError(f"a fault in the board, {len(events)} events in")


class Pacing:
    """How slowly the paced projections apply, and where one of them hangs."""

    pause = 0.0
    hang: tuple[str, int] | None = None
    calls: ClassVar[Counter[str]] = Counter()

    @classmethod
    def after_apply(cls, name: str, events: int) -> None:
        """Sleeps a little per event, or announces the hang and waits to be killed.

        Called after a batch's rows are written and before the batch commits.
        """
        before = cls.calls[name]
        cls.calls[name] += events
        if cls.hang is not None and cls.hang[0] == name and before < cls.hang[1] <= before + events:
            print("hanging", flush=True)  # noqa: T201 - the parent test waits for this line
            time.sleep(HANG_SECONDS)
        if cls.pause:
            time.sleep(cls.pause * events)


class SlowBoard(Board):
    """The real board, taking its time."""

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        super().apply(connection, tables, events)
        Pacing.after_apply(self.name, len(events))


class SlowTimers(SlaTimers):
    """The real SLA timers, taking their time."""

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        super().apply(connection, tables, events)
        Pacing.after_apply(self.name, len(events))


class SlowTally(Tally):
    """The tally, taking its time."""

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        super().apply(connection, tables, events)
        Pacing.after_apply(self.name, len(events))


def main(url: str, batch_size: int, pause: float, hang: tuple[str, int] | None) -> None:
    """Catches the three projections up, batch by batch in turn, then prints ``done``."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    Pacing.pause = pause
    Pacing.hang = hang
    with Projector(url, [SlowBoard(), SlowTimers(), SlowTally()], batch_size=batch_size) as pj:
        print("ready", flush=True)  # noqa: T201 - the parent test reads this line
        while sum(pj.step(name) for name in pj.names) > 0:
            pass
    print("done", flush=True)  # noqa: T201 - as above


if __name__ == "__main__":
    HANG = (sys.argv[4], int(sys.argv[5])) if len(sys.argv) > 5 else None
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), HANG)
