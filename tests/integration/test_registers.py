"""The desk's registers on real databases: one line per ticket, as the ticket's view says.

Each test runs once per backend (the ``backend_url`` fixture in ``tests/conftest.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import propdesk as p
from propdesk.demo import DemoSettings, demo_clock, simulate
from propdesk.projections import Projector, complaint_register, repair_register
from propdesk.testing import new_complaint, sample_organisation

if TYPE_CHECKING:
    from datetime import datetime

MIRRORED_REPAIR = (
    "estate", "channel", "category", "unit", "description", "logged_at", "acceptor_name",
    "accepted_at", "promised_arrival", "arrived_at", "arrived_on_time", "reschedule_kind",
    "rescheduled_to", "refusal_count", "completed_at", "verified_by", "satisfied",
    "rework_count", "closed_at",
)  # fmt: skip
"""Register columns that carry the repair view's field of the same name."""


def _filled(url: str) -> tuple[p.Desk, datetime]:
    organisation = sample_organisation()
    clock = demo_clock(organisation)
    desk = p.open_desk(url, organisations=[organisation], clock=clock)
    simulate(desk, clock, organisation, DemoSettings(repairs=30, seed=17, complaints=0))
    complaint = desk.execute(new_complaint(at=clock.now())).ticket_id
    clock.advance(minutes=20)
    desk.execute(
        p.ClassifyComplaint(ticket_id=complaint, actor="cs-he", severity="important",
                            complaint_type=p.ComplaintSubject.SERVICE,
                            responsible_unit="工程部", confirmed_by="head-qian")
    )  # fmt: skip
    return desk, clock.now()


def test_each_repair_has_one_line_as_its_view_says(backend_url):
    desk, now = _filled(backend_url)
    with Projector(backend_url) as projector:
        projector.catch_up()
        lines = repair_register(projector.engine, logged_from=now - timedelta(days=30),
                                logged_until=now)  # fmt: skip

    assert [line.ticket_id for line in lines] == [str(t) for t in desk.ticket_ids(kind="repair")]
    for line in lines:
        view = desk.view(UUID(line.ticket_id))
        assert line.status == view.state.value
        assert line.level == view.escalation_level
        assert line.fee_status == view.fee_status.value
        for field in MIRRORED_REPAIR:
            assert getattr(line, field) == getattr(view, field), field
    assert any(line.reschedule_kind for line in lines), "the demo reschedules some repairs"
    desk.close()


def test_the_complaint_register_holds_no_personal_data(backend_url):
    desk, now = _filled(backend_url)
    with Projector(backend_url) as projector:
        projector.catch_up()
        [line] = complaint_register(projector.engine, logged_from=now - timedelta(days=30),
                                    logged_until=now + timedelta(minutes=1))  # fmt: skip
        with projector.engine.connect() as connection:
            raw = connection.exec_driver_sql("SELECT * FROM complaint_register").all()
    view = desk.view(UUID(line.ticket_id))
    assert (line.status, line.severity, line.responsible_unit) == (
        view.state.value,
        view.severity,
        view.responsible_unit,
    )
    text = " ".join(str(value) for row in raw for value in row)
    assert view.complainant.phone not in text
    assert view.complainant.name not in text
    desk.close()


def test_a_rebuilt_register_equals_the_one_kept_up_to_date(backend_url):
    desk, now = _filled(backend_url)
    window = {"logged_from": now - timedelta(days=30), "logged_until": now}
    with Projector(backend_url) as projector:
        projector.catch_up()
        kept = repair_register(projector.engine, **window)
        projector.rebuild("repair_register")
        assert repair_register(projector.engine, **window) == kept
    desk.close()
