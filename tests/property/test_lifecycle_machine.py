"""A hypothesis state machine that drives random tickets through the in-memory desk.

It logs a few tickets, takes the legal next step with good data (often enough to reach the
deep states: rework, reschedule, revisit, closed), and throws random commands by random
people at them (most of them refused). After every step, for every ticket:

* replaying the stored events gives the ticket the desk loads, and the same view;
* the stored history is a legal path through the lifecycle table, from NEW;
* the escalation level never climbs past the project manager;
* a refused command stored nothing, and only propdesk's typed errors escape.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from hypothesis import currently_in_test_context, event, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

import strategies
from propdesk.application.views import HistoryEntry, RepairView
from propdesk.domain import commands as c
from propdesk.domain.errors import (
    IllegalStep,
    InvalidCommand,
    RuleViolation,
    TicketAlreadyExists,
    UnauthorisedActor,
    UnknownTicket,
)
from propdesk.domain.lifecycle import CLOSED_STATES, RepairState
from propdesk.domain.repair import Repair
from propdesk.domain.values import FeeStatus, RepairCategory, Role
from propdesk.testing import ManualClock, in_memory_desk, new_repair

if TYPE_CHECKING:
    from collections.abc import Callable

    from propdesk.application.views import CommandResult

S = RepairState
ORG = strategies.ORGANISATION
EXPECTED_ERRORS = (
    IllegalStep,
    RuleViolation,
    UnauthorisedActor,
    InvalidCommand,
    UnknownTicket,
    TicketAlreadyExists,
)
MAX_TICKETS = 3
PLACEHOLDER = UUID(int=1)
"""Stands for the ticket a junk command is aimed at; replaced before it is sent."""
REUSED_IDS = st.none() | st.sampled_from(["reused-1", "reused-2"])
"""Caller-chosen command ids, shared so that retries and reuses happen."""
JUNK = st.one_of(
    strategies.ticket_commands(st.just(PLACEHOLDER)),
    strategies.ticket_commands(st.just(PLACEHOLDER), command_id=REUSED_IDS),
    strategies.ticket_commands(st.uuids(), command_id=REUSED_IDS),
    strategies.log_repairs(actor=strategies.actors(), ticket_id=st.just(PLACEHOLDER)),
)
"""Commands the desk should mostly refuse, built once (building strategies is slow)."""
ANOTHER_LOG = strategies.log_repairs(actor=strategies.actors())
DEEP_STATES = frozenset({S.CLOSED, S.REWORK, S.RESCHEDULED, S.AWAITING_REVISIT})


def _ids(*roles: Role) -> list[str]:
    return [person.id for person in ORG.people if any(person.has(role) for role in roles)]


NOTIFIERS = _ids(Role.NOTIFIER)
SUPERVISORS = _ids(Role.ENGINEERING_SUPERVISOR)
TECHNICIANS = _ids(Role.TECHNICIAN)
CUSTOMER_SERVICE = _ids(Role.CUSTOMER_SERVICE)
DESK = _ids(Role.NOTIFIER, Role.CUSTOMER_SERVICE)
FINANCE = _ids(Role.FINANCE)
PROJECT_MANAGERS = _ids(Role.PROJECT_MANAGER)
SLA_MONITORS = _ids(Role.SLA_MONITOR)

# ---------------------------------------------------------------- good next steps


@dataclass(frozen=True)
class Move:
    """What a builder of a good next step may look at: the ticket, a PRNG, and the time."""

    ticket: Repair
    rnd: random.Random
    now: datetime

    @property
    def id(self) -> UUID:
        return self.ticket.id

    @property
    def acceptor(self) -> str:
        return self.ticket.acceptor or ""

    def pick(self, people: list[str]) -> str:
        return self.rnd.choice(people)

    def coin(self, odds: float) -> bool:
        return self.rnd.random() < odds


def _fee(move: Move) -> Decimal:
    """A fee for a completion: nothing under warranty or while an earlier fee is open."""
    open_fee = move.ticket.fee_status in (FeeStatus.DUE, FeeStatus.HANDED_OVER)
    if not move.ticket.paid or open_fee:
        return Decimal(0)
    return move.rnd.choice([Decimal(0), Decimal(80), Decimal("35.50")])


def _callback(move: Move) -> c.RecordCallback:
    satisfied = move.coin(0.7)
    return c.RecordCallback(
        ticket_id=move.id,
        actor=move.pick(CUSTOMER_SERVICE),
        satisfied=satisfied,
        rating=move.rnd.randint(4, 5) if satisfied else move.rnd.randint(1, 3),
        problem=None if satisfied else "还是有问题",
    )


def _reschedule(move: Move) -> c.Reschedule:
    later = timedelta(minutes=move.rnd.choice([31, 90, 600, 1500]))
    return c.Reschedule(
        ticket_id=move.id, actor=move.pick(NOTIFIERS), owner_agreed=True, new_time=move.now + later
    )


def _deadline(move: Move, *goal_names: str) -> tuple[str, datetime]:
    """The first of these goals running on the ticket, with its due time.

    Without one, the first name and now: the worker's command is then a no-op.
    """
    for name in goal_names:
        record = move.ticket.goals.get(name)
        if record is not None and record["status"] == "running":
            due = record["due_at"]
            assert isinstance(due, datetime)
            return name, due
    return goal_names[0], move.now


def _escalate_overdue(move: Move) -> c.EscalateOverdueDispatch:
    """What the SLA worker sends at an arrival goal's deadline (it acts at, or after, it)."""
    goal, due = _deadline(move, "arrive_asap", "arrive_before_appointment")
    return c.EscalateOverdueDispatch(
        ticket_id=move.id, actor=move.pick(SLA_MONITORS + NOTIFIERS), goal=goal, due_at=due,
        at=max(move.now, due),
    )  # fmt: skip


