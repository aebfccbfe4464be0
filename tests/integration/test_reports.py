"""The seeds' reports on real databases, from a week at the desk built step by step.

A week at 翠苑花园 (``cuiyuan``) is played on a manual clock, ticket by ticket, in time order:
Thursday 2026-11-19 to Friday 2026-11-27, in Asia/Shanghai. Every number
below is counted by hand from the story, not read back from the code. The story is built once
per backend (the ``module_backend_url`` fixture) and only read afterwards.

Each report counts from the previous one's cut-off to its own, half-open: the daily report of
day D covers ``[D-1 17:10, D 17:10)`` and its week ``[the Sunday before 17:10, D 17:10)``; the
weekly summary ``[the previous Friday 15:00, Friday 15:00)``. What stands at a cut-off is what
the last step strictly before it left; a step at the very cut-off belongs to the next report.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from report_story import HOME, NAMES, OTHER, Story, local, named

import propdesk as p
from propdesk.projections import Projector
from propdesk.reports import (
    CompletionReport,
    ReportSchedule,
    complaint_report,
    completion_report,
    to_csv,
    to_json,
    weekly_summary,
)
from propdesk.testing import SHANGHAI

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

WED = date(2026, 11, 25)
"""The day of the daily reports: a Wednesday, so the week's totals differ from the day's."""
OUTSTANDING_COLUMNS = (
    "ticket_id,logged_at,category,unit,state,reason,since,person,level,appointment,hours_open"
)
COMPLETED_COLUMNS = "ticket_id,completed_at,completed_by,category,unit,logged_at,fee"
COMPLAINT_COLUMNS = (
    "ticket_id,received_at,channel,place,what_happened,demands,valid,severity,urgent,"
    "complaint_type,responsible_unit,handler,state_when_due,classified_when_due,"
    "handler_when_due,answered_at,resolved_at"
)
OPINION_COLUMNS = "ticket_id,called_at,satisfied,rating,remarks,problem,within_window"


def the_week() -> Story:
    """Thursday the 19th to Friday the 27th at 翠苑花园, with a ticket at 兰亭苑 (``lanting``)."""
    story = Story()
    _before_the_week(story)
    # Logged just after midnight on Monday; repaired Monday, called back Tuesday (with praise).
    monday = story.repair("monday", local(23, "00:01"), by="night-xu")
    monday.dispatch(local(23, "08:05"), "tech-wu")
    monday.repaired("tech-wu", local(23, "08:12"), local(23, "08:20"), local(23, "10:30"))
    monday.handed_in("tech-wu", "sup-chen", local(23, "10:40"), local(23, "11:00"))
    monday.called_back(local(24, "10:00"), 5, remarks="师傅很专业")
    monday.then(local(24, "10:05"), p.Close, actor="cs-he")
    # Refused by tech-zhao, escalated to his supervisor, who came late and repaired it Tuesday
    # afternoon, before Tuesday's cut-off; its callback on Friday at 14:59, a minute before the
    # weekly cut-off, is a day past its window and says nothing.
    escalated = story.repair("escalated", local(24, "14:00"))
    escalated.dispatch(local(24, "14:01"), "tech-zhao")
    escalated.refused("tech-zhao", local(24, "14:03"), "正在5栋维修，走不开", local(24, "14:05"))
    escalated.repaired("sup-wang", local(24, "14:20"), local(24, "14:25"), local(24, "15:00"))
    escalated.handed_in("sup-wang", "sup-chen", local(24, "15:10"), local(24, "15:30"))
    escalated.called_back(local(27, "14:59"), 4)
    # Completed on Wednesday at 17:09, a minute before the cut-off; sent back on Thursday.
    early = story.repair("done_1709", local(25, "09:00"))
    early.dispatch(local(25, "09:02"), "tech-zhang")
    early.repaired("tech-zhang", local(25, "09:10"), local(25, "09:15"), local(25, "17:09"), "80")
    early.handed_in("tech-zhang", "sup-wang", local(25, "17:20"), local(25, "17:30"))
    early.called_back(local(26, "10:00"), 2, problem="还在滴水")
    # Completed on Wednesday at 17:11, a minute after the cut-off: Thursday's report counts it.
    # Called back a minute after Friday's weekly cut-off: the next week's summary counts that.
    late = story.repair("done_1711", local(25, "10:00"))
    late.dispatch(local(25, "10:01"), "tech-sun")
    late.repaired("tech-sun", local(25, "10:05"), local(25, "10:06"), local(25, "17:11"))
    late.handed_in("tech-sun", "sup-chen", local(25, "17:20"), local(25, "17:40"))
    late.called_back(local(27, "15:01"), 5, remarks="还行")
    # Refused all the way up to the project manager, who found nobody: a new time, Thursday 9:00.
    moved = story.repair("rescheduled", local(25, "11:00"))
    moved.dispatch(local(25, "11:01"), "tech-zhang")
    moved.refused("tech-zhang", local(25, "11:02"), "正在3栋维修", local(25, "11:03"))
    moved.refused("sup-wang", local(25, "11:04"), "在开部门例会", local(25, "11:05"))
    moved.refused("eng-zhou", local(25, "11:06"), "在外地培训", local(25, "11:07"))
    moved.then(local(25, "11:10"), p.ConfirmNoStaff, actor="pm-li")
    moved.then(local(25, "11:15"), p.Reschedule, actor="desk-huang", new_time=local(26, "09:00"),
               owner_agreed=True)  # fmt: skip
    # The resident would not have it repaired: closed unrepaired.
    declined = story.repair("declined", local(25, "13:00"))
    declined.dispatch(local(25, "13:01"), "tech-liu")
    declined.then(local(25, "13:09"), p.ReportArrival, actor="tech-liu")
    declined.then(local(25, "13:20"), p.DeclineOnSite, actor="tech-liu", reason="不同意收费",
                  supervisor="sup-wang", technician_signature_ref="sig-liu",
                  supervisor_signature_ref="sig-wang")  # fmt: skip
    story.repair("waiting", local(25, "17:09"))
    story.repair("late_log", local(25, "17:11"))
    story.repair("lanting", local(25, "12:00"), estate=OTHER)
    _complaints(story)
    return story


def _before_the_week(story: Story) -> None:
    """The week before: a repair done twice on Thursday, one logged at the weekly cut-off on
    Friday and completed on Saturday, and one logged on Sunday night."""
    # The week before: completed, sent back by its callback, completed again the same day.
    twice = story.repair("twice", local(19, "09:00"))
    twice.dispatch(local(19, "09:01"), "tech-zhang")
    twice.repaired("tech-zhang", local(19, "09:05"), local(19, "09:06"), local(19, "10:00"))
    twice.handed_in("tech-zhang", "sup-wang", local(19, "10:10"), local(19, "10:20"))
    twice.called_back(local(19, "11:00"), 2, problem="水管还在响")
    twice.dispatch(local(19, "11:10"), "tech-zhang")
    twice.repaired("tech-zhang", local(19, "11:15"), local(19, "11:16"), local(19, "12:00"))
    # Logged exactly at Friday's weekly cut-off (15:00), so in the next week's summary; still in
    # repair at Friday's 17:10, completed on Saturday morning.
    weekend = story.repair("weekend", local(20, "15:00"))
    weekend.dispatch(local(20, "15:01"), "tech-wu")
    weekend.repaired("tech-wu", local(20, "15:05"), local(20, "15:06"), local(21, "10:00"))
    # Logged on Sunday night, after Sunday's 17:10 report, so in Monday's report and this
    # week's; left for a revisit: outstanding all week.
    old = story.repair("old", local(22, "23:59"), by="night-xu")
    old.dispatch(local(23, "00:02"), "tech-liu", by="night-xu")
    old.then(local(23, "00:10"), p.ReportArrival, actor="tech-liu")
    old.then(local(23, "00:11"), p.KnockUnanswered, actor="tech-liu")
    old.then(local(23, "00:16"), p.KnockUnanswered, actor="tech-liu")
    old.then(local(23, "00:17"), p.LeaveForRevisit, actor="tech-liu",
             informed_supervisor="sup-wang", informed_customer_service="cs-he")  # fmt: skip


def _complaints(story: Story) -> None:
    """Wednesday's complaints, and one a minute after midnight."""
    important = story.complaint("important", local(25, "10:00"))
    important.then(local(25, "10:20"), p.ClassifyComplaint, actor="cs-he", severity="important",
                   complaint_type=p.ComplaintSubject.SERVICE, responsible_unit="工程部",
                   confirmed_by="head-qian")  # fmt: skip
    important.then(local(25, "10:40"), p.RouteComplaint, actor="cs-he", to="sup-chen",
                   notified=("head-qian",))  # fmt: skip
    important.then(local(26, "08:30"), p.ContactCustomer, actor="sup-chen", clarified="已联系业主")
    important.then(local(26, "09:30"), p.GiveAnswer, actor="sup-chen", answer="明天上门处理")
    important.then(local(26, "10:00"), p.ResolveComplaint, actor="sup-chen", outcome="已处理")
    invalid = story.complaint("invalid", local(25, "11:00"))
    invalid.then(local(25, "11:10"), p.ClassifyComplaint, actor="cs-he", valid=False,
                 complaint_type=p.ComplaintSubject.SERVICE)  # fmt: skip
    invalid.then(local(25, "11:15"), p.GiveAnswer, actor="cs-he", answer="不属于物业责任")
    invalid.then(
        local(25, "11:20"), p.CloseAsInvalid, actor="cs-he", help_offered="协助联系燃气公司"
    )
    story.complaint("unclassified", local(25, "16:00"))
    # Classified and routed the next morning, after the 09:00 report was due.
    midnight = story.complaint("at_2359", local(25, "23:59"), by="night-xu")
    midnight.then(local(26, "09:05"), p.ClassifyComplaint, actor="cs-he", severity="minor",
                  complaint_type=p.ComplaintSubject.SERVICE, responsible_unit="工程部",
                  confirmed_by="head-qian")  # fmt: skip
    midnight.then(local(26, "09:10"), p.RouteComplaint, actor="cs-he", to="sup-chen")
    story.complaint("at_0001", local(26, "00:01"), by="night-xu")
    story.complaint("lanting_complaint", local(25, "14:00"), estate=OTHER)


