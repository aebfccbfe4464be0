"""The desk manager's report on the simulated days, read back from the desk: views and histories.

Nothing here trusts the simulator's own counters: every number is counted from what the desk
stored (:meth:`~propdesk.application.desk.Desk.view`, ``view_at`` and ``history``), so the
report says what an auditor would find.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from propdesk.application.views import repair_view
from propdesk.cli.complaint_report import ComplaintFacts, ComplaintReport, summarise_complaints
from propdesk.domain.goal_runs import Outcome, RunLog
from propdesk.domain.lifecycle import RepairState

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from uuid import UUID

    from propdesk.application.desk import Desk
    from propdesk.application.views import HistoryEntry, RepairView
    from propdesk.domain.organisation import Organisation, Person


@dataclass(frozen=True)
class Paths:
    """How many tickets took each notable path (a ticket may take several)."""

    refused: int = 0
    """Tickets refused at least once (R6)."""
    refusals: int = 0
    reached_project_manager: int = 0
    project_manager_went: int = 0
    no_staff_confirmed: int = 0
    owner_complaints: int = 0
    rescheduled_same_day: int = 0
    rescheduled_after_shift: int = 0
    nobody_home: int = 0
    """Tickets with at least one unanswered knock (R13)."""
    door_answered_late: int = 0
    left_for_revisit: int = 0
    revisits: int = 0
    cost_reviews: int = 0
    quotes_accepted: int = 0
    quotes_declined: int = 0
    not_repairable: int = 0
    items_amended: int = 0
    declined_on_site: int = 0
    unhappy_callbacks: int = 0
    reworks: int = 0
    appointments: int = 0
    arrival_disputes: int = 0
    free_under_warranty: int = 0
    """Household repairs logged as free (保修期内)."""
    public_areas: int = 0
    """Repairs of public facilities (公共设施), free to the reporter."""


@dataclass(frozen=True)
class PersonLine:
    """What one person was asked to do, and how often they said no."""

    person: str
    name: str
    dispatched: int
    """First dispatches, re-dispatches, revisits and reworks sent to them."""
    escalated_to: int
    """Escalations that reached them after someone below refused."""
    refused: int
    went: int
    """Arrivals they reported."""
    no_staff_confirmed: int


@dataclass(frozen=True)
class Money:
    """Fees of paid work (R24)."""

    charged: Decimal = Decimal(0)
    charged_count: int = 0
    settled: Decimal = Decimal(0)
    settled_count: int = 0
    settled_same_day: int = 0


@dataclass(frozen=True)
class Example:
    """A ticket worth auditing, and why."""

    ticket_id: UUID
    why: str


@dataclass(frozen=True)
class GoalTally:
    """How the runs of one SLA goal ended, over every ticket, as of the report's horizon."""

    goal: str
    seed: str
    met: int
    breached: int
    """Stopped late, or still open past due."""
    open: int
    cancelled: int


@dataclass(frozen=True)
class DayReport:
    """Everything the demo prints, as data."""

    estate: str
    estate_name: str
    day_end: datetime
    """The end of the last simulated day."""
    horizon: datetime
    tickets: int
    """Repairs read back; the complaints are counted in :attr:`complaints`."""
    logged: dict[str, dict[str, int]]
    """Requests logged, by channel, then category."""
    states_at_day_end: dict[str, int]
    states_at_horizon: dict[str, int]
    paths: Paths
    arrivals: int
    arrivals_on_time: int
    callbacks: int
    callbacks_within_window: int
    fees: Money
    people: tuple[PersonLine, ...]
    completed_on_day: int
    """Tickets first completed before the last day ended."""
    completed: int
    """Tickets completed at least once by the horizon."""
    mean_to_completion: timedelta | None
    longest_to_completion: timedelta | None
    longest_ticket: UUID | None
    commands: int
    """Distinct command ids among the stored events of repairs and complaints: each command
    stores at least one."""
    events: int
    """Events stored for repairs and complaints."""
    examples: tuple[Example, ...] = field(default=())
    goals: tuple[GoalTally, ...] = field(default=())
    """The SLA goals the repairs and complaints ran under, runs judged at the horizon."""
    complaints: ComplaintReport = field(default_factory=ComplaintReport)
    """The complaints (投诉)."""


