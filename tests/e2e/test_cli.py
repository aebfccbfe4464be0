"""The ``propdesk`` command line, run in-process and once as the installed console script."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Literal

import pytest
import structlog

from propdesk import DatabaseNotInitialised, open_desk
from propdesk.cli.main import main
from propdesk.testing import sample_organisation

HISTORY_COMMAND = re.compile(r"propdesk history (\S+) --db (\S+)")
SAMPLE_TOML = Path(__file__).parents[2] / "src/propdesk/data/sample_estate.toml"


@pytest.fixture(autouse=True)
def _reset_logging():
    yield
    structlog.reset_defaults()


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def demo_url(url, capsys) -> str:
    """A database the demo has filled with 20 repairs, and no complaints."""
    assert main(["demo", "--repairs", "20", "--complaints", "0", "--db", url]) == 0
    capsys.readouterr()
    return url


def ticket_ids(url: str, kind: Literal["repair", "complaint"] = "repair") -> list[str]:
    with open_desk(url, organisations=[sample_organisation()]) as desk:
        return [str(ticket) for ticket in desk.ticket_ids(kind=kind)]


def owner_phone(url: str, ticket: str) -> str:
    with open_desk(url, organisations=[sample_organisation()]) as desk:
        return desk.view(next(t for t in desk.ticket_ids() if str(t) == ticket)).owner.phone


def fails_with(capsys, argv: list[str], message: str) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines == [lines[0]]
    assert lines[0].startswith("propdesk: error: ")
    assert message in lines[0]
    assert "Traceback" not in captured.err


# ------------------------------------------------------------------------------ demo


def test_demo_prints_the_day_report_with_history_commands_that_work(url, capsys):
    assert main(["demo", "--repairs", "20", "--db", url]) == 0
    out = capsys.readouterr().out
    for heading in ("Repairs logged", "Where tickets stand", "Paths taken", "Service levels"):
        assert heading in out
    assert "Arrivals on time" in out
    assert "Commands per second" in out
    commands = HISTORY_COMMAND.findall(out)
    assert 2 <= len(commands) <= 3
    ticket, printed_url = commands[0]
    assert printed_url == url
    assert ticket in ticket_ids(url)

    assert main(["history", ticket, "--db", printed_url]) == 0
    history = capsys.readouterr().out
    assert "Logged" in history
    assert "Dispatched" in history


def test_demo_report_counts_what_the_database_holds(url, capsys):
    assert main(["demo", "--repairs", "12", "--seed", "3", "--db", url]) == 0
    out = capsys.readouterr().out
    assert len(ticket_ids(url)) == 12
    total_line = next(line for line in out.splitlines() if "all channels" in line)
    assert re.findall(r"\d+", total_line)[-1] == "12"
    notify_line = next(line for line in out.splitlines() if "notify_engineering" in line)
    met, breached, still_open, cancelled = map(int, re.findall(r"\d+", notify_line)[1:5])
    assert met + breached + still_open + cancelled == 12  # one run per ticket (T04)


def test_demo_simulates_several_days_with_complaints(url, capsys):
    argv = ["demo", "--days", "2", "--repairs", "20", "--complaints", "3", "--db", url]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Monday 2026-11-23 to Tuesday 2026-11-24 (2 days)" in out
    assert "40 repair requests and 6 complaints" in out
    assert "Complaints (投诉) by grade" in out
    assert (len(ticket_ids(url)), len(ticket_ids(url, "complaint"))) == (40, 6)


def test_demo_refuses_a_negative_number_of_complaints(url, capsys):
    fails_with(capsys, ["demo", "--complaints", "-1", "--db", url], "cannot be negative")


def test_demo_refuses_a_given_database_that_already_holds_tickets(demo_url, capsys):
    fails_with(capsys, ["demo", "--repairs", "3", "--db", demo_url], "already holds tickets")
    assert len(ticket_ids(demo_url)) == 20


def test_demo_recreates_its_own_default_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--repairs", "3"]) == 0
    assert main(["demo", "--repairs", "4", "--seed", "9"]) == 0
    out = capsys.readouterr().out
    assert "--db sqlite:///propdesk-demo.db" in out
    assert len(ticket_ids("sqlite:///propdesk-demo.db")) == 4


def test_demo_on_another_estate(tmp_path, url, capsys):
    toml = SAMPLE_TOML.read_text("utf-8").replace('"cuiyuan"', '"lanting"')
    toml = toml.replace("翠苑花园管理处", "兰亭苑管理处")
    path = tmp_path / "lanting.toml"
    path.write_text(toml, "utf-8")
    assert main(["demo", "--repairs", "5", "--db", url, "--organisation", str(path)]) == 0
    assert "兰亭苑管理处 (lanting)" in capsys.readouterr().out


def test_demo_with_a_broken_organisation_file_fails_cleanly(tmp_path, url, capsys):
    path = tmp_path / "broken.toml"
    path.write_text("estate = 'x'\n[[people]]\nid = 1\n", "utf-8")
    fails_with(
        capsys, ["demo", "--db", url, "--organisation", str(path)], "not a valid organisation"
    )


def test_demo_rejects_a_non_positive_number_of_repairs(capsys):
    assert main(["demo", "--repairs", "0"]) == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_verbose_logs_each_command_on_stderr_and_quiet_does_not(url, tmp_path, capsys):
    assert main(["demo", "--repairs", "2", "--db", url]) == 0
    assert "command applied" not in capsys.readouterr().err
    other = f"sqlite:///{tmp_path / 'verbose.db'}"
    assert main(["demo", "-v", "--repairs", "2", "--db", other]) == 0
    assert "command applied" in capsys.readouterr().err


def test_the_console_script_runs_the_demo(tmp_path, monkeypatch, capsys):
    script = shutil.which("propdesk") or str(Path(sys.executable).parent / "propdesk")
    done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [script, "demo", "--repairs", "20"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Paths taken" in done.stdout
    assert done.stderr == ""
    printed = HISTORY_COMMAND.search(done.stdout)
    assert printed is not None
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(printed.group(0))
    assert main(argv[1:]) == 0
    assert "Logged" in capsys.readouterr().out


# ------------------------------------------------------------------------------ history


def test_history_redacts_personal_data_unless_asked(demo_url, capsys):
    ticket = ticket_ids(demo_url)[0]
    phone = owner_phone(demo_url, ticket)
    assert main(["history", ticket, "--db", demo_url]) == 0
    out = capsys.readouterr().out
    assert phone not in out
    assert "owner_phone=***" in out
    assert main(["history", ticket, "--db", demo_url, "--show-personal-data"]) == 0
    assert phone in capsys.readouterr().out


def test_history_accepts_a_unique_prefix(demo_url, capsys):
    ids = ticket_ids(demo_url)
    ticket = ids[0]
    prefix = next(
        ticket[:n] for n in range(4, 36) if sum(t.startswith(ticket[:n]) for t in ids) == 1
    )
    assert main(["history", prefix, "--db", demo_url]) == 0
    assert f"Ticket {ticket}" in capsys.readouterr().out


def test_history_as_json(demo_url, capsys):
    ticket = ticket_ids(demo_url)[0]
    assert main(["history", ticket, "--db", demo_url, "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries[0]["event"] == "Logged"
    assert entries[0]["payload"]["personal_data"] == {"owner_name": "***", "owner_phone": "***"}
    assert [e["version"] for e in entries] == list(range(1, len(entries) + 1))


def test_history_of_an_ambiguous_prefix_fails(demo_url, capsys):
    ids = ticket_ids(demo_url)
    shared = next(c for c in "0123456789abcdef" if sum(t.startswith(c) for t in ids) > 1)
    fails_with(capsys, ["history", shared, "--db", demo_url], "ambiguous")


def test_history_of_an_unknown_ticket_fails(demo_url, capsys):
    fails_with(
        capsys, ["history", "00000000-0000-4000-8000-000000000000", "--db", demo_url], "no ticket"
    )
    unused = next(p for p in ("ffffff", "eeeeee", "dddddd") if not any(
        t.startswith(p) for t in ticket_ids(demo_url)
    ))  # fmt: skip
    fails_with(capsys, ["history", unused, "--db", demo_url], "no ticket id starts with")
    fails_with(capsys, ["history", "not-an-id", "--db", demo_url], "not a ticket id")


def test_history_on_a_missing_database_file_fails_without_creating_it(tmp_path, capsys):
    missing = tmp_path / "missing.db"
    fails_with(capsys, ["history", "abc", "--db", f"sqlite:///{missing}"], "does not exist")
    assert not missing.exists()


def test_history_on_an_uninitialised_database_says_to_run_db_init(tmp_path, capsys):
    empty = tmp_path / "empty.db"
    empty.touch()
    fails_with(capsys, ["history", "abc", "--db", f"sqlite:///{empty}"], "propdesk db init")


# ------------------------------------------------------------------------------ db init


def test_db_init_makes_a_database_open_desk_accepts(url, capsys):
    with pytest.raises(DatabaseNotInitialised):
        open_desk(url, organisations=[sample_organisation()])
    assert main(["db", "init", "--db", url]) == 0
    assert "Created the propdesk tables" in capsys.readouterr().out
    with open_desk(url, organisations=[sample_organisation()]) as desk:
        assert list(desk.ticket_ids()) == []
    assert main(["db", "init", "--db", url]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_db_init_reads_the_database_url_from_the_environment(tmp_path, monkeypatch, capsys):
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("PROPDESK_DATABASE_URL", f"sqlite:///{path}")
    assert main(["db", "init"]) == 0
    assert str(path) in capsys.readouterr().out
    open_desk(f"sqlite:///{path}", organisations=[sample_organisation()]).close()


def test_db_init_with_an_unsupported_url_fails_in_one_line(capsys):
    fails_with(capsys, ["db", "init", "--db", "mysql://localhost/desk"], "unsupported database URL")


def test_db_needs_a_chore(capsys):
    assert main(["db"]) == 2
    assert "init" in capsys.readouterr().err


# ------------------------------------------------------------------------------ lifecycle


def test_lifecycle_prints_the_mermaid_diagram(capsys):
    assert main(["lifecycle"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stateDiagram-v2")
    assert "DISPATCHED --> REFUSED: refuse" in out


def test_lifecycle_as_a_table(capsys):
    assert main(["lifecycle", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "confirm_no_staff" in out
    assert "project_manager" in out
    assert "stateDiagram" not in out


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["demo", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "deleting it first" in help_text
    assert "refuses one that does" in help_text


# ---------------------------------------------------------------------- propdesk projections


def _status(url: str) -> dict[str, tuple[int, int]]:
    """Each projection's generation and lag, as the projector reports them."""
    from propdesk.projections import Projector  # noqa: PLC0415 - only these tests need it

    with Projector(url) as projector:
        return {row.name: (row.generation, row.lag) for row in projector.status()}