def _redispatch(move: Move) -> c.RedispatchForVisit:
    """What the SLA worker sends 30 minutes before a rescheduled visit (T14)."""
    goal, due = _deadline(move, "redispatch_before_visit")
    return c.RedispatchForVisit(
        ticket_id=move.id, actor=move.pick(SLA_MONITORS + NOTIFIERS + SUPERVISORS), goal=goal,
        due_at=due, at=max(move.now, due),
    )  # fmt: skip


def _raise_callback(move: Move) -> c.RaiseCallback:
    """What the SLA worker sends as a callback window opens."""
    return c.RaiseCallback(
        ticket_id=move.id,
        actor=move.pick(SLA_MONITORS + CUSTOMER_SERVICE),
        due_at=move.ticket.callback_due_at or move.now,
    )


GOOD: dict[str, Callable[[Move], c.Command]] = {
    "start_cost_review": lambda m: c.StartCostReview(ticket_id=m.id, actor=m.pick(SUPERVISORS)),
    "quote": lambda m: c.Quote(
        ticket_id=m.id,
        actor=m.pick(SUPERVISORS),
        amount=Decimal(m.rnd.randint(50, 500)),
        feasibility="可以维修",
    ),
    "declare_not_repairable": lambda m: c.DeclareNotRepairable(
        ticket_id=m.id, actor=m.pick(SUPERVISORS), reason="无法维修"
    ),
    "accept_quote": lambda m: c.AcceptQuote(
        ticket_id=m.id, actor=m.pick(DESK), amount=m.ticket.quoted_amount
    ),
    "decline_quote": lambda m: c.DeclineQuote(ticket_id=m.id, actor=m.pick(DESK), reason="太贵"),
    "dispatch": lambda m: c.Dispatch(
        ticket_id=m.id,
        actor=m.pick(NOTIFIERS),
        acceptor=m.pick(TECHNICIANS),
        owner_contacted_beforehand=m.coin(0.5),
    ),
    "refuse": lambda m: c.Refuse(ticket_id=m.id, actor=m.acceptor, reason="走不开"),
    "escalate": lambda m: c.Escalate(ticket_id=m.id, actor=m.pick(NOTIFIERS)),
    "escalate_overdue_dispatch": _escalate_overdue,
    "confirm_no_staff": lambda m: c.ConfirmNoStaff(ticket_id=m.id, actor=m.acceptor),
    "record_owner_complaint": lambda m: c.RecordOwnerComplaint(
        ticket_id=m.id, actor=m.pick(NOTIFIERS), complaint="等太久", sent_staff="cs-he"
    ),
    "reschedule": _reschedule,
    "redispatch_for_visit": _redispatch,
    "report_arrival": lambda m: c.ReportArrival(ticket_id=m.id, actor=m.acceptor),
    "check_arrival": lambda m: c.CheckArrival(
        ticket_id=m.id, actor=m.pick(NOTIFIERS), reporter_says_on_time=m.coin(0.8)
    ),
    "knock_unanswered": lambda m: c.KnockUnanswered(ticket_id=m.id, actor=m.acceptor),
    "door_answered": lambda m: c.DoorAnswered(ticket_id=m.id, actor=m.acceptor),
    "leave_for_revisit": lambda m: c.LeaveForRevisit(
        ticket_id=m.id,
        actor=m.acceptor,
        informed_supervisor=m.pick(SUPERVISORS),
        informed_customer_service=m.pick(DESK),
    ),
    "amend_item": lambda m: c.AmendItem(
        ticket_id=m.id, actor=m.acceptor, actual_item="更换角阀", charge_standard=Decimal(45)
    ),
    "start_repair": lambda m: c.StartRepair(
        ticket_id=m.id, actor=m.acceptor, customer_agreed_to_charge=True
    ),
    "decline_on_site": lambda m: c.DeclineOnSite(
        ticket_id=m.id,
        actor=m.acceptor,
        reason="不同意收费",
        supervisor=m.pick(SUPERVISORS),
        technician_signature_ref="sig-t",
        supervisor_signature_ref="sig-s",
    ),
    "complete": lambda m: c.Complete(
        ticket_id=m.id,
        actor=m.acceptor,
        outcome="修好了",
        customer_signature_ref="sig-o",
        fee=_fee(m),
    ),
    "submit": lambda m: c.Submit(
        ticket_id=m.id,
        actor=m.acceptor,
        supervisor=m.pick([s for s in SUPERVISORS if s != m.ticket.completed_by]),
    ),
    "verify": lambda m: c.Verify(
        ticket_id=m.id,
        actor=m.ticket.submitted_to or "",
        supervisor_signature_ref="sig-v",
        result_notified_to=("客服部",),
    ),
    "record_leak_test": lambda m: c.RecordLeakTest(
        ticket_id=m.id, actor=m.pick(SUPERVISORS + TECHNICIANS)
    ),
    "raise_callback": _raise_callback,
    "record_callback": _callback,
    "hand_over_fee": lambda m: c.HandOverFee(
        ticket_id=m.id, actor=m.acceptor, amount=m.ticket.fee_amount
    ),
    "settle_fee": lambda m: c.SettleFee(
        ticket_id=m.id, actor=m.pick(FINANCE), amount=m.ticket.fee_amount, receipt_no="R-1"
    ),
    "close": lambda m: c.Close(ticket_id=m.id, actor=m.pick(DESK)),
}
"""For each command, good data for a ticket where the lifecycle allows it."""


