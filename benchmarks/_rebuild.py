"""Rebuilding the read models, against reading the same events raw; and the rebuild's memory.

- :func:`raw_read`: every notification read with the recorder's ``select_notifications`` in
  batches of the projector's rebuild batch size, each decoded with the store's mapper, and
  nothing else: the floor a rebuild cannot beat, since it does this and then writes.
- :func:`rebuild`: ``Projector(url, projections).rebuild()`` on a store with no projection
  tables yet (opening the projector makes the empty first generation, untimed; the rebuild
  fills the second and swaps it in). The timed part is the ``rebuild()`` call alone.
- :func:`paired`: the two in one process, the raw read immediately before the rebuild, on the
  same fresh database, so that the ratio compares like with like on a shared machine.
- :func:`measure_memory`: a rebuild of every projection in a fresh Python process (this file
  run as a script). Once the projector is open, the process's peak resident set size is
  reset to the current one (Linux's ``/proc/self/clear_refs``; importing and opening leave a
  higher transient peak than a small rebuild reaches), so the peak after the rebuild
  (``VmHWM``, what ``ru_maxrss`` reports for a process whose threads have not exited), less
  the resident set size when it began, is what the rebuild added. Where the reset is
  not possible the baseline is ``ru_maxrss`` after opening, and the growth is understated.
  Optionally the peak of ``tracemalloc`` (which slows the rebuild several times over, so it
  is a separate run).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from propdesk.persistence.store import open_store
from propdesk.projections import Projector
from propdesk.projections import runner as projection_runner

if TYPE_CHECKING:
    from collections.abc import Sequence

    from propdesk.projections.base import Projection

_FALLBACK_BATCH = 5000
_URL_VARIABLE = "PROPDESK_BENCH_REBUILD_URL"


@dataclass(frozen=True)
class Pass:
    """One pass over the store: how many events, in how long."""

    events: int
    seconds: float
    cpu_seconds: float
    """This process's CPU time (the database server's is not included)."""

    @property
    def rate(self) -> float:
        """Events per second of wall time."""
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_us_per_event(self) -> float:
        """This process's CPU time per event, in microseconds."""
        return 1e6 * self.cpu_seconds / self.events if self.events else 0.0


@dataclass(frozen=True)
class Paired:
    """A raw read and the rebuild right after it, on the same fresh database."""

    label: str
    """``all`` or the projection's name."""
    raw: Pass
    rebuild: Pass
    batch: int

    @property
    def ratio(self) -> float:
        """The rebuild's events per second over the raw read's."""
        return self.rebuild.rate / self.raw.rate if self.raw.rate else 0.0


def rebuild_batch(projector: Projector) -> int:
    """The number of notifications a rebuild of ``projector`` reads per batch."""
    size = getattr(projector, "_rebuild_batch", None)  # the projector's own setting, if kept
    if isinstance(size, int) and size > 0:
        return size
    return int(getattr(projection_runner, "DEFAULT_REBUILD_BATCH", _FALLBACK_BATCH))


def raw_read(url: str, batch: int) -> Pass:
    """Reads and decodes every stored event in batches of ``batch``; nothing else."""
    store, _ = open_store(url, cache_size=0)  # as the projector opens it
    try:
        recorder, mapper = store.recorder, store.mapper
        head = recorder.max_notification_id() or 0
        position = events = 0
        started, cpu = time.perf_counter(), time.process_time()
        while position < head:
            notifications = recorder.select_notifications(position + 1, batch, stop=head)
            if not notifications:
                break
            decoded = [mapper.to_domain_event(n) for n in notifications]
            events += len(decoded)
            position = notifications[-1].id
        return Pass(events, time.perf_counter() - started, time.process_time() - cpu)
    finally:
        store.close()


def rebuild(projector: Projector) -> Pass:
    """Times ``projector.rebuild()`` of every projection it keeps.

    Its CPU time includes the processes the rebuild started and waited for, if any.
    """
    started, cpu = time.perf_counter(), _cpu_with_children()
    position = projector.rebuild()
    return Pass(position, time.perf_counter() - started, _cpu_with_children() - cpu)


