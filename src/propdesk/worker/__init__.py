"""The SLA worker (issue 5): watches every running goal's deadline and acts on it.

It warns, records breaches, climbs the escalation ladder, re-dispatches rescheduled visits,
raises callbacks and passes overdue complaints to the office head: each an ordinary,
idempotent command on the ticket. Notifications follow from the stored events through an
outbox. See ``docs/how-to/run-the-worker.md`` and ``docs/explanation/sla-worker.md``.

Needs the ``worker`` extra (``pip install 'propdesk[worker]'``).
"""

from propdesk.worker.notifiers import (
    DeliveryFailed,
    DeliveryRejected,
    LogNotifier,
    Notice,
    Notifier,
    WebhookNotifier,
)
from propdesk.worker.program import configure_logging, open_worker, run_forever, run_once
from propdesk.worker.service import SlaWorker, TickReport
from propdesk.worker.settings import FollowUp, NotifierKind, WorkerSettings, load_settings

__all__ = [
    "DeliveryFailed",
    "DeliveryRejected",
    "FollowUp",
    "LogNotifier",
    "Notice",
    "Notifier",
    "NotifierKind",
    "SlaWorker",
    "TickReport",
    "WebhookNotifier",
    "WorkerSettings",
    "configure_logging",
    "load_settings",
    "open_worker",
    "run_forever",
    "run_once",
]
