"""The monthly chart: volume by day above, SLA compliance by day below (a PNG).

A manager would rather look than read. Drawn with matplotlib's object API (no pyplot, so
nothing global is touched and no display is needed); matplotlib is an optional dependency
(``pip install 'propdesk[charts]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from propdesk.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

    from propdesk.reports.monthly import MonthlyReport


def monthly_chart(report: MonthlyReport, path: Path) -> Path:
    """Draws the month's volume and SLA compliance by day into a PNG file at ``path``.

    Raises:
        ConfigurationError: matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - optional dependency
        from matplotlib.ticker import PercentFormatter  # noqa: PLC0415 - as above
    except ImportError as missing:
        msg = "the chart needs matplotlib: pip install 'propdesk[charts]'"
        raise ConfigurationError(msg) from missing
    days = [line.day.day for line in report.days]
    figure = Figure(figsize=(10, 6.5), layout="constrained")
    volume, sla = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    repairs = [line.repairs_received for line in report.days]
    complaints = [line.complaints_received for line in report.days]
    volume.bar(days, repairs, label="repairs received", color="#4c78a8")
    volume.bar(days, complaints, bottom=repairs, label="complaints received", color="#e45756")
    volume.plot(days, [line.repairs_completed for line in report.days], color="#222222",
                marker="o", markersize=3, label="repairs completed")  # fmt: skip
    volume.set_ylabel("tickets")
    volume.legend(loc="upper left", frameon=False)
    where = f" — {report.estate}" if report.estate else ""
    volume.set_title(f"{report.year}-{report.month:02d}{where}: volume and SLA compliance by day")
    judged = [(line.day.day, line.sla_compliance) for line in report.days
              if line.sla_compliance is not None]  # fmt: skip
    sla.plot([day for day, _ in judged], [value for _, value in judged], color="#54a24b",
             marker="o", markersize=3, label="goals met / judged")  # fmt: skip
    overall = report.kpi("sla_compliance").value
    if overall is not None:
        sla.axhline(overall, color="#999999", linestyle="--", linewidth=1,
                    label=f"month: {overall:.1%}")  # fmt: skip
    sla.set_ylim(0, 1.05)
    sla.yaxis.set_major_formatter(PercentFormatter(1.0))
    sla.set_ylabel("SLA compliance")
    sla.set_xlabel("day of the month")
    sla.set_xticks(days)
    sla.tick_params(axis="x", labelsize=7)
    sla.legend(loc="lower left", frameon=False)
    figure.savefig(path, dpi=110)
    return path
