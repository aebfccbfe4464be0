"""The seeds' reports on a big desk: how long each takes, and the plan of every statement.

Each report function (``propdesk.reports``) is called as the CLI calls it, on the read side's
engine of a database whose projections were rebuilt over the whole corpus, for a few
*points*: the corpus's last day (with its week and the last full month), a day in the middle
of the corpus (and its month), and the last day again restricted to the desk's estate (which
joins the board for the read models that do not keep the estate). For each report and point:

- one first call (after the rebuild; on PostgreSQL before ``ANALYZE``), for information;
- five timed calls: the best and the median, the median checked against the target;
- once more with a SQLAlchemy ``before_cursor_execute`` listener on the engine, which records
  every statement the report sends with its parameters; each distinct statement is then run
  alone (best of three, all its executions) and explained: ``EXPLAIN QUERY PLAN`` on SQLite,
  ``EXPLAIN (ANALYZE, COSTS OFF)`` on PostgreSQL, with ``EXPLAIN (FORMAT JSON)`` read to find
  the scans. A scan of a whole table (or of a whole index) with more than
  :data:`BIG_TABLE` rows is flagged.
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, func, inspect, select, table, text

from propdesk.reports import complaint_report, completion_report, monthly_report, weekly_summary

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from zoneinfo import ZoneInfo

    from sqlalchemy import Connection, Engine

BIG_TABLE = 10_000
"""A scan of a table with more rows than this is flagged."""
TARGET_MS = 200.0
"""Each report answers within this many milliseconds (the issue's target)."""
REPEATS = 5
STATEMENT_REPEATS = 3


@dataclass(frozen=True)
class Point:
    """Where a report is asked for: a day (its week), a month, and maybe one estate."""

    label: str
    day: date
    month: tuple[int, int]
    estate: str | None = None


def points_for(first_day: date, last_day: date, estate: str) -> list[Point]:
    """The last day, a day in the middle, and the last day for one estate."""
    middle = first_day + (last_day - first_day) / 2
    before = last_day.replace(day=1) - timedelta(days=1)
    full = before if before >= first_day else last_day  # the last full month, if any
    return [
        Point("recent", last_day, (full.year, full.month)),
        Point("middle", middle, (middle.year, middle.month)),
        Point("recent/estate", last_day, (full.year, full.month), estate),
    ]


@dataclass(frozen=True)
class Report:
    """One report function, and how to ask it for a point."""

    name: str
    call: Callable[[Engine, Point, ZoneInfo], object]
    period: Callable[[Point], str]


def _day(point: Point) -> str:
    return f"{point.day}"


def _week(point: Point) -> str:
    monday = point.day - timedelta(days=point.day.weekday())
    return f"week of {monday}"


def _month(point: Point) -> str:
    return f"{point.month[0]}-{point.month[1]:02d}"


REPORTS = (
    Report(
        "completion_report",
        lambda engine, point, zone: completion_report(engine, point.day, zone, estate=point.estate),
        _day,
    ),
    Report(
        "complaint_report",
        lambda engine, point, zone: complaint_report(engine, point.day, zone, estate=point.estate),
        _day,
    ),
    Report(
        "weekly_summary",
        lambda engine, point, zone: weekly_summary(engine, point.day, zone, estate=point.estate),
        _week,
    ),
    Report(
        "monthly_report",
        lambda engine, point, zone: monthly_report(engine, *point.month, zone, estate=point.estate),
        _month,
    ),
)


@dataclass
class Statement:
    """One distinct SQL statement a report sent, with every set of parameters it was sent."""

    sql: str
    parameters: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    """Best of :data:`STATEMENT_REPEATS` runs of all its executions, fetching every row."""
    rows: int = 0
    plan: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    """The big tables (or whole indexes) the plan reads from end to end."""


@dataclass
class Timing:
    """One report at one point."""

    report: str
    point: Point
    period: str
    first: float
    """The first call, in seconds."""
    runs: list[float]
    statements: list[Statement] = field(default_factory=list)
    error: str | None = None

    @property
    def best(self) -> float:
        """The fastest timed call, in seconds."""
        return min(self.runs) if self.runs else float("nan")

    @property
    def median(self) -> float:
        """The median timed call, in seconds."""
        return statistics.median(self.runs) if self.runs else float("nan")

    @property
    def meets(self) -> bool:
        """Whether the median call is within the target."""
        return bool(self.runs) and self.median * 1000 < TARGET_MS


def table_rows(engine: Engine) -> dict[str, int]:
    """Every table's row count, by name (views are not tables: their generations are)."""
    names = inspect(engine).get_table_names()
    counts = {}
    with engine.connect() as connection:
        for name in names:
            counts[name] = int(
                connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            )
    return counts


def first_calls(
    engine: Engine, zone: ZoneInfo, points: list[Point]
) -> dict[tuple[str, str], float]:
    """Each report at each point, called once: what a reader waits for right after a rebuild."""
    firsts = {}
    for report in REPORTS:
        for point in points:
            started = time.perf_counter()
            report.call(engine, point, zone)
            firsts[(report.name, point.label)] = time.perf_counter() - started
    return firsts


def time_reports(
    engine: Engine,
    zone: ZoneInfo,
    points: list[Point],
    firsts: dict[tuple[str, str], float],
    sizes: dict[str, int],
) -> list[Timing]:
    """Times every report at every point, then captures and explains its statements."""
    timings = []
    for report in REPORTS:
        for point in points:
            timing = Timing(
                report.name, point, report.period(point), firsts[(report.name, point.label)], []
            )
            try:
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    report.call(engine, point, zone)
                    timing.runs.append(time.perf_counter() - started)
                with _captured(engine) as captured:
                    report.call(engine, point, zone)
                timing.statements = _distinct(captured)
                with engine.connect() as connection:
                    for statement in timing.statements:
                        _run_alone(connection, statement)
                        _explain(connection, statement, sizes)
            except Exception as error:  # noqa: BLE001 - a failing report is reported, not fatal
                timing.error = " ".join(f"{type(error).__name__}: {error}".split())[:500]
            timings.append(timing)
    return timings


@contextmanager
def _captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Records every statement sent on ``engine`` while the block runs, with its parameters."""
    captured: list[tuple[str, Any]] = []

    def record(
        _connection: object,
        _cursor: object,
        statement: str,
        parameters: Any,  # noqa: ANN401 - whatever the driver takes
        _context: object,
        _executemany: bool,
    ) -> None:
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _distinct(captured: list[tuple[str, Any]]) -> list[Statement]:
    """The queries among the captured statements, each SQL text once, in first-sent order."""
    statements: dict[str, Statement] = {}
    for sql, parameters in captured:
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue  # the driver's own set-up statements
        statements.setdefault(sql, Statement(sql)).parameters.append(parameters)
    return list(statements.values())


def _run_alone(connection: Connection, statement: Statement) -> None:
    """Runs every execution of the statement, fetching all rows; keeps the best of three."""
    best = float("inf")
    for _ in range(STATEMENT_REPEATS):
        rows = 0
        started = time.perf_counter()
        for parameters in statement.parameters:
            rows += len(connection.exec_driver_sql(statement.sql, parameters).fetchall())
        best = min(best, time.perf_counter() - started)
        statement.rows = rows
    statement.seconds = best


def _explain(connection: Connection, statement: Statement, sizes: dict[str, int]) -> None:
    """The statement's plan (with its first parameters), and the big scans in it."""
    parameters = statement.parameters[0]
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement.sql}", parameters).all()
        statement.plan = _sqlite_tree([(row[0], row[1], str(row[3])) for row in rows])
        statement.scans = _sqlite_scans([str(row[3]) for row in rows], sizes)
        return
    analysed = connection.exec_driver_sql(
        f"EXPLAIN (ANALYZE, COSTS OFF) {statement.sql}", parameters
    ).all()
    statement.plan = [str(row[0]) for row in analysed]
    (document,) = connection.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {statement.sql}", parameters
    ).one()
    statement.scans = _postgres_scans(document[0]["Plan"], sizes)


