"""Where the worker's notifications go: a pluggable notifier, and the two propdesk ships.

A notifier delivers one :class:`Notice` or raises. The outbox (:mod:`propdesk.worker.outbox`)
calls it, and retries a failed delivery later with a growing wait, so a notifier never
retries or sleeps itself: its retries survive a restart of the worker.

- :class:`LogNotifier` writes each notice as a structlog entry (for a desk that reads logs,
  and for tests).
- :class:`WebhookNotifier` posts each notice as JSON to a URL, with the notice's key in an
  ``Idempotency-Key`` header (percent-encoded where it is not ASCII): a notice may be
  delivered more than once (a worker can die after the receiver answered and before it
  recorded the answer), and the key lets the receiver drop the repeat.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Protocol, Self
from urllib.parse import quote

import httpx
import structlog
from pydantic import BaseModel, ConfigDict

_log = structlog.get_logger("propdesk.worker.notifications")


class Notice(BaseModel):
    """One notification to one person, about one thing that happened to one ticket."""

    model_config = ConfigDict(frozen=True)

    key: str
    """Unique and stable: the ticket, the version of the event, and the recipient."""
    ticket_id: str
    kind: str
    estate: str
    event: str
    """What happened: ``GoalWarned``, ``GoalBreached``, ``Escalated``, ``Dispatched``,
    ``OverdueEscalated`` or ``CallbackRaised``."""
    goal: str | None
    due_at: datetime | None
    recipient: str
    """The person's id in the estate's organisation."""
    recipient_name: str
    role: str
    """Why they are told: the role the rule names, or ``acceptor`` / ``office_head``."""
    urgent: bool
    text: str
    """A line a person can read."""
    happened_at: datetime


class DeliveryFailed(Exception):
    """The notice was not delivered this time; the outbox tries again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """The receiver's own wait, in seconds, if it named one (``Retry-After``)."""


class DeliveryRejected(Exception):
    """The receiver refused the notice for good (a 4xx answer); it is not tried again."""


class Notifier(Protocol):
    """Delivers notices. Raise :class:`DeliveryFailed` or :class:`DeliveryRejected`."""

    def send(self, notice: Notice) -> None:
        """Delivers one notice, or raises."""
        ...

    def close(self) -> None:
        """Lets go of connections."""
        ...


class LogNotifier:
    """Logs each notice at info level, with its ticket id bound."""

    def send(self, notice: Notice) -> None:
        """Writes the notice to the log (its ``event`` field as ``about``)."""
        fields = notice.model_dump(mode="json")
        fields["about"] = fields.pop("event")
        _log.info("notification", **fields)

    def close(self) -> None:
        """Nothing to let go of."""


_RETRYABLE = frozenset({408, 425, 429})
"""4xx answers that mean "later", not "never"."""


class WebhookNotifier:
    """Posts each notice as JSON; 2xx is delivered, 5xx and 408/425/429 later, 4xx never."""

    def __init__(
        self, url: str, *, timeout: float = 5.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def send(self, notice: Notice) -> None:
        """Posts the notice.

        Raises:
            DeliveryFailed: no answer, or one that asks to try later.
            DeliveryRejected: a 4xx answer other than 408, 425 and 429.
        """
        try:
            answer = self._client.post(
                self.url,
                content=notice.model_dump_json(),
                headers={"Content-Type": "application/json", "Idempotency-Key": header_key(notice)},
            )
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if answer.is_success:
            return
        reason = f"{answer.status_code} {answer.reason_phrase} from {self.url}"
        if answer.is_server_error or answer.status_code in _RETRYABLE:
            raise DeliveryFailed(reason, retry_after=_retry_after(answer.headers))
        raise DeliveryRejected(reason)

    def close(self) -> None:
        """Closes the HTTP connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def header_key(notice: Notice) -> str:
    """The notice's key as an HTTP header can carry it: percent-encoded where not ASCII.

    Person ids may be Chinese; a plain ASCII key is sent unchanged.
    """
    return quote(notice.key, safe=":-_.~@")


def _retry_after(headers: httpx.Headers) -> float | None:
    """A ``Retry-After`` header in seconds (given as seconds or as an HTTP date), if any."""
    value = headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
