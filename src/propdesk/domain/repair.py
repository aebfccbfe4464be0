"""The repair ticket (报事报修): an event-sourced aggregate and its events.

Each public method is one command's *decide* step: it checks the lifecycle table, who acts,
and the seed's rules, does any time arithmetic, and then triggers events. Each event's
``apply`` only assigns the values the event carries; it runs again on every replay, so it
never checks, computes or reads a clock.

Stored fields are JSON-native (``str``, ``int``, ``bool``, ``Decimal``, aware ``datetime``,
lists), so a ticket loaded from a snapshot equals one replayed from its events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate

from propdesk.domain.authority import authorise
from propdesk.domain.errors import RuleViolation
from propdesk.domain.goals import GoalStatus
from propdesk.domain.lifecycle import RepairState, allows, check_step
from propdesk.domain.ticket import Ticket
from propdesk.domain.values import (
    ContactChannel,
    EscalationCause,
    FeeStatus,
    RepairCategory,
    RescheduleKind,
    Role,
    as_minutes,
    minute_of,
)

if TYPE_CHECKING:
    from uuid import UUID

    from propdesk.domain import commands as c
    from propdesk.domain.context import Decision
    from propdesk.domain.goals import GoalRecord
    from propdesk.domain.organisation import Person

_ROUND_OF_SOURCE = {
    RepairState.LOGGED: "first",
    RepairState.QUOTE_ACCEPTED: "after_quote",
    RepairState.RESCHEDULED: "redispatch",
    RepairState.AWAITING_REVISIT: "revisit",
    RepairState.REWORK: "rework",
}


_BLANK_STEPS: dict[str, object] = {
    "status": RepairState.LOGGED.value,
    "acceptor": None,
    "acceptor_name": None,
    "first_acceptor": None,
    "level": 0,
    "top_of_chain": False,
    "accepted_at": None,
    "promised_arrival": None,
    "dispatch_round": None,
    "round_appointment": None,
    "dispatch_count": 0,
    "refusal_count": 0,
    "review_started_at": None,
    "quoted_amount": None,
    "rescheduled_to": None,
    "reschedule_kind": None,
    "redispatch_due_at": None,
    "appointment_with": None,
    "arrived_at": None,
    "arrived_on_time": None,
    "arrival_disputed": False,
    "knocks": 0,
    "last_knock_at": None,
    "actual_item": None,
    "charge_standard": None,
    "completed_at": None,
    "completed_by": None,
    "customer_signature_ref": None,
    "fee_amount": Decimal(0),
    "fee_status": FeeStatus.NOT_CHARGED.value,
    "receipt_no": None,
    "submitted_to": None,
    "verified_by": None,
    "callback_starts_at": None,
    "callback_due_at": None,
    "callback_raised_for": None,
    "satisfied": None,
    "rework_count": 0,
    "closed_at": None,
    "close_reason": None,
}
"""What a newly logged ticket holds for every later step: nothing yet."""


class Repair(Ticket):
    """One repair request, from logging to closing (seed-spec §3.1)."""

    kind: ClassVar[str] = "repair"
    class_version = 3
    """The version of a snapshot's state: 2 added the SLA clock and ``received_at``, 3 the
    callback raised by the SLA worker (``callback_raised_for``)."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before issue 3: no receipt time, no policy, no goals."""
        state["received_at"] = None
        state.update(Ticket.start_state())

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A snapshot taken before the SLA worker raised callbacks: none raised yet."""
        state["callback_raised_for"] = None

    GOAL_FACTS: ClassVar[dict[str, frozenset[str]]] = {"Escalated": frozenset({"appointment"})}
    """An escalation serves the appointment of the dispatch it replaces."""

    class Event(Ticket.Event):
        """A repair event: ``actor`` and ``command_id`` besides its id, version and time."""

    class Logged(Event, Aggregate.Created):
        """R1: the request was recorded (已登记).

        Version 2 added ``received_at``; stored version 1 events load with ``None`` there.
        """

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not record when the request was received."""
            state["received_at"] = None

        received_at: datetime | None
        """When the request reached the desk, if it was recorded later (T03: 2 minutes)."""
        estate: str
        channel: str
        scope: str
        category: str
        unit: str
        description: str
        personal_data: dict[str, str]
        """Owner contact (``owner_name``, ``owner_phone``): the only personal data on record."""
        in_price_list: bool
        price_item: str | None
        paid: bool
        appointment: datetime | None

        def apply(self, aggregate: Any) -> None:
            aggregate.estate = self.estate
            aggregate.channel = self.channel
            aggregate.scope = self.scope
            aggregate.category = self.category
            aggregate.unit = self.unit
            aggregate.description = self.description
            aggregate.personal_data = self.personal_data
            aggregate.in_price_list = self.in_price_list
            aggregate.price_item = self.price_item
            aggregate.paid = self.paid
            aggregate.appointment = self.appointment
            aggregate.received_at = self.received_at
            aggregate.first_responder = self.actor
            aggregate.logged_at = self.timestamp
            aggregate.__dict__.update(_BLANK_STEPS)
            aggregate.__dict__.update(Ticket.start_state())

    class CostReviewStarted(Event):
        """R3: the supervisor took the order for a cost review (接单)."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.COST_REVIEW.value
            aggregate.review_started_at = self.timestamp

    class Quoted(Event):
        """R4: feasible at this cost; the resident was told (回复住户)."""

        amount: Decimal
        feasibility: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.AWAITING_QUOTE_DECISION.value
            aggregate.quoted_amount = self.amount

    class FoundNotRepairable(Event):
        """R5b: the review found the item cannot be repaired."""

        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.CLOSED_NOT_REPAIRABLE.value
            aggregate.closed_at = self.timestamp
            aggregate.close_reason = self.reason

    class QuoteAccepted(Event):
        """R5: the resident accepted the cost and agreed to the repair."""

        amount: Decimal

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.QUOTE_ACCEPTED.value

    class QuoteDeclined(Event):
        """R5b: the resident declined the quote."""

        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.CLOSED_QUOTE_DECLINED.value
            aggregate.closed_at = self.timestamp
            aggregate.close_reason = self.reason

    class Dispatched(Event):
        """R2 (and R11, R14, R23): an acceptor was told to go (口头派工)."""

        acceptor: str
        acceptor_name: str
        accepted_at: datetime
        """When the acceptor took the job, to the minute (T01, 精确到分)."""
        promised_arrival: datetime
        """落实受理人员到达处理现场的时间 (§4.1.2.2)."""
        channel: str
        round: str
        """first, after_quote, redispatch, revisit or rework."""
        dispatch_count: int
        top_of_chain: bool
        owner_contacted_beforehand: bool
        appointment: datetime | None
        """The agreed time this dispatch serves (the resident's, or a rescheduled one)."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.DISPATCHED.value
            aggregate.round_appointment = self.appointment
            aggregate.acceptor = self.acceptor
            aggregate.acceptor_name = self.acceptor_name
            aggregate.first_acceptor = self.acceptor
            aggregate.level = 0
            aggregate.top_of_chain = self.top_of_chain
            aggregate.accepted_at = self.accepted_at
            aggregate.promised_arrival = self.promised_arrival
            aggregate.dispatch_round = self.round
            aggregate.dispatch_count = self.dispatch_count
            aggregate.arrived_at = None
            aggregate.arrived_on_time = None
            aggregate.arrival_disputed = False
            aggregate.knocks = 0
            aggregate.last_knock_at = None

    class Refused(Event):
        """R6: the acceptor cannot go and said why (明确不能前往的理由)."""

        reason: str
        level: int
        refusal_count: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.REFUSED.value
            aggregate.refusal_count = self.refusal_count

    class Escalated(Event):
        """R6: dispatched one level up the chain, to the acceptor's superior (逐级派工).

        After a refusal (``cause`` ``refused``, the notifier's step) or because nobody arrived
        by an arrival goal's deadline (``overdue``, T06/T07, sent by the SLA worker).
        Version 2 added ``cause``, ``overdue_goal`` and ``overdue_due_at``; stored version 1
        events, all after a refusal, load as ``refused`` with no goal.
        """

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 escalated only after a refusal."""
            state["cause"] = EscalationCause.REFUSED.value
            state["overdue_goal"] = None
            state["overdue_due_at"] = None

        cause: str
        """``refused`` or ``overdue`` (:class:`~propdesk.domain.values.EscalationCause`)."""
        refused_by: str
        """The acceptor passed over: the one who refused, or the one who did not arrive."""
        acceptor: str
        acceptor_name: str
        level: int
        accepted_at: datetime
        promised_arrival: datetime
        channel: str
        top_of_chain: bool
        overdue_goal: str | None
        """For an overdue escalation: the arrival goal whose deadline passed."""
        overdue_due_at: datetime | None
        """For an overdue escalation: that deadline."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.DISPATCHED.value
            aggregate.acceptor = self.acceptor
            aggregate.acceptor_name = self.acceptor_name
            aggregate.level = self.level
            aggregate.top_of_chain = self.top_of_chain
            aggregate.accepted_at = self.accepted_at
            aggregate.promised_arrival = self.promised_arrival

    class NoStaffConfirmed(Event):
        """R7: the project manager consented: truly nobody can be sent (经项目经理同意)."""

        project_manager: str
        finding: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.RESCHEDULE_NEGOTIATION.value
            aggregate.acceptor = None
            aggregate.acceptor_name = None
            aggregate.level = 0
            aggregate.top_of_chain = False

    class OwnerComplained(Event):
        """R8: the owner complained while a new time was negotiated; staff were sent to talk."""

        complaint: str
        sent_staff: str

        def apply(self, aggregate: Any) -> None:
            """Nothing changes on the ticket; the event is the record."""

    class Rescheduled(Event):
        """R9/R10: the owner agreed a new time (另约时间)."""

        new_time: datetime
        kind: str
        """same_day or after_shift (T13)."""
        owner_agreed: bool
        appointment_with: str
        redispatch_due_at: datetime
        """T14: re-dispatch 30 minutes before the new time (提前30分钟重新口头派工)."""
        notifier_shift_end: datetime | None
        conspicuously_marked: bool
        """明显记录 in the 《报事报修登记表》: both kinds."""
        entered_in_scheduling_system: bool
        """录入乐天软件: the after-shift kind."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.RESCHEDULED.value
            aggregate.rescheduled_to = self.new_time
            aggregate.reschedule_kind = self.kind
            aggregate.redispatch_due_at = self.redispatch_due_at
            aggregate.appointment_with = self.appointment_with

    class ArrivalReported(Event):
        """R12: the acceptor reported arrival (到达后反馈)."""

        channel: str
        on_time: bool
        minutes_late: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.ON_SITE.value
            aggregate.arrived_at = self.timestamp
            aggregate.arrived_on_time = self.on_time

    class ArrivalChecked(Event):
        """R12a: the notifier asked the reporter whether the acceptor came on time."""

        reporter_says_on_time: bool
        channel: str
        disputed: bool
        """The reporter and the acceptor disagree (§8.25); kept for the supervisor to settle."""

        def apply(self, aggregate: Any) -> None:
            aggregate.arrival_disputed = self.disputed

    class KnockUnanswered(Event):
        """R13: three knocks, no answer (敲门为三下一组)."""

        attempt: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.NO_ONE_HOME.value
            aggregate.knocks = self.attempt
            aggregate.last_knock_at = self.timestamp

    class DoorAnswered(Event):
        """R13: someone answered after all; the visit goes on."""

        after_attempts: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.ON_SITE.value
            aggregate.knocks = 0

    class LeftForRevisit(Event):
        """R13: nobody home; the technician left and told the supervisor and the desk."""

        attempts: int
        informed_supervisor: str
        informed_customer_service: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.AWAITING_REVISIT.value
            aggregate.acceptor = None
            aggregate.acceptor_name = None
            aggregate.level = 0
            aggregate.top_of_chain = False

    class ItemAmended(Event):
        """R15: the actual item and its charge standard, written on the 维修单."""

        actual_item: str
        charge_standard: Decimal

        def apply(self, aggregate: Any) -> None:
            aggregate.actual_item = self.actual_item
            aggregate.charge_standard = self.charge_standard

    class RepairStarted(Event):
        """R16: the charge standard was shown and the resident agreed (出示收费标准)."""

        customer_agreed_to_charge: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.IN_REPAIR.value

    class DeclinedOnSite(Event):
        """R17: the resident declined on site; reason co-signed and filed (备案)."""

        reason: str
        supervisor: str
        technician_signature_ref: str
        supervisor_signature_ref: str
        reminded_to_report_again: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.CLOSED_DECLINED.value
            aggregate.closed_at = self.timestamp
            aggregate.close_reason = self.reason

    class Completed(Event):
        """R18: the work is done and the customer signed."""

        outcome: str
        customer_signature_ref: str
        fee: Decimal
        """What this visit charged (0 for free work or a free rework)."""
        fee_outstanding: Decimal
        """The ticket's fee after this visit: this visit's, or the one still unsettled."""
        fee_status: str
        waste_removed: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.COMPLETED.value
            aggregate.completed_at = self.timestamp
            aggregate.completed_by = self.actor
            aggregate.customer_signature_ref = self.customer_signature_ref
            aggregate.fee_amount = self.fee_outstanding
            aggregate.fee_status = self.fee_status

    class Submitted(Event):
        """R19: the signed order was handed to the supervisor (交单)."""

        supervisor: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.SUBMITTED.value
            aggregate.submitted_to = self.supervisor

    class Verified(Event):
        """R20: the supervisor reviewed and signed; the result notice was sent (通报)."""

        supervisor_signature_ref: str
        result_notified_to: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.VERIFIED.value
            aggregate.verified_by = self.actor

    class CallbackOpened(Event):
        """R21: the callback window started; its due time is decided here and kept."""

        starts_at: datetime
        due_at: datetime
        category: str
        leak_test_result: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.CALLBACK_PENDING.value
            aggregate.callback_starts_at = self.starts_at
            aggregate.callback_due_at = self.due_at

    class CallbackRaised(Event):
        """R22: the callback (回访) was raised to customer service as its window opened."""

        due_at: datetime
        """The window's due time (``CallbackOpened.due_at``) the callback must be made by."""
        category: str
        """The repair's category, which chose the window: T28, T29 or T30."""

        def apply(self, aggregate: Any) -> None:
            aggregate.callback_raised_for = self.due_at

    class CalledBack(Event):
        """R22/R23: the callback (回访) and its result."""

        channel: str
        satisfied: bool
        rating: int | None
        remarks: str | None
        problem: str | None
        within_window: bool
        rework_count: int

        def apply(self, aggregate: Any) -> None:
            aggregate.status = (
                RepairState.CALLED_BACK.value if self.satisfied else RepairState.REWORK.value
            )
            aggregate.satisfied = self.satisfied
            aggregate.rework_count = self.rework_count

    class FeeHandedOver(Event):
        """R24: the technician handed the fee to finance."""

        amount: Decimal

        def apply(self, aggregate: Any) -> None:
            aggregate.fee_status = FeeStatus.HANDED_OVER.value

    class FeeSettled(Event):
        """R24: finance booked the fee and issued the receipt (费用入帐)."""

        amount: Decimal
        receipt_no: str
        same_day: bool
        """当日结清: settled on the day the work was completed."""

        def apply(self, aggregate: Any) -> None:
            aggregate.fee_status = FeeStatus.SETTLED.value
            aggregate.receipt_no = self.receipt_no

    class Closed(Event):
        """The ticket was closed (关闭)."""

        remarks: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.status = RepairState.CLOSED.value
            aggregate.closed_at = self.timestamp
            aggregate.close_reason = self.remarks

    def __init__(self) -> None:
        """Nothing to do: the ``Logged`` event's ``apply`` sets every field."""

    # The attributes ``apply`` assigns; declared for type checkers and readers.
    estate: str
    channel: str
    scope: str
    category: str
    unit: str
    description: str
    personal_data: dict[str, str]
    in_price_list: bool
    price_item: str | None
    paid: bool
    appointment: datetime | None
    received_at: datetime | None
    first_responder: str
    logged_at: datetime
    status: str
    acceptor: str | None
    acceptor_name: str | None
    first_acceptor: str | None
    level: int
    top_of_chain: bool
    accepted_at: datetime | None
    promised_arrival: datetime | None
    dispatch_round: str | None
    round_appointment: datetime | None
    dispatch_count: int
    refusal_count: int
    review_started_at: datetime | None
    quoted_amount: Decimal | None
    rescheduled_to: datetime | None
    reschedule_kind: str | None
    redispatch_due_at: datetime | None
    appointment_with: str | None
    arrived_at: datetime | None
    arrived_on_time: bool | None
    arrival_disputed: bool
    knocks: int
    last_knock_at: datetime | None
    actual_item: str | None
    charge_standard: Decimal | None
    completed_at: datetime | None
    completed_by: str | None
    customer_signature_ref: str | None
    fee_amount: Decimal
    fee_status: str
    receipt_no: str | None
    submitted_to: str | None
    verified_by: str | None
    callback_starts_at: datetime | None
    callback_due_at: datetime | None
    callback_raised_for: datetime | None
    """The due time of the callback window last raised to customer service, if any."""
    satisfied: bool | None
    rework_count: int
    closed_at: datetime | None
    close_reason: str | None

    @property
    def state(self) -> RepairState:
        """Where the ticket stands in the lifecycle."""
        return RepairState(self.status)

    # ------------------------------------------------------------------ decide: R1

    @classmethod
    def log(cls, ticket_id: UUID, cmd: c.LogRepair, d: Decision) -> Repair:
        """R1: records a new request and returns the new ticket."""
        check_step("log", RepairState.NEW)
        authorise(cmd.step, d.actor, None)
        if cmd.received_at is not None and cmd.received_at > d.at:
            raise RuleViolation(
                cmd.step, RepairState.NEW.value, "received_at cannot be after the request is logged"
            )
        ticket = cls._create(
            cls.Logged,
            id=ticket_id,
            timestamp=d.at,
            actor=d.actor.id,
            command_id=d.command_id,
            estate=d.organisation.estate,
            channel=cmd.channel.value,
            scope=cmd.scope.value,
            category=cmd.category.value,
            unit=cmd.unit,
            description=cmd.description,
            personal_data={"owner_name": cmd.owner.name, "owner_phone": cmd.owner.phone},
            in_price_list=cmd.in_price_list,
            price_item=cmd.price_item,
            paid=cmd.paid,
            appointment=cmd.appointment,
            received_at=cmd.received_at,
        )
        logged = ticket.pending_events[-1]
        ticket._start_clock(d)  # noqa: SLF001 - the class deciding on its own new instance
        ticket._track_goals(logged, d)  # noqa: SLF001 - as above
        return ticket

    # ------------------------------------------------------------------ decide: R3–R5

    def start_cost_review(self, cmd: c.StartCostReview, d: Decision) -> None:
        """R3: the supervisor takes an item outside the price list for review."""
        self._begin("start_cost_review", cmd.step, d)
        if self.in_price_list:
            self._refuse_rule(cmd.step, "the item is in the price list; dispatch it directly")
        self._emit(self.CostReviewStarted, d)

    def quote(self, cmd: c.Quote, d: Decision) -> None:
        """R4: feasible; the cost is replied to the resident."""
        self._begin("quote", cmd.step, d)
        self._emit(self.Quoted, d, amount=cmd.amount, feasibility=cmd.feasibility)

    def declare_not_repairable(self, cmd: c.DeclareNotRepairable, d: Decision) -> None:
        """R5b: not feasible; the ticket closes."""
        self._begin("declare_not_repairable", cmd.step, d)
        self._emit(self.FoundNotRepairable, d, reason=cmd.reason)

    def accept_quote(self, cmd: c.AcceptQuote, d: Decision) -> None:
        """R5: the resident accepted exactly the quoted amount."""
        self._begin("accept_quote", cmd.step, d)
        if cmd.amount != self.quoted_amount:
            self._refuse_rule(
                cmd.step, f"the resident must accept the quoted amount {self.quoted_amount}"
            )
        self._emit(self.QuoteAccepted, d, amount=cmd.amount)

    def decline_quote(self, cmd: c.DeclineQuote, d: Decision) -> None:
        """R5b: the resident declined the quote; the ticket closes."""
        self._begin("decline_quote", cmd.step, d)
        self._emit(self.QuoteDeclined, d, reason=cmd.reason)

    # ------------------------------------------------------------------ decide: R2, R6–R11

    def dispatch(self, cmd: c.Dispatch, d: Decision) -> None:
        """R2/R11/R14/R23: tells an acceptor to go and pins down the arrival time."""
        source = self.state
        self._begin("dispatch", cmd.step, d)
        if source is RepairState.LOGGED and not self.in_price_list:
            self._refuse_rule(
                cmd.step, "the item is outside the price list; start_cost_review first"
            )
        acceptor = self._member(cmd.step, cmd.acceptor, "acceptor", d)
        self._dispatch_to(
            acceptor, source, cmd.step, d, promised_arrival=cmd.promised_arrival,
            channel=cmd.channel, owner_contacted_beforehand=cmd.owner_contacted_beforehand,
        )  # fmt: skip

    def refuse(self, cmd: c.Refuse, d: Decision) -> None:
        """R6: the acceptor refuses with a reason; the project manager cannot refuse."""
        self._begin("refuse", cmd.step, d)
        if self.top_of_chain:
            self._refuse_rule(
                cmd.step,
                "the project manager is the top of the chain; "
                "confirm_no_staff if truly nobody can be sent",
            )
        self._emit(
            self.Refused, d, reason=cmd.reason, level=self.level,
            refusal_count=self.refusal_count + 1,
        )  # fmt: skip

    def escalate(self, cmd: c.Escalate, d: Decision) -> None:
        """R6: dispatches to the refuser's superior, one level up."""
        self._begin("escalate", cmd.step, d)
        refuser = self._acceptor_in_organisation(cmd.step, d)
        superior = d.organisation.superior_of(refuser.id)
        if superior is None:
            self._refuse_rule(cmd.step, f"{refuser.id} has no superior to escalate to")
        self._escalate_to(
            superior, cmd.step, d, passed_over=refuser, promised_arrival=cmd.promised_arrival,
            channel=cmd.channel, overdue=None,
        )  # fmt: skip

    def escalate_overdue_dispatch(self, cmd: c.EscalateOverdueDispatch, d: Decision) -> None:
        """R6 with T06/T07: nobody arrived by the arrival goal's deadline; climbs one level.

        The SLA worker's step, so a no-op, not an error, once it no longer applies: the
        ticket is not dispatched (the acceptor arrived, say), the goal is not running with
        this due time (it restarted, or was met), the acceptor took the job only at or after
        the deadline (a repeat, after the escalation this command made), or the acceptor is
        the top of the chain (the breach already told the goal's roles).
        """
        if not self._worker_step("escalate_overdue_dispatch", cmd.step, d):
            return
        if self._running_goal(cmd.goal, cmd.due_at) is None:
            return
        if self.accepted_at is not None and self.accepted_at >= minute_of(cmd.due_at):
            return  # the deadline was not this acceptor's to miss
        self._not_before_last_step(cmd.step, d)
        if d.at < cmd.due_at:
            self._refuse_rule(cmd.step, f"{cmd.goal} is not due until {cmd.due_at.isoformat()}")
        late = self._acceptor_in_organisation(cmd.step, d)
        superior = d.organisation.superior_of(late.id)
        if superior is None:
            return
        self._escalate_to(
            superior, cmd.step, d, passed_over=late, promised_arrival=cmd.promised_arrival,
            channel=cmd.channel, overdue=(cmd.goal, cmd.due_at),
        )  # fmt: skip

    def confirm_no_staff(self, cmd: c.ConfirmNoStaff, d: Decision) -> None:
        """R7: the project manager, once the chain reached them, confirms nobody can go."""
        self._begin("confirm_no_staff", cmd.step, d)
        if not self.top_of_chain or self.acceptor != d.actor.id:
            self._refuse_rule(
                cmd.step,
                "only the project manager the chain has reached may confirm; "
                f"the ticket is with {self.acceptor} at level {self.level}",
            )
        self._emit(self.NoStaffConfirmed, d, project_manager=d.actor.id, finding=cmd.finding)

    def record_owner_complaint(self, cmd: c.RecordOwnerComplaint, d: Decision) -> None:
        """R8: the owner complained; other staff are sent to talk (通知其它人员前往沟通)."""
        self._begin("record_owner_complaint", cmd.step, d)
        sent = self._member(cmd.step, cmd.sent_staff, "sent_staff", d)
        self._emit(self.OwnerComplained, d, complaint=cmd.complaint, sent_staff=sent.id)

    def reschedule(self, cmd: c.Reschedule, d: Decision) -> None:
        """R9/R10: books the new time; same-day or after the notifier's shift end (T13)."""
        self._begin("reschedule", cmd.step, d)
        if cmd.new_time <= d.at:
            self._refuse_rule(cmd.step, "the new time must be later than now")
        booked = self._member(
            cmd.step, cmd.appointment_with or self.first_acceptor or "", "appointment_with", d
        )
        shift_end = self._shift_end(d)
        # "在当天以内" needs both: the same calendar day, and within the notifier's shift.
        # Where either fails, the after-shift branch (and its software entry) applies (§8.12).
        after_shift = d.local_date(cmd.new_time) != d.local_date(d.at) or (
            shift_end is not None and cmd.new_time > shift_end
        )
        kind = RescheduleKind.AFTER_SHIFT if after_shift else RescheduleKind.SAME_DAY
        self._emit(
            self.Rescheduled,
            d,
            new_time=cmd.new_time,
            kind=kind.value,
            owner_agreed=cmd.owner_agreed,
            appointment_with=booked.id,
            redispatch_due_at=max(d.at, cmd.new_time - d.rules.redispatch_lead),
            notifier_shift_end=shift_end,
            conspicuously_marked=True,
            entered_in_scheduling_system=after_shift,
        )

    def redispatch_for_visit(self, cmd: c.RedispatchForVisit, d: Decision) -> None:
        """R11/T14: at the re-dispatch goal's deadline, dispatches to the person booked.

        The SLA worker's step, so a no-op once it no longer applies: the ticket is not
        rescheduled any more (someone dispatched by hand), or the goal is not running with
        this due time. It dispatches as ``dispatch`` does from ``RESCHEDULED``, to the person
        the new time was booked with (``Rescheduled.appointment_with``; the chain's acceptor
        is cleared when the project manager confirms that nobody can be sent).
        """
        source = self.state
        if not self._worker_step("redispatch_for_visit", cmd.step, d):
            return
        if self._running_goal(cmd.goal, cmd.due_at) is None:
            return
        self._not_before_last_step(cmd.step, d)
        if d.at < cmd.due_at:
            self._refuse_rule(cmd.step, f"{cmd.goal} is not due until {cmd.due_at.isoformat()}")
        booked = self.appointment_with
        if booked is None:
            self._refuse_rule(
                cmd.step, "nobody is booked for the rescheduled visit; a person must dispatch"
            )
        acceptor = d.organisation.person(booked)
        if acceptor is None:
            self._refuse_rule(
                cmd.step, f"{booked}, booked for the rescheduled visit, is no longer in the "
                "organisation; a person must dispatch to someone else",
            )  # fmt: skip
        self._dispatch_to(
            acceptor, source, cmd.step, d, promised_arrival=None, channel=ContactChannel.PHONE,
            owner_contacted_beforehand=False,
        )  # fmt: skip

    # ------------------------------------------------------------------ decide: R12–R17

    def report_arrival(self, cmd: c.ReportArrival, d: Decision) -> None:
        """R12: arrival, with the on-time check against the promised time."""
        self._begin("report_arrival", cmd.step, d)
        arrived = minute_of(d.at)  # the promise is to the minute, and so is the check (T01)
        promised = self.promised_arrival or arrived
        self._emit(
            self.ArrivalReported, d, channel=cmd.channel.value, on_time=arrived <= promised,
            minutes_late=as_minutes(max(timedelta(0), arrived - promised)),
        )  # fmt: skip

    def check_arrival(self, cmd: c.CheckArrival, d: Decision) -> None:
        """R12a: the reporter's word on punctuality, and whether it disputes the acceptor's."""
        self._begin("check_arrival", cmd.step, d)
        self._emit(
            self.ArrivalChecked, d, reporter_says_on_time=cmd.reporter_says_on_time,
            channel=cmd.channel.value,
            disputed=cmd.reporter_says_on_time != bool(self.arrived_on_time),
        )  # fmt: skip

    def knock_unanswered(self, cmd: c.KnockUnanswered, d: Decision) -> None:
        """R13: a knock nobody answered; later knocks wait the door-knock interval (T16)."""
        self._begin("knock_unanswered", cmd.step, d)
        if self.knocks >= d.rules.door_knock_attempts:
            self._refuse_rule(cmd.step, f"already knocked {self.knocks} times; leave_for_revisit")
        if self.last_knock_at is not None and d.at < self.last_knock_at + d.rules.door_knock_wait:
            wait = as_minutes(d.rules.door_knock_wait)
            self._refuse_rule(cmd.step, f"wait {wait} minutes after the last knock (等候五分钟)")
        self._emit(self.KnockUnanswered, d, attempt=self.knocks + 1)

    def door_answered(self, cmd: c.DoorAnswered, d: Decision) -> None:
        """R13: someone opened after all."""
        self._begin("door_answered", cmd.step, d)
        self._emit(self.DoorAnswered, d, after_attempts=self.knocks)

    def leave_for_revisit(self, cmd: c.LeaveForRevisit, d: Decision) -> None:
        """R13: after the last unanswered knock, leave and tell the supervisor and the desk."""
        self._begin("leave_for_revisit", cmd.step, d)
        if self.knocks < d.rules.door_knock_attempts:
            self._refuse_rule(
                cmd.step,
                f"knock {d.rules.door_knock_attempts} times, {as_minutes(d.rules.door_knock_wait)}"
                f" minutes apart, before leaving (knocked {self.knocks})",
            )
        supervisor = self._member(cmd.step, cmd.informed_supervisor, "informed_supervisor", d)
        desk = self._member(cmd.step, cmd.informed_customer_service, "informed_customer_service", d)
        self._require_role(cmd.step, supervisor, Role.ENGINEERING_SUPERVISOR)
        self._require_role(cmd.step, desk, Role.CUSTOMER_SERVICE, Role.NOTIFIER)
        self._emit(
            self.LeftForRevisit, d, attempts=self.knocks, informed_supervisor=supervisor.id,
            informed_customer_service=desk.id,
        )  # fmt: skip

    def amend_item(self, cmd: c.AmendItem, d: Decision) -> None:
        """R15: writes the actual item and charge standard found on site."""
        self._begin("amend_item", cmd.step, d)
        self._emit(
            self.ItemAmended, d, actual_item=cmd.actual_item, charge_standard=cmd.charge_standard
        )

    def start_repair(self, cmd: c.StartRepair, d: Decision) -> None:
        """R16: the resident agreed to the charge standard; work starts."""
        self._begin("start_repair", cmd.step, d)
        self._emit(self.RepairStarted, d, customer_agreed_to_charge=cmd.customer_agreed_to_charge)

    def decline_on_site(self, cmd: c.DeclineOnSite, d: Decision) -> None:
        """R17: the resident declined; technician and supervisor co-sign the reason."""
        self._begin("decline_on_site", cmd.step, d)
        supervisor = self._member(cmd.step, cmd.supervisor, "supervisor", d)
        self._require_role(cmd.step, supervisor, Role.ENGINEERING_SUPERVISOR)
        self._emit(
            self.DeclinedOnSite,
            d,
            reason=cmd.reason,
            supervisor=supervisor.id,
            technician_signature_ref=cmd.technician_signature_ref,
            supervisor_signature_ref=cmd.supervisor_signature_ref,
            reminded_to_report_again=cmd.reminded_to_report_again,
        )

    # ------------------------------------------------------------------ decide: R18–R24

    def complete(self, cmd: c.Complete, d: Decision) -> None:
        """R18: done, signed by the customer; a fee on paid work becomes due."""
        self._begin("complete", cmd.step, d)
        if cmd.fee > 0 and not self.paid:
            self._refuse_rule(cmd.step, "a repair under warranty (保修期内) is free; fee must be 0")
        if self.fee_status in (FeeStatus.DUE, FeeStatus.HANDED_OVER) and cmd.fee > 0:
            self._refuse_rule(cmd.step, "the previous fee is not settled yet; settle_fee first")
        charged = cmd.fee > 0
        self._emit(
            self.Completed, d, outcome=cmd.outcome,
            customer_signature_ref=cmd.customer_signature_ref, fee=cmd.fee,
            fee_outstanding=cmd.fee if charged else self.fee_amount,
            fee_status=FeeStatus.DUE.value if charged else self.fee_status,
            waste_removed=cmd.waste_removed,
        )  # fmt: skip

    def submit(self, cmd: c.Submit, d: Decision) -> None:
        """R19: hands the signed order to an engineering supervisor (交单)."""
        self._begin("submit", cmd.step, d)
        supervisor = self._member(cmd.step, cmd.supervisor, "supervisor", d)
        self._require_role(cmd.step, supervisor, Role.ENGINEERING_SUPERVISOR)
        if supervisor.id == self.completed_by:
            self._refuse_rule(
                cmd.step, f"{supervisor.id} did the repair; hand the order to another supervisor"
            )
        self._emit(self.Submitted, d, supervisor=supervisor.id)

    def verify(self, cmd: c.Verify, d: Decision) -> None:
        """R20, and R21 unless a leak test must come first: verified, callback window opens."""
        self._begin("verify", cmd.step, d)
        if d.actor.id != self.submitted_to:
            self._refuse_rule(
                cmd.step, f"the order was handed to {self.submitted_to}, who must verify it"
            )
        self._emit(
            self.Verified, d, supervisor_signature_ref=cmd.supervisor_signature_ref,
            result_notified_to=list(cmd.result_notified_to),
        )  # fmt: skip
        if self.category != RepairCategory.LEAK:
            self._open_callback(d, leak_test_result=None)

    def record_leak_test(self, cmd: c.RecordLeakTest, d: Decision) -> None:
        """R21 for leaks: the leak test (试漏) starts the callback window (T29)."""
        # Only a leak repair waits in VERIFIED: verify opens every other callback at once.
        self._begin("open_callback", cmd.step, d)
        self._open_callback(d, leak_test_result=cmd.result)

    def raise_callback(self, cmd: c.RaiseCallback, d: Decision) -> None:
        """R22: raises the callback (回访) to customer service as its window opens.

        The SLA worker's step, so a no-op once it no longer applies: the callback was made,
        the window is another one (after a rework), or this window was raised already.
        """
        if not self._worker_step("raise_callback", cmd.step, d):
            return
        if self.callback_due_at != cmd.due_at or self.callback_raised_for == cmd.due_at:
            return
        self._not_before_last_step(cmd.step, d)
        self._emit(self.CallbackRaised, d, due_at=cmd.due_at, category=self.category)

    def record_callback(self, cmd: c.RecordCallback, d: Decision) -> None:
        """R22/R23: satisfied, or not, which sends the ticket to rework (整改)."""
        trigger = "callback_satisfied" if cmd.satisfied else "callback_unsatisfied"
        self._begin(trigger, cmd.step, d)
        due = self.callback_due_at
        self._emit(
            self.CalledBack,
            d,
            channel=cmd.channel.value,
            satisfied=cmd.satisfied,
            rating=cmd.rating,
            remarks=cmd.remarks,
            problem=cmd.problem,
            within_window=due is None or d.at <= due,
            rework_count=self.rework_count + (0 if cmd.satisfied else 1),
        )

    def hand_over_fee(self, cmd: c.HandOverFee, d: Decision) -> None:
        """R24: the technician hands the fee charged to finance."""
        self._begin("hand_over_fee", cmd.step, d)
        if self.fee_status != FeeStatus.DUE:
            self._refuse_rule(cmd.step, f"no fee is due (fee status {self.fee_status})")
        if cmd.amount != self.fee_amount:
            self._refuse_rule(cmd.step, f"the fee charged was {self.fee_amount}")
        self._emit(self.FeeHandedOver, d, amount=cmd.amount)

    def settle_fee(self, cmd: c.SettleFee, d: Decision) -> None:
        """R24: finance books the fee; it must match the fee charged (款项无误,与收据相符)."""
        self._begin("settle_fee", cmd.step, d)
        if self.fee_status != FeeStatus.HANDED_OVER:
            self._refuse_rule(
                cmd.step, f"the technician has not handed over a fee (fee status {self.fee_status})"
            )
        if cmd.amount != self.fee_amount:
            self._refuse_rule(cmd.step, f"amount must match the fee charged, {self.fee_amount}")
        completed = self.completed_at or d.at
        self._emit(
            self.FeeSettled, d, amount=cmd.amount, receipt_no=cmd.receipt_no,
            same_day=d.local_date(d.at) == d.local_date(completed),
        )  # fmt: skip

    def close(self, cmd: c.Close, d: Decision) -> None:
        """Closes a ticket after a satisfied callback, once any fee is settled."""
        self._begin("close", cmd.step, d)
        if d.rules.close_requires_fee_settlement and self.fee_status in (
            FeeStatus.DUE,
            FeeStatus.HANDED_OVER,
        ):
            self._refuse_rule(cmd.step, f"the fee of {self.fee_amount} is not settled yet")
        self._emit(self.Closed, d, remarks=cmd.remarks)

    # ------------------------------------------------------------------ helpers

    def _begin(self, trigger: str, command: str, d: Decision) -> None:
        """Checks the lifecycle table, who acts, and that time does not run backwards."""
        check_step(trigger, self.state)
        authorise(command, d.actor, self.acceptor)
        self._not_before_last_step(command, d)

    def _worker_step(self, trigger: str, command: str, d: Decision) -> bool:
        """Checks who acts; then whether the lifecycle table allows the step from here.

        For the steps the SLA worker sends at a deadline: ``False`` means the ticket has left
        the state the step leaves from, and the command is a no-op. Whoever sends it must
        still be allowed to, whatever the state. The caller checks the time once the step
        applies (``_not_before_last_step``), as ``_begin`` does.
        """
        authorise(command, d.actor, self.acceptor)
        return allows(trigger, self.state)

    def _running_goal(self, goal: str, due_at: datetime) -> GoalRecord | None:
        """The goal's record if its clock is running with this due time (not paused)."""
        record = self._open_goal(goal, due_at)
        if record is None or record["status"] != GoalStatus.RUNNING:
            return None
        return record

    def _acceptor_in_organisation(self, command: str, d: Decision) -> Person:
        """The person the ticket is dispatched to, or a :class:`RuleViolation` if they left."""
        acceptor = self.acceptor or ""
        person = d.organisation.person(acceptor)
        if person is None:
            self._refuse_rule(command, f"{acceptor} is no longer in the organisation")
        return person

    def _dispatch_to(
        self,
        acceptor: Person,
        source: RepairState,
        command: str,
        d: Decision,
        *,
        promised_arrival: datetime | None,
        channel: ContactChannel,
        owner_contacted_beforehand: bool,
    ) -> None:
        """Records a dispatch from ``source``: the round, its appointment and the promise."""
        accepted_at = minute_of(d.at)
        appointment = self._appointment_served_from(source)
        self._emit(
            self.Dispatched,
            d,
            appointment=appointment,
            acceptor=acceptor.id,
            acceptor_name=acceptor.name,
            accepted_at=accepted_at,
            promised_arrival=self._promised_arrival(
                command, promised_arrival, accepted_at, appointment, d
            ),
            channel=channel.value,
            round=_ROUND_OF_SOURCE[source],
            dispatch_count=self.dispatch_count + 1,
            top_of_chain=acceptor.has(Role.PROJECT_MANAGER),
            owner_contacted_beforehand=owner_contacted_beforehand,
        )

    def _escalate_to(
        self,
        superior: Person,
        command: str,
        d: Decision,
        *,
        passed_over: Person,
        promised_arrival: datetime | None,
        channel: ContactChannel,
        overdue: tuple[str, datetime] | None,
    ) -> None:
        """Records the dispatch one level up; ``overdue`` is the missed goal and deadline."""
        accepted_at = minute_of(d.at)
        goal, due = overdue if overdue is not None else (None, None)
        cause = EscalationCause.REFUSED if overdue is None else EscalationCause.OVERDUE
        self._emit(
            self.Escalated,
            d,
            cause=cause.value,
            refused_by=passed_over.id,
            acceptor=superior.id,
            acceptor_name=superior.name,
            level=self.level + 1,
            accepted_at=accepted_at,
            promised_arrival=self._promised_arrival(
                command, promised_arrival, accepted_at, self.round_appointment, d
            ),
            channel=channel.value,
            top_of_chain=superior.has(Role.PROJECT_MANAGER),
            overdue_goal=goal,
            overdue_due_at=due,
        )

    def _open_callback(self, d: Decision, *, leak_test_result: str | None) -> None:
        check_step("open_callback", self.state)
        category = RepairCategory(self.category)
        self._emit(
            self.CallbackOpened, d, starts_at=d.at, due_at=d.at + d.rules.callback_window(category),
            category=category.value, leak_test_result=leak_test_result,
        )  # fmt: skip

    def _appointment_served_from(self, source: RepairState) -> datetime | None:
        """The agreed time a dispatch from ``source`` serves, if any.

        A re-dispatch serves the rescheduled time; the first dispatch (also after a quote)
        serves the resident's preferred time; a revisit or a rework has none of its own.
        """
        if source is RepairState.RESCHEDULED:
            return self.rescheduled_to
        if source in (RepairState.LOGGED, RepairState.QUOTE_ACCEPTED):
            return self.appointment
        return None

    def _promised_arrival(
        self,
        command: str,
        given: datetime | None,
        accepted_at: datetime,
        appointment: datetime | None,
        d: Decision,
    ) -> datetime:
        """The promised arrival: as given, or T07 before an appointment, or T06 after 接单."""
        if given is not None:
            if given < accepted_at:
                self._refuse_rule(command, "the promised arrival cannot be before the dispatch")
            return given
        if appointment is not None and appointment - d.rules.appointment_lead > accepted_at:
            return appointment - d.rules.appointment_lead
        return accepted_at + d.rules.asap_arrival

    def _shift_end(self, d: Decision) -> datetime | None:
        """The end of the acting notifier's current (or just finished) shift (T13).

        A day shift (start before end) ends today, even if that is already past: a notifier
        working late is after her shift. A night shift (start after end) that began this
        evening ends tomorrow morning. Without a shift start, the next end is taken.
        """
        person = d.actor
        if person.shift_end is None:
            return None
        local = d.at.astimezone(d.zone)
        today_end = datetime.combine(local.date(), person.shift_end, tzinfo=d.zone)
        start = person.shift_start
        if start is None:
            return today_end if today_end > local else today_end + timedelta(days=1)
        if start < person.shift_end or local.time() < start:
            return today_end
        return today_end + timedelta(days=1)

    def _require_role(self, command: str, person: Person, *roles: Role) -> None:
        if not any(person.has(role) for role in roles):
            needed = " or ".join(role.value for role in roles)
            self._refuse_rule(command, f"{person.id} is not a {needed}")

    def goal_facts(self, event_name: str) -> dict[str, object]:
        """An escalation's goals see the appointment of the round it serves."""
        if event_name == "Escalated":
            return {"appointment": self.round_appointment}
        return {}
