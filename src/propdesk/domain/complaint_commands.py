"""Complaint commands (投诉, seed-spec §3.2): one immutable, validated object per step.

They share :class:`~propdesk.domain.commands.Command`'s fields (``actor``, ``at``,
``command_id``) and, after the first, :class:`~propdesk.domain.commands.TicketCommand`'s
``ticket_id``. Malformed data raise :class:`~propdesk.domain.errors.InvalidCommand` when the
command is built; rules that need the complaint or the organisation are the aggregate's.
"""

from __future__ import annotations

from typing import ClassVar, Literal, Self
from uuid import UUID  # noqa: TC003 - pydantic reads the annotations at runtime

from pydantic import model_validator

from propdesk.domain.commands import Command, OwnerContact, TicketCommand
from propdesk.domain.complaint_values import (
    ComplaintLiability,
    ComplaintSatisfaction,
    ComplaintSeverity,
    ComplaintSubject,
)
from propdesk.domain.values import (
    Channel,
    ContactChannel,
    Moment,
    Money,
    PersonId,
    ShortText,
    Text,
    listed_twice,
)


class LogComplaint(Command):
    """C1: record a complaint as the resident tells it (S1:L413; S0:L80; S0:L470).

    Never argue or quarrel with the resident (严禁与住户辩论、争吵, S1:L414): record what they
    say, completely (投诉内容清楚,齐全,无漏项, S3:L34).
    """

    step: ClassVar[str] = "log_complaint"

    ticket_id: UUID | None = None
    """Chosen by the caller, or derived from ``command_id``, or new."""
    estate: ShortText | None = None
    """The estate; may be left out when the desk serves one estate."""
    channel: Channel
    occurred_at: Moment
    """发生时间: when the matter complained of happened."""
    place: ShortText
    """地点."""
    person_complained_about: ShortText | None = None
    """被投诉人, when the resident names someone: personal data, kept with the contact."""
    department_complained_about: ShortText | None = None
    """被投诉部门."""
    what_happened: Text
    """发生经过."""
    demands: Text
    """住户的要求."""
    complainant: OwnerContact
    """The complainant's name and phone (联系方式, S0:L80): personal data (seed-spec §7.1)."""
    preferred_reply_time: ShortText | None = None
    """When the resident would like to be called back (请问您通常在什么时间比较方便?, S1:L75)."""
    repair_id: UUID | None = None
    """The repair that raised the complaint, if any (R8: the owner complained while a new
    time was negotiated)."""
    immediate_measures: Text | None = None
    """C1a: what was done at once to stop or limit a harm still going on (S1:L421 ⑥③)."""
    received_at: Moment | None = None
    """When the complaint reached the desk, if it is recorded later."""

    @model_validator(mode="after")
    def _occurred_before_received(self) -> Self:
        if self.received_at is not None and self.occurred_at > self.received_at:
            msg = "occurred_at cannot be after the complaint was received"
            raise ValueError(msg)
        return self


class ClassifyComplaint(TicketCommand):
    """C2: verify and classify (核实…分类处理, S0:L80 2; S0:L470; S1:L415; S1:L418).

    A valid complaint is graded (severity, urgency, big problem) and given a responsible
    unit. An invalid one (无效投诉, S1:L422) is not graded: no severity goal starts for it,
    and its only way on is ``close_as_invalid``.
    """

    step: ClassVar[str] = "classify_complaint"

    valid: bool = True
    """有效投诉, or 无效投诉."""
    severity: ComplaintSeverity | None = None
    """重大 / 重要 / 轻微; required for a valid complaint, absent for an invalid one."""
    urgent: bool = False
    """紧急投诉 (S3:L27, L34): the specialty is told within 5 minutes (T42)."""
    big_problem: bool = False
    """大问题 (S2 §5.9): reply within 3 days, handled within 5 (T46)."""
    complaint_type: ComplaintSubject
    """投诉类型 (S0:L470)."""
    liability: ComplaintLiability = ComplaintLiability.UNDETERMINED
    responsible_unit: ShortText | None = None
    """责任单位 (S0:L470); required for a valid complaint."""
    handling_deadline: Moment | None = None
    """处理时限 (S0:L470): the committed time limit, if one is set; C11 acts when it passes."""
    resident_deadline: Moment | None = None
    """For a minor complaint: the resident's own deadline (住户要求的期限, T41)."""
    confirmed_by: PersonId | None = None
    """The 主管领导 who fixed the responsible unit and time limit; the actor if left out."""

    @model_validator(mode="after")
    def _graded_only_when_valid(self) -> Self:
        if self.valid:
            missing = [
                name for name in ("severity", "responsible_unit") if getattr(self, name) is None
            ]
            if missing:
                msg = f"a valid complaint needs {' and '.join(missing)}"
                raise ValueError(msg)
        else:
            graded = [
                name
                for name in ("severity", "responsible_unit", "handling_deadline")
                if getattr(self, name) is not None
            ] + [name for name in ("urgent", "big_problem") if getattr(self, name)]
            if graded:
                msg = f"an invalid complaint (无效投诉) is not graded: drop {', '.join(graded)}"
                raise ValueError(msg)
        if self.resident_deadline is not None and self.severity is not ComplaintSeverity.MINOR:
            msg = "resident_deadline is a minor complaint's (T41); this one is not minor"
            raise ValueError(msg)
        return self


