"""The demo: a seeded discrete-event simulation of one working day at an estate's repair desk.

A few hundred repair requests (报事报修) arrive between 08:00 and 20:00 by phone, visit,
WeChat and letter. Each request is a *story*: a generator that yields the next step of its
ticket (a time and a :class:`~propdesk.domain.commands.Command`) and receives the desk's
answer. One heap of ``(time, seq, ticket, command)`` entries orders every pending step of every
story; the engine pops the earliest, moves the shared :class:`~propdesk.testing.ManualClock`
to it, and hands the command to :meth:`~propdesk.application.desk.Desk.execute`. Nothing is
written around the desk: every step is an ordinary command.

Most requests take the happy path; a seeded deck deals the rest a twist (a refusal chain up to
the project manager, a reschedule, nobody at home, an item outside the price list, a resident
who declines on site, an unhappy callback). Follow-up work (callbacks, fees, reworks) runs
into the following days up to a horizon; whatever would happen later stays open.

The module prints nothing: :func:`simulate` returns a :class:`DemoRun`, and the report is read
back from the desk by the CLI.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias
from uuid import UUID
from zoneinfo import ZoneInfo

from propdesk.application.views import CommandResult, RepairView
from propdesk.domain import commands as c
from propdesk.domain.errors import ConfigurationError
from propdesk.domain.lifecycle import RepairState
from propdesk.domain.values import Channel, RepairCategory, RepairScope, Role
from propdesk.testing import ManualClock

if TYPE_CHECKING:
    from propdesk.application.desk import Desk
    from propdesk.domain.organisation import Organisation, Person

DEMO_DAY = date(2026, 11, 23)
"""The default simulated day: a Monday."""


# ---------------------------------------------------------------------------- settings, result


@dataclass(frozen=True)
class DemoSettings:
    """What to simulate."""

    repairs: int = 300
    """Repair requests arriving during the day."""
    seed: int = 7
    """Seed of the pseudo-random generator; the same seed gives the same day."""
    day: date = DEMO_DAY
    follow_up_days: int = 2
    """Days after ``day`` simulated for callbacks, fees and rework; later steps stay undone."""


@dataclass(frozen=True)
class DemoRun:
    """What a simulation did; the numbers worth reporting are read back from the desk."""

    settings: DemoSettings
    estate: str
    day_start: datetime
    """Midnight at the start of the simulated day, at the estate."""
    day_end: datetime
    """Midnight at its end."""
    horizon: datetime
    """The end of the follow-up days: no step was taken at or after it."""
    tickets: tuple[UUID, ...]
    """The tickets logged, in the order they were logged."""
    commands: int
    """Commands executed by the desk."""
    steps_beyond_horizon: int
    """Steps the stories would have taken after the horizon (their tickets stay open)."""


def demo_clock(organisation: Organisation, day: date = DEMO_DAY) -> ManualClock:
    """A manual clock at midnight before ``day`` at the estate, ready for :func:`simulate`."""
    return ManualClock(datetime.combine(day, time(0), tzinfo=ZoneInfo(organisation.zone)))


def simulate(
    desk: Desk,
    clock: ManualClock,
    organisation: Organisation,
    settings: DemoSettings | None = None,
    *,
    on_step: Callable[[datetime, int], None] | None = None,
) -> DemoRun:
    """Simulates the day at ``desk``, whose clock must be ``clock``.

    Args:
        desk: an empty desk serving ``organisation``, stamping times from ``clock``.
        clock: the desk's clock, not later than midnight before the day (see
            :func:`demo_clock`); the simulation moves it forward.
        organisation: the estate; it needs technicians, a notifier, customer service and
            finance, and every technician's chain needs an engineering supervisor.
        settings: what to simulate; the defaults otherwise.
        on_step: called after each command with the simulated time and the number of commands
            executed so far (for a progress bar).

    Raises:
        ConfigurationError: the organisation lacks someone the demo needs.
        PropdeskError: the desk refused a step (a bug in the demo) or the store failed.
    """
    settings = settings or DemoSettings()
    cast = _Cast.of(organisation)
    day_start = datetime.combine(settings.day, time(0), tzinfo=cast.zone)
    engine = _Engine(desk, clock, horizon=day_start + timedelta(days=1 + settings.follow_up_days))
    engine.on_step = on_step
    plans = _deal_plans(settings, cast, day_start)
    for plan in plans:
        engine.start(_Story(engine, cast, plan).run())
    engine.run()
    return DemoRun(
        settings=settings,
        estate=organisation.estate,
        day_start=day_start,
        day_end=day_start + timedelta(days=1),
        horizon=engine.horizon,
        tickets=tuple(plan.ticket_id for plan in sorted(plans, key=lambda p: p.arrival)),
        commands=engine.commands,
        steps_beyond_horizon=engine.beyond_horizon,
    )


# ---------------------------------------------------------------------------- the engine


@dataclass(frozen=True)
class Step:
    """The next step of a story: what to ask the desk, and when."""

    at: datetime
    command: c.Command


Process: TypeAlias = Generator[Step, CommandResult, None]
"""A story: yields steps, receives each step's result, and ends when its ticket is done."""


