"""``Ticket.__deepcopy__`` copies field by field; that is safe only while fields are immutable.

The aggregate cache hands each command a copy of the cached ticket. If a field ever held a
mutable value other than the dicts it copies (``personal_data``, and ``goals`` with their
records of immutable values), a decision could change the cached ticket through the copy.
These tests keep the assumption true in every state.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest
from helpers import given_state

from propdesk.domain.lifecycle import RepairState

IMMUTABLE = (str, int, bool, Decimal, datetime, UUID, type(None))
STATES = [state for state in RepairState if state is not RepairState.NEW]


@pytest.mark.parametrize("state", STATES)
def test_every_field_of_a_ticket_is_immutable_but_its_personal_data(state):
    ticket = given_state(state, sla=True)

    mutable = {
        name: type(value).__name__
        for name, value in vars(ticket).items()
        if name not in {"personal_data", "goals", "_pending_events"}
        and not isinstance(value, IMMUTABLE)
    }

    assert mutable == {}
    assert all(isinstance(v, str) for v in ticket.personal_data.values())
    records = list(ticket.goals.values())
    assert all(isinstance(v, IMMUTABLE) for record in records for v in record.values())


@pytest.mark.parametrize("state", [RepairState.LOGGED, RepairState.CLOSED])
def test_a_copy_equals_its_original_and_shares_no_mutable_state(state):
    ticket = given_state(state, sla=True)

    twin = copy.deepcopy(ticket)

    assert vars(twin) == vars(ticket)
    assert twin.personal_data is not ticket.personal_data
    assert twin.pending_events is not ticket.pending_events
    twin.personal_data["owner_phone"] = "changed"
    assert ticket.personal_data["owner_phone"] != "changed"
    assert ticket.goals, "the sample ticket runs under the default policy"
    for name, record in twin.goals.items():
        assert record is not ticket.goals[name]
