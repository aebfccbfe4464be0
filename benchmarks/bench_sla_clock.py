"""What the SLA clock costs per command: the seeds' policy on, against no SLA clock at all.

Run from the repository root::

    .venv/bin/python benchmarks/bench_sla_clock.py                # full size, both backends
    .venv/bin/python benchmarks/bench_sla_clock.py --quick        # a smoke run (CI)

It measures, in the same run (see ``_sla_clock.py``):

1. **decide only**: the throughput benchmark's repair lifecycles decided by the domain alone
   (in memory, no store), with a ``Decision`` carrying the seeds' policy and China's calendar
   against one carrying neither: microseconds per command both ways, the difference (the
   clock's cost per command) and the ratio, and where the difference goes;
2. **deadline arithmetic**: ``Goal.due`` for each goal clock (elapsed, calendar days, end of
   day, before an anchor, working days, working time; the working clocks also across China's
   National Day 2026), in microseconds per call, against the elapsed clock;
3. **end to end**: commands per second through ``desk.execute`` on SQLite and PostgreSQL, a
   desk with ``policy=default_policy()`` against one with ``policy=None`` (same lifecycles,
   same database, same cache), with the events, bytes and snapshots each side stores, and for
   information a third desk with the clock on and snapshots every 50 events (no snapshot in
   these tickets), which separates the snapshot the goal events bring forward from the rest.

Each figure is printed beside its peer's with the ratio, and the end-to-end ratio is checked
against the target (:data:`END_TO_END_TARGET`). The exit code is 0 whether or not the target
is met: this is a measurement, not a test. See ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

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
from _lifecycle import LIFECYCLES, commands_per_ticket
from _sla_clock import (
    OFF,
    ON,
    ON_50,
    Breakdown,
    DecideResult,
    DeskResult,
    DueResult,
    decide_breakdown,
    measure_decide,
    measure_desk,
    measure_due,
    median,
)
from _throughput import PROPDESK_CACHE_SIZE, ThroughputResult
from bench_commands import progress, quiet_logging, verdict
from propdesk.persistence.store import SNAPSHOT_INTERVAL

END_TO_END_TARGET = 0.80
"""A desk on the SLA clock must apply at least this share of the commands per second of a desk
without one: the clock may cost at most a fifth of the throughput, the same allowance the
project gives propdesk over the bare eventsourcing library (bench_commands.py)."""


@dataclass(frozen=True)
class Settings:
    """How big a run is."""

    decide_tickets: int
    decide_rounds: int
    due_calls: int
    due_repeats: int
    tickets: int
    rounds: int
    warmup: int
    chunk: int


@dataclass
class BackendReport:
    """The end-to-end figures on one backend, or why they were not measured."""

    name: str
    skipped: str | None = None
    result: DeskResult | None = None
    run: str = ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--tickets", type=positive, default=40, help="end to end: tickets per side, per round"
    )
    parser.add_argument(
        "--rounds", type=positive, default=5, help="end to end: rounds (medians reported)"
    )
    add_backend_options(parser)
    return parse_backend_options(parser, argv)


def settings_for(args: argparse.Namespace) -> Settings:
    """Full-size settings, or tiny ones with ``--quick``."""
    if args.quick:
        return Settings(
            decide_tickets=20,
            decide_rounds=2,
            due_calls=200,
            due_repeats=3,
            tickets=4,
            rounds=1,
            warmup=1,
            chunk=2,
        )
    return Settings(
        decide_tickets=200,
        decide_rounds=7,
        due_calls=2000,
        due_repeats=7,
        tickets=args.tickets,
        rounds=args.rounds,
        warmup=max(2, args.tickets // 20),
        chunk=2,
    )


def measure_backend(name: str, args: argparse.Namespace, settings: Settings) -> BackendReport:
    """The end-to-end measurement on one backend."""
    if name == "postgres":
        problem = postgres_problem(args.postgres_url)
        if problem is not None:
            where = safe_url(args.postgres_url)
            return BackendReport(name, skipped=f"cannot connect to {where}: {problem}")
    progress(f"{name}: end to end, {settings.rounds} rounds of {settings.tickets} tickets a side")
    began, load_before = time.perf_counter(), load_average()
    with open_backend(name, args.postgres_url) as backend:
        result = measure_desk(
            backend,
            tickets=settings.tickets,
            rounds=settings.rounds,
            warmup=settings.warmup,
            chunk=settings.chunk,
            progress=progress,
        )
    run = (
        f"{name:<9} {time.perf_counter() - began:.0f} s; load average before {load_before},"
        f" after {load_average()}"
    )
    return BackendReport(name, result=result, run=run)


# ---------------------------------------------------------------------- the report


def header_lines(args: argparse.Namespace, settings: Settings, backends: list[str]) -> list[str]:
    """Date, machine, command, workload and the two sides' settings."""
    shapes = ", ".join(f"{name} {len(steps)} commands" for name, steps in LIFECYCLES)
    argv = [safe_url(arg) for arg in sys.argv[1:]]
    command = shlex.join([".venv/bin/python", "benchmarks/bench_sla_clock.py", *argv])
    postgres = args.postgres_url if "postgres" in backends else None
    quick = ["note      : --quick smoke run (tiny sizes): not a measurement"] if args.quick else []
    return [
        f"propdesk SLA clock benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        *quick,
        *machine_lines(postgres),
        f"command   : {command}",
        (
            f"workload  : bench_commands.py's lifecycles alternate ({shapes};"
            f" {commands_per_ticket():.1f} commands/ticket)"
        ),
        (
            f"  decide only   {settings.decide_tickets} tickets a side per round,"
            f" {settings.decide_rounds} rounds, sides taking turns 2 tickets at a time;"
            " commands and Decisions built before timing"
        ),
        (
            f"  Goal.due      {settings.due_calls} calls per case per repeat,"
            f" {settings.due_repeats} repeats, cases taking turns"
        ),
        (
            f"  end to end    {settings.tickets} tickets a side per round, {settings.rounds}"
            f" round(s), sides taking turns {settings.chunk} tickets at a time in alternating"
            f" order; warm-up {settings.warmup} tickets a side"
        ),
        "sides     :",
        (
            f"  {ON:<8} the seeds' policy (propdesk.default_policy(), sla_seeds.toml) and"
            " propdesk.china_calendar(); in a desk: open_desk(url, policy=default_policy())"
        ),
        f"  {OFF:<8} policy=None, calendar=None: no SLA clock",
        (
            f"  {ON_50:<8} end to end only, for information: SLA on with snapshot_interval=50,"
            " so that no ticket here takes a snapshot"
        ),
        (
            f"  both     open_desk(url, organisations=[sample_organisation()], clock=ManualClock,"
            f" cache_size={PROPDESK_CACHE_SIZE}), snapshots every {SNAPSHOT_INTERVAL} events,"
            " no command_id, structlog filtered at WARNING; both desks on one database"
        ),
    ]


