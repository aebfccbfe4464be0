"""The SLA worker's promises (issue 5), kept for real against one PostgreSQL.

Several worker processes share the due deadlines and act on each once; workers killed with
SIGKILL in the middle of a batch lose nothing and duplicate nothing; a day of missed
deadlines is worked through in order, its pointless warnings skipped; a database that goes
away and comes back makes the worker wait and retry, not crash.

Nothing is mocked. Each worker is the real program (``propdesk worker``) in its own process,
on the real clock, configured through ``PROPDESK_WORKER_*`` variables, logging JSON lines to
a file per process and posting its notifications to an HTTP server in the test. Deadlines
are past because the tickets' commands were stamped in the past (``at=``). What the workers
did is read back from the tickets' stored events, the agenda, the outbox, the requests the
HTTP server received and the workers' logs.

The agenda forgets a goal's rows when the goal ends, and the escalation at an arrival
deadline cancels the goal (``GoalCancelled``): once a worker has caught up past it, the
ticket's run-1 rows are gone, ``done_at`` and all. So the tests record every row a worker
marks done with a trigger on the agenda's table (``agenda_done``), and wait for the
deadlines' effects (no due row left undone, the new run's rows, the notices sent) rather
than for rows to say ``done``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit, urlunsplit
from uuid import UUID

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select, text
from tcp_proxy import TcpProxy
from werkzeug import Request, Response

import propdesk as p
from propdesk.projections import engine_for
from propdesk.projections.agenda import agenda_table
from propdesk.testing import new_repair, sample_organisation
from propdesk.worker import WorkerSettings, open_worker
from propdesk.worker.outbox import Audience, notices_of, outbox_table
from propdesk.worker.settings import DEFAULT_URGENT_GOALS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sqlalchemy import Engine

pytestmark = pytest.mark.postgres

PROPDESK = Path(sys.executable).with_name("propdesk")
"""The installed ``propdesk`` program, beside this interpreter."""
WEBHOOK_PATH = "/notices"
WORKER_ACTOR = "sla-monitor"
NOTIFYING = frozenset({"GoalWarned", "GoalBreached", "Escalated", "Dispatched",
                       "OverdueEscalated", "CallbackRaised"})  # fmt: skip
"""The events the outbox turns into notices."""
EXPECTED_ACTIONS = Counter(["GoalBreached arrive_asap run 1", "Escalated overdue to sup-wang"])
"""What a worker stores on a repair whose technician did not arrive in time (T06)."""
STEPS = (("warn", "skipped"), ("due", "record_goal_breach"), ("due", "escalate_overdue_dispatch"))
"""What a worker does with such a repair's rows: skips the warning; breaches, then escalates."""
SETTLE_SECONDS = 60.0
"""The longest a test waits for the workers to finish; they take a few seconds."""


# ---------------------------------------------------------------------------- tickets


def _overdue_repairs(desk: p.Desk, count: int, *, dispatched: timedelta) -> list[UUID]:
    """Repairs dispatched to tech-zhang from ``dispatched`` ago on, 30 seconds apart.

    Each has a running arrival goal (T06: 10 minutes) whose warning and deadline are both
    past, so a worker must skip the warning and record the breach and the escalation. The
    dispatches are 30 seconds apart and their times are kept to the minute (as the dispatch
    log records them), so the deadlines fall a minute apart in pairs (ties go by ticket id),
    and later tickets' warnings fall between earlier tickets' deadlines.
    """
    first = datetime.now(UTC) - dispatched
    tickets = []
    for n in range(count):
        logged = first + timedelta(seconds=30 * n)
        ticket = desk.execute(new_repair(at=logged)).ticket_id
        desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang",
                                at=logged + timedelta(minutes=1)))  # fmt: skip
        tickets.append(ticket)
    last = next(g for g in desk.view(tickets[-1]).goals if g.goal == "arrive_asap")
    assert last.due_at < datetime.now(UTC), "every deadline must be past already"
    return tickets


