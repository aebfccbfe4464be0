"""The layer rules import-linter cannot express (the contracts are in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

import propdesk.domain

DOMAIN = Path(propdesk.domain.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_domain_takes_only_the_aggregate_base_from_eventsourcing():
    offenders = {
        f"{path.name}: {module}"
        for path in DOMAIN.glob("*.py")
        for module in _imported_modules(path)
        if module.startswith("eventsourcing") and module != "eventsourcing.domain"
    }
    assert not offenders


def test_the_domain_opens_no_files_sockets_or_databases():
    io_modules = {"sqlite3", "socket", "urllib.request", "http.client", "os", "pathlib", "tomllib"}
    offenders = {
        f"{path.name}: {module}"
        for path in DOMAIN.glob("*.py")
        for module in _imported_modules(path)
        if module in io_modules
    }
    assert not offenders
