"""``propdesk report``: the four reports from the command line, run in-process on SQLite.

The demo fills one database (20 repairs and a complaint on Monday 2026-11-23); each report's
JSON must be the library's report on the same database, and its counts what the demo was
asked for. The monthly report judges what is still open at ``--as-of``, or now without it,
where the library would judge at the month's end: the tests that compare the two give the
same time to both.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import structlog

from propdesk import init_schema, open_desk
from propdesk.cli.common import CliError
from propdesk.cli.main import main
from propdesk.cli.reporting import ReportOptions, run_report
from propdesk.projections import engine_for
from propdesk.reports import (
    complaint_report,
    completion_report,
    monthly_report,
    to_json,
    weekly_summary,
)
from propdesk.testing import SHANGHAI, new_repair, sample_organisation

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Engine

MONDAY = date(2026, 11, 23)
CUT_OFF = datetime(2026, 11, 23, 17, 10, tzinfo=SHANGHAI)
SUNDAY_CUT_OFF = datetime(2026, 11, 22, 17, 10, tzinfo=SHANGHAI)
"""The previous daily report's cut-off: Monday's report counts from here."""
AS_OF = "2026-11-24T09:00+08:00"
JUDGED = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
"""The time the monthly tests judge what is still open at: the morning after the demo's day."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _reset_logging():
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The demo's database (20 repairs, one complaint), and an engine on its read side."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'demo.db'}"
    assert main(["demo", "--db", url, "--repairs", "20"]) == 0
    structlog.reset_defaults()
    engine = engine_for(url)
    yield url, engine
    engine.dispose()