def _worker_actions(desk: p.Desk, ticket: UUID) -> Counter[str]:
    """The worker's decisions stored on the ticket: warnings, breaches, overdue escalations."""
    found: Counter[str] = Counter()
    for event in desk.stored_events(ticket):
        name, fields = type(event).__name__, vars(event)
        if name in ("GoalWarned", "GoalBreached"):
            found[f"{name} {fields['goal']} run {fields['run']}"] += 1
        elif name == "Escalated" and fields["cause"] == "overdue":
            found[f"Escalated overdue to {fields['acceptor']}"] += 1
    return found


def _assert_each_acted_on_once(desk: p.Desk, tickets: list[UUID]) -> None:
    """Every ticket has exactly one breach and one escalation, and no warning."""
    actions = {ticket: _worker_actions(desk, ticket) for ticket in tickets}
    assert len(actions) == len(tickets)
    wrong = {str(t): dict(found) for t, found in actions.items() if found != EXPECTED_ACTIONS}
    assert wrong == {}, f"{len(wrong)} of {len(tickets)} tickets were not acted on exactly once"


def _expected_notices(desk: p.Desk, tickets: Iterable[UUID]) -> set[str]:
    """The keys of the notices the tickets' stored events call for, as the outbox makes them."""
    audience = Audience(
        organisations=desk.organisations, estate_of=lambda ticket: desk.load(UUID(ticket)).estate,
        worker_actor=WORKER_ACTOR, policy=desk.policy, urgent_goals=DEFAULT_URGENT_GOALS,
    )  # fmt: skip
    return {
        notice.key
        for ticket in tickets
        for event in desk.stored_events(ticket)
        if type(event).__name__ in NOTIFYING
        for notice in notices_of(event, audience)
    }


# ---------------------------------------------------------------------------- the database


def _schema(url: str) -> str:
    return parse_qs(urlsplit(url).query)["schema"][0]


