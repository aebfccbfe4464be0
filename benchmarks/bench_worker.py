"""The SLA worker at scale: a million open timers, APScheduler side by side, 1/2/4 workers.

Run from the repository root::

    .venv/bin/python benchmarks/bench_worker.py            # full size (~11-13 min, 2 cores)
    .venv/bin/python benchmarks/bench_worker.py --quick    # a smoke run (CI, < 1 min)

Everything runs on PostgreSQL (``--postgres-url``, else ``PROPDESK_BENCH_POSTGRES_URL``, else
the test server), each part in fresh ``bench_worker_<tag>_*`` schemas dropped at the end;
the workers are real ``propdesk worker`` processes configured by ``PROPDESK_WORKER_*``.

1. **A million open timers** (``--timers``): the agenda's live table holds that many
   synthetic open deadlines, days ahead (inserted server-side, then ``ANALYZE``); real
   repairs are logged so that their T04 deadlines (``notify_engineering``, 3 minutes after
   ``Logged``) fall due one every ``--spacing`` seconds after a lead time; ``--latency-workers``
   workers act on them. The latency of each is its stored ``GoalBreached`` timestamp less its
   deadline (target: p99 < 1 s), and the workers' peak RSS is read from ``/proc``. The peer
   is the same run with no synthetic rows, in the same process: the ratio is what a million
   open timers cost, in latency and in memory (flat: the ratio close to 1).
2. **APScheduler** (``--apscheduler-deadlines``): one ``date`` job per deadline in a
   ``SQLAlchemyJobStore``, against the same number of agenda rows drained by propdesk's own
   claims (see ``_worker_peer.py``): time to schedule, time until all fired, lateness.
3. **Throughput** (``--throughput-tickets``): repairs dispatched two hours ago (each: a
   breach and an escalation, and a warning skipped), acted on by 1, 2 and 4 workers, each on
   a fresh copy; deadlines per second until every overdue agenda row is done, and until
   every notice they called for is sent too, each with the ratio to one worker.

The exit code is 0 whether or not a target is met: this is a measurement, not a test.
Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import propdesk
from _backends import (
    DEFAULT_POSTGRES_URL,
    load_average,
    positive,
    postgres_problem,
    postgres_version,
    safe_url,
)
from _worker_fleet import Fleet, Schemas, Trouble, machine_cpu, source_revision
from _worker_peer import (
    APS_THREADS,
    CLAIM_BATCH,
    GRACE_SECONDS,
    Side,
    run_apscheduler,
    run_propdesk,
)
from _worker_timers import (
    GOAL,
    Handled,
    Latencies,
    Spread,
    agenda_table,
    breach_latencies,
    fill_synthetic,
    log_falling_due,
    log_overdue,
    notices_sent,
    outcomes,
    overdue_handled,
    percentile,
    wait_until_done,
    wait_until_sent,
    watching,
)
from bench_commands import progress, quiet_logging, verdict
from propdesk.projections import Projector

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

LATENCY_TARGET = 1.0
"""p99 of the breach latency with a million open timers, in seconds (the issue's target)."""
MEMORY_FLAT = 1.2
"""The workers' peak RSS counts as flat when the run with the synthetic timers peaks at most
this many times the run without them: this benchmark's reading of "stays flat"."""


@dataclass(frozen=True)
class Sizes:
    """How big a run is."""

    timers: int
    deadlines: int
    spacing: float
    lead: float
    latency_workers: int
    aps_deadlines: int
    aps_window: float
    aps_margin: float
    tickets: int
    worker_counts: tuple[int, ...]
    claim_batch: int
    tick: float


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PROPDESK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a PostgreSQL database the benchmark may create and drop schemas in",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run for CI")
    parser.add_argument("--skip-million", action="store_true", help="no open-timers run")
    parser.add_argument("--skip-apscheduler", action="store_true", help="no APScheduler run")
    parser.add_argument("--skip-throughput", action="store_true", help="no 1/2/4-worker run")
    parser.add_argument(
        "--timers", type=positive, default=1_000_000, help="synthetic open agenda rows"
    )
    parser.add_argument(
        "--deadlines", type=positive, default=400, help="real deadlines falling due (part 1)"
    )
    parser.add_argument(
        "--spacing", type=float, default=0.15, help="seconds between two of them (part 1)"
    )
    parser.add_argument(
        "--latency-workers", type=positive, default=2, help="worker processes (part 1)"
    )
    parser.add_argument(
        "--apscheduler-deadlines", type=positive, default=100_000, help="deadlines (part 2)"
    )
    parser.add_argument(
        "--apscheduler-window", type=float, default=30.0, help="seconds they spread over"
    )
    parser.add_argument(
        "--throughput-tickets", type=positive, default=600, help="overdue repairs (part 3)"
    )
    parser.add_argument(
        "--throughput-workers", default="1,2,4", help="worker counts to try (part 3)"
    )
    parser.add_argument("--claim-batch", type=positive, default=20, help="(part 3)")
    parser.add_argument("--tick", type=float, default=0.2, help="PROPDESK_WORKER_TICK_SECONDS")
    args = parser.parse_args(argv)
    try:
        args.throughput_workers = tuple(int(n) for n in args.throughput_workers.split(","))
    except ValueError:
        parser.error("--throughput-workers: comma-separated whole numbers, such as 1,2,4")
    return args


