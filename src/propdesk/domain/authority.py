"""Who may take which repair step (seed-spec §7.2, §3.1.2 "Who may trigger").

The table is data, like the lifecycle. A step is open to the holders of any listed role, or,
for steps the seeds give to "the person notified" (受理人员), only to the ticket's current
acceptor. ``docs/reference/authority.md`` is generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from propdesk.domain.errors import UnauthorisedActor
from propdesk.domain.values import Role

if TYPE_CHECKING:
    from propdesk.domain.organisation import Person


@dataclass(frozen=True)
class Authority:
    """Who may ask for one command."""

    roles: frozenset[Role] = frozenset()
    """Any holder of one of these roles may act."""
    acceptor_only: bool = False
    """Only the person the ticket is dispatched to may act."""
    seed: str = ""


_DESK = frozenset({Role.NOTIFIER, Role.CUSTOMER_SERVICE})
_SUPERVISOR = frozenset({Role.ENGINEERING_SUPERVISOR})
_RECORDERS_OF_RESIDENT_DECISIONS = _DESK | _SUPERVISOR
_DISPATCHERS = frozenset({Role.NOTIFIER, Role.ENGINEERING_SUPERVISOR})
_ESCALATORS = frozenset({Role.NOTIFIER})
_CALLERS_BACK = frozenset({Role.CUSTOMER_SERVICE})
_WORKER = frozenset({Role.SLA_MONITOR})
"""The SLA worker, which sends at a deadline what a person would otherwise do by hand."""

AUTHORITY: dict[str, Authority] = {
    "log_repair": Authority(_DESK, seed="R1: 通知人员 / 前台客服员 / 客服部门值班员"),
    "start_cost_review": Authority(_SUPERVISOR, seed="R3: 工程部主管 only (S0:L6 §3.1)"),
    "quote": Authority(_SUPERVISOR, seed="R4: 工程部主管"),
    "declare_not_repairable": Authority(_SUPERVISOR, seed="R5b: 工程部主管"),
    "accept_quote": Authority(
        _RECORDERS_OF_RESIDENT_DECISIONS, seed="R5: recorded by CS/supervisor"
    ),
    "decline_quote": Authority(_RECORDERS_OF_RESIDENT_DECISIONS, seed="R5b"),
    "dispatch": Authority(
        _DISPATCHERS, seed="R2: 通知人员 dispatches orally; 荔园: 工程部主管 assigns"
    ),
    "refuse": Authority(acceptor_only=True, seed="R6: 受理人员"),
    "escalate": Authority(_ESCALATORS, seed="R6: 通知人员 逐级派工"),
    "escalate_overdue_dispatch": Authority(
        _ESCALATORS | _WORKER, seed="R6 with T06/T07: 通知人员 逐级派工, or the SLA worker"
    ),
    "confirm_no_staff": Authority(frozenset({Role.PROJECT_MANAGER}), seed="R7: 经项目经理同意"),
    "record_owner_complaint": Authority(frozenset({Role.NOTIFIER}), seed="R8: 通知人员"),
    "reschedule": Authority(frozenset({Role.NOTIFIER}), seed="R9/R10: 通知人员"),
    "redispatch_for_visit": Authority(
        _DISPATCHERS | _WORKER, seed="R11/T14: 通知人员 提前30分钟重新口头派工, or the SLA worker"
    ),
    "report_arrival": Authority(acceptor_only=True, seed="R12: 受理人员 reports back"),
    "check_arrival": Authority(frozenset({Role.NOTIFIER}), seed="R12a: 通知人员"),
    "knock_unanswered": Authority(acceptor_only=True, seed="R13: 维修人员"),
    "door_answered": Authority(acceptor_only=True, seed="R13: 维修人员"),
    "leave_for_revisit": Authority(acceptor_only=True, seed="R13: 维修人员"),
    "amend_item": Authority(acceptor_only=True, seed="R15: 维修人员"),
    "start_repair": Authority(acceptor_only=True, seed="R16: 维修人员"),
    "decline_on_site": Authority(acceptor_only=True, seed="R17: 维修人员 + 主管 co-sign"),
    "complete": Authority(acceptor_only=True, seed="R18: 维修人员"),
    "submit": Authority(acceptor_only=True, seed="R19: 维修人员"),
    "verify": Authority(_SUPERVISOR, seed="R20: 主管 signs (quality 24)"),
    "record_leak_test": Authority(
        frozenset({Role.ENGINEERING_SUPERVISOR, Role.TECHNICIAN}), seed="R21: 试漏"
    ),
    "raise_callback": Authority(
        _CALLERS_BACK | _WORKER, seed="R22 (T28–T30): 客服人员 回访, raised by the SLA worker"
    ),
    "record_callback": Authority(_CALLERS_BACK, seed="R22/R23: 客服人员"),
    "hand_over_fee": Authority(acceptor_only=True, seed="R24: 维修人员 hands fee to finance"),
    "settle_fee": Authority(frozenset({Role.FINANCE}), seed="R24: 财务 books and issues receipt"),
    "close": Authority(_DESK, seed="R22: 客服 closes (关闭)"),
}
"""Who may ask for each command, by command name."""


TICKET_AUTHORITY: dict[str, Authority] = {
    "record_goal_warning": Authority(
        frozenset({Role.SLA_MONITOR, Role.CUSTOMER_SERVICE}), seed="T-any: S2 §6.4 限时承诺"
    ),
    "record_goal_breach": Authority(
        frozenset({Role.SLA_MONITOR, Role.CUSTOMER_SERVICE}), seed="C11: S2 §6.4"
    ),
    "change_policy": Authority(
        frozenset({Role.PROJECT_MANAGER}), seed="(design) an explicit, attributable change"
    ),
}
"""Who may take the steps every ticket shares, in any state."""


def authorise_ticket_step(command: str, actor: Person) -> None:
    """Raises :class:`UnauthorisedActor` unless ``actor`` may take this shared ticket step."""
    rule = TICKET_AUTHORITY[command]
    if not rule.roles & actor.roles:
        needed = " or ".join(sorted(role.value for role in rule.roles))
        raise UnauthorisedActor(actor.id, command, f"needs the role {needed}")


def authorise(command: str, actor: Person, acceptor: str | None) -> None:
    """Raises :class:`UnauthorisedActor` unless ``actor`` may ask for ``command``.

    Args:
        command: the command's name, as in :data:`AUTHORITY`.
        actor: the acting person, from the ticket's organisation.
        acceptor: the id of the person the ticket is dispatched to, if any.
    """
    rule = AUTHORITY[command]
    if rule.acceptor_only:
        if acceptor is None or actor.id != acceptor:
            held_by = acceptor or "nobody yet"
            raise UnauthorisedActor(
                actor.id, command, f"only the dispatched acceptor ({held_by}) may do this"
            )
        return
    if not rule.roles & actor.roles:
        needed = " or ".join(sorted(role.value for role in rule.roles))
        raise UnauthorisedActor(actor.id, command, f"needs the role {needed}")
