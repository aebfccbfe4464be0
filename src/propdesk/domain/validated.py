"""Validated, immutable pydantic models whose validation errors are propdesk's typed errors.

Commands raise :class:`InvalidCommand`; configuration (organisations, rules) raises
:class:`ConfigurationError`. Construction, ``model_validate`` and ``model_validate_json`` all
go through the same translation, so a caller never sees a raw pydantic ``ValidationError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from propdesk.domain.errors import ConfigurationError, InvalidCommand, PropdeskError

if TYPE_CHECKING:
    from collections.abc import Mapping


def _problems(error: ValidationError) -> list[str]:
    """One ``field: message`` line per failure, reaching into nested propdesk models.

    A nested model (an owner inside a command, a person inside an organisation) reports its
    own typed error, which pydantic wraps; its problems are lifted out under the outer field.
    """
    problems: list[str] = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        inner = (item.get("ctx") or {}).get("error")
        if isinstance(inner, InvalidCommand | ConfigurationError) and inner.problems:
            problems.extend(f"{where}.{p}" if where else p for p in inner.problems)
        else:
            problems.append(f"{where or '(top)'}: {item['msg']}")
    return problems


class Validated(BaseModel):
    """Base of every propdesk input model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:  # noqa: ANN401 - pydantic's own signature
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise self._translate(error) from None

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:  # noqa: ANN401 - pydantic's signature
        """Validates ``obj``; raises propdesk's typed error instead of pydantic's."""
        try:
            return super().model_validate(obj, **options)
        except ValidationError as error:
            raise cls._translate(error) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes, **options: Any) -> Self:  # type: ignore[override]  # noqa: ANN401 - as above
        """Validates JSON; raises propdesk's typed error instead of pydantic's."""
        try:
            return super().model_validate_json(json_data, **options)
        except ValidationError as error:
            raise cls._translate(error) from None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, validated again (pydantic's own copy skips that)."""
        del deep  # every field is immutable, so a copy is always as good as a deep one
        data = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**(data | dict(update or {})))

    @classmethod
    def _translate(cls, error: ValidationError) -> PropdeskError:
        return InvalidCommand(cls.__name__, _problems(error))


class ValidatedConfig(Validated):
    """Base of configuration models: errors are :class:`ConfigurationError`."""

    @classmethod
    def _translate(cls, error: ValidationError) -> PropdeskError:
        problems = _problems(error)
        return ConfigurationError(f"invalid {cls.__name__}: " + "; ".join(problems), problems)