@pytest.fixture(scope="module")
def week(module_backend_url: str) -> Iterator[Engine]:
    """The week, played once per backend; the read side's engine.

    The projections catch up in batches of 40 events, so that tickets' steps fall in several
    batches, as they do at a live desk.
    """
    the_week().play(module_backend_url)
    with Projector(module_backend_url, batch_size=40) as projector:
        projector.catch_up()
        yield projector.engine


def daily(engine: Engine, day: date = WED, **options: Any) -> CompletionReport:
    options.setdefault("estate", HOME)
    return completion_report(engine, day, SHANGHAI, **options)


@contextmanager
def played(url: str, story: Story) -> Iterator[Engine]:
    """``story`` played at ``url``; the read side's engine, caught up."""
    story.play(url)
    with Projector(url) as projector:
        projector.catch_up()
        yield projector.engine


def totals(report: CompletionReport, period: str = "today") -> tuple[int, int, int, int]:
    counted = getattr(report, period)
    return counted.received, counted.completed, counted.not_completed, counted.closed_unrepaired


def datetimes_in(value: Any) -> list[str]:
    """Every string in a JSON value that reads as a time of day."""
    if isinstance(value, dict):
        return [found for item in value.values() for found in datetimes_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in datetimes_in(item)]
    if isinstance(value, str) and "T" in value:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return []
        return [value]
    return []


