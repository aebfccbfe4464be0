"""Realistic repair lifecycles, as scripts of propdesk commands, for the benchmarks.

Two lifecycles alternate in the throughput benchmark:

* ``escalation`` (15 commands): log, dispatch, refuse, escalate, report_arrival, check_arrival,
  amend_item, start_repair, complete (with a fee), submit, hand_over_fee, settle_fee, verify
  (which also opens the callback window: two events), record_callback (satisfied), close.
* ``nobody_home`` (17 commands): log, dispatch, report_arrival, knock_unanswered twice (five
  minutes apart), leave_for_revisit, dispatch again, report_arrival, amend_item, start_repair,
  complete (with a fee), submit, hand_over_fee, settle_fee, verify, record_callback, close.

The latency benchmark uses :data:`SHORT_PREFIX` (five events, ending on site) and
:data:`REVISIT_BLOCK` (five commands, five events, from on site back to on site).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import propdesk as p
from propdesk.testing import ManualClock, in_memory_desk

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID


@dataclass(frozen=True)
class Step:
    """One command of a lifecycle, and how far the clock moves before it."""

    command: type[p.Command]
    fields: dict[str, Any]
    advance: timedelta = timedelta(0)

    def build(self, ticket_id: UUID | None, command_id: str | None) -> p.Command:
        """The validated command for ``ticket_id`` (``None`` for the ``log_repair`` step)."""
        extra: dict[str, Any] = {} if ticket_id is None else {"ticket_id": ticket_id}
        return self.command(command_id=command_id, **extra, **self.fields)


@dataclass(frozen=True)
class TemplateEvent:
    """One event a command stored, as propdesk stored it: what the bare peer replays."""

    name: str
    at: datetime
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)


MINUTE = timedelta(minutes=1)
FEE = Decimal(60)

LOG = Step(
    p.LogRepair,
    {
        "actor": "desk-huang",
        "channel": p.Channel.PHONE,
        "category": p.RepairCategory.OTHER,
        "unit": "3栋2单元1201",
        "description": "厨房水龙头漏水, 关不紧",
        "owner": p.OwnerContact(name="陈女士", phone="13812345678"),
        "price_item": "更换水龙头",
    },
)


def _dispatch(acceptor: str, *, revisit: bool = False, advance: timedelta = MINUTE) -> Step:
    fields = {"actor": "desk-huang", "acceptor": acceptor, "owner_contacted_beforehand": revisit}
    return Step(p.Dispatch, fields, advance)


def _arrive(acceptor: str) -> Step:
    return Step(p.ReportArrival, {"actor": acceptor}, 8 * MINUTE)


def _check_arrival() -> Step:
    return Step(p.CheckArrival, {"actor": "desk-huang", "reporter_says_on_time": True}, MINUTE)


def _amend(acceptor: str) -> Step:
    fields = {"actor": acceptor, "actual_item": "更换水龙头阀芯", "charge_standard": FEE}
    return Step(p.AmendItem, fields, 2 * MINUTE)


def _knock(acceptor: str, wait: timedelta) -> Step:
    return Step(p.KnockUnanswered, {"actor": acceptor}, wait)


def _leave(acceptor: str) -> Step:
    fields = {
        "actor": acceptor,
        "informed_supervisor": "sup-wang",
        "informed_customer_service": "desk-huang",
    }
    return Step(p.LeaveForRevisit, fields, MINUTE)


def _repair_to_close(acceptor: str, supervisor: str) -> tuple[Step, ...]:
    """start_repair … close: the second half both lifecycles share."""
    return (
        Step(p.StartRepair, {"actor": acceptor, "customer_agreed_to_charge": True}, MINUTE),
        Step(
            p.Complete,
            {
                "actor": acceptor,
                "outcome": "更换阀芯, 试水无渗漏",
                "customer_signature_ref": "sig-7f3a9c",
                "fee": FEE,
            },
            30 * MINUTE,
        ),
        Step(p.Submit, {"actor": acceptor, "supervisor": supervisor}, 10 * MINUTE),
        Step(p.HandOverFee, {"actor": acceptor, "amount": FEE}, 20 * MINUTE),
        Step(p.SettleFee, {"actor": "fin-ma", "amount": FEE, "receipt_no": "R2026-0001"}, MINUTE),
        Step(
            p.Verify,
            {
                "actor": supervisor,
                "supervisor_signature_ref": "sig-sup-5521",
                "result_notified_to": ("客服部",),
            },
            30 * MINUTE,
        ),
        Step(
            p.RecordCallback, {"actor": "cs-he", "satisfied": True, "rating": 5}, timedelta(days=1)
        ),
        Step(p.Close, {"actor": "cs-he"}, MINUTE),
    )


ESCALATION: tuple[Step, ...] = (
    LOG,
    _dispatch("tech-zhang"),
    Step(p.Refuse, {"actor": "tech-zhang", "reason": "在别的单元维修, 走不开"}, 2 * MINUTE),
    Step(p.Escalate, {"actor": "desk-huang"}, MINUTE),
    _arrive("sup-wang"),
    _check_arrival(),
    _amend("sup-wang"),
    *_repair_to_close("sup-wang", "sup-chen"),
)
"""A refusal escalated one level up the chain, then a paid repair through to close."""

NOBODY_HOME: tuple[Step, ...] = (
    LOG,
    _dispatch("tech-liu"),
    _arrive("tech-liu"),
    _knock("tech-liu", MINUTE),
    _knock("tech-liu", 5 * MINUTE),
    _leave("tech-liu"),
    _dispatch("tech-liu", revisit=True, advance=timedelta(hours=2)),
    _arrive("tech-liu"),
    _amend("tech-liu"),
    *_repair_to_close("tech-liu", "sup-wang"),
)
"""Nobody home on the first visit (two knocks, leave), a revisit, then a paid repair."""

LIFECYCLES: tuple[tuple[str, tuple[Step, ...]], ...] = (
    ("escalation", ESCALATION),
    ("nobody_home", NOBODY_HOME),
)

SHORT_PREFIX: tuple[Step, ...] = (
    LOG,
    _dispatch("tech-zhang"),
    _arrive("tech-zhang"),
    _check_arrival(),
    _amend("tech-zhang"),
)
"""Five commands, five events: a ticket on site with ``tech-zhang``."""

REVISIT_BLOCK: tuple[Step, ...] = (
    _knock("tech-zhang", MINUTE),
    _knock("tech-zhang", 5 * MINUTE),
    _leave("tech-zhang"),
    _dispatch("tech-zhang", revisit=True),
    _arrive("tech-zhang"),
)
"""The nobody-home revisit loop: five commands, five events, from on site back to on site."""


def commands_per_ticket() -> float:
    """The mean number of commands per ticket when the lifecycles alternate."""
    return sum(len(steps) for _, steps in LIFECYCLES) / len(LIFECYCLES)


def run_steps(
    desk: p.Desk,
    clock: ManualClock,
    steps: Sequence[Step],
    ticket_id: UUID | None = None,
    *,
    command_ids: bool = False,
) -> tuple[UUID, list[p.CommandResult]]:
    """Executes ``steps`` on ``ticket_id`` (a new ticket when it starts with the log step)."""
    results = []
    for step in steps:
        clock.advance(seconds=step.advance.total_seconds())
        command_id = uuid4().hex if command_ids else None
        result = desk.execute(step.build(ticket_id, command_id))
        ticket_id = result.ticket_id
        results.append(result)
    if ticket_id is None:
        raise ValueError("no steps were run")
    return ticket_id, results


def capture_templates(steps: Sequence[Step]) -> list[list[TemplateEvent]]:
    """Runs ``steps`` once on an in-memory desk; returns each command's stored events.

    The bare peer triggers exactly these events (same names, fields and values), so both sides
    write the same JSON payloads.
    """
    clock = ManualClock()
    with in_memory_desk(clock=clock) as desk:
        ticket_id, results = run_steps(desk, clock, steps)
        history = desk.history(ticket_id)
    by_version = {entry.version: entry for entry in history}
    templates = []
    for result in results:
        first = result.version - len(result.events) + 1
        entries = [by_version[version] for version in range(first, result.version + 1)]
        templates.append(
            [TemplateEvent(e.event, e.at, e.actor, dict(e.payload)) for e in entries],
        )
    return templates