def decide_lines(result: DecideResult, breakdown: Breakdown, due: DueResult) -> list[str]:
    """Decide-only figures and where the difference goes."""
    on, off = result.per_command(ON), result.per_command(OFF)
    rounds = " ".join(f"{on - off:.1f}" for on, off in zip(*result.micros.values(), strict=True))
    clocks = ", ".join(f"{n} {clock}" for clock, n in sorted(breakdown.deadlines_by_clock.items()))
    return [
        (
            f"  {ON:<8} {on:6.1f} us/command   ({result.events[ON]:.2f} events/command)"
            f"   [{' '.join(f'{v:.1f}' for v in result.micros[ON])}]"
        ),
        (
            f"  {OFF:<8} {off:6.1f} us/command   ({result.events[OFF]:.2f} events/command)"
            f"   [{' '.join(f'{v:.1f}' for v in result.micros[OFF])}]"
        ),
        (
            f"  the clock's cost: {result.difference():+.1f} us/command [{rounds}]"
            f"   ratio SLA on / off (time per command) {result.ratio():.2f}"
        ),
        "  where it goes (SLA on, timers around the goal tracking; us/command):",
        (
            f"    Ticket._track_goals, after each of {breakdown.tracked_events:.2f} events/command"
            f"   {breakdown.track_goals:5.1f}"
        ),
        (
            f"      goal_changes (which goals change, deadlines;"
            f" {breakdown.deadlines:.2f} Goal.due/command)   {breakdown.goal_changes:5.1f}"
        ),
        (
            "        of which Goal.due itself (those deadlines at the per-call times below)"
            f"   {breakdown.arithmetic(due.per_call):5.1f}"
        ),
        (
            f"      _record_goal_change (trigger + apply {breakdown.goal_events:.2f} goal"
            f" events/command)   {breakdown.record_goal_events:5.1f}"
        ),
        (
            f"      the rest (policy check, Occurrence.of: the event's fields as facts)"
            f"   {breakdown.rest_of_tracking:5.1f}"
        ),
        (
            f"    outside it (PolicyPinned on the log, Decision fields): about"
            f" {result.difference() - breakdown.track_goals:+.1f}"
        ),
        f"  deadlines computed per ticket pair (one of each lifecycle), by clock: {clocks}",
    ]


