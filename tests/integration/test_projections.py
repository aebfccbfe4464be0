"""The read side on real databases: catch-up, lag, rebuild, concurrent projectors, crashes.

Each test runs once per backend (the ``backend_url`` fixture in ``tests/conftest.py``). The
crash test starts real projector processes (``projection_worker.py``) and kills them with
SIGKILL in the middle of a batch; nothing is mocked.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from projection_worker import FaultyBoard, Pacing, SlowBoard, SlowTally, SlowTimers, Tally
from sqlalchemy import Column, Index, MetaData, String, inspect, text
from sqlalchemy import select as select_rows

import propdesk as p
from propdesk.application.views import RepairView
from propdesk.demo import DemoSettings, demo_clock, simulate
from propdesk.domain.complaint_lifecycle import CLOSED_STATES as COMPLAINT_CLOSED
from propdesk.domain.goals import GoalStatus
from propdesk.domain.lifecycle import CLOSED_STATES as REPAIR_CLOSED
from propdesk.projections import (
    BoardRow,
    Projector,
    Timer,
    all_timers,
    board,
    default_projections,
    engine_for,
)
from propdesk.projections.board import Board
from propdesk.projections.sla_timers import SlaTimers
from propdesk.testing import ManualClock, new_complaint, new_repair, sample_organisation

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from uuid import UUID

    from sqlalchemy import Engine, Table

    from propdesk.domain.ticket import Ticket
    from propdesk.projections.base import Projection

OpenDesk = Callable[..., p.Desk]
WORKER_SCRIPT = Path(__file__).with_name("projection_worker.py")
KEYS = {"board": "ticket_id", "sla_timers": "ticket_id, goal", "tally": "ticket_id"}
"""Each read model's plain name and the columns that order its rows."""
WRITTEN_MEANWHILE = 12
"""Busy repairs another desk writes while a rebuild runs."""
EVERYTHING = 1_000_000
"""A board limit no test reaches."""


# ---------------------------------------------------------------- helpers


def _all_projections() -> list[Projection]:
    return [Board(), SlaTimers(), Tally()]


def _slow_projections() -> list[Projection]:
    """The same projections, each apply taking a little longer, so that batches overlap."""
    return [SlowBoard(), SlowTimers(), SlowTally()]


@pytest.fixture
def slow_applies() -> Iterator[None]:
    """Makes the slow projections of this process sleep a little per event."""
    Pacing.pause = 0.0005
    yield
    Pacing.pause = 0.0


def _snapshot(projector: Projector) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model the projector keeps, read through its plain name."""
    with projector.engine.connect() as connection:
        return {
            name: [
                tuple(row)
                for row in connection.execute(text(f"SELECT * FROM {name} ORDER BY {KEYS[name]}"))  # noqa: S608 - our own names
            ]
            for name in projector.names
        }


def _queries(engine: Engine) -> tuple[list[BoardRow], list[Timer]]:
    return board(engine, limit=EVERYTHING), all_timers(engine)


def _positions(projector: Projector) -> dict[str, int]:
    return {status.name: status.position for status in projector.status()}


def _head(projector: Projector) -> int:
    return projector.status()[0].head


def _assert_a_rebuild_changes_nothing(projector: Projector) -> None:
    """Rebuilds every projection; the tables and the query results must stay the same."""
    before = _snapshot(projector), _queries(projector.engine)
    generations = {status.name: status.generation for status in projector.status()}
    for name in projector.names:
        projector.rebuild(name)
    after = _snapshot(projector), _queries(projector.engine)
    assert after == before
    statuses = projector.status()
    assert {s.name: s.generation for s in statuses} == {n: g + 1 for n, g in generations.items()}
    assert all(s.position == s.head and s.lag == 0 for s in statuses)


def _assert_tallies_count_every_event_once(projector: Projector, desk: p.Desk | None) -> None:
    """Each ticket's tally counted each of its events once, in order (all of them: ``desk``)."""
    with projector.engine.connect() as connection:
        rows = connection.execute(text("SELECT ticket_id, events, last_version FROM tally")).all()
    assert rows
    assert [(ticket, events) for ticket, events, _ in rows] == [
        (ticket, last) for ticket, _, last in rows
    ], "a ticket's events were counted twice or skipped"
    if desk is not None:
        expected = {str(ticket): len(desk.stored_events(ticket)) for ticket in desk.ticket_ids()}
        assert {ticket: events for ticket, events, _ in rows} == expected


