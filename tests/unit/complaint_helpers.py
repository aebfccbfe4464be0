"""Given/when/then helpers for pure complaint tests: no desk, no store, no clock.

Like :mod:`helpers` for repairs: a complaint is received with ``Complaint.receive`` and every
later command goes to the decide method its ``step`` names, each with a
:class:`~propdesk.domain.context.Decision` for the sample estate built here. A command without
``at`` happens at the time of the complaint's last step (:data:`T0` for the receipt). With
``sla=True`` the complaint runs on the SLA clock of the seeds' default policy, in China's
working calendar.

::

    complaint = given(*path_to(S.ROUTED))
    events = when(complaint, make(cc.ContactCustomer))
    then(events, Complaint.CustomerContacted)
"""

from __future__ import annotations

import functools
import itertools
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import pytest
from helpers import then, then_recorded  # noqa: F401 - re-exported: one set of checks for both kinds

from propdesk.application.calendars import china_calendar
from propdesk.application.configuration import default_policy
from propdesk.domain import complaint_commands as cc
from propdesk.domain.commands import Command, OwnerContact
from propdesk.domain.complaint import Complaint
from propdesk.domain.complaint_lifecycle import ComplaintState
from propdesk.domain.complaint_values import ComplaintSatisfaction, ComplaintSubject
from propdesk.domain.context import Decision
from propdesk.domain.rules import DEFAULT_RULES
from propdesk.domain.values import Channel
from propdesk.testing import MONDAY_MORNING, sample_organisation

if TYPE_CHECKING:
    from datetime import datetime

    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.organisation import Organisation

S = ComplaintState
T0 = MONDAY_MORNING
"""Monday 2026-11-23 09:00 in Shanghai: when every given complaint is received."""
COMPLAINT = UUID("00000000-0000-4000-8000-0000000c0a1a")
"""The id of the complaint under test."""
RAISING_REPAIR = UUID("00000000-0000-4000-8000-00000000a11c")
"""A repair a complaint may be raised by or linked to."""
ORG = sample_organisation()
HANDLER = "sup-chen"
"""The default handler: the engineering department's supervisor (相关部门直接责任人)."""

CommandT = TypeVar("CommandT", bound=Command)
ErrorT = TypeVar("ErrorT", bound=Exception)

_command_ids = itertools.count(1)


def hours(count: float) -> timedelta:
    """A span of ``count`` hours."""
    return timedelta(hours=count)


# Valid data for every complaint command after the receipt: desk-huang received it, cs-he
# classifies with head-qian confirming, sup-chen handles it, pm-li approves the plan.
DEFAULTS: dict[type[Command], dict[str, Any]] = {
    cc.ClassifyComplaint: {
        "actor": "cs-he",
        "severity": "minor",
        "complaint_type": ComplaintSubject.SERVICE,
        "responsible_unit": "工程部",
        "confirmed_by": "head-qian",
    },
    cc.RouteComplaint: {"actor": "cs-he", "to": HANDLER},
    cc.ContactCustomer: {"actor": HANDLER, "clarified": "已致电业主，了解迟到原因"},
    cc.ApprovePlan: {
        "actor": "pm-li",
        "cause": "派工时未核对师傅当日行程",
        "corrective_measures": "派工前确认到达时间，迟到须提前告知业主",
        "remedy_plan": "上门致歉，免收本次维修费",
        "cost": Decimal("80.00"),
    },
    cc.GiveAnswer: {"actor": HANDLER, "answer": "已查明原因，本周内上门致歉并免收费用"},
    cc.DeferComplaint: {
        "actor": HANDLER,
        "reason": "配件需从厂家调货",
        "plan": "配件到货后当天上门更换",
        "expected_date": T0 + timedelta(days=3),
        "customer_understanding": True,
        "reported_to": "eng-zhou",
    },
    cc.ResolveComplaint: {"actor": HANDLER, "outcome": "已上门致歉并退还维修费"},
    cc.ReportResult: {"actor": "desk-huang", "result": "已致歉并退费，业主表示接受"},
    cc.ConfirmResolution: {
        "actor": "cs-he",
        "solved": True,
        "satisfaction": ComplaintSatisfaction.SATISFIED,
        "correction_effect": "此后派工均提前确认到达时间",
    },
    cc.EscalateOverdue: {"actor": "sla-monitor", "goal": "complaint_reply"},
    cc.CloseAsInvalid: {"actor": "cs-he", "help_offered": "协助业主联系燃气公司"},
    cc.LinkRepair: {"actor": "desk-huang", "repair_id": UUID(int=77), "note": "需返修"},
}
"""Valid fields for every complaint command on the default path; :func:`make` fills them in."""

COMMANDS: tuple[type[Command], ...] = tuple(DEFAULTS)


def receive(at: datetime = T0, **overrides: object) -> cc.LogComplaint:
    """A valid :class:`LogComplaint` at ``at``, about something that happened 2 hours before."""
    fields: dict[str, object] = {
        "ticket_id": COMPLAINT,
        "at": at,
        "actor": "desk-huang",
        "channel": Channel.PHONE,
        "occurred_at": at - hours(2),
        "place": "3栋2单元1201",
        "person_complained_about": "张师傅",
        "department_complained_about": "工程部",
        "what_happened": "维修师傅比约定时间晚到两小时，且态度生硬",
        "demands": "要求道歉并减免维修费",
        "complainant": OwnerContact(name="陈女士", phone="13812345678"),
        "preferred_reply_time": "工作日晚上7点后",
    }
    fields.update(overrides)
    return cc.LogComplaint(**fields)  # type: ignore[arg-type]  # pydantic validates the fields


