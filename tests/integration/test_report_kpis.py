"""The monthly report on real databases: each KPI's count over count, SLA per goal, people, days.

November 2026 at 翠苑花园 (``cuiyuan``), played on a manual clock in Asia/Shanghai: five
repairs and three complaints in the month, one repair logged the minute before it began, and
a repair and a complaint in December; one repair and one complaint at 兰亭苑 (``lanting``).
Every number is counted by hand from the story below. The story is built once per backend.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from report_story import HOME, OTHER, Story, local

import propdesk as p
from propdesk.projections import Projector
from propdesk.reports import MonthlyReport, monthly_chart, monthly_report, to_csv, to_json
from propdesk.testing import SHANGHAI

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def november() -> Story:
    """The month's tickets; each comment says which goal runs a ticket ends, and how."""
    story = Story()
    # Logged in October; notify_engineering missed on Nov 1 (dispatched 11 minutes later),
    # arrive_asap met (00:15 by 00:20), completed Nov 1.
    october = story.repair("october", local(31, "23:59", month=10), by="night-xu")
    october.dispatch(local(1, "00:10"), "tech-zheng", by="night-xu")
    october.repaired("tech-zheng", local(1, "00:15"), local(1, "00:20"), local(1, "01:00"))
    # Logged at 23:30 on Nov 3 (15:30 UTC): notify_engineering and arrive_asap met on Nov 3,
    # completed on Nov 4, called back in its window (callback_other met on Nov 5).
    night = story.repair("nov3_2330", local(3, "23:30"), by="night-xu")
    night.dispatch(local(3, "23:32"), "tech-zhang", by="night-xu")
    night.repaired("tech-zhang", local(3, "23:40"), local(3, "23:45"), local(4, "00:20"))
    night.handed_in("tech-zhang", "sup-wang", local(4, "00:30"), local(4, "00:40"))
    night.called_back(local(5, "10:00"), 5)
    night.then(local(5, "10:05"), p.Close, actor="cs-he")
    # Logged at 00:30 on Nov 4 (Nov 3 16:30 UTC): notify_engineering missed (10 minutes),
    # arrive_asap missed (01:00, promised 00:50); called back a day late and unhappy
    # (callback_other missed on Nov 7); the rework arrived in time and was called back happy.
    early = story.repair("nov4_0030", local(4, "00:30"), by="night-xu")
    early.dispatch(local(4, "00:40"), "tech-liu", by="night-xu")
    early.repaired("tech-liu", local(4, "01:00"), local(4, "01:05"), local(4, "02:00"))
    early.handed_in("tech-liu", "sup-wang", local(4, "02:10"), local(4, "08:30"))
    early.called_back(local(7, "09:00"), 2, problem="又漏了")
    early.dispatch(local(7, "10:00"), "tech-liu")
    early.repaired("tech-liu", local(7, "10:05"), local(7, "10:10"), local(7, "11:00"))
    early.handed_in("tech-liu", "sup-wang", local(7, "11:10"), local(7, "11:30"))
    early.called_back(local(8, "10:00"), 4)
    # Refused by tech-zhao and escalated to sup-wang: arrive_asap's first run cancelled, the
    # second met; its callback window (due Nov 12) is never called: overdue.
    refused = story.repair("refused", local(10, "09:00"))
    refused.dispatch(local(10, "09:02"), "tech-zhao")
    refused.refused("tech-zhao", local(10, "09:04"), "正在5栋维修，走不开", local(10, "09:06"))
    refused.repaired("sup-wang", local(10, "09:15"), local(10, "09:20"), local(10, "10:00"))
    refused.handed_in("sup-wang", "sup-chen", local(10, "10:10"), local(10, "10:30"))
    # Never dispatched: notify_engineering overdue.
    story.repair("waiting", local(20, "10:00"))
    # Its callback window opens on Nov 30 and is called on Dec 1.
    last = story.repair("nov30", local(30, "14:00"))
    last.dispatch(local(30, "14:01"), "tech-wu")
    last.repaired("tech-wu", local(30, "14:05"), local(30, "14:06"), local(30, "15:00"))
    last.handed_in("tech-wu", "sup-chen", local(30, "15:10"), local(30, "15:30"))
    last.called_back(local(1, "10:00", month=12), 5)
    story.repair("december", local(1, "00:00", month=12), by="night-xu")
    story.repair("lanting", local(15, "10:00"), estate=OTHER)
    _complaints(story)
    return story