def _address(url: str) -> tuple[str, int]:
    """The database server's host and port."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def _via_port(url: str, port: int) -> str:
    """The same database URL, through another port on this host (the proxy's)."""
    parts = urlsplit(url)
    credentials, _, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{port}"))


def _record_done_rows(engine: Engine, schema: str) -> None:
    """Notes every agenda row a worker marks done in ``agenda_done``, with who marked it.

    The worker clears the lease as it marks a row done, so the row's lease owner before the
    update is the worker that finished it.
    """
    table = _live_agenda_table(engine)
    # S608: the statements name only the test's own schema and the agenda's table
    with engine.begin() as connection:
        connection.execute(text(f"""
            CREATE TABLE {schema}.agenda_done (
                ticket_id text, goal text, run int, action text, rank int,
                fire_at timestamptz, done_at timestamptz, outcome text, owner text)
        """))  # fmt: skip
        connection.execute(text(f"""
            CREATE FUNCTION {schema}.note_done() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.done_at IS NULL AND NEW.done_at IS NOT NULL THEN
                    INSERT INTO {schema}.agenda_done VALUES (NEW.ticket_id, NEW.goal, NEW.run,
                        NEW.action, NEW.rank, NEW.fire_at, NEW.done_at, NEW.outcome,
                        OLD.lease_owner);
                END IF;
                RETURN NEW;
            END $$
        """))  # noqa: S608  # fmt: skip
        connection.execute(text(f"""
            CREATE TRIGGER note_done AFTER UPDATE ON {schema}.{table}
            FOR EACH ROW EXECUTE FUNCTION {schema}.note_done()
        """))  # fmt: skip


def _live_agenda_table(engine: Engine) -> str:
    with engine.connect() as connection:
        generation = connection.execute(
            text("SELECT generation FROM propdesk_projections WHERE name = 'sla_agenda'")
        ).scalar_one()
    return f"sla_agenda_g{generation}"


def _done_rows(engine: Engine) -> list[dict[str, Any]]:
    """The rows workers marked done, in the order they did (``agenda_done``)."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM agenda_done ORDER BY done_at"))
        return [dict(row._mapping) for row in rows]


def _settled(engine: Engine, tickets: list[UUID]) -> bool:
    """Whether the workers have finished with these tickets' missed deadlines.

    No due agenda row is left undone; every ticket's dispatch climbed and the agenda has the
    new arrival goal's rows (run 2, not due yet); the outbox holds every ticket's escalation
    notices; and nothing in the outbox waits to be sent.
    """
    ids = [str(ticket) for ticket in tickets]
    agenda, outbox = agenda_table(), outbox_table()
    now = datetime.now(UTC)
    due = agenda.c.done_at.is_(None) & (agenda.c.fire_at <= now)
    with engine.connect() as connection:
        due_undone, climbed, told, unsent = (
            connection.execute(query).scalar_one()
            for query in (
                select(func.count()).where(agenda.c.ticket_id.in_(ids), due),
                select(func.count(agenda.c.ticket_id.distinct())).where(
                    agenda.c.ticket_id.in_(ids), agenda.c.run == 2
                ),
                select(func.count(outbox.c.ticket_id.distinct())).where(
                    outbox.c.ticket_id.in_(ids), outbox.c.event == "Escalated"
                ),
                select(func.count()).where(outbox.c.sent_at.is_(None)),
            )
        )
    return due_undone == 0 and climbed == told == len(ids) and unsent == 0


def _outbox_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(outbox_table()))]


def _holders(engine: Engine) -> Counter[str]:
    """The workers holding leases right now, with how many rows (agenda and outbox) each."""
    agenda, outbox = agenda_table(), outbox_table()
    now = datetime.now(UTC)
    held: Counter[str] = Counter()
    with engine.connect() as connection:
        for table, open_ in ((agenda, agenda.c.done_at.is_(None)),
                             (outbox, outbox.c.sent_at.is_(None))):  # fmt: skip
            rows = connection.execute(
                select(table.c.lease_owner, func.count())
                .where(open_, table.c.lease_until > now).group_by(table.c.lease_owner)
            )  # fmt: skip
            held.update(dict(rows.all()))
    return held


# ---------------------------------------------------------------------------- the receiver


class Receiver:
    """An HTTP server that takes the workers' webhooks: 200 for each, keys and events noted."""

    def __init__(self) -> None:
        self.server = HTTPServer(threaded=True)
        self._lock = threading.Lock()
        self._received: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return self.server.url_for(WEBHOOK_PATH)

    def keys(self) -> Counter[str]:
        """Each notice key received, with how many times."""
        with self._lock:
            return Counter(key for key, _ in self._received)

    def events(self) -> Counter[str]:
        """The events the received notices were about, counted once per key."""
        with self._lock:
            return Counter(event for _, event in dict(self._received).items())

    def _take(self, request: Request) -> Response:
        body = request.get_json()
        with self._lock:
            self._received.append((request.headers["Idempotency-Key"], body["event"]))
        return Response(status=200)

    def __enter__(self) -> Self:
        self.server.expect_request(WEBHOOK_PATH, method="POST").respond_with_handler(self._take)
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.clear()
        self.server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


def _assert_outbox_delivered(
    engine: Engine, receiver: Receiver, expected: set[str], label: str
) -> int:
    """Every notice the events call for is in the outbox once, sent, and was received.

    Returns how many repeats the receiver got (at least once: a worker killed between the
    receiver's answer and its record of it sends the notice again, with the same key).
    """
    rows = _outbox_rows(engine)
    assert expected, "the tickets' events call for notices"
    assert {row["key"] for row in rows} == expected
    assert len(rows) == len(expected)
    assert [row["key"] for row in rows if row["sent_at"] is None or row["failed_at"]] == []
    received = receiver.keys()
    assert set(received) == expected, "every notice arrived, and nothing else"
    repeats = sum(received.values()) - len(received)
    print(f"{label}: {len(expected)} notices, {repeats} delivered again")  # noqa: T201 - the report
    return repeats


# ---------------------------------------------------------------------------- worker processes


@dataclass
class WorkerProcess:
    """One ``propdesk worker`` process and the file its log goes to."""

    worker_id: str
    process: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[str]:
        """The complete lines of its log so far."""
        written = self.log.read_text("utf-8", errors="replace")
        return written.splitlines()[: written.count("\n")]

    def entries(self, event: str | None = None) -> list[dict[str, Any]]:
        """Its JSON log entries (those with this ``event`` text, if given)."""
        found = []
        for line in self.lines():
            if line.startswith("{"):
                entry = json.loads(line)
                if event is None or entry.get("event") == event:
                    found.append(entry)
        return found

    def tracebacks(self) -> list[str]:
        return [line for line in self.lines() if line.startswith("Traceback")]

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Fleet:
    """The worker processes of one test; every one still running is killed at the end."""

    url: str
    webhook: str
    directory: Path
    settings: dict[str, str] = field(default_factory=dict)
    workers: list[WorkerProcess] = field(default_factory=list)

    def start(self, worker_id: str, *, url: str | None = None) -> WorkerProcess:
        """Starts ``propdesk worker`` with the test's settings and this worker id."""
        settings = {
            "database_url": url or self.url, "worker_id": worker_id, "tick_seconds": "0.1",
            "claim_batch": "5", "lease_seconds": "2", "quiet_start": "", "quiet_end": "",
            "notifier": "webhook", "webhook_url": self.webhook,
            "database_retry_max_seconds": "1",
        } | self.settings  # fmt: skip
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PROPDESK_WORKER_")}
        environment.update({f"PROPDESK_WORKER_{k.upper()}": v for k, v in settings.items()})
        log = self.directory / f"{worker_id}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(  # noqa: S603 - our own program, our own arguments
                [str(PROPDESK), "worker"], env=environment, stdin=subprocess.DEVNULL,
                stdout=sink, stderr=sink,
            )  # fmt: skip
        worker = WorkerProcess(worker_id, process, log)
        self.workers.append(worker)
        return worker

    def alive(self) -> list[WorkerProcess]:
        return [worker for worker in self.workers if worker.alive()]

    def kill(self, worker: WorkerProcess) -> None:
        """``kill -9``: no chance to give anything back."""
        worker.process.send_signal(signal.SIGKILL)
        assert worker.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> dict[str, int]:
        """SIGTERM to every live worker; their exit codes once they have stopped."""
        running = self.alive()
        for worker in running:
            worker.process.send_signal(signal.SIGTERM)
        return {worker.worker_id: worker.process.wait(timeout=20) for worker in running}

    def assert_running(self) -> None:
        """Fails at once, with its log, if a worker this test did not kill has exited."""
        for worker in self.workers:
            code = worker.process.poll()
            if code is not None and code != -signal.SIGKILL:
                tail = "\n".join(worker.lines()[-30:])
                pytest.fail(f"worker {worker.worker_id} exited with {code}:\n{tail}")

    def close(self) -> None:
        for worker in self.alive():
            worker.process.kill()
        for worker in self.workers:
            worker.process.wait(timeout=10)


