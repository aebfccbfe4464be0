"""The complaint deck: before each day starts, each complaint is dealt a plan and a twist.

A :class:`ComplaintPlan` fixes the arrival, channel, matter, place, complainant and handler;
the :class:`ComplaintTwist` is the path the complaint takes, dealt in the shares of
:data:`COMPLAINT_TWIST_SHARES`. The deck has its own seed (see
:func:`~propdesk.demo.plans.deck_seed`), so complaints never change the repairs dealt.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from propdesk.demo.catalogue import PUBLIC_PLACES
from propdesk.demo.complaint_catalogue import (
    ABOUT_A_REPAIR,
    BIG_PROBLEMS,
    INVALID,
    MAJOR,
    ORDINARY,
    PREFERRED_REPLY_TIMES,
    URGENT,
    ComplaintMatter,
    InvalidMatter,
)
from propdesk.demo.plans import deck_seed, pick_owner, pick_unit
from propdesk.domain.values import Channel

if TYPE_CHECKING:
    from collections.abc import Sequence

    from propdesk.demo.complaint_cast import ComplaintCast
    from propdesk.demo.plans import Plan
    from propdesk.demo.settings import DemoSettings
    from propdesk.domain.commands import OwnerContact


class ComplaintTwist(StrEnum):
    """The path a complaint is dealt; the rest take :attr:`NONE`."""

    NONE = "none"
    """Received, classified, routed, contacted, answered, resolved, reported, closed."""
    URGENT = "urgent"
    """紧急投诉: classified and passed to the specialty within minutes (T42)."""
    MAJOR = "major"
    """重大投诉: the project head is told the same day and approves the plan (T35–T37)."""
    BIG_PROBLEM = "big_problem"
    """大问题: a plan with a cost, a reply within 3 days, handled within 5 (T46)."""
    INVALID = "invalid"
    """无效投诉: answered, helped anyway, and closed as invalid (C12)."""
    DEFERRED = "deferred"
    """Cannot be solved in time: deferred to an expected date with the resident (C7)."""
    REOPENED = "reopened"
    """The resident is not satisfied with the result; handled again once (C10)."""
    OVERDUE = "overdue"
    """The handling time limit (处理时限) passes; escalated to the office head (C11)."""
    ABOUT_A_REPAIR = "about_a_repair"
    """A complaint about one of the day's repairs, linked to it (R8)."""


COMPLAINT_TWIST_SHARES: dict[ComplaintTwist, float] = {
    ComplaintTwist.URGENT: 0.05,
    ComplaintTwist.MAJOR: 0.03,
    ComplaintTwist.BIG_PROBLEM: 0.03,
    ComplaintTwist.INVALID: 0.08,
    ComplaintTwist.DEFERRED: 0.06,
    ComplaintTwist.REOPENED: 0.06,
    ComplaintTwist.OVERDUE: 0.04,
    ComplaintTwist.ABOUT_A_REPAIR: 0.12,
}
"""The share of complaints dealt each twist; each twist is dealt at least once when there are
enough complaints (and a complaint about a repair only when there are repairs). The rest take
the plain path."""

ARRIVALS_PER_HOUR = {
    8: 2, 9: 4, 10: 4, 11: 3, 12: 1, 13: 2, 14: 3, 15: 3, 16: 3, 17: 3, 18: 3, 19: 3, 20: 2,
}  # fmt: skip
"""Relative weight of each hour from 08:00 to 21:00: residents complain after work too."""
URGENT_HOURS = range(8, 17)
"""Urgent complaints arrive while customer service is in, so they are graded at once."""


@dataclass(frozen=True)
class ComplaintPlan:
    """One complaint as dealt before the day starts."""

    ticket_id: UUID
    arrival: datetime
    channel: Channel
    twist: ComplaintTwist
    matter: ComplaintMatter | InvalidMatter
    what_happened: str
    """The matter's account, with the repaired item filled in for a complaint about one."""
    place: str
    complainant: OwnerContact
    preferred_reply_time: str | None
    occurred_at: datetime
    handler: str
    """Who the complaint will be routed to; unused for an invalid one."""
    repair: UUID | None
    """The repair a complaint about a repair concerns."""
    seed: int
    """Seeds the complaint's own generator, so stories do not disturb one another."""


def deal_complaints(
    settings: DemoSettings,
    cast: ComplaintCast,
    day_start: datetime,
    repairs: Sequence[Plan],
    day: int = 0,
) -> list[ComplaintPlan]:
    """Deals the complaints of the day starting at ``day_start``, in order of arrival.

    ``repairs`` are the same day's repair plans, which complaints about a repair pick from;
    ``day`` is the day's index in the run.
    """
    rng = random.Random(deck_seed(settings.seed, "complaints", day))
    twists = _deal_twists(rng, settings.complaints_per_day, repairs=bool(repairs))
    plans = [_plan(rng, cast, day_start, twist, repairs) for twist in twists]
    return sorted(plans, key=lambda plan: plan.arrival)