def _complaints(story: Story) -> None:
    # Important, routed 20 minutes after its hour (important_to_department_head missed);
    # answered the same day, resolved the next, result told that afternoon: the rest met.
    important = story.complaint("important", local(12, "10:00"))
    important.then(local(12, "10:10"), p.ClassifyComplaint, actor="cs-he", severity="important",
                   complaint_type=p.ComplaintSubject.SERVICE, responsible_unit="工程部",
                   confirmed_by="head-qian")  # fmt: skip
    important.then(local(12, "11:30"), p.RouteComplaint, actor="cs-he", to="sup-chen",
                   notified=("head-qian",))  # fmt: skip
    important.then(local(12, "11:40"), p.ContactCustomer, actor="sup-chen", clarified="已联系")
    important.then(local(12, "12:00"), p.GiveAnswer, actor="sup-chen", answer="明天上门处理")
    important.then(local(13, "09:00"), p.ResolveComplaint, actor="sup-chen", outcome="已处理")
    important.then(local(13, "15:00"), p.ReportResult, actor="desk-huang", result="已处理完毕")
    important.then(local(14, "10:00"), p.ConfirmResolution, actor="cs-he", solved=True,
                   satisfaction=p.ComplaintSatisfaction.SATISFIED)  # fmt: skip
    # Invalid: answered (complaint_reply met), closed (complaint_solution cancelled).
    invalid = story.complaint("invalid", local(18, "09:00"))
    invalid.then(local(18, "09:10"), p.ClassifyComplaint, actor="cs-he", valid=False,
                 complaint_type=p.ComplaintSubject.SERVICE)  # fmt: skip
    invalid.then(local(18, "09:15"), p.GiveAnswer, actor="cs-he", answer="不属于物业责任")
    invalid.then(local(18, "09:20"), p.CloseAsInvalid, actor="cs-he", help_offered="协助联系")
    # Never classified: complaint_reply and complaint_solution overdue by the month's end.
    story.complaint("unclassified", local(25, "16:00"))
    story.complaint("in_december", local(1, "09:00", month=12))
    story.complaint("lanting_complaint", local(15, "11:00"), estate=OTHER)


@pytest.fixture(scope="module")
def month(module_backend_url: str) -> Iterator[Engine]:
    """November, played once per backend; the read side's engine.

    The projections catch up in batches of 40 events, so that tickets' steps fall in several
    batches, as they do at a live desk.
    """
    november().play(module_backend_url)
    with Projector(module_backend_url, batch_size=40) as projector:
        projector.catch_up()
        yield projector.engine


def monthly(engine: Engine, month: int = 11, **options: Any) -> MonthlyReport:
    options.setdefault("estate", HOME)
    return monthly_report(engine, 2026, month, SHANGHAI, **options)


def kpi(report: MonthlyReport, name: str) -> tuple[int, int, float | None, bool | None]:
    found = report.kpi(name)
    return found.numerator, found.denominator, found.value, found.met


# ------------------------------------------------------------------ KPIs


def test_the_month_runs_from_the_first_to_the_first_at_the_estate(month):
    report = monthly(month)

    assert (report.start, report.end, report.as_of) == (
        local(1, "00:00"), local(1, "00:00", month=12), local(1, "00:00", month=12))  # fmt: skip
    assert [k.name for k in report.kpis] == [
        "callback_rate", "callbacks_within_window", "on_time_arrival", "sla_compliance",
        "satisfaction", "complaint_rate", "rework_rate",
    ]  # fmt: skip


