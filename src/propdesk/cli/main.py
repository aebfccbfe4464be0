"""The ``propdesk`` entry point: argument parsing, logging set-up, and one-line errors.

Subcommands::

    propdesk demo [--db URL] [--repairs N] [--complaints N] [--days N] [--seed S]
                  [--date YYYY-MM-DD] [--organisation PATH]
    propdesk history TICKET [--db URL] [--show-personal-data] [--json]
    propdesk db init [--db URL]
    propdesk lifecycle [--kind repair|complaint] [--format mermaid|table]
    propdesk projections status | catch-up [NAME...] | rebuild [NAME...] [--processes N] [--db URL]
    propdesk report daily | complaints | weekly [--date YYYY-MM-DD]
                    | monthly [--month YYYY-MM] [--households N] [--chart FILE.png] [--as-of T]
                    [--estate E] [--format table|csv|json] [--section S] [--no-catch-up]
    propdesk sla what-if --policy FILE [--db URL] [--ticket T]... [--from DAY] [--until DAY]
                         [--as-of TIME] [--format table|json|csv] [--runs]
    propdesk worker [--once] [--env-file FILE] [--db URL] [--organisation PATH]...

Any :class:`~propdesk.domain.errors.PropdeskError` (a store that is down or not initialised,
a bad URL, an unknown ticket...) is printed as ``propdesk: error: <message>`` on stderr with
exit code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog

from propdesk import __version__
from propdesk.cli import projections as projection_commands
from propdesk.cli.common import CliError, database_url, organisation_from, stdout_console
from propdesk.cli.database import DEMO_URL, initialise
from propdesk.cli.demo_run import DemoOptions, run_demo
from propdesk.cli.history import HistoryOptions, show_history
from propdesk.cli.lifecycle import FORMATS, KINDS, lifecycle_table, lifecycle_text
from propdesk.cli.reporting import FORMATS as REPORT_FORMATS
from propdesk.cli.reporting import KINDS as REPORT_KINDS
from propdesk.cli.reporting import ReportOptions, run_report
from propdesk.cli.what_if import FORMATS as WHAT_IF_FORMATS
from propdesk.cli.what_if import WhatIfOptions, run_what_if
from propdesk.demo import DEMO_DAY, DemoSettings
from propdesk.domain.errors import PropdeskError

if TYPE_CHECKING:
    from collections.abc import Callable

    Handler = Callable[[argparse.Namespace], int]
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]  # noqa: SLF001 - no public name

EXIT_USAGE = 2
"""Exit code for errors the user can act on: bad input, unknown ticket, database trouble."""
EXIT_INTERRUPTED = 130
"""Exit code after Ctrl-C, as shells report it."""
EXIT_BROKEN_PIPE = 141
"""Exit code when the reader of the output went away (128 + SIGPIPE), as shells report it."""

_DEMO_DESCRIPTION = f"""\
Simulate working days at one estate's service desk: each day a few hundred repair requests
and a few complaints arrive between 08:00 and 20:00 and go through the desk, step by step, as
ordinary commands; callbacks, fees, rework and complaint handling continue for two more days
after the last. Then print the report of the period, read back from the desk. The read
models and `propdesk report` work on the database the demo leaves.