def _deal_twists(rng: random.Random, count: int, *, repairs: bool) -> list[ComplaintTwist]:
    dealt = [ComplaintTwist.NONE] * count
    order = list(range(count))
    rng.shuffle(order)
    free = iter(order)
    for twist, share in COMPLAINT_TWIST_SHARES.items():
        if twist is ComplaintTwist.ABOUT_A_REPAIR and not repairs:
            continue
        for index in itertools.islice(free, max(1, round(share * count))):
            dealt[index] = twist
    return dealt


def _plan(
    rng: random.Random,
    cast: ComplaintCast,
    day_start: datetime,
    twist: ComplaintTwist,
    repairs: Sequence[Plan],
) -> ComplaintPlan:
    ticket_id = UUID(int=rng.getrandbits(128), version=4)
    matter = _pick_matter(rng, twist)
    if twist is ComplaintTwist.ABOUT_A_REPAIR:
        repair = _pick_repair(rng, repairs)
        arrival = min(
            repair.arrival + timedelta(minutes=rng.uniform(60, 300)),
            day_start + timedelta(hours=21, minutes=30),
        )
        occurred = repair.arrival + (arrival - repair.arrival) * rng.uniform(0.2, 0.8)
        what_happened = matter.what_happened.format(item=repair.item.description)
        place, complainant, repair_id = repair.unit, repair.owner, repair.ticket_id
        handler = cast.cast.supervisor_of(repair.technician).id
    else:
        hours = URGENT_HOURS if twist is ComplaintTwist.URGENT else ARRIVALS_PER_HOUR
        arrival = _arrival_time(rng, day_start, list(hours))
        before = (5, 30) if twist is ComplaintTwist.URGENT else (30, 2 * 24 * 60)
        occurred = arrival - timedelta(minutes=rng.uniform(*before))
        what_happened = matter.what_happened
        at_home = isinstance(matter, InvalidMatter) or matter.at_home
        place = pick_unit(rng) if at_home else _pick_place(rng)
        complainant = pick_owner(rng)
        repair_id = None
        handler = _pick_handler(rng, cast, matter)
    return ComplaintPlan(
        ticket_id=ticket_id,
        arrival=arrival,
        channel=_pick_channel(rng, cast, arrival, twist),
        twist=twist,
        matter=matter,
        what_happened=what_happened,
        place=place,
        complainant=complainant,
        preferred_reply_time=rng.choice((None, *PREFERRED_REPLY_TIMES)),
        occurred_at=occurred.replace(microsecond=0),
        handler=handler,
        repair=repair_id,
        seed=rng.getrandbits(64),
    )


def _pick_matter(rng: random.Random, twist: ComplaintTwist) -> ComplaintMatter | InvalidMatter:
    if twist is ComplaintTwist.INVALID:
        return rng.choice(INVALID)
    if twist is ComplaintTwist.DEFERRED:
        return rng.choice([m for m in ORDINARY if m.deferral is not None])
    special = {
        ComplaintTwist.URGENT: URGENT,
        ComplaintTwist.MAJOR: MAJOR,
        ComplaintTwist.BIG_PROBLEM: BIG_PROBLEMS,
        ComplaintTwist.ABOUT_A_REPAIR: ABOUT_A_REPAIR,
    }
    return rng.choice(special.get(twist, ORDINARY))


def _pick_repair(rng: random.Random, repairs: Sequence[Plan]) -> Plan:
    """One of the day's repairs, preferably logged in time for a complaint the same evening."""
    early = [plan for plan in repairs if plan.arrival.hour < 17]  # noqa: PLR2004 - 5 pm
    return rng.choice(early or list(repairs))


def _pick_handler(
    rng: random.Random, cast: ComplaintCast, matter: ComplaintMatter | InvalidMatter
) -> str:
    if isinstance(matter, InvalidMatter):
        return cast.service.id
    return rng.choice(cast.handlers[matter.department]).id


def _arrival_time(rng: random.Random, day_start: datetime, hours: list[int]) -> datetime:
    weights = [ARRIVALS_PER_HOUR.get(hour, 1) for hour in hours]
    hour = rng.choices(hours, weights=weights)[0]
    return day_start + timedelta(hours=hour, seconds=rng.randrange(3600))


def _pick_channel(
    rng: random.Random, cast: ComplaintCast, arrival: datetime, twist: ComplaintTwist
) -> Channel:
    """Urgent complaints are phoned in; by day some come in person, by letter or online."""
    if twist is ComplaintTwist.URGENT:
        return Channel.PHONE
    if cast.cast.notifier_at(arrival) == cast.cast.day_notifier:
        choices = (Channel.PHONE, Channel.VISIT, Channel.WECHAT, Channel.LETTER, Channel.ONLINE)
        return rng.choices(choices, weights=(45, 25, 15, 5, 10))[0]
    return rng.choices((Channel.PHONE, Channel.WECHAT), weights=(70, 30))[0]


def _pick_place(rng: random.Random) -> str:
    if rng.random() < 0.3:  # noqa: PLR2004 - some happen outside the buildings
        return rng.choice(("地下车库B区", "东门岗亭", "中心花园", "北门车行道"))
    return f"{rng.randint(1, 12)}栋{rng.randint(1, 3)}单元{rng.choice(PUBLIC_PLACES)}"