def test_callback_kpis_count_the_windows_opened_in_the_month(month):
    report = monthly(month)

    # Opened: nov3_2330, nov4_0030 twice, refused, nov30. Called by the month's end: the
    # first three; in their window: nov3_2330's and the rework's.
    assert kpi(report, "callback_rate") == (3, 5, 0.6, False)
    assert kpi(report, "callbacks_within_window") == (2, 5, 0.4, False)
    assert report.kpi("callback_rate").target == "100 %"


def test_callbacks_made_after_the_month_count_when_judged_later(month):
    report = monthly(month, as_of=local(5, "00:00", month=12))

    assert kpi(report, "callback_rate") == (4, 5, 0.8, False)
    assert kpi(report, "callbacks_within_window") == (3, 5, 0.6, False)


def test_a_month_in_progress_counts_what_happened_so_far(month):
    # Judged on Nov 10 at 09:05: tech-zhao refused at 09:04; sup-wang is sent at 09:06.
    report = monthly(month, as_of=local(10, "09:05"))

    # Windows opened by then: nov3_2330's and nov4_0030's two; all three called back.
    assert kpi(report, "callback_rate") == (3, 3, 1.0, True)
    # Arrivals: october, nov3_2330 and the rework on time, nov4_0030 late.
    assert kpi(report, "on_time_arrival") == (3, 4, 0.75, None)
    assert kpi(report, "satisfaction") == (2, 3, pytest.approx(2 / 3), False)
    # Received: nov3_2330, nov4_0030 and refused; no complaint yet.
    assert kpi(report, "complaint_rate") == (0, 3, 0.0, True)
    people = {line.person: (line.dispatched, line.escalated_to, line.refused)
              for line in report.people}  # fmt: skip
    assert people["tech-zhao"] == (1, 0, 1)
    assert "sup-wang" not in people
    assert sum(line.repairs_received for line in report.days) == 3


def test_satisfaction_and_rework_count_the_callbacks_made_in_the_month(month):
    report = monthly(month)

    assert kpi(report, "satisfaction") == (2, 3, pytest.approx(2 / 3), False)
    assert kpi(report, "rework_rate") == (1, 3, pytest.approx(1 / 3), None)


def test_on_time_arrival_counts_the_months_arrivals(month):
    # october, nov3_2330, the rework, refused (sup-wang) and nov30 on time; nov4_0030 late.
    assert kpi(monthly(month), "on_time_arrival") == (5, 6, pytest.approx(5 / 6), None)


def test_the_complaint_rate_is_over_households_when_given(month):
    # Valid: the important one and the unclassified one; received: 5 repairs, 3 complaints.
    assert kpi(monthly(month), "complaint_rate") == (2, 8, 0.25, False)
    assert kpi(monthly(month, households=400), "complaint_rate") == (2, 400, 0.005, True)
    assert monthly(month).complaints_by_severity == {
        "important": 1, "invalid": 1, "unclassified": 1}  # fmt: skip


def test_sla_compliance_per_goal_counts_the_runs_that_ended_in_the_month(month):
    report = monthly(month)

    lines = {line.goal: line.model_dump(exclude={"goal", "compliance"}) for line in report.sla}
    assert lines == {
        "arrive_asap": {"met": 5, "missed": 1, "cancelled": 1, "overdue": 0},
        "callback_other": {"met": 2, "missed": 1, "cancelled": 0, "overdue": 1},
        "complaint_reply": {"met": 2, "missed": 0, "cancelled": 0, "overdue": 1},
        "complaint_solution": {"met": 1, "missed": 0, "cancelled": 1, "overdue": 1},
        "important_handled": {"met": 1, "missed": 0, "cancelled": 0, "overdue": 0},
        "important_to_department_head": {"met": 0, "missed": 1, "cancelled": 0, "overdue": 0},
        "notify_engineering": {"met": 3, "missed": 2, "cancelled": 0, "overdue": 1},
        "result_same_day": {"met": 1, "missed": 0, "cancelled": 0, "overdue": 0},
    }
    compliance = {line.goal: line.compliance for line in report.sla}
    assert compliance["notify_engineering"] == 0.6
    assert compliance["important_to_department_head"] == 0.0
    assert compliance["arrive_asap"] == pytest.approx(5 / 6)
    assert kpi(report, "sla_compliance") == (15, 20, 0.75, None)