# ------------------------------------------------------------------ the 17:10 report


def test_the_daily_report_counts_from_the_previous_cut_off_to_1710(week):
    report = daily(week)

    assert (report.day, report.as_of, report.day_from, report.week_from) == (
        WED, local(25, "17:10"), local(24, "17:10"), local(22, "17:10"))  # fmt: skip
    # Today, from Tuesday 17:10: logged done_1709, done_1711, rescheduled, declined and
    # waiting; completed done_1709; still to do done_1711, rescheduled and waiting (old too,
    # but it was logged before); declined closed unrepaired. escalated (logged and completed on
    # Tuesday afternoon) was Tuesday's.
    assert report.today.model_dump() == {
        "received": 5, "completed": 1, "not_completed": 3, "closed_unrepaired": 1}  # fmt: skip
    # The week, from Sunday 17:10: also old (Sunday 23:59), monday and escalated.
    assert report.week.model_dump() == {
        "received": 8, "completed": 3, "not_completed": 4, "closed_unrepaired": 1}  # fmt: skip


def test_the_daily_report_lists_what_was_completed_before_the_cut_off(week):
    [line] = daily(week).completed

    assert NAMES[line.ticket_id] == "done_1709"
    assert (line.completed_at.isoformat(), line.completed_by, line.logged_at.isoformat()) == (
        "2026-11-25T17:09:00+08:00", "tech-zhang", "2026-11-25T09:00:00+08:00")  # fmt: skip
    assert (line.category, line.unit, line.fee) == ("other", "3栋2单元1201", Decimal("80.00"))


def test_the_daily_report_gives_each_outstanding_repair_its_reason(week):
    lines = daily(week).outstanding

    assert named([line.ticket_id for line in lines]) == [
        "old", "done_1711", "rescheduled", "waiting"]  # fmt: skip
    old, in_repair, moved, waiting = lines
    assert (old.state, old.reason, old.person, old.since.isoformat()) == (
        "AWAITING_REVISIT",
        "nobody home, revisit to be arranged",
        None,
        "2026-11-23T00:17:00+08:00",
    )
    assert old.logged_at.isoformat() == "2026-11-22T23:59:00+08:00"
    assert old.hours_open == 65.2  # Sunday 23:59 to Wednesday 17:10
    assert (in_repair.state, in_repair.reason, in_repair.person, in_repair.since) == (
        "IN_REPAIR",
        "repair in progress",
        "tech-sun",
        local(25, "10:06"),
    )
    assert (moved.state, moved.reason, moved.person, moved.level) == (
        "RESCHEDULED",
        "rescheduled with the owner",
        None,
        0,
    )
    assert moved.appointment is not None
    assert moved.appointment.isoformat() == "2026-11-26T09:00:00+08:00"
    assert (waiting.state, waiting.reason, waiting.since, waiting.hours_open) == (
        "LOGGED",
        "waiting to be dispatched",
        local(25, "17:09"),
        0.0,
    )
    assert all(line.appointment is None for line in (old, in_repair, waiting))


def test_the_daily_report_counts_reasons_in_the_lifecycle_order(week):
    assert list(daily(week).reasons.items()) == [
        ("waiting to be dispatched", 1),
        ("rescheduled with the owner", 1),
        ("nobody home, revisit to be arranged", 1),
        ("repair in progress", 1),
    ]


