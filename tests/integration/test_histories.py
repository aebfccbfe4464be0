"""Reading the store ticket by ticket: whole histories, up to a position, on both databases.

The events are written with the recorder itself, interleaved as a desk interleaves its
tickets, so that the order of storing and the order of histories differ.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from propdesk.domain.errors import ConfigurationError
from propdesk.persistence.histories import histories
from propdesk.persistence.store import open_store

if TYPE_CHECKING:
    from collections.abc import Iterator

    from propdesk.persistence.store import EventStore

LENGTHS = (1, 4, 40, 2, 13, 1, 8, 26, 3, 6)
"""How many events each aggregate has."""


@pytest.fixture
def store(backend_url: str) -> Iterator[EventStore]:
    """A store whose aggregates' events were stored interleaved, in a seeded random order."""
    opened, _ = open_store(backend_url, cache_size=0)
    rnd = random.Random(7)  # noqa: S311 - a seeded order, not a secret
    ids = [UUID(int=rnd.getrandbits(128)) for _ in LENGTHS]
    pending = [[StoredEvent(ids[i], version, "test:Happened", f"{i}-{version}".encode())
                for version in range(1, length + 1)]
               for i, length in enumerate(LENGTHS)]  # fmt: skip
    while any(pending):
        history = rnd.choice([events for events in pending if events])
        opened.recorder.insert_events([history.pop(0)])
    yield opened
    opened.close()


def _read(store: EventStore, stop: int, size: int) -> list[list[tuple[UUID, int]]]:
    return [[(event.originator_id, event.originator_version) for event in batch]  # type: ignore[misc]
             for batch in histories(store.recorder, stop=stop, size=size)]  # fmt: skip


def _stored_up_to(store: EventStore, stop: int) -> list[tuple[UUID, int]]:
    notifications = store.recorder.select_notifications(1, 10_000, stop=stop)
    return [(n.originator_id, n.originator_version) for n in notifications]  # type: ignore[misc]


@pytest.mark.parametrize("size", [1, 2, 5, 13, 40, 41, 1000])
def test_every_event_up_to_the_head_comes_once_in_whole_histories_by_aggregate(
    store: EventStore, size: int
):
    head = store.recorder.max_notification_id()
    batches = _read(store, head, size)

    read = [event for batch in batches for event in batch]
    assert read == sorted(_stored_up_to(store, head))  # by aggregate, then version: all, once
    seen: set[UUID] = set()
    for batch in batches:
        aggregates = {aggregate for aggregate, _ in batch}
        assert not aggregates & seen  # no history is split between batches
        seen |= aggregates
        assert len(batch) <= size or len(aggregates) == 1  # a longer one is alone
    assert len(batches) > 1 if size < sum(LENGTHS) else len(batches) == 1


def test_a_batch_stops_at_the_position_given_even_inside_a_history(store: EventStore):
    head = store.recorder.max_notification_id()
    stop = head // 2

    read = [event for batch in _read(store, stop, 7) for event in batch]

    assert read == sorted(_stored_up_to(store, stop))
    assert len(read) == stop < sum(LENGTHS)


def test_what_is_stored_is_handed_back_as_it_was(store: EventStore):
    batch = next(histories(store.recorder, stop=store.recorder.max_notification_id(), size=1000))

    assert {(event.topic, event.state) for event in batch} == {
        ("test:Happened", f"{i}-{version}".encode())
        for i, length in enumerate(LENGTHS)
        for version in range(1, length + 1)
    }


def test_an_empty_store_has_no_histories(backend_url: str):
    empty, _ = open_store(backend_url, cache_size=0)
    try:
        assert list(histories(empty.recorder, stop=0, size=10)) == []
    finally:
        empty.close()


def test_a_batch_must_hold_at_least_one_event(store: EventStore):
    with pytest.raises(ConfigurationError, match="at least 1, not 0"):
        next(histories(store.recorder, stop=10, size=0))