def test_people_count_dispatches_refusals_escalations_and_arrivals(month):
    people = {line.person: line.model_dump(exclude={"person"}) for line in monthly(month).people}

    assert people == {
        "sup-wang": {"dispatched": 0, "escalated_to": 1, "refused": 0, "arrivals": 1, "on_time": 1},
        "tech-liu": {"dispatched": 2, "escalated_to": 0, "refused": 0, "arrivals": 2, "on_time": 1},
        "tech-wu": {"dispatched": 1, "escalated_to": 0, "refused": 0, "arrivals": 1, "on_time": 1},
        "tech-zhang": {"dispatched": 1, "escalated_to": 0, "refused": 0, "arrivals": 1,
                       "on_time": 1},
        "tech-zhao": {"dispatched": 1, "escalated_to": 0, "refused": 1, "arrivals": 0,
                      "on_time": 0},
        "tech-zheng": {"dispatched": 1, "escalated_to": 0, "refused": 0, "arrivals": 1,
                       "on_time": 1},
    }  # fmt: skip
    assert list(people) == sorted(people)


def test_each_day_counts_on_its_local_day(month):
    days = monthly(month).days

    assert [line.day for line in days] == [date(2026, 11, day) for day in range(1, 31)]
    counted = {
        line.day.day: (line.repairs_received, line.complaints_received, line.repairs_completed,
                       line.sla_met, line.sla_missed)
        for line in days
        if line.repairs_received or line.complaints_received or line.repairs_completed
        or line.sla_met or line.sla_missed
    }  # fmt: skip
    assert counted == {  # received, complaints, completed, SLA met, SLA missed
        1: (0, 0, 1, 1, 1),
        3: (1, 0, 0, 2, 0),  # logged at 23:30 local, 15:30 UTC
        4: (1, 0, 2, 0, 2),  # logged at 00:30 local, Nov 3 16:30 UTC
        5: (0, 0, 0, 1, 0),
        7: (0, 0, 1, 1, 1),
        8: (0, 0, 0, 1, 0),
        10: (1, 0, 1, 2, 0),
        12: (0, 1, 0, 1, 1),
        13: (0, 0, 0, 3, 0),
        18: (0, 1, 0, 1, 0),
        20: (1, 0, 0, 0, 0),
        25: (0, 1, 0, 0, 0),
        30: (1, 0, 1, 2, 0),
    }
    assert [days[0].sla_compliance, days[1].sla_compliance, days[11].sla_compliance] == [
        0.5, None, 0.5]  # fmt: skip


def test_december_starts_at_midnight_on_the_first(month):
    report = monthly(month, 12)

    assert len(report.days) == 31
    first = report.days[0]
    assert (first.repairs_received, first.complaints_received) == (1, 1)
    assert kpi(report, "satisfaction") == (1, 1, 1.0, True)  # nov30's callback, on Dec 1
    assert kpi(report, "callback_rate") == (0, 0, None, None)
    assert {line.goal: line.met for line in report.sla}["callback_other"] == 1


@pytest.mark.parametrize("month_number", [0, 13])
def test_a_month_that_does_not_exist_is_refused(month, month_number):
    with pytest.raises(p.ConfigurationError, match=f"month must be 1 to 12, not {month_number}"):
        monthly(month, month_number)


# ------------------------------------------------------------------ estates


