"""Repair commands: one immutable, validated object per step.

Every command names the acting person (``actor``), may carry the time it happened (``at``;
otherwise the desk's clock stamps it) and may carry a caller-chosen ``command_id``; a retried
command with the same id is applied once and returns the same result. Malformed data raise
:class:`~propdesk.domain.errors.InvalidCommand` when the command is built, so nothing reaches
the desk, let alone the store.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field, model_validator

from propdesk.domain.validated import Validated
from propdesk.domain.values import (
    Channel,
    ContactChannel,
    Moment,
    Money,
    PersonId,
    Phone,
    RepairCategory,
    RepairScope,
    ShortText,
    Text,
)


class Command(Validated):
    """Fields every command carries."""

    step: ClassVar[str]
    """The command's name in the lifecycle and authority tables."""

    actor: PersonId
    """The acting person's id in the estate's organisation."""
    at: Moment | None = None
    """When it happened; ``None`` lets the desk's injected clock decide."""
    command_id: ShortText | None = None
    """Caller-chosen idempotency key; a retry with the same id is applied once."""


class TicketCommand(Command):
    """A command on an existing ticket."""

    ticket_id: UUID


class OwnerContact(Validated):
    """The reporter's name and phone: personal data (seed-spec §7.1).

    Stored only in the ``personal_data`` field of the ``Logged`` event, so that it can be
    encrypted or redacted there and nowhere else.
    """

    name: ShortText
    phone: Phone


class LogRepair(Command):
    """R1: record a repair request (接到业户报事报修要求)."""

    step: ClassVar[str] = "log_repair"

    ticket_id: UUID | None = None
    """Chosen by the caller, or derived from ``command_id``, or new."""
    estate: ShortText | None = None
    """The estate; may be left out when the desk serves one estate."""
    channel: Channel
    scope: RepairScope = RepairScope.HOUSEHOLD
    category: RepairCategory = RepairCategory.OTHER
    unit: ShortText
    """Where: the unit (房号) or the public location."""
    description: Text
    """报修内容."""
    owner: OwnerContact
    in_price_list: bool = True
    """Whether the item is in the paid-repair price list (C1/C2).

    ``False`` means a cost review first (C3)."""
    price_item: ShortText | None = None
    """The price-list item, when there is one."""
    paid: bool = True
    """Paid work (有偿) or free under warranty (保修期内); picks the register (S1:L396)."""
    appointment: Moment | None = None
    """The resident's preferred repair time (预约维修时间); ``None`` means as soon as possible."""
    received_at: Moment | None = None
    """When the request reached the desk, if it is recorded later; starts T03's 2 minutes."""


class StartCostReview(TicketCommand):
    """R3: the engineering supervisor takes an item outside the price list (接单)."""

    step: ClassVar[str] = "start_cost_review"


class Quote(TicketCommand):
    """R4: the review found the repair feasible at this cost; the resident is told."""

    step: ClassVar[str] = "quote"

    amount: Money
    feasibility: Text
    """What the supervisor found (可行性)."""


class DeclareNotRepairable(TicketCommand):
    """R5b: the review found the item cannot be repaired."""

    step: ClassVar[str] = "declare_not_repairable"

    reason: Text


class AcceptQuote(TicketCommand):
    """R5: the resident accepted the cost and agreed to the repair."""

    step: ClassVar[str] = "accept_quote"

    amount: Money
    """The amount the resident accepted; must equal the quote."""


class DeclineQuote(TicketCommand):
    """R5b: the resident declined the quote; the ticket closes."""

    step: ClassVar[str] = "decline_quote"

    reason: Text


class Dispatch(TicketCommand):
    """R2/R11/R14/R23: tell an acceptor to go (口头派工); also re-dispatch, revisit and rework."""

    step: ClassVar[str] = "dispatch"

    acceptor: PersonId
    promised_arrival: Moment | None = None
    """落实到达时间; ``None`` applies the rule: 10 minutes, or 5 before an appointment."""
    channel: ContactChannel = ContactChannel.PHONE
    owner_contacted_beforehand: bool = False
    """For a revisit: the owner was called first to avoid a wasted trip (quality 10)."""


class Refuse(TicketCommand):
    """R6: the acceptor cannot go, and says why (明确不能前往的理由)."""

    step: ClassVar[str] = "refuse"

    reason: Text


class Escalate(TicketCommand):
    """R6: the notifier dispatches to the refuser's superior, one level up (逐级派工)."""

    step: ClassVar[str] = "escalate"

    promised_arrival: Moment | None = None
    channel: ContactChannel = ContactChannel.PHONE