def sizes_for(args: argparse.Namespace) -> Sizes:
    """Full-size settings from the command line, or tiny ones with ``--quick``."""
    if args.quick:
        return Sizes(
            timers=2_000,
            deadlines=12,
            spacing=0.25,
            lead=6.0,
            latency_workers=1,
            aps_deadlines=500,
            aps_window=3.0,
            aps_margin=2.0,
            tickets=12,
            worker_counts=(1, 2),
            claim_batch=args.claim_batch,
            tick=args.tick,
        )
    return Sizes(
        timers=args.timers,
        deadlines=args.deadlines,
        spacing=args.spacing,
        lead=30.0,
        latency_workers=args.latency_workers,
        aps_deadlines=args.apscheduler_deadlines,
        aps_window=args.apscheduler_window,
        aps_margin=10.0,
        tickets=args.throughput_tickets,
        worker_counts=args.throughput_workers,
        claim_batch=args.claim_batch,
        tick=args.tick,
    )


# ---------------------------------------------------------------------- part 1


@dataclass
class TimersRun:
    """One run of part 1: with ``timers`` synthetic rows, or none."""

    timers: int
    fill_seconds: float = 0.0
    ready_before: float = 0.0
    """Seconds between the last worker being ready and the first deadline (> 0: in time)."""
    finished_after: float | None = None
    """Seconds from the last deadline until every one was done; ``None``: timed out."""
    latencies: Latencies | None = None
    peak_kib: list[int] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    ready_kib: list[int] = field(default_factory=list)
    """Each worker's VmRSS when all had started (before their first tick)."""
    outcomes: dict[str, int] = field(default_factory=dict)
    trouble: Trouble | None = None
    exits: list[int | None] = field(default_factory=list)

    @property
    def breach(self) -> Spread:
        """The spread of the breach latencies."""
        return Spread.of(self.latencies.breach if self.latencies else [])

    @property
    def done(self) -> Spread:
        """The spread of the done latencies."""
        return Spread.of(self.latencies.done if self.latencies else [])


