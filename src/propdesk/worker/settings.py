"""The SLA worker's settings: from the environment (``PROPDESK_WORKER_*``) or a file.

Every value is validated by pydantic when the worker starts, so a typo stops it with a clear
message instead of a worker that silently does nothing. ``workers/worker.env.example`` lists
them all with their defaults.
"""

from __future__ import annotations

import os
import socket
from datetime import time
from enum import StrEnum
from pathlib import Path  # noqa: TC003 - pydantic reads the annotations at run time
from typing import Annotated, Any, Self

from pydantic import AnyHttpUrl, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from propdesk.domain.errors import ConfigurationError


class FollowUp(StrEnum):
    """What a worker does at a goal's deadline besides recording the breach."""

    ESCALATE_DISPATCH = "escalate_dispatch"
    """The acceptor did not arrive in time: the dispatch climbs to their superior."""
    REDISPATCH = "redispatch"
    """A rescheduled visit: re-dispatch to whom it was booked with, before the breach."""
    ESCALATE_OVERDUE = "escalate_overdue"
    """A complaint not handled in time: passed to the office head (管理处主任)."""


DEFAULT_FOLLOW_UPS = {
    "arrive_asap": FollowUp.ESCALATE_DISPATCH,
    "arrive_before_appointment": FollowUp.ESCALATE_DISPATCH,
    "redispatch_before_visit": FollowUp.REDISPATCH,
}
"""The seeds' follow-ups: 逐级派工 when nobody arrives (S0 §4.1.2.5-6), and the re-dispatch
30 minutes before a rescheduled visit (T14, S0:L15). Complaints: see
``escalate_overdue_complaints``."""

DEFAULT_URGENT_GOALS = frozenset({"arrive_asap", "urgent_to_specialty"})
"""Goals whose breach is told at once, even in quiet hours: the resident waiting for a
technician now (T06), and an urgent complaint (紧急投诉, T42)."""


class NotifierKind(StrEnum):
    """Where notifications go."""

    LOG = "log"
    WEBHOOK = "webhook"


PositiveSeconds = Annotated[float, Field(gt=0)]


class WorkerSettings(BaseSettings):
    """Everything the worker needs to know, with the defaults one desk on SQLite wants."""

    model_config = SettingsConfigDict(
        env_prefix="PROPDESK_WORKER_", env_file=None, extra="forbid", frozen=True
    )

    database_url: str = "sqlite:///propdesk.db"
    """The desk's database (``PROPDESK_WORKER_DATABASE_URL``)."""
    organisations: tuple[Path, ...] = ()
    """The estates' organisation files (TOML); the sample estate if none (a demo)."""
    policy: Path | None = None
    """The SLA policy new tickets are pinned to; the seeds' profile if not given."""
    worker_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}", min_length=1,
        max_length=128,
    )  # fmt: skip
    """Names this worker in leases and logs; the host and process id by default."""
    actor: str = "sla-monitor"
    """The person (with the ``sla_monitor`` role) the worker's commands are taken as."""

    tick_seconds: PositiveSeconds = 0.5
    """How often the worker looks for due work."""
    claim_batch: int = Field(default=200, ge=1, le=10_000)
    """Due deadlines one claim takes."""
    lease_seconds: PositiveSeconds = 60.0
    """How long a claim is held before another worker may take it over."""
    tick_budget_seconds: PositiveSeconds = 5.0
    """How long one tick keeps claiming, and sending, before it lets the next tick start:
    under a backlog, deadlines and notifications take turns, and stops stay prompt."""

    follow_ups: dict[str, FollowUp] = Field(default_factory=lambda: dict(DEFAULT_FOLLOW_UPS))
    """Goal name → what to do at its deadline besides recording the breach."""
    escalate_overdue_complaints: bool = True
    """Pass every overdue complaint goal to the office head (seeds: *may*, S2 §6.4)."""

    notifier: NotifierKind = NotifierKind.LOG
    webhook_url: AnyHttpUrl | None = None
    webhook_timeout_seconds: PositiveSeconds = 5.0
    send_batch: int = Field(default=100, ge=1, le=10_000)
    max_send_attempts: int = Field(default=10, ge=1)
    """After this many failures a notification is marked failed (a dead letter)."""
    retry_base_seconds: PositiveSeconds = 2.0
    retry_max_seconds: PositiveSeconds = 600.0

    quiet_start: time | None = time(22, 0)
    """Quiet hours begin (the estate's local time); ``None`` for none."""
    quiet_end: time | None = time(7, 0)
    urgent_goals: frozenset[str] = DEFAULT_URGENT_GOALS
    """Goals whose breaches are sent in quiet hours too."""

    database_retry_max_seconds: PositiveSeconds = 60.0
    """The longest wait between tries while the database is unreachable."""
    database_connect_timeout_seconds: int = Field(default=2, ge=1, le=60)
    """How long one try to connect to PostgreSQL waits (unless the URL has its own
    ``connect_timeout``): an outage then fails a tick in seconds, not minutes."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """Serve Prometheus metrics on this port (needs ``propdesk[metrics]``)."""
    metrics_address: str = "127.0.0.1"

    @field_validator("policy", "webhook_url", "quiet_start", "quiet_end", "metrics_port",
                     mode="before")  # fmt: skip
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """``PROPDESK_WORKER_QUIET_START=`` (empty) means none, as a missing value would."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.notifier is NotifierKind.WEBHOOK and self.webhook_url is None:
            raise ValueError("the webhook notifier needs webhook_url")
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet hours need both quiet_start and quiet_end, or neither")
        return self


def load_settings(env_file: Path | None = None, **overrides: object) -> WorkerSettings:
    """The worker's settings; ``overrides`` win over the environment, which wins over the file.

    Raises:
        ConfigurationError: a value is missing or invalid; the message names it.
    """
    try:
        make: Any = WorkerSettings  # pydantic-settings takes ``_env_file`` beside the fields
        settings: WorkerSettings = make(_env_file=env_file, **overrides)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise ConfigurationError(f"worker settings: {error}") from error
    return settings
