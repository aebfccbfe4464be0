"""Commands per second and long-ticket latency: propdesk against a bare eventsourcing app.

Run from the repository root::

    .venv/bin/python benchmarks/bench_commands.py                # full size, both backends
    .venv/bin/python benchmarks/bench_commands.py --quick        # a smoke run (CI)

It measures, on SQLite and on PostgreSQL in the same run:

1. throughput of realistic repair lifecycles through ``desk.execute`` (with and without
   ``command_id``) and through a bare eventsourcing application that stores the same events
   (see ``_throughput.py`` and ``_bare.py``);
2. per-command latency on a 5-event and a 500-event ticket (see ``_latency.py``);

and prints each figure beside its peer's, the ratios, and PASS/FAIL against the targets.
The exit code is 0 whether or not a target is met: this is a measurement, not a test.
See ``docs/benchmarks.md`` for the method and the figures.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from _backends import (
    add_backend_options,
    load_average,
    machine_lines,
    machine_summary,
    open_backend,
    parse_backend_options,
    positive,
    postgres_problem,
    safe_url,
)
from _latency import SHORT_EVENTS, LatencyResult, measure_latency
from _lifecycle import LIFECYCLES, commands_per_ticket
from _throughput import (
    PROPDESK_CACHE_SIZE,
    PayloadCheck,
    ThroughputResult,
    check_payloads,
    measure_throughput,
)
from propdesk.persistence.store import SNAPSHOT_INTERVAL

THROUGHPUT_TARGET = 0.80
"""propdesk's throughput must be at least this share of the like-for-like bare peer's."""
LATENCY_TARGET = 1.50
"""A command on a 500-event ticket may take at most this many times one on a 5-event ticket."""
HEADLINE_PEER = "bare(cache)"


@dataclass(frozen=True)
class Settings:
    """How big a run is."""

    tickets: int
    rounds: int
    warmup: int
    chunk: int
    long_events: int
    long_tickets: int
    blocks: int


@dataclass
class BackendReport:
    """Everything measured on one backend, or why it was skipped."""

    name: str
    skipped: str | None = None
    payloads: list[PayloadCheck] | None = None
    throughput: ThroughputResult | None = None
    latency: list[LatencyResult] | None = None
    run: str = ""
    """How long it took, and the machine's load averages before and after."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--tickets", type=positive, default=30, help="tickets per runner, per round"
    )
    parser.add_argument("--rounds", type=positive, default=5, help="rounds (medians reported)")
    add_backend_options(parser)
    return parse_backend_options(parser, argv)


