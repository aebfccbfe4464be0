"""A stand-alone worker process for ``test_many_processes.py``.

Usage: ``python hammer_worker.py URL TICKET_ID WORKER_NO COMMANDS``. It opens its own desk on
URL, records COMMANDS arrival checks on the ticket, and prints ``applied conflicts``.
"""

from __future__ import annotations

import logging
import sys

import structlog

import propdesk as p
from propdesk.testing import sample_organisation


def main(url: str, ticket: str, worker: str, commands: int) -> None:
    """Runs the worker and prints how many commands were applied and how many gave up."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    applied = conflicts = 0
    with p.open_desk(url, organisations=[sample_organisation()], retries=100) as desk:
        for n in range(commands):
            command = p.CheckArrival(
                ticket_id=ticket,
                actor="desk-huang",
                reporter_says_on_time=bool(n % 2),
                command_id=f"w{worker}-c{n}",
            )
            try:
                desk.execute(command)
                applied += 1
            except p.ConcurrencyConflict:
                conflicts += 1
    print(applied, conflicts)  # noqa: T201 - the parent test reads this line


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
