"""The desk facade on an in-memory store: ids, time, idempotency, queries, logging."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from structlog.testing import capture_logs

import propdesk as p
from propdesk.testing import ManualClock, in_memory_desk, new_repair, sample_organisation

LOGGED = ["Logged", "PolicyPinned", "GoalStarted"]
"""What logging a ticket stores under the default policy: the request, the policy it is
pinned to, and the 3-minute goal to notify engineering (T04)."""


def test_a_command_without_a_time_is_stamped_by_the_injected_clock(desk: p.Desk, clock):
    clock.advance(minutes=42)
    ticket = desk.execute(new_repair()).ticket_id
    assert desk.view(ticket).logged_at == clock.now()


def test_an_explicit_time_wins_over_the_clock_for_imports(desk: p.Desk, clock):
    earlier = clock.now() - timedelta(days=3)
    ticket = desk.execute(new_repair(at=earlier)).ticket_id
    assert desk.view(ticket).logged_at == earlier


def test_a_clock_behind_the_last_step_never_makes_the_record_run_backwards(clock):
    desk = in_memory_desk(clock=clock)
    ticket = desk.execute(new_repair(at=clock.now() + timedelta(seconds=30))).ticket_id
    desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang"))
    logged, dispatched = (e for e in desk.history(ticket) if e.event in {"Logged", "Dispatched"})
    assert dispatched.at == logged.at


def test_an_explicit_time_before_the_last_step_is_refused(desk: p.Desk, clock):
    ticket = desk.execute(new_repair()).ticket_id
    with pytest.raises(p.RuleViolation, match="cannot happen before"):
        desk.execute(
            p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang",
                       at=clock.now() - timedelta(minutes=1))
        )  # fmt: skip


def test_a_ticket_id_is_derived_from_the_command_id_so_a_retried_log_finds_its_ticket(
    desk: p.Desk,
):
    first = desk.execute(new_repair(command_id="phone-0815"))
    second = desk.execute(new_repair(command_id="phone-0815"))
    assert second.replayed
    assert not first.replayed
    assert second.ticket_id == first.ticket_id
    assert list(desk.ticket_ids()) == [first.ticket_id]


def test_a_command_id_reused_for_another_step_is_invalid(desk: p.Desk):
    ticket = desk.execute(new_repair(command_id="same-id")).ticket_id
    with pytest.raises(p.InvalidCommand, match="already used for log_repair"):
        desk.execute(p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang",
                                command_id="same-id"))  # fmt: skip
    assert [entry.event for entry in desk.history(ticket)] == LOGGED


def test_a_refused_identified_command_can_be_retried_once_it_is_valid(desk: p.Desk):
    ticket = desk.execute(new_repair()).ticket_id
    close = p.Close(ticket_id=ticket, actor="cs-he", command_id="close-1")
    with pytest.raises(p.IllegalStep):
        desk.execute(close)
    with pytest.raises(p.IllegalStep):  # nothing was recorded for the failed attempt
        desk.execute(close)


def test_logging_a_ticket_id_that_exists_is_refused(desk: p.Desk):
    ticket = desk.execute(new_repair()).ticket_id
    with pytest.raises(p.TicketAlreadyExists):
        desk.execute(new_repair(ticket_id=ticket))
    assert [entry.event for entry in desk.history(ticket)] == LOGGED


def test_an_unknown_ticket_is_a_typed_error(desk: p.Desk):
    missing = uuid4()
    with pytest.raises(p.UnknownTicket):
        desk.view(missing)
    with pytest.raises(p.UnknownTicket):
        desk.history(missing)
    with pytest.raises(p.UnknownTicket):
        desk.execute(p.Dispatch(ticket_id=missing, actor="desk-huang", acceptor="tech-zhang"))


def test_a_person_outside_the_estate_is_not_authorised(desk: p.Desk):
    with pytest.raises(p.UnauthorisedActor, match="not a member of estate cuiyuan"):
        desk.execute(new_repair(actor="stranger"))
    assert list(desk.ticket_ids()) == []


def test_an_unknown_estate_is_invalid(desk: p.Desk):
    with pytest.raises(p.InvalidCommand, match="unknown estate"):
        desk.execute(new_repair(estate="elsewhere"))


def test_a_desk_serving_several_estates_needs_the_estate_named(clock: ManualClock):
    other = sample_organisation().model_copy(update={"estate": "lanting", "name": "兰亭苑"})
    desk = in_memory_desk(organisations=[sample_organisation(), other], clock=clock)
    with pytest.raises(p.InvalidCommand, match="estate: required"):
        desk.execute(new_repair())
    ticket = desk.execute(new_repair(estate="lanting")).ticket_id
    assert desk.view(ticket).estate == "lanting"


def test_the_view_lists_the_steps_allowed_next(desk: p.Desk):
    ticket = desk.execute(new_repair()).ticket_id
    assert desk.view(ticket).allowed_steps == ("dispatch", "start_cost_review")


def test_personal_data_is_redacted_on_request(desk: p.Desk):
    ticket = desk.execute(new_repair()).ticket_id
    assert desk.view(ticket).owner.phone == "13812345678"
    assert desk.view(ticket, redact_personal_data=True).owner.phone == "***"
    logged, *_clock_events = desk.history(ticket, redact_personal_data=True)
    assert logged.payload["personal_data"] == {"owner_name": "***", "owner_phone": "***"}
    assert "13812345678" not in logged.model_dump_json()


def test_view_at_needs_exactly_one_aware_point(desk: p.Desk):
    ticket = desk.execute(new_repair()).ticket_id
    with pytest.raises(p.InvalidCommand):
        desk.view_at(ticket)
    with pytest.raises(p.InvalidCommand):
        desk.view_at(ticket, at=datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(p.UnknownTicket):
        desk.view_at(ticket, version=len(desk.history(ticket)) + 1)


def test_every_log_entry_of_a_command_carries_the_ticket_id(desk: p.Desk):
    with capture_logs() as entries:
        result = desk.execute(new_repair(command_id="log-1"))
        desk.execute(new_repair(command_id="log-1"))
    assert len(entries) == 2
    assert {entry["ticket_id"] for entry in entries} == {str(result.ticket_id)}
    assert {entry["command_id"] for entry in entries} == {"log-1"}


def test_importing_propdesk_loads_neither_sqlalchemy_nor_the_scheduler():
    code = (
        "import sys, propdesk; "
        "heavy = [m for m in ('sqlalchemy', 'apscheduler', 'psycopg') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_a_naive_test_clock_is_refused():
    with pytest.raises(p.InvalidCommand):
        ManualClock(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose


def test_a_command_id_reused_with_different_data_is_invalid(desk: p.Desk):
    ticket = desk.execute(new_repair()).ticket_id
    first = p.Dispatch(ticket_id=ticket, actor="desk-huang", acceptor="tech-zhang", command_id="d")
    desk.execute(first)
    changed = first.model_copy(update={"acceptor": "tech-liu"})
    with pytest.raises(p.InvalidCommand, match="different data"):
        desk.execute(changed)
    assert desk.view(ticket).acceptor == "tech-zhang"


def test_a_clock_that_returns_a_naive_time_is_a_configuration_error():
    class NaiveClock:
        def now(self) -> datetime:
            return datetime(2026, 11, 23, 9, 0)  # noqa: DTZ001 - naive on purpose

    desk = in_memory_desk(clock=NaiveClock())
    with pytest.raises(p.ConfigurationError, match="naive"):
        desk.execute(new_repair())
    assert list(desk.ticket_ids()) == []


def test_environment_variables_cannot_redirect_a_desk(monkeypatch: pytest.MonkeyPatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    p.init_schema(url)
    monkeypatch.setenv("PROPDESK_PERSISTENCE_MODULE", "eventsourcing.popo")
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.popo")
    with p.open_desk(url, organisations=[sample_organisation()]) as first:
        ticket = first.execute(new_repair()).ticket_id
    with p.open_desk(url, organisations=[sample_organisation()]) as second:
        assert second.view(ticket).state is p.RepairState.LOGGED


def test_a_missing_sqlite_file_is_not_created_by_opening_it(tmp_path):
    path = tmp_path / "absent.db"
    with pytest.raises(p.DatabaseNotInitialised):
        p.open_desk(f"sqlite:///{path}", organisations=[sample_organisation()])
    assert not path.exists()


def test_a_database_failing_under_a_reader_is_a_typed_error(tmp_path):
    import sqlite3  # noqa: PLC0415 - only this test breaks a database by hand

    path = tmp_path / "desk.db"
    p.init_schema(f"sqlite:///{path}")
    with p.open_desk(f"sqlite:///{path}", organisations=[sample_organisation()]) as desk:
        ticket = desk.execute(new_repair()).ticket_id
        with sqlite3.connect(path) as connection:
            connection.execute("DROP TABLE stored_events")
        with pytest.raises(p.StoreUnavailable, match="cannot read"):
            desk.history(ticket)
