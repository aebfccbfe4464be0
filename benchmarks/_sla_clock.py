"""What the SLA clock costs: the measurements behind ``bench_sla_clock.py``.

Three measurements, each comparing the SLA clock on with a peer from the same run:

* **decide only** (:func:`measure_decide`): the throughput benchmark's repair lifecycles
  decided by the domain itself, ``Repair.log`` and ``getattr(ticket, command.step)(command,
  decision)``, in memory, no desk and no store, with a
  :class:`~propdesk.domain.context.Decision` carrying the seeds' policy and China's calendar
  (SLA on) or neither (SLA off). Commands and decisions are built before timing; what is timed
  is the decide calls and ``collect_events``. :func:`decide_breakdown` then runs the SLA-on
  tickets once more with timers around the ticket's goal tracking, to say where the
  difference goes;
* **deadline arithmetic** (:func:`measure_due`): ``Goal.due`` for each kind of goal clock,
  against the elapsed clock;
* **end to end** (:func:`measure_desk`): the same lifecycles through ``desk.execute`` on
  SQLite or PostgreSQL, a desk opened with ``policy=default_policy()`` against one opened with
  ``policy=None``, both on the same database with the same cache, taking turns; and, for
  information, a third desk with the clock on and snapshots every 50 events (:data:`ON_50`),
  which tells the cost of the snapshot the goal events bring forward from the rest.
"""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import propdesk
import propdesk.domain.ticket as ticket_module
from _lifecycle import LIFECYCLES, run_steps
from _throughput import PROPDESK_CACHE_SIZE, Runner, ThroughputResult
from propdesk.domain.context import Decision
from propdesk.domain.repair import Repair
from propdesk.domain.rules import DEFAULT_RULES
from propdesk.domain.sla_policy import GoalClock
from propdesk.domain.ticket import Ticket
from propdesk.persistence.store import open_store
from propdesk.testing import MONDAY_MORNING, SHANGHAI, ManualClock, sample_organisation

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from _backends import Backend
    from _lifecycle import Step
    from propdesk.domain import commands as c
    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.sla_policy import Goal, Policy

ON, OFF = "SLA on", "SLA off"
"""The two sides of every comparison."""
ON_50 = "SLA on/50"
"""End to end only, for information: SLA on with a snapshot every 50 events instead of 25, so
that none of these tickets (27 and 29 events with the clock on, 16 and 18 without) takes one."""
SIDES: tuple[tuple[str, bool, int | None], ...] = (
    (ON, True, None),
    (OFF, False, None),
    (ON_50, True, 50),
)
"""Each end-to-end desk: its label, whether it runs the SLA clock, its snapshot interval."""
TICKET = UUID("00000000-0000-4000-8000-00000000b3c4")
"""The pure tickets' id: the domain never compares it with the commands'."""


def sla_settings() -> tuple[Policy, WorkingCalendar]:
    """The seeds' policy and China's working calendar, as ``open_desk`` uses by default."""
    return propdesk.default_policy(), propdesk.china_calendar()


def median(values: Sequence[float]) -> float:
    """The median (a shorter name for the report)."""
    return statistics.median(values)


# ---------------------------------------------------------------------- decide only

Script = list[tuple["c.Command", Decision]]
"""One ticket's commands, each with the decision the desk would build for it."""


def build_script(steps: Sequence[Step], *, sla: bool) -> Script:
    """The lifecycle's commands and decisions, at the times the throughput benchmark uses."""
    organisation = sample_organisation()
    policy, calendar = sla_settings() if sla else (None, None)
    at = MONDAY_MORNING
    script: Script = []
    for number, step in enumerate(steps):
        at += step.advance
        command = step.build(None if number == 0 else TICKET, None)
        actor = organisation.person(command.actor)
        if actor is None:
            raise LookupError(command.actor)
        decision = Decision(
            actor, at, f"bench-{number}", organisation, DEFAULT_RULES, policy, calendar
        )
        script.append((command, decision))
    return script


def decide_ticket(script: Script) -> int:
    """Decides one ticket's commands on a new aggregate; returns how many events it recorded."""
    first, decision = script[0]
    ticket = Repair.log(TICKET, first, decision)  # type: ignore[arg-type]
    events = len(ticket.collect_events())
    for command, decision in script[1:]:
        getattr(ticket, command.step)(command, decision)
        events += len(ticket.collect_events())
    return events


