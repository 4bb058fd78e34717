"""Shared fixtures: real SQLite files, a real PostgreSQL server, throwaway projects.

PostgreSQL comes from ``$WORKBENCH_TEST_POSTGRES_URL``, else a server on
127.0.0.1:5432 we can log into, else a throwaway cluster started from the local
binaries (see ``workbench.pgserver``). Each test gets its own database on it.
With ``WORKBENCH_REQUIRE_POSTGRES=1`` (CI) a PostgreSQL test that would be
skipped fails instead.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench import db, pgserver
from workbench.config import Config
from workbench.errors import DatabaseError

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = ("blog", "products", "student_course")
REQUIRE_POSTGRES = os.environ.get("WORKBENCH_REQUIRE_POSTGRES") == "1"


# --- the developer's environment ----------------------------------------------------------

SUITE_SETTINGS = ("WORKBENCH_TEST_POSTGRES_URL", "WORKBENCH_REQUIRE_POSTGRES")
"""The WORKBENCH_* variables that configure the suite itself; every other one is cleared."""


@pytest.fixture(autouse=True)
def _no_workbench_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test sees no ``WORKBENCH_*`` variable it did not set itself.

    A developer's ``$WORKBENCH_URL`` would otherwise make tests migrate, seed
    and empty the developer's own database.
    """
    for key in list(os.environ):
        if key.startswith("WORKBENCH_") and key not in SUITE_SETTINGS:
            monkeypatch.delenv(key)


@pytest.fixture(autouse=True)
def _own_modules(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Modules a test imported from its temporary project do not outlive it.

    Two tests' projects may both have a ``shop_types.py``; the second must not get
    the first one's module from ``sys.modules``.
    """
    import sys

    before = set(sys.modules)
    yield
    base = tmp_path_factory.getbasetemp().resolve()
    for name in set(sys.modules) - before:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and Path(file).resolve().is_relative_to(base):
            del sys.modules[name]


@pytest.fixture(autouse=True)
def _own_logging() -> Iterator[None]:
    """Logging set up by one test (plain Alembic's ``fileConfig``) does not outlive it.

    Handlers left on a captured stream that is closed by then would write
    "--- Logging error ---" into a later test's output.
    """
    import logging

    names = ("", "alembic", "sqlalchemy", "sqlalchemy.engine")
    saved = {n: (list(logging.getLogger(n).handlers), logging.getLogger(n).level) for n in names}
    yield
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server on which tests create and drop their own databases."""
    manager = pgserver.provision()
    try:
        url = manager.__enter__()
    except DatabaseError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"WORKBENCH_REQUIRE_POSTGRES=1 but no PostgreSQL: {exc.text}")
        pytest.skip(f"no PostgreSQL server available: {exc.text}")
    try:
        yield url
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    with db.scratch(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty target database on each backend: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'target.sqlite3').as_posix()}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def against(request: pytest.FixtureRequest) -> str:
    """A scratch-database source, as ``check --against`` takes it: ``sqlite`` or a server URL."""
    if request.param == "sqlite":
        return "sqlite"
    return str(request.getfixturevalue("postgres_server"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "postgres"
        ):
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[Any]:
    outcome: Any = yield
    report = outcome.get_result()
    if REQUIRE_POSTGRES and report.skipped and item.get_closest_marker("postgres"):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid}: a PostgreSQL test was skipped, and WORKBENCH_REQUIRE_POSTGRES=1 "
            f"makes that a failure ({report.longrepr})"
        )


def readme_section(heading: str) -> str:
    """The README's ``### heading`` section, up to the next heading of any level."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"### {heading}")
    end = readme.find("\n#", start + 1)
    return readme[start : end if end != -1 else None]


# --- projects -----------------------------------------------------------------------------


class Project:
    """A throwaway workbench project under ``tmp_path``, built by tests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "pyproject.toml").write_text(
            '[project]\nname = "t"\nversion = "0"\n\n[tool.workbench]\n', encoding="utf-8"
        )
        (root / "schemas").mkdir(exist_ok=True)
        (root / "migrations").mkdir(exist_ok=True)
        (root / "diagrams").mkdir(exist_ok=True)

    @property
    def cfg(self) -> Config:
        return Config.at(self.root)

    def copy_example(self, name: str, *, migrations: bool = True) -> Project:
        """Copy an example schema of the repository, with its committed history."""
        shutil.copy(REPO / "schemas" / f"{name}.py", self.root / "schemas" / f"{name}.py")
        if migrations:
            shutil.copytree(
                REPO / "migrations" / name,
                self.root / "migrations" / name,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        return self

    def write_schema(self, name: str, source: str) -> Path:
        """Write (or rewrite) ``schemas/<name>.py`` from dedented ``source``."""
        path = self.root / "schemas" / f"{name}.py"
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
        return path

    def write_revision(self, name: str, filename: str, source: str) -> Path:
        """Write a hand-made revision file into ``migrations/<name>/versions/``."""
        from workbench.migrate import ensure_environment

        ensure_environment(self.cfg, name)
        path = self.root / "migrations" / name / "versions" / filename
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
        return path

    def versions(self, name: str) -> list[Path]:
        return sorted((self.root / "migrations" / name / "versions").glob("*.py"))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty project (no schemas yet)."""
    return Project(tmp_path / "project")


@pytest.fixture
def blog(project: Project) -> Project:
    """A project holding the blog example and its committed history."""
    return project.copy_example("blog")


@pytest.fixture
def examples(project: Project) -> Project:
    """A project holding all three examples and their committed histories."""
    for name in EXAMPLES:
        project.copy_example(name)
    return project