def settings_for(args: argparse.Namespace) -> Settings:
    """Full-size settings, or tiny ones with ``--quick``."""
    if args.quick:
        return Settings(
            tickets=4, rounds=1, warmup=1, chunk=2, long_events=100, long_tickets=1, blocks=2
        )
    return Settings(
        args.tickets,
        args.rounds,
        warmup=max(2, args.tickets // 20),
        chunk=2,
        long_events=500,
        long_tickets=2,
        blocks=10,
    )


def progress(line: str) -> None:
    """Progress goes to stderr, so stdout holds only the report."""
    print(line, file=sys.stderr, flush=True)


def quiet_logging() -> None:
    """Filters propdesk's per-command log lines, as a production program configures it."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def measure_backend(name: str, args: argparse.Namespace, settings: Settings) -> BackendReport:
    """Runs every measurement on one backend."""
    if name == "postgres":
        problem = postgres_problem(args.postgres_url)
        if problem is not None:
            where = safe_url(args.postgres_url)
            return BackendReport(name, skipped=f"cannot connect to {where}: {problem}")
    progress(f"{name}: throughput, {settings.rounds} rounds of {settings.tickets} tickets")
    began, load_before = time.perf_counter(), load_average()
    with open_backend(name, args.postgres_url) as backend:
        payloads = check_payloads(backend)
        throughput = measure_throughput(
            backend,
            tickets=settings.tickets,
            rounds=settings.rounds,
            warmup=settings.warmup,
            chunk=settings.chunk,
            progress=progress,
        )
        progress(f"{name}: latency, {settings.long_events}-event against {SHORT_EVENTS}-event")
        latency = measure_latency(
            backend,
            long_events=settings.long_events,
            long_tickets=settings.long_tickets,
            blocks=settings.blocks,
            progress=progress,
        )
    run = (
        f"{name:<9} {time.perf_counter() - began:.0f} s; load average before {load_before},"
        f" after {load_average()}"
    )
    return BackendReport(name, payloads=payloads, throughput=throughput, latency=latency, run=run)


# ---------------------------------------------------------------------- the report


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def header_lines(args: argparse.Namespace, settings: Settings, backends: list[str]) -> list[str]:
    """Date, machine, command and the options each side runs with."""
    shapes = ", ".join(f"{name} {len(steps)} commands" for name, steps in LIFECYCLES)
    argv = [safe_url(arg) for arg in sys.argv[1:]]
    command = shlex.join([".venv/bin/python", "benchmarks/bench_commands.py", *argv])
    postgres = args.postgres_url if "postgres" in backends else None
    workload = (
        f"workload  : lifecycles alternate ({shapes}; {commands_per_ticket():.1f} commands/ticket);"
        f" {settings.tickets} tickets per runner per round, runners taking turns"
        f" {settings.chunk} tickets at a time in rotating order; {settings.rounds} round(s),"
        f" median reported; warm-up {settings.warmup} tickets per runner"
    )
    quick = (
        ["note      : --quick smoke run (tiny sizes, a short 'long' ticket): not a measurement"]
        if args.quick
        else []
    )
    return [
        f"propdesk command benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        *quick,
        *machine_lines(postgres),
        f"command   : {command}",
        workload,
        "options   :",
        *OPTIONS,
    ]


OPTIONS = (
    (
        f"  propdesk     open_desk() defaults: AGGREGATE_CACHE_MAXSIZE={PROPDESK_CACHE_SIZE},"
        f" snapshots of Repair every {SNAPSHOT_INTERVAL} events; ManualClock; structlog filtered"
        " at WARNING;"
        " no command_id"
    ),
    (
        "  propdesk+id  the same desk; every command carries a fresh command_id"
        " (receipt lookup before, receipt saved with the events)"
    ),
    "  bare         eventsourcing Application defaults: no aggregate cache, no snapshots",
    (
        f"  bare(cache)  the same plus AGGREGATE_CACHE_MAXSIZE={PROPDESK_CACHE_SIZE}"
        " (the like-for-like peer; no snapshots)"
    ),
    (
        "  all          PERSISTENCE_MODULE=eventsourcing.sqlite (a file in a temp dir) or"
        " eventsourcing.postgres (a fresh schema); cache fast-forward and deepcopy-from-cache"
        " at eventsourcing's defaults (on)"
    ),
)
"""Which eventsourcing options each runner uses."""


def payload_lines(report: BackendReport) -> list[str]:
    """The check that both sides stored the same events."""
    return [
        f"{report.name:<9} {c.lifecycle:<12} propdesk {c.propdesk_events} events"
        f" {c.propdesk_bytes} B   bare {c.bare_events} events {c.bare_bytes} B"
        for c in report.payloads or []
    ]


def _figure(result: ThroughputResult, label: str) -> str:
    rounds = " ".join(f"{rate:.0f}" for rate in result.rates[label])
    return f"{label:<11} {result.median(label):5.0f} cmd/s [{rounds}]"


def _ratio(result: ThroughputResult, label: str, peer: str) -> str:
    rounds = " ".join(f"{ratio:.2f}" for ratio in result.round_ratios(label, peer))
    return f"ratio {result.ratio(label, peer):.2f} [{rounds}]"


def throughput_lines(result: ThroughputResult) -> list[str]:
    """Each propdesk figure beside its peer's, with the ratio."""
    name = f"{result.backend:<9}"
    ok = result.ratio("propdesk", HEADLINE_PEER) >= THROUGHPUT_TARGET
    peer = _figure(result, HEADLINE_PEER)
    cpu = ", ".join(f"{label} {result.median_cpu(label):.2f} ms" for label in result.cpu)
    return [
        (
            f"{name} {_figure(result, 'propdesk')}   {peer}"
            f"   {_ratio(result, 'propdesk', HEADLINE_PEER)}"
            f" (target >= {THROUGHPUT_TARGET:.2f})  {verdict(ok)}"
        ),
        (
            f"{name} {_figure(result, 'propdesk+id')}   {peer}"
            f"   {_ratio(result, 'propdesk+id', HEADLINE_PEER)} (no target: receipts)"
        ),
        (
            f"{name} {_figure(result, 'propdesk')}   {_figure(result, 'bare')}"
            f"   {_ratio(result, 'propdesk', 'bare')} (against eventsourcing defaults)"
        ),
        f"{name} client CPU per command (median): {cpu}",
    ]


def latency_line(result: LatencyResult) -> str:
    """Both ticket sizes' latencies, with the ratio."""
    ok = result.ratio <= LATENCY_TARGET
    return (
        f"{result.backend:<9} {result.mode:<9}  {SHORT_EVENTS}-event p50 {result.short.p50:5.2f}"
        f" p95 {result.short.p95:5.2f}   {result.long_events}-event p50 {result.long.p50:5.2f}"
        f" p95 {result.long.p95:5.2f}   (n={result.short.count}/{result.long.count})"
        f"   ratio p50 {result.ratio:.2f} (target <= {LATENCY_TARGET:.2f}) {verdict(ok)}"
        f"   p95 ratio {result.p95_ratio:.2f}"
    )


def summary_lines(report: BackendReport) -> list[str]:
    """PASS/FAIL against each target on one backend."""
    name = f"{report.name:<9}"
    if report.skipped is not None or report.throughput is None:
        return [f"  NOT RUN  {name} {report.skipped}"]
    ratio = report.throughput.ratio("propdesk", HEADLINE_PEER)
    throughput = (
        f"  {verdict(ratio >= THROUGHPUT_TARGET)}  {name} throughput  propdesk / {HEADLINE_PEER}"
        f" = {ratio:.2f}  (target >= {THROUGHPUT_TARGET:.2f})"
    )
    lines = [throughput]
    lines.extend(
        f"  {verdict(latency.ratio <= LATENCY_TARGET)}  {name} latency     {latency.long_events}"
        f"-event / {SHORT_EVENTS}-event p50 = {latency.ratio:.2f}  (target <="
        f" {LATENCY_TARGET:.2f}; {latency.mode})"
        for latency in report.latency or []
    )
    return lines


def report_lines(
    args: argparse.Namespace, settings: Settings, backends: list[str], reports: list[BackendReport]
) -> list[str]:
    """The whole printed report."""
    lines = [*header_lines(args, settings, backends), "", "RUN (wall time; 1/5/15-minute load)"]
    lines += [report.run for report in reports if report.run]
    lines += ["", "STORED EVENTS (one ticket of each lifecycle; bytes of JSON state)"]
    for report in reports:
        lines += payload_lines(report)
    lines += [
        "",
        "THROUGHPUT (commands/second: median [each round]; ratio: median of the rounds' ratios)",
    ]
    for report in reports:
        if report.throughput is not None:
            lines += throughput_lines(report.throughput)
    lines += [
        "",
        (
            "LATENCY (ms per command, build + desk.execute; revisit-loop commands on a"
            f" {SHORT_EVENTS}-event and a {settings.long_events}-event ticket)"
        ),
    ]
    for report in reports:
        lines += [latency_line(result) for result in report.latency or []]
    lines += ["", "SUMMARY"]
    for report in reports:
        lines += summary_lines(report)
    postgres = args.postgres_url if "postgres" in backends else None
    lines.append(f"  machine: {machine_summary(postgres)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the report; always exits 0."""
    args = parse_args(argv)
    settings = settings_for(args)
    backends: list[str] = args.backends
    quiet_logging()
    reports = [measure_backend(name, args, settings) for name in backends]
    print("\n".join(report_lines(args, settings, backends, reports)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