def test_the_estate_filter_keeps_the_other_estates_tickets_out(month):
    everywhere, home, other = (monthly(month, estate=estate) for estate in (None, HOME, OTHER))

    assert kpi(everywhere, "complaint_rate")[:2] == (3, 10)
    assert kpi(home, "complaint_rate")[:2] == (2, 8)
    assert kpi(other, "complaint_rate")[:2] == (1, 2)
    assert other.complaints_by_severity == {"unclassified": 1}
    assert everywhere.complaints_by_severity["unclassified"] == 2
    overdue = {
        report.estate: {line.goal: line.overdue for line in report.sla if line.overdue}
        for report in (everywhere, home, other)
    }
    assert overdue == {
        None: {"callback_other": 1, "complaint_reply": 2, "complaint_solution": 2,
               "notify_engineering": 2},
        HOME: {"callback_other": 1, "complaint_reply": 1, "complaint_solution": 1,
               "notify_engineering": 1},
        OTHER: {"complaint_reply": 1, "complaint_solution": 1, "notify_engineering": 1},
    }  # fmt: skip
    assert (other.people, other.kpi("sla_compliance").denominator) == ([], 0)
    fifteenth = {
        report.estate: (report.days[14].repairs_received, report.days[14].complaints_received)
        for report in (everywhere, home, other)
    }
    assert fifteenth == {None: (1, 1), HOME: (0, 0), OTHER: (1, 1)}


# ------------------------------------------------------------------ export and chart


def test_the_monthly_csv_and_json(month):
    report = monthly(month)

    kpis = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert [(row["name"], row["numerator"], row["denominator"]) for row in kpis] == [
        ("callback_rate", "3", "5"), ("callbacks_within_window", "2", "5"),
        ("on_time_arrival", "5", "6"), ("sla_compliance", "15", "20"),
        ("satisfaction", "2", "3"), ("complaint_rate", "2", "8"), ("rework_rate", "1", "3"),
    ]  # fmt: skip
    assert {len(row) for row in kpis} == {7}
    days = list(csv.DictReader(io.StringIO(to_csv(report, "days"))))
    assert (len(days), days[3]["day"], days[3]["repairs_received"]) == (30, "2026-11-04", "1")
    with pytest.raises(p.ConfigurationError, match="kpis, sla, people, days"):
        to_csv(report, "outstanding")
    loaded = json.loads(to_json(report))
    assert [(k["numerator"], k["denominator"]) for k in loaded["kpis"]] == [
        (k.numerator, k.denominator) for k in report.kpis]  # fmt: skip
    assert MonthlyReport.model_validate_json(to_json(report)) == report


def test_an_empty_monthly_section_still_has_its_header_row(month):
    elsewhere, february = monthly(month, estate=OTHER), monthly(month, 2)
    assert (elsewhere.people, february.people, february.complaints_by_severity) == ([], [], {})

    people = "person,dispatched,escalated_to,refused,arrivals,on_time\n"
    assert (to_csv(elsewhere, "people"), to_csv(february, "people")) == (people, people)
    assert to_csv(february, "complaints_by_severity") == "name,count\n"


def test_the_months_times_are_at_the_estate(month):
    loaded = json.loads(to_json(monthly(month)))

    assert [loaded["start"], loaded["end"], loaded["as_of"]] == [
        "2026-11-01T00:00:00+08:00",
        "2026-12-01T00:00:00+08:00",
        "2026-12-01T00:00:00+08:00",
    ]


def test_an_as_of_given_in_utc_is_reported_at_the_estate(month):
    report = monthly(month, as_of=datetime(2026, 12, 4, 16, 0, tzinfo=UTC))

    assert report.kpis == monthly(month, as_of=local(5, "00:00", month=12)).kpis
    assert report.as_of == local(5, "00:00", month=12)
    assert json.loads(to_json(report))["as_of"] == "2026-12-05T00:00:00+08:00"


def test_the_monthly_chart_is_a_png(month, tmp_path):
    for name, report in (("november", monthly(month)), ("february", monthly(month, 2))):
        path = tmp_path / f"{name}.png"
        assert monthly_chart(report, path) == path
        drawn = path.read_bytes()
        assert drawn[:8] == PNG_SIGNATURE
        assert len(drawn) > 20_000
