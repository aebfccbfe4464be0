"""The SLA worker in one process, on each real backend, with a clock the test moves.

Each test drives tickets through a desk, moves the clock past their deadlines, runs worker
ticks, and checks what was stored (the tickets' events), what the agenda says, and what the
notifier received. The several-process, kill -9 and outage tests are in
``test_worker_reliability.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

import propdesk as p
from propdesk.domain.commands import (
    Complete,
    Dispatch,
    ReportArrival,
    StartRepair,
    Submit,
    Verify,
)
from propdesk.projections import Projector
from propdesk.projections.agenda import AGENDA
from propdesk.testing import (
    MONDAY_MORNING,
    SHANGHAI,
    ManualClock,
    new_complaint,
    new_repair,
    sample_organisation,
)
from propdesk.worker import DeliveryFailed, DeliveryRejected, Notice, SlaWorker, WorkerSettings
from propdesk.worker.outbox import OUTBOX

if TYPE_CHECKING:
    from collections.abc import Iterator
    from uuid import UUID

OpenDesk = Callable[..., p.Desk]


class Recorder:
    """A notifier that keeps what it is given; it can be told to fail."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.failures: list[Exception] = []

    def send(self, notice: Notice) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.notices.append(notice)

    def close(self) -> None:
        pass

    def about(self, event: str) -> list[Notice]:
        return [n for n in self.notices if n.event == event]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_worker(
    backend_url: str, clock: ManualClock, recorder: Recorder
) -> Iterator[Callable[..., SlaWorker]]:
    """Opens workers on the backend, each with its own desk (as its own process would)."""
    opened: list[SlaWorker] = []

    def _make(*, on: ManualClock = clock, **settings: Any) -> SlaWorker:
        fields: dict[str, Any] = {"database_url": backend_url, "worker_id": f"w{len(opened)}",
                                  "quiet_start": None, "quiet_end": None}  # fmt: skip
        fields.update(settings)
        desk = p.open_desk(backend_url, organisations=[sample_organisation()], clock=on)
        worker = SlaWorker(WorkerSettings(**fields), desk=desk, notifier=recorder, clock=on)
        opened.append(worker)
        return worker

    yield _make
    for worker in opened:
        worker.close()


@pytest.fixture
def desk(open_backend_desk: OpenDesk) -> p.Desk:
    return open_backend_desk()


