"""Where the benchmarks store events: a SQLite file, or fresh PostgreSQL schemas, per run.

Each backend gives propdesk a database URL and the bare peer an eventsourcing environment for
a *separate* database of the same kind (another SQLite file in the same temporary directory,
or another schema on the same PostgreSQL server), so that neither side's tables grow with the
other's events. The PostgreSQL schemas are created here and dropped on exit.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit
from uuid import uuid4

import propdesk

if TYPE_CHECKING:
    from collections.abc import Iterator

DEFAULT_POSTGRES_URL = "postgresql://propdesk:propdesk@127.0.0.1:5432/propdesk_test"


@dataclass(frozen=True)
class Backend:
    """One database kind, ready for both sides."""

    name: str
    """``sqlite`` or ``postgres``."""
    propdesk_url: str
    """The URL propdesk opens (tables already made with ``propdesk.init_schema``)."""
    bare_env: dict[str, str]
    """The bare application's persistence settings (it makes its own tables)."""
    where: str
    """A human description of where the data lives."""


@contextmanager
def open_backend(name: str, postgres_url: str) -> Iterator[Backend]:
    """Creates empty databases for both sides; removes them afterwards."""
    if name == "sqlite":
        with _sqlite_backend() as backend:
            yield backend
    elif name == "postgres":
        with _postgres_backend(postgres_url) as backend:
            yield backend
    else:
        raise ValueError(f"unknown backend {name!r}; use sqlite or postgres")


@contextmanager
def _sqlite_backend() -> Iterator[Backend]:
    with tempfile.TemporaryDirectory(prefix="propdesk-bench-") as directory:
        url = f"sqlite:///{directory}/propdesk.db"
        propdesk.init_schema(url)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": f"{directory}/bare.db",
        }
        yield Backend("sqlite", url, env, f"SQLite files in {directory}")


@contextmanager
def _postgres_backend(base_url: str) -> Iterator[Backend]:
    import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs the driver

    tag = uuid4().hex[:10]
    schemas = (f"bench_{tag}_propdesk", f"bench_{tag}_bare")
    with psycopg.connect(base_url, autocommit=True) as connection:
        for schema in schemas:
            connection.execute(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if urlsplit(base_url).query else "?"
        url = f"{base_url}{separator}schema={schemas[0]}"
        propdesk.init_schema(url)
        env = {**_postgres_env(base_url), "POSTGRES_SCHEMA": schemas[1]}
        yield Backend("postgres", url, env, f"PostgreSQL schemas {schemas[0]}, {schemas[1]}")
    finally:
        with psycopg.connect(base_url, autocommit=True) as connection:
            for schema in schemas:
                connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
    }


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL server at ``url`` cannot be used, or ``None`` when it can."""
    try:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs the driver

        with psycopg.connect(url, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means: skip, and say why
        return " ".join(f"{type(error).__name__}: {error}".split())
    return None


def postgres_version(url: str) -> str:
    """The server's version string, or why it is unknown."""
    try:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL backend needs the driver

        with psycopg.connect(url, connect_timeout=5) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except Exception as error:  # noqa: BLE001 - informational only
        return f"unavailable ({type(error).__name__})"
    return str(row[0]) if row else "unknown"


def machine_lines(postgres_url: str | None) -> list[str]:
    """What the figures were measured on."""
    lines = [
        (
            f"machine   : {platform.machine()}, {_cpu_model()}, nproc {os.cpu_count()},"
            f" {platform.system()} {platform.release()}"
        ),
        (
            f"software  : Python {platform.python_version()},"
            f" eventsourcing {version('eventsourcing')}, propdesk {propdesk.__version__},"
            f" pydantic {version('pydantic')}, structlog {version('structlog')}"
        ),
        f"databases : SQLite {sqlite3.sqlite_version}",
    ]
    revision = source_revision()
    if postgres_url is not None:
        lines[-1] += f", PostgreSQL server {postgres_version(postgres_url)} (local, loopback TCP)"
    lines.append(f"source    : {revision}")
    return lines


def machine_summary(postgres_url: str | None) -> str:
    """One line: cores, Python, eventsourcing, SQLite and PostgreSQL versions."""
    postgres = postgres_version(postgres_url) if postgres_url else "not used"
    return (
        f"nproc {os.cpu_count()}, Python {platform.python_version()}, eventsourcing"
        f" {version('eventsourcing')}, SQLite {sqlite3.sqlite_version}, PostgreSQL {postgres}"
    )


def source_revision() -> str:
    """The git commit the propdesk source was measured at, and whether ``src/`` had edits."""
    root = Path(__file__).resolve().parent.parent
    git = shutil.which("git")
    if git is None:
        return "unknown (no git)"
    try:
        head = subprocess.run(  # noqa: S603 - a fixed, read-only git command
            [git, "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603 - a fixed, read-only git command
            [git, "-C", str(root), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"git {head}" + (" with uncommitted changes under src/" if dirty else "")


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: how busy the machine was besides us."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:  # noqa: PTH123 - a plain read
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def positive(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        msg = f"must be at least 1, not {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """``--backends``, ``--postgres-url`` and ``--quick``: what every benchmark script takes."""
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PROPDESK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a PostgreSQL database the benchmark may create and drop schemas in",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run for CI")


def parse_backend_options(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> argparse.Namespace:
    """Parses the command line and turns ``--backends`` into a checked list."""
    args = parser.parse_args(argv)
    args.backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = sorted(set(args.backends) - {"sqlite", "postgres"})
    if unknown or not args.backends:
        parser.error(f"--backends: use sqlite and/or postgres, not {', '.join(unknown) or 'none'}")
    return args


def schema_url(base_url: str, schema: str) -> str:
    """The propdesk URL of one schema in the PostgreSQL database at ``base_url``."""
    separator = "&" if urlsplit(base_url).query else "?"
    return f"{base_url}{separator}schema={schema}"


def source_fingerprint() -> str | None:
    """A digest of the propdesk source under ``src/`` as it is now, committed or not.

    Two equal digests mean the source did not change in between (a commit elsewhere in the
    repository does not count); ``None`` when git cannot say.
    """
    root = Path(__file__).resolve().parent.parent
    git = shutil.which("git")
    if git is None:
        return None
    commands = (
        ["rev-parse", "HEAD:src"],
        ["diff", "HEAD", "--", "src"],
        ["ls-files", "--others", "--exclude-standard", "--", "src"],
    )
    digest = hashlib.sha256()
    try:
        for command in commands:
            done = subprocess.run(  # noqa: S603 - fixed, read-only git commands
                [git, "-C", str(root), *command], capture_output=True, check=True
            )
            digest.update(done.stdout)
    except (OSError, subprocess.CalledProcessError):
        return None
    return digest.hexdigest()
