"""Loading an estate's configuration from files: the IO the pure domain leaves to its caller."""

from __future__ import annotations

import tomllib
from pathlib import Path

from propdesk.domain.errors import ConfigurationError
from propdesk.domain.organisation import Organisation


def load_organisation(path: str | Path) -> Organisation:
    """Loads an organisation from a TOML file (see ``docs/how-to/organisation.md``).

    Raises:
        ConfigurationError: the file is missing or unreadable, is not TOML, or describes no
            valid organisation.
    """
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read organisation file {source}: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{source} is not valid TOML: {error}") from error
    return Organisation.from_mapping(data, source=str(source))