def due_lines(result: DueResult) -> list[str]:
    """Goal.due per call for each clock, against the elapsed clock."""
    lines = []
    peer = result.cases[0].label
    for case in result.cases:
        due = result.due[case.label].astimezone(case.start.tzinfo)
        ratio = "(peer)" if case.label == peer else f"ratio {result.ratio(case.label):5.1f}"
        lines.append(
            f"  {case.label:<20} {result.per_call(case.label):6.2f} us/call   {ratio:<12}"
            f" {case.start:%a %m-%d %H:%M} -> {due:%a %m-%d %H:%M}   {case.note}"
        )
    return lines


def _rounds(values: list[float], spec: str) -> str:
    return " ".join(format(value, spec) for value in values)


def _round_cost(throughput: ThroughputResult, label: str, peer: str) -> float:
    """The median of the rounds' differences in wall time per command (µs), label minus peer."""
    pairs = zip(throughput.rates[label], throughput.rates[peer], strict=True)
    return median([1e6 / mine - 1e6 / theirs for mine, theirs in pairs])


def desk_lines(report: BackendReport) -> list[str]:
    """Both desks' commands per second, the ratio, and what each stores."""
    name = f"{report.name:<9}"
    if report.result is None:
        return [f"{name} NOT RUN: {report.skipped}"]
    result = report.result
    throughput = result.throughput
    on, off = throughput.median(ON), throughput.median(OFF)
    ratio = throughput.ratio(ON, OFF)
    ok = ratio >= END_TO_END_TARGET
    cost = _round_cost(throughput, ON, OFF)
    snapshot = _round_cost(throughput, ON, ON_50)
    unsnapped = throughput.median(ON_50)
    info = (
        f"{name} {ON_50:<9} {unsnapped:5.0f} cmd/s [{_rounds(throughput.rates[ON_50], '.0f')}]"
        f"   ratio to SLA off {throughput.ratio(ON_50, OFF):.2f}"
        f" [{_rounds(throughput.round_ratios(ON_50, OFF), '.2f')}] (info: no snapshots);"
        f" the snapshot costs {snapshot:+.0f} us/command wall (SLA on minus SLA on/50)"
    )
    return [
        f"{name} {ON:<9} {on:5.0f} cmd/s [{_rounds(throughput.rates[ON], '.0f')}]",
        f"{name} {OFF:<9} {off:5.0f} cmd/s [{_rounds(throughput.rates[OFF], '.0f')}]",
        (
            f"{name} ratio SLA on / off {ratio:.2f}"
            f" [{_rounds(throughput.round_ratios(ON, OFF), '.2f')}]"
            f" (target >= {END_TO_END_TARGET:.2f})  {verdict(ok)};"
            f" the clock costs {cost:+.0f} us/command wall"
        ),
        (
            f"{name} client CPU per command (median): {ON} {throughput.median_cpu(ON):.2f} ms,"
            f" {OFF} {throughput.median_cpu(OFF):.2f} ms"
            f" ({(throughput.median_cpu(ON) - throughput.median_cpu(OFF)) * 1000:+.0f} us),"
            f" {ON_50} {throughput.median_cpu(ON_50):.2f} ms"
        ),
        info,
        (
            f"{name} stored per command: {ON} {result.events_per_command(ON):.2f} events"
            f" {result.bytes_per_command(ON):.0f} B, {OFF} {result.events_per_command(OFF):.2f}"
            f" events {result.bytes_per_command(OFF):.0f} B; snapshots per ticket {ON}"
            f" {result.snapshots_per_ticket(ON):.1f}, {OFF} {result.snapshots_per_ticket(OFF):.1f}"
        ),
    ]


