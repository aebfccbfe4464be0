"""The seeds' reports (seed-spec §5.2), read from the read models.

- :func:`completion_report`: the 17:10 repair completion report (day and week);
- :func:`complaint_report`: the day's complaints, due by 09:00 the next day;
- :func:`weekly_summary`: the Friday 15:00 weekly repair summary;
- :func:`monthly_report`: the monthly KPIs, SLA compliance per goal, people and days,
  with :func:`monthly_chart` to draw it.

Each is a query over the projections (:mod:`propdesk.projections`), so keep them caught up
(``Projector.catch_up``) before asking. Each returns a pydantic model; :mod:`.export` turns
any of them into CSV or JSON. Report times default to the seeds' (:class:`ReportSchedule`).
"""

from propdesk.reports.chart import monthly_chart
from propdesk.reports.complaints import ComplaintDayReport, ComplaintLine, complaint_report
from propdesk.reports.completion import CompletionReport, Outstanding, Totals, completion_report
from propdesk.reports.export import sections, to_csv, to_json
from propdesk.reports.monthly import (
    DayVolume,
    GoalCompliance,
    Kpi,
    MonthlyReport,
    PersonActivity,
    monthly_report,
)
from propdesk.reports.periods import ReportSchedule
from propdesk.reports.weekly import Callbacks, Opinion, WeeklySummary, weekly_summary

__all__ = [
    "Callbacks",
    "ComplaintDayReport",
    "ComplaintLine",
    "CompletionReport",
    "DayVolume",
    "GoalCompliance",
    "Kpi",
    "MonthlyReport",
    "Opinion",
    "Outstanding",
    "PersonActivity",
    "ReportSchedule",
    "Totals",
    "WeeklySummary",
    "complaint_report",
    "completion_report",
    "monthly_chart",
    "monthly_report",
    "sections",
    "to_csv",
    "to_json",
    "weekly_summary",
]