class EscalateOverdueDispatch(TicketCommand):
    """R6 with T06/T07: nobody arrived in time; the dispatch climbs one level (逐级派工).

    The SLA worker sends it at the deadline of an arrival goal (``arrive_asap``, T06, S0:L137
    ①; ``arrive_before_appointment``, T07, S0:L137 ②): the acceptor did not arrive, so the
    repair goes to the acceptor's superior, as after a refusal. Sent again, or after the
    ticket moved on (the acceptor arrived, the goal restarted, the chain's top was reached),
    it is a no-op.
    """

    step: ClassVar[str] = "escalate_overdue_dispatch"

    goal: ShortText
    """The arrival goal whose deadline passed."""
    due_at: Moment
    """The deadline acted on; if the goal's deadline is another one now, this is stale."""
    promised_arrival: Moment | None = None
    """The superior's promised arrival; ``None`` applies the rule, as for ``escalate``."""
    channel: ContactChannel = ContactChannel.PHONE


class ConfirmNoStaff(TicketCommand):
    """R7: the project manager agrees that truly nobody can be sent (确无人员可派出)."""

    step: ClassVar[str] = "confirm_no_staff"

    finding: Text = "确无人员可派出"


class RecordOwnerComplaint(TicketCommand):
    """R8: the owner complained during the negotiation; someone is sent to talk."""

    step: ClassVar[str] = "record_owner_complaint"

    complaint: Text
    sent_staff: PersonId


class Reschedule(TicketCommand):
    """R9/R10: the owner agreed a new time (另约时间)."""

    step: ClassVar[str] = "reschedule"

    new_time: Moment
    owner_agreed: Literal[True]
    """The owner's agreement is what makes a reschedule; without it there is none."""
    appointment_with: PersonId | None = None
    """Who is booked (与受理人员预约); defaults to the first acceptor."""


class RedispatchForVisit(TicketCommand):
    """R11/T14: re-dispatch 30 minutes before the rescheduled visit (S0:L15 §4.1.2.7).

    The SLA worker sends it at the deadline of the ``redispatch_before_visit`` goal
    (届时提前30分钟重新口头派工): the repair is dispatched to the person booked for the new
    time, as ``dispatch`` would. Sent again, or after someone dispatched by hand, it is a no-op.
    """

    step: ClassVar[str] = "redispatch_for_visit"

    goal: ShortText
    """The re-dispatch goal whose deadline came (``redispatch_before_visit``)."""
    due_at: Moment
    """The deadline acted on; if the goal's deadline is another one now, this is stale."""


class ReportArrival(TicketCommand):
    """R12: the acceptor reports back on arrival (到达后反馈)."""

    step: ClassVar[str] = "report_arrival"

    channel: ContactChannel = ContactChannel.INTERCOM


class CheckArrival(TicketCommand):
    """R12a: the notifier asks the reporter whether the acceptor came on time."""

    step: ClassVar[str] = "check_arrival"

    reporter_says_on_time: bool
    channel: ContactChannel = ContactChannel.PHONE


class KnockUnanswered(TicketCommand):
    """R13: knocked three times (三下一组); nobody answered."""

    step: ClassVar[str] = "knock_unanswered"


class DoorAnswered(TicketCommand):
    """R13: someone answered a later knock; the visit goes on."""

    step: ClassVar[str] = "door_answered"


class LeaveForRevisit(TicketCommand):
    """R13: nobody home after the last knock; the technician leaves and tells both desks."""

    step: ClassVar[str] = "leave_for_revisit"

    informed_supervisor: PersonId
    informed_customer_service: PersonId


class AmendItem(TicketCommand):
    """R15: what is found on site differs from the report (如实填写实际的维修项目及收费标准)."""

    step: ClassVar[str] = "amend_item"

    actual_item: ShortText
    charge_standard: Money


class StartRepair(TicketCommand):
    """R16: the charge standard was shown and the resident agreed; work starts."""

    step: ClassVar[str] = "start_repair"

    customer_agreed_to_charge: Literal[True]


class DeclineOnSite(TicketCommand):
    """R17: the resident does not agree to the repair; technician and supervisor co-sign."""

    step: ClassVar[str] = "decline_on_site"

    reason: Text
    supervisor: PersonId
    technician_signature_ref: ShortText
    supervisor_signature_ref: ShortText
    reminded_to_report_again: bool = True


class Complete(TicketCommand):
    """R18: the repair is done and the customer signed the 维修通知单 / 派工单."""

    step: ClassVar[str] = "complete"

    outcome: Text
    customer_signature_ref: ShortText
    """A reference to the captured signature (an image id, say), not the signature itself."""
    fee: Money = Decimal(0)
    """What the customer was charged (0 for free work); settled through finance (R24)."""
    waste_removed: bool = True


