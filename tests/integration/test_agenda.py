"""The SLA worker's agenda, as the events make it: rows come, move and go with the goals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

import propdesk as p
from propdesk.projections import Projector
from propdesk.projections.agenda import AGENDA, Agenda
from propdesk.testing import ManualClock, new_repair

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    OpenDesk = Callable[..., p.Desk]

EXAMPLE_PROFILE = Path(__file__).parents[2] / "docs" / "examples" / "company_profile.toml"


def _rows(projector: Projector, ticket: UUID) -> dict[tuple[str, int, str], dict[str, Any]]:
    projector.catch_up()
    with projector.engine.connect() as connection:
        table = projector.live_tables(connection, "sla_agenda")[AGENDA]
        rows = connection.execute(select(table).where(table.c.ticket_id == str(ticket)))
        return {(r.goal, r.run, r.action): dict(r._mapping) for r in rows}


def test_a_goal_brings_its_warning_and_deadline_and_takes_them_when_it_stops(
    open_backend_desk: OpenDesk, backend_url: str, clock: ManualClock
):
    desk = open_backend_desk()
    ticket = desk.execute(new_repair()).ticket_id
    clock.advance(minutes=1)
    desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    with Projector(backend_url, [Agenda()]) as projector:
        rows = _rows(projector, ticket)
        # T03 and T04 stopped already (logged; dispatched): only the arrival goal is left
        assert set(rows) == {("arrive_asap", 1, "warn"), ("arrive_asap", 1, "due")}
        goal = next(g for g in desk.view(ticket).goals if g.goal == "arrive_asap")
        assert rows["arrive_asap", 1, "warn"]["fire_at"] == goal.warn_at
        assert rows["arrive_asap", 1, "due"]["fire_at"] == goal.due_at
        assert {row["due_at"] for row in rows.values()} == {goal.due_at}
        assert all(row["done_at"] is None and row["attempts"] == 0 for row in rows.values())

        clock.advance(minutes=8)
        desk.execute(p.RecordGoalWarning(ticket_id=ticket, actor="sla-monitor",
                                         goal="arrive_asap", due_at=goal.due_at))  # fmt: skip
        assert set(_rows(projector, ticket)) == {("arrive_asap", 1, "due")}

        desk.execute(p.ReportArrival(ticket_id=ticket, actor="tech-zhang"))
        assert _rows(projector, ticket) == {}


def test_a_paused_goal_leaves_the_agenda_and_comes_back_with_its_moved_deadline(
    open_backend_desk: OpenDesk, backend_url: str, clock: ManualClock
):
    desk = open_backend_desk(policy=p.load_policy(EXAMPLE_PROFILE))
    ticket = desk.execute(new_repair(in_price_list=False, price_item=None)).ticket_id
    with Projector(backend_url, [Agenda()]) as projector:
        before = _rows(projector, ticket)["repair_completed", 1, "due"]
        desk.execute(p.StartCostReview(ticket_id=ticket, actor="sup-wang"))
        desk.execute(p.Quote(ticket_id=ticket, actor="sup-wang", amount=Decimal(120),
                             feasibility="可以维修，需更换阀芯"))  # fmt: skip
        assert ("repair_completed", 1, "due") not in _rows(projector, ticket)  # paused

        clock.advance(hours=3)
        desk.execute(p.AcceptQuote(ticket_id=ticket, actor="desk-huang", amount=Decimal(120)))
        after = _rows(projector, ticket)
        resumed = next(g for g in desk.view(ticket).goals if g.goal == "repair_completed")
        assert after["repair_completed", 1, "due"]["fire_at"] == resumed.due_at
        assert resumed.due_at > before["fire_at"]
        assert after["repair_completed", 1, "warn"]["fire_at"] == resumed.warn_at