def summarise(
    desk: Desk,
    organisation: Organisation,
    *,
    day_end: datetime,
    horizon: datetime,
    tickets: Iterable[UUID] | None = None,
    complaints: Iterable[UUID] | None = None,
) -> DayReport:
    """Reads every repair and complaint (or the given ones) back from ``desk``; counts them.

    Args:
        desk: the desk the tickets are stored at.
        organisation: their estate.
        day_end: the end of the last simulated day, when the first snapshot of the repairs'
            states is taken.
        horizon: the end of the follow-up days, when SLA goals are judged.
        tickets: the repairs to read; every stored repair by default.
        complaints: the complaints to read; every stored complaint by default.
    """
    ids = list(desk.ticket_ids(kind="repair") if tickets is None else tickets)
    facts = [_Facts.read(desk, ticket, day_end) for ticket in ids]
    complaint_ids = desk.ticket_ids(kind="complaint") if complaints is None else complaints
    complaint_facts = [ComplaintFacts.read(desk, ticket) for ticket in complaint_ids]
    histories = [f.history for f in facts] + [f.history for f in complaint_facts]
    durations = [(f.to_completion, f.view.ticket_id) for f in facts if f.to_completion]
    longest = max(durations, default=None)
    total = sum((d for d, _ in durations), timedelta(0))
    return DayReport(
        estate=organisation.estate,
        estate_name=organisation.name,
        day_end=day_end,
        horizon=horizon,
        tickets=len(facts),
        logged=_logged(facts),
        states_at_day_end=_count_states(f.state_at_day_end for f in facts),
        states_at_horizon=_count_states(f.view.state for f in facts),
        paths=_paths(facts),
        arrivals=_count(facts, "ArrivalReported"),
        arrivals_on_time=_count(facts, "ArrivalReported", on_time=True),
        callbacks=_count(facts, "CalledBack"),
        callbacks_within_window=_count(facts, "CalledBack", within_window=True),
        fees=_money(facts),
        people=_people(facts, organisation),
        completed_on_day=sum(1 for f in facts if f.completed_before(day_end)),
        completed=len(durations),
        mean_to_completion=total / len(durations) if durations else None,
        longest_to_completion=longest[0] if longest else None,
        longest_ticket=longest[1] if longest else None,
        commands=len({e.command_id for history in histories for e in history}),
        events=sum(len(history) for history in histories),
        examples=_examples(facts),
        goals=_goals(histories, horizon),
        complaints=summarise_complaints(complaint_facts),
    )


@dataclass(frozen=True)
class _Facts:
    """One ticket as read from the desk."""

    view: RepairView
    history: tuple[HistoryEntry, ...]
    state_at_day_end: RepairState | None
    """``None`` when the ticket was logged after the day ended."""

    @classmethod
    def read(cls, desk: Desk, ticket: UUID, day_end: datetime) -> _Facts:
        history = desk.history(ticket)
        before = [entry.version for entry in history if entry.at < day_end]
        earlier = repair_view(desk.view_at(ticket, version=before[-1])) if before else None
        return cls(repair_view(desk.view(ticket)), history, earlier.state if earlier else None)

    def events(self, name: str, **payload: object) -> list[HistoryEntry]:
        """The ticket's events called ``name`` whose payload has the given values."""
        return [
            entry
            for entry in self.history
            if entry.event == name and all(entry.payload.get(k) == v for k, v in payload.items())
        ]

    def has(self, name: str, **payload: object) -> bool:
        return bool(self.events(name, **payload))

    def completed_before(self, moment: datetime) -> bool:
        completions = self.events("Completed")
        return bool(completions) and completions[0].at < moment

    @property
    def to_completion(self) -> timedelta | None:
        """From logging to the first completion."""
        completions = self.events("Completed")
        return completions[0].at - self.view.logged_at if completions else None


def _goals(histories: Iterable[Sequence[HistoryEntry]], horizon: datetime) -> tuple[GoalTally, ...]:
    counts: Counter[tuple[str, Outcome]] = Counter()
    seeds: dict[str, str] = {}
    for history in histories:
        log = RunLog()
        for entry in history:
            log.record(entry.event, entry.payload, entry.at)
            if entry.event == "GoalStarted":
                seeds[str(entry.payload["goal"])] = str(entry.payload["seed"])
        for run in log.runs(horizon):
            counts[run.goal, run.outcome] += 1
    return tuple(
        GoalTally(
            goal=goal,
            seed=seeds[goal],
            met=counts[goal, Outcome.MET],
            breached=counts[goal, Outcome.MISSED] + counts[goal, Outcome.OVERDUE],
            open=counts[goal, Outcome.OPEN],
            cancelled=counts[goal, Outcome.CANCELLED],
        )
        for goal in sorted(seeds, key=lambda name: (seeds[name], name))
    )


def _count(facts: Sequence[_Facts], name: str, **payload: object) -> int:
    return sum(len(f.events(name, **payload)) for f in facts)


def _tickets_with(facts: Sequence[_Facts], name: str, **payload: object) -> int:
    return sum(1 for f in facts if f.has(name, **payload))