def _dispatched(desk: p.Desk, clock: ManualClock, **log: Any) -> UUID:
    """A repair logged now and dispatched to tech-zhang a minute later (T06: 10 minutes)."""
    ticket = desk.execute(new_repair(**log)).ticket_id
    clock.advance(minutes=1)
    desk.execute(Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    return ticket


def _events(desk: p.Desk, ticket: UUID) -> list[str]:
    return [type(event).__name__ for event in desk.stored_events(ticket)]


def _agenda(worker: SlaWorker) -> list[dict[str, Any]]:
    with worker.projector.engine.connect() as connection:
        table = worker.projector.live_tables(connection, "sla_agenda")[AGENDA]
        rows = connection.execute(select(table).order_by(table.c.fire_at, table.c.rank))
        return [dict(row._mapping) for row in rows]


def _outbox(worker: SlaWorker) -> list[dict[str, Any]]:
    with worker.projector.engine.connect() as connection:
        table = worker.projector.live_tables(connection, "outbox")[OUTBOX]
        return [dict(row._mapping) for row in connection.execute(select(table))]


# ---------------------------------------------------------------------------- the actions


def test_a_late_technician_is_warned_about_then_breached_and_the_dispatch_climbs(
    desk: p.Desk, clock: ManualClock, make_worker: Callable[..., SlaWorker], recorder: Recorder
):
    ticket = _dispatched(desk, clock)  # accepted 09:01: due 09:11, warned at 09:08:30
    worker = make_worker()
    assert worker.tick().outcomes == {}
    assert "GoalWarned" not in _events(desk, ticket)

    clock.advance(minutes=8)  # 09:09
    report = worker.tick()
    assert report.outcomes == {"acted": 1}
    assert _events(desk, ticket).count("GoalWarned") == 1
    warned = recorder.about("GoalWarned")
    assert {n.recipient for n in warned} == {"eng-zhou", "sup-wang", "sup-chen", "desk-huang",
                                             "night-xu"}  # fmt: skip
    assert all(n.goal == "arrive_asap" and n.ticket_id == str(ticket) for n in warned)

    clock.advance(minutes=3)  # 09:12, a minute past due
    report = worker.tick()
    assert report.outcomes == {"acted": 1}
    events = _events(desk, ticket)
    assert events.count("GoalBreached") == 1
    assert events.count("Escalated") == 1
    view = desk.view(ticket)
    assert (view.acceptor, view.escalation_level) == ("sup-wang", 1)
    escalated = desk.stored_events(ticket)[-1 - events[::-1].index("Escalated")]
    assert (escalated.cause, escalated.overdue_goal) == ("overdue", "arrive_asap")
    # the superior's own arrival clock runs, as a new run
    running = [g for g in view.goals if g.goal == "arrive_asap" and g.stopped_at is None]
    assert [g.run for g in running] == [2]
    assert {n.recipient for n in recorder.about("Escalated")} == {"sup-wang", "desk-huang",
                                                                  "night-xu"}  # fmt: skip
    assert {n.role for n in recorder.about("Escalated") if n.recipient == "sup-wang"} == {
        "acceptor"
    }

    sent = len(recorder.notices)
    before = len(desk.stored_events(ticket))
    assert worker.tick().outcomes == {}  # nothing is due twice
    assert len(desk.stored_events(ticket)) == before
    assert len(recorder.notices) == sent
    assert len({n.key for n in recorder.notices}) == sent


def test_missed_deadlines_after_a_long_outage_are_acted_on_in_order_and_late_warnings_skipped(
    desk: p.Desk, clock: ManualClock, make_worker: Callable[..., SlaWorker], recorder: Recorder
):
    ticket = _dispatched(desk, clock)
    worker = make_worker()
    worker.tick()
    clock.advance(days=1)  # the worker was down over the deadline and its warning

    report = worker.tick()
    assert report.outcomes == {"skipped": 1, "acted": 1}
    events = _events(desk, ticket)
    assert "GoalWarned" not in events
    assert events.count("GoalBreached") == 1
    assert recorder.about("GoalWarned") == []
    assert recorder.about("GoalBreached")
    done = [(row["goal"], row["action"], row["outcome"]) for row in _agenda(worker)
            if row["done_at"] is not None]  # fmt: skip
    assert ("arrive_asap", "warn", "skipped") in done
    skipped = next(row for row in _agenda(worker) if row["outcome"] == "skipped")
    acted = next(row for row in _agenda(worker) if row["outcome"] == "acted")
    assert skipped["fire_at"] < acted["fire_at"]
    assert skipped["done_at"] <= acted["done_at"]


def test_a_rescheduled_visit_is_re_dispatched_30_minutes_before_it(
    desk: p.Desk, clock: ManualClock, make_worker: Callable[..., SlaWorker], recorder: Recorder
):
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    for refuser, reason in (("tech-zhang", "在别的现场"), ("sup-wang", "在开会"),
                            ("eng-zhou", "在外地")):  # fmt: skip
        desk.execute(p.Refuse(ticket_id=ticket, actor=refuser, reason=reason))
        desk.execute(p.Escalate(ticket_id=ticket, actor="desk-huang"))
    desk.execute(p.ConfirmNoStaff(ticket_id=ticket, actor="pm-li"))
    visit = MONDAY_MORNING + timedelta(hours=5)  # 14:00
    desk.execute(p.Reschedule(ticket_id=ticket, actor="desk-huang", new_time=visit,
                              owner_agreed=True))  # fmt: skip
    worker = make_worker()
    clock.advance(hours=4, minutes=29)  # 13:29
    worker.tick()
    assert "Dispatched" not in _events(desk, ticket)[-3:]

    clock.advance(minutes=1)  # 13:30: T - 30 min
    worker.tick()
    redispatch = [e for e in desk.stored_events(ticket) if type(e).__name__ == "Dispatched"][-1]
    assert redispatch.actor == "sla-monitor"
    assert desk.view(ticket).state == p.RepairState.DISPATCHED
    t14 = next(g for g in desk.view(ticket).goals if g.goal == "redispatch_before_visit")
    assert t14.state == "met"
    t14_events = [type(e).__name__ for e in desk.stored_events(ticket)
                  if getattr(e, "goal", None) == "redispatch_before_visit"]  # fmt: skip
    assert "GoalBreached" not in t14_events
    assert recorder.about("Dispatched")


def test_a_callback_is_raised_to_customer_service_when_its_window_opens(
    desk: p.Desk, clock: ManualClock, make_worker: Callable[..., SlaWorker], recorder: Recorder
):
    ticket = _dispatched(desk, clock)
    desk.execute(ReportArrival(ticket_id=ticket, actor="tech-zhang"))
    desk.execute(StartRepair(ticket_id=ticket, actor="tech-zhang", customer_agreed_to_charge=True))
    desk.execute(Complete(ticket_id=ticket, actor="tech-zhang", outcome="更换水龙头，试水正常",
                          customer_signature_ref="sig-owner-1", fee=Decimal(45)))  # fmt: skip
    desk.execute(Submit(ticket_id=ticket, actor="tech-zhang", supervisor="sup-wang"))
    desk.execute(Verify(ticket_id=ticket, actor="sup-wang", supervisor_signature_ref="sig",
                        result_notified_to=("客服部",)))  # fmt: skip
    assert desk.view(ticket).state == p.RepairState.CALLBACK_PENDING
    worker = make_worker()
    worker.tick()
    assert _events(desk, ticket).count("CallbackRaised") == 1
    raised = recorder.about("CallbackRaised")
    assert {n.recipient for n in raised} == {"cs-lin", "desk-huang", "cs-he"}
    worker.tick()
    assert _events(desk, ticket).count("CallbackRaised") == 1
    assert not [row for row in _agenda(worker) if row["goal"] == "callback"]


def test_an_overdue_complaint_is_passed_to_the_office_head(
    desk: p.Desk, clock: ManualClock, make_worker: Callable[..., SlaWorker], recorder: Recorder
):
    ticket = desk.execute(new_complaint()).ticket_id
    worker = make_worker()
    worker.tick()
    clock.advance(days=10)  # past every complaint limit
    worker.tick()
    events = desk.stored_events(ticket)
    escalations = [e for e in events if type(e).__name__ == "OverdueEscalated"]
    breaches = [e for e in events if type(e).__name__ == "GoalBreached"]
    assert breaches
    assert {e.reason for e in escalations} == {e.goal for e in breaches}
    assert {e.to for e in escalations} == {"office-zhu"}
    assert {n.recipient for n in recorder.about("OverdueEscalated")} == {"office-zhu"}
    worker.tick()
    assert len(desk.stored_events(ticket)) == len(events)


# ---------------------------------------------------------------------------- notifications


def test_quiet_hours_hold_warnings_until_morning_but_urgent_breaches_go_at_once(
    open_backend_desk: OpenDesk, make_worker: Callable[..., SlaWorker], recorder: Recorder
):
    night = ManualClock(datetime(2026, 11, 24, 2, 0, tzinfo=SHANGHAI))
    desk = open_backend_desk(clock=night)
    ticket = _dispatched(desk, night)
    worker = make_worker(on=night, quiet_start=time(22, 0), quiet_end=time(7, 0))
    night.advance(minutes=9)  # 02:10: the warning is recorded, its notices wait
    worker.tick()
    assert "GoalWarned" in _events(desk, ticket)
    assert recorder.about("GoalWarned") == []
    night.advance(minutes=3)  # 02:13: arrive_asap is urgent: its breach goes out now
    worker.tick()
    assert recorder.about("GoalBreached")
    assert recorder.about("GoalWarned") == []
    held = [row for row in _outbox(worker) if row["event"] == "GoalWarned"]
    assert {row["not_before"].astimezone(SHANGHAI).time() for row in held} == {time(7, 0)}
    night.advance(hours=5)  # 07:13
    worker.tick()
    assert len(recorder.about("GoalWarned")) == len(held)


def test_a_failed_delivery_is_retried_later_and_a_rejection_is_final(
    desk: p.Desk, clock: ManualClock, make_worker: Callable[..., SlaWorker], recorder: Recorder
):
    _dispatched(desk, clock)
    worker = make_worker(retry_base_seconds=30, max_send_attempts=2)
    recorder.failures = [DeliveryFailed("503 from the gateway"),
                         DeliveryRejected("400 bad phone number")]  # fmt: skip
    clock.advance(minutes=8)
    report = worker.tick()
    assert (report.retried, report.failed_notices) == (1, 1)
    rows = {row["key"]: row for row in _outbox(worker)}
    retried = [row for row in rows.values() if row["last_error"] == "503 from the gateway"]
    rejected = [row for row in rows.values() if row["last_error"] == "400 bad phone number"]
    assert len(retried) == len(rejected) == 1
    assert rejected[0]["failed_at"] is not None
    assert retried[0]["failed_at"] is None
    assert retried[0]["next_attempt_at"] >= clock.now() + timedelta(seconds=30)
    sent = len(recorder.notices)
    assert sent == len(rows) - 2
    worker.tick()  # too early for the retry
    assert len(recorder.notices) == sent
    clock.advance(seconds=40)
    worker.tick()
    assert len(recorder.notices) == sent + 1
    assert recorder.notices[-1].key == retried[0]["key"]


def test_the_outbox_is_never_rebuilt_and_starts_at_the_head(
    desk: p.Desk, clock: ManualClock, make_worker: Callable[..., SlaWorker], recorder: Recorder,
    backend_url: str,
):  # fmt: skip
    old = _dispatched(desk, clock)
    clock.advance(minutes=20)
    with Projector(backend_url) as projector:  # a desk's projector: no outbox
        projector.catch_up()
    due = next(g.due_at for g in desk.view(old).goals if g.goal == "arrive_asap")
    desk.execute(p.RecordGoalBreach(ticket_id=old, actor="sla-monitor", goal="arrive_asap",
                                    due_at=due))  # fmt: skip
    worker = make_worker()  # the outbox starts here: the breach above is old news
    worker.tick()
    old_news = [
        n for n in recorder.notices if n.ticket_id == str(old) and n.event == "GoalBreached"
    ]
    assert old_news == []  # its escalation, which the worker made, is news
    new = _dispatched(desk, clock)
    clock.advance(minutes=12)
    worker.tick()
    sent = len(recorder.notices)
    assert sent > 0
    assert {n.ticket_id for n in recorder.notices} >= {str(new)}

    worker.projector.rebuild()  # every read model but the outbox
    worker.tick()
    assert len(recorder.notices) == sent
    with pytest.raises(p.ConfigurationError, match="cannot be rebuilt"):
        worker.projector.rebuild("outbox")
    assert desk.replay(new).version == desk.view(new).version
    worker.tick()
    assert len(recorder.notices) == sent


# ---------------------------------------------------------------------------- one worker on SQLite


def test_on_sqlite_one_worker_holds_the_lock_and_another_takes_over_when_it_stops(
    sqlite_url: str, clock: ManualClock, recorder: Recorder
):
    p.init_schema(sqlite_url)
    desk = p.open_desk(sqlite_url, organisations=[sample_organisation()], clock=clock)

    def worker(name: str) -> SlaWorker:
        opened = p.open_desk(sqlite_url, organisations=[sample_organisation()], clock=clock)
        settings = WorkerSettings(database_url=sqlite_url, worker_id=name, lease_seconds=30)
        return SlaWorker(settings, desk=opened, notifier=recorder, clock=clock)

    first, second = worker("first"), worker("second")
    try:
        ticket = _dispatched(desk, clock)
        assert first.tick().held_lock
        assert not second.tick().held_lock
        clock.advance(minutes=12)  # the holder renews before its lease runs out
        assert first.tick().outcomes == {"skipped": 1, "acted": 1}
        assert not second.tick().held_lock
        assert _events(desk, ticket).count("GoalBreached") == 1
        first.close()  # a graceful stop lets go of the lock
        assert second.tick().held_lock
        third = worker("third")
        assert not third.tick().held_lock
        clock.advance(seconds=31)  # second "died": its lease runs out
        assert third.tick().held_lock
        third.close()
    finally:
        second.close()
        desk.close()
