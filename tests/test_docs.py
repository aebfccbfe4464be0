"""The docs stay honest: the reference is regenerated, the examples run, the links resolve.

- ``docs/reference/`` must equal what ``docs/gen_reference.py`` generates from the code now.
- Every ```python block of ``docs/tutorial.md`` runs, in order, in one namespace. The other
  pages' blocks run too, each page in its own namespace. A block fenced ```python no-run
  (one that needs a real server, say) is skipped.
- Every relative link in ``docs/**/*.md`` points to a file that exists.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import structlog

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

DOCS = Path(__file__).resolve().parent.parent / "docs"

_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_EXTERNAL = ("http://", "https://", "mailto:")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """The runnable ```python blocks of a page, with the line each starts on."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in _FENCE.finditer(text):
        words = match["info"].split()
        if words[:1] == ["python"] and "no-run" not in words[1:]:
            line = text.count("\n", 0, match.start("body")) + 1
            blocks.append((line, match["body"]))
    return blocks


def run_page(page: Path) -> None:
    """Runs a page's blocks in order, in one fresh namespace."""
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    for line, code in python_blocks(page):
        # Pad with blank lines so a traceback points at the line in the Markdown file.
        source = "\n" * (line - 1) + code
        exec(compile(source, str(page), "exec"), namespace)  # noqa: S102 - running our own docs


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A page runs in an empty directory and may configure logging; both are undone after."""
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_generated_reference_is_up_to_date() -> None:
    stale = _generator().stale_pages()
    names = [str(path.relative_to(DOCS)) for path in stale]
    assert not stale, f"out of date: {names}; run .venv/bin/python docs/gen_reference.py"


@pytest.mark.usefixtures("isolated")
def test_the_tutorial_runs_from_start_to_finish() -> None:
    page = DOCS / "tutorial.md"
    assert len(python_blocks(page)) >= 10
    run_page(page)


PAGES = sorted(
    page
    for page in DOCS.rglob("*.md")
    if page.name != "tutorial.md" and "reference" not in page.relative_to(DOCS).parts
)


@pytest.mark.usefixtures("isolated")
@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_every_example_on_a_page_runs(page: Path) -> None:
    run_page(page)


def test_every_how_to_page_has_an_example_that_runs() -> None:
    without = [page.name for page in (DOCS / "how-to").glob("*.md") if not python_blocks(page)]
    assert not without


def _links(page: Path) -> list[str]:
    """Link targets in a page's prose; code blocks and inline code are not links."""
    prose = _INLINE_CODE.sub("", _FENCE.sub("", page.read_text(encoding="utf-8")))
    return [match["target"] for match in _LINK.finditer(prose)]


def test_every_relative_link_points_to_an_existing_file() -> None:
    broken = []
    for page in sorted(DOCS.rglob("*.md")):
        for target in _links(page):
            path = target.split("#", 1)[0]
            if not path or target.startswith(_EXTERNAL):
                continue
            if not (page.parent / path).resolve().exists():
                broken.append(f"{page.relative_to(DOCS)}: {target}")
    assert not broken
