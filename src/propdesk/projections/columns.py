"""Column types the read models share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator, TypeEngine


class Instant(TypeDecorator[datetime]):
    """An aware instant, stored in UTC (``timestamptz`` on PostgreSQL, ISO text on SQLite).

    SQLite has no time-zone type and SQLAlchemy would drop the offset; this stores UTC and
    gives back aware UTC datetimes on both databases, so comparisons and ordering hold. On
    SQLite the text is written and read here, in the fixed form SQLAlchemy's own SQLite
    ``DATETIME`` uses (``2026-11-23 01:30:00.000000``, which sorts as it should), without the
    generic conversion's regular expressions: a rebuild converts millions of these.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Text on SQLite (converted here), ``timestamptz`` elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(26))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | str | None:  # noqa: ANN401 - SQLAlchemy's signature
        """Aware in; UTC out (as fixed-width text on SQLite)."""
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            msg = f"an aware datetime is required, not {value!r}"
            raise ValueError(msg)
        if dialect.name != "sqlite":
            return value.astimezone(UTC)
        utc: datetime = value if value.tzinfo is UTC else value.astimezone(UTC)
        return utc.isoformat(" ", "microseconds")[:26]  # without the "+00:00"

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:  # noqa: ANN401 - SQLAlchemy's signature
        """Aware UTC back, whatever the database returns."""
        del dialect
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
