"""Rich tables for the demo's report: what a desk manager reads at the end of the period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.table import Table

from propdesk.cli.complaint_report import INVALID, OPEN, UNGRADED
from propdesk.domain.complaint_lifecycle import ComplaintState
from propdesk.domain.lifecycle import RepairState

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from propdesk.cli.complaint_report import ComplaintReport
    from propdesk.cli.report import DayReport, Paths
    from propdesk.demo import DemoRun

CHANNELS = {"phone": "phone 电话", "visit": "visit 来访", "wechat": "WeChat 微信"}
CHANNELS |= {"letter": "letter 信函", "online": "online 网上", "email": "email 邮件"}
CATEGORIES = {"leak": "leak 渗漏", "safety_facility": "safety 安全设施", "other": "other 其他"}
STATES = {
    RepairState.LOGGED: "已登记 logged",
    RepairState.COST_REVIEW: "收费评审中 cost review",
    RepairState.AWAITING_QUOTE_DECISION: "待确认费用 quote out",
    RepairState.QUOTE_ACCEPTED: "已同意报价 quote accepted",
    RepairState.DISPATCHED: "已派工 dispatched",
    RepairState.REFUSED: "已拒单 refused",
    RepairState.RESCHEDULE_NEGOTIATION: "协商另约 negotiating",
    RepairState.RESCHEDULED: "已另约 rescheduled",
    RepairState.ON_SITE: "已到场 on site",
    RepairState.NO_ONE_HOME: "无人应答 no answer",
    RepairState.AWAITING_REVISIT: "待再次上门 revisit due",
    RepairState.IN_REPAIR: "维修中 in repair",
    RepairState.COMPLETED: "完工 completed",
    RepairState.SUBMITTED: "已交单 submitted",
    RepairState.VERIFIED: "主管已审核 verified",
    RepairState.CALLBACK_PENDING: "待回访 callback due",
    RepairState.CALLED_BACK: "回访满意 called back",
    RepairState.REWORK: "整改 rework",
    RepairState.CLOSED: "关闭 closed",
    RepairState.CLOSED_DECLINED: "住户拒修 declined on site",
    RepairState.CLOSED_NOT_REPAIRABLE: "无法维修 not repairable",
    RepairState.CLOSED_QUOTE_DECLINED: "拒绝报价 quote declined",
}
GRADES = {
    "major": "重大 major",
    "important": "重要 important",
    "minor": "轻微 minor",
    INVALID: "无效 invalid",
    UNGRADED: "未分类 not classified yet",
}
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


@dataclass(frozen=True)
class Timing:
    """How long the demo took, in wall-clock seconds."""

    simulation: float
    report: float


def render_day(console: Console, report: DayReport, run: DemoRun, timing: Timing, url: str) -> None:
    """Prints the whole report."""
    complaints = report.complaints.tickets
    console.print(
        f"\n[bold]{report.estate_name} ({report.estate}): service desk, {_period(run)}[/bold]\n"
        f"{report.tickets} repair requests and {complaints} complaints simulated (seed "
        f"{run.settings.seed}); follow-up work went on until {_stamp(report.horizon)}.\n"
    )
    console.print(_logged(report))
    console.print(_states(report))
    console.print(_paths(report.paths))
    console.print(_service(report))
    if complaints:
        console.print(_complaint_outcomes(report.complaints, report.horizon))
        console.print(_complaint_paths(report.complaints))
    if report.goals:
        console.print(_goals(report))
    console.print(_fees(report))
    if report.people:
        console.print(_people(report))
    console.print(_store(report, run, timing))
    _examples(console, report, url)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=f"[bold]{title}[/bold]", title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    return table


def _logged(report: DayReport) -> Table:
    categories = sorted({c for row in report.logged.values() for c in row})
    table = _table(
        "Repairs logged (报修登记) by channel and category",
        "Channel",
        *(CATEGORIES.get(c, c) for c in categories),
        "Total",
    )
    totals = dict.fromkeys(categories, 0)
    for channel, row in report.logged.items():
        cells = [str(row.get(c, 0)) for c in categories]
        table.add_row(CHANNELS.get(channel, channel), *cells, str(sum(row.values())))
        for category, count in row.items():
            totals[category] += count
    table.add_section()
    table.add_row("[bold]all channels", *map(str, totals.values()), f"[bold]{report.tickets}")
    return table


def _states(report: DayReport) -> Table:
    table = _table(
        "Where tickets stand",
        "State",
        f"at {_stamp(report.day_end)}",
        f"at {_stamp(report.horizon)}",
    )
    for state in RepairState:
        first = report.states_at_day_end.get(str(state), 0)
        last = report.states_at_horizon.get(str(state), 0)
        if first or last:
            table.add_row(STATES.get(state, str(state)), _n(first), _n(last))
    open_then = sum(n for s, n in report.states_at_day_end.items() if not _closed(s))
    open_now = sum(n for s, n in report.states_at_horizon.items() if not _closed(s))
    table.add_section()
    table.add_row("[bold]still open", f"[bold]{open_then}", f"[bold]{open_now}")
    return table


def _paths(paths: Paths) -> Table:
    table = _table("Paths taken", "Path", "Count")
    rows = (
        ("Refused by the acceptor (R6): tickets / refusals", f"{paths.refused} / {paths.refusals}"),
        ("Escalation reached the project manager (项目经理)", paths.reached_project_manager),
        ("  ... who went himself", paths.project_manager_went),
        ("  ... who confirmed nobody can go (R7)", paths.no_staff_confirmed),
        ("Owner complained while a new time was agreed (R8)", paths.owner_complaints),
        ("Rescheduled: same day (R9) / after the shift (R10)",
         f"{paths.rescheduled_same_day} / {paths.rescheduled_after_shift}"),
        ("Nobody answered the first knock (R13)", paths.nobody_home),
        ("  ... door answered at a later knock", paths.door_answered_late),
        ("  ... left for a revisit / revisits dispatched",
         f"{paths.left_for_revisit} / {paths.revisits}"),
        ("Outside the price list: cost reviews (R3)", paths.cost_reviews),
        ("  ... quotes accepted / declined / not repairable",
         f"{paths.quotes_accepted} / {paths.quotes_declined} / {paths.not_repairable}"),
        ("Item differed on site, amended (R15)", paths.items_amended),
        ("Resident declined on site, co-signed (R17)", paths.declined_on_site),
        ("Unhappy callbacks (R23) / rework dispatches",
         f"{paths.unhappy_callbacks} / {paths.reworks}"),
        ("Resident booked a time (预约)", paths.appointments),
        ("Free: under warranty (保修期内) / public areas (公共设施)",
         f"{paths.free_under_warranty} / {paths.public_areas}"),
    )  # fmt: skip
    for label, value in rows:
        table.add_row(label, str(value))
    return table


def _complaint_outcomes(complaints: ComplaintReport, horizon: datetime) -> Table:
    table = _table(
        f"Complaints (投诉) by grade, and where they stand at {_stamp(horizon)}",
        "Grade", "Logged", "结案 closed", "无效 closed invalid", "Still open",
    )  # fmt: skip
    columns = (ComplaintState.CLOSED.value, ComplaintState.CLOSED_INVALID.value, OPEN)
    totals = dict.fromkeys(columns, 0)
    for grade, label in GRADES.items():
        row = complaints.outcomes.get(grade, {})
        if row:
            table.add_row(label, str(sum(row.values())), *(_n(row.get(c, 0)) for c in columns))
            for column in columns:
                totals[column] += row.get(column, 0)
    table.add_section()
    table.add_row("[bold]all complaints", f"[bold]{complaints.tickets}", *map(str, totals.values()))
    return table


def _complaint_paths(complaints: ComplaintReport) -> Table:
    table = _table("Complaint paths", "Path", "Count")
    satisfaction = " / ".join(
        f"{SATISFACTION.get(grade, grade)} {count}"
        for grade, count in complaints.satisfaction.items()
    )
    rows = (
        ("Urgent (紧急投诉, T42) / big problems (大问题, T46)",
         f"{complaints.urgent} / {complaints.big_problems}"),
        ("Deferred to an expected date (C7)", complaints.deferred),
        ("Reopened: the complainant was not satisfied (C10)", complaints.reopened),
        ("Escalated overdue to the office head (C11)", complaints.escalated_overdue),
        ("About a repair, linked to it (R8)", complaints.linked_to_repairs),
        ("Satisfaction when closed (结案)", satisfaction or "none"),
    )  # fmt: skip
    for label, value in rows:
        table.add_row(label, str(value))
    return table


def _service(report: DayReport) -> Table:
    table = _table("Service levels", "Measure", "Result")
    table.add_row("Arrivals on time (R12)", _rate(report.arrivals_on_time, report.arrivals))
    table.add_row("Reporter disputed the arrival time (R12a)", str(report.paths.arrival_disputes))
    table.add_row(
        "Callbacks (回访) within their window",
        _rate(report.callbacks_within_window, report.callbacks),
    )
    table.add_row(
        f"Completed by {_stamp(report.day_end)} / by {_stamp(report.horizon)}",
        f"{report.completed_on_day} / {report.completed} of {report.tickets}",
    )
    if report.mean_to_completion is not None and report.longest_to_completion is not None:
        table.add_row("Logging to completion: mean", _span(report.mean_to_completion))
        longest = f"{_span(report.longest_to_completion)} ({str(report.longest_ticket)[:8]})"
        table.add_row("Logging to completion: longest", longest)
    return table


def _goals(report: DayReport) -> Table:
    table = _table(
        f"SLA goals (seed time limits), runs judged at {_stamp(report.horizon)}",
        "Goal", "Seed", "Met", "Breached", "Open", "Cancelled", "Met rate",
    )  # fmt: skip
    for goal in report.goals:
        judged = goal.met + goal.breached
        table.add_row(
            goal.goal, goal.seed, str(goal.met), str(goal.breached), str(goal.open),
            str(goal.cancelled), _rate(goal.met, judged),
        )  # fmt: skip
    return table


def _fees(report: DayReport) -> Table:
    fees = report.fees
    table = _table("Fees (费用入帐, R24)", "Measure", "Repairs", "Amount")
    table.add_row("Charged on completion", str(fees.charged_count), f"¥{fees.charged:,.2f}")
    table.add_row("Settled by finance", str(fees.settled_count), f"¥{fees.settled:,.2f}")
    table.add_row(
        "  ... settled the day the work was done (当日结清)", str(fees.settled_same_day), ""
    )
    outstanding = fees.charged - fees.settled
    table.add_row(
        "Outstanding", str(fees.charged_count - fees.settled_count), f"¥{outstanding:,.2f}"
    )
    return table


def _people(report: DayReport) -> Table:
    table = _table(
        "Refusals and escalations by person",
        "Person", "Dispatched", "Escalated to", "Refused", "Went", "Confirmed no staff",
    )  # fmt: skip
    for line in report.people:
        table.add_row(
            f"{line.name} {line.person}", str(line.dispatched), str(line.escalated_to),
            str(line.refused), str(line.went), str(line.no_staff_confirmed),
        )  # fmt: skip
    return table


def _store(report: DayReport, run: DemoRun, timing: Timing) -> Table:
    table = _table("The event store", "Measure", "Value")
    table.add_row("Commands executed (distinct command ids stored)", f"{report.commands:,}")
    table.add_row("Events stored", f"{report.events:,}")
    table.add_row("Simulation time", f"{timing.simulation:.1f} s")
    per_second = report.commands / timing.simulation if timing.simulation > 0 else 0.0
    table.add_row("Commands per second", f"{per_second:,.0f}")
    table.add_row("Reading the report back from the desk", f"{timing.report:.1f} s")
    if run.steps_beyond_horizon:
        table.add_row("Steps due after the horizon (left undone)", str(run.steps_beyond_horizon))
    return table


def _examples(console: Console, report: DayReport, url: str) -> None:
    if not report.examples:
        return
    console.print("[bold]Audit a ticket[/bold]")
    for example in report.examples:
        console.print(f"  {example.why}:")
        command = f"propdesk history {example.ticket_id} --db {url}"
        console.print(f"    {command}", soft_wrap=True, markup=False)
    console.print()


def _period(run: DemoRun) -> str:
    """The simulated day, or the first and last of the simulated days."""
    first, days = run.day_start, run.settings.days
    if days == 1:
        return f"{first:%A %Y-%m-%d}"
    last = first + timedelta(days=days - 1)
    return f"{first:%A %Y-%m-%d} to {last:%A %Y-%m-%d} ({days} days)"


def _closed(state: str) -> bool:
    return state.startswith("CLOSED")


def _n(count: int) -> str:
    return str(count) if count else "-"


def _rate(part: int, whole: int) -> str:
    return f"{part} of {whole} ({part / whole:.1%})" if whole else "none"


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return f"{days} d {text}" if days else text


def _stamp(moment: datetime) -> str:
    """A midnight reads as 24:00 of the day before, as a desk log would put it."""
    if (moment.hour, moment.minute) == (0, 0):
        return f"24:00 {moment - timedelta(days=1):%m-%d}"
    return f"{moment:%H:%M %m-%d}"
