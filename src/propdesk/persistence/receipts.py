"""Command receipts: what makes a retried command apply once and answer the same.

A receipt is a one-event aggregate whose id is derived from the caller's command id. It is
saved in the same transaction as the ticket's new events, so either both are stored or
neither is; a second attempt with the same command id collides on the receipt's id and
finds the first attempt's result instead.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "https://propdesk.invalid/command-receipt")
TICKET_NAMESPACE = uuid5(NAMESPACE_URL, "https://propdesk.invalid/ticket")


def receipt_id(command_id: str) -> UUID:
    """The receipt id for a command id."""
    return uuid5(RECEIPT_NAMESPACE, command_id)


def ticket_id_for(command_id: str) -> UUID:
    """The ticket id a ``log_repair`` command with this command id creates, if none is given."""
    return uuid5(TICKET_NAMESPACE, command_id)


class CommandReceipt(Aggregate):
    """The stored outcome of one identified command."""

    class Recorded(Aggregate.Created):
        """The command was applied: to which ticket, which step, which versions."""

        command_id: str
        step: str
        ticket_id: UUID
        first_version: int
        last_version: int
        state: str
        events: list[str]
        fingerprint: str
        """A digest of the command's data: a retry must ask for the same thing."""

        def apply(self, aggregate: Any) -> None:
            aggregate.command_id = self.command_id
            aggregate.step = self.step
            aggregate.ticket_id = self.ticket_id
            aggregate.first_version = self.first_version
            aggregate.last_version = self.last_version
            aggregate.state = self.state
            aggregate.events = self.events
            aggregate.fingerprint = self.fingerprint

    def __init__(self) -> None:
        """Nothing to do: the ``Recorded`` event's ``apply`` sets every field."""

    command_id: str
    step: str
    ticket_id: UUID
    first_version: int
    last_version: int
    state: str
    events: list[str]
    fingerprint: str

    @classmethod
    def record(
        cls,
        *,
        command_id: str,
        step: str,
        ticket_id: UUID,
        first_version: int,
        last_version: int,
        state: str,
        events: list[str],
        fingerprint: str,
        at: Any,
    ) -> CommandReceipt:
        """A new receipt for a command that has just been decided."""
        return cls._create(
            cls.Recorded,
            id=receipt_id(command_id),
            timestamp=at,
            command_id=command_id,
            step=step,
            ticket_id=ticket_id,
            first_version=first_version,
            last_version=last_version,
            state=state,
            events=events,
            fingerprint=fingerprint,
        )
