"""Typed errors: everything propdesk raises on purpose derives from :class:`PropdeskError`.

Every error leaves the store untouched: the domain raises them while deciding, before any
event exists, and the application raises them before it saves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydantic import ValidationError


class PropdeskError(Exception):
    """Base class of every error propdesk raises on purpose."""


class IllegalStep(PropdeskError):
    """The step is not allowed from the ticket's current state.

    Attributes:
        step: the step that was asked for.
        state: the ticket's current state.
        allowed: the steps the lifecycle allows from that state, sorted.
    """

    def __init__(self, step: str, state: str, allowed: Iterable[str]) -> None:
        self.step = step
        self.state = state
        self.allowed = tuple(sorted(allowed))
        allowed_text = ", ".join(self.allowed) if self.allowed else "none (the ticket is closed)"
        super().__init__(
            f"cannot {step} a ticket in state {state}; steps allowed from {state}: {allowed_text}"
        )


class RuleViolation(PropdeskError):
    """The step is legal from this state, but a seed rule forbids it with these data.

    Examples: dispatching an item outside the price list before its cost review, a second
    door knock sooner than the five-minute wait, a settled fee that does not match the fee
    charged.
    """

    def __init__(self, step: str, state: str, rule: str) -> None:
        self.step = step
        self.state = state
        self.rule = rule
        super().__init__(f"cannot {step} in state {state}: {rule}")


class UnknownTicket(PropdeskError, LookupError):
    """No ticket with this id has been stored."""

    def __init__(self, ticket_id: object) -> None:
        self.ticket_id = ticket_id
        super().__init__(f"no ticket with id {ticket_id}")


class TicketAlreadyExists(PropdeskError):
    """A different command already logged a ticket with this id."""

    def __init__(self, ticket_id: object) -> None:
        self.ticket_id = ticket_id
        super().__init__(f"ticket {ticket_id} already exists (logged by a different command)")


class UnauthorisedActor(PropdeskError, PermissionError):
    """The acting person may not take this step (seed-spec §7.2)."""

    def __init__(self, actor: str, step: str, reason: str) -> None:
        self.actor = actor
        self.step = step
        self.reason = reason
        super().__init__(f"{actor} may not {step}: {reason}")


class InvalidCommand(PropdeskError, ValueError):
    """The command's data are malformed (empty unit, bad phone, negative fee, naive time...).

    Attributes:
        command: the name of the command class.
        problems: one line per invalid field, ``field: message``.
    """

    def __init__(self, command: str, problems: Iterable[str]) -> None:
        self.command = command
        self.problems = tuple(problems)
        super().__init__(f"invalid {command}: " + "; ".join(self.problems))

    @classmethod
    def from_validation_error(cls, command: str, error: ValidationError) -> InvalidCommand:
        """Builds the error from pydantic's, one problem per failing field."""
        problems = []
        for item in error.errors(include_url=False):
            where = ".".join(str(part) for part in item["loc"]) or "(command)"
            problems.append(f"{where}: {item['msg']}")
        return cls(command, problems)


class ConfigurationError(PropdeskError, ValueError):
    """An organisation, rule set or database URL is not usable as given.

    Attributes:
        problems: one line per invalid field, ``field: message``, when a model was invalid.
    """

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__(message)


class ConcurrencyConflict(PropdeskError):
    """Another writer kept changing the ticket; the command gave up after its retries."""

    def __init__(self, ticket_id: object, attempts: int) -> None:
        self.ticket_id = ticket_id
        self.attempts = attempts
        super().__init__(
            f"ticket {ticket_id} changed under this command {attempts} times in a row; "
            "nothing was stored; retry the command with the same command id"
        )


class DatabaseNotInitialised(PropdeskError):
    """The event store's tables do not exist yet."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"the database at {url} has no propdesk tables; run `propdesk db init`")
