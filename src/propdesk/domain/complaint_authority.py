"""Who may take which complaint step (seed-spec §3.2 "Who", §7.2).

A table of data, like the repair one (:mod:`propdesk.domain.authority`). A step is open to the
holders of any listed role and, where the seeds give it to the person the complaint was routed
to (相关部门直接责任人, C4), to the complaint's current handler. Steps only the handler takes
list no role. The same :class:`~propdesk.domain.errors.UnauthorisedActor` is raised as for a
repair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from propdesk.domain.errors import UnauthorisedActor
from propdesk.domain.values import Role

if TYPE_CHECKING:
    from propdesk.domain.organisation import Person


@dataclass(frozen=True)
class ComplaintAuthority:
    """Who may ask for one complaint command."""

    roles: frozenset[Role] = frozenset()
    """Any holder of one of these roles may act."""
    handler: bool = False
    """The person the complaint is routed to may act too, whatever their roles."""
    seed: str = ""


DESK = frozenset({Role.NOTIFIER, Role.CUSTOMER_SERVICE})
"""客服部: 投诉接待人, 客服人员, 投诉处理岗, 前台 (the front desk is part of it)."""
LEADERS = frozenset({Role.DEPARTMENT_HEAD, Role.PROJECT_MANAGER, Role.OFFICE_HEAD})
"""领导 / 主管领导: who approves a plan and confirms the responsible unit and time limit."""
PROJECT_HEADS = frozenset({Role.PROJECT_MANAGER})
"""项目总 / 物业项目经理 (§8.4: the seeds' top roles; the estate's project manager)."""
DEPARTMENT_HEADS = frozenset({Role.DEPARTMENT_HEAD, Role.ENGINEERING_SUPERVISOR})
"""部门主管 / 各相关部门负责人: the engineering department's is its supervisor (工程部主管)."""

COMPLAINT_AUTHORITY: dict[str, ComplaintAuthority] = {
    "log_complaint": ComplaintAuthority(
        DESK, seed="C1: 投诉接待人; 客服人员; 投诉处理岗; 前台; 客户管家 (S1:L413; S0:L148)"
    ),
    "classify_complaint": ComplaintAuthority(
        frozenset({Role.CUSTOMER_SERVICE}) | LEADERS,
        seed="C2: CS / 投诉处理岗 / 主管领导 (S0:L80 2; S0:L470)",
    ),
    "route_complaint": ComplaintAuthority(DESK, seed="C3: 客服部 记录、分类、归口 (S1:L418, L420)"),
    "contact_customer": ComplaintAuthority(
        handler=True, seed="C4: 相关部门直接责任人 (S1:L420 ⑥②)"
    ),
    "approve_plan": ComplaintAuthority(LEADERS, seed="C5: 报请领导审批 (S0:L337; §7.2)"),
    "give_answer": ComplaintAuthority(
        frozenset({Role.CUSTOMER_SERVICE}), handler=True, seed="C6: handler / CS (S0:L126)"
    ),
    "defer_complaint": ComplaintAuthority(handler=True, seed="C7: handler (S0:L464; S1:L417 ④)"),
    "resolve_complaint": ComplaintAuthority(handler=True, seed="C8: handler (S1:L420)"),
    "report_result": ComplaintAuthority(DESK, seed="C9: 投诉接待人 / 客服部 (S1:L420 ⑥②)"),
    "confirm_resolution": ComplaintAuthority(
        DESK, seed="C10: 客服人员; 客户管家; 前台 (S0:L80 4-5; S0:L215; S0:L471)"
    ),
    "escalate_overdue": ComplaintAuthority(
        frozenset({Role.SLA_MONITOR, Role.CUSTOMER_SERVICE}),
        seed="C11: 客户服务中心管理员 (S2 §6.4); the SLA worker acts in that role",
    ),
    "close_as_invalid": ComplaintAuthority(
        frozenset({Role.CUSTOMER_SERVICE}), seed="C12: CS (S1:L422 ⑥④)"
    ),
    "link_repair": ComplaintAuthority(DESK, handler=True, seed="R8 (design): desk or handler"),
}
"""Who may ask for each complaint command, by command name."""


def authorise_complaint(command: str, actor: Person, handler: str | None) -> None:
    """Raises :class:`UnauthorisedActor` unless ``actor`` may ask for ``command``.

    Args:
        command: the command's name, as in :data:`COMPLAINT_AUTHORITY`.
        actor: the acting person, from the complaint's organisation.
        handler: the id of the person the complaint is routed to, if any.
    """
    rule = COMPLAINT_AUTHORITY[command]
    if rule.roles & actor.roles:
        return
    if rule.handler and handler is not None and actor.id == handler:
        return
    held_by = f"the complaint's handler ({handler or 'nobody yet'})"
    if not rule.roles:
        raise UnauthorisedActor(actor.id, command, f"only {held_by} may do this")
    needed = "the role " + " or ".join(sorted(role.value for role in rule.roles))
    if rule.handler:
        needed += f", or to be {held_by}"
    raise UnauthorisedActor(actor.id, command, f"needs {needed}")