@pytest.fixture
def fleet(desk_url: str, receiver: Receiver, tmp_path: Path) -> Iterator[Fleet]:
    started = Fleet(desk_url, receiver.url, tmp_path)
    try:
        yield started
    finally:
        started.close()


def _wait_for(condition: Callable[[], bool], what: str, *, fleet: Fleet | None = None,
              timeout: float = SETTLE_SECONDS) -> float:  # fmt: skip
    """Polls ``condition`` until it holds; the seconds that took. Fails after ``timeout``."""
    started = time.monotonic()
    while not condition():
        if fleet is not None:
            fleet.assert_running()
        if time.monotonic() - started > timeout:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - started


def _assert_stopped_cleanly(fleet: Fleet) -> None:
    """SIGTERM stops every live worker with exit code 0, without a traceback in any log."""
    codes = fleet.stop()
    assert codes, "some workers were still running"
    assert codes == dict.fromkeys(codes, 0)
    for worker in fleet.workers:
        assert worker.tracebacks() == [], f"{worker.worker_id} logged a traceback"
        if worker.worker_id in codes:
            assert worker.entries("worker stopped"), f"{worker.worker_id} did not say it stopped"


def _handled(fleet: Fleet) -> list[tuple[str, dict[str, Any]]]:
    """Every deadline a worker's log says it acted on or skipped, with the worker's id."""
    return [
        (worker.worker_id, entry)
        for worker in fleet.workers
        for entry in worker.entries()
        if entry["event"] in ("deadline acted on", "deadline skipped")
    ]


