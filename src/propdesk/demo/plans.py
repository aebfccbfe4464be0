"""The deck: before each day starts, each request is dealt a :class:`Plan` and a :class:`Twist`.

A plan fixes the arrival, channel, item, unit, owner, technician and appointment; the twist is
the unusual path the request takes, if any, dealt in the shares of :data:`TWIST_SHARES`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from propdesk.demo.catalogue import (
    HOUSEHOLD_ITEMS,
    MOBILE_PREFIXES,
    PUBLIC_ITEMS,
    PUBLIC_PLACES,
    SURNAMES,
    UNLISTED_ITEMS,
    RepairItem,
)
from propdesk.domain import commands as c
from propdesk.domain.values import Channel, RepairScope

if TYPE_CHECKING:
    from propdesk.demo.cast import Cast
    from propdesk.demo.settings import DemoSettings


class Twist(StrEnum):
    """The path a request is dealt; most get :attr:`NONE`."""

    NONE = "none"
    REFUSED_ONCE = "refused_once"
    """The technician refuses; the supervisor goes."""
    REFUSED_TWICE = "refused_twice"
    """The technician and the supervisor refuse; the level above goes."""
    PROJECT_MANAGER_GOES = "project_manager_goes"
    """Everyone below refuses; the project manager goes in person."""
    NO_STAFF_SAME_DAY = "no_staff_same_day"
    """Nobody can be sent; the owner agrees a later time today."""
    NO_STAFF_AFTER_SHIFT = "no_staff_after_shift"
    """Nobody can be sent; the owner agrees a time after the notifier's shift."""
    NOBODY_HOME = "nobody_home"
    """Two unanswered knocks; the technician leaves and comes back later."""
    DOOR_ANSWERED_LATE = "door_answered_late"
    """The first knock goes unanswered, the second is answered."""
    QUOTE_ACCEPTED = "quote_accepted"
    QUOTE_DECLINED = "quote_declined"
    NOT_REPAIRABLE = "not_repairable"
    DECLINED_ON_SITE = "declined_on_site"
    UNHAPPY_CALLBACK = "unhappy_callback"
    """The callback finds a problem; the work is redone."""


TWIST_SHARES: dict[Twist, float] = {
    Twist.NO_STAFF_SAME_DAY: 0.015,
    Twist.NO_STAFF_AFTER_SHIFT: 0.015,
    Twist.PROJECT_MANAGER_GOES: 0.015,
    Twist.REFUSED_TWICE: 0.03,
    Twist.REFUSED_ONCE: 0.07,
    Twist.NOBODY_HOME: 0.05,
    Twist.DOOR_ANSWERED_LATE: 0.02,
    Twist.QUOTE_ACCEPTED: 0.04,
    Twist.QUOTE_DECLINED: 0.015,
    Twist.NOT_REPAIRABLE: 0.01,
    Twist.DECLINED_ON_SITE: 0.02,
    Twist.UNHAPPY_CALLBACK: 0.05,
}
"""The share of requests dealt each twist; each twist is dealt at least once when there are
enough requests. The rest take the plain path."""

_QUOTE_TWISTS = frozenset({Twist.QUOTE_ACCEPTED, Twist.QUOTE_DECLINED, Twist.NOT_REPAIRABLE})
AT_HOME_TWISTS = frozenset({Twist.NOBODY_HOME, Twist.DOOR_ANSWERED_LATE, Twist.DECLINED_ON_SITE})
REFUSALS = {
    Twist.REFUSED_ONCE: 1,
    Twist.REFUSED_TWICE: 2,
    Twist.PROJECT_MANAGER_GOES: 99,
    Twist.NO_STAFF_SAME_DAY: 99,
    Twist.NO_STAFF_AFTER_SHIFT: 99,
}
"""Refusals on the first dispatch; 99 climbs to the top of the chain."""

ARRIVALS_PER_HOUR = {
    8: 3,
    9: 5,
    10: 5,
    11: 4,
    12: 2,
    13: 3,
    14: 4,
    15: 4,
    16: 4,
    17: 4,
    18: 4,
    19: 3,
}
"""Relative weight of each hour from 08:00 to 20:00: busy mornings, a lunch lull."""


@dataclass(frozen=True)
class Plan:
    """One request as dealt before the day starts."""

    ticket_id: UUID
    arrival: datetime
    channel: Channel
    twist: Twist
    item: RepairItem
    unit: str
    owner: c.OwnerContact
    technician: str
    paid: bool
    appointment: datetime | None
    seed: int
    """Seeds the request's own generator, so stories do not disturb one another."""


def deck_seed(seed: int, deck: str, day: int) -> int | str:
    """The seed of one day's deck, from the settings' seed, the deck's name and the day's index.

    The first day's repairs are dealt from the seed itself, as they were when the demo
    simulated one day, so that a one-day run deals what it always did. Every other deck gets
    a seed of its own; :class:`random.Random` hashes a string seed the same way in every
    process.
    """
    if deck == "repairs" and day == 0:
        return seed
    return f"{seed}/{deck}/{day}"


