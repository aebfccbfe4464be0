"""``propdesk worker``: run the SLA worker, forever or for one tick (``--once``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from propdesk.cli.common import require_existing_database
from propdesk.worker import configure_logging, load_settings, run_forever, run_once

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class WorkerOptions:
    """What the command line says; the rest comes from the environment or ``--env-file``."""

    once: bool
    env_file: Path | None
    database_url: str | None
    organisations: tuple[Path, ...]
    verbose: bool


def run_worker(options: WorkerOptions) -> int:
    """Validates the settings, configures JSON logging, and runs the worker."""
    overrides: dict[str, object] = {}
    if options.database_url:
        overrides["database_url"] = options.database_url
    if options.organisations:
        overrides["organisations"] = options.organisations
    settings = load_settings(options.env_file, **overrides)
    configure_logging(logging.DEBUG if options.verbose else logging.INFO)
    require_existing_database(settings.database_url)
    return run_once(settings) if options.once else run_forever(settings)