def test_a_repair_completed_twice_in_a_day_counts_once_at_its_last_completion(week):
    report = daily(week, date(2026, 11, 19))

    assert report.today.model_dump() == {
        "received": 1, "completed": 1, "not_completed": 0, "closed_unrepaired": 0}  # fmt: skip
    [line] = report.completed
    assert (NAMES[line.ticket_id], line.completed_at) == ("twice", local(19, "12:00"))


def test_a_later_cut_off_takes_in_the_steps_before_it(week):
    report = daily(week, schedule=ReportSchedule(daily_at=time(18, 0)))

    assert (report.day_from, report.as_of, report.week_from) == (
        local(24, "18:00"), local(25, "18:00"), local(22, "18:00"))  # fmt: skip
    assert report.today.model_dump() == {
        "received": 6, "completed": 2, "not_completed": 3, "closed_unrepaired": 1}  # fmt: skip
    assert named([line.ticket_id for line in report.completed]) == ["done_1709", "done_1711"]
    assert named([line.ticket_id for line in report.outstanding]) == [
        "old", "rescheduled", "waiting", "late_log"]  # fmt: skip


def test_the_next_day_the_week_counts_the_repair_completed_after_the_cut_off(week):
    report = daily(week, date(2026, 11, 26))

    assert (report.day_from, report.week_from) == (local(25, "17:10"), local(22, "17:10"))
    # Logged since Sunday 17:10: old, monday, escalated, done_1709, done_1711, rescheduled,
    # declined, waiting, late_log; completed: monday, escalated, done_1709, done_1711.
    assert report.week.model_dump() == {
        "received": 9, "completed": 4, "not_completed": 5, "closed_unrepaired": 1}  # fmt: skip
    lines = {NAMES[line.ticket_id]: line for line in report.outstanding}
    assert list(lines) == ["old", "done_1709", "rescheduled", "waiting", "late_log"]
    rework = lines["done_1709"]
    assert (rework.state, rework.reason, rework.person, rework.since) == (
        "REWORK",
        "rework after an unhappy callback: 还在滴水",
        "tech-zhang",
        local(26, "10:00"),
    )


def test_the_next_day_lists_the_repair_completed_after_the_cut_off(week):
    report = daily(week, date(2026, 11, 26))

    [line] = report.completed
    assert NAMES[line.ticket_id] == "done_1711"
    assert (line.completed_at.isoformat(), line.completed_by) == (
        "2026-11-25T17:11:00+08:00", "tech-sun")  # fmt: skip
    # From Wednesday 17:10: late_log logged (17:11) and still waiting; done_1711 completed.
    assert report.today.model_dump() == {
        "received": 1, "completed": 1, "not_completed": 1, "closed_unrepaired": 0}  # fmt: skip


DAY_BY_DAY = {  # day: received, completed (by name), not completed, closed unrepaired
    19: (1, ["twice"], 0, 0),  # twice completed twice: once
    20: (1, [], 1, 0),  # weekend logged at 15:00, in repair at 17:10
    21: (0, ["weekend"], 0, 0),
    22: (0, [], 0, 0),  # old is logged at 23:59, after Sunday's cut-off
    23: (2, ["monday"], 1, 0),  # old and monday; old left for a revisit
    24: (1, ["escalated"], 0, 0),
    25: (5, ["done_1709"], 3, 1),
    26: (1, ["done_1711"], 1, 0),  # late_log
    27: (0, [], 0, 0),
    28: (0, [], 0, 0),
    29: (0, [], 0, 0),
}


def test_consecutive_daily_reports_meet_at_the_cut_off(week):
    reports = [daily(week, date(2026, 11, day)) for day in DAY_BY_DAY]

    for before, after in itertools.pairwise(reports):
        assert after.day_from == before.as_of == local(before.day.day, "17:10")
    counted = {
        report.day.day: (report.today.received, named([x.ticket_id for x in report.completed]),
                         report.today.not_completed, report.today.closed_unrepaired)
        for report in reports
    }  # fmt: skip
    assert counted == DAY_BY_DAY
    # Every repair completed from Wednesday the 18th 17:10 to Saturday the 28th 17:10 is listed
    # once, by exactly one day.
    listed = [name for report in reports for name in named([x.ticket_id for x in report.completed])]
    assert listed == ["twice", "weekend", "monday", "escalated", "done_1709", "done_1711"]


def test_the_week_runs_from_the_cut_off_on_the_sunday_before(week):
    reports = {day: daily(week, date(2026, 11, day)) for day in DAY_BY_DAY}

    assert {day: report.week_from for day, report in reports.items()} == {
        day: local(15, "17:10") if day <= 22 else local(22, "17:10") for day in DAY_BY_DAY
    }
    # Sunday's week ends where Monday's begins.
    assert reports[22].as_of == reports[23].week_from == reports[23].day_from
    assert totals(reports[23], "week") == totals(reports[23], "today")
    # Sunday the 22nd: from the 15th 17:10, twice and weekend logged and completed.
    assert totals(reports[22], "week") == (2, 2, 0, 0)
    # Sunday the 29th: the week's days add up; still to do: old, done_1709 (rework),
    # rescheduled, waiting, late_log.
    assert totals(reports[29], "week") == (9, 4, 5, 1)
    this_week = [reports[day] for day in range(23, 30)]
    assert sum(report.today.received for report in this_week) == 9
    assert sum(report.today.completed for report in this_week) == 4
    assert sum(report.today.closed_unrepaired for report in this_week) == 1
    assert daily(week, date(2026, 11, 30)).week_from == reports[29].as_of