def run_timers(schemas: Schemas, sizes: Sizes, timers: int, logs: Path, label: str) -> TimersRun:
    """Part 1 once: fill, log deadlines, start workers, wait, read latencies and memory."""
    run = TimersRun(timers)
    schema, url = schemas.fresh(label)
    propdesk.init_schema(url)
    if timers:
        progress(f"part 1 [{label}]: filling {timers:,} synthetic open timers")
        run.fill_seconds = fill_synthetic(url, timers, progress)
    first_due = datetime.now(UTC) + timedelta(seconds=sizes.lead)
    progress(f"part 1 [{label}]: logging {sizes.deadlines} repairs falling due from {first_due}")
    logged = log_falling_due(url, count=sizes.deadlines, first_due=first_due, spacing=sizes.spacing)
    last_due = logged[-1][1]
    settings = {"tick_seconds": str(sizes.tick)}
    with (
        Projector(url) as projector,
        Fleet(url, sizes.latency_workers, logs=logs, label=label, settings=settings) as fleet,
    ):
        table = agenda_table(projector)
        ready = fleet.wait_ready(timeout=60)
        fleet.sample()
        run.ready_kib = [memory.rss_last_kib for memory in fleet.memory]
        run.ready_before = first_due.timestamp() - ready
        progress(
            f"part 1 [{label}]: workers ready {run.ready_before:.1f} s before the first"
            " deadline; waiting"
        )
        window = (last_due - first_due).total_seconds()
        done = wait_until_done(
            projector, table, last_due, fleet=fleet, timeout=sizes.lead + window + 120
        )
        run.finished_after = None if done is None else done - last_due.timestamp()
        fleet.sample()
        run.peak_kib = [memory.peak_kib for memory in fleet.memory]
        run.rss_kib = [memory.rss_max_kib for memory in fleet.memory]
        run.exits = fleet.stop()
        run.outcomes = outcomes(projector, table, last_due)
        run.trouble = fleet.trouble()
    run.latencies = breach_latencies(url, logged)
    schemas.drop(schema)
    progress(
        f"part 1 [{label}]: breach p99 {run.breach.p99:.3f} s, peak RSS"
        f" {max(run.peak_kib) / 1024:.1f} MiB"
    )
    return run


# ---------------------------------------------------------------------- part 3


