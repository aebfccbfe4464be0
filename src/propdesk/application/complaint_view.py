"""What the desk shows of a complaint (投诉): :class:`ComplaintView`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from propdesk.application.goal_view import GoalView, goal_views
from propdesk.domain.complaint_lifecycle import ComplaintState, allowed_complaint_commands

if TYPE_CHECKING:
    from propdesk.domain.complaint import Complaint

REDACTED = "***"


class ComplainantView(BaseModel):
    """The complainant's contact: personal data, shown only where the caller asks for it."""

    model_config = ConfigDict(frozen=True)

    name: str
    phone: str


class ComplaintView(BaseModel):
    """A complaint as it stands (or stood, for :meth:`Desk.view_at`)."""

    model_config = ConfigDict(frozen=True)

    ticket_id: UUID
    version: int
    state: ComplaintState
    allowed_steps: tuple[str, ...]
    estate: str
    channel: str
    occurred_at: datetime
    place: str
    department_complained_about: str | None
    person_complained_about: str | None
    what_happened: str
    demands: str
    complainant: ComplainantView
    preferred_reply_time: str | None
    raised_by_repair: str | None
    received_at: datetime | None
    first_responder: str
    logged_at: datetime
    updated_at: datetime
    valid: bool | None
    severity: str | None
    urgent: bool
    big_problem: bool
    complaint_type: str | None
    liability: str | None
    responsible_unit: str | None
    handling_deadline: datetime | None
    resident_deadline: datetime | None
    handler: str | None
    notified: tuple[str, ...]
    routed_at: datetime | None
    contacted_at: datetime | None
    plans_approved: int
    plan_cost: Decimal | None
    answered_at: datetime | None
    expected_date: datetime | None
    resolved_at: datetime | None
    result_reported_at: datetime | None
    satisfaction: str | None
    reopen_count: int
    overdue_escalations: tuple[str, ...]
    escalated_to: str | None
    linked_repairs: tuple[str, ...]
    closed_at: datetime | None
    policy: str | None
    """The SLA policy the complaint runs under, as ``name vN``."""
    goals: tuple[GoalView, ...]
    """Its SLA goals, soonest due first, as they stand at the view's moment."""

    @classmethod
    def of(
        cls, ticket: Complaint, *, now: datetime | None = None, redact_personal_data: bool = False
    ) -> ComplaintView:
        """The view of a loaded complaint at ``now`` (its last step's time by default)."""
        personal = ticket.personal_data
        hidden = redact_personal_data
        about = personal.get("person_complained_about")
        policy = ticket.policy_name and f"{ticket.policy_name} v{ticket.policy_version}"
        return cls(
            ticket_id=ticket.id, version=ticket.version, state=ticket.state,
            allowed_steps=allowed_complaint_commands(ticket.state), estate=ticket.estate,
            channel=ticket.channel, occurred_at=ticket.occurred_at, place=ticket.place,
            department_complained_about=ticket.department_complained_about,
            person_complained_about=REDACTED if hidden and about is not None else about,
            what_happened=ticket.what_happened, demands=ticket.demands,
            complainant=ComplainantView(
                name=REDACTED if hidden else personal["complainant_name"],
                phone=REDACTED if hidden else personal["complainant_phone"],
            ),
            preferred_reply_time=ticket.preferred_reply_time,
            raised_by_repair=ticket.raised_by_repair, received_at=ticket.received_at,
            first_responder=ticket.first_responder, logged_at=ticket.logged_at,
            updated_at=ticket.modified_on, valid=ticket.valid, severity=ticket.severity,
            urgent=ticket.urgent, big_problem=ticket.big_problem,
            complaint_type=ticket.complaint_type, liability=ticket.liability,
            responsible_unit=ticket.responsible_unit,
            handling_deadline=ticket.handling_deadline,
            resident_deadline=ticket.resident_deadline, handler=ticket.handler,
            notified=tuple(ticket.notified), routed_at=ticket.routed_at,
            contacted_at=ticket.contacted_at, plans_approved=ticket.plans_approved,
            plan_cost=ticket.plan_cost, answered_at=ticket.answered_at,
            expected_date=ticket.expected_date, resolved_at=ticket.resolved_at,
            result_reported_at=ticket.result_reported_at, satisfaction=ticket.satisfaction,
            reopen_count=ticket.reopen_count,
            overdue_escalations=tuple(ticket.overdue_escalations),
            escalated_to=ticket.escalated_to, linked_repairs=tuple(ticket.linked_repairs),
            closed_at=ticket.closed_at, policy=policy or None,
            goals=goal_views(ticket.goals, now or ticket.modified_on),
        )  # fmt: skip