def stored_lines(reports: list[BackendReport]) -> list[str]:
    """One ticket of each lifecycle on each side (from the first backend measured)."""
    for report in reports:
        if report.result is not None:
            return [
                (
                    f"  {s.lifecycle:<12} {s.label:<9} {s.commands} commands  {s.events} events"
                    f" ({s.goal_events} PolicyPinned/Goal*)  {s.json_bytes} B JSON"
                    f"  {s.snapshots} snapshot(s)"
                )
                for s in report.result.stored
            ]
    return ["  (no backend measured)"]


def summary_lines(
    decide: DecideResult, due: DueResult, reports: list[BackendReport], postgres: str | None
) -> list[str]:
    """The headline figures and PASS/FAIL."""
    natday = "working_days/NatDay"
    lines = [
        (
            f"  info  decide only   SLA clock {decide.difference():+.1f} us/command"
            f" ({decide.per_command(ON):.1f} against {decide.per_command(OFF):.1f};"
            f" ratio {decide.ratio():.2f}; no target)"
        ),
        (
            f"  info  Goal.due      working days across National Day {due.per_call(natday):.1f}"
            f" us/call = {due.ratio(natday):.0f}x the elapsed clock's"
            f" {due.per_call(due.cases[0].label):.2f} us (no target)"
        ),
    ]
    for report in reports:
        name = f"{report.name:<9}"
        if report.result is None:
            lines.append(f"  NOT RUN  {name} {report.skipped}")
            continue
        ratio = report.result.throughput.ratio(ON, OFF)
        lines.append(
            f"  {verdict(ratio >= END_TO_END_TARGET)}  {name} end to end  SLA on / SLA off ="
            f" {ratio:.2f}  (target >= {END_TO_END_TARGET:.2f})"
        )
    lines.append(f"  machine: {machine_summary(postgres)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the report; always exits 0."""
    args = parse_args(argv)
    settings = settings_for(args)
    backends: list[str] = args.backends
    quiet_logging()
    began, load_before = time.perf_counter(), load_average()
    progress(f"decide only: {settings.decide_rounds} rounds of {settings.decide_tickets} tickets")
    decide = measure_decide(
        tickets=settings.decide_tickets,
        rounds=settings.decide_rounds,
        chunk=2,
        warmup=max(2, settings.decide_tickets // 10),
    )
    breakdown = decide_breakdown(tickets=settings.decide_tickets)
    progress(f"Goal.due: {settings.due_repeats} repeats of {settings.due_calls} calls")
    due = measure_due(calls=settings.due_calls, repeats=settings.due_repeats)
    pure_run = (
        f"in memory {time.perf_counter() - began:.0f} s; load average before {load_before},"
        f" after {load_average()}"
    )
    reports = [measure_backend(name, args, settings) for name in backends]
    postgres = args.postgres_url if "postgres" in backends else None
    lines = [
        *header_lines(args, settings, backends),
        "",
        "RUN (wall time; 1/5/15-minute load)",
        pure_run,
        *(report.run for report in reports if report.run),
        "",
        "DECIDE ONLY (in memory, no store; us per command: median of the rounds [each round])",
        *decide_lines(decide, breakdown, due),
        "",
        "DEADLINE ARITHMETIC (Goal.due, us per call: median of the repeats; ratio to elapsed)",
        *due_lines(due),
        "",
        "STORED (one ticket of each lifecycle per side; JSON state bytes; snapshot rows)",
        *stored_lines(reports),
        "",
        (
            "END TO END (desk.execute, commands/second: median [each round]; ratio: median of"
            " the rounds' ratios)"
        ),
    ]
    for report in reports:
        lines += desk_lines(report)
    lines += ["", "SUMMARY", *summary_lines(decide, due, reports, postgres)]
    print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