@dataclass(frozen=True)
class DecideResult:
    """Decide-only timings, per round: microseconds per command for each side."""

    micros: dict[str, list[float]]
    commands: int
    """Commands per round per side."""
    events: dict[str, float]
    """Events recorded per command on each side."""

    def per_command(self, label: str) -> float:
        """The median over the rounds of ``label``'s microseconds per command."""
        return median(self.micros[label])

    def difference(self) -> float:
        """The median of the rounds' differences (SLA on minus off): the clock's cost, µs."""
        pairs = zip(self.micros[ON], self.micros[OFF], strict=True)
        return median([on - off for on, off in pairs])

    def ratio(self) -> float:
        """The median of the rounds' ratios of time per command, SLA on over off."""
        pairs = zip(self.micros[ON], self.micros[OFF], strict=True)
        return median([on / off for on, off in pairs])


def _scripts(*, sla: bool) -> list[Script]:
    return [build_script(steps, sla=sla) for _, steps in LIFECYCLES]


def measure_decide(*, tickets: int, rounds: int, chunk: int, warmup: int) -> DecideResult:
    """Decides ``tickets`` tickets per side per round, the sides taking turns by ``chunk``."""
    scripts = {ON: _scripts(sla=True), OFF: _scripts(sla=False)}
    events = {
        label: sum(decide_ticket(s) for s in chosen) / sum(len(s) for s in chosen)
        for label, chosen in scripts.items()
    }
    for chosen in scripts.values():
        for index in range(warmup):
            decide_ticket(chosen[index % len(chosen)])
    micros: dict[str, list[float]] = {ON: [], OFF: []}
    commands = 0
    for _ in range(rounds):
        elapsed = {ON: 0, OFF: 0}
        commands = 0
        for turn, start in enumerate(range(0, tickets, chunk)):
            indices = range(start, min(start + chunk, tickets))
            order = (ON, OFF) if turn % 2 == 0 else (OFF, ON)
            for label in order:
                chosen = scripts[label]
                began = time.perf_counter_ns()
                for index in indices:
                    decide_ticket(chosen[index % len(chosen)])
                elapsed[label] += time.perf_counter_ns() - began
            commands += sum(len(scripts[ON][index % len(scripts[ON])]) for index in indices)
        for label, nanos in elapsed.items():
            micros[label].append(nanos / 1000 / commands)
    return DecideResult(micros, commands, events)


@dataclass(frozen=True)
class Breakdown:
    """Where the SLA-on side's extra time goes, in µs per command (instrumented run)."""

    track_goals: float
    """``Ticket._track_goals``, called after every event a command records: all of it."""
    goal_changes: float
    """Of which ``goal_changes``: which goals start, stop, pause or resume, with deadlines."""
    record_goal_events: float
    """Of which ``Ticket._record_goal_change``: triggering and applying the goal events."""
    tracked_events: float
    """Events per command whose goal effects are looked for."""
    goal_events: float
    """Goal events recorded per command (``PolicyPinned`` not included)."""
    deadlines: float
    """Deadlines computed per command (``Goal.due``: one per ``GoalStarted``)."""
    deadlines_by_clock: dict[str, int]
    """Deadlines computed per lifecycle pair (one ticket of each), by goal clock."""
    pair_commands: int
    """Commands in a lifecycle pair."""

    def arithmetic(self, per_call: Callable[[str], float]) -> float:
        """µs per command in ``Goal.due``, from each clock's ``per_call`` µs (the due table)."""
        total = sum(count * per_call(clock) for clock, count in self.deadlines_by_clock.items())
        return total / self.pair_commands

    @property
    def rest_of_tracking(self) -> float:
        """``_track_goals`` minus its two parts: the policy check and ``Occurrence.of``."""
        return self.track_goals - self.goal_changes - self.record_goal_events


