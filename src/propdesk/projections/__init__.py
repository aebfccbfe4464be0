"""Read models (issue 4): the board, the technicians' queues and the SLA timers.

They are kept up to date from the event stream exactly once, and rebuilt without downtime.

The write side never imports this package (an import contract in ``pyproject.toml``).
"""

from propdesk.projections.board import BoardRow, board, technician_queue
from propdesk.projections.database import engine_for
from propdesk.projections.registers import (
    ComplaintEntry,
    RepairEntry,
    complaint_register,
    repair_register,
)
from propdesk.projections.runner import (
    ProjectionStatus,
    Projector,
    default_projections,
)
from propdesk.projections.sla_timers import Timer, all_timers, timers_due

__all__ = [
    "BoardRow",
    "ComplaintEntry",
    "ProjectionStatus",
    "Projector",
    "RepairEntry",
    "Timer",
    "all_timers",
    "board",
    "complaint_register",
    "default_projections",
    "engine_for",
    "repair_register",
    "technician_queue",
    "timers_due",
]
