"""The board reads each event's effects from the domain's own ``apply``, through a probe.

These tests replay every stored history of the event fixtures and check that what the probe
says an event assigns is what applying it to the real ticket assigned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from propdesk.domain.goals import CLOCK_EVENTS
from propdesk.persistence.store import open_store
from propdesk.projections.base import effects

FIXTURE = Path(__file__).parent.parent / "fixtures" / "events_v2.json"
STREAMS = json.loads(FIXTURE.read_text(encoding="utf-8"))["streams"]
WATCHED = ("status", "acceptor", "level", "handler", "severity", "estate")


@pytest.fixture(scope="module")
def mapper() -> Any:
    store, _ = open_store("memory://")
    yield store.mapper
    store.close()


@pytest.mark.parametrize("stream", STREAMS, ids=lambda s: f"{s['kind']}-{s['final_state']}")
def test_the_probe_sees_what_apply_assigns_to_the_ticket(stream: dict[str, Any], mapper: Any):
    ticket: Any = None
    checked = 0
    for entry in stream["events"]:
        stored = StoredEvent(
            originator_id=UUID(stream["ticket_id"]), originator_version=entry["version"],
            topic=entry["topic"], state=entry["state"].encode("utf-8"),
        )  # fmt: skip
        event = mapper.to_domain_event(stored)
        before = getattr(ticket, "status", None)
        ticket = event.mutate(ticket)
        if type(event).__name__ in CLOCK_EVENTS:
            continue
        seen = effects(event)
        if ticket.status != before:
            assert "status" in seen, f"{type(event).__name__} changed the state unseen"
        for field in WATCHED:
            if field in seen:
                assert seen[field] == getattr(ticket, field), (type(event).__name__, field)
                checked += 1
    assert checked >= len(stream["events"]) // 4, "the probe saw too little"
