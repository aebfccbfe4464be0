"""``propdesk demo``: runs the simulated days on a database and prints the report."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from propdesk.application.desk import open_desk
from propdesk.cli.common import stdout_console
from propdesk.cli.database import prepare_demo_database
from propdesk.cli.render import Timing, render_day
from propdesk.cli.report import summarise
from propdesk.demo import DemoSettings, demo_clock, simulate

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from propdesk.domain.organisation import Organisation

_PROGRESS_EVERY = 20
"""Commands between progress-bar updates."""


@dataclass(frozen=True)
class DemoOptions:
    """What ``propdesk demo`` was asked for."""

    url: str
    organisation: Organisation
    settings: DemoSettings


def run_demo(options: DemoOptions) -> int:
    """Prepares the database, simulates the days, reads the report back, prints it."""
    organisation, settings = options.organisation, options.settings
    prepare_demo_database(options.url)
    clock = demo_clock(organisation, settings.day)
    with open_desk(options.url, organisations=[organisation], clock=clock) as desk:
        started = time.perf_counter()
        start = clock.now()
        end = start + timedelta(days=settings.days + settings.follow_up_days)
        with _progress(start, end) as on_step:
            run = simulate(desk, clock, organisation, settings, on_step=on_step)
        simulated = time.perf_counter()
        report = summarise(desk, organisation, day_end=run.day_end, horizon=run.horizon)
        timing = Timing(simulation=simulated - started, report=time.perf_counter() - simulated)
    render_day(stdout_console(), report, run, timing, options.url)
    return 0


@contextmanager
def _progress(start: datetime, end: datetime) -> Iterator[Callable[[datetime, int], None]]:
    """A progress bar on stderr, moved by the simulated clock from ``start`` to ``end``.

    It is shown only when stderr is a terminal, and vanishes when the simulation ends.
    """
    console = Console(stderr=True)
    columns = (
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.fields[clock]}"),
        TextColumn("{task.fields[commands]:>6,} commands"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, disable=not console.is_terminal, transient=True
    ) as bar:
        task = bar.add_task("", total=(end - start).total_seconds(), clock="", commands=0)

        def on_step(now: datetime, commands: int) -> None:
            if commands % _PROGRESS_EVERY == 0:
                done = (now - start).total_seconds()
                bar.update(task, completed=done, clock=f"{now:%m-%d %H:%M}", commands=commands)

        yield on_step