@dataclass(order=True)
class _Due:
    """A heap entry: a step due at ``at``; ``seq`` breaks ties in the order steps were set."""

    at: datetime
    seq: int
    ticket: UUID = field(compare=False)
    command: c.Command = field(compare=False)
    process: Process = field(compare=False)


class _Engine:
    """The discrete-event loop: one heap of due steps, one clock, one desk."""

    def __init__(self, desk: Desk, clock: ManualClock, *, horizon: datetime) -> None:
        self.desk = desk
        self.clock = clock
        self.horizon = horizon
        self.commands = 0
        self.beyond_horizon = 0
        self.receipts = itertools.count(1)
        self.on_step: Callable[[datetime, int], None] | None = None
        self._heap: list[_Due] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        """The simulated time."""
        return self.clock.now()

    def view(self, ticket: UUID) -> RepairView:
        """The ticket as the desk sees it now."""
        return self.desk.view(ticket)

    def start(self, process: Process) -> None:
        """Sets a new story going: its first step joins the heap."""
        self._push(next(process), process)

    def run(self) -> None:
        """Takes due steps in time order until none is left before the horizon."""
        while self._heap:
            due = heapq.heappop(self._heap)
            if due.at >= self.horizon:
                self.beyond_horizon += 1
                continue
            self.clock.set(max(due.at, self.clock.now()))
            result = self.desk.execute(due.command)
            self.commands += 1
            if self.on_step is not None:
                self.on_step(self.clock.now(), self.commands)
            try:
                following = due.process.send(result)
            except StopIteration:
                continue
            self._push(following, due.process)

    def _push(self, step: Step, process: Process) -> None:
        ticket = getattr(step.command, "ticket_id", None)
        if not isinstance(ticket, UUID):  # pragma: no cover - every demo command names one
            msg = f"the demo's {step.command.step} names no ticket"
            raise TypeError(msg)
        due = _Due(step.at, next(self._seq), ticket, step.command, process)
        heapq.heappush(self._heap, due)


# ---------------------------------------------------------------------------- the people


@dataclass(frozen=True)
class _Cast:
    """Who plays which part in the demo, read from the estate's organisation."""

    organisation: Organisation
    zone: ZoneInfo
    day_notifier: Person
    night_notifier: Person
    technicians: tuple[Person, ...]
    callback_staff: Person
    finance: Person

    @classmethod
    def of(cls, organisation: Organisation) -> _Cast:
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


# ---------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class RepairItem:
    """One kind of repair request, as the resident describes it."""

    description: str
    category: RepairCategory
    price_item: str
    fee: Decimal
    """The price-list charge for paid work, or the quote for an item outside the list."""
    minutes: int
    """Typical time the work takes."""
    scope: RepairScope = RepairScope.HOUSEHOLD
    in_price_list: bool = True


_O, _L, _S = RepairCategory.OTHER, RepairCategory.LEAK, RepairCategory.SAFETY_FACILITY
_PUBLIC = RepairScope.PUBLIC

