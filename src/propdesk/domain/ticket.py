"""What every ticket shares: who acted, the SLA policy it is pinned to, and its goals.

:class:`Ticket` is the base of the repair and the complaint aggregates. Its events record the
SLA clock on the ticket itself: the policy the ticket runs under (``PolicyPinned``) and each
goal's start, pause, resume, stop, warning and breach, with the deadlines computed when the
step was decided. Replay applies them as stored and never computes a deadline again.

The goal steps a ticket's own events cause are found by :func:`propdesk.domain.goals.
goal_changes` after every event the ticket records; the steps the SLA worker reports
(``record_goal_warning``, ``record_goal_breach``) are commands, and a repeated one is a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from eventsourcing.domain import Aggregate

from propdesk.domain.authority import authorise_ticket_step
from propdesk.domain.errors import ConfigurationError, RuleViolation
from propdesk.domain.goals import (
    CLOCK_EVENTS,
    OPEN,
    GoalChange,
    GoalStatus,
    Occurrence,
    goal_changes,
)

if TYPE_CHECKING:
    from propdesk.domain import commands as c
    from propdesk.domain.context import Decision
    from propdesk.domain.goals import GoalRecord
    from propdesk.domain.organisation import Person


class Ticket(Aggregate):
    """A repair or a complaint: the part of it that runs on the SLA clock."""

    kind: ClassVar[str]
    """``repair`` or ``complaint``: the goals of a policy that apply."""
    noun: ClassVar[str] = "ticket"
    """What an error message calls the ticket."""
    GOAL_FACTS: ClassVar[dict[str, frozenset[str]]] = {}
    """Facts a goal may test on an event besides its fields, by event name."""

    class Event(Aggregate.Event):
        """Fields every ticket event carries besides its id, version and time."""

        actor: str
        """Who took the step (a person id in the estate's organisation)."""
        command_id: str
        """The command that produced the event."""

    class PolicyPinned(Event):
        """The ticket runs under this SLA policy version from now on (issue 3)."""

        policy: str
        version: int
        digest: str
        """The policy's content fingerprint (:meth:`Policy.digest`): the desk refuses to
        decide on the ticket under a policy of the same version but other content."""
        reason: str
        """``logged`` for the policy a ticket starts under, or why it was changed."""

        def apply(self, aggregate: Any) -> None:
            aggregate.policy_name = self.policy
            aggregate.policy_version = self.version
            aggregate.policy_digest = self.digest

    class GoalStarted(Event):
        """A goal's clock started (or restarted, as a new run); its deadlines are fixed here."""

        goal: str
        seed: str
        run: int
        started_at: datetime
        due_at: datetime
        warn_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.goals = {
                **aggregate.goals,
                self.goal: {
                    "seed": self.seed, "run": self.run, "status": GoalStatus.RUNNING.value,
                    "started_at": self.started_at, "due_at": self.due_at,
                    "warn_at": self.warn_at, "paused_at": None, "stopped_at": None,
                    "warned": False, "breached": False,
                },
            }  # fmt: skip

    class GoalPaused(Event):
        """The goal's clock stopped running for now."""

        goal: str
        run: int

        def apply(self, aggregate: Any) -> None:
            aggregate.update_goal(
                self.goal, status=GoalStatus.PAUSED.value, paused_at=self.timestamp
            )

    class GoalResumed(Event):
        """The goal's clock runs again, with its deadlines moved by the pause."""

        goal: str
        run: int
        due_at: datetime
        warn_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.update_goal(
                self.goal, status=GoalStatus.RUNNING.value, paused_at=None,
                due_at=self.due_at, warn_at=self.warn_at,
            )  # fmt: skip

    class GoalStopped(Event):
        """One of the goal's stop events happened: the goal was met, or missed."""

        goal: str
        run: int
        met: bool
        late_by_minutes: int

        def apply(self, aggregate: Any) -> None:
            status = GoalStatus.MET if self.met else GoalStatus.MISSED
            aggregate.update_goal(self.goal, status=status.value, stopped_at=self.timestamp)

    class GoalCancelled(Event):
        """The goal's run ended unjudged: what it timed will not happen, or it restarted."""

        goal: str
        run: int
        reason: str
        """The cancel event's name, or ``restarted``."""

        def apply(self, aggregate: Any) -> None:
            cancelled = GoalStatus.CANCELLED.value
            aggregate.update_goal(self.goal, status=cancelled, stopped_at=self.timestamp)

    class GoalWarned(Event):
        """A warning that the goal is close to due was raised (recorded once per run)."""

        goal: str
        run: int
        due_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.update_goal(self.goal, warned=True)

    class GoalBreached(Event):
        """The goal's due time passed before it was met (recorded once per run)."""

        goal: str
        run: int
        due_at: datetime
        notify: list[str]
        """The roles the policy names to be told of the miss."""

        def apply(self, aggregate: Any) -> None:
            aggregate.update_goal(self.goal, breached=True)

    # What the events above assign; a ticket's created event sets them first (``start_state``).
    status: str
    policy_name: str | None
    policy_version: int | None
    policy_digest: str | None
    goals: dict[str, GoalRecord]

    @staticmethod
    def start_state() -> dict[str, object]:
        """What a new ticket holds for its SLA clock: no policy and no goals, until pinned."""
        return {"policy_name": None, "policy_version": None, "policy_digest": None, "goals": {}}

    def __deepcopy__(self, memo: dict[int, object]) -> Ticket:
        """A copy for the aggregate cache, made field by field.

        Every field holds an immutable value (``str``, ``int``, ``bool``, ``Decimal``, aware
        ``datetime``, ``None``) except the dicts (personal data, goals and their records) and
        the list of pending events, which are copied; ``tests/unit/test_repair_copy.py``
        keeps that true. A generic deep copy would walk every datetime and decimal and cost a
        fifth of a command.
        """
        copy = object.__new__(type(self))
        state = dict(self.__dict__)
        for name, value in state.items():
            if isinstance(value, dict):
                state[name] = {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
            elif isinstance(value, list):
                state[name] = list(value)
        copy.__dict__.update(state)
        memo[id(self)] = copy
        return copy

    def update_goal(self, name: str, **values: object) -> None:
        """Replaces one goal's record with these values changed (for ``apply`` only)."""
        self.goals = {**self.goals, name: {**self.goals[name], **values}}

    # ------------------------------------------------------------------ decide

    def change_policy(self, cmd: c.ChangePolicy, d: Decision) -> None:
        """Pins the ticket to another policy version; goals already running keep their dues."""
        self._begin_ticket_step(cmd.step, d)
        if d.policy is None or (d.policy.name, d.policy.version) != (cmd.policy, cmd.version):
            msg = f"the desk has no SLA policy {cmd.policy} version {cmd.version}"
            raise ConfigurationError(msg)
        if (self.policy_name, self.policy_version) == (cmd.policy, cmd.version):
            return  # already pinned there: nothing to record
        self._emit(
            self.PolicyPinned, d, policy=cmd.policy, version=cmd.version,
            digest=d.policy.digest(), reason=cmd.reason,
        )  # fmt: skip
        for name, record in self.goals.items():
            if record["status"] in OPEN and not d.policy.has_goal(name):
                cancelled = {"goal": name, "run": record["run"], "reason": "policy changed"}
                self._record_goal_change(GoalChange("GoalCancelled", cancelled), d)

    def record_goal_warning(self, cmd: c.RecordGoalWarning, d: Decision) -> None:
        """Records that the goal's warning was raised; a repeat, or a stale run, is a no-op."""
        self._begin_ticket_step(cmd.step, d)
        record = self._open_goal(cmd.goal, cmd.due_at)
        if record is None or record["warned"] or record["breached"]:
            return
        due = cmd.due_at
        if d.at >= due:
            self._refuse_rule(cmd.step, f"{cmd.goal} is already due ({due.isoformat()}); "
                              "record the breach instead")  # fmt: skip
        warn_at = record["warn_at"]
        if isinstance(warn_at, datetime) and d.at < warn_at:
            self._refuse_rule(cmd.step, f"{cmd.goal} is not due a warning until "
                              f"{warn_at.isoformat()}")  # fmt: skip
        self._emit(self.GoalWarned, d, goal=cmd.goal, run=record["run"], due_at=due)

    def record_goal_breach(self, cmd: c.RecordGoalBreach, d: Decision) -> None:
        """Records that the goal was not met by its due time; a repeat is a no-op."""
        self._begin_ticket_step(cmd.step, d)
        record = self._open_goal(cmd.goal, cmd.due_at)
        if record is None or record["breached"] or record["status"] != GoalStatus.RUNNING:
            return  # unknown, stale, already recorded, or paused (a paused clock cannot run out)
        due = cmd.due_at
        if d.at < due:
            self._refuse_rule(cmd.step, f"{cmd.goal} is not due until {due.isoformat()}")
        notify: list[str] = []
        if d.policy is not None and d.policy.has_goal(cmd.goal):
            notify = [role.value for role in d.policy.goal(cmd.goal).notify]
        self._emit(
            self.GoalBreached, d, goal=cmd.goal, run=record["run"], due_at=due, notify=notify
        )

    # ------------------------------------------------------------------ helpers

    def _open_goal(self, goal: str, due_at: datetime) -> GoalRecord | None:
        """The goal's record if it is open and still due at ``due_at``."""
        record = self.goals.get(goal)
        if record is None or record["due_at"] != due_at:
            return None
        return record if GoalStatus(str(record["status"])) in OPEN else None

    def _start_clock(self, d: Decision) -> None:
        """Pins a new ticket to the desk's current policy, if it has one."""
        if d.policy is not None:
            self._emit(
                self.PolicyPinned, d, policy=d.policy.name, version=d.policy.version,
                digest=d.policy.digest(), reason="logged",
            )  # fmt: skip

    def _emit(self, event_class: type[Ticket.Event], d: Decision, **fields: Any) -> None:
        """Records one event of the step, then the goal events it causes."""
        self.trigger_event(
            event_class, timestamp=d.at, actor=d.actor.id, command_id=d.command_id, **fields
        )
        if event_class.__name__ not in CLOCK_EVENTS:  # the clock's own events time nothing
            self._track_goals(self.pending_events[-1], d)

    def _track_goals(self, event: object, d: Decision) -> None:
        if d.policy is None or d.calendar is None or self.policy_name is None:
            return
        if (d.policy.name, d.policy.version) != (self.policy_name, self.policy_version):
            return  # the desk decided under another policy; nothing is tracked against it
        occurrence = Occurrence.of(event, d.at, self.goal_facts(type(event).__name__))
        for change in goal_changes(d.policy, d.calendar, self.kind, self.goals, occurrence):
            self._record_goal_change(change, d)

    def _record_goal_change(self, change: GoalChange, d: Decision) -> None:
        event_class = getattr(type(self), change.event)  # the subclass's own, with its topic
        self.trigger_event(
            event_class, timestamp=d.at, actor=d.actor.id, command_id=d.command_id,
            **change.fields,
        )  # fmt: skip

    def goal_facts(self, event_name: str) -> dict[str, object]:
        """Facts besides its fields that a goal may test on this event (see ``GOAL_FACTS``)."""
        del event_name
        return {}

    def _begin_ticket_step(self, command: str, d: Decision) -> None:
        """Checks who acts and that time does not run backwards, for a step in any state."""
        authorise_ticket_step(command, d.actor)
        self._not_before_last_step(command, d)

    def _not_before_last_step(self, command: str, d: Decision) -> None:
        """Refuses a step dated before the ticket's last one: its record never runs backwards."""
        if d.at < self.modified_on:
            self._refuse_rule(
                command, f"the {self.noun}'s last step was at {self.modified_on.isoformat()}; "
                f"a step cannot happen before it ({d.at.isoformat()})",
            )  # fmt: skip

    def _member(self, command: str, person_id: str, field: str, d: Decision) -> Person:
        """The organisation's person with this id, or a :class:`RuleViolation` naming ``field``."""
        person = d.organisation.person(person_id)
        if person is None:
            self._refuse_rule(command, f"{field} {person_id!r} is not in the estate's organisation")
        return person

    def _refuse_rule(self, command: str, rule: str) -> NoReturn:
        raise RuleViolation(command, self.status, rule)
