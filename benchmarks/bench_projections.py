"""Rebuilding the read models over a million events; the reports on 100,000 tickets; memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_projections.py             # full size, both backends
    .venv/bin/python benchmarks/bench_projections.py --quick     # a smoke run (CI, < 60 s)

The events come from the demo's simulator (``_corpus.py``): one desk, 300 repairs and 15
complaints a day for as many days as needed, seeded, generated once into a SQLite event store
cached under ``benchmarks/.corpus/`` (17 minutes for 100,170 tickets, 2.17 million events, on
a shared two-core machine; ``--quick`` makes a tiny one in a temporary directory instead).
Every measurement runs on a fresh copy of the first N events of it (``_copies.py``: a SQLite
file, or a PostgreSQL schema), with no projection tables yet; making the copies is not
measured.

It measures, on SQLite and on PostgreSQL (see ``_rebuild.py`` and ``_report_queries.py``):

1. **Rebuild throughput** over the first ``--events`` events (default 1,000,000):
   ``Projector(url).rebuild()`` of every projection in one pass, the same with
   ``rebuild_processes=--processes`` (default: the CPUs), and each projection rebuilt alone
   (``Projector(url, projections=[one]).rebuild()``), in events per second, each beside
   a **raw read** of the same events made immediately before it in the same process on the
   same copy (``select_notifications`` in batches of the projector's rebuild batch size, each
   notification decoded by the mapper, nothing else), with the ratio checked against
   :data:`REBUILD_TARGET`.
2. **Memory**: the rebuild of every projection at a tenth of ``--events`` and at
   ``--events``, each in a fresh Python process: the peak resident set size after the
   rebuild, less the peak after opening the projector, and the ratio of the two growths
   (flat is close to 1; checked against :data:`MEMORY_FLAT`). ``--tracemalloc`` adds the
   peak of Python's own allocations, in two more (slow) runs.
3. **Report queries** on every event of a corpus of at least ``--tickets`` tickets (default
   100,000) after a rebuild of every projection: ``completion_report``, ``complaint_report``,
   ``weekly_summary`` and ``monthly_report`` for the last day (its week, the last full month),
   a day in the middle (its month) and the last day for one estate: the first call, then the
   best and the median of five, the median checked against 200 ms; and every statement each
   report sends, timed alone and explained, with full scans of big tables flagged.

The exit code is 0 whether or not a target is met: this is a measurement, not a test.
Progress goes to stderr, the report to stdout. See ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from _backends import (
    add_backend_options,
    load_average,
    machine_lines,
    machine_summary,
    parse_backend_options,
    positive,
    postgres_problem,
    safe_url,
    source_fingerprint,
    source_revision,
)
from _copies import open_prefix
from _corpus import Corpus, CorpusSpec, find_or_generate, generate, spec_for
from _rebuild import Memory, Paired, measure_memory, paired
from _report_queries import (
    TARGET_MS,
    Timing,
    analyse,
    first_calls,
    points_for,
    table_rows,
    time_reports,
)
from bench_commands import progress, quiet_logging, verdict
from propdesk.projections import default_projections, engine_for
from propdesk.testing import sample_organisation

if TYPE_CHECKING:
    from collections.abc import Callable

    from propdesk.projections.base import Projection

REBUILD_TARGET = 0.30
"""A rebuild must run at least this share of the raw read's events per second (the issue's
target), on SQLite and on PostgreSQL."""
MEMORY_FLAT = 1.5
"""The rebuild's memory counts as flat when its growth at ``--events`` is at most this many
times its growth at a tenth of them: this benchmark's reading of the issue's "stays flat"."""
QUICK_CORPUS = CorpusSpec(days=3, repairs_per_day=40)
"""``--quick``: about 2,700 events, 126 tickets, generated afresh in a temporary directory."""
QUICK_EVENTS = 2000


@dataclass(frozen=True)
class Settings:
    """How big a run is."""

    events: int
    """Events the rebuild throughput is measured over."""
    memory_events: tuple[int, int]
    """The two sizes the memory is measured at."""
    tickets: int
    """The report queries need a corpus of at least this many tickets."""
    quick: bool


@dataclass
class BackendReport:
    """Everything measured on one backend, or why it was not."""

    name: str
    skipped: str | None = None
    where: str = ""
    run: str = ""
    rebuilds: list[Paired] = field(default_factory=list)
    memory: dict[int, Memory] = field(default_factory=dict)
    traced: dict[int, Memory] = field(default_factory=dict)
    full: Paired | None = None
    """The rebuild before the report queries, over the whole corpus."""
    sizes: dict[str, int] = field(default_factory=dict)
    timings: list[Timing] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--events", type=positive, default=1_000_000, help="rebuild over this many events"
    )
    parser.add_argument(
        "--tickets", type=positive, default=100_000, help="report queries on this many tickets"
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres", "both"),
        help="one backend or both (the same as --backends)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="no memory measurement")
    parser.add_argument("--skip-queries", action="store_true", help="no report queries")
    parser.add_argument(
        "--skip-single", action="store_true", help="no rebuild of each projection alone"
    )
    parser.add_argument(
        "--processes",
        type=positive,
        default=os.cpu_count() or 1,
        help="also rebuild all with this many processes working out rows (default: the CPUs)",
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also the tracemalloc peak (slow runs)"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="generate the corpus even if one is cached"
    )
    add_backend_options(parser)
    args = parse_backend_options(parser, argv)
    if args.backend is not None:
        args.backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    return args


def settings_for(args: argparse.Namespace) -> Settings:
    """Full-size settings, or tiny ones with ``--quick``."""
    if args.quick:
        return Settings(QUICK_EVENTS, (QUICK_EVENTS // 10, QUICK_EVENTS), 1, quick=True)
    return Settings(
        args.events, (max(1, args.events // 10), args.events), args.tickets, quick=False
    )


def obtain_corpus(args: argparse.Namespace, settings: Settings, work: Path) -> Corpus:
    """The quick corpus (made afresh), or a cached one big enough (generated if need be)."""
    if settings.quick:
        return generate(QUICK_CORPUS, work / "corpus", progress=progress)
    tickets = 0 if args.skip_queries else settings.tickets
    spec = spec_for(tickets, settings.events)
    return find_or_generate(
        spec,
        tickets=tickets,
        events=settings.events,
        regenerate=args.regenerate,
        progress=progress,
    )


# ---------------------------------------------------------------------- measuring


def measure_backend(
    name: str, args: argparse.Namespace, settings: Settings, corpus: Corpus, work: Path
) -> BackendReport:
    """Every measurement on one backend; a failing part is reported and the rest go on."""
    report = BackendReport(name)
    if name == "postgres":
        problem = postgres_problem(args.postgres_url)
        if problem is not None:
            report.skipped = f"cannot connect to {safe_url(args.postgres_url)}: {problem}"
            return report
    began, load_before = time.perf_counter(), load_average()
    _attempt(report, "rebuild", lambda: _rebuilds(report, args, settings, corpus, work))
    if not args.skip_memory:
        _attempt(report, "memory", lambda: _memory(report, args, settings, corpus, work))
    if not args.skip_queries:
        _attempt(report, "queries", lambda: _queries(report, args, corpus, work))
    report.run = (
        f"{name:<9} {(time.perf_counter() - began) / 60:.1f} min; load average before"
        f" {load_before}, after {load_average()}; {report.where}"
    )
    return report


def _attempt(report: BackendReport, part: str, run: Callable[[], None]) -> None:
    try:
        run()
    except Exception as error:  # noqa: BLE001 - one part failing must not lose the others
        message = " ".join(f"{type(error).__name__}: {error}".split())[:1000]
        report.errors.append(f"{part}: {message}")
        progress(f"{report.name}: {part} FAILED: {message}")


def _rebuilds(
    report: BackendReport,
    args: argparse.Namespace,
    settings: Settings,
    corpus: Corpus,
    work: Path,
) -> None:
    name = report.name
    progress(f"{name}: copying the first {settings.events:,} events")
    with open_prefix(name, corpus.path, settings.events, work, args.postgres_url) as prefix:
        report.where = prefix.where
        every = len(default_projections())
        chosen: list[tuple[str, list[Projection] | None, int]]
        chosen = [(f"all {every}", None, 1)]
        if args.processes > 1:
            chosen.append((f"all {every}, {args.processes} procs", None, args.processes))
        if not args.skip_single:
            chosen += [(p.name, [p], 1) for p in default_projections()]
        for label, projections, processes in chosen:
            with prefix.fresh() as url:
                progress(f"{name}: raw read, then rebuild {label}")
                result = paired(url, label, projections, processes)
            report.rebuilds.append(result)
            progress(f"{name}:   {_pair(result)}")


def _memory(
    report: BackendReport,
    args: argparse.Namespace,
    settings: Settings,
    corpus: Corpus,
    work: Path,
) -> None:
    runs = [False, True] if args.tracemalloc else [False]
    for events in settings.memory_events:
        progress(f"{report.name}: memory at {events:,} events")
        with open_prefix(report.name, corpus.path, events, work, args.postgres_url) as prefix:
            for traced in runs:
                with prefix.fresh() as url:
                    memory = measure_memory(url, traced=traced)
                (report.traced if traced else report.memory)[events] = memory
                progress(f"{report.name}:   {_memory_line(memory)}")


def _queries(report: BackendReport, args: argparse.Namespace, corpus: Corpus, work: Path) -> None:
    name = report.name
    organisation = sample_organisation()
    zone = ZoneInfo(organisation.zone)
    points = points_for(corpus.spec.first_day, corpus.last_day, organisation.estate)
    progress(f"{name}: copying all {corpus.events:,} events for the report queries")
    with (
        open_prefix(name, corpus.path, corpus.events, work, args.postgres_url) as prefix,
        prefix.fresh() as url,
    ):
        progress(f"{name}: raw read, then rebuild all over {corpus.events:,} events")
        report.full = paired(url, f"all {len(default_projections())}", None)
        progress(f"{name}:   {_pair(report.full)}")
        engine = engine_for(url)
        try:
            report.sizes = table_rows(engine)
            progress(f"{name}: report queries")
            firsts = first_calls(engine, zone, points)
            analyse(engine)
            report.timings = time_reports(engine, zone, points, firsts, report.sizes)
            for timing in report.timings:
                progress(f"{name}:   {_timing_line(timing)}")
        finally:
            engine.dispose()


# ---------------------------------------------------------------------- the report


def _rate(events: float, seconds: float) -> str:
    return f"{events / seconds:>9,.0f} events/s" if seconds > 0 else "        - events/s"


def _pair(result: Paired) -> str:
    raw, rebuilt = result.raw, result.rebuild
    return (
        f"{result.label:<20} rebuild {_rate(rebuilt.events, rebuilt.seconds)}"
        f" ({rebuilt.seconds:7.1f} s, CPU {rebuilt.cpu_us_per_event:5.0f} us/event)"
        f"   raw read {_rate(raw.events, raw.seconds)} ({raw.seconds:6.1f} s,"
        f" CPU {raw.cpu_us_per_event:4.0f} us/event)   ratio {result.ratio:.2f}"
        f" (target >= {REBUILD_TARGET:.2f})  {verdict(result.ratio >= REBUILD_TARGET)}"
    )


def _mib(kib: int) -> str:
    return f"{kib / 1024:7.1f} MiB"


def _memory_line(memory: Memory) -> str:
    traced = (
        f"; tracemalloc peak {_mib(memory.traced_peak_kib)}"
        if memory.traced_peak_kib is not None
        else ""
    )
    began = "at the start" if memory.peak_reset else "peak before (no reset)"
    return (
        f"{memory.events:>10,} events  growth {_mib(memory.growth_kib)}: peak RSS"
        f" {_mib(memory.peak_kib)}, {began} {_mib(memory.baseline_kib)}, at the end"
        f" {_mib(memory.final_kib)} (peak while opening {_mib(memory.opened_peak_kib)});"
        f" rebuild {memory.seconds:.1f} s ({_rate(memory.events, memory.seconds).strip()})"
        f"{traced}"
    )


def memory_ratio(memory: dict[int, Memory]) -> float | None:
    """The rebuild's peak growth at the larger size over the smaller's."""
    if len(memory) < 2:
        return None
    small, large = (memory[events] for events in sorted(memory))
    return large.growth_kib / max(small.growth_kib, 1)


def memory_verdict(report: BackendReport, ratio: float) -> str:
    """PASS or FAIL; ``info`` when the smaller size is less than one rebuild batch.

    A rebuild holds a batch of events at a time, so below one batch its memory grows with
    the events by design, and the two sizes say nothing about flatness (``--quick``).
    """
    batch = report.rebuilds[0].batch if report.rebuilds else 0
    if min(report.memory) < batch:
        return f"info (below one rebuild batch of {batch:,} events)"
    return verdict(ratio <= MEMORY_FLAT)


def header_lines(
    args: argparse.Namespace, settings: Settings, corpus: Corpus, machine: list[str]
) -> list[str]:
    """Date, machine, command, corpus and method."""
    argv = [safe_url(arg) for arg in sys.argv[1:]]
    command = shlex.join([".venv/bin/python", "benchmarks/bench_projections.py", *argv])
    quick = ["note      : --quick smoke run (tiny sizes): not a measurement"] if args.quick else []
    names = ", ".join(projection.name for projection in default_projections())
    small, large = settings.memory_events
    queries = (
        "none (--skip-queries)"
        if args.skip_queries
        else f"all {corpus.events:,} events ({corpus.tickets:,} tickets)"
    )
    return [
        f"propdesk projection benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        *quick,
        *machine,
        f"command   : {command}",
        f"corpus    : {corpus.describe()}",
        f"            {corpus.path}",
        (
            f"workload  : rebuild over the first {settings.events:,} events; memory at"
            f" {small:,} and {large:,}; report queries over {queries}"
        ),
        f"projections: {names}",
        "method    :",
        (
            "  raw read  recorder.select_notifications in batches of the projector's rebuild"
            " batch size, each decoded by store.mapper.to_domain_event; nothing else"
        ),
        (
            "  rebuild   Projector(url).rebuild() (all, one pass; 'N procs': with"
            " rebuild_processes=N, CPU then includes theirs) or Projector(url,"
            " projections=[one]).rebuild(), timed alone, on a fresh copy of the events with no"
            " projection tables; each right after its own raw read, same process, same copy"
        ),
        (
            "  memory    the rebuild of all in a fresh process: ru_maxrss after it, less the RSS"
            " when it began (the peak reset then, after opening the projector)"
        ),
        (
            "  queries   the report functions on engine_for(url) (the projector's engine) after"
            " a rebuild of all (PostgreSQL: ANALYZE after the first calls); best and median of 5"
        ),
    ]


def rebuild_lines(reports: list[BackendReport], settings: Settings) -> list[str]:
    """Each rebuild beside the raw read made just before it."""
    lines = [
        "",
        (
            f"REBUILD (the first {settings.events:,} events; each rebuild beside the raw read"
            " of the same copy just before it; CPU: this process's, per event)"
        ),
    ]
    for report in reports:
        lines += [f"{report.name:<9} {_pair(result)}" for result in report.rebuilds]
        together = next((r for r in report.rebuilds if r.label.startswith("all")), None)
        alone = [r for r in report.rebuilds if not r.label.startswith("all")]
        if together is not None and alone:
            total = sum(r.rebuild.seconds for r in alone)
            lines.append(
                f"{report.name:<9} the {len(alone)} alone take {total:.1f} s in all, against"
                f" {together.rebuild.seconds:.1f} s in one pass"
            )
    return lines


def memory_lines(reports: list[BackendReport]) -> list[str]:
    """The peak memory at both sizes, and the ratio."""
    lines = [
        "",
        "MEMORY (a rebuild of all in a fresh process; growth: peak RSS less the RSS it began at)",
    ]
    for report in reports:
        lines += [
            f"{report.name:<9} {_memory_line(report.memory[events])}"
            for events in sorted(report.memory)
        ]
        lines += [
            f"{report.name:<9} {_memory_line(report.traced[events])}  (traced run)"
            for events in sorted(report.traced)
        ]
        ratio = memory_ratio(report.memory)
        if ratio is not None:
            small, large = sorted(report.memory)
            lines.append(
                f"{report.name:<9} growth at {large:,} / at {small:,} = {ratio:.2f}"
                f" (flat: <= {MEMORY_FLAT:.2f})  {memory_verdict(report, ratio)}"
            )
    return lines


def query_lines(reports: list[BackendReport]) -> list[str]:
    """Each report at each point: first call, best and median."""
    lines = [
        "",
        (
            f"REPORT QUERIES (ms: the first call after the rebuild, then the best and median of"
            f" 5; target: median < {TARGET_MS:.0f} ms)"
        ),
    ]
    for report in reports:
        if report.full is not None:
            lines.append(f"{report.name:<9} rebuild before the queries: {_pair(report.full)}")
        if report.sizes:
            sizes = ", ".join(
                f"{name} {rows:,}"
                for name, rows in sorted(report.sizes.items(), key=lambda item: -item[1])
            )
            lines.append(f"{report.name:<9} rows: {sizes}")
        lines += [f"{report.name:<9} {_timing_line(timing)}" for timing in report.timings]
    return lines


def _timing_line(timing: Timing) -> str:
    where = f"{timing.report:<18} {timing.point.label:<14} {timing.period:<18}"
    if timing.error is not None:
        return f"{where} ERROR {timing.error}"
    return (
        f"{where} first {1000 * timing.first:7.1f}   best {1000 * timing.best:7.1f}   median"
        f" {1000 * timing.median:7.1f}   {len(timing.statements)} statements"
        f"  {verdict(timing.meets)}"
    )


_REPEATED_BINDS = re.compile(r"(?:(?:\?|%\(\w+\)s)\s*,\s*){2,}(?:\?|%\(\w+\)s)")


def _compact_sql(sql: str, limit: int | None) -> str:
    """One line; a long list of bind markers shortened to ``?, …``."""
    line = _REPEATED_BINDS.sub(lambda m: f"?, … ({m.group(0).count(',') + 1} values)", sql)
    line = " ".join(line.split())
    return line if limit is None or len(line) <= limit else line[: limit - 1] + "…"


def _explained(timings: list[Timing]) -> list[Timing]:
    """Each report's slowest point, and every other point over the target, in run order."""
    slowest: dict[str, Timing] = {}
    for timing in timings:
        if timing.error is None and (
            timing.report not in slowest or timing.median > slowest[timing.report].median
        ):
            slowest[timing.report] = timing
    chosen = set(map(id, slowest.values()))
    return [t for t in timings if id(t) in chosen or (t.error is None and not t.meets)]


