"""Reports as tables of rows, CSV and JSON, for spreadsheets and other services.

A report has several sections (the daily report's totals, completions and outstanding
repairs...). :func:`sections` gives each as a list of flat rows with the same keys;
:func:`to_csv` writes one of them; :func:`to_json` writes the whole report.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from propdesk.domain.errors import ConfigurationError
from propdesk.reports.complaints import ComplaintDayReport, ComplaintLine
from propdesk.reports.completion import CompletedRepair, CompletionReport, Outstanding, Totals
from propdesk.reports.monthly import DayVolume, GoalCompliance, Kpi, MonthlyReport, PersonActivity
from propdesk.reports.weekly import Callbacks, Opinion, WeeklySummary

if TYPE_CHECKING:
    from pydantic import BaseModel

Report = CompletionReport | ComplaintDayReport | WeeklySummary | MonthlyReport
Rows = list[dict[str, Any]]

MAIN_SECTION: dict[type[BaseModel], str] = {
    CompletionReport: "outstanding",
    ComplaintDayReport: "complaints",
    WeeklySummary: "outstanding",
    MonthlyReport: "kpis",
}
"""The section a CSV holds unless another is asked for."""


def sections(report: Report) -> dict[str, Rows]:
    """The report's tables, by name, each a list of flat rows."""
    if isinstance(report, CompletionReport):
        totals = [{"period": "today", **report.today.model_dump()},
                  {"period": "week", **report.week.model_dump()}]  # fmt: skip
        return {
            "totals": totals, "completed": _rows(report.completed),
            "outstanding": _rows(report.outstanding), "reasons": _counted(report.reasons),
        }  # fmt: skip
    if isinstance(report, ComplaintDayReport):
        return {"complaints": _rows(report.complaints),
                "by_severity": _counted(report.by_severity)}  # fmt: skip
    if isinstance(report, WeeklySummary):
        return {
            "totals": [report.repairs.model_dump()], "outstanding": _rows(report.outstanding),
            "reasons": _counted(report.reasons), "callbacks": [report.callbacks.model_dump()],
            "opinions": _rows(report.opinions),
        }  # fmt: skip
    return {
        "kpis": _rows(report.kpis), "sla": _rows(report.sla), "people": _rows(report.people),
        "days": _rows(report.days),
        "complaints_by_severity": _counted(report.complaints_by_severity),
    }  # fmt: skip


def to_csv(report: Report, section: str | None = None) -> str:
    """One section of the report as CSV, with a header row (the main section by default).

    Raises:
        ConfigurationError: the report has no section of that name.
    """
    tables = sections(report)
    name = section or MAIN_SECTION[type(report)]
    if name not in tables:
        known = ", ".join(tables)
        raise ConfigurationError(f"this report has no section {name!r} (it has: {known})")
    rows = tables[name]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_columns(report, name), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_json(report: Report) -> str:
    """The whole report as JSON (times in ISO 8601 with their offset)."""
    return report.model_dump_json(indent=2)


def _columns(report: Report, section: str) -> list[str]:
    """A section's column names, from the model its rows come from (so even with no rows)."""
    counted = ["name", "count"]
    if isinstance(report, CompletionReport):
        models = {"totals": ["period", *Totals.model_fields], "reasons": counted,
                  "completed": list(CompletedRepair.model_fields),
                  "outstanding": list(Outstanding.model_fields)}  # fmt: skip
    elif isinstance(report, ComplaintDayReport):
        models = {"complaints": list(ComplaintLine.model_fields), "by_severity": counted}
    elif isinstance(report, WeeklySummary):
        models = {"totals": list(Totals.model_fields), "reasons": counted,
                  "outstanding": list(Outstanding.model_fields),
                  "callbacks": list(Callbacks.model_fields),
                  "opinions": list(Opinion.model_fields)}  # fmt: skip
    else:
        models = {"kpis": list(Kpi.model_fields), "sla": list(GoalCompliance.model_fields),
                  "people": list(PersonActivity.model_fields),
                  "days": list(DayVolume.model_fields),
                  "complaints_by_severity": counted}  # fmt: skip
    return models[section]


def _rows(models: list[Any]) -> Rows:
    return [model.model_dump(mode="json") for model in models]


def _counted(counts: dict[str, int]) -> Rows:
    return [{"name": name, "count": count} for name, count in counts.items()]