def _assert_marked_done_at_most_once(done: list[dict[str, Any]]) -> None:
    """No agenda row was marked done twice; each done row says what became of it."""
    assert done, "workers marked rows done"
    marked = Counter((row["ticket_id"], row["goal"], row["run"], row["action"]) for row in done)
    assert [key for key, times in marked.items() if times > 1] == []
    assert {(row["action"], row["outcome"]) for row in done} <= {("warn", "skipped"),
                                                                 ("due", "acted")}  # fmt: skip


def _busy_worker(fleet: Fleet, engine: Engine, rng: random.Random) -> tuple[WorkerProcess, int]:
    """A live worker that holds claimed rows right now (mid-batch), and how many it holds."""
    found: list[tuple[WorkerProcess, int]] = []

    def busy() -> bool:
        alive = {worker.worker_id: worker for worker in fleet.alive()}
        found[:] = [(alive[owner], held) for owner, held in sorted(_holders(engine).items())
                    if owner in alive]  # fmt: skip
        return bool(found)

    _wait_for(busy, "a worker holding claims (if the work ran out: more tickets)", fleet=fleet,
              timeout=15)  # fmt: skip
    return rng.choice(found)


def _assert_backed_off(worker: WorkerProcess) -> None:
    """The worker is alive, logged failed ticks, and waited longer after each, up to 1 s."""
    assert worker.alive(), "the worker outlived the outage"
    failures = worker.entries("tick failed; trying again later")
    waits = [entry["retry_in"] for entry in failures]
    print(f"waits after the failed ticks: {waits}")  # noqa: T201 - the report
    assert len(failures) >= 3
    assert waits == sorted(waits)
    assert waits[0] < waits[-1] == 1.0, "the wait doubles, up to the maximum (1 s here)"
    assert [entry["failures"] for entry in failures] == list(range(1, len(failures) + 1))
    moments = [datetime.fromisoformat(entry["timestamp"]) for entry in failures]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(moments)]
    assert all(gap >= 0.9 * wait for gap, wait in zip(gaps, waits, strict=False)), (
        "it waited before each try"
    )
    assert worker.tracebacks() == []


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def desk_url(postgres_url: str) -> str:
    """An initialised database whose read side a first worker has set up (and then closed)."""
    p.init_schema(postgres_url)
    settings = WorkerSettings(database_url=postgres_url, worker_id="set-up")
    open_worker(settings).close()
    return postgres_url


@pytest.fixture
def desk(desk_url: str) -> Iterator[p.Desk]:
    """The front desk, on the system clock; it logs the tickets in the past with ``at``."""
    opened = p.open_desk(desk_url, organisations=[sample_organisation()])
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def engine(desk_url: str) -> Iterator[Engine]:
    """Reads the agenda and the outbox, and keeps the record of the rows done."""
    opened = engine_for(desk_url)
    _record_done_rows(opened, _schema(desk_url))
    try:
        yield opened
    finally:
        opened.dispose()


# ---------------------------------------------------------------------------- several workers

SHARED_TICKETS = 150
WORKERS = 3