HOUSEHOLD_ITEMS: tuple[RepairItem, ...] = (
    RepairItem("厨房水龙头漏水", _O, "更换水龙头", Decimal(80), 30),
    RepairItem("卫生间下水道堵塞", _O, "疏通下水道", Decimal(100), 40),
    RepairItem("马桶水箱不停流水", _O, "更换马桶进水阀", Decimal(60), 30),
    RepairItem("卧室吸顶灯不亮", _O, "更换灯具", Decimal(60), 20),
    RepairItem("热水器不出热水", _O, "检修热水器", Decimal(80), 50),
    RepairItem("卧室门把手松动", _O, "门把手维修", Decimal(30), 15),
    RepairItem("晾衣架升降卡住", _O, "晾衣架维修", Decimal(50), 30),
    RepairItem("可视对讲门铃没有声音", _O, "对讲分机维修", Decimal(70), 30),
    RepairItem("厨房洗菜盆下水管漏水", _L, "更换下水软管", Decimal(50), 30),
    RepairItem("卫生间天花板渗水", _L, "卫生间防水维修", Decimal(300), 90),
    RepairItem("阳台地漏返水", _L, "地漏疏通及密封", Decimal(80), 45),
    RepairItem("客厅窗边渗水", _L, "窗边打胶", Decimal(150), 60),
    RepairItem("客厅插座没电", _S, "更换插座", Decimal(40), 20),
    RepairItem("漏电开关频繁跳闸", _S, "更换漏电开关", Decimal(120), 40),
    RepairItem("燃气报警器一直响", _S, "检修燃气报警器", Decimal(60), 30),
    RepairItem("防盗门锁芯坏了", _S, "更换锁芯", Decimal(150), 30),
)
PUBLIC_ITEMS: tuple[RepairItem, ...] = (
    RepairItem("楼道灯不亮", _O, "公共照明维修", Decimal(0), 20, _PUBLIC),
    RepairItem("单元门禁刷卡打不开", _S, "门禁维修", Decimal(0), 40, _PUBLIC),
    RepairItem("地下车库顶板滴水", _L, "车库顶板堵漏", Decimal(0), 90, _PUBLIC),
    RepairItem("消防栓箱门损坏", _S, "消防栓箱维修", Decimal(0), 30, _PUBLIC),
    RepairItem("小区围墙护栏松动", _S, "护栏加固", Decimal(0), 45, _PUBLIC),
    RepairItem("电梯厅墙面渗水", _L, "墙面堵漏", Decimal(0), 60, _PUBLIC),
)
UNLISTED_ITEMS: tuple[RepairItem, ...] = (
    RepairItem("要求更换整体橱柜台面", _O, "橱柜台面更换", Decimal(1200), 120, in_price_list=False),
    RepairItem("加装卫生间排风扇", _O, "排风扇加装", Decimal(260), 60, in_price_list=False),
    RepairItem("阳台防水层老化需重做", _L, "阳台防水重做", Decimal(1800), 180, in_price_list=False),
    RepairItem("老式铸铁下水立管锈穿", _L, "下水立管更换", Decimal(900), 150, in_price_list=False),
    RepairItem("要求加装燃气自闭阀", _S, "燃气自闭阀加装", Decimal(180), 40, in_price_list=False),
    RepairItem("定制防盗窗变形", _S, "防盗窗维修", Decimal(450), 90, in_price_list=False),
)

TECHNICIAN_EXCUSES = (
    "在其他单元维修走不开",
    "正在处理5栋电梯困人,走不开",
    "正在地下泵房抢修水泵",
    "今天轮休,不在小区",
    "身体不适,已请假",
)
SUPERVISOR_EXCUSES = (
    "正在主持班组例会",
    "在配电房处理跳闸故障",
    "外出采购维修配件",
    "在公司总部开会",
    "陪同供电局检查配电房",
)
COMPLAINTS = (
    "业主抱怨等了太久,要求今天必须有人上门",
    "业主表示已经是第二次报修,情绪激动",
    "业主不满意只能另约时间,要求物业给个说法",
)
CALLBACK_PROBLEMS = (
    "维修后仍有滴水",
    "下水还是很慢",
    "维修后地面留有污渍未清理",
    "用了半天又坏了",
)
CALLBACK_REMARKS = ("师傅态度好,修得很快", "满意", "准时上门,讲解清楚", "基本满意")
ON_SITE_DECLINES = (
    "业主认为收费偏高,暂不维修",
    "业主要求先与家人商量,暂不维修",
    "业主决定自行联系厂家保修",
)
NOT_REPAIRABLE = ("该型号配件已停产,无法维修,建议整体更换", "涉及主体结构,需报开发商处理")
QUOTE_DECLINES = ("业主认为报价太高", "业主决定自行找装修公司")
EXTRA_PARTS = (("角阀", Decimal(25)), ("密封圈", Decimal(10)), ("软管", Decimal(20)))
SURNAMES = "陈王李张刘杨黄赵吴周徐孙马朱胡郭何林高罗"
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "158", "186", "188")
PUBLIC_PLACES = ("楼道", "电梯厅", "单元门口")


