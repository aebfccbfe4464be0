"""China's working calendar: the official holiday data, and a company's overrides from TOML.

The days off and make-up working days come from the maintained ``chinese_calendar`` package
(PyPI ``chinesecalendar``), for every year it has data for. The State Council announces the
next year's schedule late in the year, often before a new release of the package, so a
company can load a year from a TOML file; a year in the file replaces the package's data for
that year::

    [years.2027]
    holidays = [2027-01-01, 2027-02-06]   # days off (放假)
    workdays = [2027-02-14]               # make-up working days (调休上班)

``src/propdesk/data/calendar_2027_example.toml`` is an example with invented dates.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from functools import cache
from pathlib import Path

from propdesk.domain.calendar import WorkingCalendar
from propdesk.domain.calendar_years import YearSchedule
from propdesk.domain.errors import ConfigurationError


def library_years() -> range:
    """The years ``chinese_calendar`` has data for.

    The package exposes no constant for its range; it reads the range from its own table of
    holidays, and so does this function.
    """
    import chinese_calendar  # noqa: PLC0415 - loaded on first use; `import propdesk` stays light

    holidays: dict[date, object] = chinese_calendar.holidays
    years = {day.year for day in holidays}
    return range(min(years), max(years) + 1)


@cache
def library_schedules() -> tuple[YearSchedule, ...]:
    """Every year's official schedule as ``chinese_calendar`` has it, oldest first."""
    import chinese_calendar  # noqa: PLC0415 - loaded on first use; `import propdesk` stays light

    holidays: dict[date, object] = chinese_calendar.holidays
    workdays: dict[date, object] = chinese_calendar.workdays
    return tuple(
        YearSchedule(
            year=year,
            holidays=frozenset(day for day in holidays if day.year == year),
            workdays=frozenset(day for day in workdays if day.year == year),
        )
        for year in library_years()
    )


def china_calendar(
    *,
    overrides: Path | str | None = None,
    opening: time = time(9),
    closing: time = time(18),
    zone: str = "Asia/Shanghai",
) -> WorkingCalendar:
    """Mainland China's working calendar, with business hours from ``opening`` to ``closing``.

    Args:
        overrides: a TOML file of ``[years.N]`` tables (see :func:`load_calendar_overrides`);
            each year in it replaces, or adds to, the ``chinese_calendar`` data.
        opening: when business hours start on a working day, local time.
        closing: when they end, local time.
        zone: the IANA time zone the calendar counts local dates and wall times in.

    Raises:
        ConfigurationError: the overrides file cannot be read or is malformed, the zone is
            unknown, or ``opening`` is not before ``closing``.
    """
    schedules = library_schedules()
    if overrides is not None:
        schedules += load_calendar_overrides(overrides)
    return WorkingCalendar.from_schedules(schedules, zone=zone, opening=opening, closing=closing)


def load_calendar_overrides(path: Path | str) -> tuple[YearSchedule, ...]:
    """Reads the years of a calendar overrides file, sorted by year.

    Each ``[years.N]`` table has ``holidays`` (days off, required) and ``workdays`` (make-up
    working days, optional), as TOML dates (``2027-01-01``) or ISO strings.

    Raises:
        ConfigurationError: the file cannot be read or is not TOML; or it has no
            ``[years.N]`` table, a key other than ``years``, ``holidays`` or ``workdays``, a
            bad date, a date outside its year, a make-up working day that is not a Saturday
            or Sunday, or a day that is both a holiday and a make-up working day. The message
            names the file and lists every problem.
    """
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read calendar overrides {source}: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{source} is not valid TOML: {error}") from error
    return schedules_from_mapping(data, source=str(source))


def schedules_from_mapping(
    data: object, *, source: str = "calendar overrides"
) -> tuple[YearSchedule, ...]:
    """Validates the years of an overrides file from plain data (as TOML reads it).

    Raises:
        ConfigurationError: as :func:`load_calendar_overrides`.
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        problems.append("(top): expected a table of [years.N] tables")
        data = {}
    problems.extend(f"{key}: unknown key; only [years.N] tables" for key in data if key != "years")
    years = data.get("years")
    if not isinstance(years, dict) or not years:
        problems.append("years: no [years.N] table, e.g. [years.2027] with holidays = [...]")
        years = {}
    schedules: list[YearSchedule] = []
    for key, table in years.items():
        schedule = _year(str(key), table, problems)
        if schedule is not None:
            schedules.append(schedule)
    if problems:
        raise ConfigurationError(
            f"invalid calendar overrides in {source}: " + "; ".join(problems), problems
        )
    return tuple(sorted(schedules, key=lambda schedule: schedule.year))


def _year(key: str, table: object, problems: list[str]) -> YearSchedule | None:
    """The schedule of one ``[years.N]`` table, or ``None`` after adding its problems."""
    where = f"years.{key}"
    if not key.isdigit():
        problems.append(f"{where}: {key!r} is not a year")
        return None
    if not isinstance(table, dict):
        problems.append(f"{where}: expected a table with holidays and workdays")
        return None
    if "year" in table:
        problems.append(f"{where}.year: unknown key; the year is the table's name")
        return None
    try:
        return YearSchedule.model_validate({**table, "year": int(key)})
    except ConfigurationError as error:
        problems.extend(_under(where, problem) for problem in error.problems)
        return None


def _under(where: str, problem: str) -> str:
    """A year's problem named by its place in the file: ``years.2027.holidays.1: ...``."""
    if problem.startswith("(top): "):
        return f"{where}: {problem.removeprefix('(top): ')}"
    return f"{where}.{problem}"
