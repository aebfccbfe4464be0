"""What the subcommands share: the database URL default, the organisation, consoles, errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from propdesk.application.configuration import load_organisation
from propdesk.persistence.config import DEFAULT_URL, parse_url
from propdesk.testing import sample_organisation

if TYPE_CHECKING:
    from propdesk.domain.organisation import Organisation

DATABASE_URL_VARIABLE = "PROPDESK_DATABASE_URL"
"""The environment variable that names the database when ``--db`` is not given."""


class CliError(Exception):
    """A problem with what was asked on the command line; printed as one line, exit code 2."""


def database_url(given: str | None) -> str:
    """The ``--db`` URL, else ``$PROPDESK_DATABASE_URL``, else ``sqlite:///propdesk.db``."""
    return given or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_URL


def require_existing_database(url: str) -> None:
    """Refuses a SQLite file that does not exist, rather than creating an empty one to read.

    Raises:
        CliError: the URL names a SQLite file that is not there.
    """
    config = parse_url(url)
    if config.backend == "sqlite" and not config.in_memory:
        path = Path(config.settings["SQLITE_DBNAME"])
        if not path.exists():
            raise CliError(
                f"no database at {url}: {path} does not exist "
                f"(create one with `propdesk db init --db {url}`)"
            )


def organisation_from(path: Path | None) -> Organisation:
    """The organisation in the TOML file at ``path``, or the sample estate 翠苑花园."""
    return sample_organisation() if path is None else load_organisation(path)


def stdout_console(pipe_width: int = 100) -> Console:
    """A console on standard output, as wide as the terminal, or ``pipe_width`` in a pipe."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=pipe_width)
    return console