def _cpu_with_children() -> float:
    """This process's CPU time, and that of its children that have ended."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def open_projector(
    url: str, projections: Sequence[Projection] | None, processes: int = 1
) -> Projector:
    """A projector on ``url`` keeping ``projections`` (all the default ones if ``None``),
    whose rebuilds work out rows in ``processes`` processes."""
    if projections is None:
        return Projector(url, rebuild_processes=processes)
    return Projector(url, projections=projections, rebuild_processes=processes)


def paired(
    url: str, label: str, projections: Sequence[Projection] | None, processes: int = 1
) -> Paired:
    """The raw read, then the rebuild, on ``url`` (a fresh copy of the store)."""
    with open_projector(url, projections, processes) as projector:
        batch = rebuild_batch(projector)
        raw = raw_read(url, batch)
        rebuilt = rebuild(projector)
    if rebuilt.events != raw.events:
        msg = f"the rebuild reached notification {rebuilt.events}, the raw read {raw.events}"
        raise RuntimeError(msg)
    return Paired(label, raw, rebuilt, batch)


# ---------------------------------------------------------------------- memory


@dataclass(frozen=True)
class Memory:
    """The rebuild of every projection in a fresh process: its peak memory."""

    events: int
    seconds: float
    baseline_kib: int
    """Resident set size when the rebuild began (the projector open, garbage collected)."""
    peak_kib: int
    """Peak resident set size during the rebuild (``VmHWM`` after it, else ``ru_maxrss``)."""
    final_kib: int
    """Resident set size when the rebuild had returned."""
    opened_peak_kib: int
    """Peak resident set size before the rebuild: importing and opening the projector."""
    peak_reset: bool
    """Whether the peak was reset when the rebuild began (Linux ``/proc/self/clear_refs``);
    if not, ``baseline_kib`` is the peak before it, so the growth is understated."""
    traced_peak_kib: int | None = None
    """The peak of the memory Python allocated during the rebuild (``tracemalloc``)."""

    @property
    def growth_kib(self) -> int:
        """How far the rebuild raised the resident set size above where it began."""
        return self.peak_kib - self.baseline_kib


def measure_memory(url: str, *, traced: bool = False) -> Memory:
    """Rebuilds every projection at ``url`` in a fresh process; returns its memory figures.

    Raises:
        RuntimeError: the child process failed.
    """
    command = [sys.executable, str(Path(__file__).resolve())]
    if traced:
        command.append("--tracemalloc")
    environment = {**os.environ, _URL_VARIABLE: url}  # not in argv: it may hold a password
    done = subprocess.run(  # noqa: S603 - our own script
        command, capture_output=True, text=True, check=False, env=environment
    )
    if done.returncode != 0:
        msg = f"the memory run failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
        raise RuntimeError(msg)
    fields = json.loads(done.stdout.strip().splitlines()[-1])
    return Memory(**fields)


def _current_rss_kib() -> int:
    with Path("/proc/self/statm").open(encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


def _peak_rss_kib() -> int:
    """The peak resident set size: ``VmHWM``, which the reset lowers, else ``ru_maxrss``.

    ``ru_maxrss`` is the higher of ``VmHWM`` and the peak recorded when any thread of the
    process last exited, which the reset does not lower.
    """
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _reset_peak() -> bool:
    """Resets the process's peak resident set size to the current one (Linux 4.0 and later)."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def _child(url: str, *, traced: bool) -> Memory:
    """In the child: open the projector, reset the peak, rebuild, read the peak."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with Projector(url) as projector:
        gc.collect()
        opened_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        reset = _reset_peak()
        baseline = _current_rss_kib() if reset else opened_peak
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        position = projector.rebuild()
        seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] // 1024 if traced else None
        if traced:
            tracemalloc.stop()
        peak = _peak_rss_kib()
        final = _current_rss_kib()
    return Memory(position, seconds, baseline, peak, final, opened_peak, reset, traced_peak)


def main(argv: list[str] | None = None) -> int:
    """The memory run's child process: prints its figures as one JSON line.

    The database URL comes from the environment variable ``PROPDESK_BENCH_REBUILD_URL``.
    """
    parser = argparse.ArgumentParser(description="one rebuild of every projection")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    memory = _child(os.environ[_URL_VARIABLE], traced=args.tracemalloc)
    print(json.dumps(memory.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
