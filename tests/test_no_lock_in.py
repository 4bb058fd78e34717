"""No lock-in: the revisions workbench writes run with plain Alembic once workbench is gone.

A history is generated with workbench for a schema with everything that needs
more than plain autogenerate (enum types whose members are added and removed,
one created with a column and one dropped with its table, a CHECK that spells
an enum out on SQLite, members holding ``'``, ``:`` and ``%``, a column
rename, a foreign-key cycle, a ``TypeDecorator`` column). Then, in a
virtualenv that holds Alembic, SQLAlchemy and psycopg and *not* workbench, with
the ``env.py`` that ``alembic init`` writes, plain ``alembic`` upgrades it to
head, down to base and up again, on SQLite and on PostgreSQL, online and (on
PostgreSQL) as ``upgrade --sql`` output; each result is compared with the
database workbench itself migrates.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Project
from workbench import db, migrate, snapshot
from workbench.revisions import list_revisions

SCHEMA = "crew"

HEAD = '''
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class GUID(sa.TypeDecorator):
    """SQLAlchemy's documented backend-agnostic GUID: UUID on PostgreSQL, CHAR(32) elsewhere."""

    impl = sa.CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(sa.CHAR(32))


class Store(Base):
    __tablename__ = "store"
    id: Mapped[int] = mapped_column(primary_key=True)
    token = mapped_column(GUID(), nullable=True)
    manager_staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff.id", use_alter=True), unique=True
    )


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
'''

GRADE = (
    '    grade = mapped_column(sa.Enum({members}, name="grade", create_constraint=True), '
    'server_default="junior", nullable=False)\n'
)
NAME_V1 = "    full_name: Mapped[str] = mapped_column(sa.String(80))\n"
NAME_V2 = (
    "    display_name: Mapped[str] = mapped_column(sa.String(80), "
    'info={"renamed_from": "full_name"})\n'
)
SHIFT = '    shift = mapped_column(sa.Enum("day", "night", name="shift"), nullable=True)\n'
TICKET = """

class Ticket(Base):
    __tablename__ = "ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    priority = mapped_column(sa.Enum("low", "50% :off", name="priority"), nullable=False)
"""

ODD = "it's :x 50%"
STEPS = [
    ("initial", HEAD + NAME_V1 + GRADE.format(members="'junior', 'senior'") + TICKET),
    (
        "grades, shifts and names",
        HEAD
        + NAME_V2
        + GRADE.format(members=f"'junior', 'lead', 'senior', {ODD!r}")
        + SHIFT
        + TICKET,
    ),
    (
        "no more leads, no more tickets",
        HEAD + NAME_V2 + GRADE.format(members=f"'junior', 'senior', {ODD!r}") + SHIFT,
    ),
]


# --- a Python without workbench -------------------------------------------------------------


@dataclass(frozen=True)
class PlainPython:
    """A virtualenv holding Alembic, SQLAlchemy and psycopg, and provably not workbench."""

    root: Path
    how: str

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def alembic(self, cwd: Path, *args: str) -> str:
        """Run ``python -m alembic ARGS`` there; its stdout (a failure shows both streams)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "WORKBENCH"))}
        done = subprocess.run(
            [str(self.python), "-m", "alembic", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"alembic {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


_NEEDED = ("alembic", "sqlalchemy", "psycopg", "psycopg-binary")


@pytest.fixture(scope="session")
def plain_python(tmp_path_factory: pytest.TempPathFactory) -> PlainPython:
    """Build the virtualenv once per session.

    The same versions as this interpreter's are installed with pip, from the
    package index the project itself installs from. Should pip fail (a machine
    with no index), the venv instead reaches this interpreter's copies of those
    packages, and only those, through a ``.pth`` file naming a folder of links
    to them; either way ``import workbench`` must fail there.
    """
    root = tmp_path_factory.mktemp("plain") / "venv"
    venv.EnvBuilder(with_pip=True, symlinks=True).create(root)
    python = root / "bin" / "python"
    pins = []
    for name in _NEEDED:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins],
        capture_output=True,
        text=True,
        check=False,
    )
    how = "pip"
    if done.returncode != 0:
        how = f"links to this interpreter's packages (pip failed: {done.stderr[-300:]})"
        _link_packages(root, python)
    probe = subprocess.run(
        [str(python), "-c", "import alembic, sqlalchemy, psycopg; import workbench"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "No module named 'workbench'" in probe.stderr, (
        f"the plain venv ({how}) must have alembic, sqlalchemy and psycopg and not workbench: "
        f"{probe.stderr or probe.stdout}"
    )
    return PlainPython(root, how)


def _link_packages(root: Path, python: Path) -> None:
    """Make this interpreter's copies of the needed distributions (and what they need)
    importable in the venv at ``root``, without the rest of its site-packages."""
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    links = root / "linked"
    links.mkdir()
    wanted = [*_NEEDED, "mako", "markupsafe", "typing-extensions", "greenlet"]
    for name in wanted:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        base = Path(str(dist.locate_file("")))
        for file in dist.files or []:
            top = file.parts[0]
            if top == ".." or top.endswith((".dist-info", ".pth")) or top == "__pycache__":
                continue  # scripts in bin/, metadata, and path hooks: not the packages
            target = links / top
            if not target.exists() and (base / top).exists():
                target.symlink_to(base / top)
    (site / "linked.pth").write_text(str(links) + "\n", encoding="utf-8")


# --- the history, written by workbench --------------------------------------------------------


@dataclass(frozen=True)
class History:
    project: Project
    revisions: list[str]
    """Revision ids, base first."""

    @property
    def versions(self) -> Path:
        return self.project.root / "migrations" / SCHEMA / "versions"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, postgres_server: str) -> History:
    project = Project(tmp_path_factory.mktemp("nolockin") / "project")
    for message, source in STEPS:
        project.write_schema(SCHEMA, source)
        result = migrate.generate(project.cfg, SCHEMA, message, against=["sqlite", postgres_server])
        assert result.path is not None, message
        assert result.backends == ("sqlite", "postgresql")
    ids = [r.id for r in list_revisions(project.cfg, SCHEMA)]
    return History(project, ids)


def test_revisions_import_only_alembic_sqlalchemy_and_the_standard_library(
    history: History,
) -> None:
    for path in sorted(history.versions.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "workbench" not in source, path.name
        roots: set[str] = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots.add(node.module.split(".")[0])
        assert roots <= {"alembic", "sqlalchemy", "collections", "typing", "__future__"}, (
            path.name,
            roots,
        )


def test_the_enum_changes_are_written_as_plain_ddl(history: History) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(history.versions.glob("*.py")))
    assert 'if op.get_context().dialect.name == "postgresql":' in text
    assert "CREATE TYPE grade AS ENUM ('junior', 'senior')" in text
    assert "ALTER TYPE grade ADD VALUE 'lead' AFTER 'junior'" in text
    assert "ALTER TYPE grade RENAME TO grade__old" in text
    assert "DROP TYPE IF EXISTS priority" in text
    # sa.DDL reads %% as %: the member itself is 50%.
    assert "'low', '50%% :off'" in text
    assert "create_type=False" in text


# --- plain Alembic, a standard env.py ------------------------------------------------------------


def _plain_project(plain: PlainPython, history: History, where: Path, url: str) -> Path:
    """``alembic init`` in ``where`` (Alembic's own env.py), the history's revisions copied in."""
    where.mkdir()
    plain.alembic(where, "init", "migrations")
    versions = where / "migrations" / "versions"
    for path in history.versions.glob("*.py"):
        shutil.copy(path, versions / path.name)
    ini = where / "alembic.ini"
    text = ini.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url.replace('%', '%%')}", text)
    ini.write_text(text, encoding="utf-8")
    # Alembic's own env.py, pointed at the models as Alembic's tutorial says: the models
    # are the user's own module (it imports SQLAlchemy only), and their naming convention
    # names the CHECK constraints that types such as Enum(create_constraint=True) make.
    shutil.copy(history.project.root / "schemas" / f"{SCHEMA}.py", where / "models.py")
    env_py = where / "migrations" / "env.py"
    source = env_py.read_text(encoding="utf-8")
    assert "target_metadata = None" in source and "workbench" not in source
    source = source.replace(
        "target_metadata = None", "import models\n\ntarget_metadata = models.Base.metadata"
    )
    env_py.write_text(source, encoding="utf-8")
    return where


def _reference(history: History, url: str) -> snapshot.Snapshot:
    """The schema workbench itself builds at head on ``url``."""
    migrate.upgrade(history.project.cfg, SCHEMA, url=url, yes=True)
    with db.connect(url) as conn:
        return snapshot.take(conn)


def _take(url: str) -> snapshot.Snapshot:
    with db.connect(url) as conn:
        return snapshot.take(conn)


def _unnamed_checks(shot: snapshot.Snapshot) -> snapshot.Snapshot:
    """``shot`` with its CHECK constraints compared by body.

    The CHECK that ``Enum(create_constraint=True)`` makes is named by the naming
    convention of the runner's ``target_metadata``: Alembic's env.py here has the
    models' (``ck_staff_grade``); workbench's own runner gives none to ``upgrade``
    (``grade``). Either way the revisions work; the bodies must be the same.
    """
    tables = tuple(
        dataclasses.replace(
            t, checks=tuple(sorted((dataclasses.replace(c, name=None) for c in t.checks), key=str))
        )
        for t in shot.tables
    )
    return dataclasses.replace(shot, tables=tables)


def _enum_members(url: str) -> dict[str, list[str]]:
    with db.connect(url) as conn:
        rows = conn.exec_driver_sql(
            "SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
            "ORDER BY t.typname, e.enumsortorder"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for name, label in rows:
        found.setdefault(name, []).append(label)
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of one backend: the plain run's and workbench's reference."""
    if request.param == "sqlite":
        yield (f"sqlite:///{tmp_path / 'plain.sqlite3'}", f"sqlite:///{tmp_path / 'ref.sqlite3'}")
        return
    server = request.getfixturevalue("postgres_server")
    with db.scratch(server) as plain, db.scratch(server) as reference:
        yield plain, reference


def test_plain_alembic_upgrades_downgrades_and_upgrades_again(
    plain_python: PlainPython,
    history: History,
    backend_urls: tuple[str, str],
    tmp_path: Path,
) -> None:
    url, reference_url = backend_urls
    backend = sa.make_url(url).get_backend_name()
    where = _plain_project(plain_python, history, tmp_path / "plain", url)
    first, *_ = history.revisions

    # Rows made at the first revision keep their values through the member changes.
    plain_python.alembic(where, "upgrade", first)
    with db.connect(url) as conn:
        conn.exec_driver_sql("INSERT INTO store (id) VALUES (1)")
        conn.exec_driver_sql(
            "INSERT INTO staff (id, store_id, full_name, grade) VALUES (1, 1, 'Ann', 'senior')"
        )
        conn.commit()
    plain_python.alembic(where, "upgrade", "head")
    with db.connect(url) as conn:
        row = conn.exec_driver_sql("SELECT display_name, grade FROM staff").one()
    assert tuple(row) == ("Ann", "senior")
    with db.connect(url) as conn:
        conn.exec_driver_sql("DELETE FROM staff")
        conn.exec_driver_sql("DELETE FROM store")
        conn.commit()

    reference = _unnamed_checks(_reference(history, reference_url))
    assert _unnamed_checks(_take(url)) == reference

    plain_python.alembic(where, "downgrade", "base")
    assert _take(url).is_empty
    plain_python.alembic(where, "upgrade", "head")
    built = _take(url)
    assert _unnamed_checks(built) == reference

    staff = built.table("staff")
    store = built.table("store")
    assert staff is not None and store is not None
    assert "display_name" in {c.name for c in staff.columns}
    assert {fk.referred_table for fk in store.foreign_keys} == {"staff"}
    assert {fk.referred_table for fk in staff.foreign_keys} == {"store"}
    token = next(c for c in store.columns if c.name == "token")
    if backend == "postgresql":
        assert token.type.upper() == "UUID"
        assert _enum_members(url) == {
            "grade": ["junior", "senior", ODD],
            "shift": ["day", "night"],
        }
    else:
        assert token.type.upper() == "CHAR(32)"
        (check,) = staff.checks
        assert check.name == "ck_staff_grade"
        assert "it''s :x 50%" in check.sqltext and "lead" not in check.sqltext


@pytest.mark.postgres
def test_plain_alembic_sql_output_builds_the_same_database(
    plain_python: PlainPython, history: History, postgres_server: str, tmp_path: Path
) -> None:
    with db.scratch(postgres_server) as url, db.scratch(postgres_server) as reference_url:
        where = _plain_project(plain_python, history, tmp_path / "plain", url)
        script = plain_python.alembic(where, "upgrade", "head", "--sql")
        assert "ADD VALUE 'it''s :x 50%'" in script
        # As psql would run it: the script as it is, no parameters (so `%` is plain text).
        with db.connect(url) as conn:
            conn.connection.driver_connection.execute(script)  # type: ignore[union-attr]
            conn.commit()
        assert _take(url) == _reference(history, reference_url)
        assert _enum_members(url)["grade"] == ["junior", "senior", ODD]


def test_the_plain_python_is_what_it_claims(plain_python: PlainPython) -> None:
    """The venv's own interpreter cannot import workbench, whichever way it was built."""
    done = subprocess.run(
        [str(plain_python.python), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(done.stdout.strip()).resolve() == plain_python.root.resolve()
    assert Path(sys.prefix).resolve() != plain_python.root.resolve()


def test_the_fallback_venv_reaches_only_the_needed_packages(tmp_path: Path) -> None:
    """Where pip cannot install, the venv links to this interpreter's packages: Alembic and
    its needs import there, workbench (installed next to them here) does not."""
    root = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    _link_packages(root, root / "bin" / "python")
    done = subprocess.run(
        [
            str(root / "bin" / "python"),
            "-c",
            "import alembic.config, sqlalchemy, psycopg, mako; import workbench",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stderr.strip().endswith("No module named 'workbench'"), done.stderr