def test_projections_status_catch_up_and_rebuild_on_the_demo_data(demo_url, capsys):
    assert main(["projections", "status", "--db", demo_url]) == 0
    shown = capsys.readouterr().out
    assert "board" in shown
    assert "ticket_steps" in shown
    lagging = _status(demo_url)
    assert lagging["board"][1] > 0

    assert main(["projections", "catch-up", "--db", demo_url]) == 0
    assert f"board: applied {lagging['board'][1]} notifications" in capsys.readouterr().out
    assert {lag for _, lag in _status(demo_url).values()} == {0}

    assert main(["projections", "rebuild", "board", "--db", demo_url]) == 0
    assert "board: rebuilt up to notification" in capsys.readouterr().out
    assert _status(demo_url)["board"] == (2, 0)

    assert main(["projections", "rebuild", "--processes", "2", "--db", demo_url]) == 0
    assert "every projection: rebuilt up to notification" in capsys.readouterr().out
    rebuilt = _status(demo_url)
    assert rebuilt["board"] == (3, 0)
    assert rebuilt["ticket_steps"] == (2, 0)
    assert rebuilt["sla_agenda"] == (2, 0)


def test_projections_rebuild_of_an_unknown_projection_fails_in_one_line(demo_url, capsys):
    fails_with(capsys, ["projections", "rebuild", "boards", "--db", demo_url],
               "no projection named 'boards'")  # fmt: skip


