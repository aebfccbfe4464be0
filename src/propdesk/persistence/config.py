"""Database URLs, and the eventsourcing settings each one stands for.

=========================================  ==========================================
URL                                        Store
=========================================  ==========================================
``sqlite:///relative/path.db``             SQLite file (the default: ``sqlite:///propdesk.db``)
``sqlite:////absolute/path.db``            SQLite file
``sqlite:///:memory:``, ``memory://``      in memory, for tests; tables made on open
``postgresql://user:pw@host:5432/dbname``  PostgreSQL; ``?schema=name`` picks a schema
=========================================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from propdesk.domain.errors import ConfigurationError

DEFAULT_URL = "sqlite:///propdesk.db"


@dataclass(frozen=True)
class StoreConfig:
    """What a URL means for the event store."""

    url: str
    backend: str
    """``memory``, ``sqlite`` or ``postgres``."""
    settings: dict[str, str]
    """eventsourcing environment settings, without the table-creation switch."""

    @property
    def in_memory(self) -> bool:
        """Whether the store lives only as long as the process (tables are made on open)."""
        return self.backend == "memory" or self.settings.get("SQLITE_DBNAME") == ":memory:"

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()


SQLITE_LOCK_TIMEOUT = 30
"""Seconds a SQLite writer waits for the database's one write lock before giving up.

The desk shares that lock with the read side's projectors (and other desks on the file);
eventsourcing's own default, 5 seconds, is short for a busy file."""


def with_connect_timeout(url: str, seconds: int) -> str:
    """A PostgreSQL URL that gives up connecting after ``seconds``, unless it says otherwise.

    Other URLs come back unchanged.
    """
    parts = urlsplit(url)
    if not parts.scheme.lower().startswith("postgres") or "connect_timeout" in parse_qs(
        parts.query
    ):
        return url
    query = (
        f"{parts.query}&connect_timeout={seconds}" if parts.query else f"connect_timeout={seconds}"
    )
    return urlunsplit(parts._replace(query=query))


def _seconds(url: str, text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(f"connect_timeout in {url!r} must be a whole number of seconds")
    return int(text)


def parse_url(url: str) -> StoreConfig:
    """Reads a database URL; raises :class:`ConfigurationError` for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return StoreConfig(url, "memory", {"PERSISTENCE_MODULE": "eventsourcing.popo"})
    if scheme == "sqlite":
        path = unquote(parts.path.removeprefix("/"))
        if parts.netloc or not path:
            raise ConfigurationError(
                f"SQLite URL {url!r} needs a path: sqlite:///relative.db, sqlite:////abs.db "
                "or sqlite:///:memory:"
            )
        settings = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT),
        }  # fmt: skip
        return StoreConfig(url, "sqlite", settings)
    if scheme in {"postgresql", "postgres", "postgresql+psycopg"}:
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise ConfigurationError(f"PostgreSQL URL {url!r} names no database")
        settings = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
        query = parse_qs(parts.query)
        if "schema" in query:
            settings["POSTGRES_SCHEMA"] = query["schema"][0]
        if "connect_timeout" in query:
            settings["POSTGRES_CONNECT_TIMEOUT"] = str(_seconds(url, query["connect_timeout"][0]))
        return StoreConfig(url, "postgres", settings)
    raise ConfigurationError(
        f"unsupported database URL {url!r}; use sqlite:///path, postgresql://... or memory://"
    )
