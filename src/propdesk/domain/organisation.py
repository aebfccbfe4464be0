"""The organisation of one estate or project: its people, their roles, and who reports to whom.

The seeds name only the two ends of the dispatch-refusal chain (the acceptor and the 项目经理,
seed-spec §1.3 E1) and say the levels between are climbed one at a time (逐级). The levels are
therefore data: each person names the person they report to, and the chain is read from those
lines until it reaches a project manager. ``docs/explanation/seed-decisions.md`` records why.
"""

from __future__ import annotations

from datetime import time
from functools import cached_property
from typing import Self

from pydantic import Field, model_validator

from propdesk.domain.errors import ConfigurationError
from propdesk.domain.validated import ValidatedConfig
from propdesk.domain.values import PersonId, Role, ShortText, ZoneName, listed_twice


class Person(ValidatedConfig):
    """Someone who works at the estate's desk or is dispatched from it."""

    id: PersonId
    name: ShortText
    roles: frozenset[Role] = Field(min_length=1)
    reports_to: PersonId | None = None
    """The person's direct superior (上级); ``None`` only for a project manager."""
    department: ShortText | None = None
    shift_start: time | None = None
    """For a notifier: when their shift starts, local time; with ``shift_end`` it tells a
    day shift from a night shift that runs past midnight."""
    shift_end: time | None = None
    """For a notifier: when their shift ends (通知人员下班时间), local time; decides T13."""

    def has(self, role: Role) -> bool:
        """Whether the person holds ``role``."""
        return role in self.roles


class Organisation(ValidatedConfig):
    """People and reporting lines of one estate (管理处 / 项目)."""

    estate: ShortText
    """The estate's id, written on every ticket it logs."""
    name: ShortText
    zone: ZoneName = "Asia/Shanghai"
    """The estate's time zone; decides what 'the same day' means."""
    people: tuple[Person, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_lines(self) -> Self:
        ids = [person.id for person in self.people]
        duplicates = listed_twice(ids)
        if duplicates:
            msg = f"people listed twice: {', '.join(duplicates)}"
            raise ValueError(msg)
        known = set(ids)
        for person in self.people:
            if person.reports_to is not None and person.reports_to not in known:
                msg = f"{person.id} reports to {person.reports_to}, who is not in the organisation"
                raise ValueError(msg)
            if person.reports_to is None and not person.has(Role.PROJECT_MANAGER):
                msg = (
                    f"{person.id} reports to nobody but is not a project manager; "
                    "every chain must end at a project manager (逐级派工 to 项目经理)"
                )
                raise ValueError(msg)
        for person in self.people:
            self._walk_to_top(person.id)
        return self

    @cached_property
    def _by_id(self) -> dict[str, Person]:
        return {person.id: person for person in self.people}

    def person(self, person_id: str) -> Person | None:
        """The person with this id, or ``None``."""
        return self._by_id.get(person_id)

    def superior_of(self, person_id: str) -> Person | None:
        """The person's direct superior, or ``None`` at the top of the chain."""
        person = self._by_id[person_id]
        if person.has(Role.PROJECT_MANAGER) or person.reports_to is None:
            return None
        return self._by_id[person.reports_to]

    def chain_from(self, person_id: str) -> tuple[Person, ...]:
        """The escalation chain (E1): the person, their superior, ... up to the project manager."""
        return tuple(self._by_id[pid] for pid in self._walk_to_top(person_id))

    def _walk_to_top(self, person_id: str) -> list[str]:
        chain = [person_id]
        current = self._by_id[person_id]
        while not current.has(Role.PROJECT_MANAGER):
            if current.reports_to is None:  # pragma: no cover - rejected by _check_lines
                msg = f"{current.id} has no superior"
                raise ValueError(msg)
            if current.reports_to in chain:
                msg = f"reporting lines loop: {' -> '.join([*chain, current.reports_to])}"
                raise ValueError(msg)
            chain.append(current.reports_to)
            current = self._by_id[current.reports_to]
        return chain

    @classmethod
    def from_mapping(cls, data: object, *, source: str = "organisation") -> Organisation:
        """Validates an organisation from plain data (as read from a file by the caller).

        Raises:
            ConfigurationError: the data are not a valid organisation; the message names
                ``source`` and every invalid field.
        """
        try:
            return cls.model_validate(data)
        except ConfigurationError as error:
            raise ConfigurationError(
                f"{source} is not a valid organisation: {'; '.join(error.problems)}",
                error.problems,
            ) from None