def _sqlite_tree(rows: list[tuple[int, int, str]]) -> list[str]:
    """``EXPLAIN QUERY PLAN`` rows as an indented tree."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


def _sqlite_scans(details: list[str], sizes: dict[str, int]) -> list[str]:
    """``SCAN t`` reads all of ``t``; ``SCAN t USING [COVERING] INDEX i`` all of index ``i``."""
    scans = []
    for detail in details:
        words = detail.split()
        if len(words) < 2 or words[0] != "SCAN":
            continue
        name = words[1]
        if sizes.get(name, 0) > BIG_TABLE:
            what = "index " + words[-1] if "INDEX" in words else "table"
            scans.append(f"full scan of {name} ({sizes[name]:,} rows; {what}): {detail}")
    return scans


def _postgres_scans(plan: dict[str, Any], sizes: dict[str, int]) -> list[str]:
    """Sequential scans, and index scans without an index condition, of big tables."""
    scans = []
    stack = [plan]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        kind, name = node.get("Node Type", ""), node.get("Relation Name", "")
        if sizes.get(name, 0) <= BIG_TABLE:
            continue
        if kind == "Seq Scan":
            scans.append(f"full scan of {name} ({sizes[name]:,} rows; table)")
        elif kind in {"Index Scan", "Index Only Scan"} and "Index Cond" not in node:
            index = node.get("Index Name", "?")
            scans.append(f"full scan of {name} ({sizes[name]:,} rows; index {index})")
    return scans


def analyse(engine: Engine) -> None:
    """``ANALYZE`` on PostgreSQL (autovacuum's job on a running server); nothing on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
