"""The outbox: every notification the tickets' events call for, written once, sent at least once.

Notifications follow from stored events, not from what a worker believes it did: a warning
recorded (``GoalWarned``), a breach (``GoalBreached``), a dispatch that climbed because nobody
arrived (``Escalated`` with cause ``overdue``), a re-dispatch the worker made (``Dispatched``
by the worker's actor), a complaint passed to the office head (``OverdueEscalated``), and a
callback raised (``CallbackRaised``). :class:`Outbox` is a projection: a catch-up writes one
row per event and recipient, in the same transaction as its position, so each is written
exactly once however often workers die. It is never rebuilt (a rebuild would send everything
again) and starts at the head of the store when first created (a new worker does not send
a year of old news). Replaying a ticket's history writes nothing.

:mod:`propdesk.worker.sending` delivers the rows whose time has come.

Quiet hours hold a notification back until they end, in the estate's time zone, except the
breaches (and escalations) of urgent goals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from propdesk.domain.values import Role
from propdesk.projections.base import Projection, id_of, insert_rows, ticket_kind
from propdesk.projections.columns import Instant
from propdesk.worker.notifiers import Notice

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import time

    from sqlalchemy import Connection

    from propdesk.domain.organisation import Organisation, Person
    from propdesk.domain.sla_policy import Policy
    from propdesk.domain.ticket import Ticket

OUTBOX = "propdesk_outbox"
_NOTIFYING = frozenset({"GoalWarned", "GoalBreached", "Escalated", "Dispatched",
                        "OverdueEscalated", "CallbackRaised"})  # fmt: skip

Row = dict[str, Any]


@dataclass(frozen=True)
class Audience:
    """Who hears of what: the estates' people, the policy's roles, the quiet hours."""

    organisations: Mapping[str, Organisation]
    """By estate."""
    estate_of: Callable[[str], str | None]
    """A ticket's estate, by ticket id (the desk knows)."""
    worker_actor: str
    policy: Policy | None = None
    """For the roles a warning goes to (a breach names its own)."""
    urgent_goals: frozenset[str] = frozenset()
    quiet_start: time | None = None
    quiet_end: time | None = None

    def people(self, estate: str, role: Role) -> list[Person]:
        """The estate's people who hold ``role`` (the estate is one the worker serves)."""
        return [person for person in self.organisations[estate].people if person.has(role)]

    def person(self, estate: str, person_id: str) -> Person | None:
        """One of the estate's people, by id."""
        return self.organisations[estate].person(person_id)

    def not_before(self, estate: str, at: datetime, *, urgent: bool) -> datetime:
        """When a notice about something at ``at`` may go out: at once, or when quiet ends."""
        if urgent or self.quiet_start is None or self.quiet_end is None:
            return at
        local = at.astimezone(ZoneInfo(self.organisations[estate].zone))
        start, end, now = self.quiet_start, self.quiet_end, local.time()
        overnight = start > end
        quiet = (now >= start or now < end) if overnight else (start <= now < end)
        if not quiet:
            return at
        ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if ends <= local:
            ends += timedelta(days=1)
        return ends.astimezone(at.tzinfo)


class Outbox(Projection):
    """One row per notification the events call for (never rebuilt)."""

    name = "outbox"
    rebuildable = False

    def __init__(self, audience: Audience) -> None:
        self.audience = audience

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        """One table, keyed by the notice's key; indexed by what is still to send."""
        suffix = f"{OUTBOX}_g{generation}"
        table = Table(suffix, metadata, *_columns())
        unsent = table.c.sent_at.is_(None) & table.c.failed_at.is_(None)
        Index(f"ix_{suffix}_to_send", table.c.next_attempt_at,
              sqlite_where=unsent, postgresql_where=unsent)  # fmt: skip
        return {OUTBOX: table}

    def apply(
        self, connection: Connection, tables: dict[str, Table], events: Sequence[Ticket.Event]
    ) -> None:
        """Writes the notices of the batch's events."""
        rows: dict[str, Row] = {}
        for event in events:
            if type(event).__name__ in _NOTIFYING:
                for notice in notices_of(event, self.audience):
                    rows[notice.key] = _row(notice, self.audience)
        insert_rows(connection, tables[OUTBOX], rows.values())


