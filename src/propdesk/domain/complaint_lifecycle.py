"""The complaint lifecycle (投诉, seed-spec §3.2, C1–C12) as a table, and the machine checking it.

Built like the repair lifecycle (:mod:`propdesk.domain.lifecycle`): the table is data, one
``transitions.Machine`` is built from it at import and shared by every complaint, never
attached to one, and asked only while a new step is decided (:func:`check_complaint_step`).
A step that is not in the table raises the same :class:`IllegalStep` as a repair's.

Choices where §3.2 leaves room:

* **The answer (C6) is a step, not a state.** §3.2 draws ``IN_HANDLING → ANSWERED``, but the
  answer's time limits (T33: 24 hours; T36: 2 days for a major complaint; T46: 3 days for a
  big problem) run beside the handling, not before it: a complaint may be answered while it
  is still being routed, handled or deferred, and its handling goes on after the answer. A
  state would force one order on steps the seeds leave unordered. So ``give_answer`` records
  the answer and keeps the state; it is allowed from ``CLASSIFIED`` (an invalid complaint too
  gets a clear answer, S1:L422), ``ROUTED``, ``IN_HANDLING`` and ``DEFERRED``. The complaint
  records that it was answered, and resolving (C8) or closing as invalid (C12) needs it.
* **Plan approval (C5) is a step** in ``IN_HANDLING`` or ``DEFERRED``: §3.2 gives it no state
  of its own, and a deferred complaint may get a revised plan.
* **Deferral (C7) is a state,** ``DEFERRED`` (预计解决日期 agreed with the resident). §3.2 calls
  it a self-loop of handling; a state makes "waiting for the agreed date" visible on the board.
  A second deferral moves the date; resolving leaves it.
* **Overdue escalation (C11) is a flag,** not a state: it is allowed in every open state, and
  the complaint stays where it was (S2 §6.4: the information *may* be passed to 管理处主任).
* **C10 has two triggers** from ``RESULT_NOTIFIED``, as the repair callback has: ``close``
  when the resident confirms the problem is solved, ``reopen`` (back to ``IN_HANDLING``) when
  not. Both come from the one command ``confirm_resolution``.
* **Linking a repair** (``link_repair``, R8 **(design)**) records a repair the complaint
  caused or concerns, in any open state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from propdesk.domain.errors import IllegalStep
from propdesk.domain.lifecycle import build_machine, destination


class ComplaintState(StrEnum):
    """Where a complaint stands. Names follow seed-spec §3.2."""

    NEW = "NEW"
    """Before C1: nothing is recorded yet."""
    RECEIVED = "RECEIVED"
    """已受理: recorded, not yet verified and classified."""
    CLASSIFIED = "CLASSIFIED"
    """核实分类: severity, urgency, type, validity, liability and responsible unit fixed."""
    ROUTED = "ROUTED"
    """归口: passed to the responsible department (and the people its severity requires)."""
    IN_HANDLING = "IN_HANDLING"
    """处理中: the responsible person contacted the complainant (第一时间)."""
    DEFERRED = "DEFERRED"
    """Cannot be solved in time: a plan and expected date (预计解决日期) were agreed."""
    RESOLVED = "RESOLVED"
    """解决 / 处理完毕: the handler told the complaint receiver."""
    RESULT_NOTIFIED = "RESULT_NOTIFIED"
    """The result was reported to the complainant (通报投诉住户)."""
    CLOSED = "CLOSED"
    """结案: the complainant confirmed the problem is solved."""
    CLOSED_INVALID = "CLOSED_INVALID"
    """无效投诉: closed as invalid, with help offered anyway (S1:L422) **(inferred)**."""


S = ComplaintState

CLOSED_STATES = frozenset({S.CLOSED, S.CLOSED_INVALID})
OPEN_STATES: tuple[ComplaintState, ...] = tuple(
    state for state in ComplaintState if state is not S.NEW and state not in CLOSED_STATES
)
"""Every state from receipt to the result being reported: where C11 and links are allowed."""

_ANSWERABLE = (S.CLASSIFIED, S.ROUTED, S.IN_HANDLING, S.DEFERRED)
_HANDLING = (S.IN_HANDLING, S.DEFERRED)


@dataclass(frozen=True)
class ComplaintStep:
    """One row of the complaint lifecycle table."""

    trigger: str
    sources: tuple[ComplaintState, ...]
    dest: ComplaintState | None
    """``None`` for a step that records something and stays in the state it left from."""
    command: str
    """The command that asks for this step; what an :class:`IllegalStep` lists as allowed."""
    seed: str
    """The seed-spec rule (C-number) behind the step."""


CS = ComplaintStep

COMPLAINT_LIFECYCLE: tuple[ComplaintStep, ...] = (
    CS("receive", (S.NEW,), S.RECEIVED, "log_complaint", "C1"),
    CS("classify", (S.RECEIVED,), S.CLASSIFIED, "classify_complaint", "C2"),
    CS("route", (S.CLASSIFIED,), S.ROUTED, "route_complaint", "C3"),
    CS("contact_customer", (S.ROUTED,), S.IN_HANDLING, "contact_customer", "C4"),
    CS("approve_plan", _HANDLING, None, "approve_plan", "C5"),
    CS("give_answer", _ANSWERABLE, None, "give_answer", "C6"),
    CS("defer", _HANDLING, S.DEFERRED, "defer_complaint", "C7"),
    CS("resolve", _HANDLING, S.RESOLVED, "resolve_complaint", "C8"),
    CS("report_result", (S.RESOLVED,), S.RESULT_NOTIFIED, "report_result", "C9"),
    CS("close", (S.RESULT_NOTIFIED,), S.CLOSED, "confirm_resolution", "C10"),
    CS("reopen", (S.RESULT_NOTIFIED,), S.IN_HANDLING, "confirm_resolution", "C10"),
    CS("escalate_overdue", OPEN_STATES, None, "escalate_overdue", "C11"),
    CS("close_as_invalid", (S.CLASSIFIED,), S.CLOSED_INVALID, "close_as_invalid", "C12"),
    CS("link_repair", OPEN_STATES, None, "link_repair", "R8"),
)
"""Every step of the complaint lifecycle, in the order of seed-spec §3.2."""


COMPLAINT_MACHINE = build_machine(COMPLAINT_LIFECYCLE, ComplaintState, str(S.NEW))
"""The shared machine. It has no model: complaints ask it, they are never bound to it."""

_COMMAND_OF = {step.trigger: step.command for step in COMPLAINT_LIFECYCLE}


@cache
def allowed_complaint_commands(state: ComplaintState) -> tuple[str, ...]:
    """The commands the complaint lifecycle accepts from ``state``, sorted."""
    triggers = COMPLAINT_MACHINE.get_triggers(str(state))
    return tuple(sorted({_COMMAND_OF[trigger] for trigger in triggers}))


def check_complaint_step(trigger: str, state: ComplaintState) -> ComplaintState:
    """Returns the state ``trigger`` leads to from ``state``, or raises :class:`IllegalStep`.

    The error names the command asked for, the complaint's state, and the commands allowed
    from it.
    """
    found = destination(COMPLAINT_MACHINE, trigger, str(state))
    if found is None:
        command = _COMMAND_OF.get(trigger, trigger)
        raise IllegalStep(command, str(state), allowed_complaint_commands(state))
    return ComplaintState(found)


def complaint_mermaid() -> str:
    """The complaint lifecycle as a Mermaid ``stateDiagram-v2``, generated from the table."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.RECEIVED}: receive"]
    lines.extend(
        f"    {source} --> {step.dest or source}: {step.trigger}"
        for step in COMPLAINT_LIFECYCLE
        if step.trigger != "receive"
        for source in step.sources
    )
    lines.extend(f"    {state} --> [*]" for state in sorted(CLOSED_STATES))
    return "\n".join(lines) + "\n"
