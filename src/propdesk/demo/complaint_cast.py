"""Who plays which part in the demo's complaints (投诉), read from the estate's organisation.

The desk receives and reports (:class:`~propdesk.demo.cast.Cast`'s notifiers), customer service
classifies, routes, closes and escalates, a leader confirms the grading (主管领导), each
department's head handles what is routed to it, and the project and office heads are told or
approve what their grade requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from propdesk.demo.complaint_catalogue import CUSTOMER_SERVICE, ENGINEERING, SECURITY
from propdesk.domain.complaint_authority import DEPARTMENT_HEADS, LEADERS, PROJECT_HEADS
from propdesk.domain.complaint_values import ComplaintSeverity
from propdesk.domain.errors import ConfigurationError
from propdesk.domain.values import Role

if TYPE_CHECKING:
    from propdesk.demo.cast import Cast
    from propdesk.domain.organisation import Organisation, Person


@dataclass(frozen=True)
class ComplaintCast:
    """Who takes each complaint step in the demo."""

    cast: Cast
    """The repair desk's cast: its notifiers receive complaints and report results."""
    service: Person
    """Customer service (客服人员): classifies, routes, confirms, escalates, closes invalid."""
    grader: Person
    """The leader (主管领导) who confirms the unit and time limit of an ordinary complaint."""
    project_head: Person
    """项目总: told of every major complaint the day it is classified (T35)."""
    office_head: Person
    """管理处主任: approves plans, and receives overdue complaints (C11)."""
    handlers: dict[str, tuple[Person, ...]]
    """The heads who handle complaints (相关部门直接责任人), by department."""

    @classmethod
    def of(cls, cast: Cast) -> ComplaintCast:
        """Casts the organisation; raises :class:`ConfigurationError` for a missing part."""
        organisation = cast.organisation
        people = organisation.people
        project_heads = [p for p in people if p.roles & PROJECT_HEADS]
        office_heads = [p for p in people if p.has(Role.OFFICE_HEAD)]
        graders = [p for p in people if p.has(Role.DEPARTMENT_HEAD)]
        for needed, found in (
            ("a project manager (项目总)", project_heads),
            ("an office head (管理处主任)", office_heads),
            ("a department head (部门主管)", graders),
        ):
            if not found:
                raise ConfigurationError(
                    f"the demo's complaints need {needed} in estate {organisation.estate}; "
                    "simulate none (complaints=0) without one"
                )
        service = [p for p in graders if p.department == CUSTOMER_SERVICE]
        return cls(
            cast=cast,
            service=cast.callback_staff,
            grader=(service or graders)[0],
            project_head=project_heads[0],
            office_head=office_heads[0],
            handlers={
                department: _handlers(organisation, department, fallback=graders[0])
                for department in (ENGINEERING, CUSTOMER_SERVICE, SECURITY)
            },
        )

    def confirmer(self, severity: ComplaintSeverity | None) -> Person:
        """Who confirms the grading: the project head for a major complaint."""
        return self.project_head if severity is ComplaintSeverity.MAJOR else self.grader

    def approver(self, severity: ComplaintSeverity | None, handler: str) -> Person:
        """A leader other than the handler to approve the plan: 项目总 for a major one."""
        leaders = (self.project_head, self.office_head)
        if severity is not ComplaintSeverity.MAJOR:
            leaders = leaders[::-1]
        return next((leader for leader in leaders if leader.id != handler), leaders[0])

    def superior_of(self, handler: str) -> Person:
        """Whom a handler reports a deferral to (上级): their superior, or the project head."""
        superior = self.cast.organisation.superior_of(handler)
        return superior if superior is not None else self.project_head

    def must_know(self, severity: ComplaintSeverity | None, handler: str) -> tuple[str, ...]:
        """Who a routing must tell besides the handler, so that its grade's people know.

        A major complaint reaches the project head (T35); an important one a department head
        or the project manager (T38, T40).
        """
        person = self.cast.organisation.person(handler)
        roles = person.roles if person is not None else frozenset()
        if severity is ComplaintSeverity.MAJOR and not roles & PROJECT_HEADS:
            return (self.project_head.id,)
        needs = LEADERS - {Role.OFFICE_HEAD}
        if severity is ComplaintSeverity.IMPORTANT and not roles & needs:
            return (self.project_head.id,)
        return ()


def _handlers(organisation: Organisation, department: str, fallback: Person) -> tuple[Person, ...]:
    """The department's front-line heads: those with a head of the department above them.

    A department without a head of its own is handled by ``fallback``.
    """
    heads = [
        p for p in organisation.people if p.department == department and p.roles & DEPARTMENT_HEADS
    ]
    front_line = [
        head
        for head in heads
        if any(above in heads for above in organisation.chain_from(head.id)[1:])
    ]
    return tuple(front_line or heads or [fallback])
