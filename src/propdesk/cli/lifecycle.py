"""``propdesk lifecycle``: the repair lifecycle as a Mermaid diagram or as a table."""

from __future__ import annotations

from rich.table import Table

from propdesk.domain.authority import AUTHORITY
from propdesk.domain.lifecycle import LIFECYCLE, mermaid

FORMATS = ("mermaid", "table")


def lifecycle_text() -> str:
    """The Mermaid ``stateDiagram-v2`` generated from the lifecycle table."""
    return mermaid()


def lifecycle_table() -> Table:
    """Each step: where it leaves from, where it goes, the command, who may ask, the seed rule."""
    table = Table(title="[bold]Repair lifecycle (seed-spec §3.1)[/bold]", title_justify="left")
    table.add_column("Step", no_wrap=True)
    table.add_column("From", no_wrap=True)
    table.add_column("To", no_wrap=True)
    table.add_column("Who may ask", overflow="fold")
    table.add_column("Seed", overflow="fold")
    for step in LIFECYCLE:
        table.add_row(
            step.trigger,
            "\n".join(step.sources),
            step.dest or "(stays)",
            _who(step.command),
            step.seed,
        )
    return table


def _who(command: str) -> str:
    rule = AUTHORITY[command]
    if rule.acceptor_only:
        return "the acceptor"
    return "\n".join(sorted(role.value for role in rule.roles))