Database: without --db the demo uses its own file {DEMO_URL},
deleting it first, so every run starts fresh. A database given with --db is initialised if
needed and must not hold tickets yet; the demo refuses one that does, so it never mixes with
real data.
"""


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse already printed
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    _configure_logging(verbose=bool(args.verbose))
    handler: Handler = args.handler
    try:
        return handler(args)
    except (PropdeskError, CliError) as error:
        print(f"propdesk: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("propdesk: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as cat does
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115, PTH123 - a last write must not fail again
        return EXIT_BROKEN_PIPE


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
        help="log each command at INFO level on stderr",
    )  # fmt: skip
    parser = argparse.ArgumentParser(
        prog="propdesk",
        description="An event-sourced work-order engine for a property-management service desk.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"propdesk {__version__}")
    parser.set_defaults(verbose=False)
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    _add_demo(commands, common)
    _add_history(commands, common)
    _add_db(commands, common)
    _add_lifecycle(commands, common)
    _add_sla(commands, common)
    _add_projections(commands, common)
    _add_report(commands, common)
    _add_worker(commands, common)
    return parser


def _db_option(parser: argparse.ArgumentParser, default_help: str) -> None:
    parser.add_argument("--db", metavar="URL", help=f"database URL (default: {default_help})")


def _organisation_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--organisation", metavar="PATH.toml", type=Path,
        help="the estate's organisation (default: the sample estate 翠苑花园)",
    )  # fmt: skip


def _add_demo(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    demo = commands.add_parser(
        "demo", parents=[common], help="simulate a day at the desk and print the day report",
        description=_DEMO_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    _db_option(demo, f"{DEMO_URL}, recreated on each run")
    demo.add_argument(
        "--repairs", type=_positive, default=300, metavar="N",
        help="repair requests a day (default: 300)",
    )  # fmt: skip
    demo.add_argument(
        "--complaints", type=int, metavar="N",
        help="complaints (投诉) a day (default: one per 20 repairs, at least one)",
    )  # fmt: skip
    demo.add_argument(
        "--days", type=_positive, default=1, metavar="N",
        help="days on which requests arrive, weekends included (default: 1)",
    )  # fmt: skip
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    demo.add_argument(
        "--date", type=_day, default=DEMO_DAY, metavar="YYYY-MM-DD",
        help=f"the first simulated day (default: {DEMO_DAY})",
    )  # fmt: skip
    _organisation_option(demo)
    demo.set_defaults(handler=_demo)


def _add_history(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    history = commands.add_parser(
        "history", parents=[common], help="print a ticket's audit trail",
        description="Print every stored event of a ticket: the audit trail.",
    )  # fmt: skip
    history.add_argument("ticket", metavar="TICKET", help="a ticket id, or a unique start of one")
    _db_option(history, "$PROPDESK_DATABASE_URL, else sqlite:///propdesk.db")
    _organisation_option(history)
    history.add_argument(
        "--show-personal-data", action="store_true",
        help="show owner names and phone numbers (redacted as *** otherwise)",
    )  # fmt: skip
    history.add_argument(
        "--json", action="store_true", dest="as_json", help="print the entries as JSON"
    )
    history.set_defaults(handler=_history)


def _add_db(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    db = commands.add_parser("db", parents=[common], help="database chores")
    chores = db.add_subparsers(title="chores", required=True)
    init = chores.add_parser(
        "init", parents=[common], help="create the propdesk tables if they are missing"
    )
    _db_option(init, "$PROPDESK_DATABASE_URL, else sqlite:///propdesk.db")
    init.set_defaults(handler=_db_init)


def _add_lifecycle(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    lifecycle = commands.add_parser(
        "lifecycle", parents=[common], help="print the repair (or complaint) lifecycle"
    )
    lifecycle.add_argument(
        "--kind", choices=KINDS, default="repair", help="which ticket kind (default: repair)"
    )
    lifecycle.add_argument(
        "--format", choices=FORMATS, default="mermaid",
        help="a Mermaid state diagram, or a table (default: mermaid)",
    )  # fmt: skip
    lifecycle.set_defaults(handler=_lifecycle)


def _add_sla(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    sla = commands.add_parser("sla", parents=[common], help="the SLA clock")
    tasks = sla.add_subparsers(title="tasks", required=True)
    what_if = tasks.add_parser(
        "what-if", parents=[common],
        help="replay stored tickets under a candidate SLA policy; nothing is stored",
        description="Replay stored tickets (those logged in a period, or the ones named) "
        "under a candidate SLA policy and compare, goal by goal, what would have been met or "
        "breached with what actually was. Nothing stored changes.",
    )  # fmt: skip
    what_if.add_argument("--policy", required=True, type=Path, metavar="FILE.toml",
                         help="the candidate policy profile")  # fmt: skip
    _db_option(what_if, "$PROPDESK_DATABASE_URL, else sqlite:///propdesk.db")
    _organisation_option(what_if)
    what_if.add_argument("--ticket", action="append", default=[], metavar="TICKET",
                         help="replay this ticket (repeatable); default: every ticket in the "
                         "period")  # fmt: skip
    what_if.add_argument("--from", dest="logged_from", type=_day, metavar="YYYY-MM-DD",
                         help="first day tickets were logged on (estate's local time)")  # fmt: skip
    what_if.add_argument("--until", dest="logged_until", type=_day, metavar="YYYY-MM-DD",
                         help="last day tickets were logged on (inclusive)")  # fmt: skip
    what_if.add_argument("--as-of", type=_moment, metavar="ISO-TIME",
                         help="judge open runs at this aware time (default: now)")  # fmt: skip
    what_if.add_argument("--format", dest="output", choices=WHAT_IF_FORMATS, default="table",
                         help="table, json or csv (default: table)")  # fmt: skip
    what_if.add_argument("--runs", action="store_true", help="also list every run")
    what_if.set_defaults(handler=_what_if)


def _add_projections(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    projections = commands.add_parser(
        "projections", parents=[common], help="read models: status, catch-up, rebuild"
    )
    chores = projections.add_subparsers(title="chores", required=True)
    status = chores.add_parser(
        "status", parents=[common], help="each projection's position and lag behind the store"
    )
    _db_option(status, "$PROPDESK_DATABASE_URL, else sqlite:///propdesk.db")
    status.set_defaults(handler=lambda args: projection_commands.show_status(database_url(args.db)))
    catch_up = chores.add_parser(
        "catch-up", parents=[common], help="apply every event the projections have not applied"
    )
    catch_up.add_argument("names", nargs="*", metavar="NAME", help="only these projections")
    _db_option(catch_up, "$PROPDESK_DATABASE_URL, else sqlite:///propdesk.db")
    catch_up.set_defaults(
        handler=lambda args: projection_commands.catch_up(database_url(args.db), args.names)
    )
    rebuild = chores.add_parser(
        "rebuild", parents=[common],
        help="rebuild projections from the first event into new tables, then swap them in",
    )  # fmt: skip
    rebuild.add_argument(
        "names", nargs="*", metavar="NAME",
        help="the projections, e.g. board sla_timers (default: all, in one pass)",
    )  # fmt: skip
    rebuild.add_argument(
        "--processes", type=_positive, default=1, metavar="N",
        help="processes that work out the rows (default: 1, this one); up to one per CPU"
        " makes a big rebuild faster",
    )  # fmt: skip
    _db_option(rebuild, "$PROPDESK_DATABASE_URL, else sqlite:///propdesk.db")
    rebuild.set_defaults(
        handler=lambda args: projection_commands.rebuild(
            database_url(args.db), args.names, processes=args.processes
        )
    )


def _add_worker(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    worker = commands.add_parser(
        "worker", parents=[common], help="run the SLA worker: warn, breach, escalate, notify",
        description="Run the SLA worker. Settings come from PROPDESK_WORKER_* environment"
        " variables or --env-file (see workers/worker.env.example); --db and --organisation"
        " override them. Logs are JSON lines on stderr. SIGTERM stops it cleanly.",
    )  # fmt: skip
    worker.add_argument("--once", action="store_true", help="run one tick and exit (for cron)")
    worker.add_argument("--env-file", type=Path, metavar="FILE", help="settings file")
    worker.add_argument("--db", metavar="URL", help="the desk's database URL")
    worker.add_argument(
        "--organisation", metavar="PATH.toml", type=Path, action="append", default=[],
        help="an estate's organisation (repeat for several; default: the sample estate)",
    )  # fmt: skip
    worker.set_defaults(handler=_worker)


def _worker(args: argparse.Namespace) -> int:
    try:  # the worker extra's packages, only when the worker runs
        from propdesk.cli.worker import WorkerOptions, run_worker  # noqa: PLC0415
    except ImportError as error:
        msg = (
            f"the worker needs its extra ({error.name} is missing): pip install 'propdesk[worker]'"
        )
        raise CliError(msg) from error
    options = WorkerOptions(
        once=args.once, env_file=args.env_file, database_url=args.db,
        organisations=tuple(args.organisation), verbose=args.verbose,
    )  # fmt: skip
    return run_worker(options)


def _add_report(commands: Subparsers, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report", parents=[common], help="the seeds' daily, complaint, weekly and monthly reports"
    )
    kinds = report.add_subparsers(title="reports", required=True)
    helps = {
        "daily": "the 17:10 repair completion report: completed, and not completed with why",
        "complaints": "the complaints received on a day, as due by 09:00 the next day",
        "weekly": "the Friday 15:00 weekly repair summary, with callbacks and opinions",
        "monthly": "the monthly KPIs, SLA compliance per goal, people, and days",
    }
    for kind in REPORT_KINDS:
        parser = kinds.add_parser(kind, parents=[common], help=helps[kind])
        if kind == "monthly":
            parser.add_argument("--month", type=_month, metavar="YYYY-MM",
                                help="the month (default: this month at the estate)")  # fmt: skip
            parser.add_argument("--households", type=_positive, metavar="N",
                                help="households at the estate: the complaint rate's base "
                                     "(default: all tickets received)")  # fmt: skip
            parser.add_argument("--chart", type=Path, metavar="FILE.png",
                                help="also draw volume and SLA compliance by day")  # fmt: skip
            parser.add_argument("--as-of", type=_moment, metavar="ISO-TIME",
                                help="judge open callbacks and goals at this time "
                                     "(default: now)")  # fmt: skip
        else:
            default = "yesterday" if kind == "complaints" else "today"
            parser.add_argument("--date", type=_day, metavar="YYYY-MM-DD",
                                help=f"the day (default: {default} at the estate)")  # fmt: skip
        parser.add_argument("--estate", help="only this estate's tickets")
        parser.add_argument("--format", dest="output", choices=REPORT_FORMATS, default="table")
        parser.add_argument("--section", help="the table a CSV holds (default: the main one)")
        parser.add_argument("--no-catch-up", dest="catch_up", action="store_false",
                            help="read the projections as they are")  # fmt: skip
        _db_option(parser, "$PROPDESK_DATABASE_URL, else sqlite:///propdesk.db")
        _organisation_option(parser)
        parser.set_defaults(handler=_report, kind=kind)


# ------------------------------------------------------------------------------- handlers


def _demo(args: argparse.Namespace) -> int:
    settings = DemoSettings(
        repairs=args.repairs, seed=args.seed, day=args.date, days=args.days,
        complaints=args.complaints,
    )  # fmt: skip
    organisation = organisation_from(args.organisation)
    return run_demo(
        DemoOptions(url=args.db or DEMO_URL, organisation=organisation, settings=settings)
    )


def _history(args: argparse.Namespace) -> int:
    options = HistoryOptions(
        ticket=args.ticket, url=database_url(args.db),
        organisation=organisation_from(args.organisation),
        show_personal_data=args.show_personal_data, as_json=args.as_json,
    )  # fmt: skip
    return show_history(options)


def _db_init(args: argparse.Namespace) -> int:
    print(initialise(database_url(args.db)))
    return 0


def _lifecycle(args: argparse.Namespace) -> int:
    if args.format == "table":
        stdout_console(pipe_width=130).print(lifecycle_table(args.kind))
    else:
        print(lifecycle_text(args.kind), end="")
    return 0


def _what_if(args: argparse.Namespace) -> int:
    options = WhatIfOptions(
        policy=args.policy, url=database_url(args.db),
        organisation=organisation_from(args.organisation), tickets=tuple(args.ticket),
        logged_from=args.logged_from, logged_until=args.logged_until, as_of=args.as_of,
        output=args.output, show_runs=args.runs,
    )  # fmt: skip
    return run_what_if(options)


def _report(args: argparse.Namespace) -> int:
    organisation = organisation_from(args.organisation)
    options = ReportOptions(
        kind=args.kind, url=database_url(args.db), zone=ZoneInfo(organisation.zone),
        day=getattr(args, "date", None), month=getattr(args, "month", None), estate=args.estate,
        output=args.output, section=args.section, catch_up=args.catch_up,
        households=getattr(args, "households", None), chart=getattr(args, "chart", None),
        as_of=getattr(args, "as_of", None),
    )  # fmt: skip
    return run_report(options)


# ------------------------------------------------------------------------------- helpers


def _configure_logging(*, verbose: bool) -> None:
    """The program, not the library, decides where logs go: stderr, WARNING unless -v."""
    level = logging.INFO if verbose else logging.WARNING
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = f"must be at least 1, not {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _month(text: str) -> tuple[int, int]:
    try:
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        msg = f"not a month like 2026-11: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    return first.year, first.month


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"not a date like 2026-11-23: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"not a time like 2026-11-23T18:00+08:00: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if moment.tzinfo is None:
        msg = f"give the time zone too, like 2026-11-23T18:00+08:00: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return moment