def test_a_repair_completed_at_1800_counts_in_the_next_days_report(backend_url):
    story = Story()
    evening = story.repair("completed_at_1800", local(24, "09:00"))
    evening.dispatch(local(24, "09:01"), "tech-zhang")
    evening.repaired("tech-zhang", local(24, "09:05"), local(24, "09:06"), local(24, "18:00"))
    sunday = story.repair("completed_sunday_1800", local(22, "09:00"))
    sunday.dispatch(local(22, "09:01"), "tech-wu")
    sunday.repaired("tech-wu", local(22, "09:05"), local(22, "09:06"), local(22, "18:00"))
    with played(backend_url, story) as engine:
        reports = {day: daily(engine, date(2026, 11, day)) for day in (22, 23, 24, 25)}

    # Tuesday: in repair at 17:10; Wednesday: completed the evening before.
    tuesday, wednesday = reports[24], reports[25]
    assert (totals(tuesday), tuesday.completed) == ((1, 0, 1, 0), [])
    assert named([line.ticket_id for line in tuesday.outstanding]) == ["completed_at_1800"]
    assert totals(wednesday) == (0, 1, 0, 0)
    [line] = wednesday.completed
    assert (NAMES[line.ticket_id], line.completed_at.isoformat()) == (
        "completed_at_1800", "2026-11-24T18:00:00+08:00")  # fmt: skip
    assert wednesday.outstanding == []
    # Sunday evening's completion is Monday's, and the new week's: the week before never saw it.
    sunday_report, monday = reports[22], reports[23]
    assert (totals(sunday_report), totals(sunday_report, "week")) == ((1, 0, 1, 0), (1, 0, 1, 0))
    assert (totals(monday), totals(monday, "week")) == ((0, 1, 0, 0), (0, 1, 0, 0))
    assert named([line.ticket_id for line in monday.completed]) == ["completed_sunday_1800"]
    assert totals(wednesday, "week") == (1, 2, 0, 0)


def test_the_estate_filter_keeps_the_other_estates_repairs_out(week):
    everywhere, home, other = (daily(week, estate=estate) for estate in (None, HOME, OTHER))

    assert (everywhere.today.received, home.today.received, other.today.received) == (6, 5, 1)
    assert [NAMES[line.ticket_id] for line in other.outstanding] == ["lanting"]
    assert {line.ticket_id for line in everywhere.outstanding} == {
        line.ticket_id for line in home.outstanding + other.outstanding}  # fmt: skip
    assert everywhere.reasons["waiting to be dispatched"] == 2


def test_a_step_exactly_at_the_cut_off_belongs_to_the_next_report(backend_url):
    story = Story()
    on_the_minute = story.repair("completed_at_1710", local(25, "09:00"))
    on_the_minute.dispatch(local(25, "09:01"), "tech-zhang")
    on_the_minute.repaired("tech-zhang", local(25, "09:05"), local(25, "09:06"), local(25, "17:10"))
    story.repair("logged_at_1710", local(25, "17:10"))
    with played(backend_url, story) as engine:
        report, next_day = daily(engine), daily(engine, date(2026, 11, 26))

    # Just before 17:10 the one was still in repair and the other not yet logged.
    assert totals(report) == (1, 0, 1, 0)
    assert report.completed == []
    [line] = report.outstanding
    assert (NAMES[line.ticket_id], line.state) == ("completed_at_1710", "IN_REPAIR")
    # The next day's report takes both steps at 17:10:00.
    assert totals(next_day) == (1, 1, 1, 0)
    assert named([line.ticket_id for line in next_day.completed]) == ["completed_at_1710"]
    assert named([line.ticket_id for line in next_day.outstanding]) == ["logged_at_1710"]
    assert next_day.completed[0].completed_at.isoformat() == "2026-11-25T17:10:00+08:00"


# ------------------------------------------------------------------ the 09:00 complaint report


def test_the_complaint_report_holds_the_days_complaints_as_they_stood_at_0900(week):
    report = complaint_report(week, WED, SHANGHAI, estate=HOME)

    assert report.due_at.isoformat() == "2026-11-26T09:00:00+08:00"
    lines = {NAMES[line.ticket_id]: line for line in report.complaints}
    assert list(lines) == ["important", "invalid", "unclassified", "at_2359"]
    when_due = {
        name: (line.state_when_due, line.classified_when_due, line.handler_when_due)
        for name, line in lines.items()
    }
    assert when_due == {
        # contacted at 08:30; resolved at 10:00, after the due time
        "important": ("IN_HANDLING", True, "sup-chen"),
        "invalid": ("CLOSED_INVALID", True, None),
        "unclassified": ("RECEIVED", False, None),
        "at_2359": ("RECEIVED", False, None),  # classified at 09:05, routed at 09:10
    }
    assert (report.received, report.invalid, report.closed_when_due, report.open_when_due) == (
        4, 1, 1, 3)  # fmt: skip
    important = lines["important"]
    assert (important.severity, important.handler, important.responsible_unit) == (
        "important", "sup-chen", "工程部")  # fmt: skip
    assert (important.received_at.isoformat(), important.valid, important.urgent) == (
        "2026-11-25T10:00:00+08:00", True, False)  # fmt: skip
    assert (important.answered_at, important.resolved_at) == (
        local(26, "09:30"), local(26, "10:00"))  # fmt: skip
    assert lines["invalid"].valid is False


