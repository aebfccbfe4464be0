"""Who plays which part in the demo, and the working hours of the offices they work in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from propdesk.domain.errors import ConfigurationError
from propdesk.domain.values import Role

if TYPE_CHECKING:
    from propdesk.domain.organisation import Organisation, Person


@dataclass(frozen=True)
class Cast:
    """Who plays which part in the demo, read from the estate's organisation."""

    organisation: Organisation
    zone: ZoneInfo
    day_notifier: Person
    night_notifier: Person
    technicians: tuple[Person, ...]
    callback_staff: Person
    finance: Person

    @classmethod
    def of(cls, organisation: Organisation) -> Cast:
        """Casts the organisation; raises :class:`ConfigurationError` for a missing part."""
        people = organisation.people
        notifiers = sorted(
            (p for p in people if p.has(Role.NOTIFIER)),
            key=lambda p: p.shift_end or time.max,
        )
        technicians = tuple(p for p in people if p.has(Role.TECHNICIAN))
        service = [p for p in people if p.has(Role.CUSTOMER_SERVICE)]
        finance = [p for p in people if p.has(Role.FINANCE)]
        for needed, found in (
            ("a notifier", notifiers),
            ("a technician", technicians),
            ("a customer-service person", service),
            ("a finance person", finance),
        ):
            if not found:
                raise ConfigurationError(f"the demo needs {needed} in estate {organisation.estate}")
        night = notifiers[0] if (notifiers[0].shift_end or time.max) < time(12) else notifiers[-1]
        cast = cls(
            organisation=organisation,
            zone=ZoneInfo(organisation.zone),
            day_notifier=notifiers[-1],
            night_notifier=night,
            technicians=technicians,
            callback_staff=_callback_staff(organisation, service),
            finance=finance[0],
        )
        for technician in technicians:
            cast.supervisor_of(technician.id)
        return cast

    def notifier_at(self, at: datetime) -> Person:
        """The notifier on duty at ``at``: the front desk by day, the night duty officer after."""
        day_ends = self.day_notifier.shift_end
        if day_ends is None or self.night_notifier == self.day_notifier:
            return self.day_notifier
        day_begins = self.night_notifier.shift_end or time(0)
        local = at.astimezone(self.zone).time()
        return self.day_notifier if day_begins <= local < day_ends else self.night_notifier

    def supervisor_of(self, person_id: str) -> Person:
        """The first engineering supervisor above ``person_id``."""
        supervisor = self._supervisor_above(person_id)
        if supervisor is None:
            raise ConfigurationError(f"the demo needs an engineering supervisor above {person_id}")
        return supervisor

    def reviewer(self, technician: str, acceptor: str) -> Person:
        """Who checks the acceptor's work: the technician's supervisor, or theirs if he went."""
        supervisor = self.supervisor_of(technician)
        if supervisor.id != acceptor:
            return supervisor
        return self._supervisor_above(supervisor.id) or supervisor

    def _supervisor_above(self, person_id: str) -> Person | None:
        chain = self.organisation.chain_from(person_id)[1:]
        return next((p for p in chain if p.has(Role.ENGINEERING_SUPERVISOR)), None)

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """The moment ``hour:minute`` on ``day`` at the estate."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)

    def within(self, at: datetime, opens: time, closes: time) -> datetime:
        """``at`` if it falls in the daily hours ``[opens, closes)``, else the next opening."""
        local = at.astimezone(self.zone)
        if local.time() < opens:
            return datetime.combine(local.date(), opens, tzinfo=self.zone)
        if local.time() >= closes:
            return datetime.combine(local.date() + timedelta(days=1), opens, tzinfo=self.zone)
        return at


def _callback_staff(organisation: Organisation, service: list[Person]) -> Person:
    """Who makes callbacks: customer service staff rather than the desk or its manager."""

    def rank(person: Person) -> tuple[bool, bool]:
        superior = organisation.superior_of(person.id)
        staff = superior is not None and superior.has(Role.CUSTOMER_SERVICE)
        return (person.has(Role.NOTIFIER), not staff)

    return min(service, key=rank)


FINANCE_HOURS = (time(8, 30), time(17, 30))
CALLBACK_HOURS = (time(9, 30), time(17, 30))
SUPERVISOR_HOURS = (time(8, 0), time(21, 0))