def plan_lines(reports: list[BackendReport]) -> list[str]:
    """Each report at its slowest point and any point over the target: every statement."""
    lines = [
        "",
        (
            "PLANS (each report at its slowest point and at any point over the target: every"
            " distinct statement, its time alone for all its executions, and its plan; !! marks"
            " a full scan of a big table)"
        ),
    ]
    for report in reports:
        for timing in _explained(report.timings):
            lines.append(
                f"{report.name:<9} {timing.report} at {timing.point.label} ({timing.period}):"
                f" median {1000 * timing.median:.1f} ms, {len(timing.statements)} statements"
            )
            for number, statement in enumerate(timing.statements, 1):
                ms = 1000 * statement.seconds
                full = ms >= TARGET_MS / 4 or bool(statement.scans)
                lines.append(
                    f"  [{number}] {ms:7.1f} ms, {statement.rows:,} rows,"
                    f" {len(statement.parameters)} execution(s):"
                    f" {_compact_sql(statement.sql, None if full else 160)}"
                )
                lines += [f"        {line[:220]}" for line in statement.plan]
                lines += [f"      !! {scan}" for scan in statement.scans]
    return lines


def summary_lines(reports: list[BackendReport], postgres: str | None) -> list[str]:
    """PASS/FAIL against each target."""
    lines = ["", "SUMMARY"]
    for report in reports:
        name = f"{report.name:<9}"
        if report.skipped is not None:
            lines.append(f"  NOT RUN  {name} {report.skipped}")
            continue
        lines += [
            f"  {verdict(result.ratio >= REBUILD_TARGET)}  {name} rebuild"
            f" {result.label:<20} {result.ratio:.2f} of the raw read"
            f" ({result.rebuild.rate:,.0f} against {result.raw.rate:,.0f} events/s;"
            f" target >= {REBUILD_TARGET:.2f})"
            for result in report.rebuilds
        ]
        ratio = memory_ratio(report.memory)
        if ratio is not None:
            small, large = sorted(report.memory)
            lines.append(
                f"  {memory_verdict(report, ratio).split()[0]}  {name} memory  peak growth at"
                f" {large:,} / at {small:,} events = {ratio:.2f}"
                f" ({_mib(report.memory[small].growth_kib)}"
                f" -> {_mib(report.memory[large].growth_kib)}; flat: <= {MEMORY_FLAT:.2f})"
            )
        timed = [timing for timing in report.timings if timing.error is None]
        if timed:
            worst = max(timed, key=lambda timing: timing.median)
            within = sum(timing.meets for timing in timed)
            lines.append(
                f"  {verdict(within == len(report.timings))}  {name} queries  {within}/"
                f"{len(report.timings)} report calls with a median under {TARGET_MS:.0f} ms;"
                f" slowest {worst.report} at {worst.point.label} ({worst.period}):"
                f" {1000 * worst.median:.1f} ms"
            )
        lines += [f"  ERROR  {name} {error}" for error in report.errors]
    lines.append(f"  machine: {machine_summary(postgres)}")
    return lines