@dataclass
class ThroughputRun:
    """Part 3 with ``workers`` workers."""

    workers: int
    tickets: int
    setup_seconds: float = 0.0
    seconds: float | None = None
    """From spawning the workers until every overdue row was done; ``None``: timed out."""
    sent_seconds: float | None = None
    """From spawning them until every notice those deadlines called for was sent too."""
    notices: int = 0
    ready_seconds: float = 0.0
    """From spawning them until every one had logged ``worker started``."""
    handled: Handled | None = None
    worker_cpu: float = 0.0
    """The workers' CPU seconds, all together."""
    machine_busy: float = 0.0
    """The share of all cores' time busy while the workers ran (anyone's work)."""
    trouble: Trouble | None = None
    exits: list[int | None] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Deadlines per second, from spawning the workers until every row was done."""
        return self.tickets / self.seconds if self.seconds else 0.0

    @property
    def sent_rate(self) -> float:
        """Deadlines per second, from spawning the workers until every notice was sent."""
        return self.tickets / self.sent_seconds if self.sent_seconds else 0.0


def run_throughput(schemas: Schemas, sizes: Sizes, workers: int, logs: Path) -> ThroughputRun:
    """Part 3 once: overdue repairs on a fresh schema, ``workers`` workers, until all done."""
    run = ThroughputRun(workers, sizes.tickets)
    schema, url = schemas.fresh(f"throughput{workers}")
    propdesk.init_schema(url)
    progress(f"part 3 [{workers} workers]: logging {sizes.tickets} overdue repairs")
    began = time.perf_counter()
    tickets, until = log_overdue(url, count=sizes.tickets)
    run.setup_seconds = time.perf_counter() - began
    settings = {"tick_seconds": str(sizes.tick), "claim_batch": str(sizes.claim_batch)}
    with (
        watching(url) as projector,
        Fleet(url, workers, logs=logs, label=f"throughput{workers}", settings=settings) as fleet,
    ):
        table = agenda_table(projector)
        busy, total = machine_cpu()
        run.ready_seconds = fleet.wait_ready(timeout=60) - fleet.started
        done = wait_until_done(projector, table, until, fleet=fleet, timeout=600)
        run.seconds = None if done is None else done - fleet.started
        sent = wait_until_sent(projector, fleet=fleet, timeout=600)
        run.sent_seconds = None if sent is None else sent - fleet.started
        busy_after, total_after = machine_cpu()
        run.machine_busy = (busy_after - busy) / max(total_after - total, 1)
        run.exits = fleet.stop()
        run.worker_cpu = sum(fleet.cpu_seconds)
        run.trouble = fleet.trouble()
        run.notices = notices_sent(projector)
    run.handled = overdue_handled(url, tickets)
    schemas.drop(schema)
    progress(
        f"part 3 [{workers} workers]: {run.rate:.1f} deadlines/s, {run.sent_rate:.1f} with"
        " the notices sent"
    )
    return run


# ---------------------------------------------------------------------- the report


def _ratio(value: float, peer: float) -> str:
    return f"{value / peer:.2f}" if peer else "-"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _spread(spread: Spread) -> str:
    return (
        f"p50 {spread.p50:.3f}  p95 {spread.p95:.3f}  p99 {spread.p99:.3f}"
        f"  max {spread.max:.3f} s (n={spread.count})"
    )


def _trouble(trouble: Trouble | None, exits: list[int | None]) -> str:
    if trouble is None:
        return ""
    first = "".join(f"\n                     {line}" for line in trouble.lines)
    return (
        f"worker logs: {trouble.tick_failures} failed ticks, {trouble.overruns} ticks skipped"
        f" (the one before still running), {trouble.refused} refused commands,"
        f" {trouble.errors} errors; exit codes {exits}{first}"
    )


def timers_lines(sizes: Sizes, runs: list[TimersRun]) -> list[str]:
    """Part 1: each run's latencies and memory, the million beside the empty agenda."""
    lines = [
        "",
        (
            f"1. OPEN TIMERS: {sizes.deadlines} real T04 deadlines ({GOAL}), one every"
            f" {sizes.spacing:g} s from {sizes.lead:g} s after they were logged,"
            f" {sizes.latency_workers} worker(s), tick {sizes.tick:g} s"
        ),
        (
            "   latency: the GoalBreached event's timestamp (done: the agenda row's done_at)"
            " less the deadline; memory: each worker's VmHWM from /proc"
        ),
    ]
    for run in runs:
        name = f"{run.timers:>9,} open"
        fill = f"; filled in {run.fill_seconds:.1f} s" if run.timers else ""
        finished = "TIMED OUT" if run.finished_after is None else f"{run.finished_after:.2f} s"
        missing = run.latencies.missing if run.latencies else "?"
        lines += [
            f"   {name}  breach {_spread(run.breach)}",
            f"   {'':>14}  done   {_spread(run.done)}",
            (
                f"   {'':>14}  peak RSS {', '.join(_mib(k) for k in run.peak_kib)}"
                f" (VmRSS at start {', '.join(_mib(k) for k in run.ready_kib)})"
            ),
            (
                f"   {'':>14}  workers ready {run.ready_before:.1f} s before the first deadline;"
                f" all done {finished} after the last{fill}; no breach: {missing}"
            ),
            f"   {'':>14}  rows due: {_outcomes(run.outcomes)}",
            f"   {'':>14}  {_trouble(run.trouble, run.exits)}",
        ]
    if len(runs) == 2:
        peer, big = runs
        peak, peer_peak = max(big.peak_kib), max(peer.peak_kib)
        lines += [
            (
                f"   {big.timers:,} / {peer.timers} open: breach p50"
                f" {_ratio(big.breach.p50, peer.breach.p50)}, p99"
                f" {_ratio(big.breach.p99, peer.breach.p99)}, max"
                f" {_ratio(big.breach.max, peer.breach.max)}; peak RSS {_mib(peak)} against"
                f" {_mib(peer_peak)}, ratio {_ratio(peak, peer_peak)}"
            ),
        ]
    return lines


def _outcomes(found: dict[str, int]) -> str:
    return ", ".join(f"{key} {count}" for key, count in sorted(found.items())) or "none"


