"""Read models built step by step equal read models rebuilt from zero.

Hypothesis draws a run of a desk: repairs and complaints logged, taken through random legal
steps with good data (the lifecycle and complaint machines' next steps), SLA warnings and
breaches recorded, time passing; and, at random points between the commands, projectors
with random batch sizes catching up some or all projections, whole or one batch at a time.
At the end every projection is caught up, and its tables must equal, row for row, what a
rebuild from the first event gives. The rebuild is drawn too: ticket by ticket (whole histories
in batches of a random size, the default) or in the order the events were stored (what a
projection that cannot say what whole histories make gets).

Each example runs on a new database: a SQLite file, or a new PostgreSQL schema.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
import test_complaint_machine as complaint_moves
import test_lifecycle_machine as repair_moves
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import propdesk as p
from conftest import POSTGRES_URL, REQUIRE_POSTGRES
from propdesk.application.views import RepairView
from propdesk.domain.complaint import Complaint
from propdesk.projections import Projector, default_projections
from propdesk.projections.base import Projection
from propdesk.testing import ManualClock, new_complaint, new_repair, sample_organisation

if TYPE_CHECKING:
    import random
    from collections.abc import Iterator, Sequence

    from sqlalchemy import Connection, MetaData, Table

    from propdesk.domain.ticket import Ticket

KEYS = {
    "board": "ticket_id", "callback_register": "ticket_id, number",
    "complaint_register": "ticket_id", "fee_register": "ticket_id",
    "goal_runs": "ticket_id, goal, run", "repair_register": "ticket_id",
    "sla_agenda": "ticket_id, goal, run, action", "sla_timers": "ticket_id, goal",
    "ticket_steps": "ticket_id, version",
}  # fmt: skip
"""Every default read model, in ``status()`` order, and the columns that order its rows."""
NAMES = tuple(KEYS)
NOTES = {"goal_run_estates": "ticket_id", "callback_estates": "ticket_id"}
"""The projections' other tables (each ticket's estate), compared too."""
POSTGRES_EXAMPLES = 15
"""PostgreSQL examples are slower (a schema each); fewer of them still mix every action."""

SEEDS = st.randoms(use_true_random=False)
SCOPES = st.sampled_from([(), *((name,) for name in NAMES)])
"""All the projections (``()``), or one."""
ACTIONS = st.one_of(
    st.tuples(st.just("log_repair"), SEEDS),
    st.tuples(st.just("log_complaint"), SEEDS),
    st.tuples(st.just("step"), SEEDS),
    st.tuples(st.just("step"), SEEDS),
    st.tuples(st.just("step"), SEEDS),
    st.tuples(st.just("monitor"), SEEDS),
    st.tuples(st.just("time"), st.integers(0, 3 * 24 * 60)),
    st.tuples(
        st.just("catch_up"), st.integers(1, 12), st.sampled_from([(), *((n,) for n in NAMES)])
    ),
    st.tuples(st.just("one_batch"), st.integers(1, 12), st.sampled_from(NAMES)),
)
"""One thing that happens: a command (with a seed for its choices), time passing, a catch-up
(of every projection, or of one) or a single batch of one projection."""
REBUILDS = st.tuples(
    st.sampled_from(["by ticket", "as stored"]), st.sampled_from([1, 2, 3, 7, 5000])
)
"""How the rebuild reads the store, and how many events a batch holds (a batch by ticket holds
whole histories, so a history longer than that is a batch of its own)."""


class AsStored(Projection):
    """A projection that does not say what whole histories make: rebuilt in stored order."""

    def __init__(self, inner: Projection) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]  # the inner one's, per instance

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        return self.inner.define(metadata, generation)

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        self.inner.apply(connection, tables, events)


@contextmanager
def _database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An initialised, empty database for one example."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('interleaving') / 'desk.db'}"
        p.init_schema(url)
        yield url
        return
    if POSTGRES_URL is None:
        if REQUIRE_POSTGRES:
            pytest.fail("PROPDESK_REQUIRE_POSTGRES=1 but PROPDESK_TEST_POSTGRES_URL is not set")
        pytest.skip("set PROPDESK_TEST_POSTGRES_URL to run the PostgreSQL tests")
    import psycopg  # noqa: PLC0415 - only the PostgreSQL examples need the driver

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"{POSTGRES_URL}?schema={schema}"
        p.init_schema(url)
        yield url
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


class Run:
    """A desk, its clock, the tickets logged, and projectors by batch size."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clock = ManualClock()
        self.desk = p.open_desk(url, organisations=[sample_organisation()], clock=self.clock)
        self.tickets: list[Any] = []
        self.projectors: dict[int, Projector] = {}

    def close(self) -> None:
        for projector in self.projectors.values():
            projector.close()
        self.desk.close()

    def projector(self, batch_size: int) -> Projector:
        if batch_size not in self.projectors:
            self.projectors[batch_size] = Projector(self.url, batch_size=batch_size)
        return self.projectors[batch_size]

    def attempt(self, command: p.Command) -> p.CommandResult | None:
        """Executes a command the desk may still refuse (a rule the good data missed)."""
        try:
            return self.desk.execute(command)
        except (p.IllegalStep, p.RuleViolation, p.UnauthorisedActor, p.UnknownTicket):
            return None

    def do(self, action: tuple[Any, ...]) -> None:
        kind, *arguments = action
        getattr(self, f"_{kind}")(*arguments)

    # ------------------------------------------------------------ commands

    def _log_repair(self, rnd: random.Random) -> None:
        command = new_repair(
            in_price_list=rnd.random() < 0.8, paid=rnd.random() < 0.5, at=self.clock.now()
        )
        self.tickets.append(self.desk.execute(command).ticket_id)

    def _log_complaint(self, rnd: random.Random) -> None:
        del rnd
        self.tickets.append(self.desk.execute(new_complaint(at=self.clock.now())).ticket_id)

    def _step(self, rnd: random.Random) -> None:
        """A viable next step with good data for one ticket, as the state machines take it."""
        if not self.tickets:
            return
        ticket = rnd.choice(self.tickets)
        self.clock.advance(minutes=rnd.choice([0, 1, 3, 6, 20, 45, 180]))
        loaded = self.desk.load(ticket)
        if loaded.modified_on > self.clock.now():
            self.clock.set(loaded.modified_on)
        if isinstance(loaded, Complaint):
            # linking needs a stored repair, which the complaint machine's fixed ids are not
            steps = [
                name
                for name in complaint_moves.viable_steps(loaded, self.clock.now())
                if name != "link_repair"
            ]
            odds = complaint_moves.SIDE_STEP_ODDS
            moves: dict[str, Any] = complaint_moves.GOOD
            move: Any = complaint_moves.Move(loaded, rnd, self.clock.now())
        else:
            steps = repair_moves.viable_steps(loaded, self.desk.view(ticket).allowed_steps)
            odds = repair_moves.SIDE_STEP_ODDS
            moves = repair_moves.GOOD
            move = repair_moves.Move(loaded, rnd, self.clock.now())
        if not steps:
            return
        step = rnd.choices(steps, weights=[odds.get(name, 4) for name in steps])[0]
        command = moves[step](move).model_copy(update={"ticket_id": ticket})
        self.attempt(command)

    def _monitor(self, rnd: random.Random) -> None:
        """The SLA monitor records the warnings and breaches now due on one ticket."""
        if not self.tickets:
            return
        ticket = rnd.choice(self.tickets)
        now = self.clock.now()
        for goal in self.desk.view(ticket).goals:
            if goal.stopped_at is not None or goal.breach_recorded:
                continue
            if goal.due_at <= now:
                command: p.Command = p.RecordGoalBreach(
                    ticket_id=ticket, actor="sla-monitor", goal=goal.goal, due_at=goal.due_at
                )
            elif goal.warn_at <= now and not goal.warned:
                command = p.RecordGoalWarning(
                    ticket_id=ticket, actor="sla-monitor", goal=goal.goal, due_at=goal.due_at
                )
            else:
                continue
            self.attempt(command)

    def _time(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    # ------------------------------------------------------------ projectors

    def _catch_up(self, batch_size: int, names: tuple[str, ...]) -> None:
        self.projector(batch_size).catch_up(names or None)

    def _one_batch(self, batch_size: int, name: str) -> None:
        self.projector(batch_size).step(name)


def _tables(projector: Projector) -> dict[str, list[tuple[Any, ...]]]:
    with projector.engine.connect() as connection:
        return {
            name: [
                tuple(row)
                for row in connection.execute(text(f"SELECT * FROM {name} ORDER BY {order}"))  # noqa: S608 - our own names
            ]
            for name, order in (KEYS | NOTES).items()
        }


def _check(run: Run, actions: list[tuple[Any, ...]], rebuild: tuple[str, int]) -> None:
    for action in actions:
        run.do(action)
    projector = run.projector(500)
    projector.catch_up()
    caught_up = _tables(projector)
    generations = {status.name: status.generation for status in projector.status()}

    order, batch = rebuild
    projections = default_projections()
    if order == "as stored":
        projections = tuple(AsStored(projection) for projection in projections)
    with Projector(run.url, projections, rebuild_batch_size=batch) as rebuilder:
        for name in NAMES[:2]:  # one at a time, and the rest in one pass over the store
            rebuilder.rebuild(name)
        rebuilder.rebuild(*NAMES[2:])

    assert _tables(projector) == caught_up
    statuses = projector.status()
    assert [(s.name, s.generation, s.lag) for s in statuses] == [
        (name, generations[name] + 1, 0) for name in NAMES
    ]
    assert [row[0] for row in caught_up["board"]] == sorted(str(t) for t in run.tickets)
    open_repairs = [
        view
        for view in map(run.desk.view, run.tickets)
        if isinstance(view, RepairView) and any(g.stopped_at is None for g in view.goals)
    ]
    timed = {row[0] for row in caught_up["sla_timers"]}
    assert {str(view.ticket_id) for view in open_repairs} <= timed


def _example(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    actions: list[Any],
    rebuild: tuple[str, int],
) -> None:
    with _database(backend, tmp_path_factory) as url:
        run = Run(url)
        try:
            _check(run, actions, rebuild)
        finally:
            run.close()


RUNS = st.lists(ACTIONS, min_size=1, max_size=16)


@given(actions=RUNS, rebuild=REBUILDS)
def test_on_sqlite_interleaved_commands_and_catch_ups_give_the_tables_of_a_rebuild(
    tmp_path_factory: pytest.TempPathFactory,
    actions: list[tuple[Any, ...]],
    rebuild: tuple[str, int],
):
    _example("sqlite", tmp_path_factory, actions, rebuild)


@pytest.mark.postgres
@settings(max_examples=POSTGRES_EXAMPLES)
@given(actions=RUNS, rebuild=REBUILDS)
def test_on_postgres_interleaved_commands_and_catch_ups_give_the_tables_of_a_rebuild(
    tmp_path_factory: pytest.TempPathFactory,
    actions: list[tuple[Any, ...]],
    rebuild: tuple[str, int],
):
    _example("postgres", tmp_path_factory, actions, rebuild)