def _logged(facts: Sequence[_Facts]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = {}
    for fact in facts:
        table.setdefault(fact.view.channel, Counter())[fact.view.category] += 1
    return {channel: dict(sorted(row.items())) for channel, row in sorted(table.items())}


def _count_states(states: Iterable[RepairState | None]) -> dict[str, int]:
    counted = Counter(state for state in states if state is not None)
    return {str(state): counted[state] for state in RepairState if counted[state]}


def _paths(facts: Sequence[_Facts]) -> Paths:
    went_at_top = sum(
        1 for f in facts for e in f.events("ArrivalReported") if e.actor in _top_acceptors(f)
    )
    return Paths(
        refused=_tickets_with(facts, "Refused"),
        refusals=_count(facts, "Refused"),
        reached_project_manager=_tickets_with(facts, "Escalated", top_of_chain=True),
        project_manager_went=went_at_top,
        no_staff_confirmed=_count(facts, "NoStaffConfirmed"),
        owner_complaints=_count(facts, "OwnerComplained"),
        rescheduled_same_day=_count(facts, "Rescheduled", kind="same_day"),
        rescheduled_after_shift=_count(facts, "Rescheduled", kind="after_shift"),
        nobody_home=_tickets_with(facts, "KnockUnanswered"),
        door_answered_late=_count(facts, "DoorAnswered"),
        left_for_revisit=_count(facts, "LeftForRevisit"),
        revisits=_count(facts, "Dispatched", round="revisit"),
        cost_reviews=_count(facts, "CostReviewStarted"),
        quotes_accepted=_count(facts, "QuoteAccepted"),
        quotes_declined=_count(facts, "QuoteDeclined"),
        not_repairable=_count(facts, "FoundNotRepairable"),
        items_amended=_count(facts, "ItemAmended"),
        declined_on_site=_count(facts, "DeclinedOnSite"),
        unhappy_callbacks=_count(facts, "CalledBack", satisfied=False),
        reworks=_count(facts, "Dispatched", round="rework"),
        appointments=sum(1 for f in facts if f.view.appointment is not None),
        arrival_disputes=_count(facts, "ArrivalChecked", disputed=True),
        free_under_warranty=sum(
            1 for f in facts if f.view.scope == "household" and not f.view.paid
        ),
        public_areas=sum(1 for f in facts if f.view.scope == "public"),
    )


def _top_acceptors(fact: _Facts) -> set[str]:
    """Who the chain reached at its top on this ticket (the project manager)."""
    return {str(e.payload["acceptor"]) for e in fact.events("Escalated", top_of_chain=True)}


def _money(facts: Sequence[_Facts]) -> Money:
    charged = [e.payload["fee"] for f in facts for e in f.events("Completed") if e.payload["fee"]]
    settled = [e for f in facts for e in f.events("FeeSettled")]
    return Money(
        charged=sum(charged, Decimal(0)),
        charged_count=len(charged),
        settled=sum((e.payload["amount"] for e in settled), Decimal(0)),
        settled_count=len(settled),
        settled_same_day=sum(1 for e in settled if e.payload["same_day"]),
    )


def _people(facts: Sequence[_Facts], organisation: Organisation) -> tuple[PersonLine, ...]:
    tallies: dict[str, Counter[str]] = {}

    def tally(person: str, what: str) -> None:
        tallies.setdefault(person, Counter())[what] += 1

    for fact in facts:
        for entry in fact.history:
            if entry.event in {"Dispatched", "Escalated"}:
                tally(str(entry.payload["acceptor"]), entry.event)
            elif entry.event in {"Refused", "ArrivalReported", "NoStaffConfirmed"}:
                tally(entry.actor, entry.event)
    return tuple(
        _person_line(person, tallies[person.id])
        for person in organisation.people
        if person.id in tallies and _in_a_chain(tallies[person.id])
    )


def _in_a_chain(counts: Counter[str]) -> bool:
    return bool(counts["Refused"] or counts["Escalated"] or counts["NoStaffConfirmed"])


def _person_line(person: Person, counts: Counter[str]) -> PersonLine:
    return PersonLine(
        person=person.id,
        name=person.name,
        dispatched=counts["Dispatched"],
        escalated_to=counts["Escalated"],
        refused=counts["Refused"],
        went=counts["ArrivalReported"],
        no_staff_confirmed=counts["NoStaffConfirmed"],
    )


_EXAMPLE_PATHS: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("NoStaffConfirmed", "refused up to the project manager, then rescheduled", {}),
    ("LeftForRevisit", "nobody home: two knocks, left, came back", {}),
    ("CalledBack", "unhappy callback, reworked", {"satisfied": False}),
    ("QuoteAccepted", "outside the price list: reviewed, quoted, accepted", {}),
)


def _examples(facts: Sequence[_Facts]) -> tuple[Example, ...]:
    """Up to three tickets whose histories show the less common paths."""
    examples: list[Example] = []
    for event, why, payload in _EXAMPLE_PATHS:
        found = next((f for f in facts if f.has(event, **payload)), None)
        if found is not None and len(examples) < 3:  # noqa: PLR2004 - three are plenty
            examples.append(Example(found.view.ticket_id, why))
    return tuple(examples)