def report_lines(
    args: argparse.Namespace,
    settings: Settings,
    corpus: Corpus,
    reports: list[BackendReport],
    *,
    machine: list[str],
    fingerprint: str | None,
) -> list[str]:
    """The whole printed report; ``machine`` and ``fingerprint`` were taken at the start."""
    postgres = args.postgres_url if "postgres" in args.backends else None
    lines = header_lines(args, settings, corpus, machine)
    if fingerprint is not None and source_fingerprint() != fingerprint:
        lines.append(
            f"note      : src/ changed during the run (at its end: {source_revision()}); the"
            " figures are for the source as this process imported it at the start, but each"
            " memory run imported it afresh"
        )
    lines += ["", "RUN (wall time; load)"]
    lines += [report.run or f"{report.name:<9} NOT RUN: {report.skipped}" for report in reports]
    lines += rebuild_lines(reports, settings)
    if not args.skip_memory:
        lines += memory_lines(reports)
    if not args.skip_queries:
        lines += query_lines(reports) + plan_lines(reports)
    return lines + summary_lines(reports, postgres)


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the report; always exits 0."""
    args = parse_args(argv)
    settings = settings_for(args)
    quiet_logging()
    machine = machine_lines(args.postgres_url if "postgres" in args.backends else None)
    fingerprint = source_fingerprint()
    with tempfile.TemporaryDirectory(prefix="propdesk-bench-projections-") as directory:
        work = Path(directory)
        corpus = obtain_corpus(args, settings, work)
        reports = [measure_backend(name, args, settings, corpus, work) for name in args.backends]
    print(
        "\n".join(
            report_lines(args, settings, corpus, reports, machine=machine, fingerprint=fingerprint)
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