def _open_goals(desk: p.Desk, ticket: UUID) -> dict[str, dict[str, object]]:
    """The ticket's goals whose clock can still run out (running or paused), as stored."""
    stored = desk.load(ticket).goals
    return {
        name: record
        for name, record in stored.items()
        if GoalStatus(str(record["status"])) in (GoalStatus.RUNNING, GoalStatus.PAUSED)
    }


def _assert_read_models_match_the_views(desk: p.Desk, projector: Projector) -> None:
    """The board and the timers say what the desk's own views say, ticket by ticket."""
    generation = {status.name: status.generation for status in projector.status()}
    table = Board().define(MetaData(), generation["board"])["board"]
    with projector.engine.connect() as connection:
        rows = {row.ticket_id: row for row in connection.execute(select_rows(table))}
    timers = {(timer.ticket_id, timer.goal): timer for timer in all_timers(projector.engine)}
    tickets = list(desk.ticket_ids())
    assert sorted(rows) == sorted(str(ticket) for ticket in tickets), "one row per ticket"
    expected_timers = {}
    for ticket in tickets:
        view = desk.view(ticket)
        row = rows[str(ticket)]
        repair = isinstance(view, RepairView)
        closed = REPAIR_CLOSED if repair else COMPLAINT_CLOSED
        assert (row.kind, row.estate, row.state) == (
            "repair" if repair else "complaint", view.estate, view.state.value
        )  # fmt: skip
        assert row.open is (view.state not in closed), view.state
        assignee = view.acceptor if isinstance(view, RepairView) else view.handler
        assert row.assignee == assignee, (view.state, "who has the ticket now")
        assert row.level == (view.escalation_level if isinstance(view, RepairView) else 0)
        assert row.severity == (None if isinstance(view, RepairView) else view.severity)
        assert row.logged_at == view.logged_at
        assert row.logged_at <= row.updated_at <= view.updated_at
        open_goals = _open_goals(desk, ticket)
        shown = {goal.goal: goal for goal in view.goals if goal.stopped_at is None}
        assert set(shown) == set(open_goals)
        assert row.nearest_due == min((g.due_at for g in shown.values()), default=None)
        for name, goal in shown.items():
            expected_timers[str(ticket), name] = Timer(
                ticket_id=str(ticket), goal=name, kind=row.kind, seed=goal.seed, run=goal.run,
                started_at=goal.started_at, due_at=goal.due_at, warn_at=goal.warn_at,
                paused=open_goals[name]["status"] == GoalStatus.PAUSED,
                warned=goal.warned, breached=goal.breach_recorded,
            )  # fmt: skip
    assert timers == expected_timers
    open_rows = [row for row in rows.values() if row.open]
    assert {row.ticket_id for row in board(projector.engine, limit=EVERYTHING)} == {
        row.ticket_id for row in open_rows
    }


def _busy_repair(desk: p.Desk, clock: ManualClock) -> UUID:
    """A repair that is refused and escalated, so that goals start, stop and restart."""
    ticket = desk.execute(new_repair()).ticket_id
    for command in (
        p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"),
        p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="在其他单元维修走不开"),
        p.Escalate(ticket_id=ticket, actor="desk-huang"),
    ):
        clock.advance(minutes=3)
        desk.execute(command)
    return ticket