SIDE_STEP_ODDS = {
    "check_arrival": 1,
    "amend_item": 1,
    "record_owner_complaint": 1,
    "decline_on_site": 1,
    "declare_not_repairable": 1,
    "decline_quote": 1,
    "escalate_overdue_dispatch": 1,
    "raise_callback": 1,
}
"""Steps that stay put or end the ticket early are taken less often, so that tickets go deep;
every other viable step weighs 4."""


def viable_steps(ticket: Repair, allowed: tuple[str, ...]) -> list[str]:
    """The allowed steps whose seed rules the ticket also satisfies."""
    unfit = set()
    if ticket.state is S.LOGGED:
        unfit.add("dispatch" if not ticket.in_price_list else "start_cost_review")
    unfit.add("refuse" if ticket.top_of_chain else "confirm_no_staff")
    if ticket.top_of_chain:
        unfit.add("escalate_overdue_dispatch")  # nobody above: a no-op
    if (
        ticket.callback_raised_for is not None
        and ticket.callback_raised_for == ticket.callback_due_at
    ):
        unfit.add("raise_callback")  # raised already: a no-op
    if ticket.knocks >= 2:
        unfit.add("knock_unanswered")
    else:
        unfit.add("leave_for_revisit")
    if ticket.fee_status != FeeStatus.DUE:
        unfit.add("hand_over_fee")
    if ticket.fee_status != FeeStatus.HANDED_OVER:
        unfit.add("settle_fee")
    if ticket.fee_status in (FeeStatus.DUE, FeeStatus.HANDED_OVER):
        unfit.add("close")
    return [step for step in allowed if step not in unfit]


# ---------------------------------------------------------------- the machine


def _record(text: str) -> None:
    """A hypothesis event for ``--hypothesis-show-statistics``, when run by hypothesis."""
    if currently_in_test_context():
        event(text)


@dataclass(frozen=True)
class Observation:
    """What the desk says about one ticket, read once per step for all the invariants."""

    history: tuple[HistoryEntry, ...]
    loaded: Repair
    replayed: Repair
    view: RepairView


