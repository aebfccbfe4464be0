"""The working calendar on the real 2025 and 2026 schedules (chinese_calendar's data).

Every expected date below was worked out by hand from the State Council's notices
(国务院办公厅关于2025年/2026年部分节假日安排的通知), not from the code under test:

- 2025 National Day and Mid-autumn: 1–8 October off; Sunday 28 September and Saturday
  11 October are make-up working days.
- 2026 Spring Festival: 15–23 February off; Saturdays 14 and 28 February are working days.
- 2026 Mid-autumn: 25–27 September off. National Day: 1–7 October off; Sunday 20 September
  and Saturday 10 October are working days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from propdesk.application.calendars import (
    china_calendar,
    library_schedules,
    library_years,
    load_calendar_overrides,
    schedules_from_mapping,
)
from propdesk.domain.calendar import WorkingCalendar
from propdesk.domain.calendar_years import CalendarYearUnknown, YearSchedule, describe_years
from propdesk.domain.errors import ConfigurationError, InvalidCommand

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = china_calendar()
UP_TO_2026 = WorkingCalendar.from_schedules(s for s in library_schedules() if s.year <= 2026)
"""The library's data up to 2026 only, so the year-end tests hold after it ships 2027."""
EXAMPLE = Path(str(resources.files("propdesk.data").joinpath("calendar_2027_example.toml")))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def hours(count: float) -> timedelta:
    return timedelta(hours=count)


# ---------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, make-up working day
        (date(2025, 9, 30), True),
        *((date(2025, 10, d), False) for d in range(1, 9)),  # National Day, Mid-autumn
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2025, 10, 12), False),  # Sunday
        (date(2026, 2, 14), True),  # Saturday, make-up working day
        *((date(2026, 2, d), False) for d in range(15, 24)),  # Spring Festival
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, make-up working day
        (date(2026, 3, 1), False),
        (date(2026, 9, 20), True),  # Sunday, make-up working day
        (date(2026, 9, 25), False),  # Friday, Mid-autumn
        *((date(2026, 10, d), False) for d in range(1, 8)),  # National Day
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, make-up working day
    ],
)
def test_working_days_follow_the_official_schedule(day, working):
    assert CHINA.is_working_day(day) is working


def test_a_working_day_is_a_local_date_not_a_datetime():
    with pytest.raises(InvalidCommand, match="local date"):
        CHINA.is_working_day(at(2025, 10, 9, 10))


# ---------------------------------------------------------------- working days to add


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # The day of the event never counts; the 8-day holiday is skipped.
        (at(2025, 9, 30, 17), 1, at(2025, 10, 9, 18)),
        (at(2025, 9, 30, 8), 1, at(2025, 10, 9, 18)),
        # T34, 3个工作日: the third working day is the make-up Saturday.
        (at(2025, 9, 30, 17), 3, at(2025, 10, 11, 18)),
        # From a Friday: the make-up Sunday 28 September is the first working day.
        (at(2025, 9, 26, 10), 3, at(2025, 9, 30, 18)),
        (at(2025, 9, 27, 10), 1, at(2025, 9, 28, 18)),
        # Spring Festival 2026.
        (at(2026, 2, 13, 10), 1, at(2026, 2, 14, 18)),
        (at(2026, 2, 13, 10), 2, at(2026, 2, 24, 18)),
        (at(2026, 2, 27, 10), 1, at(2026, 2, 28, 18)),
        # Mid-autumn then National Day 2026.
        (at(2026, 9, 19, 10), 1, at(2026, 9, 20, 18)),
        (at(2026, 9, 24, 10), 1, at(2026, 9, 28, 18)),
        (at(2026, 9, 30, 12), 1, at(2026, 10, 8, 18)),
        (at(2026, 9, 30, 12), 3, at(2026, 10, 10, 18)),
    ],
)
def test_working_days_end_at_the_close_of_business_of_the_nth_working_day(start, days, due):
    assert CHINA.add_working_days(start, days) == due


def test_fewer_than_one_working_day_is_refused():
    with pytest.raises(InvalidCommand, match="days: 0 is not ≥ 1"):
        CHINA.add_working_days(at(2025, 9, 30, 10), 0)


# ---------------------------------------------------------------- business time