@contextmanager
def _timed(owner: Any, name: str, totals: dict[str, int], counts: dict[str, int]) -> Iterator[None]:  # noqa: ANN401 - a class or a module
    """Replaces ``owner.name`` by a wrapper adding its inclusive time to ``totals[name]``."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - whatever it wraps
        began = time.perf_counter_ns()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter_ns() - began
            counts[name] += 1

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


def decide_breakdown(*, tickets: int) -> Breakdown:
    """Runs the SLA-on tickets with timers around the goal tracking (their overhead included)."""
    scripts = _scripts(sla=True)
    names = ("_track_goals", "goal_changes", "_record_goal_change")
    totals = dict.fromkeys(names, 0)
    counts = dict.fromkeys(names, 0)
    commands = 0
    with (
        _timed(Ticket, "_track_goals", totals, counts),
        _timed(ticket_module, "goal_changes", totals, counts),
        _timed(Ticket, "_record_goal_change", totals, counts),
    ):
        for index in range(tickets):
            script = scripts[index % len(scripts)]
            decide_ticket(script)
            commands += len(script)
    policy, _ = sla_settings()
    clocks: dict[str, int] = {}
    started = 0
    per_pair = sum(len(s) for s in scripts)
    for script in scripts:
        for goal in _goals_started(script):
            clock = str(policy.goal(goal).clock)
            clocks[clock] = clocks.get(clock, 0) + 1
            started += 1

    def per_command(name: str) -> float:
        return totals[name] / 1000 / commands

    return Breakdown(
        track_goals=per_command("_track_goals"),
        goal_changes=per_command("goal_changes"),
        record_goal_events=per_command("_record_goal_change"),
        tracked_events=counts["_track_goals"] / commands,
        goal_events=counts["_record_goal_change"] / commands,
        deadlines=started / per_pair,
        deadlines_by_clock=clocks,
        pair_commands=per_pair,
    )


def _goals_started(script: Script) -> list[str]:
    first, decision = script[0]
    ticket = Repair.log(TICKET, first, decision)  # type: ignore[arg-type]
    events = list(ticket.collect_events())
    for command, decision in script[1:]:
        getattr(ticket, command.step)(command, decision)
        events += ticket.collect_events()
    return [str(event.goal) for event in events if isinstance(event, Ticket.GoalStarted)]


# ---------------------------------------------------------------------- Goal.due


@dataclass(frozen=True)
class DueCase:
    """One deadline computation: a goal, a start and the start event's fields."""

    label: str
    goal: Goal
    start: datetime
    fields: Mapping[str, object]
    note: str


def due_cases() -> list[DueCase]:
    """One case per goal clock (two for the working clocks: an ordinary week, National Day).

    The first case, the elapsed clock, is every other case's peer.
    """
    policy, _ = sla_settings()
    monday = MONDAY_MORNING.replace(hour=10)  # Monday 2026-11-23 10:00, Shanghai
    eve = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the eve of National Day 2026
    working_time = policy.goal("complaint_solution").model_copy(
        update={
            "name": "bench_working_time",
            "clock": GoalClock.WORKING_TIME,
            "days": None,
            "duration": timedelta(hours=8),
        }
    )
    solution = policy.goal("complaint_solution")
    return [
        DueCase(
            "elapsed", policy.goal("notify_engineering"), monday, {}, "notify_engineering 3 min"
        ),
        DueCase(
            "calendar_days", policy.goal("callback_other"), monday, {}, "callback_other 2 days"
        ),
        DueCase(
            "end_of_day", policy.goal("fee_settled_same_day"), monday, {}, "fee_settled_same_day"
        ),
        DueCase(
            "before_anchor",
            policy.goal("arrive_before_appointment"),
            monday,
            {"appointment": monday + timedelta(hours=3)},
            "arrive_before_appointment 5 min",
        ),
        DueCase("working_days", solution, monday, {}, "complaint_solution 3 days, a plain week"),
        DueCase(
            "working_days/NatDay",
            solution,
            eve,
            {},
            "the same from 2026-09-30 (Oct 1-7 off, Oct 10 worked)",
        ),
        DueCase("working_time", working_time, monday, {}, "8 business hours (not in the seeds)"),
        DueCase(
            "working_time/NatDay",
            working_time,
            eve.replace(hour=16),
            {},
            "the same from 2026-09-30 16:00",
        ),
    ]


@dataclass(frozen=True)
class DueResult:
    """Microseconds per ``Goal.due`` call, per case, one figure per repeat."""

    cases: list[DueCase]
    micros: dict[str, list[float]]
    due: dict[str, datetime]

    def per_call(self, label: str) -> float:
        """The median over the repeats."""
        return median(self.micros[label])

    def ratio(self, label: str) -> float:
        """The median of the repeats' ratios against the elapsed clock (the same repeat)."""
        peer = self.cases[0].label
        pairs = zip(self.micros[label], self.micros[peer], strict=True)
        return median([mine / theirs for mine, theirs in pairs])


def measure_due(*, calls: int, repeats: int) -> DueResult:
    """Times ``calls`` calls of each case, ``repeats`` times, the cases taking turns."""
    _, calendar = sla_settings()
    cases = due_cases()
    due = {case.label: case.goal.due(case.start, case.fields, calendar) for case in cases}
    micros: dict[str, list[float]] = {case.label: [] for case in cases}
    for repeat in range(repeats):
        shift = repeat % len(cases)
        for case in cases[shift:] + cases[:shift]:
            goal, start, fields = case.goal, case.start, case.fields
            began = time.perf_counter_ns()
            for _ in range(calls):
                goal.due(start, fields, calendar)
            micros[case.label].append((time.perf_counter_ns() - began) / 1000 / calls)
    return DueResult(cases, micros, due)


# ---------------------------------------------------------------------- end to end


