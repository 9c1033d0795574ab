"""Shared pytest set-up: a private cache for the whole run, options to regenerate golden files, and the
store backends (`backend`: every store contract test runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from installed import Installed, install
from store_backends import PG_ENV, PG_SKIP, PG_URL, Backend, PgServer, postgres_backend, sqlite_backend
from test_runtime_support import FULL


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("reviewflow")
    group.addoption("--update-golden", action="store_true", default=False,
                    help="Rewrite tests/golden/**.json from the current engine (then read the diff).")
    group.addoption("--update-corpus", action="store_true", default=False,
                    help="Rewrite the expected output of the tests/definitions corpus (then read the diff).")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reviewflow-cache")


@pytest.fixture(scope="session", autouse=True)
def private_environment(cache_dir: Path) -> Iterator[None]:
    """No test writes to ~/.cache/reviewflow or reads the developer's store or definitions path.

    Set for the whole session, so subprocesses started by tests inherit it too.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("REVIEWFLOW_CACHE", str(cache_dir))
    for name in ("REVIEWFLOW_DB", "REVIEWFLOW_PATH", "REVIEWFLOW_KEY"):
        patch.delenv(name, raising=False)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel, built once per session and installed into a fresh venv (tests/installed.py)."""
    return install(tmp_path_factory.mktemp("wheel"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """REVIEWFLOW_TEST_PG set but the server unreachable fails the whole run at once, never skips.

    CI sets it because the PostgreSQL tests must run there.
    """
    if PG_URL is None:
        return
    import psycopg
    from reviewflow.engine.store.postgres import redact

    try:
        psycopg.connect(PG_URL, connect_timeout=10).close()
    except psycopg.Error as exc:
        pytest.exit(f"{PG_ENV} is set but its server cannot be reached ({redact(PG_URL)}): "
                    f"{' '.join(str(exc).split())}", returncode=1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL server of REVIEWFLOW_TEST_PG, ready for tests; skipped when it is not set."""
    if PG_URL is None:
        pytest.skip(PG_SKIP)
    server = PgServer(PG_URL)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, empty store location on each backend."""
    if request.param == "sqlite":
        yield sqlite_backend(tmp_path)
        return
    server: PgServer = request.getfixturevalue("pg_server")
    found = postgres_backend(server)
    try:
        yield found
    finally:
        assert found.database is not None
        server.drop(found.database)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line, not one per test, when the PostgreSQL tests were skipped."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if PG_SKIP in str(getattr(r, "longrepr", ""))]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} PostgreSQL tests skipped. {PG_SKIP}")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A processes folder holding the full example definition (tests/test_runtime_support.FULL)."""
    folder = tmp_path / "processes"
    folder.mkdir()
    (folder / "example.yaml").write_text(FULL.read_text(encoding="utf-8"), encoding="utf-8")
    return folder