@pytest.mark.parametrize(
    ("start", "span", "end"),
    [
        (at(2025, 9, 30, 9), hours(8), at(2025, 9, 30, 17)),
        # A span that ends at closing ends at closing, not at the next opening.
        (at(2025, 9, 30, 17), hours(1), at(2025, 9, 30, 18)),
        (at(2025, 9, 30, 9), hours(9), at(2025, 9, 30, 18)),
        # Across National Day 2025: one hour on 30 September, one on 9 October.
        (at(2025, 9, 30, 17), hours(2), at(2025, 10, 9, 10)),
        # A start outside business hours counts from the next opening.
        (at(2025, 9, 30, 19), hours(1), at(2025, 10, 9, 10)),
        (at(2025, 9, 27, 10), hours(1), at(2025, 9, 28, 10)),  # make-up Sunday
        (at(2025, 10, 10, 12), hours(9), at(2025, 10, 11, 12)),  # make-up Saturday
        (at(2026, 2, 14, 17, 30), hours(1), at(2026, 2, 24, 9, 30)),
        (at(2026, 9, 30, 17), hours(1) + hours(9) * 2, at(2026, 10, 9, 18)),
        (at(2026, 10, 3, 10), timedelta(0), at(2026, 10, 8, 9)),
    ],
)
def test_adding_business_time_skips_nights_weekends_and_holidays(start, span, end):
    assert CHINA.add_working_time(start, span) == end


@pytest.mark.parametrize(
    ("start", "end", "span"),
    [
        (at(2025, 9, 30, 9), at(2025, 10, 9, 9), hours(9)),
        (at(2025, 9, 26, 18), at(2025, 9, 29, 9), hours(9)),  # make-up Sunday 28th
        (at(2026, 2, 13, 9), at(2026, 2, 25, 9), hours(27)),  # 13th, 14th, 24th
        (at(2026, 10, 1, 0), at(2026, 10, 8, 0), timedelta(0)),
        (at(2026, 10, 8, 12), at(2026, 10, 8, 11), timedelta(0)),
    ],
)
def test_business_time_between_two_instants(start, end, span):
    assert CHINA.working_time_between(start, end) == span


def test_business_hours_are_configurable():
    early = china_calendar(opening=time(8, 30), closing=time(17, 30))
    assert early.add_working_time(at(2025, 9, 30, 17), hours(1)) == at(2025, 10, 9, 9)
    assert early.add_working_days(at(2025, 9, 30, 17), 1) == at(2025, 10, 9, 17, 30)
    assert early.business_hours(date(2025, 10, 11)) == (
        at(2025, 10, 11, 8, 30),
        at(2025, 10, 11, 17, 30),
    )
    assert early.business_hours(date(2025, 10, 12)) is None


def test_the_desk_is_open_from_opening_until_just_before_closing():
    assert CHINA.is_open(at(2025, 9, 28, 9))  # make-up Sunday
    assert not CHINA.is_open(at(2025, 9, 28, 18))
    assert not CHINA.is_open(at(2025, 10, 1, 10))
    assert CHINA.next_opening(at(2025, 9, 30, 18)) == at(2025, 10, 9, 9)
    assert CHINA.next_opening(at(2025, 9, 30, 10, 15)) == at(2025, 9, 30, 10, 15)


def test_calendar_days_keep_the_wall_time_and_need_no_holiday_data():
    assert CHINA.add_calendar_days(at(2025, 9, 30, 17), 3) == at(2025, 10, 3, 17)
    assert UP_TO_2026.add_calendar_days(at(2026, 12, 31, 10), 1) == at(2027, 1, 1, 10)
    assert CHINA.add_calendar_days(at(2026, 3, 1, 10), -1) == at(2026, 2, 28, 10)


# ---------------------------------------------------------------- zones


def test_a_utc_time_is_read_at_the_estates_local_time():
    late = datetime(2026, 10, 7, 17, tzinfo=UTC)  # 2026-10-08 01:00 in Shanghai
    assert CHINA.local_date(late) == date(2026, 10, 8)
    assert not CHINA.is_open(late)
    assert CHINA.next_opening(late) == at(2026, 10, 8, 9)
    assert CHINA.add_working_time(late, hours(1)) == at(2026, 10, 8, 10)
    # 8 October, the start's local day, is not counted; in UTC it would be the 7th.
    assert CHINA.add_working_days(late, 1) == at(2026, 10, 9, 18)