class Submit(TicketCommand):
    """R19: the technician hands the signed order to the supervisor (交单)."""

    step: ClassVar[str] = "submit"

    supervisor: PersonId


class Verify(TicketCommand):
    """R20: the supervisor reviews and signs; the result notice goes out (交单通报)."""

    step: ClassVar[str] = "verify"

    supervisor_signature_ref: ShortText
    result_notified_to: tuple[ShortText, ...] = Field(min_length=1)


class RecordLeakTest(TicketCommand):
    """R21: for a leak, the leak test (试漏) starts the three-day callback window."""

    step: ClassVar[str] = "record_leak_test"

    result: Text = "no leak"


class RaiseCallback(TicketCommand):
    """R22 (T28–T30): the callback (回访) is raised to customer service as its window opens.

    The SLA worker sends it when ``CallbackOpened`` starts the window (S1:L400, L425):
    2 days for a safety facility, 3 after the leak test, 2 for any other repair. Sent again
    for the same window, or once the callback is made, it is a no-op.
    """

    step: ClassVar[str] = "raise_callback"

    due_at: Moment
    """The callback window's due time (``CallbackOpened.due_at``); another one is stale."""


class RecordCallback(TicketCommand):
    """R22/R23: the callback (回访) and its result."""

    step: ClassVar[str] = "record_callback"

    channel: ContactChannel = ContactChannel.PHONE
    satisfied: bool
    rating: int | None = Field(default=None, ge=1, le=5)
    """客户满意度评价, 1 (very unhappy) to 5 (very happy), when the customer gave one."""
    remarks: Text | None = None
    problem: Text | None = None
    """What is wrong; required when the customer is not satisfied."""

    @model_validator(mode="after")
    def _unsatisfied_needs_problem(self) -> RecordCallback:
        if not self.satisfied and self.problem is None:
            msg = "an unsatisfied callback must say what the problem is"
            raise ValueError(msg)
        return self


class HandOverFee(TicketCommand):
    """R24: the technician hands the collected fee to finance."""

    step: ClassVar[str] = "hand_over_fee"

    amount: Money


class SettleFee(TicketCommand):
    """R24: finance books the fee and issues the receipt (款项无误,与收据相符)."""

    step: ClassVar[str] = "settle_fee"

    amount: Money
    receipt_no: ShortText


class Close(TicketCommand):
    """Close a ticket whose callback was satisfied (关闭)."""

    step: ClassVar[str] = "close"

    remarks: Text | None = None


REPAIR_COMMANDS: tuple[type[Command], ...] = (
    LogRepair, StartCostReview, Quote, DeclareNotRepairable, AcceptQuote, DeclineQuote,
    Dispatch, Refuse, Escalate, EscalateOverdueDispatch, ConfirmNoStaff, RecordOwnerComplaint,
    Reschedule, RedispatchForVisit, ReportArrival, CheckArrival, KnockUnanswered, DoorAnswered,
    LeaveForRevisit, AmendItem, StartRepair, DeclineOnSite, Complete, Submit, Verify,
    RecordLeakTest, RaiseCallback, RecordCallback, HandOverFee, SettleFee, Close,
)  # fmt: skip
"""Every repair command, in lifecycle order."""

WORKER_COMMANDS: tuple[type[Command], ...] = (
    EscalateOverdueDispatch, RedispatchForVisit, RaiseCallback,
)  # fmt: skip
"""The repair commands the SLA worker sends at a deadline: a ticket that has moved past the
deadline (another state, another due time, already done) ignores them instead of refusing."""


# ---------------------------------------------------------------------- any ticket: the SLA clock


class ChangePolicy(TicketCommand):
    """Pin the ticket to another SLA policy version, with the reason (an explicit change)."""

    step: ClassVar[str] = "change_policy"

    policy: ShortText
    version: int = Field(ge=1)
    reason: Text


class RecordGoalWarning(TicketCommand):
    """Record that a running goal's warning threshold passed; a repeat is a no-op."""

    step: ClassVar[str] = "record_goal_warning"

    goal: ShortText
    due_at: Moment
    """The deadline the warning acts on; if the goal's deadline has changed since (a restart,
    a pause), the warning is stale and a no-op."""


class RecordGoalBreach(TicketCommand):
    """Record that a running goal's due time passed; a repeat is a no-op."""

    step: ClassVar[str] = "record_goal_breach"

    goal: ShortText
    due_at: Moment
    """The deadline the breach acts on; if the goal's deadline has changed since (a restart,
    a pause), the breach is stale and a no-op."""
