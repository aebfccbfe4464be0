"""``propdesk history TICKET``: a ticket's audit trail, as a table or as JSON.

TICKET is a full id or a unique prefix of one. Owner names and phone numbers are shown as
``***`` unless asked for (seed-spec §7.1: personal data only where needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from propdesk.application.complaint_view import ComplaintView
from propdesk.application.desk import open_desk
from propdesk.application.views import HistoryEntry
from propdesk.cli.common import CliError, require_existing_database, stdout_console

if TYPE_CHECKING:
    from collections.abc import Iterable

    from propdesk.application.desk import Desk, TicketView
    from propdesk.domain.organisation import Organisation

_HISTORY_JSON = TypeAdapter(list[HistoryEntry])


@dataclass(frozen=True)
class HistoryOptions:
    """What ``propdesk history`` was asked for."""

    ticket: str
    url: str
    organisation: Organisation
    show_personal_data: bool = False
    as_json: bool = False


def show_history(options: HistoryOptions) -> int:
    """Prints the audit trail of one ticket; returns the exit code."""
    redact = not options.show_personal_data
    require_existing_database(options.url)
    with open_desk(options.url, organisations=[options.organisation], cache_size=0) as desk:
        ticket = resolve_ticket(desk, options.ticket)
        entries = desk.history(ticket, redact_personal_data=redact)
        if options.as_json:
            print(_HISTORY_JSON.dump_json(list(entries), indent=2).decode())
            return 0
        view = desk.view(ticket, redact_personal_data=redact)
    zone = (
        ZoneInfo(options.organisation.zone) if view.estate == options.organisation.estate else None
    )
    console = stdout_console()
    console.print(_heading(view))
    console.print(history_table(entries, zone))
    return 0


def resolve_ticket(desk: Desk, given: str) -> UUID:
    """The ticket ``given`` names: a full id, or the one stored id that starts with it.

    Raises:
        CliError: no stored id starts with ``given``, or several do.
    """
    text = given.strip().lower()
    try:
        return UUID(text)
    except ValueError:
        pass
    if not text or any(c not in "0123456789abcdef-" for c in text):
        raise CliError(f"{given!r} is not a ticket id or the start of one (hex digits and '-')")
    matches = [ticket for ticket in desk.ticket_ids() if str(ticket).startswith(text)]
    if not matches:
        raise CliError(f"no ticket id starts with {given!r} in {desk.url}")
    if len(matches) > 1:
        shown = ", ".join(str(m) for m in matches[:3]) + (", ..." if len(matches) > 3 else "")  # noqa: PLR2004 - show three matches
        raise CliError(f"{given!r} is ambiguous: {len(matches)} tickets start with it ({shown})")
    return matches[0]


def _heading(view: TicketView) -> str:
    if isinstance(view, ComplaintView):
        kind = "Complaint"
        where = escape(f"{view.estate} {view.place}: {view.what_happened}")
        who = escape(f"complainant {view.complainant.name} {view.complainant.phone}")
    else:
        kind = "Ticket"
        where = escape(f"{view.estate} {view.unit}: {view.description}")
        who = escape(f"owner {view.owner.name} {view.owner.phone}")
    return (
        f"[bold]{kind} {view.ticket_id}[/bold]  {where}\n"
        f"{who}; now [bold]{view.state}[/bold] (version {view.version})"
    )


def history_table(entries: Iterable[HistoryEntry], zone: ZoneInfo | None) -> Table:
    """The audit trail as a table: version, local time, event, actor, details."""
    table = Table(title="Audit trail", title_justify="left", show_lines=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Local time", no_wrap=True)
    table.add_column("Event", no_wrap=True)
    table.add_column("Actor", no_wrap=True)
    table.add_column("Details", overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry.version),
            _moment(entry.at, zone, seconds=True),
            entry.event,
            entry.actor,
            Text(details(entry.payload, zone)),
        )
    return table


def details(payload: dict[str, object], zone: ZoneInfo | None) -> str:
    """An event's own fields as ``key=value`` text, leaving out the empty ones."""
    parts: list[str] = []
    for key, value in payload.items():
        if value is None or value in ([], {}):
            continue
        if isinstance(value, dict):
            parts.extend(f"{k}={v}" for k, v in value.items())
        else:
            parts.append(f"{key}={_value(value, zone)}")
    return ", ".join(parts)


def _value(value: object, zone: ZoneInfo | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return _moment(value, zone)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return "/".join(str(item) for item in value)
    return str(value)


def _moment(moment: datetime, zone: ZoneInfo | None, *, seconds: bool = False) -> str:
    local = moment.astimezone(zone) if zone is not None else moment
    return local.strftime("%m-%d %H:%M:%S" if seconds else "%m-%d %H:%M")
