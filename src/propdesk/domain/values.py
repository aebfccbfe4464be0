"""Domain values: the vocabularies the seeds use, and the small typed values built on them.

Each enum's values are stable strings: they are written into stored events, so a value, once
released, is never renamed (see ``docs/explanation/versioning.md``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime, timedelta


class Role(StrEnum):
    """What a person may do at the desk (seed-spec §1.1)."""

    NOTIFIER = "notifier"
    """通知人员: the front-desk receptionist (前台接待) or the night duty officer
    (夜间指挥中心值班员)."""
    TECHNICIAN = "technician"
    """维修人员: goes on site and repairs."""
    ENGINEERING_SUPERVISOR = "engineering_supervisor"
    """工程维修部主管: reviews costs of items outside the price list, and verifies work."""
    PROJECT_MANAGER = "project_manager"
    """项目经理: the top of the dispatch-refusal chain; confirms that nobody can be sent."""
    CUSTOMER_SERVICE = "customer_service"
    """客服人员: makes callbacks (回访) and closes tickets."""
    FINANCE = "finance"
    """财务: books repair fees and issues receipts."""
    SLA_MONITOR = "sla_monitor"
    """客户服务中心管理员: urges every department to keep the time-limit commitment (限时承诺,
    S2 §6.4) and records warnings and breaches; the SLA worker acts in this role."""
    DEPARTMENT_HEAD = "department_head"
    """部门主管: receives an important complaint (重要投诉) within 1 hour of its reception
    (S1:L418 ⑤, T38), approves a complaint's remedy plan (报请领导审批, S0:L337) and is
    called to the scene when several departments share the fault (S1:L415 ②)."""
    OFFICE_HEAD = "office_head"
    """管理处主任: complaints not handled within the time-limit commitment may be passed to
    them (可将信息传递管理处主任, S2 §6.4, C11); a leader who may approve a remedy plan."""


class Channel(StrEnum):
    """How a request reached the desk (seed-spec §2.2)."""

    PHONE = "phone"
    VISIT = "visit"
    LETTER = "letter"
    WECHAT = "wechat"
    EMAIL = "email"
    ONLINE = "online"
    SUGGESTION_BOX = "suggestion_box"
    PATROL = "patrol"
    INTERNAL = "internal"


class ContactChannel(StrEnum):
    """How the desk reached a person: dispatch, arrival report, on-time check, callback."""

    PHONE = "phone"
    RADIO = "radio"
    INTERCOM = "intercom"
    SOFTWARE = "software"
    IN_PERSON = "in_person"
    SMS = "sms"
    EMAIL = "email"
    SECURITY_STAFF = "security_staff"


class RepairScope(StrEnum):
    """Whose property is repaired (seed-spec §2.1 B)."""

    HOUSEHOLD = "household"
    """业户家庭 / 客户自用物业."""
    PUBLIC = "public"
    """公共设施设备."""


class RepairCategory(StrEnum):
    """The category that sets the callback window (seed-spec §2.1 D, T28–T30)."""

    SAFETY_FACILITY = "safety_facility"
    """安全设施维修: callback within 2 days."""
    LEAK = "leak"
    """房屋渗漏水: callback within 3 days of the leak test (试漏)."""
    OTHER = "other"
    """其他维修项目: callback within 2 days."""


class RescheduleKind(StrEnum):
    """Which branch of §4.1.2.7 a reschedule took (T13)."""

    SAME_DAY = "same_day"
    """在当天以内: marked conspicuously in the 《报事报修登记表》."""
    AFTER_SHIFT = "after_shift"
    """超过通知人员下班时间: also entered into the scheduling software (乐天软件)."""


class EscalationCause(StrEnum):
    """Why a dispatch climbed one level up the chain (逐级派工, R6)."""

    REFUSED = "refused"
    """The acceptor refused with a reason; the notifier escalated."""
    OVERDUE = "overdue"
    """Nobody arrived by the arrival goal's deadline (T06, T07); the SLA worker escalated."""


class FeeStatus(StrEnum):
    """The parallel fee obligation of paid work (R24, 费用入帐)."""

    NOT_CHARGED = "not_charged"
    DUE = "due"
    HANDED_OVER = "handed_over"
    SETTLED = "settled"


PersonId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
"""A person's id in an organisation, such as ``"tech-wang"``."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
"""Free text that must say something: reasons, descriptions, remarks."""

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""A short non-empty label: a unit, an item name, a receipt number, a signature reference."""

Money = Annotated[Decimal, Field(ge=Decimal(0), max_digits=12, decimal_places=2)]
"""An amount in yuan, never negative, to the fen."""

EARLIEST_YEAR = 1970
LATEST_YEAR = 2999


def _check_moment(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        msg = f"a time must fall in the years {EARLIEST_YEAR}–{LATEST_YEAR}"
        raise ValueError(msg)
    return value


def _not_a_number(value: object) -> object:
    # pydantic would read a number as Unix seconds; a desk's times are never given that way.
    if isinstance(value, int | float) and not isinstance(value, bool):
        msg = "a time must be a datetime or an ISO 8601 string with its offset, not a number"
        raise ValueError(msg)  # noqa: TRY004 - pydantic turns ValueError into a field problem
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(_check_moment)]
"""A point in time with its zone, in a plausible range. A naive datetime is refused."""

_CN_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_CN_LANDLINE = re.compile(r"^(?:\+?86)?0\d{2,3}\d{7,8}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


def _check_phone(value: str) -> str:
    """Accepts a mainland mobile or landline number and returns it without separators.

    The pattern check rejects obvious garbage cheaply; ``phonenumbers`` (Google's
    libphonenumber metadata) then confirms the number is assignable in China.
    """
    compact = _PHONE_SEPARATORS.sub("", value)
    if not (_CN_MOBILE.match(compact) or _CN_LANDLINE.match(compact)):
        msg = "not a mainland China phone number (mobile 1xxxxxxxxxx or landline 0xx-xxxxxxxx)"
        raise ValueError(msg)
    import phonenumbers  # noqa: PLC0415 - heavy metadata, loaded only when a phone is checked

    parsed = phonenumbers.parse(compact, "CN")
    if not phonenumbers.is_possible_number(parsed):
        msg = "not a possible mainland China phone number"
        raise ValueError(msg)
    return compact


Phone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_phone)]
"""A mainland China phone number, stored without separators."""


def _check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown time zone {zone!r} (use an IANA name such as Asia/Shanghai)"
        raise ValueError(msg) from None
    return zone


ZoneName = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_zone)]
"""An IANA time zone name, such as ``Asia/Shanghai``; an unknown one is refused."""


def listed_twice(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted: for "listed twice" validation errors."""
    seen: set[str] = set()
    twice: set[str] = set()
    for name in names:
        (twice if name in seen else seen).add(name)
    return sorted(twice)


def minute_of(moment: datetime) -> datetime:
    """Truncates a time to the minute, as the dispatch log records it (T01, 精确到分)."""
    return moment.replace(second=0, microsecond=0)


def as_minutes(span: timedelta) -> int:
    """Whole minutes in a span, rounded down."""
    return int(span.total_seconds() // 60)