def report(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What ``propdesk report ARGV`` printed; it must succeed."""
    capsys.readouterr()  # not what came before (the desk's own log lines, say)
    assert main(["report", *argv]) == 0
    return capsys.readouterr().out


def as_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(report(capsys, *argv, "--format", "json"))


def as_csv(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(report(capsys, *argv, "--format", "csv"))))


def logged_since_the_last_cut_off(url: str) -> int:
    """The demo's repairs logged from Sunday 17:10 to Monday 17:10, read from the desk, not
    the reports."""
    with open_desk(url, organisations=[sample_organisation()]) as desk:
        views = [desk.view(ticket) for ticket in desk.ticket_ids(kind="repair")]
    return sum(1 for view in views if SUNDAY_CUT_OFF <= view.logged_at < CUT_OFF)


def fails_with(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"propdesk: error: {message}"]


# ------------------------------------------------------------------ the reports


def test_the_daily_json_is_the_librarys_report(demo, capsys):
    url, engine = demo
    printed = as_json(capsys, "daily", "--date", "2026-11-23", "--db", url)

    assert printed == json.loads(to_json(completion_report(engine, MONDAY, SHANGHAI)))
    assert printed["today"]["received"] == logged_since_the_last_cut_off(url) > 0
    # Monday: the week, like the day, runs from Sunday's cut-off.
    assert printed["week"] == printed["today"]
    assert [printed["day_from"], printed["week_from"], printed["as_of"]] == [
        "2026-11-22T17:10:00+08:00",
        "2026-11-22T17:10:00+08:00",
        "2026-11-23T17:10:00+08:00",
    ]


def test_the_complaint_json_is_the_librarys_report(demo, capsys):
    url, engine = demo
    printed = as_json(capsys, "complaints", "--date", "2026-11-23", "--db", url)

    assert printed == json.loads(to_json(complaint_report(engine, MONDAY, SHANGHAI)))
    assert printed["received"] == len(printed["complaints"]) == 1  # one per 20 repairs


def test_the_weekly_json_is_the_librarys_report(demo, capsys):
    url, engine = demo
    printed = as_json(capsys, "weekly", "--date", "2026-11-23", "--db", url)

    assert printed == json.loads(to_json(weekly_summary(engine, MONDAY, SHANGHAI)))
    assert (printed["repairs"]["received"], printed["complaints_received"]) == (20, 1)
    assert (printed["week_from"], printed["as_of"]) == (
        "2026-11-20T15:00:00+08:00", "2026-11-27T15:00:00+08:00")  # fmt: skip


def test_the_monthly_json_is_the_librarys_report(demo, capsys):
    url, engine = demo
    printed = as_json(capsys, "monthly", "--month", "2026-11", "--as-of", AS_OF, "--db", url)

    library = monthly_report(engine, 2026, 11, SHANGHAI, as_of=JUDGED)
    assert printed == json.loads(to_json(library))
    assert printed["as_of"] == "2026-11-24T09:00:00+08:00"
    rate = next(kpi for kpi in printed["kpis"] if kpi["name"] == "complaint_rate")
    assert rate["denominator"] == 21  # every ticket received: 20 repairs and a complaint
    assert len(printed["days"]) == 30
    assert printed["days"][22]["repairs_received"] == 20


def test_households_are_the_complaint_rates_base(demo, capsys):
    url, _ = demo
    argv = ("monthly", "--month", "2026-11", "--as-of", AS_OF, "--db", url)
    tickets, households = (
        next(kpi for kpi in as_json(capsys, *options)["kpis"] if kpi["name"] == "complaint_rate")
        for options in (argv, (*argv, "--households", "400"))
    )

    assert (tickets["denominator"], households["denominator"]) == (21, 400)
    assert households["numerator"] == tickets["numerator"]
    assert households["value"] == tickets["numerator"] / 400


def test_csv_prints_the_main_section_or_the_one_asked_for(demo, capsys):
    url, engine = demo
    daily = completion_report(engine, MONDAY, SHANGHAI)
    argv = ("daily", "--date", "2026-11-23", "--db", url)

    outstanding = as_csv(capsys, *argv)
    assert [row["ticket_id"] for row in outstanding] == [
        line.ticket_id for line in daily.outstanding]  # fmt: skip
    totals = as_csv(capsys, *argv, "--section", "totals")
    assert [row["period"] for row in totals] == ["today", "week"]
    assert int(totals[0]["received"]) == daily.today.received
    kpis = as_csv(capsys, "monthly", "--month", "2026-11", "--db", url)
    assert (len(kpis), len(kpis[0])) == (7, 7)
    assert (
        len(as_csv(capsys, "monthly", "--month", "2026-11", "--section", "days", "--db", url)) == 30
    )


def test_the_tables_say_what_they_report(demo, capsys):
    url, _ = demo
    expected = {
        "daily": "Repair completion report, 2026-11-23 (as of 11-23 17:10)",
        "complaints": "Complaint report for 2026-11-23 (due 11-24 09:00)",
        "weekly": "Weekly repair summary, 11-20 15:00 to 11-27 15:00",
    }
    for kind, heading in expected.items():
        assert heading in report(capsys, kind, "--date", "2026-11-23", "--db", url)
    monthly = report(capsys, "monthly", "--month", "2026-11", "--as-of", AS_OF, "--db", url)
    assert monthly.splitlines()[0] == (
        "Monthly KPIs, 2026-11 (what is still open judged at 2026-11-24 09:00)"
    )
    assert "Callback rate (回访率)" in monthly


def test_the_monthly_report_judges_at_as_of(demo, capsys):
    url, engine = demo
    argv = ("monthly", "--month", "2026-11", "--db", url)

    # At the month's end, the CLI gives the library's default report.
    at_the_end = as_json(capsys, *argv, "--as-of", "2026-12-01T00:00+08:00")
    assert at_the_end == json.loads(to_json(monthly_report(engine, 2026, 11, SHANGHAI)))
    # The morning after the first day: only what was known by then, windows opened and
    # callbacks made.
    morning = as_json(capsys, *argv, "--as-of", AS_OF)
    called = {
        printed["as_of"]: next(k for k in printed["kpis"] if k["name"] == "callback_rate")
        for printed in (at_the_end, morning)
    }
    assert set(called) == {"2026-12-01T00:00:00+08:00", "2026-11-24T09:00:00+08:00"}
    assert (
        0
        < called["2026-11-24T09:00:00+08:00"]["denominator"]
        < called["2026-12-01T00:00:00+08:00"]["denominator"]
    )
    assert (
        called["2026-11-24T09:00:00+08:00"]["numerator"]
        < called["2026-12-01T00:00:00+08:00"]["numerator"]
    )


def test_without_as_of_the_monthly_report_judges_now(demo, capsys):
    url, _ = demo
    before = datetime.now(SHANGHAI)
    printed = as_json(capsys, "monthly", "--month", "2026-11", "--db", url)
    after = datetime.now(SHANGHAI)

    judged = datetime.fromisoformat(printed["as_of"])
    assert before <= judged <= after
    assert judged.utcoffset() == timedelta(hours=8)
    table = report(capsys, "monthly", "--month", "2026-11", "--db", url)
    heading = re.fullmatch(
        r"Monthly KPIs, 2026-11 \(what is still open judged at (.+)\)", table.splitlines()[0]
    )
    assert heading is not None
    shown = datetime.strptime(heading[1], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    assert before - timedelta(minutes=1) <= shown <= datetime.now(SHANGHAI)


def test_an_as_of_in_another_zone_is_shown_at_the_estate(demo, capsys):
    url, _ = demo
    argv = ("monthly", "--month", "2026-11", "--as-of", "2026-11-24T01:00Z", "--db", url)

    assert as_json(capsys, *argv)["as_of"] == "2026-11-24T09:00:00+08:00"
    assert report(capsys, *argv).splitlines()[0] == (
        "Monthly KPIs, 2026-11 (what is still open judged at 2026-11-24 09:00)"
    )


def test_the_monthly_chart_is_drawn(demo, capsys, tmp_path):
    url, _ = demo
    chart = tmp_path / "november.png"
    out = report(capsys, "monthly", "--month", "2026-11", "--chart", str(chart), "--db", url)

    assert f"chart: {chart}" in out
    assert chart.read_bytes()[:8] == PNG_SIGNATURE


def test_the_estate_option_keeps_to_one_estate(demo, capsys):
    url, _ = demo
    argv = ("daily", "--date", "2026-11-23", "--db", url)

    assert as_json(capsys, *argv, "--estate", "cuiyuan")["today"] == as_json(capsys, *argv)["today"]
    elsewhere = as_json(capsys, *argv, "--estate", "lanting")
    assert (elsewhere["today"]["received"], elsewhere["outstanding"]) == (0, [])


def test_no_catch_up_reads_the_read_models_as_they_are(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    init_schema(url)
    with open_desk(url, organisations=[sample_organisation()]) as desk:
        desk.execute(new_repair(at=datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)))
    argv = ("daily", "--date", "2026-11-23", "--db", url)

    assert as_json(capsys, *argv, "--no-catch-up")["today"]["received"] == 0
    assert as_json(capsys, *argv)["today"]["received"] == 1


# ------------------------------------------------------------------ errors


def test_a_month_that_does_not_exist_is_a_usage_error(demo, capsys):
    url, _ = demo
    assert main(["report", "monthly", "--month", "2026-13", "--db", url]) == 2

    err = capsys.readouterr().err
    assert err.startswith("usage: propdesk report monthly")
    assert err.strip().splitlines()[-1] == (
        "propdesk report monthly: error: argument --month: not a month like 2026-11: '2026-13'"
    )


def test_as_of_needs_its_time_zone_and_is_the_monthly_reports_only(demo, capsys):
    url, _ = demo
    assert main(["report", "monthly", "--as-of", "2026-11-24T09:00", "--db", url]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "propdesk report monthly: error: argument --as-of: give the time zone too, "
        "like 2026-11-23T18:00+08:00: '2026-11-24T09:00'"
    )
    assert main(["report", "daily", "--as-of", AS_OF, "--db", url]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"propdesk: error: unrecognized arguments: --as-of {AS_OF}"
    )


def test_only_the_monthly_report_draws_a_chart(demo, capsys, tmp_path):
    url, _ = demo
    chart = tmp_path / "daily.png"
    assert main(["report", "daily", "--chart", str(chart), "--db", url]) == 2

    err = capsys.readouterr().err
    assert (
        err.strip().splitlines()[-1] == f"propdesk: error: unrecognized arguments: --chart {chart}"
    )
    options = ReportOptions(
        kind="daily", url=url, zone=SHANGHAI, day=MONDAY, month=None, estate=None,
        output="json", section=None, catch_up=False, chart=chart,
    )  # fmt: skip
    with pytest.raises(CliError, match=r"^--chart draws the monthly report only$"):
        run_report(options)
    assert not chart.exists()


def test_an_unknown_section_is_a_one_line_error(demo, capsys):
    url, _ = demo
    fails_with(
        capsys,
        ["report", "weekly", "--format", "csv", "--section", "kpis", "--db", url],
        "this report has no section 'kpis' "
        "(it has: totals, outstanding, reasons, callbacks, opinions)",
    )


def test_a_missing_database_file_is_a_one_line_error(tmp_path, capsys):
    missing: Path = tmp_path / "missing.db"
    url = f"sqlite:///{missing}"
    fails_with(
        capsys,
        ["report", "daily", "--db", url],
        f"no database at {url}: {missing} does not exist "
        f"(create one with `propdesk db init --db {url}`)",
    )
    assert not missing.exists()
