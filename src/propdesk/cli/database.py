"""Database chores: ``propdesk db init``, and the demo's fresh database."""

from __future__ import annotations

from pathlib import Path

from propdesk.application.desk import open_desk
from propdesk.cli.common import CliError
from propdesk.domain.errors import DatabaseNotInitialised
from propdesk.persistence.config import parse_url
from propdesk.persistence.store import init_schema

DEMO_URL = "sqlite:///propdesk-demo.db"
"""The demo's own database, recreated on every run."""

_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def initialise(url: str) -> str:
    """Creates the propdesk tables at ``url`` unless they exist; says what it did."""
    config = parse_url(url)
    if config.in_memory:
        return f"{config.safe_url} is in memory: its tables are made when it opens; nothing to do."
    try:
        open_desk(url, organisations=(), cache_size=0).close()
    except DatabaseNotInitialised:
        init_schema(url)
        open_desk(url, organisations=(), cache_size=0).close()
        return f"Created the propdesk tables in {config.safe_url} ({config.backend})."
    return f"{config.safe_url} ({config.backend}) already has the propdesk tables; nothing to do."


def prepare_demo_database(url: str) -> None:
    """Makes ``url`` an initialised, empty database for the demo.

    The demo's own file (:data:`DEMO_URL`) is deleted and made again. Any other database is
    initialised if needed and must hold no tickets, so the demo never mixes with real data.

    Raises:
        CliError: a database other than the demo's own already holds tickets.
    """
    if url == DEMO_URL:
        path = parse_url(url).settings["SQLITE_DBNAME"]
        for suffix in _SQLITE_COMPANIONS:
            Path(path + suffix).unlink(missing_ok=True)
    init_schema(url)
    with open_desk(url, organisations=(), cache_size=0) as desk:
        holds_tickets = next(iter(desk.ticket_ids()), None) is not None
    if holds_tickets:
        raise CliError(
            f"the database at {desk.url} already holds tickets; the demo needs an empty one. "
            f"Give a new --db, or leave --db out to use {DEMO_URL}, which the demo recreates"
        )
