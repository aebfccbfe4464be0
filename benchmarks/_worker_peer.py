"""Scheduling deadlines: one APScheduler job per deadline, against propdesk's agenda and claims.

Both sides schedule the same number of deadlines, spread evenly over the same window, and
do the same trivial thing when one falls due (:func:`fired`: note the deadline and the time,
in memory), so that what differs is the scheduling machinery alone:

- **APScheduler 3** (the obvious alternative): a ``BackgroundScheduler`` with a
  ``SQLAlchemyJobStore`` on the same PostgreSQL server (its own table in its own schema), a
  thread pool of :data:`APS_THREADS`, ``misfire_grace_time`` of an hour (no job may be
  dropped; missed and failed jobs are counted all the same), one ``date`` job per deadline.
  The jobs are added while the scheduler is paused (so that it does not wake up for each
  one), then it is resumed.
- **propdesk**: the rows the agenda projection would write, inserted into the live agenda
  table with the projection's own ``insert_rows`` in transactions of the projector's batch
  size; then drained by one thread running the worker's loop (``_act_on_due``): claim a
  batch (``claims.claim``: a lease, ``FOR UPDATE SKIP LOCKED``), act on each, mark each done
  (``claims.finish``), and when nothing is due, sleep until the next tick.

Where the window starts is chosen after a calibration of each side's scheduling speed (a
thousand deadlines into a scratch table), so that scheduling ends before the first deadline.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from _worker_timers import agenda_table
from propdesk.projections import Projector
from propdesk.projections.base import insert_rows
from propdesk.projections.runner import DEFAULT_BATCH
from propdesk.worker import claims

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine, Table

APS_THREADS = 4
"""APScheduler's executor: a thread pool this big (its default is 10; the job is trivial)."""
GRACE_SECONDS = 3600
"""``misfire_grace_time``: late by less than this, a job still runs."""
CALIBRATION = 1000
CLAIM_BATCH = 200
"""The worker's default ``claim_batch``."""
LEASE = timedelta(seconds=60)

_fired: list[tuple[float, float]] = []
_fired_lock = threading.Lock()


def fired(due: float) -> None:
    """The action at a deadline, on both sides: note when it was due and when it ran."""
    now = time.time()
    with _fired_lock:
        _fired.append((due, now))


def _take_fired() -> list[tuple[float, float]]:
    with _fired_lock:
        taken = list(_fired)
        _fired.clear()
    return taken


def _count_fired() -> int:
    with _fired_lock:
        return len(_fired)


@dataclass
class Side:
    """What one side did with ``deadlines`` deadlines."""

    name: str
    deadlines: int
    calibration_rate: float = 0.0
    """Deadlines scheduled per second in the calibration."""
    schedule_seconds: float = 0.0
    window_start: float = 0.0
    window_end: float = 0.0
    scheduled_at: float = 0.0
    """``time.time()`` when scheduling ended."""
    last_fired: float = 0.0
    lateness: list[float] = field(default_factory=list)
    missed: int = 0
    errors: int = 0
    left: int = 0
    """Deadlines still scheduled (not fired) when the side stopped waiting."""
    duplicates: int = 0
    timed_out: bool = False

    @property
    def fired(self) -> int:
        """Deadlines acted on."""
        return len(self.lateness)

    @property
    def schedule_rate(self) -> float:
        """Deadlines scheduled per second."""
        return self.deadlines / self.schedule_seconds if self.schedule_seconds else 0.0

    @property
    def drain_after_window(self) -> float:
        """Seconds from the last deadline until the last one was acted on."""
        return self.last_fired - self.window_end

    @property
    def fire_seconds(self) -> float:
        """Seconds from the first deadline until the last one was acted on."""
        return self.last_fired - self.window_start


def _window(rate: float, deadlines: int, window: float, margin: float) -> tuple[float, float]:
    """Start and end (epoch) of a window that opens once scheduling at ``rate`` is done."""
    start = time.time() + 1.3 * deadlines / rate + margin
    return start, start + window