def test_the_complaint_lines_say_what_the_register_holds_now(week):
    lines = {
        NAMES[line.ticket_id]: line
        for line in complaint_report(week, WED, SHANGHAI, estate=HOME).complaints
    }

    late = lines["at_2359"]  # classified and routed after the due time
    assert (late.valid, late.severity, late.responsible_unit, late.handler) == (
        True, "minor", "工程部", "sup-chen")  # fmt: skip
    assert (late.classified_when_due, late.handler_when_due) == (False, None)
    unclassified = lines["unclassified"]
    assert (unclassified.valid, unclassified.severity, unclassified.handler) == (None, None, None)


def test_the_complaint_report_counts_by_severity_at_the_due_time(week):
    report = complaint_report(week, WED, SHANGHAI, estate=HOME)

    # at_2359 was classified minor at 09:05: unclassified when the report was due.
    assert report.by_severity == {"important": 1, "invalid": 1, "unclassified": 2}
    assert report.invalid == 1


def test_a_complaint_step_exactly_at_0900_is_after_the_due_time(backend_url):
    story = Story()
    graded = {"complaint_type": p.ComplaintSubject.SERVICE, "responsible_unit": "工程部",
              "confirmed_by": "head-qian"}  # fmt: skip
    classified = story.complaint("classified_at_0900", local(25, "10:00"))
    classified.then(local(26, "09:00"), p.ClassifyComplaint, actor="cs-he", severity="minor",
                    **graded)  # fmt: skip
    routed = story.complaint("routed_at_0900", local(25, "11:00"))
    routed.then(local(25, "11:10"), p.ClassifyComplaint, actor="cs-he", severity="minor", **graded)
    routed.then(local(26, "09:00"), p.RouteComplaint, actor="cs-he", to="sup-chen")
    invalid = story.complaint("invalid_after_0900", local(25, "12:00"))
    invalid.then(local(26, "09:30"), p.ClassifyComplaint, actor="cs-he", valid=False,
                 complaint_type=p.ComplaintSubject.SERVICE)  # fmt: skip
    with played(backend_url, story) as engine:
        report = complaint_report(engine, WED, SHANGHAI)

    lines = {NAMES[line.ticket_id]: line for line in report.complaints}
    assert {
        name: (line.state_when_due, line.classified_when_due, line.handler_when_due,
               line.severity, line.valid, line.handler)
        for name, line in lines.items()
    } == {  # when due, then now
        "classified_at_0900": ("RECEIVED", False, None, "minor", True, None),
        "routed_at_0900": ("CLASSIFIED", True, None, "minor", True, "sup-chen"),
        "invalid_after_0900": ("RECEIVED", False, None, None, False, None),
    }  # fmt: skip
    assert report.by_severity == {"minor": 1, "unclassified": 2}
    assert (report.received, report.invalid, report.closed_when_due, report.open_when_due) == (
        3, 0, 0, 3)  # fmt: skip


def test_the_complaint_report_of_the_next_day_starts_at_midnight(week):
    report = complaint_report(week, date(2026, 11, 26), SHANGHAI)

    assert named([line.ticket_id for line in report.complaints]) == ["at_0001"]
    assert (report.due_at, report.by_severity) == (local(27, "09:00"), {"unclassified": 1})
    [line] = report.complaints
    assert (line.classified_when_due, line.handler_when_due) == (False, None)


def test_the_complaint_report_keeps_to_its_estate(week):
    everywhere = complaint_report(week, WED, SHANGHAI)
    other = complaint_report(week, WED, SHANGHAI, estate=OTHER)

    assert (everywhere.received, other.received) == (5, 1)
    assert named([line.ticket_id for line in other.complaints]) == ["lanting_complaint"]


# ------------------------------------------------------------------ the Friday summary


def test_the_weekly_summary_runs_from_the_previous_friday_1500(week):
    for day in (23, 25, 29):  # any day of the week, Sunday included
        summary = weekly_summary(week, date(2026, 11, day), SHANGHAI, estate=HOME)
        assert (summary.week_from, summary.as_of) == (local(20, "15:00"), local(27, "15:00"))
    assert summary.week_from.isoformat() == "2026-11-20T15:00:00+08:00"
    # Logged since Friday 15:00: weekend (at 15:00 itself), old, monday, escalated, done_1709,
    # done_1711, rescheduled, declined, waiting, late_log; completed: weekend, monday,
    # escalated, done_1709, done_1711; all five still to do were logged in the week.
    assert summary.repairs.model_dump() == {
        "received": 10, "completed": 5, "not_completed": 5, "closed_unrepaired": 1}  # fmt: skip
    assert named([line.ticket_id for line in summary.outstanding]) == [
        "old", "done_1709", "rescheduled", "waiting", "late_log"]  # fmt: skip
    assert list(summary.reasons.items()) == [
        ("waiting to be dispatched", 2),
        ("rescheduled with the owner", 1),
        ("nobody home, revisit to be arranged", 1),
        ("rework after an unhappy callback", 1),
    ]
    assert (summary.complaints_received, summary.complaints_resolved) == (5, 1)