def test_several_workers_share_the_due_deadlines_and_act_on_each_exactly_once(
    desk: p.Desk, engine: Engine, fleet: Fleet, receiver: Receiver
):
    tickets = _overdue_repairs(desk, SHARED_TICKETS, dispatched=timedelta(hours=2))
    fleet.settings["lease_seconds"] = "30"  # nobody dies here: no lease runs out
    for n in range(WORKERS):
        fleet.start(f"worker-{n}")
    took = _wait_for(lambda: _settled(engine, tickets), "the deadlines to be acted on",
                     fleet=fleet)  # fmt: skip
    print(f"{WORKERS} workers settled {len(tickets)} tickets in {took:.1f} s")  # noqa: T201 - the report
    _assert_stopped_cleanly(fleet)

    _assert_each_acted_on_once(desk, tickets)
    # each deadline was handled once, by one worker: the warning skipped, the breach and the
    # escalation sent once each and stored (not answered from a receipt of an earlier send)
    handled = _handled(fleet)
    by_step = Counter((e["ticket_id"], e["action"], e.get("step", "skipped")) for _, e in handled)
    assert by_step == Counter({(str(ticket), action, step): 1 for ticket in tickets
                               for action, step in STEPS})  # fmt: skip
    assert all((e["goal"], e["run"], e.get("replayed", False)) == ("arrive_asap", 1, False)
               for _, e in handled)  # fmt: skip
    share = Counter(worker for worker, e in handled if e["event"] == "deadline acted on")
    print(f"deadline commands sent, by worker: {dict(share)}")  # noqa: T201 - the report
    assert len(share) >= 2, "the work was shared"
    assert [w for w in fleet.workers if w.entries("tick failed; trying again later")] == []

    done = _done_rows(engine)
    _assert_marked_done_at_most_once(done)
    assert len({row["owner"] for row in done}) >= 2
    with engine.connect() as connection:
        left = connection.execute(select(agenda_table())).all()
    assert {row.run for row in left} == {2}, "the run-1 rows are settled; run 2 is not due yet"

    repeats = _assert_outbox_delivered(engine, receiver, _expected_notices(desk, tickets),
                                       "several workers")  # fmt: skip
    assert repeats == 0, "no worker died, so no notice was sent twice"


def test_workers_started_together_on_a_new_database_all_come_up(
    postgres_url: str, receiver: Receiver, tmp_path: Path
):
    p.init_schema(postgres_url)  # `propdesk db init`, then the workers: no read side yet
    engine = engine_for(postgres_url)
    fleet = Fleet(postgres_url, receiver.url, tmp_path)
    try:
        with engine.begin() as holding:  # they wait for the event store, then all go at once
            holding.execute(text("LOCK TABLE propdesk_events IN ACCESS EXCLUSIVE MODE"))
            for n in range(WORKERS):
                fleet.start(f"worker-{n}")
            _wait_for(lambda: _waiting_for_the_store(engine) == WORKERS,
                      "the workers to wait for the event store", fleet=fleet)  # fmt: skip
        _wait_for(
            lambda: all(w.entries("worker started") or not w.alive() for w in fleet.workers),
            "the workers to start or fail",
        )
        fleet.assert_running()
        _assert_stopped_cleanly(fleet)
    finally:
        fleet.close()
        engine.dispose()


def _waiting_for_the_store(engine: Engine) -> int:
    """How many connections wait for a lock on the event store's table."""
    with engine.connect() as connection:
        waiting = connection.execute(
            text("SELECT count(DISTINCT pid) FROM pg_locks"
                 " WHERE relation = 'propdesk_events'::regclass AND NOT granted")
        ).scalar_one()  # fmt: skip
    return int(waiting)


# ---------------------------------------------------------------------------- kill -9

KILLED_TICKETS = 150
KILLS = 8