def test_results_are_in_the_calendars_zone():
    due = CHINA.add_working_time(datetime(2025, 9, 30, 1, tzinfo=UTC), hours(1))
    assert due.tzinfo == SHANGHAI
    assert due.isoformat() == "2025-09-30T10:00:00+08:00"
    fixed = CHINA.add_working_days(datetime(2025, 9, 30, 9, tzinfo=timezone(hours(-5))), 1)
    assert fixed.isoformat() == "2025-10-09T18:00:00+08:00"


def test_a_calendar_in_another_zone_counts_its_own_local_days():
    new_york = china_calendar(zone="America/New_York")
    start = datetime(2025, 9, 30, 14, tzinfo=UTC)  # 10:00 in New York, 22:00 in Shanghai
    assert new_york.add_working_time(start, hours(1)).isoformat() == "2025-09-30T11:00:00-04:00"
    assert CHINA.add_working_time(start, hours(1)) == at(2025, 10, 9, 10)


@pytest.mark.parametrize(
    "call",
    [
        lambda moment: CHINA.add_working_time(moment, hours(1)),
        lambda moment: CHINA.add_working_days(moment, 1),
        lambda moment: CHINA.add_calendar_days(moment, 1),
        lambda moment: CHINA.working_time_between(at(2025, 9, 30, 9), moment),
        lambda moment: CHINA.working_time_between(moment, at(2025, 9, 30, 9)),
        CHINA.next_opening,
        CHINA.is_open,
        CHINA.local_date,
    ],
)
def test_a_naive_datetime_is_refused(call):
    with pytest.raises(InvalidCommand, match="a naive datetime; give its time zone"):
        call(datetime(2025, 9, 30, 10))  # noqa: DTZ001 - naive on purpose


def test_a_negative_span_is_refused():
    with pytest.raises(InvalidCommand, match="span: -1 day, 23:00:00 is negative"):
        CHINA.add_working_time(at(2025, 9, 30, 10), hours(-1))


# ---------------------------------------------------------------- years without data


def test_the_calendar_knows_every_year_the_library_has():
    assert set(library_years()) >= set(range(2004, 2027))
    assert CHINA.years == frozenset(library_years())


@pytest.mark.parametrize("year", [2003, library_years().stop])
def test_a_year_without_data_is_an_error_not_an_ordinary_week(year):
    with pytest.raises(CalendarYearUnknown) as raised:
        CHINA.is_working_day(date(year, 6, 2))
    assert raised.value.year == year
    assert raised.value.known == tuple(library_years())
    assert f"no holiday data for {year}; it knows 2004–" in str(raised.value)


def test_counting_into_an_unknown_year_is_an_error():
    with pytest.raises(CalendarYearUnknown, match="no holiday data for 2027; it knows 2004–2026"):
        UP_TO_2026.add_working_days(at(2026, 12, 31, 10), 1)
    with pytest.raises(CalendarYearUnknown, match="2027"):
        UP_TO_2026.add_working_time(at(2026, 12, 31, 17), hours(2))
    with pytest.raises(CalendarYearUnknown, match="2003"):
        CHINA.add_working_time(at(2003, 12, 31, 10), hours(1))
    # Only the days that matter are looked at: 2026's last hour of business is known.
    assert UP_TO_2026.add_working_time(at(2026, 12, 31, 17), hours(1)) == at(2026, 12, 31, 18)
    assert UP_TO_2026.working_time_between(at(2026, 12, 31, 17), at(2027, 1, 1, 8)) == hours(1)


def test_years_are_described_as_runs():
    assert describe_years([2004, 2005, 2006, 2028, 2030, 2031]) == "2004–2006, 2028, 2030–2031"
    assert describe_years([]) == "no year"


# ---------------------------------------------------------------- overrides


def test_the_example_override_file_loads_and_makes_2027_known():
    (schedule,) = load_calendar_overrides(EXAMPLE)
    assert schedule.year == 2027
    calendar = china_calendar(overrides=EXAMPLE)
    assert 2027 in calendar.years
    assert UP_TO_2026.with_schedule(schedule).add_working_days(at(2026, 12, 31, 10), 1) == (
        at(2027, 1, 4, 18)  # the example's New Year is 1–3 January
    )
    assert calendar.is_working_day(date(2027, 2, 20))  # the example's make-up Saturday
    assert not calendar.is_working_day(date(2027, 10, 1))


