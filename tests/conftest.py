"""Shared fixtures: clocks, in-memory desks, and the two real backends (SQLite, PostgreSQL).

PostgreSQL tests read ``PROPDESK_TEST_POSTGRES_URL``. Without it they are skipped, unless
``PROPDESK_REQUIRE_POSTGRES=1`` (as CI sets), in which case they fail: CI must never pass by
skipping the real server.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from propdesk import Desk, init_schema, open_desk
from propdesk.testing import ManualClock, in_memory_desk, sample_organisation

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

POSTGRES_URL = os.environ.get("PROPDESK_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("PROPDESK_REQUIRE_POSTGRES") == "1"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def desk(clock: ManualClock) -> Iterator[Desk]:
    with in_memory_desk(clock=clock) as opened:
        yield opened


def _postgres_schema_url() -> Iterator[str]:
    if POSTGRES_URL is None:
        if REQUIRE_POSTGRES:
            pytest.fail("PROPDESK_REQUIRE_POSTGRES=1 but PROPDESK_TEST_POSTGRES_URL is not set")
        pytest.skip("set PROPDESK_TEST_POSTGRES_URL to run the PostgreSQL tests")
    import psycopg  # noqa: PLC0415 - only the PostgreSQL tests need the driver

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose schema is new and empty (no tables yet)."""
    yield from _postgres_schema_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite URL for a file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'desk.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An initialised database URL on each real backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
        init_schema(url)
        yield url
        return
    for url in _postgres_schema_url():
        init_schema(url)
        yield url


@pytest.fixture
def open_backend_desk(backend_url: str, clock: ManualClock) -> Iterator[Callable[..., Desk]]:
    """Opens desks on the backend (several may share it, as several processes would)."""
    opened: list[Desk] = []

    def _open(**options: object) -> Desk:
        desk = open_desk(
            backend_url,
            organisations=[sample_organisation()],
            clock=options.pop("clock", clock),  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )
        opened.append(desk)
        return desk

    yield _open
    for desk in opened:
        desk.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_backend_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An initialised database URL on each real backend, shared by one module's tests.

    For tests that only read: the module fills the database once per backend (a story of
    tickets, say) and every test asks it something, instead of filling it again each time.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('desk') / 'desk.db'}"
        init_schema(url)
        yield url
        return
    for url in _postgres_schema_url():
        init_schema(url)
        yield url
