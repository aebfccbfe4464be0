"""The worker as a program: logging, the scheduler, signals. ``propdesk worker`` runs this.

This is the one place propdesk configures logging: structlog renders JSON lines on standard
error, one per entry, with the ticket id bound where there is one. The library itself only
ever logs through structlog and leaves the configuration to the program that uses it.

APScheduler 3 ticks the worker in-process: one interval job, never two runs at once
(``max_instances=1``), missed runs merged into one (``coalesce``). APScheduler keeps no
state: the schedule that matters is the agenda table in the database, which every worker
shares. (APScheduler's own job stores cannot be shared between processes; see
``docs/explanation/sla-worker.md``.)
"""

from __future__ import annotations

import logging
import signal
import sys
from typing import TYPE_CHECKING

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from propdesk.application.clock import SystemClock
from propdesk.application.configuration import default_policy, load_organisation, load_policy
from propdesk.application.desk import open_desk
from propdesk.persistence.config import with_connect_timeout
from propdesk.testing import sample_organisation
from propdesk.worker.metrics import Metrics
from propdesk.worker.notifiers import LogNotifier, Notifier, WebhookNotifier
from propdesk.worker.service import SlaWorker
from propdesk.worker.settings import NotifierKind, WorkerSettings

if TYPE_CHECKING:
    from types import FrameType

    from propdesk.application.clock import Clock

_log = structlog.get_logger("propdesk.worker")


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on standard error, at ``level`` and above: structlog's and the libraries'.

    The standard library's records (APScheduler's, httpx's) go through the same renderer, so
    every line is JSON. APScheduler's note that a tick was skipped because the last one is
    still running is dropped: one tick at a time is what the job asks for.
    """
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    render = structlog.processors.JSONRenderer(ensure_ascii=False)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, render],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
    )
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info, render],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )  # fmt: skip
    handler.addFilter(_not_a_skipped_tick)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for chatty in ("httpx", "apscheduler"):  # a line per request, three per tick
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))


def _not_a_skipped_tick(record: logging.LogRecord) -> bool:
    skipped = "maximum number of running instances" in str(record.msg)
    return not (record.name.startswith("apscheduler") and skipped)


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written (a test may have swapped it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def open_worker(
    settings: WorkerSettings, *, clock: Clock | None = None, notifier: Notifier | None = None
) -> SlaWorker:
    """A worker for these settings (its desk, projector and notifier opened).

    Raises:
        ConfigurationError: an organisation or policy file is unusable, or the database URL.
        DatabaseNotInitialised: the database has no propdesk tables (``propdesk db init``).
    """
    clock = clock or SystemClock()
    url = with_connect_timeout(settings.database_url, settings.database_connect_timeout_seconds)
    settings = settings.model_copy(update={"database_url": url})
    organisations = [load_organisation(path) for path in settings.organisations]
    policy = load_policy(settings.policy) if settings.policy else default_policy()
    desk = open_desk(
        settings.database_url, organisations=organisations or [sample_organisation()],
        clock=clock, policy=policy,
    )  # fmt: skip
    if notifier is None:
        notifier = LogNotifier()
        if settings.notifier is NotifierKind.WEBHOOK and settings.webhook_url is not None:
            notifier = WebhookNotifier(
                str(settings.webhook_url), timeout=settings.webhook_timeout_seconds
            )
    try:
        return SlaWorker(settings, desk=desk, notifier=notifier, clock=clock)
    except BaseException:
        desk.close()
        raise


def run_once(settings: WorkerSettings) -> int:
    """One tick, then exit: 0 if it went through, 1 if it could not reach the database."""
    worker = open_worker(settings)
    try:
        report = worker.tick()
    finally:
        worker.close()
    _log.info("tick done", handled=report.handled, outcomes=report.outcomes, sent=report.sent,
              held_lock=report.held_lock, error=report.error)  # fmt: skip
    return 1 if report.error else 0


def run_forever(settings: WorkerSettings) -> int:
    """Ticks every ``tick_seconds`` until SIGTERM or SIGINT; then stops cleanly.

    On a signal the running tick gives back what it has claimed and ends, the scheduler
    waits for it, the SQLite worker lock is released, and the process exits with 0.
    """
    worker = open_worker(settings)
    if settings.metrics_port is not None:
        worker.metrics = Metrics()
        worker.metrics.serve(settings.metrics_port, settings.metrics_address)
    scheduler = BlockingScheduler(executors={"default": ThreadPoolExecutor(max_workers=1)})
    scheduler.add_job(
        worker.tick, IntervalTrigger(seconds=settings.tick_seconds), id="sla-tick",
        max_instances=1, coalesce=True, misfire_grace_time=None,
    )  # fmt: skip

    def stop(signum: int, frame: FrameType | None) -> None:
        del frame
        _log.info("stopping", signal=signal.Signals(signum).name)
        worker.stop()  # the running tick gives back what it holds and ends early
        scheduler.shutdown(wait=True)  # waits for it

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _log.info("worker started", worker_id=worker.owner, tick_seconds=settings.tick_seconds,
              database=_redacted(settings.database_url))  # fmt: skip
    try:
        scheduler.start()
    finally:
        worker.close()
        _log.info("worker stopped", worker_id=worker.owner)
    return 0


def _redacted(url: str) -> str:
    """The URL without its password, for the log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable URL)"
