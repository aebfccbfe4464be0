"""A request's whole story (R1–R23), from logging to closing.

Logged; costed and quoted if outside the price list; visited until the work is done (see
:mod:`propdesk.demo.visit`); then submitted, verified, leak-tested, called back and closed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from propdesk.demo.cast import CALLBACK_HOURS, SUPERVISOR_HOURS
from propdesk.demo.catalogue import (
    CALLBACK_PROBLEMS,
    CALLBACK_REMARKS,
    NOT_REPAIRABLE,
    QUOTE_DECLINES,
)
from propdesk.demo.plans import Twist
from propdesk.demo.visit import Visit, Visits
from propdesk.domain import commands as c
from propdesk.domain.values import RepairCategory, Role

if TYPE_CHECKING:
    from collections.abc import Generator

    from propdesk.application.views import CommandResult
    from propdesk.demo.engine import Process, Step
    from propdesk.demo.tale import SubStory


class Story(Visits):
    """One request's path through the desk, as a :data:`~propdesk.demo.engine.Process`."""

    # -- the whole story

    def run(self) -> Process:
        """Logs the request and follows it until it closes or the horizon stops it."""
        yield self.step(self.plan.arrival, self._log_repair())
        if not self.plan.item.in_price_list:
            accepted = yield from self._cost_review()
            if not accepted:
                return
        when = self._first_dispatch_time()
        while True:
            visit = yield from self._visit(when)
            if visit is Visit.DECLINED:
                return
            if visit is Visit.RESCHEDULED:
                due = self.engine.view(self.ticket).redispatch_due_at or self.now()
                # the desk mostly re-dispatches on the T-30 reminder, now and then a little late
                when = max(self.now(), self.after(-8, 2, since=due))
                continue
            if visit is Visit.NOBODY_HOME:
                when = self._revisit_time()
                continue
            satisfied = yield from self._follow_up()
            if satisfied:
                yield from self._close()
                return
            when = self.cast.within(self.after(20, 60), time(8), time(20))

    def _log_repair(self) -> c.LogRepair:
        plan = self.plan
        return c.LogRepair(
            actor=self.notifier(plan.arrival),
            ticket_id=plan.ticket_id,
            channel=plan.channel,
            scope=plan.item.scope,
            category=plan.item.category,
            unit=plan.unit,
            description=plan.item.description,
            owner=plan.owner,
            in_price_list=plan.item.in_price_list,
            price_item=plan.item.price_item,
            paid=plan.paid,
            appointment=plan.appointment,
        )

    def _first_dispatch_time(self) -> datetime:
        if self.plan.appointment is not None:
            return max(self.after(1, 3), self.after(-35, -25, since=self.plan.appointment))
        return self.after(1, 3)

    def _revisit_time(self) -> datetime:
        """The owner is expected back in two to four hours; late evenings wait for morning."""
        back = self.after(120, 240)
        if back.astimezone(self.cast.zone).hour >= 21:  # noqa: PLR2004 - no visits after 9 pm
            morning = back.astimezone(self.cast.zone).date() + timedelta(days=1)
            return self.after(0, 90, since=self.cast.local(morning, 9))
        return back

    # -- R3–R5: items outside the price list

    def _cost_review(self) -> Generator[Step, CommandResult, bool]:
        """Cost review, then a quote the resident takes or leaves; True when work goes ahead."""
        t, plan = self.ticket, self.plan
        supervisor = self.cast.supervisor_of(plan.technician).id
        at = self.cast.within(self.after(3, 10), *SUPERVISOR_HOURS)
        yield self.step(at, c.StartCostReview(ticket_id=t, actor=supervisor))
        if plan.twist is Twist.NOT_REPAIRABLE:
            reason = self.rng.choice(NOT_REPAIRABLE)
            command = c.DeclareNotRepairable(ticket_id=t, actor=supervisor, reason=reason)
            yield self.step(self.after(5, 14), command)
            return False
        feasibility = "可以维修,需订购配件,约半天完成"
        quote = c.Quote(
            ticket_id=t, actor=supervisor, amount=plan.item.fee, feasibility=feasibility
        )
        yield self.step(self.after(5, 14), quote)
        at = self.after(15, 120)
        if plan.twist is Twist.QUOTE_DECLINED:
            reason = self.rng.choice(QUOTE_DECLINES)
            yield self.step(at, c.DeclineQuote(ticket_id=t, actor=self.notifier(at), reason=reason))
            return False
        accept = c.AcceptQuote(ticket_id=t, actor=self.notifier(at), amount=plan.item.fee)
        yield self.step(at, accept)
        return True

    # -- R19–R23: after the work

    def _follow_up(self) -> Generator[Step, CommandResult, bool]:
        """Submit, verify, leak test, callback; True when the customer is satisfied."""
        t = self.ticket
        view = self.engine.view(t)
        acceptor = view.acceptor or self.plan.technician
        reviewer = self.cast.reviewer(self.plan.technician, acceptor).id
        yield self.step(
            self.after(10, 40), c.Submit(ticket_id=t, actor=acceptor, supervisor=reviewer)
        )
        verify = c.Verify(
            ticket_id=t, actor=reviewer, supervisor_signature_ref=self.signature(reviewer),
            result_notified_to=("客服中心", "业主"),
        )  # fmt: skip
        yield self.step(self.cast.within(self.after(15, 90), *SUPERVISOR_HOURS), verify)
        if self.plan.item.category is RepairCategory.LEAK:
            person = self.cast.organisation.person(acceptor)
            tester = acceptor if person and person.has(Role.TECHNICIAN) else reviewer
            at = self.cast.within(self.after(60, 180), time(8), time(20))
            test = c.RecordLeakTest(ticket_id=t, actor=tester, result="闭水试验两小时,无渗漏")
            yield self.step(at, test)
        satisfied = yield from self._callback()
        return satisfied

    def _callback(self) -> Generator[Step, CommandResult, bool]:
        """R22/R23: customer service calls back, usually the next day."""
        days = self.rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        day = self.now().astimezone(self.cast.zone).date() + timedelta(days=days)
        opens = self.cast.local(day, CALLBACK_HOURS[0].hour, CALLBACK_HOURS[0].minute)
        at = self.after(0, 8 * 60, since=opens)
        unhappy = self.plan.twist is Twist.UNHAPPY_CALLBACK and (
            self.reworks == 0 or (self.reworks == 1 and self.rng.random() < 0.2)  # noqa: PLR2004 - a second rework is rare
        )
        actor = self.cast.callback_staff.id
        if unhappy:
            self.reworks += 1
            callback = c.RecordCallback(
                ticket_id=self.ticket, actor=actor, satisfied=False,
                rating=self.rng.randint(1, 2), problem=self.rng.choice(CALLBACK_PROBLEMS),
            )  # fmt: skip
        else:
            callback = c.RecordCallback(
                ticket_id=self.ticket, actor=actor, satisfied=True,
                rating=self.rng.choice((4, 5, 5)), remarks=self.rng.choice(CALLBACK_REMARKS),
            )  # fmt: skip
        yield self.step(at, callback)
        return not unhappy

    def _close(self) -> SubStory:
        """Closes after the satisfied callback.

        Fees reach finance by the next morning and callbacks start at 09:30, so any fee is
        settled by now; if it were not, the desk would refuse to close (a bug in the demo).
        """
        close = c.Close(
            ticket_id=self.ticket, actor=self.cast.callback_staff.id, remarks="回访满意"
        )
        yield self.step(self.after(2, 15), close)