class LifecycleMachine(RuleBasedStateMachine):
    """Random tickets at one in-memory desk whose clock only moves forward."""

    tickets = Bundle("tickets")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.desk = in_memory_desk(clock=self.clock)
        self.logged: list[UUID] = []
        self.stored: dict[UUID, tuple[HistoryEntry, ...]] = {}
        """Each ticket's history as last observed."""
        self.expected_length: dict[UUID, int] = {}
        """How many events each ticket must have, counting what the desk said it stored."""
        self.reached: Counter[RepairState] = Counter()
        self._observation: dict[UUID, Observation] | None = None

    def teardown(self) -> None:
        if currently_in_test_context():
            target(float(len(self.reached)), label="distinct states reached")
        self.desk.close()

    # ------------------------------------------------------------ helpers

    def attempt(self, command: c.Command) -> CommandResult | None:
        """Executes ``command``; only propdesk's typed errors may escape the desk."""
        self._observation = None
        try:
            result = self.desk.execute(command)
        except EXPECTED_ERRORS as error:
            _record(f"refused: {type(error).__name__}")
            return None
        if not result.replayed:
            known = self.expected_length.get(result.ticket_id, 0)
            self.expected_length[result.ticket_id] = known + len(result.events)
        self.reached[result.state] += 1
        if "Verified" in result.events:
            self.reached[S.VERIFIED] += 1
        _record(f"took: {result.step}")
        return result

    def log_ticket(self, command: c.LogRepair) -> UUID | None:
        """Logs a ticket; returns its id if the desk took it."""
        result = self.attempt(command)
        if result is None or result.replayed:
            return None
        assert result.ticket_id not in self.logged
        self.logged.append(result.ticket_id)
        return result.ticket_id

    def advance(self, ticket_id: UUID, rnd: random.Random) -> CommandResult | None:
        """Moves the clock a little and takes a viable next step with good data."""
        self._observation = None  # the clock moves: views show time left as of now
        self.clock.advance(minutes=rnd.choice([0, 1, 3, 6, 20, 45, 180]))
        ticket = self.desk.load(ticket_id)
        steps = viable_steps(ticket, self.desk.view(ticket_id).allowed_steps)
        if not steps:
            return None
        step = rnd.choices(steps, weights=[SIDE_STEP_ODDS.get(name, 4) for name in steps])[0]
        if step == "knock_unanswered":
            self.clock.advance(minutes=5)  # the seed's wait between knocks (T16)
        if ticket.modified_on > self.clock.now():
            self.clock.set(ticket.modified_on)  # a step stored with a later ``at``
        return self.attempt(GOOD[step](Move(ticket, rnd, self.clock.now())))

    def observe(self) -> dict[UUID, Observation]:
        """Every ticket as the desk shows it now (read once between two commands)."""
        if self._observation is None:
            self._observation = {
                ticket: Observation(
                    history=self.desk.history(ticket),
                    loaded=self.desk.load(ticket),
                    replayed=self.desk.replay(ticket),
                    view=self.desk.view(ticket),
                )
                for ticket in self.logged
            }
        return self._observation

    # ------------------------------------------------------------ rules

    @initialize(target=tickets, command=strategies.log_repairs())
    def log_a_first_ticket(self, command):
        ticket = self.log_ticket(command)
        assert ticket is not None, "a desk clerk may always log a valid repair"
        return ticket

    @rule(target=tickets, data=st.data())
    def log_another_ticket(self, data):
        if len(self.logged) >= MAX_TICKETS:
            return multiple()
        ticket = self.log_ticket(data.draw(ANOTHER_LOG))
        return multiple() if ticket is None else ticket

    @rule(ticket=tickets, rnd=st.randoms(use_true_random=False))
    def take_the_next_step(self, ticket, rnd):
        self.advance(ticket, rnd)

    @rule(rnd=st.randoms(use_true_random=False))
    def take_the_next_step_on_the_newest_ticket(self, rnd):
        self.advance(self.logged[-1], rnd)

    @rule(rnd=st.randoms(use_true_random=False))
    def take_the_next_step_on_the_oldest_open_ticket(self, rnd):
        for ticket in self.logged:
            # a CLOSED ticket still allows the fee steps, but has nothing left to do once paid
            if viable_steps(self.desk.load(ticket), self.desk.view(ticket).allowed_steps):
                self.advance(ticket, rnd)
                return

    @rule(ticket=tickets, junk=JUNK)
    def throw_junk(self, ticket, junk):
        """A random command at a ticket, at a ticket nobody logged, or a second log of it."""
        if junk.ticket_id == PLACEHOLDER:
            junk = junk.model_copy(update={"ticket_id": ticket})
        result = self.attempt(junk)
        if result is not None:
            assert result.ticket_id == ticket, "only a command for this ticket may be taken"

    @rule(minutes=st.integers(min_value=0, max_value=3 * 24 * 60))
    def let_time_pass(self, minutes):
        self.clock.advance(minutes=minutes)
        self._observation = None  # a view's goals show the time left at the desk's clock

    # ------------------------------------------------------------ invariants

    @invariant()
    def replay_equals_the_live_ticket_and_its_view(self):
        for seen in self.observe().values():
            live = dict(vars(seen.loaded))
            replayed = dict(vars(seen.replayed))
            live.pop("_pending_events")
            replayed.pop("_pending_events", None)
            assert live == replayed
            now = max(self.clock.now(), seen.replayed.modified_on)
            assert seen.view == RepairView.of(seen.replayed, now=now)

    @invariant()
    def only_the_commands_taken_stored_events(self):
        for ticket, seen in self.observe().items():
            assert len(seen.history) == self.expected_length[ticket], "a refusal stored events"
            earlier = self.stored.get(ticket, ())
            assert seen.history[: len(earlier)] == earlier, "a stored event changed"
            self.stored[ticket] = seen.history

    @invariant()
    def every_stored_history_is_a_legal_path(self):
        for seen in self.observe().values():
            states = strategies.assert_well_formed(seen.history)
            assert states[-1] is seen.view.state

    @invariant()
    def escalation_never_passes_the_project_manager(self):
        for seen in self.observe().values():
            view = seen.view
            first = seen.loaded.first_acceptor
            if first is None:
                assert view.escalation_level == 0
                continue
            chain = ORG.chain_from(first)
            assert view.escalation_level <= len(chain) - 1
            assert chain[-1].id in PROJECT_MANAGERS
            if view.acceptor is not None and view.state is S.DISPATCHED:
                assert view.acceptor == chain[view.escalation_level].id
                assert view.at_top_of_chain == (view.acceptor in PROJECT_MANAGERS)
            if view.at_top_of_chain and view.acceptor is not None:
                assert view.acceptor in PROJECT_MANAGERS

    def check_all_invariants(self) -> None:
        """Every invariant, for a run outside hypothesis."""
        self.replay_equals_the_live_ticket_and_its_view()
        self.only_the_commands_taken_stored_events()
        self.every_stored_history_is_a_legal_path()
        self.escalation_never_passes_the_project_manager()


