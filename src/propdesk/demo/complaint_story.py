"""A complaint's whole story (投诉, C1–C12), from receipt to close-out.

Received by the desk; linked to the repair it is about, if any; classified with a severity
(or found invalid, answered and closed as such); routed to the department's head, who contacts
the complainant, answers, has a plan approved when it needs one, defers or runs late as the
twist says, and resolves it; the desk reports the result the same day, and customer service
confirms it is solved (or reopens it once).

Most steps keep the seeds' time limits (T33–T46), with a few slips now and then, as a real
desk would.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from propdesk.demo.cast import CALLBACK_HOURS, SUPERVISOR_HOURS
from propdesk.demo.complaint_catalogue import (
    CLARIFICATIONS,
    CONFIRMED_EFFECTS,
    INVALID_REMARKS,
    LINK_NOTE,
    REOPEN_PROBLEMS,
    ComplaintMatter,
    InvalidMatter,
)
from propdesk.demo.complaint_plans import ComplaintTwist
from propdesk.demo.engine import Step, minutes_after
from propdesk.domain import complaint_commands as cc
from propdesk.domain.complaint_values import ComplaintSatisfaction, ComplaintSeverity
from propdesk.domain.values import ContactChannel

if TYPE_CHECKING:
    from collections.abc import Generator

    from propdesk.application.views import CommandResult
    from propdesk.demo.complaint_cast import ComplaintCast
    from propdesk.demo.complaint_plans import ComplaintPlan
    from propdesk.demo.engine import Engine, Process
    from propdesk.demo.tale import SubStory
    from propdesk.domain.commands import Command

OFFICE_HOURS = (time(8, 30), time(17, 30))
"""When customer service and the leaders grade, route, approve and escalate."""
RESOLVING_HOURS = (time(8, 30), time(17, 0))
"""When handlers finish a complaint, so that the result is reported the same day (T44)."""
REPORTING_HOURS = (time(8, 0), time(21, 0))
"""When the desk phones a complainant with the result."""
URGENT_HOURS = (time(8, 0), time(20, 0))
"""When an urgent complaint is dealt with the same day."""

SLOW_ROUTING = 0.1
"""The share of urgent complaints that reach the specialty after the 5 minutes (T42)."""
SLOW_RESOLUTION = 0.1
"""The share of ordinary complaints that take two days or more (T41 missed, mostly)."""
LATE_REPORT = 0.05
"""The share of results phoned only the next day (T44 missed)."""

_HOUR = 60.0
"""An hour, in the minutes :meth:`ComplaintStory.after` counts in."""
_DAY = 24 * _HOUR
_T = ComplaintTwist
_SATISFIED = (ComplaintSatisfaction.SATISFIED,) * 3 + (ComplaintSatisfaction.BASICALLY_SATISFIED,)


class ComplaintStory:
    """One complaint's path through the desk, as a :data:`~propdesk.demo.engine.Process`."""

    def __init__(self, engine: Engine, cast: ComplaintCast, plan: ComplaintPlan) -> None:
        self.engine = engine
        self.cast = cast
        self.plan = plan
        self.ticket = plan.ticket_id
        self.twist = plan.twist
        self.rng = random.Random(plan.seed)
        self.reopened = False
        self.deadline: datetime | None = None
        """The handling time limit (处理时限) set at C2, if any."""

    # -- the whole story

    def run(self) -> Process:
        """Receives the complaint and follows it until it closes or the horizon stops it."""
        yield self.step(self.plan.arrival, self._log_complaint())
        if self.plan.repair is not None:
            at = self.after(2, 10)
            link = cc.LinkRepair(
                ticket_id=self.ticket, actor=self.desk(at), repair_id=self.plan.repair,
                note=LINK_NOTE,
            )  # fmt: skip
            yield self.step(at, link)
        matter = self.plan.matter
        if isinstance(matter, InvalidMatter):
            yield from self._close_as_invalid(matter)
            return
        yield from self._classify(matter)
        yield from self._route(matter)
        resolve_at = yield from self._handle(matter)
        while True:
            yield from self._resolve(matter, resolve_at)
            if (yield from self._confirm()):
                return
            resolve_at = self.during(self.after(2 * _HOUR, 8 * _HOUR), RESOLVING_HOURS)

    def _log_complaint(self) -> cc.LogComplaint:
        plan = self.plan
        valid = plan.matter if isinstance(plan.matter, ComplaintMatter) else None
        return cc.LogComplaint(
            actor=self.desk(plan.arrival), ticket_id=plan.ticket_id, channel=plan.channel,
            occurred_at=plan.occurred_at, place=plan.place,
            person_complained_about=valid.about if valid else None,
            department_complained_about=valid.unit if valid else None,
            what_happened=plan.what_happened, demands=plan.matter.demands,
            complainant=plan.complainant, preferred_reply_time=plan.preferred_reply_time,
            immediate_measures=valid.immediate_measures if valid else None,
        )  # fmt: skip

    # -- C2, C6, C12: an invalid complaint

    def _close_as_invalid(self, matter: InvalidMatter) -> SubStory:
        """Found not to be the company's matter: explained, helped anyway, closed (无效投诉)."""
        t, service = self.ticket, self.cast.service.id
        at = self.during(self.after(10, 40), OFFICE_HOURS)
        classify = cc.ClassifyComplaint(
            ticket_id=t, actor=service, valid=False, complaint_type=matter.subject
        )
        yield self.step(at, classify)
        answer = cc.GiveAnswer(ticket_id=t, actor=service, answer=matter.answer)
        yield self.step(self.after(10, 90), answer)
        close = cc.CloseAsInvalid(
            ticket_id=t, actor=service, help_offered=matter.help_offered,
            remarks=INVALID_REMARKS,
        )  # fmt: skip
        yield self.step(self.after(5, 60), close)

    # -- C2–C4: graded, routed, contacted

    def _classify(self, matter: ComplaintMatter) -> SubStory:
        """C2: customer service grades it and a leader confirms the unit and time limit."""
        urgent = self.twist is _T.URGENT
        at = self.after(1, 4) if urgent else self.during(self.after(10, 40), OFFICE_HOURS)
        if self.twist is _T.OVERDUE:
            self.deadline = self.cast.cast.local(self.local_date(at) + timedelta(days=1), 12)
        classify = cc.ClassifyComplaint(
            ticket_id=self.ticket, actor=self.cast.service.id, severity=matter.severity,
            urgent=urgent, big_problem=self.twist is _T.BIG_PROBLEM,
            complaint_type=matter.subject, liability=matter.liability,
            responsible_unit=matter.unit, handling_deadline=self.deadline,
            confirmed_by=self.cast.confirmer(matter.severity).id,
        )  # fmt: skip
        yield self.step(at, classify)

    def _route(self, matter: ComplaintMatter) -> SubStory:
        """C3 and C4: passed to the handler, who contacts the complainant at once."""
        t, handler = self.ticket, self.handler
        if self.twist is _T.URGENT:
            slow = self.rng.random() < SLOW_ROUTING
            at = self.after(4, 8) if slow else self.after(1, 3.5)
        else:
            at = self.after(5, 35)
        told = self.cast.must_know(matter.severity, handler)
        route = cc.RouteComplaint(
            ticket_id=t, actor=self.cast.service.id, to=handler, notified=told
        )
        yield self.step(at, route)
        soon = (2, 10) if self.twist is _T.URGENT else (5, 45)
        contact = cc.ContactCustomer(
            ticket_id=t, actor=handler,
            channel=self.rng.choice((ContactChannel.PHONE, ContactChannel.IN_PERSON)),
            clarified=self.rng.choice(CLARIFICATIONS),
        )  # fmt: skip
        yield self.step(self.during(self.after(*soon), SUPERVISOR_HOURS), contact)

    # -- C5–C7, C11: handling until it can be resolved

    def _handle(self, matter: ComplaintMatter) -> Generator[Step, CommandResult, datetime]:
        """Answer, plan, deferral or overdue escalation; returns when it will be resolved."""
        t, handler = self.ticket, self.handler
        quick = self.twist is _T.URGENT
        at = self.during(self.after(10, 40) if quick else self.after(30, 180), SUPERVISOR_HOURS)
        yield self.step(at, cc.GiveAnswer(ticket_id=t, actor=handler, answer=matter.answer))
        resolve_at: datetime | None = None
        if self.twist is _T.DEFERRED and matter.deferral is not None:
            deferral = matter.deferral
            day = self.local_date(self.now()) + timedelta(days=self.rng.randint(*deferral.days))
            expected = self.cast.cast.local(day, 17)
            defer = cc.DeferComplaint(
                ticket_id=t, actor=handler, reason=deferral.reason, plan=deferral.plan,
                expected_date=expected, customer_understanding=True,
                reported_to=self.cast.superior_of(handler).id,
            )  # fmt: skip
            yield self.step(self.during(self.after(10, 120), SUPERVISOR_HOURS), defer)
            resolve_at = self.after(-6 * _HOUR, -30, since=expected)
        if matter.plan is not None:
            plan = matter.plan
            approver = self.cast.approver(matter.severity, handler).id
            approve = cc.ApprovePlan(
                ticket_id=t, actor=approver, cause=plan.cause,
                corrective_measures=plan.measures, remedy_plan=plan.remedy, cost=plan.cost,
            )  # fmt: skip
            yield self.step(self.during(self.after(30, 6 * _HOUR), OFFICE_HOURS), approve)
        if self.deadline is not None:
            at = self.during(self.after(20, 90, since=max(self.deadline, self.now())), OFFICE_HOURS)
            yield self.step(at, cc.EscalateOverdue(ticket_id=t, actor=self.cast.service.id))
            resolve_at = self.during(self.after(_HOUR, 4 * _HOUR), RESOLVING_HOURS)
        return max(resolve_at or self._resolution_time(matter), self.after(10, 30))

    def _resolution_time(self, matter: ComplaintMatter) -> datetime:
        """When the handler will solve it, from now, by its grade: mostly in time (T37–T41)."""
        if self.twist is _T.URGENT:
            return self.during(self.after(30, 180), URGENT_HOURS)
        if self.twist is _T.REOPENED:
            # resolved quickly, too quickly: the complainant will say it is not solved
            low, high = _HOUR, 6 * _HOUR
        elif self.twist is _T.BIG_PROBLEM:
            low, high = 1.5 * _DAY, 3.5 * _DAY
        elif matter.severity is ComplaintSeverity.MAJOR:
            low, high = _DAY, 3 * _DAY
        elif self.rng.random() < SLOW_RESOLUTION:
            low, high = 40 * _HOUR, 60 * _HOUR
        else:
            low, high = _HOUR, 20 * _HOUR
        return self.during(self.after(low, high), RESOLVING_HOURS)

    # -- C8–C10: resolved, reported, confirmed

    def _resolve(self, matter: ComplaintMatter, at: datetime) -> SubStory:
        """C8 and C9: resolved, and the result phoned to the complainant the same day."""
        t = self.ticket
        resolve = cc.ResolveComplaint(ticket_id=t, actor=self.handler, outcome=matter.outcome)
        yield self.step(at, resolve)
        if self.rng.random() < LATE_REPORT:
            morning = self.local_date(self.now()) + timedelta(days=1)
            at = self.after(0, 3 * _HOUR, since=self.cast.cast.local(morning, 9))
        else:
            at = self.during(self.after(15, 120), REPORTING_HOURS)
        report = cc.ReportResult(
            ticket_id=t, actor=self.desk(at), result=matter.outcome,
            channel=self.rng.choice((ContactChannel.PHONE, ContactChannel.IN_PERSON)),
        )  # fmt: skip
        yield self.step(at, report)

    def _confirm(self) -> Generator[Step, CommandResult, bool]:
        """C10: the close-out call a day or two later; True when the complaint is closed."""
        days = self.rng.choices((1, 2), weights=(85, 15))[0]
        opens = self.cast.cast.local(
            self.local_date(self.now()) + timedelta(days=days),
            CALLBACK_HOURS[0].hour, CALLBACK_HOURS[0].minute,
        )  # fmt: skip
        at = self.after(0, 7 * _HOUR, since=opens)
        t, service = self.ticket, self.cast.service.id
        if self.twist is _T.REOPENED and not self.reopened:
            self.reopened = True
            reopen = cc.ConfirmResolution(
                ticket_id=t, actor=service, solved=False,
                satisfaction=ComplaintSatisfaction.UNSATISFIED,
                problem=self.rng.choice(REOPEN_PROBLEMS),
            )  # fmt: skip
            yield self.step(at, reopen)
            return False
        close = cc.ConfirmResolution(
            ticket_id=t, actor=service, solved=True, satisfaction=self.rng.choice(_SATISFIED),
            correction_effect=self.rng.choice(CONFIRMED_EFFECTS),
        )  # fmt: skip
        yield self.step(at, close)
        return True

    # -- time and people

    @property
    def handler(self) -> str:
        """Who the complaint is routed to."""
        return self.plan.handler

    def now(self) -> datetime:
        """The simulated time."""
        return self.engine.now()

    def after(self, low: float, high: float, *, since: datetime | None = None) -> datetime:
        """A moment between ``low`` and ``high`` minutes after ``since`` (default: now)."""
        return minutes_after(self.rng, since or self.now(), low, high)

    def during(self, at: datetime, hours: tuple[time, time]) -> datetime:
        """``at`` if it falls in the daily ``hours``, else soon after their next opening.

        Work left overnight is picked up within the first hour and a half, not all at once.
        """
        opening = self.cast.cast.within(at, *hours)
        return at if opening == at else self.after(0, 90, since=opening)

    def local_date(self, at: datetime) -> date:
        """The estate's date at ``at``."""
        return at.astimezone(self.cast.cast.zone).date()

    def desk(self, at: datetime) -> str:
        """The id of the notifier on duty at ``at``, who receives and reports (客服中心)."""
        return self.cast.cast.notifier_at(at).id

    def step(self, at: datetime, command: Command) -> Step:
        """The step that asks the desk to execute ``command`` at ``at``."""
        return Step(at, command)
