"""Test doubles shipped with propdesk.

Clocks you control, the sample estate, an in-memory desk, and a valid repair and complaint
to start from.

Use them in your own service's tests::

    from propdesk.testing import ManualClock, in_memory_desk, new_repair

    clock = ManualClock()
    desk = in_memory_desk(clock=clock)
    ticket = desk.execute(new_repair()).ticket_id
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from propdesk.application.desk import Desk, open_desk
from propdesk.domain.commands import LogRepair, OwnerContact
from propdesk.domain.complaint_commands import LogComplaint
from propdesk.domain.errors import InvalidCommand
from propdesk.domain.organisation import Organisation
from propdesk.domain.rules import DEFAULT_RULES, RepairRules
from propdesk.domain.values import Channel, RepairCategory

if TYPE_CHECKING:
    from collections.abc import Iterable

    from propdesk.application.clock import Clock
    from propdesk.domain.sla_policy import Policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
"""A working Monday at 09:00 in Shanghai: the default start of test clocks."""


class FixedClock:
    """A clock that always says the same time."""

    def __init__(self, at: datetime = MONDAY_MORNING) -> None:
        if at.tzinfo is None:
            raise InvalidCommand("FixedClock", ["at: a naive datetime; give its time zone"])
        self.at = at

    def now(self) -> datetime:
        """The fixed time."""
        return self.at


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = MONDAY_MORNING) -> None:
        if start.tzinfo is None:
            raise InvalidCommand("ManualClock", ["start: a naive datetime; give its time zone"])
        self._now = start

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Moves the clock forward by ``timedelta(**delta)`` and returns the new time."""
        step = timedelta(**delta)
        if step < timedelta(0):
            raise InvalidCommand("ManualClock.advance", ["a clock does not run backwards"])
        self._now += step
        return self._now

    def set(self, at: datetime) -> None:
        """Moves the clock to ``at``, which must not be earlier than now."""
        if at < self._now:
            raise InvalidCommand("ManualClock.set", ["a clock does not run backwards"])
        self._now = at


@cache
def sample_organisation() -> Organisation:
    """The sample estate 翠苑花园 (``cuiyuan``).

    A project manager, an engineering manager, two supervisors, six technicians, a front
    desk, a night duty officer, customer service and finance. Technicians' chains
    are three levels deep up to the project manager.
    """
    text = resources.files("propdesk.data").joinpath("sample_estate.toml").read_text("utf-8")
    import tomllib  # noqa: PLC0415 - only the sample needs it here

    return Organisation.from_mapping(tomllib.loads(text), source="sample_estate.toml")


def in_memory_desk(
    *,
    organisations: list[Organisation] | None = None,
    clock: Clock | None = None,
    rules: RepairRules = DEFAULT_RULES,
    policy: Policy | Literal["default"] | None = "default",
    policies: Iterable[Policy] = (),
) -> Desk:
    """A desk on an in-memory store, serving the sample estate unless told otherwise.

    Tickets run on the SLA clock of the seeds' default policy unless ``policy`` says
    otherwise (``None``: no clock).
    """
    return open_desk(
        "memory://",
        organisations=organisations or [sample_organisation()],
        clock=clock or ManualClock(),
        rules=rules,
        policy=policy,
        policies=policies,
    )


def new_repair(**overrides: object) -> LogRepair:
    """A valid :class:`LogRepair` for the sample estate; override any field."""
    fields: dict[str, Any] = {
        "actor": "desk-huang",
        "channel": Channel.PHONE,
        "category": RepairCategory.OTHER,
        "unit": "3栋2单元1201",
        "description": "厨房水龙头漏水",
        "owner": OwnerContact(name="陈女士", phone="13812345678"),
        "price_item": "更换水龙头",
    }
    fields.update(overrides)
    return LogRepair(**fields)


def new_complaint(**overrides: object) -> LogComplaint:
    """A valid :class:`LogComplaint` for the sample estate, about a late technician.

    Override any field. It happened two hours before ``at`` (or, without ``at``, before the
    test clocks' default start).
    """
    at = overrides.get("at")
    happened = (at if isinstance(at, datetime) else MONDAY_MORNING) - timedelta(hours=2)
    fields: dict[str, Any] = {
        "actor": "desk-huang",
        "channel": Channel.PHONE,
        "occurred_at": happened,
        "place": "3栋2单元1201",
        "department_complained_about": "工程部",
        "what_happened": "维修师傅比约定时间晚到两小时",
        "demands": "要求道歉",
        "complainant": OwnerContact(name="陈女士", phone="13812345678"),
    }
    fields.update(overrides)
    return LogComplaint(**fields)
