"""The complaint ticket (投诉, seed-spec §3.2): an event-sourced aggregate and its events.

Built like the repair (:mod:`propdesk.domain.repair`): each public method is one command's
*decide* step (it checks the lifecycle table, who acts and the seed's rules, then triggers
events), and each event's ``apply`` only assigns what the event carries. The event names are
the design catalogue of seed-spec §3.4, which the SLA policy's complaint goals name
(``COMPLAINT_EVENTS`` in :mod:`propdesk.domain.sla_policy`); ``ComplaintClassified`` carries
the fields those goals test (``severity``, ``urgent``, ``big_problem``,
``resident_deadline``). Three events are added to the catalogue:

* ``ComplaintReopened`` (C10): the complainant says the problem is not solved.
* ``RepairLinked`` (R8, design): the complaint caused or concerns a repair.
* Closing as invalid (C12) is a ``ComplaintClosed`` with ``invalid`` set, not an event of its
  own: a complaint closes once, either way, and a policy that ends a goal on closing
  (``cancels_on = ["ComplaintClosed"]``) then covers both ends. An invalid complaint is never
  resolved, so without that its 3-working-day solution goal (T34) stays open after it closes.

Stored fields are JSON-native (``str``, ``int``, ``bool``, ``Decimal``, aware ``datetime``,
lists of ``str``); lists are replaced, never changed in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate

from propdesk.domain.complaint_authority import (
    DEPARTMENT_HEADS,
    LEADERS,
    PROJECT_HEADS,
    authorise_complaint,
)
from propdesk.domain.complaint_lifecycle import ComplaintState, check_complaint_step
from propdesk.domain.complaint_values import ComplaintLiability, ComplaintSeverity
from propdesk.domain.errors import RuleViolation
from propdesk.domain.goals import GoalStatus
from propdesk.domain.ticket import Ticket
from propdesk.domain.values import Role

if TYPE_CHECKING:
    from collections.abc import Iterable
    from decimal import Decimal
    from uuid import UUID

    from propdesk.domain import complaint_commands as cc
    from propdesk.domain.context import Decision
    from propdesk.domain.organisation import Person

HANDLING_TIME_LIMIT = "handling_time_limit"
"""The reason an overdue escalation records when the C2 time limit (处理时限) ran out."""

_ROUTING_NEEDS: dict[ComplaintSeverity, tuple[frozenset[Role], str]] = {
    ComplaintSeverity.MAJOR: (
        PROJECT_HEADS,
        "a major complaint (重大投诉) must reach the project head (项目总) the same day (T35)",
    ),
    ComplaintSeverity.IMPORTANT: (
        LEADERS - {Role.OFFICE_HEAD},
        (
            "an important complaint (重要投诉) goes to the department head (部门主管, T38) "
            "or the project manager (物业项目经理, T40)"
        ),
    ),
}
"""Who a first routing must reach (to, or tell), by severity (S1:L418 ⑤; S3:L27)."""

_BLANK: dict[str, object] = {
    "status": ComplaintState.RECEIVED.value,
    "valid": None,
    "severity": None,
    "urgent": False,
    "big_problem": False,
    "complaint_type": None,
    "liability": None,
    "responsible_unit": None,
    "handling_deadline": None,
    "resident_deadline": None,
    "classified_at": None,
    "confirmed_by": None,
    "handler": None,
    "notified": [],
    "routed_at": None,
    "contacted_at": None,
    "plans_approved": 0,
    "plan_cost": None,
    "answered_at": None,
    "answer_count": 0,
    "expected_date": None,
    "deferral_count": 0,
    "resolved_at": None,
    "result_reported_at": None,
    "satisfaction": None,
    "reopen_count": 0,
    "overdue_escalations": [],
    "escalated_to": None,
    "linked_repairs": [],
    "closed_at": None,
    "help_offered": None,
}
"""What a newly received complaint holds for every later step: nothing yet."""


class Complaint(Ticket):
    """One complaint, from receipt to close-out (seed-spec §3.2)."""

    kind: ClassVar[str] = "complaint"
    noun: ClassVar[str] = "complaint"

    class Event(Ticket.Event):
        """A complaint event: ``actor`` and ``command_id`` besides its id, version and time."""

    class ComplaintReceived(Event, Aggregate.Created):
        """C1: the complaint was recorded (S1:L413; S0:L80; S0:L470)."""

        estate: str
        channel: str
        occurred_at: datetime
        """发生时间."""
        place: str
        department_complained_about: str | None
        what_happened: str
        demands: str
        """住户的要求."""
        personal_data: dict[str, str]
        """The complainant's ``complainant_name`` and ``complainant_phone``, and the
        ``person_complained_about`` if named: the only personal data on record (§7.1)."""
        preferred_reply_time: str | None
        raised_by_repair: str | None
        """The id of the repair that raised the complaint, if any (R8)."""
        immediate_measures: str | None
        """C1a: what was done at once to stop a harm still going on."""
        received_at: datetime | None

        def apply(self, aggregate: Any) -> None:
            aggregate.estate = self.estate
            aggregate.channel = self.channel
            aggregate.occurred_at = self.occurred_at
            aggregate.place = self.place
            aggregate.department_complained_about = self.department_complained_about
            aggregate.what_happened = self.what_happened
            aggregate.demands = self.demands
            aggregate.personal_data = self.personal_data
            aggregate.preferred_reply_time = self.preferred_reply_time
            aggregate.raised_by_repair = self.raised_by_repair
            aggregate.immediate_measures = self.immediate_measures
            aggregate.received_at = self.received_at
            aggregate.first_responder = self.actor
            aggregate.logged_at = self.timestamp
            aggregate.__dict__.update(_BLANK)
            aggregate.__dict__.update(Ticket.start_state())

    class ComplaintClassified(Event):
        """C2: verified and classified; the severity goals start here (T35–T42, T46)."""

        valid: bool
        severity: str | None
        """``major``, ``important`` or ``minor``; ``None`` for an invalid complaint."""
        urgent: bool
        big_problem: bool
        complaint_type: str
        liability: str
        responsible_unit: str | None
        handling_deadline: datetime | None
        resident_deadline: datetime | None
        """A minor complaint's own deadline; the goal takes it if earlier (T41, §8.18)."""
        confirmed_by: str | None
        """The 主管领导 who fixed the responsible unit and time limit (S0:L470)."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ComplaintState.CLASSIFIED.value
            aggregate.valid = self.valid
            aggregate.severity = self.severity
            aggregate.urgent = self.urgent
            aggregate.big_problem = self.big_problem
            aggregate.complaint_type = self.complaint_type
            aggregate.liability = self.liability
            aggregate.responsible_unit = self.responsible_unit
            aggregate.handling_deadline = self.handling_deadline
            aggregate.resident_deadline = self.resident_deadline
            aggregate.confirmed_by = self.confirmed_by
            aggregate.classified_at = self.timestamp

    class ComplaintRouted(Event):
        """C3: passed to its handler (归口); the routing goals stop here (T35, T38, T42)."""

        to: str
        notified: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ComplaintState.ROUTED.value
            aggregate.handler = self.to
            aggregate.notified = list(self.notified)
            aggregate.routed_at = self.timestamp

    class CustomerContacted(Event):
        """C4: the handler contacted the complainant (第一时间, T43)."""

        channel: str
        clarified: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ComplaintState.IN_HANDLING.value
            aggregate.contacted_at = self.timestamp

    class PlanApproved(Event):
        """C5: a leader approved the remedy plan; it gives the solution of T34."""

        cause: str
        corrective_measures: str
        remedy_plan: str
        cost: Decimal | None
        drawn_up_by: str
        plan_number: int

        def apply(self, aggregate: Any) -> None:
            aggregate.plans_approved = self.plan_number
            aggregate.plan_cost = self.cost

    class AnswerGiven(Event):
        """C6: a clear answer to the complainant (T33, T36, T46)."""

        answer: str
        channel: str
        answer_number: int

        def apply(self, aggregate: Any) -> None:
            aggregate.answered_at = self.timestamp
            aggregate.answer_count = self.answer_number

    class DeferredWithExpectedDate(Event):
        """C7: a plan and an expected date, with the complainant's understanding (S0:L464)."""

        reason: str
        plan: str
        expected_date: datetime
        customer_understanding: bool
        reported_to: str
        deferral_number: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ComplaintState.DEFERRED.value
            aggregate.expected_date = self.expected_date
            aggregate.deferral_count = self.deferral_number

    class ComplaintResolved(Event):
        """C8: solved; the complaint receiver was told (告知投诉接待人, S1:L420)."""

        outcome: str
        receiver: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ComplaintState.RESOLVED.value
            aggregate.resolved_at = self.timestamp

    class ResultReportedToComplainant(Event):
        """C9: the result told to the complainant, by phone or in person (T44)."""

        result: str
        channel: str
        same_day: bool
        """在当天: told on the day the complaint was resolved."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ComplaintState.RESULT_NOTIFIED.value
            aggregate.result_reported_at = self.timestamp

    class ComplaintReopened(Event):
        """C10: the complainant says the problem is not solved; handling goes on."""

        problem: str
        satisfaction: str
        reopen_number: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = ComplaintState.IN_HANDLING.value
            aggregate.satisfaction = self.satisfaction
            aggregate.reopen_count = self.reopen_number

    class OverdueEscalated(Event):
        """C11: not handled within the time-limit commitment; passed to 管理处主任."""

        to: str
        reason: str
        """The goal that ran out, or ``handling_time_limit`` (处理时限, C2)."""
        due_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.overdue_escalations = [*aggregate.overdue_escalations, self.reason]
            aggregate.escalated_to = self.to

    class ComplaintClosed(Event):
        """C10 (结案) or, with ``invalid``, C12 (无效投诉): the complaint is closed."""

        invalid: bool
        satisfaction: str | None
        correction_effect: str | None
        """整改效果 (S0:L471), for a complaint closed after confirmation."""
        help_offered: str | None
        """尽量为住户提供方便 (S1:L422), for an invalid complaint."""
        remarks: str | None

        def apply(self, aggregate: Any) -> None:
            closed = ComplaintState.CLOSED_INVALID if self.invalid else ComplaintState.CLOSED
            aggregate.status = closed.value
            aggregate.satisfaction = self.satisfaction
            aggregate.help_offered = self.help_offered
            aggregate.closed_at = self.timestamp

    class RepairLinked(Event):
        """R8 (design): the complaint caused or concerns this repair."""

        repair_id: str
        note: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.linked_repairs = [*aggregate.linked_repairs, self.repair_id]

    def __init__(self) -> None:
        """Nothing to do: the ``ComplaintReceived`` event's ``apply`` sets every field."""

    # The attributes ``apply`` assigns; declared for type checkers and readers.
    estate: str
    channel: str
    occurred_at: datetime
    place: str
    department_complained_about: str | None
    what_happened: str
    demands: str
    personal_data: dict[str, str]
    preferred_reply_time: str | None
    raised_by_repair: str | None
    immediate_measures: str | None
    received_at: datetime | None
    first_responder: str
    logged_at: datetime
    status: str
    valid: bool | None
    severity: str | None
    urgent: bool
    big_problem: bool
    complaint_type: str | None
    liability: str | None
    responsible_unit: str | None
    handling_deadline: datetime | None
    resident_deadline: datetime | None
    classified_at: datetime | None
    confirmed_by: str | None
    handler: str | None
    notified: list[str]
    routed_at: datetime | None
    contacted_at: datetime | None
    plans_approved: int
    plan_cost: Decimal | None
    answered_at: datetime | None
    answer_count: int
    expected_date: datetime | None
    deferral_count: int
    resolved_at: datetime | None
    result_reported_at: datetime | None
    satisfaction: str | None
    reopen_count: int
    overdue_escalations: list[str]
    escalated_to: str | None
    linked_repairs: list[str]
    closed_at: datetime | None
    help_offered: str | None

    @property
    def state(self) -> ComplaintState:
        """Where the complaint stands in the lifecycle."""
        return ComplaintState(self.status)

    # ------------------------------------------------------------------ decide: C1

    @classmethod
    def receive(cls, ticket_id: UUID, cmd: cc.LogComplaint, d: Decision) -> Complaint:
        """C1: records a new complaint and returns it."""
        check_complaint_step("receive", ComplaintState.NEW)
        authorise_complaint(cmd.step, d.actor, None)
        new = ComplaintState.NEW.value
        if cmd.received_at is not None and cmd.received_at > d.at:
            raise RuleViolation(cmd.step, new, "received_at cannot be after it is recorded")
        if cmd.occurred_at > d.at:
            raise RuleViolation(cmd.step, new, "occurred_at cannot be after it is recorded")
        personal_data = {"complainant_name": cmd.complainant.name}
        personal_data["complainant_phone"] = cmd.complainant.phone
        if cmd.person_complained_about is not None:
            personal_data["person_complained_about"] = cmd.person_complained_about
        ticket = cls._create(
            cls.ComplaintReceived,
            id=ticket_id,
            timestamp=d.at,
            actor=d.actor.id,
            command_id=d.command_id,
            estate=d.organisation.estate,
            channel=cmd.channel.value,
            occurred_at=cmd.occurred_at,
            place=cmd.place,
            department_complained_about=cmd.department_complained_about,
            what_happened=cmd.what_happened,
            demands=cmd.demands,
            personal_data=personal_data,
            preferred_reply_time=cmd.preferred_reply_time,
            raised_by_repair=None if cmd.repair_id is None else str(cmd.repair_id),
            immediate_measures=cmd.immediate_measures,
            received_at=cmd.received_at,
        )
        received = ticket.pending_events[-1]
        ticket._start_clock(d)  # noqa: SLF001 - the class deciding on its own new instance
        ticket._track_goals(received, d)  # noqa: SLF001 - as above
        return ticket

    # ------------------------------------------------------------------ decide: C2–C4

    def classify_complaint(self, cmd: cc.ClassifyComplaint, d: Decision) -> None:
        """C2: grades the complaint; a leader confirms its responsible unit and time limit."""
        self._begin("classify", cmd.step, d)
        for name in ("handling_deadline", "resident_deadline"):
            deadline = getattr(cmd, name)
            if deadline is not None and deadline <= d.at:
                self._refuse_rule(cmd.step, f"{name} must be later than now")
        confirmer = None
        if cmd.confirmed_by is not None or cmd.responsible_unit or cmd.handling_deadline:
            confirmer = self._member(cmd.step, cmd.confirmed_by or d.actor.id, "confirmed_by", d)
            self._require_role(cmd.step, confirmer, LEADERS, "主管领导 (S0:L470)")
        self._emit(
            self.ComplaintClassified,
            d,
            valid=cmd.valid,
            severity=None if cmd.severity is None else cmd.severity.value,
            urgent=cmd.urgent,
            big_problem=cmd.big_problem,
            complaint_type=cmd.complaint_type.value,
            liability=cmd.liability.value,
            responsible_unit=cmd.responsible_unit,
            handling_deadline=cmd.handling_deadline,
            resident_deadline=cmd.resident_deadline,
            confirmed_by=None if confirmer is None else confirmer.id,
        )

    def route_complaint(self, cmd: cc.RouteComplaint, d: Decision) -> None:
        """C3: passes a valid complaint to its handler, reaching whom its grade requires."""
        self._begin("route", cmd.step, d)
        if not self.valid:
            self._refuse_rule(cmd.step, "an invalid complaint is not routed; close_as_invalid")
        handler = self._member(cmd.step, cmd.to, "to", d)
        told = [self._member(cmd.step, person, "notified", d) for person in cmd.notified]
        reached = [handler, *told]
        if self.severity is not None:
            roles, rule = _ROUTING_NEEDS.get(ComplaintSeverity(self.severity), (None, ""))
            if roles is not None and not _any_holds(reached, roles):
                self._refuse_rule(cmd.step, f"{rule}: route it to, or notify, a {_names(roles)}")
        if self.liability == ComplaintLiability.SHARED and not _any_holds(
            reached, DEPARTMENT_HEADS
        ):
            self._refuse_rule(
                cmd.step,
                "a shared fault calls the heads of the departments concerned to the scene "
                f"(S1:L415 ②): notify a {_names(DEPARTMENT_HEADS)}",
            )
        self._emit(self.ComplaintRouted, d, to=handler.id, notified=[p.id for p in told])

    def contact_customer(self, cmd: cc.ContactCustomer, d: Decision) -> None:
        """C4: the handler has contacted the complainant; handling starts."""
        self._begin("contact_customer", cmd.step, d)
        self._emit(self.CustomerContacted, d, channel=cmd.channel.value, clarified=cmd.clarified)

    # ------------------------------------------------------------------ decide: C5–C8

    def approve_plan(self, cmd: cc.ApprovePlan, d: Decision) -> None:
        """C5: a leader other than its author approves the remedy plan (报请领导审批)."""
        self._begin("approve_plan", cmd.step, d)
        author = self._member(cmd.step, cmd.drawn_up_by or self.handler or "", "drawn_up_by", d)
        if author.id == d.actor.id:
            self._refuse_rule(
                cmd.step, f"{author.id} drew up the plan; another leader must approve it (§7.2)"
            )
        self._emit(
            self.PlanApproved, d, cause=cmd.cause, corrective_measures=cmd.corrective_measures,
            remedy_plan=cmd.remedy_plan, cost=cmd.cost, drawn_up_by=author.id,
            plan_number=self.plans_approved + 1,
        )  # fmt: skip

    def give_answer(self, cmd: cc.GiveAnswer, d: Decision) -> None:
        """C6: records a clear answer; the complaint stays where it is."""
        self._begin("give_answer", cmd.step, d)
        self._emit(
            self.AnswerGiven, d, answer=cmd.answer, channel=cmd.channel.value,
            answer_number=self.answer_count + 1,
        )  # fmt: skip

    def defer_complaint(self, cmd: cc.DeferComplaint, d: Decision) -> None:
        """C7: cannot be solved in time; an expected date is agreed and the superior told."""
        self._begin("defer", cmd.step, d)
        if cmd.expected_date <= d.at:
            self._refuse_rule(cmd.step, "the expected date (预计解决日期) must be later than now")
        superior = self._member(cmd.step, cmd.reported_to, "reported_to", d)
        if superior.id == d.actor.id:
            self._refuse_rule(
                cmd.step, "the deferral is reported to someone else (上级), not to oneself"
            )
        self._emit(
            self.DeferredWithExpectedDate, d, reason=cmd.reason, plan=cmd.plan,
            expected_date=cmd.expected_date, customer_understanding=cmd.customer_understanding,
            reported_to=superior.id, deferral_number=self.deferral_count + 1,
        )  # fmt: skip

    def resolve_complaint(self, cmd: cc.ResolveComplaint, d: Decision) -> None:
        """C8: solved, once the complainant has had a clear answer; the receiver is told."""
        self._begin("resolve", cmd.step, d)
        self._require_answer(cmd.step)
        receiver = self._member(cmd.step, cmd.receiver or self.first_responder, "receiver", d)
        self._emit(self.ComplaintResolved, d, outcome=cmd.outcome, receiver=receiver.id)

    # ------------------------------------------------------------------ decide: C9–C12

    def report_result(self, cmd: cc.ReportResult, d: Decision) -> None:
        """C9: the result told to the complainant; notes whether it was the same day (T44)."""
        self._begin("report_result", cmd.step, d)
        resolved = self.resolved_at or d.at
        self._emit(
            self.ResultReportedToComplainant, d, result=cmd.result, channel=cmd.channel.value,
            same_day=d.local_date(d.at) == d.local_date(resolved),
        )  # fmt: skip

    def confirm_resolution(self, cmd: cc.ConfirmResolution, d: Decision) -> None:
        """C10: closes when the complainant confirms it is solved (结案), else reopens."""
        self._begin("close" if cmd.solved else "reopen", cmd.step, d)
        if cmd.solved:
            self._emit(
                self.ComplaintClosed, d, invalid=False, satisfaction=cmd.satisfaction.value,
                correction_effect=cmd.correction_effect, help_offered=None, remarks=None,
            )  # fmt: skip
            return
        self._emit(
            self.ComplaintReopened, d, problem=cmd.problem, satisfaction=cmd.satisfaction.value,
            reopen_number=self.reopen_count + 1,
        )  # fmt: skip

    def escalate_overdue(self, cmd: cc.EscalateOverdue, d: Decision) -> None:
        """C11: passes the overdue complaint to the office head (管理处主任).

        A repeat for the same reason is a no-op, whatever the goal's run: the office head
        already has the complaint, and the SLA worker may send the command again.
        """
        self._begin("escalate_overdue", cmd.step, d)
        reason = cmd.goal or HANDLING_TIME_LIMIT
        if reason in self.overdue_escalations:
            return  # already passed on for this reason: the worker may send it again
        due = self._overdue_since(cmd.step, cmd.goal, d)
        head = self._office_head(cmd.step, cmd.to, d)
        self._emit(self.OverdueEscalated, d, to=head.id, reason=reason, due_at=due)

    def close_as_invalid(self, cmd: cc.CloseAsInvalid, d: Decision) -> None:
        """C12: closes a complaint classified invalid, once answered and helped anyway."""
        self._begin("close_as_invalid", cmd.step, d)
        if self.valid is not False:
            self._refuse_rule(cmd.step, "the complaint was classified valid; route it")
        self._require_answer(cmd.step)
        self._emit(
            self.ComplaintClosed, d, invalid=True, satisfaction=None, correction_effect=None,
            help_offered=cmd.help_offered, remarks=cmd.remarks,
        )  # fmt: skip

    def link_repair(self, cmd: cc.LinkRepair, d: Decision) -> None:
        """R8 (design): records a repair the complaint caused or concerns."""
        self._begin("link_repair", cmd.step, d)
        repair = str(cmd.repair_id)
        if repair == self.raised_by_repair or repair in self.linked_repairs:
            self._refuse_rule(cmd.step, f"repair {repair} is already linked to the complaint")
        self._emit(self.RepairLinked, d, repair_id=repair, note=cmd.note)

    # ------------------------------------------------------------------ helpers

    def _begin(self, trigger: str, command: str, d: Decision) -> None:
        """Checks the lifecycle table, who acts, and that time does not run backwards."""
        check_complaint_step(trigger, self.state)
        authorise_complaint(command, d.actor, self.handler)
        self._not_before_last_step(command, d)

    def _require_answer(self, command: str) -> None:
        if self.answered_at is None:
            self._refuse_rule(
                command, "give_answer first: the complainant is owed a clear answer (明确答复, C6)"
            )

    def _overdue_since(self, command: str, goal: str | None, d: Decision) -> datetime:
        """The due time that has passed, or a :class:`RuleViolation` if nothing is overdue."""
        if goal is None:
            due = self.handling_deadline
            if due is None:
                self._refuse_rule(command, "no handling time limit (处理时限) was set at C2")
            if self.state in (ComplaintState.RESOLVED, ComplaintState.RESULT_NOTIFIED):
                self._refuse_rule(command, "the complaint is resolved; its time limit is kept")
            if d.at < due:
                self._refuse_rule(command, f"the handling time limit is {due.isoformat()}")
            return due
        record = self.goals.get(goal)
        if record is None:
            self._refuse_rule(command, f"the complaint has no goal {goal}")
        due_at = record["due_at"]
        if not isinstance(due_at, datetime):  # pragma: no cover - goal records hold times
            self._refuse_rule(command, f"{goal} holds no due time")
        status = GoalStatus(str(record["status"]))
        running_late = status is GoalStatus.RUNNING and d.at >= due_at
        if not (record["breached"] or status is GoalStatus.MISSED or running_late):
            self._refuse_rule(command, f"{goal} is {status.value}, due {due_at.isoformat()}")
        return due_at

    def _office_head(self, command: str, given: str | None, d: Decision) -> Person:
        """The office head (管理处主任) named, or the estate's first one."""
        if given is not None:
            head = self._member(command, given, "to", d)
        else:
            heads = [p for p in d.organisation.people if p.has(Role.OFFICE_HEAD)]
            if not heads:
                self._refuse_rule(command, "the estate has no office head (管理处主任)")
            head = heads[0]
        self._require_role(command, head, frozenset({Role.OFFICE_HEAD}), "管理处主任 (S2 §6.4)")
        return head

    def _require_role(
        self, command: str, person: Person, roles: frozenset[Role], title: str
    ) -> None:
        if not _any_holds([person], roles):
            self._refuse_rule(command, f"{person.id} is not a {title}: needs {_names(roles)}")


def _any_holds(people: Iterable[Person], roles: frozenset[Role]) -> bool:
    return any(role in person.roles for person in people for role in roles)


def _names(roles: frozenset[Role]) -> str:
    return " or ".join(sorted(role.value for role in roles))