def test_workers_killed_in_the_middle_of_a_batch_lose_nothing_and_duplicate_nothing(
    desk: p.Desk, engine: Engine, fleet: Fleet, receiver: Receiver
):
    tickets = _overdue_repairs(desk, KILLED_TICKETS, dispatched=timedelta(hours=2))
    for n in range(WORKERS):
        fleet.start(f"worker-{n}")
    rng = random.Random(20261124)  # noqa: S311 - a reproducible schedule of kills, not a secret
    held_when_killed = []
    for n in range(KILLS):
        time.sleep(rng.uniform(0.3, 0.8))
        victim, held = _busy_worker(fleet, engine, rng)
        fleet.kill(victim)
        held_when_killed.append(held)
        fleet.start(f"replacement-{n}")
    print(f"rows each killed worker held: {held_when_killed}")  # noqa: T201 - the report
    assert len(held_when_killed) == KILLS
    assert all(held_when_killed), "every kill landed while the worker held claimed rows"
    took = _wait_for(lambda: _settled(engine, tickets), "the deadlines to be acted on",
                     fleet=fleet)  # fmt: skip
    print(f"settled {took:.1f} s after the last kill")  # noqa: T201 - the report
    _assert_stopped_cleanly(fleet)

    _assert_each_acted_on_once(desk, tickets)
    _assert_marked_done_at_most_once(_done_rows(engine))
    again = [e for _, e in _handled(fleet) if e.get("replayed")]
    print(f"commands sent again after a kill and answered from receipts: {len(again)}")  # noqa: T201 - the report
    _assert_outbox_delivered(engine, receiver, _expected_notices(desk, tickets), "kill -9")


# ---------------------------------------------------------------------------- a day's jump

DAY_OLD_TICKETS = 40


def test_a_day_of_missed_deadlines_is_acted_on_in_order_and_the_late_warnings_skipped(
    desk: p.Desk, engine: Engine, fleet: Fleet, receiver: Receiver
):
    tickets = _overdue_repairs(desk, DAY_OLD_TICKETS, dispatched=timedelta(days=1))
    worker = fleet.start("after-the-weekend")
    _wait_for(lambda: _settled(engine, tickets), "the deadlines to be acted on", fleet=fleet)
    _assert_stopped_cleanly(fleet)

    done = _done_rows(engine)  # in the order they were done
    assert sorted((row["ticket_id"], row["action"]) for row in done) == sorted(
        (str(ticket), action) for ticket in tickets for action in ("warn", "due")
    ), "each ticket's warning and deadline were done, each once"
    assert {row["owner"] for row in done} == {worker.worker_id}
    assert len({row["done_at"] for row in done}) == len(done)
    in_fire_order = sorted(done, key=lambda row: (row["fire_at"], row["rank"], row["ticket_id"]))
    assert in_fire_order == done, "done in the order they fell due, warnings first at a tie"
    assert {(row["action"], row["outcome"]) for row in done} == {("warn", "skipped"),
                                                                 ("due", "acted")}  # fmt: skip
    first_deadline = next(i for i, row in enumerate(done) if row["action"] == "due")
    assert any(row["action"] == "warn" for row in done[first_deadline:]), (
        "later tickets' warnings fell between earlier tickets' deadlines"
    )

    skipped = worker.entries("deadline skipped")
    assert len(skipped) == len(tickets)
    assert {entry["reason"] for entry in skipped} == {
        "the deadline had passed when the warning was due to be sent"
    }
    _assert_each_acted_on_once(desk, tickets)  # and no GoalWarned stored
    assert "GoalWarned" not in {row["event"] for row in _outbox_rows(engine)}
    assert set(receiver.events()) == {"GoalBreached", "Escalated"}
    _assert_outbox_delivered(engine, receiver, _expected_notices(desk, tickets), "a day's jump")


# ---------------------------------------------------------------------------- the database away

OUTAGE_SECONDS = 4.0
MID_COMMAND_OUTAGE_SECONDS = 18.0
"""Long enough for a command's ten tries at one second each, then a few backed-off ticks."""
OUTAGE_TICKETS = 6


