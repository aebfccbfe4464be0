"""The bare peer: a plain ``eventsourcing`` application storing the same events as propdesk.

:class:`BareRepair` is an ordinary :class:`~eventsourcing.domain.Aggregate` whose event classes
carry the same field names as propdesk's ``Repair`` events. Each command is the same
*load → decide → save* round-trip the desk does (``repository.get``, ``trigger_event``,
``save``), with none of propdesk's command validation, authorisation, lifecycle checks,
receipts or logging: the "decide" step triggers the event values propdesk stored for that step
(captured once by :func:`_lifecycle.capture_templates`).

Every event's ``apply`` copies its fields onto the aggregate, so the bare aggregate carries about
as many attributes as a ``Repair`` and the cache's deep copy costs both sides alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime
    from decimal import Decimal

    from _lifecycle import TemplateEvent

_BASE_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


class BareRepair(Aggregate):
    """A repair ticket with no rules: it records whatever it is told."""

    class Event(Aggregate.Event):
        """The fields every propdesk repair event carries besides id, version and time."""

        actor: str
        command_id: str

        def apply(self, aggregate: Any) -> None:  # noqa: ANN401 - eventsourcing's signature
            """Copies the event's own fields onto the aggregate."""
            for name, value in vars(self).items():
                if name not in _BASE_FIELDS:
                    setattr(aggregate, name, value)

    class Logged(Event, Aggregate.Created):
        """As ``Repair.Logged``."""

        estate: str
        channel: str
        scope: str
        category: str
        unit: str
        description: str
        personal_data: dict[str, str]
        in_price_list: bool
        price_item: str | None
        paid: bool
        appointment: datetime | None
        received_at: datetime | None

    class Dispatched(Event):
        """As ``Repair.Dispatched``."""

        acceptor: str
        acceptor_name: str
        accepted_at: datetime
        promised_arrival: datetime
        channel: str
        round: str
        dispatch_count: int
        top_of_chain: bool
        owner_contacted_beforehand: bool
        appointment: datetime | None

    class Refused(Event):
        """As ``Repair.Refused``."""

        reason: str
        level: int
        refusal_count: int

    class Escalated(Event):
        """As ``Repair.Escalated`` (version 2)."""

        cause: str
        refused_by: str
        acceptor: str
        acceptor_name: str
        level: int
        accepted_at: datetime
        promised_arrival: datetime
        channel: str
        top_of_chain: bool
        overdue_goal: str | None
        overdue_due_at: datetime | None

    class ArrivalReported(Event):
        """As ``Repair.ArrivalReported``."""

        channel: str
        on_time: bool
        minutes_late: int

    class ArrivalChecked(Event):
        """As ``Repair.ArrivalChecked``."""

        reporter_says_on_time: bool
        channel: str
        disputed: bool

    class KnockUnanswered(Event):
        """As ``Repair.KnockUnanswered``."""

        attempt: int

    class LeftForRevisit(Event):
        """As ``Repair.LeftForRevisit``."""

        attempts: int
        informed_supervisor: str
        informed_customer_service: str

    class ItemAmended(Event):
        """As ``Repair.ItemAmended``."""

        actual_item: str
        charge_standard: Decimal

    class RepairStarted(Event):
        """As ``Repair.RepairStarted``."""

        customer_agreed_to_charge: bool

    class Completed(Event):
        """As ``Repair.Completed``."""

        outcome: str
        customer_signature_ref: str
        fee: Decimal
        fee_outstanding: Decimal
        fee_status: str
        waste_removed: bool

    class Submitted(Event):
        """As ``Repair.Submitted``."""

        supervisor: str

    class FeeHandedOver(Event):
        """As ``Repair.FeeHandedOver``."""

        amount: Decimal

    class FeeSettled(Event):
        """As ``Repair.FeeSettled``."""

        amount: Decimal
        receipt_no: str
        same_day: bool

    class Verified(Event):
        """As ``Repair.Verified``."""

        supervisor_signature_ref: str
        result_notified_to: list[str]

    class CallbackOpened(Event):
        """As ``Repair.CallbackOpened``."""

        starts_at: datetime
        due_at: datetime
        category: str
        leak_test_result: str | None

    class CalledBack(Event):
        """As ``Repair.CalledBack``."""

        channel: str
        satisfied: bool
        rating: int | None
        remarks: str | None
        problem: str | None
        within_window: bool
        rework_count: int

    class Closed(Event):
        """As ``Repair.Closed``."""

        remarks: str | None

    # The SLA clock's events, which propdesk stores beside the steps (``Ticket``).

    class PolicyPinned(Event):
        """As ``Repair.PolicyPinned``."""

        policy: str
        version: int
        digest: str
        reason: str

    class GoalStarted(Event):
        """As ``Repair.GoalStarted``."""

        goal: str
        seed: str
        run: int
        started_at: datetime
        due_at: datetime
        warn_at: datetime

    class GoalPaused(Event):
        """As ``Repair.GoalPaused``."""

        goal: str
        run: int

    class GoalResumed(Event):
        """As ``Repair.GoalResumed``."""

        goal: str
        run: int
        due_at: datetime
        warn_at: datetime

    class GoalStopped(Event):
        """As ``Repair.GoalStopped``."""

        goal: str
        run: int
        met: bool
        late_by_minutes: int

    class GoalCancelled(Event):
        """As ``Repair.GoalCancelled``."""

        goal: str
        run: int
        reason: str

    class GoalWarned(Event):
        """As ``Repair.GoalWarned``."""

        goal: str
        run: int
        due_at: datetime

    class GoalBreached(Event):
        """As ``Repair.GoalBreached``."""

        goal: str
        run: int
        due_at: datetime
        notify: list[str]

    def __init__(self) -> None:
        """Nothing to do: ``Logged.apply`` sets the fields."""


EVENT_CLASSES: Mapping[str, type[BareRepair.Event]] = {
    name: value
    for name, value in vars(BareRepair).items()
    if isinstance(value, type) and issubclass(value, BareRepair.Event) and name != "Event"
}


class BareApp(Application[UUID]):
    """A plain eventsourcing application: its defaults, unless ``env`` says otherwise."""

    name = "bare"


def run_bare_ticket(app: BareApp, templates: Sequence[Sequence[TemplateEvent]]) -> UUID:
    """Drives a new ticket through ``templates`` (one list of events per command)."""
    logged, *clock_events = templates[0]  # Logged, then the SLA clock's first events
    command_id = uuid4().hex
    ticket = BareRepair._create(  # noqa: SLF001 - the documented way to start an aggregate
        BareRepair.Logged,
        id=uuid4(),
        timestamp=logged.at,
        actor=logged.actor,
        command_id=command_id,
        **logged.payload,
    )
    for event in clock_events:
        ticket.trigger_event(
            EVENT_CLASSES[event.name], timestamp=event.at, actor=event.actor,
            command_id=command_id, **event.payload,
        )  # fmt: skip
    app.save(ticket)
    for events in templates[1:]:
        ticket = cast("BareRepair", app.repository.get(ticket.id))
        command_id = uuid4().hex
        for event in events:
            ticket.trigger_event(
                EVENT_CLASSES[event.name],
                timestamp=event.at,
                actor=event.actor,
                command_id=command_id,
                **event.payload,
            )
        app.save(ticket)
    return ticket.id
