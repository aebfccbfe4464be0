"""Several worker processes write to one ticket at once, as on a company-wide PostgreSQL.

Every command is applied exactly once or refused with a typed error; the stored history
stays gap-free, and nothing is lost or counted twice.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import propdesk as p
from propdesk.testing import FixedClock, new_repair

if TYPE_CHECKING:
    from collections.abc import Callable

WORKERS = 4
COMMANDS_EACH = 15
WORKER_SCRIPT = Path(__file__).with_name("hammer_worker.py")


def test_concurrent_processes_each_apply_every_command_exactly_once(
    open_backend_desk: Callable[..., p.Desk], backend_url: str
):
    desk = open_backend_desk(clock=FixedClock())
    ticket = desk.execute(new_repair()).ticket_id
    dispatched = desk.execute(
        p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang")
    )
    assert dispatched.state is p.RepairState.DISPATCHED
    desk.execute(
        p.ReportArrival(
            ticket_id=ticket, actor="tech-zhang", at=FixedClock().now() + timedelta(minutes=1)
        )
    )
    workers = [
        subprocess.Popen(  # noqa: S603 - our own script, our own arguments
            [
                sys.executable,
                str(WORKER_SCRIPT),
                backend_url,
                str(ticket),
                str(n),
                str(COMMANDS_EACH),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    results = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        applied, conflicts = (int(n) for n in out.split())
        results.append((applied, conflicts))
    applied = sum(a for a, _ in results)
    assert applied + sum(c for _, c in results) == WORKERS * COMMANDS_EACH
    assert applied >= COMMANDS_EACH  # retries win most races
    history = open_backend_desk(cache_size=0).history(ticket)
    checks = [entry for entry in history if entry.event == "ArrivalChecked"]
    assert len(checks) == applied
    assert len({entry.command_id for entry in checks}) == applied
    assert [entry.version for entry in history] == list(range(1, len(history) + 1))
