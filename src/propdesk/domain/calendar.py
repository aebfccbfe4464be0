"""Working days and business hours: the calendar that working-day time limits count in.

One seed rule counts working days: a complaint's solution within 3 working days (3个工作日,
T34; seed-spec §4 and §8.2). A working day in China is a Monday to Friday that is not a public
holiday (法定节假日), or a Saturday or Sunday the State Council has made a make-up working day
(调休上班). Both lists change every year, so :class:`WorkingCalendar` holds them for the years
it knows and refuses to guess about any other year (:class:`CalendarYearUnknown`).

The module does no IO. The application builds a calendar from the ``chinese_calendar`` data
and a company's override files (:mod:`propdesk.application.calendars`). Every operation takes
and returns aware datetimes; a naive one is refused with :class:`InvalidCommand`. Dates are
the calendar's local dates (Asia/Shanghai by default), and all arithmetic between instants is
done in UTC, so it stays exact in zones with daylight saving.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Self
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from propdesk.domain.calendar_years import (
    SATURDAY,
    CalendarYearUnknown,
    YearSchedule,
    schedule_problems,
)
from propdesk.domain.errors import InvalidCommand
from propdesk.domain.validated import ValidatedConfig
from propdesk.domain.values import ZoneName

if TYPE_CHECKING:
    from collections.abc import Iterable

_ONE_DAY = timedelta(days=1)
_NOTHING = timedelta(0)


class WorkingCalendar(ValidatedConfig):
    """Working days and business hours in one time zone, for the years it has data for.

    Build it with :func:`propdesk.application.calendars.china_calendar`, or from schedules
    with :meth:`from_schedules`.
    """

    zone: ZoneName = "Asia/Shanghai"
    """The IANA time zone whose local dates and wall times the calendar counts in."""
    opening: time = time(9)
    """When business hours start on a working day, local time."""
    closing: time = time(18)
    """When business hours end on a working day, local time; after ``opening``."""
    holidays: frozenset[date] = frozenset()
    """Public holidays: days off, whatever their weekday."""
    workdays: frozenset[date] = frozenset()
    """Make-up working days (调休): Saturdays or Sundays that are working days."""
    years: frozenset[int] = Field(min_length=1)
    """The years whose holidays and make-up days the calendar holds."""

    @field_validator("opening", "closing")
    @classmethod
    def _wall_time(cls, moment: time) -> time:
        if moment.tzinfo is not None:
            msg = f"{moment} has a time zone; give the local wall time (the zone is `zone`)"
            raise ValueError(msg)
        return moment

    @model_validator(mode="after")
    def _check_calendar(self) -> Self:
        problems = []
        if self.opening >= self.closing:
            problems.append(f"opening {self.opening} is not before closing {self.closing}")
        problems.extend(
            f"{day} is in {day.year}, which is not among the calendar's years"
            for day in sorted(self.holidays | self.workdays)
            if day.year not in self.years
        )
        problems.extend(schedule_problems(self.holidays, self.workdays))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def from_schedules(
        cls,
        schedules: Iterable[YearSchedule],
        *,
        zone: str = "Asia/Shanghai",
        opening: time = time(9),
        closing: time = time(18),
    ) -> WorkingCalendar:
        """A calendar that knows the schedules' years.

        A later schedule for a year replaces an earlier one, so overrides go last.
        """
        by_year = {schedule.year: schedule for schedule in schedules}
        return cls(
            zone=zone,
            opening=opening,
            closing=closing,
            holidays=frozenset().union(*(s.holidays for s in by_year.values())),
            workdays=frozenset().union(*(s.workdays for s in by_year.values())),
            years=frozenset(by_year),
        )

    def with_schedule(self, schedule: YearSchedule) -> WorkingCalendar:
        """This calendar with ``schedule``'s year added, or replaced if it was known."""
        return self.model_copy(
            update={
                "holidays": {d for d in self.holidays if d.year != schedule.year}
                | schedule.holidays,
                "workdays": {d for d in self.workdays if d.year != schedule.year}
                | schedule.workdays,
                "years": self.years | {schedule.year},
            }
        )

    @cached_property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.zone)

    # ------------------------------------------------------------ days

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a local date) is a working day.

        Raises:
            CalendarYearUnknown: ``day`` is in a year the calendar has no data for.
            InvalidCommand: ``day`` is a datetime; pass :meth:`local_date` of it.
        """
        if isinstance(day, datetime):
            raise InvalidCommand(
                "WorkingCalendar.is_working_day",
                ["day: a datetime; pass its local date, calendar.local_date(moment)"],
            )
        if day.year not in self.years:
            raise CalendarYearUnknown(day.year, self.years)
        if day in self.workdays:
            return True
        return day.weekday() < SATURDAY and day not in self.holidays

    def local_date(self, moment: datetime) -> date:
        """The date ``moment`` falls on in the calendar's zone."""
        return self._local(moment, "local_date", "moment").date()

    def business_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """The opening and closing instants of ``day``, in the calendar's zone.

        ``None`` on a day off.
        """
        if not self.is_working_day(day):
            return None
        opens, closes = self._hours(day)
        return opens.astimezone(self.tz), closes.astimezone(self.tz)

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` is inside business hours (opening included, closing not)."""
        moment = self._utc(moment, "is_open", "moment")
        day = moment.astimezone(self.tz).date()
        opens, closes = self._hours(day)
        return opens <= moment < closes and self.is_working_day(day)

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` itself if the desk is open then, else the next opening on a working day."""
        return self._add(self._utc(moment, "next_opening", "moment"), _NOTHING)

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """The same local wall time ``days`` calendar days later (or earlier, if negative).

        No holiday data is needed, so any year will do. The result is in the calendar's zone.
        """
        local = self._local(start, "add_calendar_days", "start")
        wall = datetime.combine(local.date() + timedelta(days=days), local.time(), self.tz)
        return wall.astimezone(UTC).astimezone(self.tz)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The close of business on the ``days``-th working day after ``start``'s local date.

        This is how "within 3 working days" (3个工作日内, T34) is read, following the Civil
        Code's rules for periods: the day of the event is not counted, counting starts the
        next day (第二百零一条), and where there are business hours a period ends when
        business stops on its last day (第二百零三条). A complaint received at any time on
        Tuesday 2025-09-30 is thus due by 18:00 on Saturday 2025-10-11: 1–8 October are off,
        the 9th and 10th are the first two working days, and the 11th is a make-up working
        day (调休). One received on a Saturday counts from the next working day. The time of
        day of ``start`` does not matter, so a complaint logged at 17:55 is not penalised
        and one logged at 08:00 not favoured.

        Raises:
            InvalidCommand: ``start`` is naive, or ``days`` is less than 1.
            CalendarYearUnknown: the count runs into a year the calendar has no data for.
        """
        day = self.local_date(start)
        if days < 1:
            raise InvalidCommand("WorkingCalendar.add_working_days", [f"days: {days} is not ≥ 1"])
        counted = 0
        while counted < days:
            day += _ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return self._hours(day)[1].astimezone(self.tz)

    # ------------------------------------------------------------ business time

    def add_working_time(self, start: datetime, span: timedelta) -> datetime:
        """The instant by which ``span`` of business time has passed since ``start``.

        Only time inside business hours on working days counts. A ``start`` outside them
        counts from the next opening. A span that ends exactly when a day's business ends
        gives that closing time, not the next opening (8 hours from 09:00 is 18:00 the same
        day). A zero span gives :meth:`next_opening`. The result is in the calendar's zone.

        Raises:
            InvalidCommand: ``start`` is naive or ``span`` is negative.
            CalendarYearUnknown: the span runs into a year the calendar has no data for.
        """
        moment = self._utc(start, "add_working_time", "start")
        if span < _NOTHING:
            raise InvalidCommand("WorkingCalendar.add_working_time", [f"span: {span} is negative"])
        return self._add(moment, span)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The business time from ``start`` to ``end``; zero if ``end`` is not after ``start``.

        The inverse of :meth:`add_working_time`: for a positive span ``s``,
        ``working_time_between(t, add_working_time(t, s)) == s``.

        Raises:
            InvalidCommand: ``start`` or ``end`` is naive.
            CalendarYearUnknown: a working day to look at is in a year without data.
        """
        start = self._utc(start, "working_time_between", "start")
        end = self._utc(end, "working_time_between", "end")
        total = _NOTHING
        day = start.astimezone(self.tz).date()
        while start < end:
            opens, closes = self._hours(day)
            if opens >= end:
                break
            begin, finish = max(opens, start), min(closes, end)
            if begin < finish and self.is_working_day(day):
                total += finish - begin
            day += _ONE_DAY
        return total

    # ------------------------------------------------------------ internals

    def _add(self, moment: datetime, span: timedelta) -> datetime:
        """Adds business time to an instant in UTC, looking only at the days it must."""
        day = moment.astimezone(self.tz).date()
        remaining = span
        while True:
            opens, closes = self._hours(day)
            begin = max(moment, opens)
            if begin < closes and self.is_working_day(day):
                if remaining <= closes - begin:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= closes - begin
            day += _ONE_DAY

    def _hours(self, day: date) -> tuple[datetime, datetime]:
        """The opening and closing instants of ``day`` in UTC, working day or not."""
        return (
            datetime.combine(day, self.opening, self.tz).astimezone(UTC),
            datetime.combine(day, self.closing, self.tz).astimezone(UTC),
        )

    def _local(self, moment: datetime, operation: str, name: str) -> datetime:
        return self._utc(moment, operation, name).astimezone(self.tz)

    @staticmethod
    def _utc(moment: datetime, operation: str, name: str) -> datetime:
        """``moment`` in UTC; a naive datetime is refused, as everywhere in propdesk."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidCommand(
                f"WorkingCalendar.{operation}", [f"{name}: a naive datetime; give its time zone"]
            )
        return moment.astimezone(UTC)