def _spread(deadlines: int, start: float, end: float) -> list[float]:
    step = (end - start) / max(deadlines - 1, 1)
    return [start + number * step for number in range(deadlines)]


def _collect(side: Side, dues: list[float], *, timeout: float, left: Callable[[], int]) -> None:
    """Waits until every deadline fired (or ``timeout``), then records the lateness."""
    limit = time.monotonic() + timeout + max(0.0, side.window_end - time.time())
    while _count_fired() < len(dues) and time.monotonic() < limit:
        time.sleep(0.2)
    side.timed_out = _count_fired() < len(dues)
    taken = _take_fired()
    side.lateness = [ran - due for due, ran in taken]
    side.last_fired = max((ran for _, ran in taken), default=0.0)
    side.duplicates = len(taken) - len({due for due, _ in taken})
    side.left = left()


# ---------------------------------------------------------------------- APScheduler


def _aps_url(base_url: str) -> str:
    return make_url(base_url).set(drivername="postgresql+psycopg").render_as_string(False)


def _aps_scheduler(engine: Engine, schema: str, table: str) -> BackgroundScheduler:
    store = SQLAlchemyJobStore(engine=engine, tablename=table, tableschema=schema)
    return BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_workers=APS_THREADS)},
        job_defaults={
            "misfire_grace_time": GRACE_SECONDS,
            "coalesce": False,
            "max_instances": 1,
        },
        timezone=UTC,
    )


def _aps_add(scheduler: BackgroundScheduler, dues: list[float]) -> None:
    for number, due in enumerate(dues):
        scheduler.add_job(
            fired,
            DateTrigger(run_date=datetime.fromtimestamp(due, UTC)),
            args=(due,),
            id=f"deadline-{number}",
        )


