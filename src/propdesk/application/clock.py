"""Clocks: the only place where propdesk learns what time it is.

The desk asks its injected clock for the time of a command that carries no ``at``. The domain
never asks: it receives the time as an argument. Test clocks live in :mod:`propdesk.testing`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current time, with its zone."""

    def now(self) -> datetime:
        """The current time; must be timezone-aware."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)