def deal_plans(settings: DemoSettings, cast: Cast, day_start: datetime, day: int = 0) -> list[Plan]:
    """Deals the requests of the day starting at ``day_start``, in order of arrival.

    ``day`` is the day's index in the run (0 for the first); the deck is dealt from
    :func:`deck_seed`.
    """
    rng = random.Random(deck_seed(settings.seed, "repairs", day))
    arrivals = sorted(_arrival_time(rng, day_start) for _ in range(settings.repairs))
    twists = _deal_twists(rng, arrivals, cast)
    return [_plan(rng, cast, at, twist) for at, twist in zip(arrivals, twists, strict=True)]


def _arrival_time(rng: random.Random, day_start: datetime) -> datetime:
    hours = list(ARRIVALS_PER_HOUR)
    hour = rng.choices(hours, weights=[ARRIVALS_PER_HOUR[h] for h in hours])[0]
    return day_start + timedelta(hours=hour, seconds=rng.randrange(3600))


def _deal_twists(rng: random.Random, arrivals: list[datetime], cast: Cast) -> list[Twist]:
    """Deals each twist its share; a same-day reschedule needs a morning request."""
    dealt = [Twist.NONE] * len(arrivals)
    order = list(range(len(arrivals)))
    rng.shuffle(order)
    for twist, share in TWIST_SHARES.items():
        wanted = max(1, round(share * len(arrivals)))
        for index in order:
            if wanted == 0:
                break
            morning = arrivals[index].astimezone(cast.zone).hour < 14  # noqa: PLR2004 - 2 pm
            if dealt[index] is Twist.NONE and (twist is not Twist.NO_STAFF_SAME_DAY or morning):
                dealt[index] = twist
                wanted -= 1
    return dealt


def _plan(rng: random.Random, cast: Cast, arrival: datetime, twist: Twist) -> Plan:
    item = _pick_item(rng, twist)
    household = item.scope is RepairScope.HOUSEHOLD
    return Plan(
        ticket_id=UUID(int=rng.getrandbits(128), version=4),
        arrival=arrival,
        channel=_pick_channel(rng, cast, arrival),
        twist=twist,
        item=item,
        unit=pick_unit(rng) if household else _pick_place(rng),
        owner=pick_owner(rng),
        technician=rng.choice(cast.technicians).id,
        paid=household and (not item.in_price_list or rng.random() < 0.75),  # noqa: PLR2004 - most household work is paid
        appointment=_pick_appointment(rng, cast, arrival, twist),
        seed=rng.getrandbits(64),
    )


def _pick_item(rng: random.Random, twist: Twist) -> RepairItem:
    if twist in _QUOTE_TWISTS:
        return rng.choice(UNLISTED_ITEMS)
    if twist in AT_HOME_TWISTS or rng.random() >= 0.2:  # noqa: PLR2004 - a fifth are public
        return rng.choice(HOUSEHOLD_ITEMS)
    return rng.choice(PUBLIC_ITEMS)


def _pick_channel(rng: random.Random, cast: Cast, arrival: datetime) -> Channel:
    if cast.notifier_at(arrival) == cast.day_notifier:
        choices = (Channel.PHONE, Channel.WECHAT, Channel.VISIT, Channel.LETTER)
        return rng.choices(choices, weights=(45, 30, 20, 5))[0]
    return rng.choices((Channel.PHONE, Channel.WECHAT), weights=(60, 40))[0]


def pick_unit(rng: random.Random) -> str:
    """A household in one of the estate's buildings, like 3栋2单元1201."""
    floor, room = rng.randint(1, 18), rng.randint(1, 4)
    return f"{rng.randint(1, 12)}栋{rng.randint(1, 3)}单元{floor}{room:02d}"


def pick_owner(rng: random.Random) -> c.OwnerContact:
    """A resident: a surname with 先生 or 女士, and a mobile number."""
    return c.OwnerContact(
        name=f"{rng.choice(SURNAMES)}{rng.choice(('先生', '女士'))}",
        phone=rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
    )


def _pick_place(rng: random.Random) -> str:
    if rng.random() < 0.15:  # noqa: PLR2004 - some public repairs are outside the buildings
        return rng.choice(("地下车库B区", "东门岗亭旁", "中心花园"))
    return f"{rng.randint(1, 12)}栋{rng.randint(1, 3)}单元{rng.choice(PUBLIC_PLACES)}"


def _pick_appointment(
    rng: random.Random, cast: Cast, arrival: datetime, twist: Twist
) -> datetime | None:
    """Some residents name a time (预约维修时间): later today, or tomorrow morning."""
    if twist in REFUSALS or rng.random() >= 0.15:  # noqa: PLR2004 - 15 % book a time
        return None
    local = arrival.astimezone(cast.zone)
    if local.hour >= 18:  # noqa: PLR2004 - evening requests are booked for the morning
        return cast.local(local.date() + timedelta(days=1), rng.choice((9, 10, 11)))
    later = local.replace(minute=0, second=0) + timedelta(hours=rng.randint(2, 4))
    return later if later.hour < 20 else None  # noqa: PLR2004 - no visits booked after 8 pm