class RouteComplaint(TicketCommand):
    """C3: pass the complaint to the person who handles it (归口), and tell who must know.

    A major complaint must reach the project head (项目总) the same day; an important one the
    department head (部门主管, S1) or the project manager (S3); a shared fault calls the
    heads of the departments concerned to the scene (S1:L415 ②, L418 ⑤; S3:L27, L34).
    """

    step: ClassVar[str] = "route_complaint"

    to: PersonId
    """The handler: the responsible department's direct owner (相关部门直接责任人)."""
    notified: tuple[PersonId, ...] = ()
    """Others told at the same time: 项目总, 部门主管, 上级, 相关专业领导, department heads."""

    @model_validator(mode="after")
    def _each_person_once(self) -> Self:
        twice = listed_twice([self.to, *self.notified])
        if twice:
            msg = f"listed twice: {', '.join(twice)}"
            raise ValueError(msg)
        return self


class ContactCustomer(TicketCommand):
    """C4: the handler contacts the complainant at once (第一时间) and clarifies the matter."""

    step: ClassVar[str] = "contact_customer"

    channel: ContactChannel = ContactChannel.PHONE
    clarified: Text
    """What the handler learnt or agreed with the complainant."""


class ApprovePlan(TicketCommand):
    """C5: a leader approves the remedy plan (报请领导审批, S0:L337; S0:L124; S1:L417 ④)."""

    step: ClassVar[str] = "approve_plan"

    cause: Text
    """原因分析."""
    corrective_measures: Text
    """整改措施."""
    remedy_plan: Text
    """The remedy plan or plans (一个或多个补救方案)."""
    cost: Money | None = None
    """结算费用, when the plan costs something."""
    drawn_up_by: PersonId | None = None
    """Who drew up the plan (投诉处理岗, the handler); the handler if left out."""


class GiveAnswer(TicketCommand):
    """C6: a clear answer to the complainant (明确答复, S0:L126; S1:L418; S2 §5.9)."""

    step: ClassVar[str] = "give_answer"

    answer: Text
    channel: ContactChannel = ContactChannel.PHONE


class DeferComplaint(TicketCommand):
    """C7: cannot be solved in time: plan, expected date, and the resident's understanding.

    处理方案及预计解决日期, 取得客户谅解 (S0:L464); explain the reason and report to the
    superior (S1:L417 ④); agree a reply date (S0:L148).
    """

    step: ClassVar[str] = "defer_complaint"

    reason: Text
    plan: Text
    expected_date: Moment
    """预计解决日期: must be later than now."""
    customer_understanding: Literal[True]
    """谅解: a deferral is only agreed with the resident's understanding."""
    reported_to: PersonId
    """The superior (上级) the deferral was reported to."""


class ResolveComplaint(TicketCommand):
    """C8: solved or handled (解决 / 处理完毕); the complaint receiver is told (S1:L420)."""

    step: ClassVar[str] = "resolve_complaint"

    outcome: Text
    receiver: PersonId | None = None
    """The complaint receiver told (告知投诉接待人); the one who recorded it if left out."""


class ReportResult(TicketCommand):
    """C9: the result reported to the complainant the same day, by phone or in person.

    在当天将投诉处理结果通报投诉住户 (S1:L420 ⑥②; T44).
    """

    step: ClassVar[str] = "report_result"

    result: Text
    channel: Literal[ContactChannel.PHONE, ContactChannel.IN_PERSON] = ContactChannel.PHONE
    """电话 or 上门当面告知: the two ways the seed names."""


class ConfirmResolution(TicketCommand):
    """C10: the close-out call: is the problem solved? (确认问题是否得到解决, S0:L80 4-5).

    Solved closes the complaint (结案); not solved sends it back to handling.
    """

    step: ClassVar[str] = "confirm_resolution"

    solved: bool
    satisfaction: ComplaintSatisfaction
    correction_effect: Text | None = None
    """How well the correction worked (整改效果, S0:L471)."""
    problem: Text | None = None
    """What is still wrong; required when the problem is not solved."""

    @model_validator(mode="after")
    def _unsolved_needs_problem(self) -> Self:
        if not self.solved and self.problem is None:
            msg = "an unsolved complaint must say what the problem still is"
            raise ValueError(msg)
        return self


class EscalateOverdue(TicketCommand):
    """C11: pass an overdue complaint to the office head (管理处主任, S2 §6.4).

    The SLA worker sends it when a goal's deadline has passed; a repeat for the same reason
    is a no-op.
    """

    step: ClassVar[str] = "escalate_overdue"

    goal: ShortText | None = None
    """The SLA goal that ran out; ``None`` for the handling time limit set at C2 (处理时限)."""
    to: PersonId | None = None
    """The office head; the estate's (its first) if left out."""


class CloseAsInvalid(TicketCommand):
    """C12: close an invalid complaint, having helped the resident anyway (S1:L422 ⑥④)."""

    step: ClassVar[str] = "close_as_invalid"

    help_offered: Text
    """尽量为住户提供方便: what was done for the resident all the same."""
    remarks: Text | None = None


class LinkRepair(TicketCommand):
    """R8 (design): the complaint caused or concerns a repair; the desk checks it exists."""

    step: ClassVar[str] = "link_repair"

    repair_id: UUID
    note: Text | None = None


COMPLAINT_COMMANDS: tuple[type[Command], ...] = (
    LogComplaint, ClassifyComplaint, RouteComplaint, ContactCustomer, ApprovePlan, GiveAnswer,
    DeferComplaint, ResolveComplaint, ReportResult, ConfirmResolution, EscalateOverdue,
    CloseAsInvalid, LinkRepair,
)  # fmt: skip
"""Every complaint command, in lifecycle order."""
