"""What a working calendar knows about each year: the official schedule, and the error for none.

China's days off and make-up working days (调休) change every year: the State Council's
General Office announces the next year's, usually in November or December
(国务院办公厅关于××年部分节假日安排的通知). A :class:`YearSchedule` holds one year of them;
:class:`propdesk.domain.calendar.WorkingCalendar` is built from schedules, and asking it about
any other year raises :class:`CalendarYearUnknown`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Self

from pydantic import Field, model_validator

from propdesk.domain.errors import PropdeskError
from propdesk.domain.validated import ValidatedConfig
from propdesk.domain.values import EARLIEST_YEAR, LATEST_YEAR

if TYPE_CHECKING:
    from collections.abc import Iterable

SATURDAY = 5
"""``date.weekday()`` of Saturday; Saturday and Sunday are the weekend."""
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""English day names, independent of the process's locale (``%A`` is not)."""


class CalendarYearUnknown(PropdeskError, LookupError):
    """The calendar was asked about a date in a year it has no holiday data for.

    Such a year is never counted as an ordinary week: the State Council moves days every
    year, and a guess would put deadlines on days off. Load the year's official schedule as
    an override (``docs/explanation/calendars.md``).

    Attributes:
        year: the year asked about.
        known: the years the calendar knows, sorted.
    """

    def __init__(self, year: int, known: Iterable[int]) -> None:
        self.year = year
        self.known = tuple(sorted(known))
        super().__init__(
            f"the working calendar has no holiday data for {year}; it knows "
            f"{describe_years(self.known)}. Load {year}'s official schedule "
            "(国务院办公厅 节假日安排) as a calendar override"
        )


def describe_years(years: Iterable[int]) -> str:
    """The years as runs, for messages: ``2004–2026`` or ``2004–2026, 2028``."""
    runs: list[list[int]] = []
    for year in sorted(set(years)):
        if runs and runs[-1][-1] == year - 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    if not runs:
        return "no year"
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def schedule_problems(holidays: frozenset[date], workdays: frozenset[date]) -> list[str]:
    """What is wrong with a set of days off and make-up working days, one line per date."""
    problems = [
        f"{day} is a {_WEEKDAYS[day.weekday()]}; "
        "a make-up working day (调休) must be a Saturday or Sunday"
        for day in sorted(workdays)
        if day.weekday() < SATURDAY
    ]
    problems.extend(
        f"{day} is listed both as a holiday and as a make-up working day"
        for day in sorted(holidays & workdays)
    )
    return problems


class YearSchedule(ValidatedConfig):
    """One year's official days off and make-up working days.

    The State Council's General Office publishes them each year, usually late in the year
    before (国务院办公厅关于××年部分节假日安排的通知).
    """

    year: int = Field(ge=EARLIEST_YEAR, le=LATEST_YEAR)
    """The year, within the 1970–2999 that propdesk accepts times in."""
    holidays: frozenset[date] = Field(min_length=1)
    """Days off (放假), including the Saturdays and Sundays inside a holiday."""
    workdays: frozenset[date] = frozenset()
    """Make-up working days (调休上班): Saturdays or Sundays that are working days."""

    @model_validator(mode="after")
    def _check_days(self) -> Self:
        problems = [
            f"{day} is not in {self.year}"
            for day in sorted(self.holidays | self.workdays)
            if day.year != self.year
        ]
        problems.extend(schedule_problems(self.holidays, self.workdays))
        if problems:
            raise ValueError("; ".join(problems))
        return self