def _left_for_revisit(desk: p.Desk, clock: ManualClock) -> UUID:
    """A repair whose technician found nobody home and left: nobody has it now."""
    ticket = desk.execute(new_repair()).ticket_id
    steps: list[p.Command] = [
        p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"),
        p.ReportArrival(ticket_id=ticket, actor="tech-zhang"),
        p.KnockUnanswered(ticket_id=ticket, actor="tech-zhang"),
        p.KnockUnanswered(ticket_id=ticket, actor="tech-zhang"),
        p.LeaveForRevisit(
            ticket_id=ticket, actor="tech-zhang", informed_supervisor="sup-wang",
            informed_customer_service="desk-huang",
        ),
    ]  # fmt: skip
    for command in steps:
        clock.advance(minutes=5)
        desk.execute(command)
    return ticket


def _complaints(desk: p.Desk, clock: ManualClock) -> None:
    """Three complaints: one just logged, one classified, one classified and routed."""
    for stage in range(3):
        ticket = desk.execute(new_complaint(at=clock.now())).ticket_id
        clock.advance(minutes=4)
        if stage == 0:
            continue
        desk.execute(
            p.ClassifyComplaint(
                ticket_id=ticket, actor="cs-he", severity=p.ComplaintSeverity.MINOR,
                complaint_type=p.ComplaintSubject.SERVICE, responsible_unit="工程部",
                confirmed_by="head-qian",
            )
        )  # fmt: skip
        if stage == 2:
            clock.advance(minutes=4)
            desk.execute(p.RouteComplaint(ticket_id=ticket, actor="cs-he", to="sup-chen"))


def _writer(desk: p.Desk, clock: ManualClock, errors: list[str]) -> None:
    """Writes a few busy repairs (a fixed number: a rebuild must be able to catch up)."""
    try:
        for _ in range(WRITTEN_MEANWHILE):
            _busy_repair(desk, clock)
    except Exception as error:  # noqa: BLE001 - the test reports whatever the thread hit
        errors.append(f"writer: {error!r}")


@pytest.fixture
def demo_desk(open_backend_desk: OpenDesk) -> tuple[p.Desk, ManualClock]:
    """A simulated demo day (40 repairs), then open work of every kind at its end."""
    organisation = sample_organisation()
    clock = demo_clock(organisation)
    desk = open_backend_desk(clock=clock)
    simulate(desk, clock, organisation, DemoSettings(repairs=40, seed=5))
    _busy_repair(desk, clock)
    _left_for_revisit(desk, clock)
    _complaints(desk, clock)
    return desk, clock


@pytest.fixture
def projector(backend_url: str) -> Iterator[Projector]:
    with Projector(backend_url, batch_size=50) as opened:
        yield opened


# ---------------------------------------------------------------- catching up


def test_a_catch_up_after_a_demo_day_shows_what_the_views_show(
    demo_desk: tuple[p.Desk, ManualClock], projector: Projector
):
    desk, _ = demo_desk
    head = _head(projector)

    applied = projector.catch_up()

    assert applied == dict.fromkeys(projector.names, head)
    assert head > 800
    _assert_read_models_match_the_views(desk, projector)
    assert projector.catch_up() == dict.fromkeys(projector.names, 0)


def test_the_lag_is_zero_after_a_catch_up_and_counts_new_notifications(
    demo_desk: tuple[p.Desk, ManualClock], projector: Projector
):
    desk, clock = demo_desk
    projector.catch_up()
    head = _head(projector)
    assert [(s.position, s.lag) for s in projector.status()] == [(head, 0)] * len(projector.names)

    ticket = _busy_repair(desk, clock)
    stored = len(desk.stored_events(ticket))
    result = desk.execute(
        p.ReportArrival(ticket_id=ticket, actor="sup-wang", command_id="arrival-1")
    )
    stored += len(result.events) + 1  # and its receipt
    stored += len(desk.execute(new_complaint(at=clock.now())).events)

    statuses = projector.status()
    assert [(s.name, s.head, s.position, s.lag) for s in statuses] == [
        (name, head + stored, head, stored) for name in sorted(projector.names)
    ]
    assert projector.catch_up() == dict.fromkeys(projector.names, stored)
    assert [s.lag for s in projector.status()] == [0] * len(projector.names)
    _assert_read_models_match_the_views(desk, projector)


