"""The desk: the write-side facade other services import.

Every command runs *load → decide → save*: the desk loads the ticket, stamps the time from its
injected clock (unless the command carries ``at``), finds the acting person in the estate's
organisation, lets the ticket decide, and saves the new events in one transaction together
with the command's receipt. A concurrent writer makes the save fail; the desk then decides
again on fresh state, a few times, before it gives up with :class:`ConcurrencyConflict`.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Literal, Self, cast
from uuid import UUID, uuid4

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, PersistenceError
from eventsourcing.utils import get_topic

from propdesk.application.calendars import china_calendar
from propdesk.application.clock import Clock, SystemClock
from propdesk.application.complaint_view import ComplaintView
from propdesk.application.configuration import default_policy
from propdesk.application.views import CommandResult, HistoryEntry, RepairView
from propdesk.domain.authority import AUTHORITY, TICKET_AUTHORITY
from propdesk.domain.commands import ChangePolicy, Command, LogRepair, TicketCommand
from propdesk.domain.complaint import Complaint
from propdesk.domain.complaint_authority import COMPLAINT_AUTHORITY
from propdesk.domain.complaint_commands import LinkRepair, LogComplaint
from propdesk.domain.complaint_lifecycle import ComplaintState
from propdesk.domain.context import Decision
from propdesk.domain.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    InvalidCommand,
    TicketAlreadyExists,
    UnauthorisedActor,
    UnknownTicket,
)
from propdesk.domain.lifecycle import RepairState
from propdesk.domain.repair import Repair
from propdesk.domain.rules import DEFAULT_RULES, RepairRules, disagreements
from propdesk.persistence.config import DEFAULT_URL, StoreConfig
from propdesk.persistence.receipts import CommandReceipt, receipt_id, ticket_id_for
from propdesk.persistence.store import EventStore, StoreUnavailable, open_store, replay

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from datetime import datetime

    from propdesk.domain.calendar import WorkingCalendar
    from propdesk.domain.organisation import Organisation
    from propdesk.domain.sla_policy import Policy
    from propdesk.domain.ticket import Ticket

_log = structlog.get_logger("propdesk.desk")


def _fingerprint(command: Command) -> str:
    """A digest of what a command asks for, to tell a true retry from a reused command id."""
    data = command.model_dump_json(exclude={"command_id"}).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


DEFAULT_RETRIES = 3

TicketKind = Literal["repair", "complaint"]
TicketView = RepairView | ComplaintView
NewTicket = LogRepair | LogComplaint
_CREATED_BY_KIND = {Repair.kind: Repair.Logged, Complaint.kind: Complaint.ComplaintReceived}
"""The event that creates each kind of ticket."""
_CREATED = tuple(_CREATED_BY_KIND.values())
_STEPS_OF: dict[str, frozenset[str]] = {
    "repair": frozenset(AUTHORITY) | frozenset(TICKET_AUTHORITY),
    "complaint": frozenset(COMPLAINT_AUTHORITY) | frozenset(TICKET_AUTHORITY),
}
"""The commands each kind of ticket takes: its own steps, and the SLA clock's."""
_KIND_OF_STEP = dict.fromkeys(AUTHORITY, "repair") | dict.fromkeys(COMPLAINT_AUTHORITY, "complaint")