@dataclass(frozen=True)
class Stored:
    """What one ticket of one lifecycle stored, on one side."""

    lifecycle: str
    label: str
    commands: int
    events: int
    goal_events: int
    """``PolicyPinned`` and ``Goal*`` events among them."""
    json_bytes: int
    snapshots: int


@dataclass(frozen=True)
class DeskResult:
    """One backend's end-to-end figures and what each side stored."""

    throughput: ThroughputResult
    stored: list[Stored]

    def events_per_command(self, label: str) -> float:
        """Stored events per command over one ticket of each lifecycle."""
        mine = [s for s in self.stored if s.label == label]
        return sum(s.events for s in mine) / sum(s.commands for s in mine)

    def bytes_per_command(self, label: str) -> float:
        """Bytes of stored JSON state per command over one ticket of each lifecycle."""
        mine = [s for s in self.stored if s.label == label]
        return sum(s.json_bytes for s in mine) / sum(s.commands for s in mine)

    def snapshots_per_ticket(self, label: str) -> float:
        """Snapshots written per ticket."""
        mine = [s for s in self.stored if s.label == label]
        return sum(s.snapshots for s in mine) / len(mine)


def _open(
    url: str, clock: ManualClock, *, sla: bool, snapshot_interval: int | None = None
) -> propdesk.Desk:
    policy, calendar = sla_settings() if sla else (None, None)
    return propdesk.open_desk(
        url,
        organisations=[sample_organisation()],
        clock=clock,
        policy=policy,
        calendar=calendar,
        cache_size=PROPDESK_CACHE_SIZE,
        snapshot_interval=snapshot_interval,
    )


def _runner(label: str, desk: propdesk.Desk, clock: ManualClock) -> Runner:
    def run_ticket(index: int) -> int:
        _, steps = LIFECYCLES[index % len(LIFECYCLES)]
        run_steps(desk, clock, steps)
        return len(steps)

    return Runner(label, run_ticket)


def check_storage(backend: Backend) -> list[Stored]:
    """Runs one ticket of each lifecycle on each side (untimed) and reads what was stored."""
    found = []
    store, _ = open_store(backend.propdesk_url)
    try:
        for label, sla, interval in SIDES:
            clock = ManualClock()
            with _open(backend.propdesk_url, clock, sla=sla, snapshot_interval=interval) as desk:
                for name, steps in LIFECYCLES:
                    ticket_id, _ = run_steps(desk, clock, steps)
                    records = store.recorder.select_events(ticket_id)
                    snapshots = (
                        store.snapshots.recorder.select_events(ticket_id)
                        if store.snapshots is not None
                        else []
                    )
                    clock_events = sum(
                        1
                        for r in records
                        if r.topic.rsplit(".", 1)[-1].startswith(("Goal", "PolicyPinned"))
                    )
                    found.append(
                        Stored(
                            name,
                            label,
                            len(steps),
                            len(records),
                            clock_events,
                            sum(len(r.state) for r in records),
                            len(snapshots),
                        )
                    )
    finally:
        store.close()
    return found


def measure_desk(
    backend: Backend,
    *,
    tickets: int,
    rounds: int,
    warmup: int,
    chunk: int,
    progress: Callable[[str], None],
) -> DeskResult:
    """The desks on one database, taking turns ``chunk`` tickets at a time, in rounds.

    The order of turns rotates from chunk to chunk, so a slow spell falls on every desk alike.
    """
    stored = check_storage(backend)
    with ExitStack() as stack:
        runners = []
        for label, sla, interval in SIDES:
            clock = ManualClock()
            desk = stack.enter_context(
                _open(backend.propdesk_url, clock, sla=sla, snapshot_interval=interval)
            )
            runners.append(_runner(label, desk, clock))
        for runner in runners:
            runner.run_chunk(0, warmup)
            runner.take()
        rates: dict[str, list[float]] = {runner.label: [] for runner in runners}
        cpu: dict[str, list[float]] = {runner.label: [] for runner in runners}
        next_ticket = warmup
        for round_number in range(rounds):
            for turn, start in enumerate(range(0, tickets, chunk)):
                size = min(chunk, tickets - start)
                shift = turn % len(runners)
                for runner in runners[shift:] + runners[:shift]:
                    runner.run_chunk(next_ticket, size)
                next_ticket += size
            for runner in runners:
                rate, cpu_ms = runner.take()
                rates[runner.label].append(rate)
                cpu[runner.label].append(cpu_ms)
            figures = "  ".join(f"{r.label} {rates[r.label][-1]:.0f}" for r in runners)
            progress(f"  {backend.name} round {round_number + 1}/{rounds}: {figures} cmd/s")
    return DeskResult(ThroughputResult(backend.name, rates, cpu), stored)
