"""What the worker benchmark runs on: fresh PostgreSQL schemas, and ``propdesk worker`` processes.

- :class:`Schemas` creates ``bench_worker_<tag>_<label>`` schemas and drops every one of them
  when it closes, whatever happened in between.
- :class:`Fleet` starts ``propdesk worker`` processes on one schema, configured the way an
  operator would (``PROPDESK_WORKER_*`` environment variables), each logging to its own file;
  it watches their memory (``VmHWM`` and ``VmRSS`` from ``/proc/PID/status``) while they run,
  stops them with SIGTERM (SIGKILL after a grace period), notes the CPU time each used, and
  reads their logs for trouble.
- :func:`source_revision` reads the git revision from ``.git`` without running git.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self
from uuid import uuid4

import psycopg

from _backends import schema_url

if TYPE_CHECKING:
    from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent


class Schemas:
    """Fresh schemas on one PostgreSQL database, all dropped on close."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.tag = uuid4().hex[:8]
        self.made: list[str] = []

    def fresh(self, label: str) -> tuple[str, str]:
        """A new, empty schema: its name and the propdesk URL naming it."""
        name = f"bench_worker_{self.tag}_{label}"
        with psycopg.connect(self.base_url, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {name}")
        self.made.append(name)
        return name, schema_url(self.base_url, name)

    def drop(self, name: str) -> None:
        """Drops one schema now (a part that is finished with it)."""
        with psycopg.connect(self.base_url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        if name in self.made:
            self.made.remove(name)

    def close(self) -> list[str]:
        """Drops every schema still there; returns the ones that could not be dropped."""
        failed = []
        for name in list(self.made):
            try:
                self.drop(name)
            except psycopg.Error as error:
                failed.append(f"{name}: {' '.join(str(error).split())}")
        return failed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for line in self.close():
            print(f"could not drop schema {line}", file=sys.stderr)


def worker_command() -> list[str]:
    """``propdesk worker`` from the same virtual environment as this interpreter."""
    script = Path(sys.executable).with_name("propdesk")
    if script.exists():
        return [str(script), "worker"]
    run = "import sys; from propdesk.cli.main import main; sys.exit(main())"
    return [sys.executable, "-c", run, "worker"]


@dataclass
class Memory:
    """One worker process's memory, from ``/proc/PID/status`` (KiB)."""

    peak_kib: int = 0
    """``VmHWM``: the peak resident set size over the process's life."""
    rss_max_kib: int = 0
    """The largest ``VmRSS`` seen while sampling."""
    rss_last_kib: int = 0
    samples: int = 0


@dataclass
class Trouble:
    """What the workers' logs say went wrong."""

    tick_failures: int = 0
    overruns: int = 0
    """Ticks APScheduler skipped because the one before was still running."""
    refused: int = 0
    errors: int = 0
    lines: list[str] = field(default_factory=list)
    """The first few such entries, for the report."""


def _cpu_seconds(pid: int) -> float:
    """The user and system CPU time a process has used so far (``/proc/PID/stat``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # noqa: PTH123 - /proc
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int]:
    """All cores' busy and total time so far, in clock ticks (``/proc/stat``)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:  # noqa: PTH123 - /proc
            ticks = [int(n) for n in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and iowait
    return sum(ticks) - idle, sum(ticks)


def _status_kib(pid: int) -> dict[str, int]:
    found = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:  # noqa: PTH123 - /proc
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    found[key] = int(value.split()[0])
    except (OSError, ValueError):
        return {}
    return found


class Fleet:
    """``count`` worker processes on one database, started at once; a context manager."""

    def __init__(
        self, url: str, count: int, *, logs: Path, label: str, settings: dict[str, str]
    ) -> None:
        self.url = url
        self.count = count
        self.label = label
        self.settings = settings
        self.logs = [logs / f"{label}-worker-{n}.log" for n in range(count)]
        self.processes: list[subprocess.Popen[bytes]] = []
        self.memory: list[Memory] = []
        self.cpu_seconds: list[float] = []
        """Each worker's CPU time (user and system), read just before it was stopped."""
        self.started = 0.0
        """``time.time()`` when the processes were spawned."""
        self._sampling = threading.Event()
        self._sampler: threading.Thread | None = None

    def start(self) -> None:
        """Spawns the workers and starts sampling their memory."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("PROPDESK_WORKER_")}
        self.started = time.time()
        for number, log in enumerate(self.logs):
            env = {
                **base,
                "PROPDESK_WORKER_DATABASE_URL": self.url,
                "PROPDESK_WORKER_WORKER_ID": f"bench-{self.label}-{number}",
                "PROPDESK_WORKER_QUIET_START": "",
                "PROPDESK_WORKER_QUIET_END": "",
                **{f"PROPDESK_WORKER_{k.upper()}": v for k, v in self.settings.items()},
            }
            with log.open("wb") as sink:
                self.processes.append(
                    subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
                        worker_command(),
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                        cwd=ROOT,
                    )
                )
            self.memory.append(Memory())
        self._sampler = threading.Thread(target=self._sample, name="memory", daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._sampling.wait(0.25):
            self.sample()

    def sample(self) -> None:
        """Reads each running worker's memory once."""
        for process, memory in zip(self.processes, self.memory, strict=True):
            if process.poll() is not None:
                continue
            found = _status_kib(process.pid)
            if not found:
                continue
            memory.peak_kib = max(memory.peak_kib, found.get("VmHWM", 0))
            memory.rss_last_kib = found.get("VmRSS", 0)
            memory.rss_max_kib = max(memory.rss_max_kib, memory.rss_last_kib)
            memory.samples += 1

    def wait_ready(self, timeout: float) -> float:
        """Waits until every worker has logged ``worker started``; returns when (``time.time``).

        Raises:
            RuntimeError: a worker exited, or did not start within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        waiting = set(range(self.count))
        while waiting:
            for number in list(waiting):
                if '"worker started"' in self.logs[number].read_text("utf-8", "replace"):
                    waiting.discard(number)
                elif self.processes[number].poll() is not None:
                    raise RuntimeError(f"worker {number} exited: {self.tail(number)}")
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"workers {sorted(waiting)} not started in {timeout:.0f} s")
            if waiting:
                time.sleep(0.05)
        return time.time()

    def check_alive(self) -> None:
        """Raises ``RuntimeError`` if a worker has exited."""
        for number, process in enumerate(self.processes):
            if process.poll() is not None:
                raise RuntimeError(f"worker {number} exited early: {self.tail(number)}")

    def tail(self, number: int, lines: int = 5) -> str:
        """The last lines of one worker's log, on one line."""
        text = self.logs[number].read_text("utf-8", "replace").strip().splitlines()
        return " | ".join(text[-lines:])[-1500:]

    def stop(self) -> list[int | None]:
        """SIGTERM to every worker, SIGKILL to any still there after 20 s; their exit codes."""
        self.sample()
        self.cpu_seconds = [_cpu_seconds(process.pid) for process in self.processes]
        self._sampling.set()
        if self._sampler is not None:
            self._sampler.join(timeout=5)
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for process in self.processes:
            try:
                codes.append(process.wait(timeout=20))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
                codes.append(None)
        return codes

    def trouble(self) -> Trouble:
        """Failed ticks, refused commands and errors the workers logged."""
        found = Trouble()
        for log in self.logs:
            for line in log.read_text("utf-8", "replace").splitlines():
                if "maximum number of running instances reached" in line:
                    found.overruns += 1  # APScheduler's own (plain-text) warning
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    entry = {"event": line, "level": "error"}
                event, level = str(entry.get("event")), str(entry.get("level"))
                if event == "tick failed; trying again later":
                    found.tick_failures += 1
                elif event == "command refused":
                    found.refused += 1
                elif level in ("error", "critical"):
                    found.errors += 1
                else:
                    continue
                if len(found.lines) < 5:
                    found.lines.append(f"{log.name}: {line[:300]}")
        return found

    def peak_kib(self) -> int:
        """The highest ``VmHWM`` of any of the workers."""
        return max((memory.peak_kib for memory in self.memory), default=0)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if any(process.poll() is None for process in self.processes):
            self.stop()


def source_revision() -> str:
    """The commit ``.git/HEAD`` names, read from the files (no git command is run)."""
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text("ascii").strip()
        if not head.startswith("ref: "):
            return f"git {head[:12]} (detached)"
        ref = head.removeprefix("ref: ")
        loose = git / ref
        if loose.exists():
            return f"git {loose.read_text('ascii').strip()[:12]} ({ref})"
        for line in (git / "packed-refs").read_text("ascii").splitlines():
            if line.endswith(f" {ref}"):
                return f"git {line.split()[0][:12]} ({ref})"
    except OSError:
        pass
    return "unknown (no readable .git)"