def peer_lines(sides: list[Side]) -> list[str]:
    """Part 2: each figure beside APScheduler's, with the ratio."""
    propdesk_side, aps = sides
    lines = [
        "",
        (
            f"2. APSCHEDULER SIDE BY SIDE: {aps.deadlines:,} deadlines spread over"
            f" {aps.window_end - aps.window_start:.0f} s, the same trivial action (note the"
            " time, in memory)"
        ),
        (
            f"   APScheduler {version('apscheduler')}: BackgroundScheduler, SQLAlchemyJobStore"
            f" (own schema), ThreadPoolExecutor({APS_THREADS}), misfire_grace_time"
            f" {GRACE_SECONDS} s, one date job each, added while paused"
        ),
        (
            "   propdesk: agenda rows inserted with the projection's insert_rows (500 a"
            f" transaction); one thread claiming {CLAIM_BATCH} at a time (claims.claim /"
            " claims.finish, as SlaWorker._act_on_due), sleeping a tick when nothing is due"
        ),
        f"   {'':<34} {'propdesk':>14} {'APScheduler':>14}   ratio propdesk/APScheduler",
    ]
    seconds, rate = "{:>14,.3f}", "{:>14,.0f}"
    rows: list[tuple[str, float, float, str, str]] = [
        (
            "schedule all (s)",
            propdesk_side.schedule_seconds,
            aps.schedule_seconds,
            "lower",
            seconds,
        ),
        (
            "  deadlines scheduled per second",
            propdesk_side.schedule_rate,
            aps.schedule_rate,
            "higher",
            rate,
        ),
        (
            "first deadline to last fired (s)",
            propdesk_side.fire_seconds,
            aps.fire_seconds,
            "lower",
            seconds,
        ),
        (
            "  deadlines fired per second",
            propdesk_side.deadlines / max(propdesk_side.fire_seconds, 1e-9),
            aps.deadlines / max(aps.fire_seconds, 1e-9),
            "higher",
            rate,
        ),
        (
            "last deadline to last fired (s)",
            propdesk_side.drain_after_window,
            aps.drain_after_window,
            "lower",
            seconds,
        ),
    ]
    for share, label in ((0.5, "p50"), (0.99, "p99")):
        rows.append(
            (
                f"lateness {label} (s)",
                percentile(propdesk_side.lateness, share),
                percentile(aps.lateness, share),
                "lower",
                seconds,
            )
        )
    rows.append(
        (
            "lateness max (s)",
            max(propdesk_side.lateness, default=0.0),
            max(aps.lateness, default=0.0),
            "lower",
            seconds,
        )
    )
    for label, mine, theirs, better, shape in rows:
        lines.append(
            f"   {label:<34} {shape.format(mine)} {shape.format(theirs)}"
            f"   {_ratio(mine, theirs):>6} ({better} is better)"
        )
    for side in sides:
        late = (
            ""
            if side.scheduled_at <= side.window_start
            else (
                f"; NOTE scheduling ended {side.scheduled_at - side.window_start:.1f} s after the"
                " first deadline"
            )
        )
        lines.append(
            f"   {side.name:<12} fired {side.fired:,}/{side.deadlines:,}, missed {side.missed},"
            f" errors {side.errors}, twice {side.duplicates}, still scheduled {side.left}"
            f"{', TIMED OUT' if side.timed_out else ''}; calibration"
            f" {side.calibration_rate:,.0f}/s{late}"
        )
    return lines