# ---------------------------------------------------------------- rebuilding


def test_a_rebuild_equals_the_step_by_step_tables_and_replaces_the_old_generation(
    demo_desk: tuple[p.Desk, ManualClock], backend_url: str
):
    desk, clock = demo_desk
    with Projector(
        backend_url, _all_projections(), batch_size=13, rebuild_batch_size=13
    ) as projector:
        projector.catch_up()
        _assert_a_rebuild_changes_nothing(projector)
        names = set(inspect(projector.engine).get_table_names())
        assert {"board_g2", "sla_timers_g2", "tally_g2"} <= names
        assert not {"board_g1", "sla_timers_g1", "tally_g1"} & names
        assert {"board", "sla_timers", "tally"} <= set(inspect(projector.engine).get_view_names())

        _busy_repair(desk, clock)
        _complaints(desk, clock)
        assert projector.catch_up() != {"board": 0, "sla_timers": 0, "tally": 0}
        _assert_read_models_match_the_views(desk, projector)
        _assert_a_rebuild_changes_nothing(projector)
        names = set(inspect(projector.engine).get_table_names())
        assert "board_g3" in names
        assert "board_g2" not in names
        _assert_tallies_count_every_event_once(projector, desk)


def _every_default_table(projector: Projector) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the default read models, by plain name, in key order."""
    found = {}
    with projector.engine.connect() as connection:
        for projection in default_projections():
            for plain, table in projection.define(MetaData(), 0).items():
                order = ", ".join(column.name for column in table.primary_key.columns)
                query = text(f"SELECT * FROM {plain} ORDER BY {order}")  # noqa: S608 - our own names
                found[plain] = [tuple(row) for row in connection.execute(query)]
    return found


@pytest.mark.usefixtures("demo_desk")
def test_a_rebuild_shared_among_processes_equals_the_step_by_step_tables(backend_url: str):
    with Projector(backend_url, batch_size=50) as projector:
        projector.catch_up()
        caught_up = _every_default_table(projector)
        head = _head(projector)

    with Projector(backend_url, rebuild_batch_size=37, rebuild_processes=2) as rebuilder:
        assert rebuilder.rebuild() == head

        assert _every_default_table(rebuilder) == caught_up
        assert sum(map(len, caught_up.values())) > 1000
        statuses = rebuilder.status()
    assert {(status.generation, status.lag) for status in statuses} == {(2, 0)}


@pytest.mark.usefixtures("demo_desk")
def test_a_fault_in_a_process_sharing_a_rebuild_stops_it_and_the_live_tables_stand(
    backend_url: str,
):
    with Projector(backend_url, [FaultyBoard()], rebuild_processes=2) as projector:
        projector.catch_up()
        before = board(projector.engine, limit=EVERYTHING)
        assert before

        with pytest.raises(RuntimeError, match="a fault in the board"):
            projector.rebuild()

        assert board(projector.engine, limit=EVERYTHING) == before
        assert [(s.generation, s.lag) for s in projector.status()] == [(1, 0)]
    with Projector(backend_url, [Board()]) as fixed:  # the half-filled tables are made again
        fixed.rebuild()
        assert board(fixed.engine, limit=EVERYTHING) == before


class SilentBoard(Board):
    """The board, claiming to say what whole histories make, and saying nothing."""

    def fresh(self, events: Sequence[Ticket.Event]) -> None:  # type: ignore[override]
        del events


@pytest.mark.usefixtures("demo_desk")
def test_a_projection_whose_fresh_rows_are_missing_stops_a_rebuild_with_its_name(
    backend_url: str,
):
    with Projector(backend_url, [SilentBoard()]) as projector:
        projector.catch_up()
        before = board(projector.engine, limit=EVERYTHING)

        with pytest.raises(p.ConfigurationError, match=r"board: fresh\(\) gave no rows"):
            projector.rebuild()

        assert board(projector.engine, limit=EVERYTHING) == before
        assert [s.generation for s in projector.status()] == [1]


def test_a_rebuild_needs_at_least_one_process(backend_url: str):
    with pytest.raises(p.ConfigurationError, match="rebuild_processes must be at least 1, not 0"):
        Projector(backend_url, rebuild_processes=0)


class NotedTally(Tally):
    """The tally as a later version of it might define it: with one column more."""

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        tables = super().define(metadata, generation)
        tables["tally"].append_column(Column("note", String(20)))
        return tables


def test_tables_of_an_older_shape_are_rebuilt_by_the_next_catch_up(
    demo_desk: tuple[p.Desk, ManualClock], backend_url: str
):
    desk, _ = demo_desk
    with Projector(backend_url, [Tally()]) as projector:
        projector.catch_up()
    with Projector(backend_url, [NotedTally()]) as projector:
        assert projector.status()[0].generation == 1  # opening alone changes nothing
        projector.catch_up()
        (status,) = projector.status()
        assert (status.generation, status.lag) == (2, 0)
        columns = {column["name"] for column in inspect(projector.engine).get_columns("tally_g2")}
        assert columns == {"ticket_id", "events", "last_version", "note"}
        assert "tally_g1" not in inspect(projector.engine).get_table_names()
        _assert_tallies_count_every_event_once(projector, desk)
    with Projector(backend_url, [NotedTally()]) as projector:
        projector.catch_up()
        assert projector.status()[0].generation == 2  # the same shape: no second rebuild


class IndexedTally(Tally):
    """The tally as a later version of it might define it: with an index."""

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        tables = super().define(metadata, generation)
        Index(f"ix_tally_g{generation}_events", tables["tally"].c.events)
        return tables


def test_tables_whose_indexes_changed_are_rebuilt_by_the_next_catch_up(
    demo_desk: tuple[p.Desk, ManualClock], backend_url: str
):
    desk, _ = demo_desk
    with Projector(backend_url, [Tally()]) as projector:
        projector.catch_up()
    with Projector(backend_url, [IndexedTally()]) as projector:
        projector.catch_up()
        assert [(s.generation, s.lag) for s in projector.status()] == [(2, 0)]
        indexes = inspect(projector.engine).get_indexes("tally_g2")
        assert [index["name"] for index in indexes] == ["ix_tally_g2_events"]
        _assert_tallies_count_every_event_once(projector, desk)
    with Projector(backend_url, [IndexedTally()]) as projector:
        projector.catch_up()
        assert projector.status()[0].generation == 2  # the same indexes: no second rebuild
    with Projector(backend_url, [Tally()]) as projector:  # the index dropped again
        projector.catch_up()
        assert projector.status()[0].generation == 3
        assert inspect(projector.engine).get_indexes("tally_g3") == []


def test_a_rebuild_while_another_desk_keeps_writing_misses_nothing(
    demo_desk: tuple[p.Desk, ManualClock], open_backend_desk: OpenDesk, backend_url: str
):
    desk, clock = demo_desk
    writer_clock = ManualClock(clock.now())
    writer = open_backend_desk(clock=writer_clock)
    errors: list[str] = []
    with Projector(
        backend_url, _all_projections(), batch_size=20, rebuild_batch_size=20
    ) as projector:
        projector.catch_up()
        thread = threading.Thread(target=_writer, args=(writer, writer_clock, errors))
        thread.start()
        try:
            positions = [projector.rebuild(name) for name in projector.names]
        finally:
            thread.join(timeout=120)
        assert errors == []
        assert min(positions) > 0
        projector.catch_up()
        assert {s.generation for s in projector.status()} == {2}
        _assert_read_models_match_the_views(desk, projector)
        _assert_tallies_count_every_event_once(projector, desk)
        _assert_a_rebuild_changes_nothing(projector)


@pytest.mark.usefixtures("demo_desk")
def test_readers_never_miss_the_tables_while_a_rebuild_swaps_them(
    projector: Projector, backend_url: str
):
    projector.catch_up()
    expected = _queries(projector.engine)
    stop, errors, reads = threading.Event(), [], []

    def read() -> None:
        reader = engine_for(backend_url)
        while not stop.is_set():
            try:
                seen = _queries(reader)
            except Exception as error:  # noqa: BLE001 - the test reports what the reader hit
                errors.append(repr(error).splitlines()[0])
            else:
                reads.append(seen == expected)
        reader.dispose()

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(4):
            for name in projector.names:
                projector.rebuild(name)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert errors == []
    assert reads
    assert all(reads)


# ---------------------------------------------------------------- concurrent projectors


@pytest.mark.usefixtures("slow_applies")
def test_two_projectors_catching_up_at_once_apply_each_event_once(
    demo_desk: tuple[p.Desk, ManualClock], backend_url: str
):
    desk, _ = demo_desk
    projectors = [Projector(backend_url, _slow_projections(), batch_size=n) for n in (7, 11)]
    start = threading.Barrier(len(projectors))
    applied: list[dict[str, int]] = []
    errors: list[str] = []

    def catch_up(projector: Projector) -> None:
        start.wait()
        try:
            applied.append(projector.catch_up())
        except Exception as error:  # noqa: BLE001 - the test reports what the thread hit
            errors.append(repr(error).splitlines()[0])

    threads = [threading.Thread(target=catch_up, args=(pj,)) for pj in projectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == []
        head = _head(projectors[0])
        assert {name: sum(a[name] for a in applied) for name in projectors[0].names} == {
            "board": head, "sla_timers": head, "tally": head,
        }, "every notification applied by exactly one of the two"  # fmt: skip
        assert set(_positions(projectors[0]).values()) == {head}
        _assert_tallies_count_every_event_once(projectors[0], desk)
        _assert_read_models_match_the_views(desk, projectors[0])
        _assert_a_rebuild_changes_nothing(projectors[1])
    finally:
        for projector in projectors:
            projector.close()


@pytest.mark.usefixtures("slow_applies")
def test_a_rebuild_while_another_projector_keeps_catching_up(
    demo_desk: tuple[p.Desk, ManualClock], open_backend_desk: OpenDesk, backend_url: str
):
    desk, clock = demo_desk
    writer_clock = ManualClock(clock.now())
    writer = open_backend_desk(clock=writer_clock)
    stop, errors = threading.Event(), []
    follower = Projector(backend_url, _slow_projections(), batch_size=9)

    def follow() -> None:
        try:
            while not stop.is_set():
                follower.catch_up()
        except Exception as error:  # noqa: BLE001 - the test reports what the thread hit
            errors.append(f"catch-up: {error!r}".splitlines()[0])

    threads = [
        threading.Thread(target=_writer, args=(writer, writer_clock, errors)),
        threading.Thread(target=follow),
    ]
    with Projector(
        backend_url, _all_projections(), batch_size=25, rebuild_batch_size=25
    ) as rebuilder:
        for thread in threads:
            thread.start()
        try:
            for _ in range(2):
                for name in rebuilder.names:
                    rebuilder.rebuild(name)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
            follower.close()
        assert errors == []
        rebuilder.catch_up()
        assert {s.generation for s in rebuilder.status()} == {3}
        _assert_tallies_count_every_event_once(rebuilder, desk)
        _assert_read_models_match_the_views(desk, rebuilder)
        _assert_a_rebuild_changes_nothing(rebuilder)


# ---------------------------------------------------------------- crashes


def _start_worker(url: str, pause: float, hang: tuple[str, int] | None) -> subprocess.Popen[str]:
    arguments = [sys.executable, str(WORKER_SCRIPT), url, "7", str(pause)]
    if hang is not None:
        arguments += [hang[0], str(hang[1])]
    return subprocess.Popen(arguments, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own script


def _wait_for_line(worker: subprocess.Popen[str], wanted: str, timeout: float) -> None:
    """Reads the worker's output until it prints ``wanted``; fails if it ends first."""
    assert worker.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([worker.stdout], [], [], 0.1)
        if not ready:
            continue
        line = worker.stdout.readline()
        if line.strip() == wanted:
            return
        if not line:
            pytest.fail(f"the worker ended (rc {worker.wait()}) before printing {wanted!r}")
    pytest.fail(f"the worker did not print {wanted!r} within {timeout} s")


