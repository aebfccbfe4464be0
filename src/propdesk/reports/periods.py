"""When each report is due, and the period it covers (seed-spec §5.2).

The seeds fix the times: the repair completion report at 17:10 (S3:L44-46), the previous
day's complaint report by 09:00 (S3:L48-49), the weekly summary on Friday at 15:00
(S3:L52-54); the monthly figures cover the calendar month. Companies differ, so
:class:`ReportSchedule` holds them and every report takes one. Days and weeks are the
estate's local ones; every time a report returns is aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from propdesk.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

MONDAY, FRIDAY = 0, 4


@dataclass(frozen=True)
class ReportSchedule:
    """The report times, by default the seeds'."""

    daily_at: time = time(17, 10)
    """The repair completion report's cut-off (每天17:10, S3:L44)."""
    complaints_due: time = time(9, 0)
    """When the previous day's complaint report is due (次日9:00前, S3:L48)."""
    weekly_day: int = FRIDAY
    """The weekly summary's day (0 is Monday; 每周五, S3:L52)."""
    weekly_at: time = time(15, 0)
    """The weekly summary's cut-off (15:00, S3:L52)."""

    def __post_init__(self) -> None:
        """Refuses a weekly day that is not a day of the week."""
        if not MONDAY <= self.weekly_day <= MONDAY + 6:
            msg = f"weekly_day must be 0 (Monday) to 6 (Sunday), not {self.weekly_day}"
            raise ConfigurationError(msg)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in the estate's time: what a report counts."""

    start: datetime
    end: datetime


def at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """``moment`` on ``day`` at the estate."""
    return datetime.combine(day, moment, tzinfo=zone)


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """``moment`` at the estate (``None`` stays ``None``)."""
    return None if moment is None else moment.astimezone(zone)


def day_period(day: date, zone: ZoneInfo) -> Period:
    """The whole local day."""
    return Period(at(day, time(0), zone), at(day + timedelta(days=1), time(0), zone))


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def month_period(year: int, month: int, zone: ZoneInfo) -> Period:
    """The whole local calendar month.

    Raises:
        ConfigurationError: ``month`` is not 1 to 12.
    """
    if not 1 <= month <= 12:  # noqa: PLR2004 - months
        raise ConfigurationError(f"month must be 1 to 12, not {month}")
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(at(date(year, month, 1), time(0), zone), at(following, time(0), zone))
