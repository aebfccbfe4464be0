"""What the desk answers: command results, the ticket view, and the audit history.

All are pydantic models, so other services can serialise them as they are.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from propdesk.application.goal_view import GoalView, goal_views
from propdesk.domain.complaint_lifecycle import ComplaintState
from propdesk.domain.errors import InvalidCommand
from propdesk.domain.lifecycle import RepairState, allowed_commands
from propdesk.domain.values import FeeStatus

if TYPE_CHECKING:
    from propdesk.domain.repair import Repair
    from propdesk.domain.ticket import Ticket

REDACTED = "***"
_COMMON_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor", "command_id"}
)


class CommandResult(BaseModel):
    """What a command did. A retried command returns an equal result with ``replayed`` set."""

    model_config = ConfigDict(frozen=True)

    ticket_id: UUID
    command_id: str
    step: str
    kind: Literal["repair", "complaint"] = "repair"
    """Which kind of ticket the command was for."""
    version: int
    """The ticket's version after the command."""
    state: RepairState | ComplaintState
    events: tuple[str, ...]
    """The names of the events the command stored, in order."""
    replayed: bool = False
    """True when the command id had been applied before and nothing new was stored."""


class OwnerView(BaseModel):
    """The reporter's contact: personal data, shown only where the caller asks for it."""

    model_config = ConfigDict(frozen=True)

    name: str
    phone: str


class RepairView(BaseModel):
    """A repair ticket as it stands (or stood, for :meth:`Desk.view_at`)."""

    model_config = ConfigDict(frozen=True)

    ticket_id: UUID
    version: int
    state: RepairState
    allowed_steps: tuple[str, ...]
    estate: str
    channel: str
    scope: str
    category: str
    unit: str
    description: str
    owner: OwnerView
    in_price_list: bool
    price_item: str | None
    paid: bool
    appointment: datetime | None
    first_responder: str
    logged_at: datetime
    updated_at: datetime
    acceptor: str | None
    acceptor_name: str | None
    escalation_level: int
    at_top_of_chain: bool
    accepted_at: datetime | None
    promised_arrival: datetime | None
    dispatch_round: str | None
    dispatch_count: int
    refusal_count: int
    quoted_amount: Decimal | None
    rescheduled_to: datetime | None
    reschedule_kind: str | None
    redispatch_due_at: datetime | None
    appointment_with: str | None
    arrived_at: datetime | None
    arrived_on_time: bool | None
    arrival_disputed: bool
    door_knocks: int
    actual_item: str | None
    charge_standard: Decimal | None
    completed_at: datetime | None
    customer_signature_ref: str | None
    fee_amount: Decimal
    fee_status: FeeStatus
    receipt_no: str | None
    verified_by: str | None
    callback_due_at: datetime | None
    satisfied: bool | None
    rework_count: int
    closed_at: datetime | None
    close_reason: str | None
    received_at: datetime | None
    policy: str | None
    """The SLA policy the ticket runs under, as ``name vN``; ``None`` for no SLA clock."""
    goals: tuple[GoalView, ...]
    """Its SLA goals, soonest due first, as they stand at the view's moment."""

    @classmethod
    def of(
        cls, ticket: Repair, *, now: datetime | None = None, redact_personal_data: bool = False
    ) -> RepairView:
        """The view of a loaded ticket at ``now`` (its last step's time by default)."""
        at = now or ticket.modified_on
        state = ticket.state
        personal = ticket.personal_data
        owner = OwnerView(
            name=REDACTED if redact_personal_data else personal["owner_name"],
            phone=REDACTED if redact_personal_data else personal["owner_phone"],
        )
        return cls(
            ticket_id=ticket.id,
            version=ticket.version,
            state=state,
            allowed_steps=allowed_commands(state),
            estate=ticket.estate,
            channel=ticket.channel,
            scope=ticket.scope,
            category=ticket.category,
            unit=REDACTED if redact_personal_data else ticket.unit,
            description=ticket.description,
            owner=owner,
            in_price_list=ticket.in_price_list,
            price_item=ticket.price_item,
            paid=ticket.paid,
            appointment=ticket.appointment,
            first_responder=ticket.first_responder,
            logged_at=ticket.logged_at,
            updated_at=ticket.modified_on,
            acceptor=ticket.acceptor,
            acceptor_name=ticket.acceptor_name,
            escalation_level=ticket.level,
            at_top_of_chain=ticket.top_of_chain,
            accepted_at=ticket.accepted_at,
            promised_arrival=ticket.promised_arrival,
            dispatch_round=ticket.dispatch_round,
            dispatch_count=ticket.dispatch_count,
            refusal_count=ticket.refusal_count,
            quoted_amount=ticket.quoted_amount,
            rescheduled_to=ticket.rescheduled_to,
            reschedule_kind=ticket.reschedule_kind,
            redispatch_due_at=ticket.redispatch_due_at,
            appointment_with=ticket.appointment_with,
            arrived_at=ticket.arrived_at,
            arrived_on_time=ticket.arrived_on_time,
            arrival_disputed=ticket.arrival_disputed,
            door_knocks=ticket.knocks,
            actual_item=ticket.actual_item,
            charge_standard=ticket.charge_standard,
            completed_at=ticket.completed_at,
            customer_signature_ref=ticket.customer_signature_ref,
            fee_amount=ticket.fee_amount,
            fee_status=FeeStatus(ticket.fee_status),
            receipt_no=ticket.receipt_no,
            verified_by=ticket.verified_by,
            callback_due_at=ticket.callback_due_at,
            satisfied=ticket.satisfied,
            rework_count=ticket.rework_count,
            closed_at=ticket.closed_at,
            close_reason=ticket.close_reason,
            received_at=ticket.received_at,
            policy=f"{ticket.policy_name} v{ticket.policy_version}" if ticket.policy_name else None,
            goals=goal_views(ticket.goals, at),
        )


class HistoryEntry(BaseModel):
    """One stored event, as an auditor reads it."""

    model_config = ConfigDict(frozen=True)

    version: int
    event: str
    at: datetime
    actor: str
    command_id: str
    payload: dict[str, Any]
    """The event's own fields; personal data replaced by ``***`` when redacted."""

    @classmethod
    def of(cls, event: Ticket.Event, *, redact_personal_data: bool = False) -> HistoryEntry:
        """The entry for one stored event."""
        payload = {k: v for k, v in vars(event).items() if k not in _COMMON_FIELDS}
        if redact_personal_data and "personal_data" in payload:
            payload["personal_data"] = dict.fromkeys(payload["personal_data"], REDACTED)
            if "unit" in payload:
                payload["unit"] = REDACTED  # an address identifies a household (seed-spec §7.1)
        return cls(
            version=event.originator_version,
            event=type(event).__name__,
            at=event.timestamp,
            actor=event.actor,
            command_id=event.command_id,
            payload=payload,
        )


def repair_view(view: BaseModel) -> RepairView:
    """``view`` as a :class:`RepairView`, for code that reads repairs only.

    Raises:
        InvalidCommand: it is the view of another kind of ticket.
    """
    if not isinstance(view, RepairView):
        ticket = getattr(view, "ticket_id", "?")
        raise InvalidCommand("view", [f"ticket {ticket} is not a repair"])
    return view
