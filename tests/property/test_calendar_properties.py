"""Properties of the calendar arithmetic, on the real 2025–2026 Chinese calendar.

Times are drawn in assorted zones, often right at opening or closing and around the
holidays with make-up working days, where the arithmetic is easiest to get wrong. Spans stay
small enough that no sum runs past 2026, the last year with data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from propdesk.application.calendars import china_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = china_calendar()
DAY = CHINA.closing.hour - CHINA.opening.hour
"""Business hours in a working day (9)."""
ZONES = (SHANGHAI, UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)))
FIRST, LAST = date(2025, 1, 1), date(2026, 11, 30)
AWKWARD_DAYS = (
    date(2025, 1, 24),  # Spring Festival 2025, with make-up Sunday 26 January
    date(2025, 4, 25),  # Labour Day 2025, with make-up Sunday 27 April
    date(2025, 9, 26),  # National Day 2025, make-up 28 September and 11 October
    date(2026, 2, 12),  # Spring Festival 2026, make-up 14 and 28 February
    date(2026, 9, 18),  # Mid-autumn and National Day 2026, make-up 20 September, 10 October
)
WALL_TIMES = (time(0), time(8, 59, 59), time(9), time(12, 30), time(17, 59, 59), time(18))


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    """An aware time in 2025–2026, often at a boundary near a holiday."""
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        return draw(
            st.datetimes(
                min_value=datetime.combine(FIRST, time(0)),
                max_value=datetime.combine(LAST, time(0)),
                timezones=st.just(zone),
            )
        )
    day = draw(st.sampled_from(AWKWARD_DAYS)) + timedelta(days=draw(st.integers(0, 24)))
    local = datetime.combine(day, draw(st.sampled_from(WALL_TIMES)), SHANGHAI)
    return local.astimezone(zone)


def spans(*, minimum: timedelta = timedelta(0)) -> st.SearchStrategy[timedelta]:
    """Business time up to about two weeks' worth, often whole hours or whole days."""
    most = timedelta(hours=DAY * 12)
    return st.one_of(
        st.timedeltas(min_value=minimum, max_value=most),
        st.builds(timedelta, hours=st.integers(0, DAY * 12)).filter(lambda s: s >= minimum),
        st.builds(timedelta, hours=st.sampled_from([DAY, 2 * DAY, 5 * DAY])),
    )


POSITIVE = spans(minimum=timedelta(microseconds=1))


def is_business_end(moment: datetime) -> bool:
    """Inside business hours on a working day, or exactly at a working day's closing."""
    local = moment.astimezone(SHANGHAI)
    at_closing = local.time() == CHINA.closing and CHINA.is_working_day(local.date())
    return CHINA.is_open(moment) or at_closing


# ---------------------------------------------------------------- business time


@given(moments(), moments(), spans())
def test_adding_business_time_is_monotonic_in_the_start(one, other, span):
    early, late = sorted((one, other))
    assert CHINA.add_working_time(early, span) <= CHINA.add_working_time(late, span)


@given(moments(), spans(), spans())
def test_adding_business_time_is_monotonic_in_the_span(start, one, other):
    short, long = sorted((one, other))
    assert CHINA.add_working_time(start, short) <= CHINA.add_working_time(start, long)


@given(moments(), POSITIVE, POSITIVE)
def test_adding_a_then_b_is_adding_a_plus_b(start, a, b):
    assert CHINA.add_working_time(CHINA.add_working_time(start, a), b) == (
        CHINA.add_working_time(start, a + b)
    )


@given(moments(), POSITIVE)
def test_business_time_between_undoes_adding_it(start, span):
    assert CHINA.working_time_between(start, CHINA.add_working_time(start, span)) == span


@given(moments(), spans())
def test_a_deadline_is_in_business_hours_and_no_sooner_than_the_elapsed_span(start, span):
    due = CHINA.add_working_time(start, span)
    assert is_business_end(due)
    assert due - start >= span
    assert due.tzinfo == SHANGHAI


@given(moments(), moments(), moments())
def test_business_time_between_adds_up_over_consecutive_stretches(one, two, three):
    a, b, c = sorted((one, two, three))
    assert CHINA.working_time_between(a, b) + CHINA.working_time_between(b, c) == (
        CHINA.working_time_between(a, c)
    )
    assert CHINA.working_time_between(c, a) == timedelta(0)


@given(moments(), st.integers(0, 48 * 60))
def test_business_time_between_counts_the_open_minutes(start, minutes):
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(minutes=minutes)
    open_minutes = sum(CHINA.is_open(start + timedelta(minutes=m)) for m in range(minutes))
    assert CHINA.working_time_between(start, end) == timedelta(minutes=open_minutes)


@given(st.sampled_from([time(9), time(12, 15), time(17, 59)]), POSITIVE)
def test_crossing_national_day_2025_lands_where_the_schedule_says(wall, span):
    start = datetime.combine(date(2025, 9, 30), wall, SHANGHAI)
    left_on_the_30th = CHINA.working_time_between(start, start.replace(hour=18, minute=0))
    due = CHINA.add_working_time(start, span).date()
    # 1–8 October are off; the 9th and 10th are working days, the 11th a make-up Saturday.
    if span <= left_on_the_30th:
        assert due == date(2025, 9, 30)
    elif span <= left_on_the_30th + timedelta(hours=DAY):
        assert due == date(2025, 10, 9)
    elif span <= left_on_the_30th + timedelta(hours=2 * DAY):
        assert due == date(2025, 10, 10)
    elif span <= left_on_the_30th + timedelta(hours=3 * DAY):
        assert due == date(2025, 10, 11)
    else:
        assert due >= date(2025, 10, 13)


# ---------------------------------------------------------------- working days


@given(moments(), moments(), st.integers(1, 10))
def test_adding_working_days_is_monotonic_in_the_start(one, other, days):
    early, late = sorted((one, other))
    assert CHINA.add_working_days(early, days) <= CHINA.add_working_days(late, days)


@given(moments(), st.integers(1, 10), st.integers(1, 10))
def test_adding_working_days_is_monotonic_in_the_days(start, one, other):
    fewer, more = sorted((one, other))
    assert CHINA.add_working_days(start, fewer) <= CHINA.add_working_days(start, more)


@given(moments(), st.integers(1, 10))
def test_n_working_days_are_n_full_business_days_after_the_start_day(start, days):
    due = CHINA.add_working_days(start, days)
    next_midnight = datetime.combine(CHINA.local_date(start) + timedelta(days=1), time(0), SHANGHAI)
    assert due.timetz() == CHINA.closing.replace(tzinfo=SHANGHAI)
    assert CHINA.is_working_day(due.date())
    assert CHINA.working_time_between(next_midnight, due) == timedelta(hours=DAY * days)


# ---------------------------------------------------------------- calendar days


@given(moments(), st.integers(-400, 400))
def test_calendar_days_keep_the_local_wall_time(start, days):
    moved = CHINA.add_calendar_days(start, days)
    local = start.astimezone(SHANGHAI)
    assert moved.tzinfo == SHANGHAI
    assert moved.time() == local.time()
    assert moved.date() - local.date() == timedelta(days=days)
    assert CHINA.add_calendar_days(moved, -days) == start