def test_a_worker_waits_out_a_database_outage_with_backoff_and_goes_on_when_it_is_back(
    desk: p.Desk, desk_url: str, engine: Engine, fleet: Fleet, receiver: Receiver
):
    with TcpProxy(_address(desk_url)) as proxy:
        before = _overdue_repairs(desk, OUTAGE_TICKETS, dispatched=timedelta(hours=2))
        worker = fleet.start("through-the-proxy", url=_via_port(desk_url, proxy.port))
        _wait_for(lambda: _settled(engine, before), "the first repairs", fleet=fleet)
        assert proxy.accepted > 0, "the worker reached the database through the proxy"
        assert worker.entries("tick failed; trying again later") == []

        proxy.stop_when_quiet(0.05)  # between two ticks: see the next test for the other case
        outage = time.monotonic()
        during = _overdue_repairs(desk, OUTAGE_TICKETS, dispatched=timedelta(hours=1))
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage)))
        _assert_backed_off(worker)
        assert not _settled(engine, during)

        proxy.start()
        took = _wait_for(lambda: _settled(engine, during), "the repairs of the outage",
                         fleet=fleet)  # fmt: skip
        print(f"caught up {took:.1f} s after the database came back")  # noqa: T201 - the report
        assert len(worker.entries("database reachable again")) == 1
        assert len(worker.entries("worker started")) == 1, "one process, never restarted"
        _assert_stopped_cleanly(fleet)

    tickets = before + during
    _assert_each_acted_on_once(desk, tickets)
    _assert_outbox_delivered(engine, receiver, _expected_notices(desk, tickets), "outage")


def test_a_database_lost_in_the_middle_of_a_command_is_waited_out_with_backoff_too(
    desk: p.Desk, desk_url: str, engine: Engine, fleet: Fleet, receiver: Receiver
):
    # eventsourcing tries a lost connection ten times; a second a try, the command gives up
    # (and the tick fails) some 12 s into the outage, and the worker's own backoff follows
    fleet.settings["database_connect_timeout_seconds"] = "1"
    with TcpProxy(_address(desk_url)) as proxy:
        tickets = _overdue_repairs(desk, OUTAGE_TICKETS, dispatched=timedelta(hours=2))
        proxy.cut_when(b"Repair.GoalBreached")  # the desk storing the first breach
        worker = fleet.start("through-the-proxy", url=_via_port(desk_url, proxy.port))
        _wait_for(proxy.cut.is_set, "the worker to store a breach", fleet=fleet)
        proxy.stop()
        time.sleep(MID_COMMAND_OUTAGE_SECONDS)
        _assert_backed_off(worker)

        proxy.start()
        _wait_for(lambda: _settled(engine, tickets), "the repairs", fleet=fleet, timeout=15)
        assert len(worker.entries("database reachable again")) == 1
        started = time.monotonic()
        _assert_stopped_cleanly(fleet)
        assert time.monotonic() - started < 5, "SIGTERM stops it promptly"

    _assert_each_acted_on_once(desk, tickets)
    _assert_outbox_delivered(engine, receiver, _expected_notices(desk, tickets), "lost mid-command")


# ---------------------------------------------------------------------------- the log


def test_the_worker_logs_only_json_lines(desk: p.Desk, engine: Engine, fleet: Fleet):
    tickets = _overdue_repairs(desk, 10, dispatched=timedelta(hours=2))
    fleet.settings["tick_seconds"] = "0.02"  # a tick that acts on anything takes longer
    worker = fleet.start("json-only")
    _wait_for(lambda: _settled(engine, tickets), "the deadlines to be acted on", fleet=fleet)
    _assert_stopped_cleanly(fleet)
    lines = worker.lines()
    assert len(worker.entries("deadline acted on")) == 2 * len(tickets)
    assert [line for line in lines if not line.startswith("{")] == []