def run_apscheduler(
    base_url: str,
    schema: str,
    *,
    deadlines: int,
    window: float,
    margin: float,
    timeout: float,
    progress: Callable[[str], None],
) -> Side:
    """APScheduler's side, on ``schema`` (which must exist)."""
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # missed jobs are counted instead
    side = Side("APScheduler", deadlines)
    engine = create_engine(_aps_url(base_url))
    try:
        scratch = _aps_scheduler(engine, schema, "calibration_jobs")
        scratch.start(paused=True)
        sample = min(CALIBRATION, deadlines)
        began = time.perf_counter()
        _aps_add(scratch, [time.time() + 86_400.0] * sample)
        side.calibration_rate = sample / (time.perf_counter() - began)
        scratch.remove_all_jobs()
        scratch.shutdown(wait=True)
        side.window_start, side.window_end = _window(
            side.calibration_rate, deadlines, window, margin
        )
        dues = _spread(deadlines, side.window_start, side.window_end)
        scheduler = _aps_scheduler(engine, schema, "apscheduler_jobs")
        counts = {"missed": 0, "errors": 0}

        def listen(event: JobExecutionEvent) -> None:
            counts["missed" if event.code == EVENT_JOB_MISSED else "errors"] += 1

        scheduler.add_listener(listen, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        scheduler.start(paused=True)
        progress(f"  APScheduler: scheduling {deadlines:,} jobs")
        began = time.perf_counter()
        _aps_add(scheduler, dues)
        side.schedule_seconds = time.perf_counter() - began
        side.scheduled_at = time.time()
        with engine.begin() as connection:  # as the propdesk side's table is (untimed)
            connection.exec_driver_sql(f"ANALYZE {schema}.apscheduler_jobs")
        scheduler.resume()
        progress(f"  APScheduler: scheduled in {side.schedule_seconds:.1f} s; waiting")
        store: Any = scheduler._lookup_jobstore("default")  # noqa: SLF001 - to count what is left

        def left() -> int:
            with engine.connect() as connection:
                query = select(func.count()).select_from(store.jobs_t)
                return int(connection.execute(query).scalar_one())

        try:
            _collect(side, dues, timeout=timeout, left=left)
        finally:
            scheduler.shutdown(wait=True)
        side.missed, side.errors = counts["missed"], counts["errors"]
    finally:
        _take_fired()
        engine.dispose()
    return side


# ---------------------------------------------------------------------- propdesk


def _rows(dues: list[float]) -> list[dict[str, Any]]:
    rows = []
    for due in dues:
        moment = datetime.fromtimestamp(due, UTC)
        rows.append(
            {
                "ticket_id": str(uuid4()),
                "goal": "arrive_asap",
                "run": 1,
                "action": "due",
                "rank": 1,
                "kind": "repair",
                "fire_at": moment,
                "due_at": moment,
                "lease_owner": None,
                "lease_until": None,
                "attempts": 0,
                "done_at": None,
                "outcome": None,
                "detail": None,
            }
        )
    return rows


def _insert(projector: Projector, table: Table, rows: list[dict[str, Any]]) -> None:
    """As a catch-up writes them: ``insert_rows``, one transaction per batch."""
    for first in range(0, len(rows), DEFAULT_BATCH):
        with projector.engine.begin() as connection:
            insert_rows(connection, table, rows[first : first + DEFAULT_BATCH])


class _Drain(threading.Thread):
    """The worker's ``_act_on_due`` loop, with :func:`fired` for the commands."""

    def __init__(self, projector: Projector, tick: float) -> None:
        super().__init__(name="propdesk-drain", daemon=True)
        self.projector = projector
        self.tick = tick
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                self._act_on_due()
                self.stopping.wait(max(0.0, self.tick - (time.monotonic() - started)))
        except BaseException as error:  # noqa: BLE001 - reported by the caller
            self.error = error

    def _act_on_due(self) -> None:
        engine = self.projector.engine
        while not self.stopping.is_set():
            now = datetime.now(UTC)
            table = agenda_table(self.projector)
            claimed = claims.claim(
                engine, table, now=now, owner="bench", until=now + LEASE, batch=CLAIM_BATCH
            )
            if not claimed:
                return
            for deadline in claimed:
                fired(deadline.due_at.timestamp())
                claims.finish(
                    engine, table, deadline, owner="bench", now=datetime.now(UTC), outcome="acted"
                )


def run_propdesk(
    url: str,
    *,
    deadlines: int,
    window: float,
    margin: float,
    tick: float,
    timeout: float,
    progress: Callable[[str], None],
) -> Side:
    """propdesk's side, on the (initialised) database at ``url``."""
    side = Side("propdesk", deadlines)
    with Projector(url) as projector:
        table = agenda_table(projector)
        sample = min(CALIBRATION, deadlines)
        scratch = _rows([time.time() + 86_400.0] * sample)
        began = time.perf_counter()
        _insert(projector, table, scratch)
        side.calibration_rate = sample / (time.perf_counter() - began)
        with projector.engine.begin() as connection:
            connection.execute(table.delete())
        side.window_start, side.window_end = _window(
            side.calibration_rate, deadlines, window, margin
        )
        dues = _spread(deadlines, side.window_start, side.window_end)
        rows = _rows(dues)  # made before the clock starts: the events would carry them
        progress(f"  propdesk: inserting {deadlines:,} agenda rows")
        began = time.perf_counter()
        _insert(projector, table, rows)
        side.schedule_seconds = time.perf_counter() - began
        side.scheduled_at = time.time()
        with projector.engine.begin() as connection:
            connection.exec_driver_sql(f"ANALYZE {table.name}")
        progress(f"  propdesk: inserted in {side.schedule_seconds:.1f} s; waiting")
        drain = _Drain(projector, tick)
        drain.start()

        def left() -> int:
            with projector.engine.connect() as connection:
                query = select(func.count()).where(table.c.done_at.is_(None))
                return int(connection.execute(query).scalar_one())

        try:
            _collect(side, dues, timeout=timeout, left=left)
        finally:
            drain.stopping.set()
            drain.join(timeout=30)
            _take_fired()
        if drain.error is not None:
            side.errors += 1
            raise RuntimeError(f"the drain failed: {drain.error!r}") from drain.error
    return side
