"""The fee's own story (R24): handed to finance within its hours and settled with a receipt."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from propdesk.demo.cast import FINANCE_HOURS
from propdesk.demo.engine import Step, minutes_after
from propdesk.domain import commands as c

if TYPE_CHECKING:
    from decimal import Decimal
    from uuid import UUID

    from propdesk.demo.cast import Cast
    from propdesk.demo.engine import Engine, Process


class FeeStory:
    """R24, alongside the main story: the fee goes to finance and is booked."""

    def __init__(
        self,
        engine: Engine,
        cast: Cast,
        ticket: UUID,
        *,
        collector: str,
        amount: Decimal,
        seed: int,
    ) -> None:
        self.engine = engine
        self.cast = cast
        self.ticket = ticket
        self.collector = collector
        self.amount = amount
        self.rng = random.Random(seed)

    def run(self) -> Process:
        """Hands the fee over within finance's hours, and finance settles it soon after."""
        now = self.engine.now()
        at = self.cast.within(minutes_after(self.rng, now, 15, 60), *FINANCE_HOURS)
        if at.astimezone(self.cast.zone).time() == FINANCE_HOURS[0]:
            at = minutes_after(self.rng, at, 0, 30)
        handover = c.HandOverFee(ticket_id=self.ticket, actor=self.collector, amount=self.amount)
        yield Step(at, handover)
        at = minutes_after(self.rng, self.engine.now(), 5, 25)
        day = at.astimezone(self.cast.zone)
        receipt = f"SJ{day:%Y%m%d}-{next(self.engine.receipts):04d}"
        settle = c.SettleFee(
            ticket_id=self.ticket,
            actor=self.cast.finance.id,
            amount=self.amount,
            receipt_no=receipt,
        )
        yield Step(at, settle)
