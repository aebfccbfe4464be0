"""The desk on real databases: SQLite files and a real PostgreSQL server.

Each test runs once per backend (see the ``backend_url`` fixture in ``tests/conftest.py``).
Several desks opened on one database stand for several processes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

import propdesk as p
from propdesk.testing import ManualClock, new_repair, sample_organisation

if TYPE_CHECKING:
    from uuid import UUID

OpenDesk = Callable[..., p.Desk]


def _drive_to_closed(desk: p.Desk, clock: ManualClock) -> UUID:
    ticket = desk.execute(new_repair()).ticket_id
    for command in (
        p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"),
        p.Refuse(ticket_id=ticket, actor="tech-zhang", reason="在其他单元维修走不开"),
        p.Escalate(ticket_id=ticket, actor="desk-huang"),
        p.ReportArrival(ticket_id=ticket, actor="sup-wang"),
        p.StartRepair(ticket_id=ticket, actor="sup-wang", customer_agreed_to_charge=True),
        p.Complete(
            ticket_id=ticket, actor="sup-wang", outcome="更换水龙头",
            customer_signature_ref="sig-1", fee=Decimal("80.00"),
        ),
        p.Submit(ticket_id=ticket, actor="sup-wang", supervisor="eng-zhou"),
        p.HandOverFee(ticket_id=ticket, actor="sup-wang", amount=Decimal("80.00")),
        p.SettleFee(ticket_id=ticket, actor="fin-ma", amount=Decimal("80.00"), receipt_no="R-1"),
        p.Verify(
            ticket_id=ticket, actor="eng-zhou", supervisor_signature_ref="sig-2",
            result_notified_to=("客服部",),
        ),
        p.RecordCallback(ticket_id=ticket, actor="cs-he", satisfied=True, rating=5),
        p.Close(ticket_id=ticket, actor="cs-he"),
    ):  # fmt: skip
        clock.advance(minutes=7)
        desk.execute(command)
    return ticket


def test_a_repair_lives_its_whole_life_and_another_process_reads_it(
    open_backend_desk: OpenDesk, clock: ManualClock
):
    writer = open_backend_desk()
    ticket = _drive_to_closed(writer, clock)
    reader = open_backend_desk(cache_size=0)
    view = reader.view(ticket)
    assert view.state is p.RepairState.CLOSED
    assert view.fee_status is p.FeeStatus.SETTLED
    assert view.escalation_level == 1
    assert [entry.event for entry in reader.history(ticket)] == [
        entry.event for entry in writer.history(ticket)
    ]
    assert reader.replay(ticket).__dict__ == {
        k: v for k, v in reader.load(ticket).__dict__.items() if k != "_pending_events"
    } | {"_pending_events": []}


def test_stored_times_keep_their_instant_and_zone_offset(
    open_backend_desk: OpenDesk, clock: ManualClock
):
    desk = open_backend_desk()
    ticket = desk.execute(new_repair()).ticket_id
    logged = open_backend_desk(cache_size=0).history(ticket)[0]
    assert logged.at == clock.now()
    assert logged.at.utcoffset() == timedelta(hours=8)


def test_a_rejected_command_stores_nothing(open_backend_desk: OpenDesk):
    desk = open_backend_desk()
    ticket = desk.execute(new_repair()).ticket_id
    before = desk.history(ticket)
    with pytest.raises(p.IllegalStep):
        desk.execute(p.Close(ticket_id=ticket, actor="cs-he"))
    with pytest.raises(p.UnauthorisedActor):
        desk.execute(p.Dispatch(ticket_id=ticket, actor="tech-zhang", acceptor="tech-liu"))
    assert open_backend_desk(cache_size=0).history(ticket) == before


def test_a_retried_command_is_applied_once_even_from_another_process(
    open_backend_desk: OpenDesk,
):
    first, second = open_backend_desk(), open_backend_desk()
    logged = first.execute(new_repair(command_id="intake-0001"))
    again = second.execute(new_repair(command_id="intake-0001"))
    assert again.replayed
    assert again.model_copy(update={"replayed": False}) == logged
    dispatch = p.Dispatch(
        ticket_id=logged.ticket_id, actor="desk-huang", acceptor="tech-zhang", command_id="d-1"
    )
    applied = first.execute(dispatch)
    replayed = second.execute(dispatch)
    assert replayed.replayed
    assert (replayed.version, replayed.events) == (applied.version, applied.events)
    assert len(second.history(logged.ticket_id)) == applied.version


def test_a_concurrent_change_is_decided_again_on_fresh_state(
    open_backend_desk: OpenDesk, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
):
    mine, theirs = open_backend_desk(), open_backend_desk()
    ticket = mine.execute(new_repair()).ticket_id
    mine.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    mine.execute(p.ReportArrival(ticket_id=ticket, actor="tech-zhang"))
    original_save = mine._store.save
    calls = []

    def save_after_someone_else(*objects: object, **kwargs: object) -> object:
        calls.append(objects)
        if len(calls) == 1:  # another process gets in first
            theirs.execute(p.CheckArrival(ticket_id=ticket, actor="night-xu",
                                          reporter_says_on_time=True))  # fmt: skip
        return original_save(*objects, **kwargs)

    monkeypatch.setattr(mine._store, "save", save_after_someone_else)
    clock.advance(minutes=1)
    result = mine.execute(
        p.CheckArrival(ticket_id=ticket, actor="desk-huang", reporter_says_on_time=False)
    )
    assert len(calls) == 2
    history = theirs.history(ticket)
    assert result.version == len(history)
    assert [(e.event, e.actor) for e in history[-2:]] == [
        ("ArrivalChecked", "night-xu"), ("ArrivalChecked", "desk-huang"),
    ]  # fmt: skip


def test_endless_conflicts_surface_as_a_typed_error_and_store_nothing(
    open_backend_desk: OpenDesk, monkeypatch: pytest.MonkeyPatch
):
    mine, theirs = open_backend_desk(retries=2), open_backend_desk()
    ticket = mine.execute(new_repair()).ticket_id
    mine.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    mine.execute(p.ReportArrival(ticket_id=ticket, actor="tech-zhang"))
    original_save = mine._store.save

    def always_beaten(*objects: object, **kwargs: object) -> object:
        theirs.execute(
            p.CheckArrival(ticket_id=ticket, actor="night-xu", reporter_says_on_time=True)
        )
        return original_save(*objects, **kwargs)

    monkeypatch.setattr(mine._store, "save", always_beaten)
    with pytest.raises(p.ConcurrencyConflict) as caught:
        mine.execute(
            p.CheckArrival(
                ticket_id=ticket, actor="desk-huang", reporter_says_on_time=False,
                command_id="check-1",
            )
        )  # fmt: skip
    assert caught.value.attempts == 3
    actors = [entry.actor for entry in theirs.history(ticket) if entry.event == "ArrivalChecked"]
    assert actors == ["night-xu"] * 3


def test_a_long_ticket_loads_from_a_snapshot_equal_to_its_full_replay(
    open_backend_desk: OpenDesk, clock: ManualClock
):
    desk = open_backend_desk(snapshot_interval=10, cache_size=0)
    ticket = desk.execute(new_repair()).ticket_id
    desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    for _ in range(5):  # the nobody-home loop: 5 events a visit
        desk.execute(p.ReportArrival(ticket_id=ticket, actor="tech-zhang"))
        desk.execute(p.KnockUnanswered(ticket_id=ticket, actor="tech-zhang"))
        clock.advance(minutes=5)
        desk.execute(p.KnockUnanswered(ticket_id=ticket, actor="tech-zhang"))
        desk.execute(
            p.LeaveForRevisit(
                ticket_id=ticket, actor="tech-zhang", informed_supervisor="sup-wang",
                informed_customer_service="cs-he",
            )
        )  # fmt: skip
        clock.advance(hours=1)
        desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    snapshots = list(desk._store.snapshots.get(ticket))  # type: ignore[union-attr]
    loaded = desk.load(ticket)
    replayed = desk.replay(ticket)
    assert loaded.version == replayed.version > 40
    taken = [s.originator_version for s in snapshots]
    # one per multiple of 10 crossed, at the ticket's version after the save that crossed it
    assert [version // 10 for version in taken] == list(range(1, loaded.version // 10 + 1))
    assert all(version % 10 < 4 for version in taken)
    assert {k: v for k, v in vars(loaded).items() if k != "_pending_events"} == {
        k: v for k, v in vars(replayed).items() if k != "_pending_events"
    }


def test_the_state_as_it_was_at_a_time_and_at_a_version(
    open_backend_desk: OpenDesk, clock: ManualClock
):
    desk = open_backend_desk()
    ticket = desk.execute(new_repair()).ticket_id
    logged_at = clock.now()
    clock.advance(minutes=3)
    dispatched = desk.execute(
        p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang")
    )
    assert desk.view_at(ticket, at=logged_at + timedelta(minutes=2)).state is p.RepairState.LOGGED
    view = desk.view_at(ticket, version=dispatched.version)
    assert view.state is p.RepairState.DISPATCHED
    with pytest.raises(p.UnknownTicket):
        desk.view_at(ticket, at=logged_at - timedelta(seconds=1))


def test_every_stored_ticket_is_listed_in_logging_order(open_backend_desk: OpenDesk):
    desk = open_backend_desk()
    tickets = [desk.execute(new_repair()).ticket_id for _ in range(3)]
    assert list(open_backend_desk().ticket_ids()) == tickets


def test_an_uninitialised_database_is_refused_until_db_init(
    request: pytest.FixtureRequest, backend_name: str
):
    url = request.getfixturevalue(f"{backend_name}_url")
    with pytest.raises(p.DatabaseNotInitialised, match="propdesk db init"):
        p.open_desk(url, organisations=[sample_organisation()])
    p.init_schema(url)
    p.init_schema(url)  # a second init is harmless
    with p.open_desk(url, organisations=[sample_organisation()]) as desk:
        assert list(desk.ticket_ids()) == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)
