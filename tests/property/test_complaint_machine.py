"""A hypothesis state machine that drives a complaint through the domain, step by random step.

No desk and no store: the machine calls ``Complaint.receive`` and the decide methods itself,
with a :class:`~propdesk.domain.context.Decision` it builds, on a clock that only moves
forward, with or without the SLA clock. It takes legal steps with good data (often enough to
close, reopen, defer and close as invalid), throws random commands by random people (most of
them refused), and asks for goal breaches as the SLA worker would. After every step:

* the complaint's state is one of the lifecycle's, and closed means no complaint step left;
* a refused command raised a typed error, left no pending event and changed nothing, and an
  illegal step was one the lifecycle table does not allow from the state;
* replaying the events collected so far from nothing gives an equal complaint (``vars()``);
* once closed, only the ticket-wide steps (the SLA clock's) record anything.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import strategies
from propdesk.application.calendars import china_calendar
from propdesk.application.configuration import default_policy
from propdesk.domain import complaint_commands as cc
from propdesk.domain.commands import OwnerContact, RecordGoalBreach
from propdesk.domain.complaint import HANDLING_TIME_LIMIT, Complaint
from propdesk.domain.complaint_lifecycle import (
    CLOSED_STATES,
    ComplaintState,
    allowed_complaint_commands,
)
from propdesk.domain.complaint_values import (
    ComplaintLiability,
    ComplaintSatisfaction,
    ComplaintSeverity,
    ComplaintSubject,
)
from propdesk.domain.context import Decision
from propdesk.domain.errors import IllegalStep, RuleViolation, UnauthorisedActor
from propdesk.domain.goals import CLOCK_EVENTS, GoalStatus
from propdesk.domain.rules import DEFAULT_RULES
from propdesk.domain.values import Channel, Role
from propdesk.testing import MONDAY_MORNING

if TYPE_CHECKING:
    from collections.abc import Callable

    from propdesk.domain.commands import Command

S = ComplaintState
ORG = strategies.ORGANISATION
PEOPLE = strategies.PEOPLE
POLICY = default_policy()
CALENDAR = china_calendar()
COMPLAINT = UUID(int=0xC0A1A)
REPAIRS = (UUID(int=1), UUID(int=2), UUID(int=3))
REFUSALS = (IllegalStep, RuleViolation, UnauthorisedActor)

_command_ids = itertools.count(1)


def _ids(*roles: Role) -> list[str]:
    return [person.id for person in ORG.people if any(person.has(role) for role in roles)]


DESK = _ids(Role.NOTIFIER, Role.CUSTOMER_SERVICE)
CUSTOMER_SERVICE = _ids(Role.CUSTOMER_SERVICE)
LEADERS = _ids(Role.DEPARTMENT_HEAD, Role.PROJECT_MANAGER, Role.OFFICE_HEAD)
HANDLERS = ["sup-chen", "sup-wang", "tech-liu", "head-an", "head-qian", "cs-he", "pm-li"]


def _log(sla_received: datetime, rnd: random.Random) -> cc.LogComplaint:
    return cc.LogComplaint(
        actor=rnd.choice(DESK),
        channel=rnd.choice(list(Channel)),
        occurred_at=sla_received - timedelta(hours=rnd.choice([0, 1, 30])),
        place="5栋地下车库",
        what_happened="车库照明坏了一周无人处理",
        demands="尽快修好",
        complainant=OwnerContact(name="王先生", phone="13900001111"),
        person_complained_about=rnd.choice([None, "保安小李"]),
        repair_id=rnd.choice([None, REPAIRS[0]]),
    )


# ---------------------------------------------------------------- good next steps


@dataclass(frozen=True)
class Move:
    """What a builder of a good next step may look at: the complaint, a PRNG, and the time."""

    complaint: Complaint
    rnd: random.Random
    now: datetime

    @property
    def handler(self) -> str:
        return self.complaint.handler or ""

    def pick(self, people: list[str], *, besides: str = "") -> str:
        return self.rnd.choice([person for person in people if person != besides])

    def coin(self, odds: float) -> bool:
        return self.rnd.random() < odds

    def later(self, *hours: int) -> datetime:
        return self.now + timedelta(hours=self.rnd.choice(hours))


def _classify(m: Move) -> cc.ClassifyComplaint:
    if m.coin(0.2):
        return cc.ClassifyComplaint(
            ticket_id=COMPLAINT, actor=m.pick(CUSTOMER_SERVICE), valid=False,
            complaint_type=ComplaintSubject.OTHER,
        )  # fmt: skip
    severity = m.rnd.choice(list(ComplaintSeverity))
    minor = severity is ComplaintSeverity.MINOR
    return cc.ClassifyComplaint(
        ticket_id=COMPLAINT, actor=m.pick(CUSTOMER_SERVICE), severity=severity,
        urgent=m.coin(0.3), big_problem=m.coin(0.2),
        complaint_type=m.rnd.choice(list(ComplaintSubject)),
        liability=m.rnd.choice(list(ComplaintLiability)), responsible_unit="工程部",
        handling_deadline=m.later(2, 30, 200) if m.coin(0.4) else None,
        resident_deadline=m.later(5, 40) if minor and m.coin(0.5) else None,
        confirmed_by=m.pick(LEADERS),
    )  # fmt: skip


def _route(m: Move) -> cc.RouteComplaint:
    to = m.pick(HANDLERS)
    needed = {"pm-li"} if m.complaint.severity == ComplaintSeverity.MAJOR else set()
    if m.complaint.severity == ComplaintSeverity.IMPORTANT:
        needed.add(m.rnd.choice(["head-qian", "head-an", "pm-li"]))
    if m.complaint.liability == ComplaintLiability.SHARED:
        needed.add("head-an")
    return cc.RouteComplaint(
        ticket_id=COMPLAINT, actor=m.pick(DESK), to=to, notified=tuple(sorted(needed - {to}))
    )


def _approve(m: Move) -> cc.ApprovePlan:
    return cc.ApprovePlan(
        ticket_id=COMPLAINT, actor=m.pick(LEADERS, besides=m.handler), cause="灯具老化",
        corrective_measures="每月巡检车库照明", remedy_plan="更换全部灯具",
        cost=m.rnd.choice([None, Decimal("1200.00")]),
    )  # fmt: skip


def _confirm(m: Move) -> cc.ConfirmResolution:
    solved = m.coin(0.7)
    grade = ComplaintSatisfaction.SATISFIED if solved else ComplaintSatisfaction.UNSATISFIED
    return cc.ConfirmResolution(
        ticket_id=COMPLAINT, actor=m.pick(DESK), solved=solved, satisfaction=grade,
        problem=None if solved else "还有两盏灯不亮",
    )  # fmt: skip


def _overdue_reasons(complaint: Complaint, now: datetime) -> list[str]:
    """The reasons an escalation may give now and has not given yet."""
    reasons = []
    for name, record in complaint.goals.items():
        status = GoalStatus(str(record["status"]))
        due = record["due_at"]
        late = status is GoalStatus.RUNNING and isinstance(due, datetime) and now >= due
        if record["breached"] or status is GoalStatus.MISSED or late:
            reasons.append(name)
    deadline = complaint.handling_deadline
    resolved = complaint.state in (S.RESOLVED, S.RESULT_NOTIFIED)
    if deadline is not None and now >= deadline and not resolved:
        reasons.append(HANDLING_TIME_LIMIT)
    return [reason for reason in reasons if reason not in complaint.overdue_escalations]


def _escalate(m: Move) -> cc.EscalateOverdue:
    reason = m.rnd.choice(_overdue_reasons(m.complaint, m.now))
    goal = None if reason == HANDLING_TIME_LIMIT else reason
    return cc.EscalateOverdue(ticket_id=COMPLAINT, actor="sla-monitor", goal=goal)


def _link(m: Move) -> cc.LinkRepair:
    taken = {m.complaint.raised_by_repair, *m.complaint.linked_repairs}
    free = [repair for repair in REPAIRS if str(repair) not in taken]
    return cc.LinkRepair(ticket_id=COMPLAINT, actor=m.pick(DESK), repair_id=m.rnd.choice(free))


GOOD: dict[str, Callable[[Move], Command]] = {
    "classify_complaint": _classify,
    "route_complaint": _route,
    "contact_customer": lambda m: cc.ContactCustomer(
        ticket_id=COMPLAINT, actor=m.handler, clarified="已到现场查看"
    ),
    "approve_plan": _approve,
    "give_answer": lambda m: cc.GiveAnswer(
        ticket_id=COMPLAINT,
        actor=m.handler if m.handler and m.coin(0.5) else m.pick(CUSTOMER_SERVICE),
        answer="明天上午更换灯具",
    ),
    "defer_complaint": lambda m: cc.DeferComplaint(
        ticket_id=COMPLAINT,
        actor=m.handler,
        reason="灯具缺货",
        plan="到货后更换",
        expected_date=m.later(24, 72),
        customer_understanding=True,
        reported_to=m.pick(LEADERS, besides=m.handler),
    ),
    "resolve_complaint": lambda m: cc.ResolveComplaint(
        ticket_id=COMPLAINT, actor=m.handler, outcome="已更换全部灯具"
    ),
    "report_result": lambda m: cc.ReportResult(
        ticket_id=COMPLAINT, actor=m.pick(DESK), result="灯已修好"
    ),
    "confirm_resolution": _confirm,
    "escalate_overdue": _escalate,
    "close_as_invalid": lambda m: cc.CloseAsInvalid(
        ticket_id=COMPLAINT, actor=m.pick(CUSTOMER_SERVICE), help_offered="告知业主物业维修电话"
    ),
    "link_repair": _link,
}
"""For each complaint command, good data where the lifecycle allows it."""

SIDE_STEP_ODDS = {"link_repair": 1, "approve_plan": 2, "give_answer": 2, "defer_complaint": 2}
"""Steps that stay put are taken less often, so that complaints go deep; others weigh 4."""


def viable_steps(complaint: Complaint, now: datetime) -> list[str]:
    """The allowed steps whose seed rules the complaint also satisfies now."""
    allowed = allowed_complaint_commands(complaint.state)
    unfit = set()
    if complaint.valid is False:
        unfit.add("route_complaint")
    if complaint.valid is not False or complaint.answered_at is None:
        unfit.add("close_as_invalid")
    if complaint.answered_at is None:
        unfit.add("resolve_complaint")
    if not _overdue_reasons(complaint, now):
        unfit.add("escalate_overdue")
    if len({complaint.raised_by_repair, *complaint.linked_repairs} - {None}) >= len(REPAIRS):
        unfit.add("link_repair")
    return [step for step in allowed if step not in unfit]


# ---------------------------------------------------------------- junk


def _junk(command_class: type[Command], actor: str, at: datetime | None) -> Command:
    """A well-formed ``command_class`` by ``actor``; the complaint will mostly refuse it."""
    fields: dict[str, object] = {
        cc.ClassifyComplaint: {"severity": "major", "complaint_type": "service",
                               "responsible_unit": "客服部", "confirmed_by": "pm-li"},
        cc.RouteComplaint: {"to": "tech-liu", "notified": ("pm-li",)},
        cc.ContactCustomer: {"clarified": "了解情况"},
        cc.ApprovePlan: {"cause": "原因", "corrective_measures": "整改", "remedy_plan": "补救"},
        cc.GiveAnswer: {"answer": "答复"},
        cc.DeferComplaint: {"reason": "原因", "plan": "方案", "customer_understanding": True,
                            "expected_date": MONDAY_MORNING + timedelta(days=30),
                            "reported_to": "pm-li"},
        cc.ResolveComplaint: {"outcome": "已解决"},
        cc.ReportResult: {"result": "结果"},
        cc.ConfirmResolution: {"solved": True, "satisfaction": "satisfied"},
        cc.EscalateOverdue: {"goal": "complaint_reply"},
        cc.CloseAsInvalid: {"help_offered": "帮助"},
        cc.LinkRepair: {"repair_id": REPAIRS[1]},
    }[command_class]  # fmt: skip
    return command_class(ticket_id=COMPLAINT, actor=actor, at=at, **fields)


JUNK_CLASSES = tuple(command for command in cc.COMPLAINT_COMMANDS if command is not cc.LogComplaint)


# ---------------------------------------------------------------- the machine


class ComplaintMachine(RuleBasedStateMachine):
    """One complaint, decided directly by the domain on a clock that only moves forward."""

    def __init__(self) -> None:
        super().__init__()
        self.now = MONDAY_MORNING
        self.sla = True
        self.complaint: Complaint | None = None
        self.events: list[Complaint.Event] = []
        self.closed_at_event: int | None = None
        self.reached: Counter[ComplaintState] = Counter()

    # ------------------------------------------------------------ helpers

    def decision(self, actor: str, at: datetime) -> Decision:
        person = ORG.person(actor)
        assert person is not None, f"{actor} is not in the estate"
        return Decision(
            actor=person, at=at, command_id=f"machine-{next(_command_ids)}", organisation=ORG,
            rules=DEFAULT_RULES, policy=POLICY if self.sla else None,
            calendar=CALENDAR if self.sla else None,
        )  # fmt: skip

    @property
    def current(self) -> Complaint:
        assert self.complaint is not None
        return self.complaint

    def attempt(self, command: Command) -> bool:
        """Decides ``command``; a refusal must be typed, legal as refused, and change nothing."""
        complaint = self.current
        state = complaint.state
        before = dict(vars(complaint))
        at = command.at or self.now
        refusal: Exception | None = None
        try:
            getattr(complaint, command.step)(command, self.decision(command.actor, at))
        except REFUSALS as error:
            refusal = error
        if refusal is not None:
            assert complaint.pending_events == [], "a refused command left pending events"
            assert vars(complaint) == before, "a refused command changed the complaint"
            if isinstance(refusal, IllegalStep):
                allowed = allowed_complaint_commands(state)
                assert command.step not in allowed
                assert (refusal.state, refusal.allowed) == (state, allowed)
            return False
        new = list(complaint.collect_events())
        self.events.extend(new)  # type: ignore[arg-type]
        self.reached[complaint.state] += 1
        if complaint.state in CLOSED_STATES and self.closed_at_event is None:
            self.closed_at_event = len(self.events)
        return True

    def advance(self, rnd: random.Random) -> bool:
        """Moves the clock a little and takes a viable next step with good data."""
        self.now += timedelta(minutes=rnd.choice([0, 1, 4, 30, 90, 600, 1500]))
        steps = viable_steps(self.current, self.now)
        if not steps:
            return False
        step = rnd.choices(steps, weights=[SIDE_STEP_ODDS.get(name, 4) for name in steps])[0]
        taken = self.attempt(GOOD[step](Move(self.current, rnd, self.now)))
        assert taken, f"a good {step} was refused in {self.current.state}"
        return True

    # ------------------------------------------------------------ rules

    @initialize(sla=st.booleans(), rnd=st.randoms(use_true_random=False))
    def receive_a_complaint(self, sla, rnd):
        self.sla = sla
        command = _log(self.now, rnd)
        self.complaint = Complaint.receive(
            COMPLAINT, command, self.decision(command.actor, self.now)
        )
        self.events.extend(self.complaint.collect_events())  # type: ignore[arg-type]
        self.reached[self.complaint.state] += 1

    @rule(rnd=st.randoms(use_true_random=False))
    def take_a_legal_step(self, rnd):
        self.advance(rnd)

    @rule(
        command_class=st.sampled_from(JUNK_CLASSES),
        actor=strategies.people(),
        earlier=st.sampled_from([None, None, None, timedelta(hours=-3)]),
    )
    def throw_a_random_command(self, command_class, actor, earlier):
        at = None if earlier is None else self.now + earlier
        self.attempt(_junk(command_class, actor, at))

    @rule(data=st.data())
    def the_worker_records_a_breach(self, data):
        goals = sorted(self.current.goals)
        if not self.sla or not goals:
            return
        goal = data.draw(st.sampled_from(goals))
        due = self.current.goals[goal]["due_at"]
        assert isinstance(due, datetime)
        self.now = max(self.now, due)
        breach = RecordGoalBreach(ticket_id=COMPLAINT, actor="sla-monitor", goal=goal, due_at=due)
        self.attempt(breach)

    @rule(minutes=st.integers(min_value=0, max_value=3 * 24 * 60))
    def let_time_pass(self, minutes):
        self.now += timedelta(minutes=minutes)

    # ------------------------------------------------------------ invariants

    @invariant()
    def the_state_is_one_of_the_lifecycle(self):
        if self.complaint is None:
            return
        state = ComplaintState(self.complaint.status)
        assert state is not S.NEW
        assert (state in CLOSED_STATES) == (allowed_complaint_commands(state) == ())

    @invariant()
    def replaying_the_events_gives_the_same_complaint(self):
        if self.complaint is None:
            return
        replayed: Complaint | None = None
        for event in self.events:
            replayed = event.mutate(replayed)  # type: ignore[arg-type]
        assert replayed is not None
        live = dict(vars(self.complaint))
        again = dict(vars(replayed))
        live.pop("_pending_events")
        again.pop("_pending_events", None)
        assert live == again

    @invariant()
    def a_closed_complaint_records_only_the_sla_clock(self):
        """The ticket-wide steps (the SLA clock's) are the only ones after closing."""
        if self.closed_at_event is None:
            return
        later = {type(event).__name__ for event in self.events[self.closed_at_event :]}
        assert later <= CLOCK_EVENTS, f"after closing: {sorted(later - CLOCK_EVENTS)}"

    def check_all_invariants(self) -> None:
        """Every invariant, for a run outside hypothesis."""
        self.the_state_is_one_of_the_lifecycle()
        self.replaying_the_events_gives_the_same_complaint()
        self.a_closed_complaint_records_only_the_sla_clock()


ComplaintMachine.TestCase.settings = settings(
    ComplaintMachine.TestCase.settings, stateful_step_count=40
)
TestComplaintMachine = ComplaintMachine.TestCase


# ---------------------------------------------------------------- evidence of depth


def test_the_legal_step_rule_reaches_every_state_and_both_ends():
    """The machine's own rule, with a fixed seed, runs complaints to both ends and back."""
    rnd = random.Random(20261123)  # noqa: S311 - a seeded PRNG drives a simulation
    reached: Counter[ComplaintState] = Counter()
    events: Counter[str] = Counter()
    for number in range(60):
        machine = ComplaintMachine()
        machine.receive_a_complaint(sla=number % 3 != 0, rnd=rnd)
        for _ in range(30):
            if not machine.advance(rnd):
                break
            machine.check_all_invariants()
        reached += machine.reached
        events.update(type(event).__name__ for event in machine.events)

    assert set(reached) == set(ComplaintState) - {S.NEW}, f"reached only {sorted(reached)}"
    for name in ("ComplaintReopened", "OverdueEscalated", "RepairLinked", "PlanApproved"):
        assert events[name] > 0, f"never recorded {name}"
