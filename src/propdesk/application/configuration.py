"""Loading configuration from files (organisations, SLA policies): the IO the domain leaves out."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from propdesk.domain.errors import ConfigurationError
from propdesk.domain.organisation import Organisation
from propdesk.domain.sla_policy import Policy

_YAML_SUFFIXES = frozenset({".yaml", ".yml"})


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read {what} file {path}: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from error


def _read_toml_or_yaml(path: Path, what: str) -> dict[str, Any]:
    """A ``.yaml``/``.yml`` file as YAML (safe loading), anything else as TOML."""
    if path.suffix.lower() not in _YAML_SUFFIXES:
        return _read_toml(path, what)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read {what} file {path}: {error}") from error
    except yaml.YAMLError as error:
        raise ConfigurationError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"{path} must hold a mapping at the top, not {type(data).__name__}"
        )
    return data


def load_policy(path: str | Path) -> Policy:
    """Loads an SLA policy (a company's profile) from a TOML or YAML file.

    A file named ``*.yaml`` or ``*.yml`` is read as YAML, any other as TOML; both hold the
    same fields (durations as ISO 8601 strings such as ``PT3M``).

    Raises:
        ConfigurationError: the file is missing or unreadable, is not valid TOML or YAML, or
            is not a valid policy; the message names the file and every invalid field.
    """
    source = Path(path)
    data = _read_toml_or_yaml(source, "policy")
    try:
        return Policy.model_validate(data)
    except ConfigurationError as error:
        problems = "; ".join(error.problems)
        raise ConfigurationError(
            f"{source} is not a valid policy: {problems}", error.problems
        ) from None


@cache
def default_policy() -> Policy:
    """The seeds' own time limits (``propdesk/data/sla_seeds.toml``)."""
    text = resources.files("propdesk.data").joinpath("sla_seeds.toml").read_text("utf-8")
    return Policy.model_validate(tomllib.loads(text))


def load_organisation(path: str | Path) -> Organisation:
    """Loads an organisation from a TOML file (see ``docs/how-to/organisation.md``).

    Raises:
        ConfigurationError: the file is missing or unreadable, is not TOML, or describes no
            valid organisation.
    """
    source = Path(path)
    return Organisation.from_mapping(_read_toml(source, "organisation"), source=str(source))