def throughput_lines(sizes: Sizes, runs: list[ThroughputRun]) -> list[str]:
    """Part 3: deadlines per second for each number of workers, against one worker."""
    lines = [
        "",
        (
            f"3. THROUGHPUT: {sizes.tickets} repairs dispatched 2 h ago (each: breach +"
            f" escalation, warning skipped), claim batch {sizes.claim_batch}, tick"
            f" {sizes.tick:g} s; {os.cpu_count()} cores shared by the workers and PostgreSQL"
        ),
        (
            "   from spawning the workers (ready: all logged 'worker started') until no overdue"
            " agenda row was left undone (rows), and until every notice they called for was"
            " sent too (+ notices)"
        ),
    ]
    one = next((run for run in runs if run.workers == 1), None)
    for run in runs:
        rows = "TIMED OUT" if run.seconds is None else f"{run.seconds:5.1f} s"
        sent = "TIMED OUT" if run.sent_seconds is None else f"{run.sent_seconds:5.1f} s"
        versus = ""
        if one is not None:
            versus = (
                f"   ratio to 1 worker: rows {_ratio(run.rate, one.rate)},"
                f" + notices {_ratio(run.sent_rate, one.sent_rate)}"
            )
        lines += [
            (
                f"   {run.workers} worker(s)  rows {rows} {run.rate:6.1f} deadlines/s"
                f"   + notices {sent} {run.sent_rate:6.1f} deadlines/s{versus}"
            ),
            (
                f"   {'':<12} ready after {run.ready_seconds:.1f} s; {run.notices:,} notices"
                f" sent; workers' CPU {run.worker_cpu:.1f} s"
                f" ({1000 * run.worker_cpu / max(run.tickets, 1):.1f} ms a deadline, start-up"
                f" included); all {os.cpu_count()} cores {100 * run.machine_busy:.0f} % busy"
                " meanwhile (PostgreSQL and any other work included)"
            ),
            f"   {'':<12} {_handled(run.handled)}; setup {run.setup_seconds:.1f} s",
            f"   {'':<12} {_trouble(run.trouble, run.exits)}",
        ]
    return lines


def _handled(handled: Handled | None) -> str:
    if handled is None:
        return "events not read"
    return (
        f"stored: {handled.breaches} breaches, {handled.escalations} escalations,"
        f" {handled.warnings} warnings; tickets missing either: {handled.untouched}"
    )


def summary_lines(timers: list[TimersRun]) -> list[str]:
    """PASS/FAIL against the targets."""
    lines = ["", "SUMMARY"]
    if len(timers) == 2:
        peer, big = timers
        p99 = big.breach.p99
        ok = big.latencies is not None and not big.latencies.missing and p99 < LATENCY_TARGET
        lines.append(
            f"  {verdict(ok)}  breach latency p99 with {big.timers:,} open timers {p99:.3f} s"
            f" (target < {LATENCY_TARGET:g} s; with none: {peer.breach.p99:.3f} s)"
        )
        ratio = max(big.peak_kib) / max(*peer.peak_kib, 1)
        lines.append(
            f"  {verdict(ratio <= MEMORY_FLAT)}  worker peak RSS with {big.timers:,} open timers"
            f" / with none = {ratio:.2f} (flat: <= {MEMORY_FLAT:g})"
        )
    return lines


