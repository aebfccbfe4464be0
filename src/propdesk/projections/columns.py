"""Column types the read models share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator, TypeEngine

if TYPE_CHECKING:
    from collections.abc import Callable


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
        if dialect.name == "sqlite":
            return _sqlite_text(value)
        return None if value is None else _aware(value).astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, :func:`_sqlite_text` itself; elsewhere, SQLAlchemy's wrapper.

        Text needs no further processing, and a rebuild binds millions of instants: the
        wrapper would be two more calls for each.
        """
        if dialect.name == "sqlite":
            return _sqlite_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:  # noqa: ANN401 - SQLAlchemy's signature
        """Aware UTC back, whatever the database returns."""
        del dialect
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _aware(value: Any) -> datetime:  # noqa: ANN401 - checked here
    if not isinstance(value, datetime) or value.tzinfo is None:
        msg = f"an aware datetime is required, not {value!r}"
        raise ValueError(msg)
    return value


def _sqlite_text(value: Any) -> str | None:  # noqa: ANN401 - checked by _aware
    """An aware instant as SQLite holds it: UTC, fixed-width text without the offset.

    Remembered for the most recent instants: the rows of one batch share many (an event's
    time is a step's start, the end of the step before, a board row's last change...).
    """
    if value is None:
        return None
    cached = _TEXTS.get(id(value))
    if cached is not None and cached[0] is value:
        return cached[1]
    utc = _aware(value)
    if utc.tzinfo is not UTC:
        utc = utc.astimezone(UTC)
    text = utc.isoformat(" ", "microseconds")[:26]
    if len(_TEXTS) >= _TEXTS_KEPT:
        _TEXTS.clear()
    _TEXTS[id(value)] = (value, text)  # the instant is kept too, so its id is not reused
    return text


_TEXTS: dict[int, tuple[datetime, str]] = {}
_TEXTS_KEPT = 50_000