def test_a_year_in_the_overrides_replaces_the_librarys(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text("[years.2026]\nholidays = [2026-01-01]\n", encoding="utf-8")
    calendar = china_calendar(overrides=str(path))
    assert calendar.is_working_day(date(2026, 10, 1))  # no longer National Day
    assert not calendar.is_working_day(date(2026, 2, 14))  # no longer a make-up Saturday
    assert not calendar.is_working_day(date(2026, 1, 1))
    assert not calendar.is_working_day(date(2025, 10, 1))  # other years keep the library's


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[years.2027]\nholidays = [2027-02-30]\n", "is not valid TOML"),
        ('[years.2027]\nholidays = ["2027-02-30"]\n', "years.2027.holidays.0: Input should be"),
        (
            "[years.2027]\nholidays = [2027-01-01]\nworkdays = [2027-02-15]\n",
            (
                "years.2027: Value error, 2027-02-15 is a Monday; "
                "a make-up working day (调休) must be a Saturday or Sunday"
            ),
        ),
        (
            "[years.2027]\nholidays = [2027-01-02]\nworkdays = [2027-01-02]\n",
            "2027-01-02 is listed both as a holiday and as a make-up working day",
        ),
        ("[years.2027]\nholidays = [2028-01-01]\n", "2028-01-01 is not in 2027"),
        ("[years.2027]\nworkdays = [2027-01-02]\n", "years.2027.holidays: Field required"),
        ("[years.2027]\nholidays = [2027-01-01]\nholiday = []\n", "years.2027.holiday: Extra"),
        ("[years.2027]\nyear = 2027\nholidays = [2027-01-01]\n", "years.2027.year: unknown key"),
        ("[years.next]\nholidays = [2027-01-01]\n", "years.next: 'next' is not a year"),
        ("[years]\n2027 = [2027-01-01]\n", "years.2027: expected a table"),
        ("holidays = [2027-01-01]\n", "holidays: unknown key; only [years.N] tables"),
        ("", "years: no [years.N] table"),
    ],
)
def test_a_malformed_override_file_is_a_configuration_error(tmp_path, text, message):
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        china_calendar(overrides=path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_missing_override_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot read calendar overrides"):
        load_calendar_overrides(tmp_path / "missing.toml")


def test_overrides_list_every_problem():
    with pytest.raises(ConfigurationError) as raised:
        schedules_from_mapping({"years": {"2027": {"holidays": [date(2028, 1, 1)]}, "x": {}}})
    assert raised.value.problems == (
        "years.2027: Value error, 2028-01-01 is not in 2027",
        "years.x: 'x' is not a year",
    )


# ---------------------------------------------------------------- the calendar value


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"zone": "Asia/Beijing"}, "unknown time zone 'Asia/Beijing'"),
        ({"opening": time(18), "closing": time(9)}, "opening 18:00:00 is not before closing"),
        ({"opening": time(9, tzinfo=UTC)}, "opening: Value error, 09:00:00+00:00 has a time zone"),
        ({"holidays": {date(2024, 1, 1)}}, "2024-01-01 is in 2024, which is not among"),
        ({"workdays": {date(2025, 9, 29)}}, "2025-09-29 is a Monday"),
        ({"years": set()}, "years: Frozenset should have at least 1 item"),
    ],
)
def test_an_invalid_calendar_is_a_configuration_error(fields, message):
    with pytest.raises(ConfigurationError, match="invalid WorkingCalendar") as raised:
        WorkingCalendar(**({"years": {2025}} | fields))
    assert message in str(raised.value)


def test_a_schedule_must_have_days_off():
    with pytest.raises(ConfigurationError, match="holidays: Frozenset should have at least 1 item"):
        YearSchedule(year=2027, holidays=frozenset())


def test_the_default_calendar_is_shanghai_nine_to_six():
    assert (CHINA.zone, CHINA.opening, CHINA.closing) == ("Asia/Shanghai", time(9), time(18))
