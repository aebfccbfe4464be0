"""``propdesk projections status | catch-up | rebuild NAME``: the read models' upkeep."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from propdesk.cli.common import require_existing_database, stdout_console
from propdesk.projections import Projector

if TYPE_CHECKING:
    from propdesk.projections import ProjectionStatus


def show_status(url: str) -> int:
    """Prints each projection's generation, position and lag behind the store."""
    require_existing_database(url)
    with Projector(url) as projector:
        rows = projector.status()
    stdout_console().print(status_table(rows))
    return 0


def catch_up(url: str, names: list[str]) -> int:
    """Applies every event the projections have not applied yet; prints how many."""
    require_existing_database(url)
    with Projector(url) as projector:
        applied = projector.catch_up(names or None)
        rows = projector.status()
    for name, count in applied.items():
        print(f"{name}: applied {count} notifications")
    stdout_console().print(status_table(rows))
    return 0


def rebuild(url: str, names: list[str], *, processes: int = 1) -> int:
    """Rebuilds projections (all if none named) from the first event, then swaps them in.

    ``processes`` work out the rows (see :class:`Projector`'s ``rebuild_processes``).
    """
    require_existing_database(url)
    with Projector(url, rebuild_processes=processes) as projector:
        position = projector.rebuild(*names)
        rows = projector.status()
    print(f"{', '.join(names) or 'every projection'}: rebuilt up to notification {position}")
    stdout_console().print(status_table(rows))
    return 0


def status_table(rows: list[ProjectionStatus]) -> Table:
    """Projection, generation, position, head, lag and last update."""
    table = Table(title="[bold]Projections[/bold]", title_justify="left")
    for heading in ("Projection", "Generation", "Position", "Head", "Lag", "Updated (UTC)"):
        table.add_column(heading, justify="left" if heading == "Projection" else "right")
    for row in rows:
        table.add_row(
            row.name, str(row.generation), str(row.position), str(row.head), str(row.lag),
            f"{row.updated_at:%Y-%m-%d %H:%M:%S}",
        )  # fmt: skip
    return table