def make(command_class: type[CommandT], **overrides: object) -> CommandT:
    """A valid ``command_class`` for :data:`COMPLAINT`; ``overrides`` replace the defaults."""
    fields: dict[str, Any] = {"ticket_id": COMPLAINT, **DEFAULTS[command_class], **overrides}
    return command_class(**fields)


def invalid_classification(**overrides: object) -> cc.ClassifyComplaint:
    """A classification as an invalid complaint (无效投诉): not graded, no unit."""
    fields: dict[str, object] = {"valid": False, "severity": None, "responsible_unit": None}
    fields.update(overrides)
    fields.setdefault("confirmed_by", None)
    return make(cc.ClassifyComplaint, **fields)


@functools.cache
def _calendar() -> WorkingCalendar:
    return china_calendar()


def decision(
    actor: str, at: datetime, *, organisation: Organisation = ORG, sla: bool = False
) -> Decision:
    """The decision the desk would build: the actor looked up in ``organisation``."""
    person = organisation.person(actor)
    if person is None:
        msg = f"{actor} is not in {organisation.estate}"
        raise LookupError(msg)
    return Decision(
        actor=person,
        at=at,
        command_id=f"complaint-{next(_command_ids)}",
        organisation=organisation,
        rules=DEFAULT_RULES,
        policy=default_policy() if sla else None,
        calendar=_calendar() if sla else None,
    )


def _apply(
    complaint: Complaint, command: Command, *, organisation: Organisation = ORG, sla: bool = False
) -> None:
    at = command.at or complaint.modified_on
    decide = getattr(complaint, command.step)
    decide(command, decision(command.actor, at, organisation=organisation, sla=sla))


def given(
    first: cc.LogComplaint, *steps: Command, organisation: Organisation = ORG, sla: bool = False
) -> Complaint:
    """A complaint received by ``first`` with ``steps`` applied; its events are collected."""
    at = first.at or T0
    complaint = Complaint.receive(
        COMPLAINT, first, decision(first.actor, at, organisation=organisation, sla=sla)
    )
    for step in steps:
        _apply(complaint, step, organisation=organisation, sla=sla)
    complaint.collect_events()
    return complaint


def given_state(state: ComplaintState, *, sla: bool = False) -> Complaint:
    """A complaint in ``state``, reached by the canonical path :func:`path_to`."""
    return given(*path_to(state), sla=sla)


def when_received(
    command: cc.LogComplaint, *, sla: bool = False
) -> tuple[Complaint, list[Complaint.Event]]:
    """Receives a new complaint and returns it with the events it recorded."""
    d = decision(command.actor, command.at or T0, sla=sla)
    complaint = Complaint.receive(COMPLAINT, command, d)
    return complaint, list(complaint.collect_events())  # type: ignore[arg-type]


def when(
    complaint: Complaint, command: Command, *, organisation: Organisation = ORG, sla: bool = False
) -> list[Complaint.Event]:
    """Applies ``command`` to ``complaint`` and returns the events it recorded."""
    _apply(complaint, command, organisation=organisation, sla=sla)
    return list(complaint.collect_events())  # type: ignore[arg-type]


def when_rejected(
    complaint: Complaint,
    command: Command,
    error: type[ErrorT],
    *,
    organisation: Organisation = ORG,
    sla: bool = False,
) -> ErrorT:
    """Applies ``command``, expects ``error``, and checks that nothing was decided."""
    before = dict(vars(complaint))
    with pytest.raises(error) as raised:
        _apply(complaint, command, organisation=organisation, sla=sla)
    assert complaint.pending_events == [], "a rejected command left pending events"
    assert vars(complaint) == before, "a rejected command changed the complaint"
    return raised.value


def then_state(complaint: Complaint, state: ComplaintState, /, **attributes: object) -> None:
    """The complaint is in ``state`` and its attributes have these values."""
    assert complaint.state is state
    wrong = {
        name: (getattr(complaint, name), value)
        for name, value in attributes.items()
        if getattr(complaint, name) != value
    }
    assert not wrong, f"complaint attributes (actual, expected): {wrong}"


# ---------------------------------------------------------------- canonical paths


@functools.cache
def path_to(state: ComplaintState) -> tuple[Command, ...]:
    """The ordinary way to reach ``state``: a receipt followed by valid steps, all at T0."""
    classified = (receive(), make(cc.ClassifyComplaint))
    handling = (*classified, make(cc.RouteComplaint), make(cc.ContactCustomer))
    resolved = (*handling, make(cc.GiveAnswer), make(cc.ResolveComplaint))
    notified = (*resolved, make(cc.ReportResult))
    invalid = (receive(), invalid_classification())
    routes: dict[ComplaintState, tuple[Command, ...]] = {
        S.RECEIVED: (receive(),),
        S.CLASSIFIED: classified,
        S.ROUTED: (*classified, make(cc.RouteComplaint)),
        S.IN_HANDLING: handling,
        S.DEFERRED: (*handling, make(cc.DeferComplaint)),
        S.RESOLVED: resolved,
        S.RESULT_NOTIFIED: notified,
        S.CLOSED: (*notified, make(cc.ConfirmResolution)),
        S.CLOSED_INVALID: (
            *invalid,
            make(cc.GiveAnswer, actor="cs-he", answer="经核实属燃气公司管辖，非物业责任"),
            make(cc.CloseAsInvalid),
        ),
    }
    return routes[state]


def invalid_path() -> tuple[Command, ...]:
    """Received and classified invalid: ready for an answer and ``close_as_invalid``."""
    return (receive(), invalid_classification())