# ---------------------------------------------------------------------------- the deck


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
_AT_HOME_TWISTS = frozenset({Twist.NOBODY_HOME, Twist.DOOR_ANSWERED_LATE, Twist.DECLINED_ON_SITE})
_REFUSALS = {
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


def _deal_plans(settings: DemoSettings, cast: _Cast, day_start: datetime) -> list[Plan]:
    rng = random.Random(settings.seed)
    arrivals = sorted(_arrival_time(rng, day_start) for _ in range(settings.repairs))
    twists = _deal_twists(rng, arrivals, cast)
    return [_plan(rng, cast, at, twist) for at, twist in zip(arrivals, twists, strict=True)]


def _arrival_time(rng: random.Random, day_start: datetime) -> datetime:
    hours = list(ARRIVALS_PER_HOUR)
    hour = rng.choices(hours, weights=[ARRIVALS_PER_HOUR[h] for h in hours])[0]
    return day_start + timedelta(hours=hour, seconds=rng.randrange(3600))


def _deal_twists(rng: random.Random, arrivals: list[datetime], cast: _Cast) -> list[Twist]:
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


def _plan(rng: random.Random, cast: _Cast, arrival: datetime, twist: Twist) -> Plan:
    item = _pick_item(rng, twist)
    household = item.scope is RepairScope.HOUSEHOLD
    return Plan(
        ticket_id=UUID(int=rng.getrandbits(128), version=4),
        arrival=arrival,
        channel=_pick_channel(rng, cast, arrival),
        twist=twist,
        item=item,
        unit=_pick_unit(rng) if household else _pick_place(rng),
        owner=c.OwnerContact(
            name=f"{rng.choice(SURNAMES)}{rng.choice(('先生', '女士'))}",
            phone=rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
        ),
        technician=rng.choice(cast.technicians).id,
        paid=household and (not item.in_price_list or rng.random() < 0.75),  # noqa: PLR2004
        appointment=_pick_appointment(rng, cast, arrival, twist),
        seed=rng.getrandbits(64),
    )


def _pick_item(rng: random.Random, twist: Twist) -> RepairItem:
    if twist in _QUOTE_TWISTS:
        return rng.choice(UNLISTED_ITEMS)
    if twist in _AT_HOME_TWISTS or rng.random() >= 0.2:  # noqa: PLR2004 - a fifth are public
        return rng.choice(HOUSEHOLD_ITEMS)
    return rng.choice(PUBLIC_ITEMS)


def _pick_channel(rng: random.Random, cast: _Cast, arrival: datetime) -> Channel:
    if cast.notifier_at(arrival) == cast.day_notifier:
        choices = (Channel.PHONE, Channel.WECHAT, Channel.VISIT, Channel.LETTER)
        return rng.choices(choices, weights=(45, 30, 20, 5))[0]
    return rng.choices((Channel.PHONE, Channel.WECHAT), weights=(60, 40))[0]


def _pick_unit(rng: random.Random) -> str:
    floor, room = rng.randint(1, 18), rng.randint(1, 4)
    return f"{rng.randint(1, 12)}栋{rng.randint(1, 3)}单元{floor}{room:02d}"


def _pick_place(rng: random.Random) -> str:
    if rng.random() < 0.15:  # noqa: PLR2004 - some public repairs are outside the buildings
        return rng.choice(("地下车库B区", "东门岗亭旁", "中心花园"))
    return f"{rng.randint(1, 12)}栋{rng.randint(1, 3)}单元{rng.choice(PUBLIC_PLACES)}"


def _pick_appointment(
    rng: random.Random, cast: _Cast, arrival: datetime, twist: Twist
) -> datetime | None:
    """Some residents name a time (预约维修时间): later today, or tomorrow morning."""
    if twist in _REFUSALS or rng.random() >= 0.15:  # noqa: PLR2004 - 15 % book a time
        return None
    local = arrival.astimezone(cast.zone)
    if local.hour >= 18:  # noqa: PLR2004 - evening requests are booked for the morning
        return cast.local(local.date() + timedelta(days=1), rng.choice((9, 10, 11)))
    later = local.replace(minute=0, second=0) + timedelta(hours=rng.randint(2, 4))
    return later if later.hour < 20 else None  # noqa: PLR2004 - no visits booked after 8 pm


# ---------------------------------------------------------------------------- the stories


class Visit(StrEnum):
    """How one dispatch round ended."""

    COMPLETED = "completed"
    RESCHEDULED = "rescheduled"
    NOBODY_HOME = "nobody_home"
    DECLINED = "declined"


_Sub: TypeAlias = Generator[Step, CommandResult, None]


class _Story:
    """One request's path through the desk, as a generator of steps (see :data:`Process`)."""

    def __init__(self, engine: _Engine, cast: _Cast, plan: Plan) -> None:
        self.engine = engine
        self.cast = cast
        self.plan = plan
        self.ticket = plan.ticket_id
        self.rng = random.Random(plan.seed)
        self.first_visit = True
        self.reworks = 0
        self.signatures = itertools.count(1)

    # -- time and people

    def now(self) -> datetime:
        return self.engine.now()

    def after(self, low: float, high: float, *, since: datetime | None = None) -> datetime:
        """A moment between ``low`` and ``high`` minutes after ``since`` (default: now)."""
        return _minutes_after(self.rng, since or self.now(), low, high)

    def notifier(self, at: datetime) -> str:
        return self.cast.notifier_at(at).id

    def signature(self, who: str) -> str:
        return f"sig-{self.ticket.hex[:8]}-{who}-{next(self.signatures)}"

    def step(self, at: datetime, command: c.Command) -> Step:
        return Step(at, command)

    # -- the whole story

    def run(self) -> Process:
        """Logs the request and follows it until it closes or the horizon stops it."""
        yield self.step(self.plan.arrival, self._log_repair())
        if not self.plan.item.in_price_list:
            accepted = yield from self._cost_review()
            if not accepted:
                return
        when = self._first_dispatch_time()
        while True:
            visit = yield from self._visit(when)
            if visit is Visit.DECLINED:
                return
            if visit is Visit.RESCHEDULED:
                due = self.engine.view(self.ticket).redispatch_due_at or self.now()
                when = self.after(0, 3, since=due)
                continue
            if visit is Visit.NOBODY_HOME:
                when = self._revisit_time()
                continue
            satisfied = yield from self._follow_up()
            if satisfied:
                yield from self._close()
                return
            when = self.cast.within(self.after(20, 60), time(8), time(20))

    def _log_repair(self) -> c.LogRepair:
        plan = self.plan
        return c.LogRepair(
            actor=self.notifier(plan.arrival),
            ticket_id=plan.ticket_id,
            channel=plan.channel,
            scope=plan.item.scope,
            category=plan.item.category,
            unit=plan.unit,
            description=plan.item.description,
            owner=plan.owner,
            in_price_list=plan.item.in_price_list,
            price_item=plan.item.price_item,
            paid=plan.paid,
            appointment=plan.appointment,
        )

    def _first_dispatch_time(self) -> datetime:
        if self.plan.appointment is not None:
            return max(self.after(1, 3), self.after(-35, -25, since=self.plan.appointment))
        return self.after(1, 3)

    def _revisit_time(self) -> datetime:
        """The owner is expected back in two to four hours; late evenings wait for morning."""
        back = self.after(120, 240)
        if back.astimezone(self.cast.zone).hour >= 21:  # noqa: PLR2004 - no visits after 9 pm
            morning = back.astimezone(self.cast.zone).date() + timedelta(days=1)
            return self.after(0, 90, since=self.cast.local(morning, 9))
        return back

    # -- R3–R5: items outside the price list

    def _cost_review(self) -> Generator[Step, CommandResult, bool]:
        """Cost review, then a quote the resident takes or leaves; True when work goes ahead."""
        t, plan = self.ticket, self.plan
        supervisor = self.cast.supervisor_of(plan.technician).id
        at = self.cast.within(self.after(3, 10), *SUPERVISOR_HOURS)
        yield self.step(at, c.StartCostReview(ticket_id=t, actor=supervisor))
        if plan.twist is Twist.NOT_REPAIRABLE:
            reason = self.rng.choice(NOT_REPAIRABLE)
            command = c.DeclareNotRepairable(ticket_id=t, actor=supervisor, reason=reason)
            yield self.step(self.after(5, 14), command)
            return False
        feasibility = "可以维修,需订购配件,约半天完成"
        quote = c.Quote(
            ticket_id=t, actor=supervisor, amount=plan.item.fee, feasibility=feasibility
        )
        yield self.step(self.after(5, 14), quote)
        at = self.after(15, 120)
        if plan.twist is Twist.QUOTE_DECLINED:
            reason = self.rng.choice(QUOTE_DECLINES)
            yield self.step(at, c.DeclineQuote(ticket_id=t, actor=self.notifier(at), reason=reason))
            return False
        accept = c.AcceptQuote(ticket_id=t, actor=self.notifier(at), amount=plan.item.fee)
        yield self.step(at, accept)
        return True

    # -- R2, R6–R17: one dispatch round

    def _visit(self, when: datetime) -> Generator[Step, CommandResult, Visit]:
        t, first = self.ticket, self.first_visit
        self.first_visit = False
        view = self.engine.view(t)
        acceptor = view.appointment_with if view.reschedule_kind else self.plan.technician
        revisit = view.state is RepairState.AWAITING_REVISIT
        dispatch = c.Dispatch(
            ticket_id=t, actor=self.notifier(when), acceptor=acceptor or self.plan.technician,
            owner_contacted_beforehand=revisit,
        )  # fmt: skip
        yield self.step(when, dispatch)
        if first and self.plan.twist in _REFUSALS:
            nobody_can_go = yield from self._refusal_chain()
            if nobody_can_go:
                yield from self._negotiate()
                return Visit.RESCHEDULED
        acceptor = self.engine.view(t).acceptor or self.plan.technician
        yield from self._arrive(acceptor)
        if first and self.plan.twist in _AT_HOME_TWISTS:
            outcome = yield from self._at_the_door(acceptor)
            if outcome is not None:
                return outcome
        yield from self._repair(acceptor)
        return Visit.COMPLETED

    def _refusal_chain(self) -> Generator[Step, CommandResult, bool]:
        """R6–R7: refusals climb the chain; True when the project manager finds nobody."""
        t = self.ticket
        for _ in range(_REFUSALS[self.plan.twist]):
            view = self.engine.view(t)
            if view.at_top_of_chain or view.acceptor is None:
                break
            excuses = SUPERVISOR_EXCUSES if view.escalation_level else TECHNICIAN_EXCUSES
            refusal = c.Refuse(ticket_id=t, actor=view.acceptor, reason=self.rng.choice(excuses))
            yield self.step(self.after(0.5, 2), refusal)
            at = self.after(1, 3)
            yield self.step(at, c.Escalate(ticket_id=t, actor=self.notifier(at)))
        view = self.engine.view(t)
        no_staff = (Twist.NO_STAFF_SAME_DAY, Twist.NO_STAFF_AFTER_SHIFT)
        if not (view.at_top_of_chain and self.plan.twist in no_staff):
            return False
        manager = view.acceptor or ""
        yield self.step(self.after(3, 10), c.ConfirmNoStaff(ticket_id=t, actor=manager))
        return True

    def _negotiate(self) -> _Sub:
        """R8–R10: the owner may complain; a new time is agreed."""
        t = self.ticket
        if self.rng.random() < 0.5:  # noqa: PLR2004 - half the owners complain
            at = self.after(2, 8)
            complaint = c.RecordOwnerComplaint(
                ticket_id=t, actor=self.notifier(at), complaint=self.rng.choice(COMPLAINTS),
                sent_staff=self.cast.callback_staff.id,
            )  # fmt: skip
            yield self.step(at, complaint)
        at = self.after(5, 20)
        reschedule = c.Reschedule(
            ticket_id=t, actor=self.notifier(at), new_time=self._new_time(at), owner_agreed=True
        )
        yield self.step(at, reschedule)

    def _new_time(self, at: datetime) -> datetime:
        """Later today within the notifier's shift, or after it (this evening or tomorrow)."""
        local = at.astimezone(self.cast.zone)
        shift_end = self.cast.notifier_at(at).shift_end
        if self.plan.twist is Twist.NO_STAFF_SAME_DAY and shift_end is not None:
            latest = datetime.combine(local.date(), shift_end, tzinfo=self.cast.zone)
            earliest = local + timedelta(minutes=60)
            if earliest < latest - timedelta(minutes=30):
                return _round_up(
                    self.after(0, (latest - earliest).seconds / 60 - 30, since=earliest)
                )
        if self.rng.random() < 0.4 and local.hour < 18:  # noqa: PLR2004 - owners home at night
            return self.cast.local(local.date(), 19, self.rng.choice((0, 30)))
        return self.cast.local(local.date() + timedelta(days=1), self.rng.choice((9, 10, 14)))

    def _arrive(self, acceptor: str) -> _Sub:
        """R12: arrives at the promised time, or late now and then."""
        view = self.engine.view(self.ticket)
        promised = view.promised_arrival or self.now()
        late_odds = 0.3 if view.escalation_level else 0.12
        if self.rng.random() < late_odds:
            at = self.after(1, 25, since=promised)
        else:
            at = max(self.after(-6, 0, since=promised), self.after(2, 3))
        yield self.step(at, c.ReportArrival(ticket_id=self.ticket, actor=acceptor))

    def _at_the_door(self, acceptor: str) -> Generator[Step, CommandResult, Visit | None]:
        """R13 and R17: knocks nobody answers, or a resident who declines the work."""
        t, rules = self.ticket, self.engine.desk.rules
        if self.plan.twist is Twist.DECLINED_ON_SITE:
            supervisor = self.cast.supervisor_of(self.plan.technician).id
            decline = c.DeclineOnSite(
                ticket_id=t, actor=acceptor, reason=self.rng.choice(ON_SITE_DECLINES),
                supervisor=supervisor, technician_signature_ref=self.signature(acceptor),
                supervisor_signature_ref=self.signature(supervisor),
            )  # fmt: skip
            yield self.step(self.after(5, 12), decline)
            return Visit.DECLINED
        yield self.step(self.after(0.5, 1.5), c.KnockUnanswered(ticket_id=t, actor=acceptor))
        wait = rules.door_knock_wait.total_seconds() / 60
        if self.plan.twist is Twist.DOOR_ANSWERED_LATE:
            yield self.step(self.after(wait, wait + 3), c.DoorAnswered(ticket_id=t, actor=acceptor))
            return None
        for _ in range(rules.door_knock_attempts - 1):
            knock = c.KnockUnanswered(ticket_id=t, actor=acceptor)
            yield self.step(self.after(wait, wait + 3), knock)
        leave = c.LeaveForRevisit(
            ticket_id=t, actor=acceptor,
            informed_supervisor=self.cast.supervisor_of(self.plan.technician).id,
            informed_customer_service=self.rng.choice(
                (self.cast.day_notifier.id, self.cast.callback_staff.id)
            ),
        )  # fmt: skip
        yield self.step(self.after(0.5, 2), leave)
        return Visit.NOBODY_HOME

    def _repair(self, acceptor: str) -> _Sub:
        """R15–R18: maybe a different item, then the work and the customer's signature."""
        t, plan = self.ticket, self.plan
        fee = plan.item.fee if plan.paid and self.reworks == 0 else Decimal(0)
        if fee and self.rng.random() < 0.1:  # noqa: PLR2004 - one in ten differs on site
            part, extra = self.rng.choice(EXTRA_PARTS)
            fee += extra
            amend = c.AmendItem(
                ticket_id=t, actor=acceptor, actual_item=f"{plan.item.price_item}及更换{part}",
                charge_standard=fee,
            )  # fmt: skip
            yield self.step(self.after(2, 5), amend)
        start = c.StartRepair(ticket_id=t, actor=acceptor, customer_agreed_to_charge=True)
        yield self.step(self.after(2, 6), start)
        started = self.now()
        if self.rng.random() < 0.2:  # noqa: PLR2004 - the desk checks one visit in five
            yield from self._check_arrival()
        minutes = plan.item.minutes * self.rng.uniform(0.7, 1.5)
        outcome = "返工处理完毕" if self.reworks else f"已{plan.item.price_item},试用正常"
        complete = c.Complete(
            ticket_id=t, actor=acceptor, outcome=outcome,
            customer_signature_ref=self.signature("owner"), fee=fee,
        )  # fmt: skip
        yield self.step(max(self.after(1, 2), started + timedelta(minutes=minutes)), complete)
        if fee:
            seed = self.rng.getrandbits(64)
            fees = _FeeStory(self.engine, self.cast, t, collector=acceptor, amount=fee, seed=seed)
            self.engine.start(fees.run())

    def _check_arrival(self) -> _Sub:
        """R12a: the notifier asks the reporter; now and then they disagree with the acceptor."""
        on_time = bool(self.engine.view(self.ticket).arrived_on_time)
        if self.rng.random() < 0.15:  # noqa: PLR2004 - a few reporters remember otherwise
            on_time = not on_time
        at = self.after(1, 4)
        check = c.CheckArrival(
            ticket_id=self.ticket, actor=self.notifier(at), reporter_says_on_time=on_time
        )
        yield self.step(at, check)

    # -- R19–R23: after the work

    def _follow_up(self) -> Generator[Step, CommandResult, bool]:
        """Submit, verify, leak test, callback; True when the customer is satisfied."""
        t = self.ticket
        view = self.engine.view(t)
        acceptor = view.acceptor or self.plan.technician
        reviewer = self.cast.reviewer(self.plan.technician, acceptor).id
        yield self.step(
            self.after(10, 40), c.Submit(ticket_id=t, actor=acceptor, supervisor=reviewer)
        )
        verify = c.Verify(
            ticket_id=t, actor=reviewer, supervisor_signature_ref=self.signature(reviewer),
            result_notified_to=("客服中心", "业主"),
        )  # fmt: skip
        yield self.step(self.cast.within(self.after(15, 90), *SUPERVISOR_HOURS), verify)
        if self.plan.item.category is RepairCategory.LEAK:
            person = self.cast.organisation.person(acceptor)
            tester = acceptor if person and person.has(Role.TECHNICIAN) else reviewer
            at = self.cast.within(self.after(60, 180), time(8), time(20))
            test = c.RecordLeakTest(ticket_id=t, actor=tester, result="闭水试验两小时,无渗漏")
            yield self.step(at, test)
        satisfied = yield from self._callback()
        return satisfied

    def _callback(self) -> Generator[Step, CommandResult, bool]:
        """R22/R23: customer service calls back, usually the next day."""
        days = self.rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        day = self.now().astimezone(self.cast.zone).date() + timedelta(days=days)
        opens = self.cast.local(day, CALLBACK_HOURS[0].hour, CALLBACK_HOURS[0].minute)
        at = self.after(0, 8 * 60, since=opens)
        unhappy = self.plan.twist is Twist.UNHAPPY_CALLBACK and (
            self.reworks == 0 or (self.reworks == 1 and self.rng.random() < 0.2)  # noqa: PLR2004
        )
        actor = self.cast.callback_staff.id
        if unhappy:
            self.reworks += 1
            callback = c.RecordCallback(
                ticket_id=self.ticket, actor=actor, satisfied=False,
                rating=self.rng.randint(1, 2), problem=self.rng.choice(CALLBACK_PROBLEMS),
            )  # fmt: skip
        else:
            callback = c.RecordCallback(
                ticket_id=self.ticket, actor=actor, satisfied=True,
                rating=self.rng.choice((4, 5, 5)), remarks=self.rng.choice(CALLBACK_REMARKS),
            )  # fmt: skip
        yield self.step(at, callback)
        return not unhappy

    def _close(self) -> _Sub:
        """Closes after the satisfied callback.

        Fees reach finance by the next morning and callbacks start at 09:30, so any fee is
        settled by now; if it were not, the desk would refuse to close (a bug in the demo).
        """
        close = c.Close(
            ticket_id=self.ticket, actor=self.cast.callback_staff.id, remarks="回访满意"
        )
        yield self.step(self.after(2, 15), close)


class _FeeStory:
    """R24, alongside the main story: the fee goes to finance and is booked."""

    def __init__(
        self,
        engine: _Engine,
        cast: _Cast,
        ticket: UUID,
        *,
        collector: str,
        amount: Decimal,
        seed: int,
    ) -> None:
        self.engine = engine
        self.cast = cast
        self.ticket = ticket
        self.collector = collector
        self.amount = amount
        self.rng = random.Random(seed)

    def run(self) -> Process:
        """Hands the fee over within finance's hours, and finance settles it soon after."""
        now = self.engine.now()
        at = self.cast.within(_minutes_after(self.rng, now, 15, 60), *FINANCE_HOURS)
        if at.astimezone(self.cast.zone).time() == FINANCE_HOURS[0]:
            at = _minutes_after(self.rng, at, 0, 30)
        handover = c.HandOverFee(ticket_id=self.ticket, actor=self.collector, amount=self.amount)
        yield Step(at, handover)
        at = _minutes_after(self.rng, self.engine.now(), 5, 25)
        day = at.astimezone(self.cast.zone)
        receipt = f"SJ{day:%Y%m%d}-{next(self.engine.receipts):04d}"
        settle = c.SettleFee(
            ticket_id=self.ticket,
            actor=self.cast.finance.id,
            amount=self.amount,
            receipt_no=receipt,
        )
        yield Step(at, settle)


def _minutes_after(rng: random.Random, since: datetime, low: float, high: float) -> datetime:
    """A moment between ``low`` and ``high`` minutes after ``since``, to the second."""
    return since + timedelta(seconds=round(rng.uniform(low, high) * 60))


def _round_up(moment: datetime, minutes: int = 10) -> datetime:
    """``moment`` rounded up to the next multiple of ``minutes`` past the hour."""
    extra = -moment.minute % minutes
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=extra or minutes)