def _wait_until_all_moved(
    projector: Projector, worker: subprocess.Popen[str], since: dict[str, int], timeout: float
) -> None:
    """Polls the positions until every projection moved past ``since`` (and not to the head)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker finished before it could be killed"
        now = _positions(projector)
        if all(now[name] > since[name] for name in since):
            return
        time.sleep(0.01)
    pytest.fail(f"the worker did not move every projection within {timeout} s")


@pytest.mark.slow
def test_a_projector_killed_mid_batch_leaves_its_last_batch_and_the_next_run_completes(
    open_backend_desk: OpenDesk, backend_url: str
):
    organisation = sample_organisation()
    clock = demo_clock(organisation)
    desk = open_backend_desk(clock=clock)
    simulate(desk, clock, organisation, DemoSettings(repairs=100, seed=23))
    rounds: list[tuple[float, tuple[str, int] | None]] = [
        (0.0, ("tally", 40)),  # hangs inside its 6th batch of 7
        (0.0, ("board", 250)),
        (0.0, ("sla_timers", 333)),
        (0.002, None),  # killed whenever the parent sees progress: mostly inside a batch
    ]
    with Projector(backend_url, _all_projections()) as projector:
        head = _head(projector)
        assert head > 2000
        for pause, hang in rounds:
            before = _positions(projector)
            worker = _start_worker(backend_url, pause, hang)
            try:
                if hang is None:
                    _wait_until_all_moved(projector, worker, before, timeout=60)
                else:
                    _wait_for_line(worker, "hanging", timeout=60)
            finally:
                os.kill(worker.pid, signal.SIGKILL)
                worker.communicate(timeout=60)
            assert worker.returncode == -signal.SIGKILL
            after = _positions(projector)
            assert all(before[name] <= after[name] < head for name in after), (before, after)
            if hang is not None:
                assert after[hang[0]] > before[hang[0]], "it committed some batches first"
            _assert_tallies_count_every_event_once(projector, None)

        assert projector.catch_up() == {name: head - after[name] for name in after}
        assert _positions(projector) == {"board": head, "sla_timers": head, "tally": head}
        _assert_tallies_count_every_event_once(projector, desk)
        _assert_read_models_match_the_views(desk, projector)
        _assert_a_rebuild_changes_nothing(projector)


@pytest.mark.postgres
def test_a_catch_up_that_does_not_wait_leaves_a_busy_projection_to_its_process(
    postgres_url: str, clock: ManualClock
):
    p.init_schema(postgres_url)
    with p.open_desk(postgres_url, organisations=[sample_organisation()], clock=clock) as desk:
        desk.execute(new_repair())
    with Projector(postgres_url, [Board(), Tally()]) as projector:
        engine = engine_for(postgres_url)
        try:
            with engine.begin() as other:  # another process in the middle of a board batch
                other.execute(text("SELECT * FROM propdesk_projections WHERE name = 'board'"
                                   " FOR UPDATE"))  # fmt: skip
                started = time.monotonic()
                applied = projector.catch_up(wait=False)
                assert time.monotonic() - started < 5
                assert applied["board"] == 0
                assert applied["tally"] > 0
            assert projector.catch_up(wait=False)["board"] == applied["tally"]
        finally:
            engine.dispose()
