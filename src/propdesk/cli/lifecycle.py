"""``propdesk lifecycle``: a ticket kind's lifecycle as a Mermaid diagram or as a table."""

from __future__ import annotations

from typing import Literal

from rich.table import Table

from propdesk.domain.authority import AUTHORITY
from propdesk.domain.complaint_authority import COMPLAINT_AUTHORITY
from propdesk.domain.complaint_lifecycle import COMPLAINT_LIFECYCLE, complaint_mermaid
from propdesk.domain.lifecycle import LIFECYCLE, mermaid

FORMATS = ("mermaid", "table")
KINDS = ("repair", "complaint")
Kind = Literal["repair", "complaint"]


def lifecycle_text(kind: Kind = "repair") -> str:
    """The Mermaid ``stateDiagram-v2`` generated from the kind's lifecycle table."""
    return complaint_mermaid() if kind == "complaint" else mermaid()


def lifecycle_table(kind: Kind = "repair") -> Table:
    """Each step: where it leaves from, where it goes, the command, who may ask, the seed rule."""
    title = (
        "Complaint lifecycle (seed-spec §3.2)" if kind == "complaint"
        else "Repair lifecycle (seed-spec §3.1)"
    )  # fmt: skip
    table = Table(title=f"[bold]{title}[/bold]", title_justify="left")
    table.add_column("Step", no_wrap=True)
    table.add_column("From", no_wrap=True)
    table.add_column("To", no_wrap=True)
    table.add_column("Who may ask", overflow="fold")
    table.add_column("Seed", overflow="fold")
    steps = COMPLAINT_LIFECYCLE if kind == "complaint" else LIFECYCLE
    for step in steps:
        table.add_row(
            step.trigger,
            "\n".join(step.sources),
            step.dest or "(stays)",
            _who(step.command, kind),
            step.seed,
        )
    return table


def _who(command: str, kind: Kind) -> str:
    if kind == "complaint":
        complaint_rule = COMPLAINT_AUTHORITY[command]
        who = sorted(role.value for role in complaint_rule.roles)
        return "\n".join([*who, *(["the handler"] if complaint_rule.handler else [])])
    rule = AUTHORITY[command]
    if rule.acceptor_only:
        return "the acceptor"
    return "\n".join(sorted(role.value for role in rule.roles))