def header_lines(args: argparse.Namespace, sizes: Sizes) -> list[str]:
    """Date, machine, software, database, source and command."""
    argv = [safe_url(arg) for arg in sys.argv[1:]]
    command = shlex.join([".venv/bin/python", "benchmarks/bench_worker.py", *argv])
    quick = ["note      : --quick smoke run (tiny sizes): not a measurement"] if args.quick else []
    return [
        f"propdesk SLA worker benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        *quick,
        (
            f"machine   : {platform.machine()}, {os.cpu_count()} cores, {_cpu_model()},"
            f" {platform.system()} {platform.release()}"
        ),
        (
            f"software  : Python {platform.python_version()}, propdesk {propdesk.__version__},"
            f" APScheduler {version('apscheduler')}, SQLAlchemy {version('sqlalchemy')},"
            f" psycopg {version('psycopg')}"
        ),
        (
            f"database  : PostgreSQL {postgres_version(args.postgres_url)} at"
            f" {safe_url(args.postgres_url)} (local, loopback TCP)"
        ),
        f"source    : {source_revision()} (read from .git; uncommitted changes not checked)",
        f"command   : {command}",
        (
            "workers   : `propdesk worker` processes; PROPDESK_WORKER_TICK_SECONDS="
            f"{sizes.tick:g}, QUIET_START/QUIET_END empty, log notifier (to a file)"
        ),
    ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# ---------------------------------------------------------------------- main


def _stop_on_term(signum: int, frame: FrameType | None) -> NoReturn:
    del frame
    raise SystemExit(128 + signum)


@dataclass
class Results:
    """Everything measured, part by part, and what failed."""

    timers: list[TimersRun] = field(default_factory=list)
    sides: list[Side] = field(default_factory=list)
    throughput: list[ThroughputRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attempt(self, part: str, run: Callable[[], None]) -> None:
        """Runs one part; a failure is reported and the other parts go on."""
        try:
            run()
        except Exception as error:  # noqa: BLE001 - one part failing must not lose the others
            message = " ".join(f"{type(error).__name__}: {error}".split())[:1000]
            self.errors.append(f"{part}: {message}")
            progress(f"{part} FAILED: {message}")


def measure_timers(results: Results, schemas: Schemas, sizes: Sizes, logs: Path) -> None:
    """Part 1: the empty agenda first (the peer), then the one with the synthetic timers."""
    results.timers.append(run_timers(schemas, sizes, 0, logs, "empty"))
    results.timers.append(run_timers(schemas, sizes, sizes.timers, logs, "million"))


def measure_peer(results: Results, schemas: Schemas, sizes: Sizes, base_url: str) -> None:
    """Part 2: propdesk's agenda and claims, then APScheduler, each on its own schema."""
    schema, url = schemas.fresh("propdesk")
    propdesk.init_schema(url)
    progress(f"part 2: propdesk, {sizes.aps_deadlines:,} deadlines")
    mine = run_propdesk(
        url,
        deadlines=sizes.aps_deadlines,
        window=sizes.aps_window,
        margin=sizes.aps_margin,
        tick=sizes.tick,
        timeout=900,
        progress=progress,
    )
    schemas.drop(schema)
    schema, _ = schemas.fresh("apscheduler")
    progress(f"part 2: APScheduler, {sizes.aps_deadlines:,} deadlines")
    theirs = run_apscheduler(
        base_url,
        schema,
        deadlines=sizes.aps_deadlines,
        window=sizes.aps_window,
        margin=sizes.aps_margin,
        timeout=900,
        progress=progress,
    )
    schemas.drop(schema)
    results.sides += [mine, theirs]


def measure_throughput(results: Results, schemas: Schemas, sizes: Sizes, logs: Path) -> None:
    """Part 3: each number of workers on a fresh copy of the same overdue repairs."""
    results.throughput += [
        run_throughput(schemas, sizes, workers, logs) for workers in sizes.worker_counts
    ]


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the report; always exits 0."""
    args = parse_args(argv)
    sizes = sizes_for(args)
    signal.signal(signal.SIGTERM, _stop_on_term)
    quiet_logging()
    lines = header_lines(args, sizes)
    problem = postgres_problem(args.postgres_url)
    if problem is not None:
        lines.append(f"NOT RUN: cannot connect to {safe_url(args.postgres_url)}: {problem}")
        print("\n".join(lines), flush=True)
        return 0
    began, load_before = time.perf_counter(), load_average()
    results = Results()
    with (
        tempfile.TemporaryDirectory(prefix="propdesk-bench-worker-") as directory,
        Schemas(args.postgres_url) as schemas,
    ):
        logs = Path(directory)
        if not args.skip_million:
            results.attempt("open timers", lambda: measure_timers(results, schemas, sizes, logs))
        if not args.skip_apscheduler:
            results.attempt(
                "apscheduler", lambda: measure_peer(results, schemas, sizes, args.postgres_url)
            )
        if not args.skip_throughput:
            results.attempt("throughput", lambda: measure_throughput(results, schemas, sizes, logs))
    lines.append(
        f"run       : {(time.perf_counter() - began) / 60:.1f} min; load average before"
        f" {load_before}, after {load_average()}"
    )
    lines += report_lines(sizes, results)
    print("\n".join(lines), flush=True)
    return 0


def report_lines(sizes: Sizes, results: Results) -> list[str]:
    """The three parts' figures and the summary."""
    lines = []
    if results.timers:
        lines += timers_lines(sizes, results.timers)
    if len(results.sides) == 2:
        lines += peer_lines(results.sides)
    if results.throughput:
        lines += throughput_lines(sizes, results.throughput)
    lines += summary_lines(results.timers)
    return lines + [f"  ERROR  {error}" for error in results.errors]


if __name__ == "__main__":
    sys.exit(main())
