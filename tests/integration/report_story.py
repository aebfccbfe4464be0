"""Stories for the report tests: tickets' steps written one ticket at a time, played in order.

A report test needs tickets that took chosen paths on chosen days. A :class:`Story` collects
each ticket's steps (a command and the local time it happens) as the test writes them, then
plays them all on one desk in time order, setting a manual clock before each step, as a day
at the desk would. Tickets get ids from their names (:func:`ticket_id`), so a test can say
which tickets it expects a report to list, and read a report's ids back as names.

::

    story = Story()
    fixed = story.repair("fixed", local(25, "09:00"))
    fixed.dispatch(local(25, "09:02"), "tech-zhang")
    fixed.repaired("tech-zhang", local(25, "09:10"), local(25, "09:15"), local(25, "11:00"))
    story.play(url)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import propdesk as p
from propdesk.testing import SHANGHAI, ManualClock, new_complaint, new_repair, sample_organisation

HOME, OTHER = "cuiyuan", "lanting"
"""The sample estate 翠苑花园, and a second estate with the same people (兰亭苑)."""
SIGNED = {"customer_signature_ref": "sig-owner", "outcome": "修好了，试水正常"}
VERIFIED = {"supervisor_signature_ref": "sig-sup", "result_notified_to": ("客服部",)}
NAMES: dict[str, str] = {}
"""Every story ticket's id, as the reports print it, back to its name."""


def local(day: int, hhmm: str, month: int = 11) -> datetime:
    """``hhmm`` on ``day`` of ``month`` 2026 at the estate (Asia/Shanghai)."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime(2026, month, day, hours, minutes, tzinfo=SHANGHAI)


def ticket_id(name: str) -> UUID:
    """The id of the story ticket called ``name``."""
    found = uuid5(NAMESPACE_URL, f"propdesk-tests/reports/{name}")
    NAMES[str(found)] = name
    return found


def named(ids: list[str]) -> list[str]:
    """Ticket ids as the story named them."""
    return [NAMES[ticket] for ticket in ids]


def other_estate() -> p.Organisation:
    """兰亭苑 (``lanting``): the sample estate's people, under another estate's name."""
    return sample_organisation().model_copy(update={"estate": OTHER, "name": "兰亭苑"})


@dataclass
class Story:
    """Steps written ticket by ticket, played on one desk in time order."""

    steps: list[tuple[datetime, p.Command]] = field(default_factory=list)

    def repair(self, name: str, logged: datetime, by: str = "desk-huang", **fields: Any) -> Ticket:
        """A repair logged at ``logged`` (at 翠苑花园 unless ``estate`` says otherwise)."""
        fields.setdefault("estate", HOME)
        self.steps.append((logged, new_repair(ticket_id=ticket_id(name), actor=by, **fields)))
        return Ticket(self, ticket_id(name))

    def complaint(
        self, name: str, received: datetime, by: str = "desk-huang", **fields: Any
    ) -> Ticket:
        """A complaint received at ``received``, about something an hour before."""
        fields.setdefault("estate", HOME)
        fields.setdefault("occurred_at", received - timedelta(hours=1))
        self.steps.append((received, new_complaint(ticket_id=ticket_id(name), actor=by, **fields)))
        return Ticket(self, ticket_id(name))

    def play(self, url: str) -> None:
        """Executes every step on a desk at ``url`` serving both estates, in time order.

        Steps at the same time keep the order they were written in.
        """
        clock = ManualClock(min(when for when, _ in self.steps))
        organisations = [sample_organisation(), other_estate()]
        with p.open_desk(url, organisations=organisations, clock=clock) as desk:
            for when, command in sorted(self.steps, key=lambda step: step[0]):
                clock.set(when)
                desk.execute(command)


@dataclass
class Ticket:
    """One ticket of a story; each step is a time, a command class and its fields."""

    story: Story
    id: UUID

    def then(self, when: datetime, command: type[p.TicketCommand], **fields: Any) -> Ticket:
        """Adds one step."""
        self.story.steps.append((when, command(ticket_id=self.id, **fields)))
        return self

    def dispatch(self, when: datetime, acceptor: str, by: str = "desk-huang") -> Ticket:
        """Dispatched to ``acceptor`` (also a revisit or a rework)."""
        return self.then(when, p.Dispatch, actor=by, acceptor=acceptor)

    def refused(self, by: str, when: datetime, reason: str, escalated: datetime) -> Ticket:
        """Refused by the acceptor ``by``, then escalated to ``by``'s superior."""
        self.then(when, p.Refuse, actor=by, reason=reason)
        return self.then(escalated, p.Escalate, actor="desk-huang")

    def repaired(
        self, by: str, arrived: datetime, started: datetime, completed: datetime, fee: str = "0"
    ) -> Ticket:
        """The acceptor ``by`` arrived, started and completed the work."""
        self.then(arrived, p.ReportArrival, actor=by)
        self.then(started, p.StartRepair, actor=by, customer_agreed_to_charge=True)
        return self.then(completed, p.Complete, actor=by, fee=Decimal(fee), **SIGNED)

    def handed_in(
        self, by: str, supervisor: str, submitted: datetime, verified: datetime
    ) -> Ticket:
        """Submitted to ``supervisor``, who verified it: the callback window opens."""
        self.then(submitted, p.Submit, actor=by, supervisor=supervisor)
        return self.then(verified, p.Verify, actor=supervisor, **VERIFIED)

    def called_back(self, when: datetime, rating: int, **fields: Any) -> Ticket:
        """Called back by cs-he: satisfied unless a ``problem`` is given."""
        fields.setdefault("satisfied", "problem" not in fields)
        return self.then(when, p.RecordCallback, actor="cs-he", rating=rating, **fields)
