"""Where a command's time goes: one throughput runner under cProfile, on one backend.

Run from the repository root, for instance::

    .venv/bin/python benchmarks/profile_commands.py --runner propdesk --backend sqlite
    .venv/bin/python benchmarks/profile_commands.py --runner "bare(cache)" --backend sqlite

It runs the runner of ``bench_commands.py`` (same lifecycles, same settings) for ``--tickets``
tickets after a short warm-up, and prints the time per command spent in the parts that tell
propdesk and the bare peer apart, then cProfile's top functions by own time. The profiler
slows everything down, Python code more than the database, so read the shares, not the totals.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import functools
import inspect
import io
import logging
import os
import pstats
import sys
import threading
from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog
from eventsourcing.application import Application, Repository
from eventsourcing.domain import Aggregate

from _backends import DEFAULT_POSTGRES_URL, open_backend
from _bare import run_bare_ticket
from _throughput import open_runners
from propdesk import Command, Desk

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Key = tuple[str, int, str]
"""How cProfile names a function: file, first line, name."""

SQLITE_COMMIT: Key = ("~", 0, "<method 'commit' of 'sqlite3.Connection' objects>")


def _key(function: Callable[..., Any]) -> Key:
    code = inspect.unwrap(function).__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def parts() -> list[tuple[str, Key]]:
    """Each reported part: its label and the function whose cumulative time it is."""
    from eventsourcing.postgres import PostgresApplicationRecorder  # noqa: PLC0415 - only when profiling PostgreSQL

    return [
        ("desk.execute (the whole command)", _key(Desk.execute)),
        ("  receipt lookup (command_id only)", _key(Desk._receipt)),  # noqa: SLF001 - profiling private steps by name
        ("  decide, with the load", _key(Desk._decide)),  # noqa: SLF001 - profiling private steps by name
        ("    load: Repository.get", _key(Repository.get)),
        ("      copy.deepcopy of the cached aggregate", _key(copy.deepcopy)),
        ("      reconstruct on a cache miss", _key(Repository._reconstruct_aggregate)),  # noqa: SLF001 - profiling private steps by name
        ("    Aggregate.trigger_event", _key(Aggregate.trigger_event)),
        ("  Application.save", _key(Application.save)),
        ("    SQLite commit", SQLITE_COMMIT),
        ("    PostgreSQL insert_events", _key(PostgresApplicationRecorder.insert_events)),
        ("  structlog bind", _key(type(structlog.get_logger()).bind)),
        ("command construction (pydantic)", _key(Command.__init__)),
        ("bare: run_bare_ticket (whole tickets)", _key(run_bare_ticket)),
    ]


RECORDER_METHODS = ("select_events", "insert_events")


@contextmanager
def counting_recorder_calls() -> Iterator[Counter[str]]:
    """Counts calls to the recorders' ``select_events`` and ``insert_events``.

    Each call is one database round-trip (a transaction). Only outermost calls count, so an
    override calling its base class's method counts once.
    """
    from eventsourcing import postgres, sqlite  # noqa: PLC0415 - recorders to count calls on

    counts: Counter[str] = Counter()
    depth = threading.local()
    patched: list[tuple[type, str, Any]] = []

    def counted(method: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - any recorder method
            level = getattr(depth, "level", 0)
            counts[name] += level == 0
            depth.level = level + 1
            try:
                return method(*args, **kwargs)
            finally:
                depth.level = level

        return wrapper

    recorders: list[type] = [
        sqlite.SQLiteAggregateRecorder,
        postgres.PostgresAggregateRecorder,
        postgres.PostgresApplicationRecorder,
    ]
    for recorder in recorders:
        for name in RECORDER_METHODS:
            if name in vars(recorder):
                original = vars(recorder)[name]
                patched.append((recorder, name, original))
                setattr(recorder, name, counted(original, name))
    try:
        yield counts
    finally:
        for patched_class, name, original in patched:
            setattr(patched_class, name, original)


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--runner", default="propdesk", choices=["propdesk", "propdesk+id", "bare", "bare(cache)"]
    )
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--top", type=int, default=25, help="functions listed by own time")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PROPDESK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    return parser.parse_args()


def cumulative(stats: pstats.Stats, key: Key) -> tuple[float, int]:
    """Seconds spent in (and below) the function, and how often it was called."""
    table: dict[Key, tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    if key not in table:
        return 0.0, 0
    primitive, _, _, inclusive, _ = table[key]
    return inclusive, primitive


def main() -> int:
    """Profiles one runner and prints the breakdown."""
    args = parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    profile = cProfile.Profile()
    with open_backend(args.backend, args.postgres_url) as backend, open_runners(backend) as runners:
        runner = next(r for r in runners if r.label == args.runner)
        runner.run_chunk(0, 5)
        runner.take()
        profile.enable()
        runner.run_chunk(5, args.tickets)
        profile.disable()
        commands = runner.commands
        runner.take()
        with counting_recorder_calls() as counts:
            runner.run_chunk(5 + args.tickets, 10)
        per_command = {name: counts[name] / runner.commands for name in RECORDER_METHODS}
    stats = pstats.Stats(profile)
    print(f"{args.runner} on {args.backend}: {args.tickets} tickets, {commands} commands")
    print(f"{'part':<50} {'us/command':>10} {'calls':>7}")
    for label, key in parts():
        seconds, calls = cumulative(stats, key)
        if calls:
            print(f"{label:<50} {seconds * 1e6 / commands:10.0f} {calls:7d}")
    round_trips = ", ".join(f"{name} {count:.2f}" for name, count in per_command.items())
    print(f"recorder calls per command (10 more tickets, unprofiled): {round_trips}")
    buffer = io.StringIO()
    pstats.Stats(profile, stream=buffer).sort_stats("tottime").print_stats(args.top)
    print(buffer.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