class Desk:
    """One service desk over one event store, serving one or more estates.

    Build it with :func:`open_desk`. It is safe to share between threads; many processes may
    open desks on the same database.
    """

    def __init__(
        self,
        store: EventStore,
        config: StoreConfig,
        organisations: Iterable[Organisation],
        *,
        clock: Clock | None = None,
        rules: RepairRules = DEFAULT_RULES,
        retries: int = DEFAULT_RETRIES,
        policy: Policy | None = None,
        policies: Iterable[Policy] = (),
        calendar: WorkingCalendar | None = None,
    ) -> None:
        if policy is not None and calendar is None:
            raise ConfigurationError("an SLA policy needs a working calendar to time its goals")
        problems = disagreements(policy, rules) if policy is not None else []
        if policy is not None and problems:  # earlier versions, kept for pinned tickets, may
            raise ConfigurationError(  # differ from today's rules
                f"SLA policy {policy.name} v{policy.version} and the repair rules disagree: "
                + "; ".join(problems),
                problems,
            )
        self._store = store
        self._config = config
        self._organisations: dict[str, Organisation] = {}
        for organisation in organisations:
            if organisation.estate in self._organisations:
                raise ConfigurationError(f"estate {organisation.estate} is configured twice")
            self._organisations[organisation.estate] = organisation
        self._clock: Clock = clock or SystemClock()
        self._rules = rules
        self._retries = retries
        self._policy = policy
        self._calendar = calendar
        self._policies: dict[tuple[str, int], Policy] = {}
        self._digests: dict[tuple[str, int], str] = {}
        for known in (*policies, *([policy] if policy is not None else [])):
            key = (known.name, known.version)
            if self._policies.get(key, known) != known:
                raise ConfigurationError(f"two different SLA policies are {key[0]} v{key[1]}")
            self._policies[key] = known
            self._digests[key] = known.digest()

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self._config.safe_url

    @property
    def organisations(self) -> Mapping[str, Organisation]:
        """The estates this desk serves, by estate id."""
        return dict(self._organisations)

    @property
    def rules(self) -> RepairRules:
        """The repair rules the desk decides with."""
        return self._rules

    @property
    def policy(self) -> Policy | None:
        """The SLA policy new tickets are pinned to; ``None`` runs no SLA clock."""
        return self._policy

    @property
    def calendar(self) -> WorkingCalendar | None:
        """The working calendar the SLA goals are timed in."""
        return self._calendar

    def policy_of(self, name: str, version: int) -> Policy:
        """The SLA policy version a ticket is pinned to.

        Raises:
            ConfigurationError: the desk was not given that version; a desk must keep every
                version its open tickets were pinned to.
        """
        found = self._policies.get((name, version))
        if found is None:
            known = ", ".join(f"{n} v{v}" for n, v in sorted(self._policies)) or "none"
            raise ConfigurationError(
                f"no SLA policy {name} v{version} is configured (known: {known}); "
                "keep every version open tickets are pinned to"
            )
        return found

    # ------------------------------------------------------------------ commands

    def execute(self, command: Command) -> CommandResult:
        """Applies one command and returns what it did.

        Raises:
            IllegalStep: the step is not allowed from the ticket's state.
            RuleViolation: a seed rule forbids the step with these data.
            UnauthorisedActor: the acting person may not take the step.
            UnknownTicket: no such ticket.
            InvalidCommand: malformed data, or a command id reused for another command.
            ConcurrencyConflict: the ticket kept changing under the command.
        """
        command_id = command.command_id or uuid4().hex
        if isinstance(command, NewTicket):
            ticket_id = command.ticket_id or (
                ticket_id_for(command.command_id) if command.command_id else uuid4()
            )
        else:
            ticket_id = cast("TicketCommand", command).ticket_id
        # Passed on every entry rather than bound: binding costs more than a filtered call.
        log = {
            "ticket_id": str(ticket_id), "step": command.step, "actor": command.actor,
            "command_id": command_id,
        }  # fmt: skip
        fingerprint = _fingerprint(command) if command.command_id is not None else ""
        for attempt in range(1, self._retries + 2):
            if command.command_id is not None:
                earlier = self._receipt(command.command_id)
                if earlier is not None:
                    return self._earlier_result(earlier, command, ticket_id, fingerprint, log)
            ticket, at = self._decide(command, ticket_id, command_id)
            first_version = ticket.version - len(ticket.pending_events) + 1
            events = [type(event).__name__ for event in ticket.pending_events]
            result = CommandResult(
                ticket_id=ticket_id, command_id=command_id, step=command.step, kind=ticket.kind,
                version=ticket.version, state=ticket.state, events=tuple(events),
            )  # fmt: skip
            receipt = None
            if command.command_id is not None:
                receipt = CommandReceipt.record(
                    command_id=command_id, step=command.step, ticket_id=ticket_id,
                    first_version=first_version, last_version=ticket.version,
                    state=ticket.state.value, events=events, fingerprint=fingerprint, at=at,
                )  # fmt: skip
            try:
                self._store.save(ticket, receipt)
            except IntegrityError:
                if isinstance(command, NewTicket):
                    self._after_duplicate_log(command, ticket_id)
                _log.info("concurrent change; deciding again", attempt=attempt, **log)
                continue
            except PersistenceError as error:
                raise StoreUnavailable(f"cannot save to {self.url}: {error}") from error
            _log.info("command applied", version=result.version, events=result.events, **log)
            return result
        _log.warning("gave up after concurrent changes", attempts=self._retries + 1, **log)
        raise ConcurrencyConflict(ticket_id, self._retries + 1)

    def _decide(
        self, command: Command, ticket_id: UUID, command_id: str
    ) -> tuple[Repair | Complaint, datetime]:
        """Loads (or creates) the ticket and lets it decide; returns it and the step's time.

        A command without ``at`` is stamped now, on every attempt. If another process's
        clock ran slightly ahead and already stored a later step, the stamp is raised to that
        step's time, so worker clock skew never makes a ticket's record run backwards.
        """
        at = command.at or self._now()
        if isinstance(command, NewTicket):
            estate = self._organisation_for_new(command)
            decision = self._decision(command, estate, at, command_id, self._policy)
            if isinstance(command, LogRepair):
                return Repair.log(ticket_id, command, decision), at
            if command.repair_id is not None:
                self._require_repair(command.repair_id, command)
            return Complaint.receive(ticket_id, command, decision), at
        ticket = self._load(ticket_id)
        if command.step not in _STEPS_OF[ticket.kind]:
            problem = f"ticket_id: {ticket_id} is a {ticket.kind}; {command.step} is not its step"
            raise InvalidCommand(type(command).__name__, [problem])
        if isinstance(command, LinkRepair):
            self._require_repair(command.repair_id, command)
        if command.at is None and at < ticket.modified_on:
            at = ticket.modified_on
        organisation = self._organisations.get(ticket.estate)
        if organisation is None:
            raise ConfigurationError(
                f"ticket {ticket_id} belongs to estate {ticket.estate}, "
                "which this desk does not serve"
            )
        decision = self._decision(
            command, organisation, at, command_id, self._policy_for(ticket, command)
        )
        getattr(ticket, command.step)(command, decision)
        return ticket, at

    def _require_repair(self, repair_id: UUID, command: Command) -> None:
        """A complaint may link only to a repair this desk has stored."""
        if self.kind_of(repair_id) != "repair":
            raise InvalidCommand(
                type(command).__name__, [f"repair_id: {repair_id} is not a stored repair"]
            )

    def _policy_for(self, ticket: Ticket, command: Command) -> Policy | None:
        """The policy a step on ``ticket`` is decided under: its pinned one, or the new one."""
        if isinstance(command, ChangePolicy):
            return self.policy_of(command.policy, command.version)
        if ticket.policy_name is None or ticket.policy_version is None:
            return None
        policy = self.policy_of(ticket.policy_name, ticket.policy_version)
        pinned = ticket.policy_digest
        if pinned is not None and pinned != self._digests[policy.name, policy.version]:
            raise ConfigurationError(
                f"SLA policy {policy.name} v{policy.version} is not the one ticket {ticket.id} "
                "was pinned to: its goals changed without a new version number; give the "
                "changed profile a new version and keep the old one"
            )
        return policy

    def _decision(
        self,
        command: Command,
        organisation: Organisation,
        at: datetime,
        command_id: str,
        policy: Policy | None,
    ) -> Decision:
        actor = organisation.person(command.actor)
        if actor is None:
            raise UnauthorisedActor(
                command.actor, command.step, f"not a member of estate {organisation.estate}"
            )
        calendar = self._calendar if policy is not None else None
        return Decision(actor, at, command_id, organisation, self._rules, policy, calendar)

    def _organisation_for_new(self, command: NewTicket) -> Organisation:
        name = type(command).__name__
        if command.estate is None:
            if len(self._organisations) == 1:
                return next(iter(self._organisations.values()))
            raise InvalidCommand(name, ["estate: required when a desk serves several estates"])
        organisation = self._organisations.get(command.estate)
        if organisation is None:
            known = ", ".join(sorted(self._organisations)) or "none"
            raise InvalidCommand(
                name, [f"estate: unknown estate {command.estate!r} (known: {known})"]
            )
        return organisation

    def _after_duplicate_log(self, command: NewTicket, ticket_id: UUID) -> None:
        """A log collided: a retry of the same command may replay; anything else may not."""
        if command.command_id is None or self._receipt(command.command_id) is None:
            raise TicketAlreadyExists(ticket_id) from None

    def _now(self) -> datetime:
        now = self._clock.now()
        if now.tzinfo is None:
            raise ConfigurationError(
                f"the desk's clock {self._clock!r} returned a naive datetime; it must be aware"
            )
        return now

    def _receipt(self, command_id: str) -> CommandReceipt | None:
        """The receipt of an earlier attempt with this command id, read from its one event."""
        with self._reading():
            events = list(self._store.events.get(receipt_id(command_id), limit=1))
        return cast("CommandReceipt", replay(None, events)) if events else None

    def _earlier_result(
        self,
        receipt: CommandReceipt,
        command: Command,
        ticket_id: UUID,
        fingerprint: str,
        log: dict[str, str],
    ) -> CommandResult:
        same_ticket = not isinstance(command, TicketCommand) or receipt.ticket_id == ticket_id
        if receipt.step != command.step or not same_ticket:
            raise InvalidCommand(
                type(command).__name__,
                [f"command_id: already used for {receipt.step} on ticket {receipt.ticket_id}"],
            )
        if receipt.fingerprint != fingerprint:
            raise InvalidCommand(
                type(command).__name__,
                [f"command_id: already used for a {receipt.step} with different data"],
            )
        _log.info("command already applied; returning its result", version=receipt.last_version,
                  **log)  # fmt: skip
        kind = _KIND_OF_STEP.get(receipt.step) or self.kind_of(receipt.ticket_id)
        state = ComplaintState(receipt.state) if kind == "complaint" else RepairState(receipt.state)
        return CommandResult(
            ticket_id=receipt.ticket_id, command_id=receipt.command_id, step=receipt.step,
            kind=kind, version=receipt.last_version, state=state, events=tuple(receipt.events),
            replayed=True,
        )  # fmt: skip

    # ------------------------------------------------------------------ queries

    def view(self, ticket_id: UUID, *, redact_personal_data: bool = False) -> TicketView:
        """The ticket as it stands now: a :class:`RepairView` or a :class:`ComplaintView`.

        Its goals' state and time left are taken at the desk's clock (never before the
        ticket's last step).
        """
        ticket = self._load(ticket_id)
        now = max(self._now(), ticket.modified_on)
        return _view_of(ticket, now, redact=redact_personal_data)

    def view_at(
        self,
        ticket_id: UUID,
        *,
        version: int | None = None,
        at: datetime | None = None,
        redact_personal_data: bool = False,
    ) -> TicketView:
        """The ticket as it stood at a version, or at a time (its last step at or before it).

        Its goals are shown as they stood at that time, or at that version's last step.

        Raises:
            UnknownTicket: no such ticket, or it did not exist yet at that time or version.
            InvalidCommand: neither or both of ``version`` and ``at`` were given, or ``at``
                is naive.
        """
        if (version is None) == (at is None):
            raise InvalidCommand("view_at", ["give exactly one of version and at"])
        if at is not None:
            if at.tzinfo is None:
                raise InvalidCommand("view_at", ["at: a naive datetime; give its time zone"])
            version = 0
            for event in self._events(ticket_id):
                if event.timestamp > at:
                    break
                version = event.originator_version
        if version is None or version < 1:
            raise UnknownTicket(ticket_id)
        ticket = self._load(ticket_id, version=version)
        if ticket.version != version:
            raise UnknownTicket(ticket_id)
        return _view_of(ticket, at or ticket.modified_on, redact=redact_personal_data)

    def history(
        self, ticket_id: UUID, *, redact_personal_data: bool = False
    ) -> tuple[HistoryEntry, ...]:
        """Every stored event of the ticket, in order: the audit trail."""
        entries = tuple(
            HistoryEntry.of(event, redact_personal_data=redact_personal_data)
            for event in self._events(ticket_id)
        )
        if not entries:
            raise UnknownTicket(ticket_id)
        return entries

    def stored_events(self, ticket_id: UUID) -> tuple[Ticket.Event, ...]:
        """The ticket's stored domain events, in order, as loaded (upcast) today.

        Raises:
            UnknownTicket: no such ticket.
        """
        events = self._events(ticket_id)
        if not events:
            raise UnknownTicket(ticket_id)
        return tuple(events)

    def replay(self, ticket_id: UUID) -> Repair | Complaint:
        """Rebuilds the ticket from its events alone, ignoring snapshots and caches (for audit)."""
        ticket: Repair | Complaint | None = None
        for event in self._events(ticket_id):
            ticket = cast("Repair | Complaint | None", event.mutate(ticket))
        if ticket is None:
            raise UnknownTicket(ticket_id)
        return ticket

    def load(self, ticket_id: UUID) -> Repair | Complaint:
        """The ticket aggregate as the desk would decide on it (snapshots and cache allowed)."""
        return self._load(ticket_id)

    def kind_of(self, ticket_id: UUID) -> TicketKind | None:
        """Whether the ticket is a repair or a complaint; ``None`` if there is no such ticket."""
        with self._reading():
            first = list(self._store.events.get(ticket_id, limit=1))
        for kind, created in _CREATED_BY_KIND.items():
            if first and isinstance(first[0], created):
                return cast("TicketKind", kind)
        return None

    def ticket_ids(self, kind: TicketKind | None = None) -> Iterator[UUID]:
        """Ids of every stored ticket (or those of one kind), in the order they were logged."""
        topics = [
            get_topic(created) for of_kind, created in _CREATED_BY_KIND.items()
            if kind is None or of_kind == kind
        ]  # fmt: skip
        page = 500
        start = 1
        while True:
            with self._reading():
                found = self._store.recorder.select_notifications(start, page, topics=topics)
            for notification in found:
                yield cast("UUID", notification.originator_id)
            if len(found) < page:
                return
            start = found[-1].id + 1

    def close(self) -> None:
        """Releases the database connections."""
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ loading

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turns a database failure while reading into :class:`StoreUnavailable`."""
        try:
            yield
        except PersistenceError as error:
            raise StoreUnavailable(f"cannot read from {self.url}: {error}") from error

    def _load(self, ticket_id: UUID, version: int | None = None) -> Repair | Complaint:
        try:
            with self._reading():
                ticket: object = self._store.repository.get(
                    ticket_id, version=version, projector_func=replay
                )
        except AggregateNotFoundError:
            raise UnknownTicket(ticket_id) from None
        if not isinstance(ticket, Repair | Complaint):
            raise UnknownTicket(ticket_id)
        return ticket

    def _events(self, ticket_id: UUID) -> list[Ticket.Event]:
        with self._reading():
            events = list(self._store.events.get(ticket_id))
        if events and not isinstance(events[0], _CREATED):
            return []
        return cast("list[Ticket.Event]", events)


def _view_of(ticket: Repair | Complaint, now: datetime, *, redact: bool) -> TicketView:
    if isinstance(ticket, Complaint):
        return ComplaintView.of(ticket, now=now, redact_personal_data=redact)
    return RepairView.of(ticket, now=now, redact_personal_data=redact)


@cache
def _standard_calendar() -> WorkingCalendar:
    """Mainland China's calendar with 09:00–18:00 business hours, built once per process."""
    return china_calendar()