def test_projections_rebuild_needs_a_positive_number_of_processes(demo_url, capsys):
    assert main(["projections", "rebuild", "--processes", "0", "--db", demo_url]) == 2
    assert "--processes: must be at least 1, not 0" in capsys.readouterr().err


# ---------------------------------------------------------------------- propdesk sla what-if


def _histories(url: str) -> dict[object, object]:
    with open_desk(url, organisations=[sample_organisation()], cache_size=0) as desk:
        return {ticket: desk.history(ticket) for ticket in desk.ticket_ids()}


def _stricter_profile(tmp_path) -> str:
    seeds = resources.files("propdesk.data").joinpath("sla_seeds.toml").read_text("utf-8")
    stricter = seeds.replace("version = 1", "version = 2", 1).replace(
        'duration = "PT3M"', 'duration = "PT1M"'
    )
    path = tmp_path / "stricter.toml"
    path.write_text(stricter, encoding="utf-8")
    return str(path)


def test_what_if_compares_a_stricter_profile_with_what_happened(demo_url, tmp_path, capsys):
    before = _histories(demo_url)
    argv = ["sla", "what-if", "--policy", _stricter_profile(tmp_path), "--db", demo_url,
            "--as-of", "2026-12-31T00:00+08:00", "--format", "csv"]  # fmt: skip

    assert main(argv) == 0

    rows = {row["goal"]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    notify = rows["notify_engineering"]
    assert int(notify["candidate_breached"]) > int(notify["actual_breached"])
    assert int(notify["candidate_met"]) + int(notify["candidate_breached"]) == 20
    assert _histories(demo_url) == before


def test_what_if_prints_a_table_and_can_list_every_run(demo_url, tmp_path, capsys):
    profile = _stricter_profile(tmp_path)
    assert main(["sla", "what-if", "--policy", profile, "--db", demo_url, "--runs"]) == 0
    out = capsys.readouterr().out
    assert "What if seeds v2: 20 tickets" in out
    assert "notify_engineering" in out
    assert "candidate" in out


def test_what_if_as_json_for_one_ticket(demo_url, tmp_path, capsys):
    ticket = ticket_ids(demo_url)[0]
    argv = ["sla", "what-if", "--policy", _stricter_profile(tmp_path), "--db", demo_url,
            "--ticket", ticket[:8], "--format", "json", "--runs"]  # fmt: skip
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tickets"] == 1
    assert {run["ticket_id"] for run in report["runs"]} == {ticket}


def test_what_if_with_a_bad_profile_or_a_naive_time_fails_cleanly(demo_url, tmp_path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\nversion = 1\ntitle = "t"\ngoals = []\n', encoding="utf-8")
    fails_with(capsys, ["sla", "what-if", "--policy", str(broken), "--db", demo_url], "goals")
    assert main(["sla", "what-if", "--policy", str(broken), "--as-of", "2026-11-23T09:00"]) == 2
    assert "time zone" in capsys.readouterr().err


def test_the_complaint_lifecycle_prints_as_a_diagram_and_a_table(capsys):
    assert main(["lifecycle", "--kind", "complaint"]) == 0
    diagram = capsys.readouterr().out
    assert diagram.startswith("stateDiagram-v2")
    assert "ROUTED --> IN_HANDLING: contact_customer" in diagram
    assert main(["lifecycle", "--kind", "complaint", "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert "Complaint lifecycle" in table
    assert "the handler" in table
