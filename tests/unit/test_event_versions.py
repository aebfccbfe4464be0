"""Every event type, in every form it was ever stored in, still loads: events are forever.

``tests/fixtures/events_vN.json`` each hold the stored forms (topic and JSON state) of the
event types and a command receipt as the code wrote them when the file was made, once, by
``make_event_fixtures.py``: v1 before the SLA clock, v2 with it, v3 with the SLA worker's
repair steps (``Escalated`` version 2, ``CallbackRaised``). If a change to an event
class breaks any of these tests, the change needs an upcaster (a ``class_version`` and an
``upcast_vN_vM`` method on the event), not an edit of a fixture.

A stored form that is still the event's current version must also write back unchanged; an
older form must load, upcast, into the current class.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from propdesk.domain.complaint import Complaint
from propdesk.domain.repair import Repair
from propdesk.domain.ticket import Ticket
from propdesk.persistence.receipts import CommandReceipt
from propdesk.persistence.store import open_store

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("events_v*.json"))
DOCUMENTS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in FIXTURES
}
STREAMS = [(name, s) for name, document in DOCUMENTS.items() for s in document["streams"]]
ENTRIES = [(s["ticket_id"], e) for _, s in STREAMS for e in s["events"]]


@pytest.fixture(scope="module")
def mapper() -> Any:
    store, _ = open_store("memory://")
    yield store.mapper
    store.close()


def _stored(ticket_id: str, entry: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(ticket_id),
        originator_version=entry["version"],
        topic=entry["topic"],
        state=entry["state"].encode("utf-8"),
    )


# eventsourcing's aggregate metaclass defines ``Repair.Created`` from ``__init__``; propdesk
# never triggers it (``Logged`` creates a ticket), so it has no stored form.
_NEVER_STORED = {Repair.Event, Repair.Created, Complaint.Event, Complaint.Created}
AGGREGATES: tuple[type[Ticket], ...] = (Repair, Complaint)
"""Every ticket kind whose events are stored."""


def _event_classes() -> set[str]:
    return {
        get_topic(value)
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, aggregate.Event)
        and value not in _NEVER_STORED
    }


def _form_version(stored: dict[str, Any]) -> int:
    return int(json.loads(stored["state"]).get("class_version", 1))


def test_the_fixtures_hold_every_event_type() -> None:
    stored_topics = {entry["topic"] for _, entry in ENTRIES}
    missing = _event_classes() - stored_topics
    assert not missing, f"write a fixture (a new events_vN.json) for {sorted(missing)}"


@pytest.mark.parametrize("stream", STREAMS, ids=lambda pair: f"{pair[0]}-{pair[1]['final_state']}")
def test_each_stored_history_replays_to_the_state_it_had(stream: tuple[str, Any], mapper: Any):
    _, history = stream
    ticket: Any = None
    for entry in history["events"]:
        event = mapper.to_domain_event(_stored(history["ticket_id"], entry))
        ticket = event.mutate(ticket)
    assert ticket is not None
    assert ticket.state.value == history["final_state"]
    assert ticket.version == history["final_version"]


@pytest.mark.parametrize(
    "entry", ENTRIES,
    ids=lambda pair: pair[1]["topic"].rsplit(".", 1)[-1] + f"-v{pair[1]['version']}",
)  # fmt: skip
def test_each_stored_event_loads_and_a_current_form_writes_back_the_same(
    entry: tuple[str, dict[str, Any]], mapper: Any
):
    ticket_id, stored = entry
    event = mapper.to_domain_event(_stored(ticket_id, stored))
    assert isinstance(event, Ticket.Event)
    assert get_topic(type(event)) == stored["topic"]
    if _form_version(stored) < getattr(type(event), "class_version", 1):
        return  # an older form: it loaded, upcast (see the tests of each upcaster below)
    written_again = mapper.to_stored_event(event)
    assert written_again.topic == stored["topic"]
    assert json.loads(written_again.state) == json.loads(stored["state"])


def test_a_logged_event_stored_before_received_at_loads_without_one(mapper: Any):
    [(ticket_id, stored)] = [
        (s["ticket_id"], s["events"][0]) for name, s in STREAMS if name == "events_v1"
    ][:1]
    assert "received_at" not in json.loads(stored["state"])

    event = mapper.to_domain_event(_stored(ticket_id, stored))

    assert isinstance(event, Repair.Logged)
    assert event.received_at is None
    assert json.loads(mapper.to_stored_event(event).state)["class_version"] == 2


def test_an_escalation_stored_before_its_cause_loads_as_a_refusal(mapper: Any):
    history = next(s for name, s in STREAMS if name == "events_v1")
    stored = next(e for e in history["events"] if e["topic"].endswith("Repair.Escalated"))
    old_form = json.loads(stored["state"])
    assert "class_version" not in old_form
    assert {"cause", "overdue_goal", "overdue_due_at"}.isdisjoint(old_form)

    event = mapper.to_domain_event(_stored(history["ticket_id"], stored))

    assert isinstance(event, Repair.Escalated)
    assert (event.cause, event.overdue_goal, event.overdue_due_at) == ("refused", None, None)
    assert (event.refused_by, event.acceptor, event.level) == ("tech-zhang", "sup-wang", 1)
    written = json.loads(mapper.to_stored_event(event).state)
    assert written["class_version"] == 2
    assert written["cause"] == "refused"


def test_an_overdue_escalation_is_stored_with_its_cause_and_deadline(mapper: Any):
    history = next(s for name, s in STREAMS if name == "events_v3" and _has_overdue(s))
    stored = next(e for e in history["events"] if '"cause":"overdue"' in e["state"])

    event = mapper.to_domain_event(_stored(history["ticket_id"], stored))

    assert isinstance(event, Repair.Escalated)
    assert (event.cause, event.overdue_goal, event.actor) == (
        "overdue",
        "arrive_asap",
        "sla-monitor",
    )
    assert event.overdue_due_at == event.accepted_at  # escalated at the deadline's minute


def _has_overdue(stream: dict[str, Any]) -> bool:
    return any('"cause":"overdue"' in entry["state"] for entry in stream["events"])


def test_a_snapshot_taken_before_the_sla_clock_loads_without_goals(mapper: Any):
    ticket = None
    history = next(s for name, s in STREAMS if name == "events_v1")
    for entry in history["events"]:
        ticket = mapper.to_domain_event(_stored(history["ticket_id"], entry)).mutate(ticket)
    stored = mapper.to_stored_event(Repair.Snapshot.take(ticket))
    state = json.loads(stored.state)
    added_since_v1 = ("class_version", "received_at", "policy_name", "policy_version",
                      "policy_digest", "goals", "callback_raised_for")  # fmt: skip
    for name in added_since_v1:
        del state["state"][name]  # the aggregate's state as a v1 snapshot held it
    old_form = replace(stored, state=json.dumps(state).encode("utf-8"))

    restored = mapper.to_domain_event(old_form).mutate(None)

    assert (restored.received_at, restored.policy_name, restored.goals) == (None, None, {})
    assert restored.policy_digest is None
    assert restored.state == ticket.state


def test_a_snapshot_taken_before_the_worker_raised_callbacks_loads_with_none_raised(mapper: Any):
    ticket = None
    history = next(s for name, s in STREAMS if name == "events_v2")
    for entry in history["events"]:
        ticket = mapper.to_domain_event(_stored(history["ticket_id"], entry)).mutate(ticket)
    stored = mapper.to_stored_event(Repair.Snapshot.take(ticket))
    state = json.loads(stored.state)
    assert state["state"]["class_version"] == 3
    state["state"]["class_version"] = 2
    del state["state"]["callback_raised_for"]  # the aggregate's state as a v2 snapshot held it
    old_form = replace(stored, state=json.dumps(state).encode("utf-8"))

    restored = mapper.to_domain_event(old_form).mutate(None)

    assert restored.callback_raised_for is None
    assert vars(restored) == vars(ticket)


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=list(DOCUMENTS))
def test_the_stored_command_receipts_still_load(document: dict[str, Any], mapper: Any):
    receipts = []
    for stored in document["receipts"]:
        event = mapper.to_domain_event(_stored(stored["originator_id"], stored))
        receipts.append(event.mutate(None))
    assert all(isinstance(receipt, CommandReceipt) for receipt in receipts)
    first = receipts[0]
    assert (first.step, first.command_id) == ("log_repair", "fixture-log-1")
    assert first.events[0] == "Logged"
    if document["schema"] != 1:  # v2: the clock's events, and a complaint's receipt
        assert first.events[1:3] == ["PolicyPinned", "GoalStarted"]
        assert [r.step for r in receipts] == ["log_repair", "log_complaint"]