def notices_of(event: Ticket.Event, audience: Audience) -> list[Notice]:
    """The notices one event calls for (none for most events)."""
    name, fields = type(event).__name__, vars(event)
    if name == "Escalated" and fields.get("cause") != "overdue":
        return []  # a refusal's escalation: the desk made it, by phone
    if name == "Dispatched" and fields.get("actor") != audience.worker_actor:
        return []  # the desk's own dispatch
    ticket = id_of(event)
    estate = audience.estate_of(ticket)
    if estate is None or estate not in audience.organisations:
        return []  # no such ticket, or an estate this worker does not serve: nobody to tell
    goal = fields.get("goal") or fields.get("overdue_goal")
    urgent = goal in audience.urgent_goals and name in ("GoalBreached", "Escalated")
    recipients = _recipients(name, fields, estate, audience)
    due_at = fields.get("due_at") or fields.get("overdue_due_at")
    text = _text(name, ticket, estate, goal, fields)
    notices = []
    for person, role in recipients:
        notices.append(Notice(
            key=f"{ticket}:{event.originator_version}:{person.id}", ticket_id=ticket,
            kind=ticket_kind(event), estate=estate, event=name, goal=goal, due_at=due_at,
            recipient=person.id, recipient_name=person.name, role=role, urgent=urgent,
            text=text, happened_at=event.timestamp,
        ))  # fmt: skip
    return notices


def _recipients(
    name: str, fields: Mapping[str, Any], estate: str, audience: Audience
) -> list[tuple[Person, str]]:
    """Each person to tell, once, with the reason (a role, ``acceptor`` or ``office_head``)."""
    named: list[tuple[Person | None, str]] = []
    roles: list[str] = []
    if name == "GoalWarned":
        policy, goal = audience.policy, str(fields["goal"])
        known = policy is not None and policy.has_goal(goal)
        roles = [r.value for r in policy.goal(goal).notify] if policy and known else []
        roles = roles or [Role.CUSTOMER_SERVICE.value]
    elif name == "GoalBreached":
        roles = list(fields["notify"]) or [Role.CUSTOMER_SERVICE.value]
    elif name in ("Escalated", "Dispatched"):
        named.append((audience.person(estate, str(fields["acceptor"])), "acceptor"))
        roles = [Role.NOTIFIER.value]
    elif name == "OverdueEscalated":
        named.append((audience.person(estate, str(fields["to"])), Role.OFFICE_HEAD.value))
    elif name == "CallbackRaised":
        roles = [Role.CUSTOMER_SERVICE.value]
    for role in roles:
        named.extend((person, role) for person in audience.people(estate, Role(role)))
    seen: set[str] = set()
    found = []
    for person, role in named:
        if person is not None and person.id not in seen:
            seen.add(person.id)
            found.append((person, role))
    return found


def _text(name: str, ticket: str, estate: str, goal: Any, fields: Mapping[str, Any]) -> str:  # noqa: ANN401 - a field
    short = ticket[:8]
    what = {
        "GoalWarned": f"{goal} is close to its deadline",
        "GoalBreached": f"{goal} missed its deadline",
        "Escalated": f"nobody arrived in time ({goal}); now dispatched to {fields.get('acceptor')}",
        "Dispatched": f"re-dispatched to {fields.get('acceptor')} for the rescheduled visit",
        "OverdueEscalated": f"overdue ({fields.get('reason')}); passed to {fields.get('to')}",
        "CallbackRaised": "a callback (回访) is due",
    }[name]
    due = fields.get("due_at") or fields.get("overdue_due_at")
    deadline = f"; due {due.isoformat(timespec='minutes')}" if isinstance(due, datetime) else ""
    return f"[{estate}] ticket {short}: {what}{deadline}"


def _row(notice: Notice, audience: Audience) -> Row:
    not_before = audience.not_before(notice.estate, notice.happened_at, urgent=notice.urgent)
    return {
        **notice.model_dump(), "not_before": not_before, "next_attempt_at": not_before,
        "attempts": 0, "lease_owner": None, "lease_until": None, "sent_at": None,
        "failed_at": None, "last_error": None,
    }  # fmt: skip


def _columns() -> list[Column[Any]]:
    return [
        Column("key", String(200), primary_key=True),
        Column("ticket_id", String(36), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("estate", String(64), nullable=False),
        Column("event", String(48), nullable=False),
        Column("goal", String(64)),
        Column("due_at", Instant),
        Column("recipient", String(64), nullable=False),
        Column("recipient_name", String(200), nullable=False),
        Column("role", String(32), nullable=False),
        Column("urgent", Boolean, nullable=False),
        Column("text", Text, nullable=False),
        Column("happened_at", Instant, nullable=False),
        Column("not_before", Instant, nullable=False),
        # the sender's
        Column("next_attempt_at", Instant, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("lease_owner", String(128)),
        Column("lease_until", Instant),
        Column("sent_at", Instant),
        Column("failed_at", Instant),
        Column("last_error", Text),
    ]


def outbox_table(generation: int | None = None) -> Table:
    """The outbox under its plain name (a view), or one generation's table."""
    name = OUTBOX if generation is None else f"{OUTBOX}_g{generation}"
    return Table(name, MetaData(), *_columns())
