"""Validated, immutable pydantic models whose validation errors are propdesk's typed errors.

Commands raise :class:`InvalidCommand`; configuration (organisations, rules) raises
:class:`ConfigurationError`. Construction, ``model_validate`` and ``model_validate_json`` all
go through the same translation, so a caller never sees a raw pydantic ``ValidationError``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from propdesk.domain.errors import ConfigurationError, InvalidCommand, PropdeskError


def _problems(error: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in item['loc']) or '(top)'}: {item['msg']}"
        for item in error.errors(include_url=False)
    ]


class Validated(BaseModel):
    """Base of every propdesk input model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:  # noqa: ANN401 - pydantic's own signature
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise self._translate(error) from None

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:  # noqa: ANN401
        """Validates ``obj``; raises propdesk's typed error instead of pydantic's."""
        try:
            return super().model_validate(obj, **options)
        except ValidationError as error:
            raise cls._translate(error) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes, **options: Any) -> Self:  # type: ignore[override]  # noqa: ANN401
        """Validates JSON; raises propdesk's typed error instead of pydantic's."""
        try:
            return super().model_validate_json(json_data, **options)
        except ValidationError as error:
            raise cls._translate(error) from None

    _kind: ClassVar[str] = "input"

    @classmethod
    def _translate(cls, error: ValidationError) -> PropdeskError:
        return InvalidCommand(cls.__name__, _problems(error))


class ValidatedConfig(Validated):
    """Base of configuration models: errors are :class:`ConfigurationError`."""

    @classmethod
    def _translate(cls, error: ValidationError) -> PropdeskError:
        return ConfigurationError(f"invalid {cls.__name__}: " + "; ".join(_problems(error)))