LifecycleMachine.TestCase.settings = settings(
    LifecycleMachine.TestCase.settings, stateful_step_count=40
)
TestLifecycleMachine = LifecycleMachine.TestCase


# ---------------------------------------------------------------- evidence of depth


def test_the_legal_step_rule_reaches_the_deep_states():
    """The machine's own rule, run with a fixed seed, closes tickets and visits every detour."""
    machine = LifecycleMachine()
    rnd = random.Random(20261123)  # noqa: S311 - a seeded PRNG drives a simulation
    kinds = [
        new_repair(),
        new_repair(in_price_list=False),
        new_repair(category=RepairCategory.LEAK),
        new_repair(paid=False, appointment=machine.clock.now() + timedelta(hours=3)),
    ]
    open_tickets: list[UUID] = []
    try:
        for round_no in range(400):
            if len(open_tickets) < 2:
                open_tickets.append(machine.log_ticket(kinds[round_no % len(kinds)]))
                continue
            ticket = rnd.choice(open_tickets)
            result = machine.advance(ticket, rnd)
            if result is not None and result.state in CLOSED_STATES:
                open_tickets.remove(ticket)
        machine.check_all_invariants()
        finished = [t for t in machine.logged if machine.desk.view(t).state in CLOSED_STATES]
    finally:
        machine.teardown()

    assert set(machine.reached) >= DEEP_STATES, f"reached only {sorted(machine.reached)}"
    assert {S.CLOSED_DECLINED, S.CALLED_BACK, S.VERIFIED} <= set(machine.reached)
    assert len(finished) >= 5


def test_every_stored_event_maps_to_a_lifecycle_trigger():
    events = {
        name
        for name, value in vars(Repair).items()
        if isinstance(value, type) and issubclass(value, Repair.Event) and value is not Repair.Event
    }

    assert events > strategies.CLOCK_EVENTS, "every ticket kind records the SLA clock"
    assert set(strategies.EVENT_TRIGGERS) == events - {"Created"} - strategies.CLOCK_EVENTS
