"""``propdesk worker`` as operators run it: one tick, bad settings, metrics, SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

import propdesk as p
from propdesk.cli.main import main
from propdesk.projections import engine_for
from propdesk.testing import new_repair, sample_organisation
from propdesk.worker import lock

PROPDESK = Path(sys.executable).with_name("propdesk")


@pytest.fixture(autouse=True)
def _reset_logging():
    """The worker configures logging for the whole process; put it back for other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers, root.level = handlers, level
    for chatty in ("httpx", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.NOTSET)


@pytest.fixture
def overdue_url(tmp_path: Path) -> str:
    """A desk with one repair whose technician was due two hours ago (T06)."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    p.init_schema(url)
    past = datetime.now(UTC) - timedelta(hours=2)
    with p.open_desk(url, organisations=[sample_organisation()]) as desk:
        ticket = desk.execute(new_repair(at=past)).ticket_id
        desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang",
                                at=past + timedelta(minutes=1)))  # fmt: skip
    return url


def _entries(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_once_acts_on_what_is_due_and_logs_json_lines(
    overdue_url: str, capsys: pytest.CaptureFixture[str]
):
    assert main(["worker", "--once", "--db", overdue_url]) == 0
    entries = _entries(capsys.readouterr().err)
    [done] = [e for e in entries if e["event"] == "tick done"]
    assert done["outcomes"] == {"skipped": 1, "acted": 1}
    acted = [e for e in entries if e["event"] == "deadline acted on"]
    assert {e["step"] for e in acted} == {"record_goal_breach", "escalate_overdue_dispatch"}
    assert all(isinstance(e["ticket_id"], str) and e["level"] == "info" for e in acted)
    notices = [e for e in entries if e["event"] == "notification"]
    assert {e["about"] for e in notices} == {"GoalBreached", "Escalated"}
    assert main(["worker", "--once", "--db", overdue_url]) == 0  # nothing twice
    again = _entries(capsys.readouterr().err)
    assert next(e for e in again if e["event"] == "tick done")["outcomes"] == {}


def test_bad_settings_stop_it_with_a_message_naming_them(
    overdue_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PROPDESK_WORKER_TICK_SECONDS", "soon")
    assert main(["worker", "--once", "--db", overdue_url]) == 2
    assert "tick_seconds" in capsys.readouterr().err
    monkeypatch.delenv("PROPDESK_WORKER_TICK_SECONDS")
    monkeypatch.setenv("PROPDESK_WORKER_NOTIFIER", "webhook")
    assert main(["worker", "--once", "--db", overdue_url]) == 2
    assert "webhook_url" in capsys.readouterr().err


def test_an_uninitialised_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["worker", "--once", "--db", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert "propdesk db init" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scrape(port: int, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as page:
                return str(page.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _metric(text: str, name: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith(name) and not line.startswith("#")]  # fmt: skip
    return sum(values)


def test_the_daemon_serves_metrics_and_stops_cleanly_on_sigterm(overdue_url: str, tmp_path: Path):
    port = _free_port()
    env = {**os.environ, "PROPDESK_WORKER_DATABASE_URL": overdue_url,
           "PROPDESK_WORKER_TICK_SECONDS": "0.2", "PROPDESK_WORKER_METRICS_PORT": str(port),
           "PROPDESK_WORKER_WORKER_ID": "metrics-test"}  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("w") as err:
        worker = subprocess.Popen([str(PROPDESK), "worker"], env=env, stderr=err)  # noqa: S603 - our own console script
    try:
        deadline = time.monotonic() + 30
        while True:
            text = _scrape(port, deadline)
            acted = _metric(text, "propdesk_worker_actions_total") >= 2
            if acted and _metric(text, "propdesk_worker_tick_seconds_count") >= 1:
                break  # a whole tick has been measured
            assert time.monotonic() < deadline, text
            time.sleep(0.2)
        assert _metric(text, 'propdesk_worker_actions_total{action="due",outcome="acted"}') == 1
        assert _metric(text, 'propdesk_worker_actions_total{action="warn",outcome="skipped"}') == 1
        assert _metric(text, "propdesk_worker_due_deadlines") == 0
        assert "propdesk_worker_projection_lag_events" in text
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    entries = _entries(log.read_text())
    events = [e["event"] for e in entries]
    assert events[0] == "worker started"
    assert "stopping" in events
    assert events[-1] == "worker stopped"
    engine = engine_for(overdue_url)
    try:
        assert lock.holder(engine) == (None, None)  # given back: another worker may take it now
    finally:
        engine.dispose()