def test_consecutive_weekly_summaries_meet_at_friday_1500(week):
    before, this, after = (
        weekly_summary(week, date(2026, 11, day), SHANGHAI, estate=HOME) for day in (22, 25, 30)
    )

    assert (before.as_of, this.week_from) == (local(20, "15:00"), local(20, "15:00"))
    assert (this.as_of, after.week_from, after.as_of) == (
        local(27, "15:00"), local(27, "15:00"), local(4, "15:00", month=12))  # fmt: skip
    # weekend, logged at Friday 15:00 itself, is this week's, not the week before's.
    assert (before.repairs.received, before.outstanding) == (1, [])
    assert this.repairs.received == 10
    # done_1711's callback at Friday 15:01 is the next week's; nothing else happened since.
    assert after.repairs.model_dump() == {
        "received": 0, "completed": 0, "not_completed": 0, "closed_unrepaired": 0}  # fmt: skip
    assert named([line.ticket_id for line in after.outstanding]) == [
        "old", "done_1709", "rescheduled", "waiting", "late_log"]  # fmt: skip
    assert after.callbacks.model_dump() == {
        "made": 1,
        "satisfied": 1,
        "unsatisfied": 0,
        "within_window": 1,
        "satisfaction_rate": 1.0,
    }
    [opinion] = after.opinions
    assert (NAMES[opinion.ticket_id], opinion.called_at.isoformat(), opinion.remarks) == (
        "done_1711", "2026-11-27T15:01:00+08:00", "还行")  # fmt: skip
    assert (after.complaints_received, after.complaints_resolved) == (0, 0)


def test_the_weekly_summary_counts_the_callbacks_made_before_friday_1500(week):
    summary = weekly_summary(week, WED, SHANGHAI, estate=HOME)

    # monday's, done_1709's and escalated's (14:59); done_1711's at 15:01 is next week's.
    assert summary.callbacks.model_dump() == {
        "made": 3, "satisfied": 2, "unsatisfied": 1, "within_window": 2,
        "satisfaction_rate": pytest.approx(2 / 3),
    }  # fmt: skip
    praise, complaint = summary.opinions
    assert (NAMES[praise.ticket_id], praise.called_at.isoformat(), praise.satisfied) == (
        "monday", "2026-11-24T10:00:00+08:00", True)  # fmt: skip
    assert (praise.rating, praise.remarks, praise.problem, praise.within_window) == (
        5, "师傅很专业", None, True)  # fmt: skip
    assert (NAMES[complaint.ticket_id], complaint.satisfied, complaint.problem) == (
        "done_1709", False, "还在滴水")  # fmt: skip


def test_the_previous_weeks_summary_ends_on_its_friday(week):
    summary = weekly_summary(week, date(2026, 11, 22), SHANGHAI, estate=HOME)

    assert (summary.week_from, summary.as_of) == (local(13, "15:00"), local(20, "15:00"))
    assert summary.repairs.model_dump() == {
        "received": 1, "completed": 1, "not_completed": 0, "closed_unrepaired": 0}  # fmt: skip
    assert (summary.outstanding, summary.complaints_received) == ([], 0)
    assert (summary.callbacks.made, summary.callbacks.unsatisfied) == (1, 1)
    assert [(NAMES[line.ticket_id], line.problem) for line in summary.opinions] == [
        ("twice", "水管还在响")]  # fmt: skip


def test_the_weekly_summary_keeps_to_its_estate(week):
    everywhere, other = (weekly_summary(week, WED, SHANGHAI, estate=e) for e in (None, OTHER))

    assert (everywhere.repairs.received, other.repairs.received) == (11, 1)
    assert (everywhere.callbacks.made, other.callbacks.made) == (3, 0)
    assert (everywhere.complaints_received, other.complaints_received) == (6, 1)
    assert named([line.ticket_id for line in other.outstanding]) == ["lanting"]


# ------------------------------------------------------------------ CSV and JSON


def test_each_reports_main_section_reads_back_as_csv(week):
    daily_report = daily(week)
    complaints = complaint_report(week, WED, SHANGHAI, estate=HOME)
    weekly = weekly_summary(week, WED, SHANGHAI, estate=HOME)
    expected = [  # the report, the lines of its main section, and their columns
        (daily_report, daily_report.outstanding, OUTSTANDING_COLUMNS),
        (complaints, complaints.complaints, COMPLAINT_COLUMNS),
        (weekly, weekly.outstanding, OUTSTANDING_COLUMNS),
    ]
    for report, lines, columns in expected:
        written = to_csv(report)
        assert written.splitlines()[0] == columns
        rows = list(csv.DictReader(io.StringIO(written)))
        assert [row["ticket_id"] for row in rows] == [line.ticket_id for line in lines]
        assert {len(row) for row in rows} == {len(columns.split(","))}
        assert all(None not in row and None not in row.values() for row in rows)


