"""One dispatch round of a request's story (R2, R6–R17) and how it ended (:class:`Visit`).

Dispatch, refusals up the chain, a new time agreed, arrival, knocks at the door, and the repair
itself, which starts the fee's own story when there is a fee.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from propdesk.demo.catalogue import (
    COMPLAINTS,
    EXTRA_PARTS,
    ON_SITE_DECLINES,
    SUPERVISOR_EXCUSES,
    TECHNICIAN_EXCUSES,
)
from propdesk.demo.fees import FeeStory
from propdesk.demo.plans import AT_HOME_TWISTS, REFUSALS, Twist
from propdesk.demo.tale import SubStory, Tale
from propdesk.domain import commands as c
from propdesk.domain.lifecycle import RepairState

if TYPE_CHECKING:
    from collections.abc import Generator

    from propdesk.application.views import CommandResult
    from propdesk.demo.engine import Step


class Visit(StrEnum):
    """How one dispatch round ended."""

    COMPLETED = "completed"
    RESCHEDULED = "rescheduled"
    NOBODY_HOME = "nobody_home"
    DECLINED = "declined"


class Visits(Tale):
    """The dispatch rounds of a story; :class:`~propdesk.demo.story.Story` runs them."""

    def _visit(self, when: datetime) -> Generator[Step, CommandResult, Visit]:
        t, first = self.ticket, self.first_visit
        self.first_visit = False
        view = self.engine.view(t)
        acceptor = view.appointment_with if view.reschedule_kind else self.plan.technician
        revisit = view.state is RepairState.AWAITING_REVISIT
        dispatch = c.Dispatch(
            ticket_id=t, actor=self.notifier(when), acceptor=acceptor or self.plan.technician,
            owner_contacted_beforehand=revisit,
        )  # fmt: skip
        yield self.step(when, dispatch)
        if first and self.plan.twist in REFUSALS:
            nobody_can_go = yield from self._refusal_chain()
            if nobody_can_go:
                yield from self._negotiate()
                return Visit.RESCHEDULED
        acceptor = self.engine.view(t).acceptor or self.plan.technician
        yield from self._arrive(acceptor)
        if first and self.plan.twist in AT_HOME_TWISTS:
            outcome = yield from self._at_the_door(acceptor)
            if outcome is not None:
                return outcome
        yield from self._repair(acceptor)
        return Visit.COMPLETED

    def _refusal_chain(self) -> Generator[Step, CommandResult, bool]:
        """R6–R7: refusals climb the chain; True when the project manager finds nobody."""
        t = self.ticket
        for _ in range(REFUSALS[self.plan.twist]):
            view = self.engine.view(t)
            if view.at_top_of_chain or view.acceptor is None:
                break
            excuses = SUPERVISOR_EXCUSES if view.escalation_level else TECHNICIAN_EXCUSES
            refusal = c.Refuse(ticket_id=t, actor=view.acceptor, reason=self.rng.choice(excuses))
            yield self.step(self.after(0.5, 2), refusal)
            at = self.after(1, 3)
            yield self.step(at, c.Escalate(ticket_id=t, actor=self.notifier(at)))
        view = self.engine.view(t)
        no_staff = (Twist.NO_STAFF_SAME_DAY, Twist.NO_STAFF_AFTER_SHIFT)
        if not (view.at_top_of_chain and self.plan.twist in no_staff):
            return False
        manager = view.acceptor or ""
        yield self.step(self.after(3, 10), c.ConfirmNoStaff(ticket_id=t, actor=manager))
        return True

    def _negotiate(self) -> SubStory:
        """R8–R10: the owner may complain; a new time is agreed."""
        t = self.ticket
        if self.rng.random() < 0.5:  # noqa: PLR2004 - half the owners complain
            at = self.after(2, 8)
            complaint = c.RecordOwnerComplaint(
                ticket_id=t, actor=self.notifier(at), complaint=self.rng.choice(COMPLAINTS),
                sent_staff=self.cast.callback_staff.id,
            )  # fmt: skip
            yield self.step(at, complaint)
        at = self.after(5, 20)
        reschedule = c.Reschedule(
            ticket_id=t, actor=self.notifier(at), new_time=self._new_time(at), owner_agreed=True
        )
        yield self.step(at, reschedule)

    def _new_time(self, at: datetime) -> datetime:
        """Later today within the notifier's shift, or after it (this evening or tomorrow)."""
        local = at.astimezone(self.cast.zone)
        shift_end = self.cast.notifier_at(at).shift_end
        if self.plan.twist is Twist.NO_STAFF_SAME_DAY and shift_end is not None:
            latest = datetime.combine(local.date(), shift_end, tzinfo=self.cast.zone)
            earliest = local + timedelta(minutes=60)
            if earliest < latest - timedelta(minutes=30):
                return _round_up(
                    self.after(0, (latest - earliest).seconds / 60 - 30, since=earliest)
                )
        if self.rng.random() < 0.4 and local.hour < 18:  # noqa: PLR2004 - owners home at night
            return self.cast.local(local.date(), 19, self.rng.choice((0, 30)))
        return self.cast.local(local.date() + timedelta(days=1), self.rng.choice((9, 10, 14)))

    def _arrive(self, acceptor: str) -> SubStory:
        """R12: arrives at the promised time, or late now and then."""
        view = self.engine.view(self.ticket)
        promised = view.promised_arrival or self.now()
        late_odds = 0.3 if view.escalation_level else 0.12
        if self.rng.random() < late_odds:
            at = self.after(1, 25, since=promised)
        else:
            at = max(self.after(-6, 0, since=promised), self.after(2, 3))
        yield self.step(at, c.ReportArrival(ticket_id=self.ticket, actor=acceptor))

    def _at_the_door(self, acceptor: str) -> Generator[Step, CommandResult, Visit | None]:
        """R13 and R17: knocks nobody answers, or a resident who declines the work."""
        t, rules = self.ticket, self.engine.desk.rules
        if self.plan.twist is Twist.DECLINED_ON_SITE:
            supervisor = self.cast.supervisor_of(self.plan.technician).id
            decline = c.DeclineOnSite(
                ticket_id=t, actor=acceptor, reason=self.rng.choice(ON_SITE_DECLINES),
                supervisor=supervisor, technician_signature_ref=self.signature(acceptor),
                supervisor_signature_ref=self.signature(supervisor),
            )  # fmt: skip
            yield self.step(self.after(5, 12), decline)
            return Visit.DECLINED
        yield self.step(self.after(0.5, 1.5), c.KnockUnanswered(ticket_id=t, actor=acceptor))
        wait = rules.door_knock_wait.total_seconds() / 60
        if self.plan.twist is Twist.DOOR_ANSWERED_LATE:
            yield self.step(self.after(wait, wait + 3), c.DoorAnswered(ticket_id=t, actor=acceptor))
            return None
        for _ in range(rules.door_knock_attempts - 1):
            knock = c.KnockUnanswered(ticket_id=t, actor=acceptor)
            yield self.step(self.after(wait, wait + 3), knock)
        leave = c.LeaveForRevisit(
            ticket_id=t, actor=acceptor,
            informed_supervisor=self.cast.supervisor_of(self.plan.technician).id,
            informed_customer_service=self.rng.choice(
                (self.cast.day_notifier.id, self.cast.callback_staff.id)
            ),
        )  # fmt: skip
        yield self.step(self.after(0.5, 2), leave)
        return Visit.NOBODY_HOME

    def _repair(self, acceptor: str) -> SubStory:
        """R15–R18: maybe a different item, then the work and the customer's signature."""
        t, plan = self.ticket, self.plan
        fee = plan.item.fee if plan.paid and self.reworks == 0 else Decimal(0)
        if fee and self.rng.random() < 0.1:  # noqa: PLR2004 - one in ten differs on site
            part, extra = self.rng.choice(EXTRA_PARTS)
            fee += extra
            amend = c.AmendItem(
                ticket_id=t, actor=acceptor, actual_item=f"{plan.item.price_item}及更换{part}",
                charge_standard=fee,
            )  # fmt: skip
            yield self.step(self.after(2, 5), amend)
        start = c.StartRepair(ticket_id=t, actor=acceptor, customer_agreed_to_charge=True)
        yield self.step(self.after(2, 6), start)
        started = self.now()
        if self.rng.random() < 0.2:  # noqa: PLR2004 - the desk checks one visit in five
            yield from self._check_arrival()
        minutes = plan.item.minutes * self.rng.uniform(0.7, 1.5)
        outcome = "返工处理完毕" if self.reworks else f"已{plan.item.price_item},试用正常"
        complete = c.Complete(
            ticket_id=t, actor=acceptor, outcome=outcome,
            customer_signature_ref=self.signature("owner"), fee=fee,
        )  # fmt: skip
        yield self.step(max(self.after(1, 2), started + timedelta(minutes=minutes)), complete)
        if fee:
            seed = self.rng.getrandbits(64)
            fees = FeeStory(self.engine, self.cast, t, collector=acceptor, amount=fee, seed=seed)
            self.engine.start(fees.run())

    def _check_arrival(self) -> SubStory:
        """R12a: the notifier asks the reporter; now and then they disagree with the acceptor."""
        on_time = bool(self.engine.view(self.ticket).arrived_on_time)
        if self.rng.random() < 0.15:  # noqa: PLR2004 - a few reporters remember otherwise
            on_time = not on_time
        at = self.after(1, 4)
        check = c.CheckArrival(
            ticket_id=self.ticket, actor=self.notifier(at), reporter_says_on_time=on_time
        )
        yield self.step(at, check)


def _round_up(moment: datetime, minutes: int = 10) -> datetime:
    """``moment`` rounded up to the next multiple of ``minutes`` past the hour."""
    extra = -moment.minute % minutes
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=extra or minutes)