def open_desk(
    url: str = DEFAULT_URL,
    *,
    organisations: Iterable[Organisation],
    clock: Clock | None = None,
    rules: RepairRules = DEFAULT_RULES,
    retries: int = DEFAULT_RETRIES,
    cache_size: int = 1000,
    snapshot_interval: int | None = None,
    policy: Policy | Literal["default"] | None = "default",
    policies: Iterable[Policy] = (),
    calendar: WorkingCalendar | None = None,
) -> Desk:
    """Opens a desk on the database at ``url``.

    Args:
        url: ``sqlite:///path.db`` (default ``sqlite:///propdesk.db``), a PostgreSQL URL, or
            ``memory://`` for tests.
        organisations: the estates the desk serves.
        clock: where the time of a command without ``at`` comes from; the system clock by
            default.
        rules: the repair rules; the seeds' values by default.
        retries: how often to decide again after a concurrent change before giving up.
        cache_size: tickets kept in memory between commands (0 turns the cache off).
        snapshot_interval: events between snapshots; 40 by default.
        policy: the SLA policy new tickets are pinned to: the seeds' profile
            (:func:`~propdesk.default_policy`) by default, or ``None`` for no SLA clock.
        policies: earlier policy versions that stored tickets are still pinned to.
        calendar: the working calendar goals are timed in; mainland China's
            (:func:`~propdesk.china_calendar`) by default.

    Raises:
        ConfigurationError: the URL is not usable.
        DatabaseNotInitialised: run ``propdesk db init`` first.
    """
    chosen = default_policy() if policy == "default" else policy
    if chosen is not None and calendar is None:
        calendar = _standard_calendar()
    store, config = open_store(url, cache_size=cache_size, snapshot_interval=snapshot_interval)
    return Desk(
        store, config, organisations, clock=clock, rules=rules, retries=retries,
        policy=chosen, policies=policies, calendar=calendar,
    )  # fmt: skip