def test_the_daily_csv_sections(week):
    report = daily(week)
    totals_rows = list(csv.DictReader(io.StringIO(to_csv(report, "totals"))))
    outstanding = list(csv.DictReader(io.StringIO(to_csv(report))))

    assert totals_rows == [
        {"period": "today", "received": "5", "completed": "1", "not_completed": "3",
         "closed_unrepaired": "1"},
        {"period": "week", "received": "8", "completed": "3", "not_completed": "4",
         "closed_unrepaired": "1"},
    ]  # fmt: skip
    assert len(outstanding) == 4
    assert set(outstanding[0]) == set(report.outstanding[0].model_dump())
    moved = outstanding[2]
    assert (moved["state"], moved["appointment"], moved["since"]) == (
        "RESCHEDULED", "2026-11-26T09:00:00+08:00", "2026-11-25T11:15:00+08:00")  # fmt: skip
    completed = list(csv.DictReader(io.StringIO(to_csv(report, "completed"))))
    assert [(row["completed_at"], row["fee"]) for row in completed] == [
        ("2026-11-25T17:09:00+08:00", "80.00")]  # fmt: skip
    reasons = list(csv.DictReader(io.StringIO(to_csv(report, "reasons"))))
    assert [(row["name"], row["count"]) for row in reasons] == [
        ("waiting to be dispatched", "1"),
        ("rescheduled with the owner", "1"),
        ("nobody home, revisit to be arranged", "1"),
        ("repair in progress", "1"),
    ]


def test_an_empty_section_still_has_its_header_row(week):
    sunday = daily(week, date(2026, 11, 22))
    assert (sunday.outstanding, sunday.completed, sunday.reasons) == ([], [], {})
    quiet_day = complaint_report(week, date(2026, 11, 22), SHANGHAI, estate=HOME)
    assert (quiet_day.complaints, quiet_day.by_severity) == ([], {})
    week_before = weekly_summary(week, date(2026, 11, 22), SHANGHAI, estate=HOME)
    elsewhere = weekly_summary(week, WED, SHANGHAI, estate=OTHER)
    assert (week_before.outstanding, elsewhere.opinions) == ([], [])

    assert to_csv(sunday) == OUTSTANDING_COLUMNS + "\n"
    assert to_csv(sunday, "completed") == COMPLETED_COLUMNS + "\n"
    assert to_csv(sunday, "reasons") == "name,count\n"
    assert to_csv(quiet_day) == COMPLAINT_COLUMNS + "\n"
    assert to_csv(quiet_day, "by_severity") == "name,count\n"
    assert to_csv(week_before) == OUTSTANDING_COLUMNS + "\n"
    assert to_csv(week_before, "reasons") == "name,count\n"
    assert to_csv(elsewhere, "opinions") == OPINION_COLUMNS + "\n"


def test_an_unknown_section_names_the_known_ones(week):
    with pytest.raises(p.ConfigurationError) as raised:
        to_csv(daily(week), "kpis")

    message = str(raised.value)
    assert "no section 'kpis'" in message
    assert "totals, completed, outstanding, reasons" in message


def test_the_json_export_round_trips(week):
    report = daily(week)
    loaded = json.loads(to_json(report))

    assert loaded["today"] == report.today.model_dump()
    assert loaded["week"] == {
        "received": 8, "completed": 3, "not_completed": 4, "closed_unrepaired": 1}  # fmt: skip
    assert CompletionReport.model_validate_json(to_json(report)) == report
    assert len(loaded["outstanding"]) == 4
    assert [loaded["day_from"], loaded["as_of"], loaded["week_from"]] == [
        "2026-11-24T17:10:00+08:00",
        "2026-11-25T17:10:00+08:00",
        "2026-11-22T17:10:00+08:00",
    ]


def test_every_time_in_the_reports_is_at_the_estate(week):
    reports = [
        daily(week), daily(week, date(2026, 11, 26)),
        complaint_report(week, WED, SHANGHAI, estate=HOME),
        weekly_summary(week, WED, SHANGHAI, estate=HOME),
    ]  # fmt: skip
    for report in reports:
        found = datetimes_in(json.loads(to_json(report)))
        assert found
        assert [moment for moment in found if not moment.endswith("+08:00")] == []
        assert all(
            datetime.fromisoformat(moment).utcoffset() == timedelta(hours=8) for moment in found
        )
    # Among them, times that come from the read models (UTC in the database).
    complaints = json.loads(to_json(reports[2]))["complaints"]
    assert complaints[0]["answered_at"] == "2026-11-26T09:30:00+08:00"
    assert complaints[0]["resolved_at"] == "2026-11-26T10:00:00+08:00"
