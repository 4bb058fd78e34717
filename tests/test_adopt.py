"""Adopting an existing Alembic project in place: init --adopt, every command, and the sentinel.

The projects here are small copies of the three shapes real projects take:
FastAPI + SQLModel (models named in env.py through ``SQLModel.metadata``),
Flask-Migrate (``target_metadata`` built at run time from ``current_app``) and
plain SQLAlchemy (``from app.models import Base``). Their ``env.py`` is
hostile on purpose: it ignores the connection it is given and opens its own
engine on ``$DATABASE_URL`` or ``sqlalchemy.url``, the application's real
database. No command may ever touch that database.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Project
from tests.helpers import outcome, runner
from workbench import db
from workbench.cli import app
from workbench.config import load
from workbench.errors import UserCodeError
from workbench.loader import load_schema
from workbench.project import adopt

HOSTILE_ENV = """
import os

from alembic import context
from sqlalchemy import create_engine

{imports}

config = context.config
target_metadata = {target}


def run_migrations_online():
    # Ignores config.attributes["connection"]: opens its own engine, as many env.py do.
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata{extra})
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""

SQLALCHEMY_MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "team"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)


class Hero(Base):
    __tablename__ = "hero"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
"""

REV_TEAM = '''
"""teams

Revision ID: a1
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_team"),
        sa.UniqueConstraint("name", name="uq_team_name"),
    )


def downgrade():
    op.drop_table("team")
'''

REV_HERO = '''
"""heroes

Revision ID: b2
Revises: a1
"""
import sqlalchemy as sa
from alembic import op

import {package}.models  # noqa: F401  (a revision importing the app: needs prepend_sys_path)

revision = "b2"
down_revision = "a1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hero",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name="fk_hero_team_id_team"),
        sa.PrimaryKeyConstraint("id", name="pk_hero"),
    )
    op.create_index("ix_hero_name", "hero", ["name"], unique=False)
    op.create_index("ix_hero_team_id", "hero", ["team_id"], unique=False)


def downgrade():
    op.drop_index("ix_hero_team_id", table_name="hero")
    op.drop_index("ix_hero_name", table_name="hero")
    op.drop_table("hero")
'''

SQLALCHEMY_MODELS_INDEXED = SQLALCHEMY_MODELS.replace(
    'mapped_column(sa.ForeignKey("team.id"))', 'mapped_column(sa.ForeignKey("team.id"), index=True)'
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def make_app(
    root: Path,
    package: str,
    *,
    imports: str,
    target: str,
    sentinel_url: str,
    extra: str = "",
    script_location: str = "alembic",
    models: str = SQLALCHEMY_MODELS_INDEXED,
) -> Path:
    """A project with its own alembic.ini, hostile env.py and two revisions; returns its root."""
    write(root / package / "__init__.py", "")
    write(root / package / "models.py", models)
    write(
        root / "alembic.ini",
        f"""
        [alembic]
        script_location = {script_location}
        prepend_sys_path = .
        sqlalchemy.url = {sentinel_url}
        """,
    )
    location = root / script_location
    write(
        location / "env.py",
        HOSTILE_ENV.format(imports=imports.format(package=package), target=target, extra=extra),
    )
    write(location / "versions" / "a1_teams.py", REV_TEAM)
    write(location / "versions" / "b2_heroes.py", REV_HERO.format(package=package))
    write(root / "pyproject.toml", '[project]\nname = "heroes"  # the app\n\n[tool.ruff]\n')
    return root


def digests(root: Path) -> dict[str, str]:
    """Every file of the user's, hashed (the adopted project's history and models)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and "__pycache__" not in p.parts
        and ".workbench" not in p.parts
        and p.name != "pyproject.toml"
        and p.suffix not in (".sqlite3", ".mmd")
    }


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """A plain SQLAlchemy project whose env.py names `from plainapp.models import Base`."""
    sentinel = tmp_path / "app" / "sentinel.sqlite3"
    return make_app(
        tmp_path / "app",
        "plainapp",
        imports="from {package}.models import Base",
        target="Base.metadata",
        sentinel_url=f"sqlite:///{sentinel}",
    )


# --- init --adopt -----------------------------------------------------------------------------


def test_init_adopt_writes_the_schema_table_and_changes_nothing_of_the_users(plain: Path) -> None:
    before = digests(plain)
    original = (plain / "pyproject.toml").read_text()
    result = runner.invoke(app, ["init", str(plain), "--adopt"])
    assert result.exit_code == 0, result.output
    assert "models         plainapp.models:Base" in result.stdout
    assert "2 revision(s)" in result.stdout and "2 tables" in result.stdout
    text = (plain / "pyproject.toml").read_text()
    assert text.startswith(original)  # appended, the user's formatting and comments kept
    cfg = load(plain)
    assert cfg.schema_names() == ["heroes"]
    spec = cfg.spec("heroes")
    assert (spec.models, spec.alembic_ini) == ("plainapp.models:Base", "alembic.ini")
    assert digests(plain) == before

    again = runner.invoke(app, ["init", str(plain), "--adopt"])
    assert again.exit_code == 0 and "nothing written" in again.stdout
    assert (plain / "pyproject.toml").read_text() == text


def test_a_flask_migrate_env_py_is_reported_and_models_names_the_models(tmp_path: Path) -> None:
    root = make_app(
        tmp_path / "shop",
        "flaskapp",
        imports="from flask import current_app",
        target="current_app.extensions['migrate'].db.metadata",
        sentinel_url=f"sqlite:///{tmp_path / 'sentinel.sqlite3'}",
        script_location="flaskapp/migrations",
    )
    found = adopt(root)
    (schema,) = found.schemas
    assert schema.name == "flaskapp" and schema.models is None
    assert any("builds target_metadata at run time" in n for n in schema.notes)
    assert 'models = "MODULE:ATTR"' in (root / "pyproject.toml").read_text()
    with pytest.raises(Exception, match="models are not declared"):
        load_schema(load(root), "flaskapp")

    # Run again with --models: the table already written gets its models line, nothing else.
    before = (root / "pyproject.toml").read_text()
    result = runner.invoke(app, ["init", str(root), "--adopt", "--models", "flaskapp.models:Base"])
    assert result.exit_code == 0, result.output
    after = (root / "pyproject.toml").read_text()
    assert after == before.replace(
        '# models = "MODULE:ATTR"  # not found in env.py: name the models here',
        'models = "flaskapp.models:Base"',
    )
    cfg = load(root)
    assert load_schema(cfg, "flaskapp").metadata.tables.keys() == {"team", "hero"}
    code, out = outcome(root, "history", "flaskapp")
    assert code == 0 and "a1 -> b2  heroes  (head)" in out


@pytest.mark.parametrize(
    ("imports", "target", "expected"),
    [
        ("from {package}.models import Base", "Base.metadata", "{package}.models:Base"),
        ("from {package} import models", "models.Base.metadata", "{package}.models:Base"),
        ("import {package}.models", "{package}.models.Base.metadata", "{package}.models:Base"),
        ("from {package}.models import Base as B", "B.metadata", "{package}.models:Base"),
        ("from {package}.models import Base", "[Base.metadata]", None),
        ("from {package}.models import Base", "None", None),
    ],
)
def test_target_metadata_is_read_from_env_py_without_running_it(
    tmp_path: Path, imports: str, target: str, expected: str | None
) -> None:
    root = make_app(
        tmp_path / "p",
        "envread",
        imports=imports,
        target=target.format(package="envread"),
        sentinel_url="sqlite:///never.sqlite3",
        extra=', version_table="app_revisions"',
    )
    (schema,) = adopt(root).schemas
    assert schema.models == (expected.format(package="envread") if expected else None)
    assert schema.version_table == "app_revisions"
    assert load(root).version_table(schema.name) == "app_revisions"


def test_a_base_from_an_installed_package_is_named_and_said_when_it_holds_no_tables(
    tmp_path: Path,
) -> None:
    root = make_app(
        tmp_path / "p",
        "localapp",
        imports="from email.mime.base import MIMEBase",  # a package, not the project
        target="MIMEBase.metadata",
        sentinel_url="sqlite:///never.sqlite3",
    )
    result = runner.invoke(app, ["init", str(root), "--adopt"])
    assert result.exit_code == 0, result.output
    assert "models         email.mime.base:MIMEBase" in result.stdout
    assert "Do not load: the models of" in result.stdout and "--models" in result.stdout
    (schema,) = adopt(root, models="localapp.models:Base").schemas
    assert schema.models == "localapp.models:Base" and schema.tables == 2


def test_init_adopt_without_any_history_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path), "--adopt"])
    assert result.exit_code == 2 and "no Alembic history found" in result.stderr
    assert not (tmp_path / "pyproject.toml").exists()


# --- every command on an adopted schema, and the sentinel ------------------------------------


def _sqlite_sentinel(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE precious (id INTEGER PRIMARY KEY, v TEXT)")
        conn.execute("INSERT INTO precious (v) VALUES ('the developer''s data')")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pg_state(url: str) -> tuple[list[str], int]:
    with db.connect(url) as conn:
        tables = sorted(sa.inspect(conn).get_table_names())
        rows = conn.execute(sa.text("SELECT count(*) FROM precious")).scalar_one()
    return tables, rows


@pytest.fixture
def pg_sentinel(postgres_server: str) -> Iterator[str]:
    with db.scratch(postgres_server) as url:
        with db.connect(url) as conn:
            conn.execute(sa.text("CREATE TABLE precious (id serial PRIMARY KEY, v text)"))
            conn.execute(sa.text("INSERT INTO precious (v) VALUES ('the developer''s data')"))
            conn.commit()
        yield url


@pytest.mark.postgres
def test_no_command_touches_the_database_env_py_points_at(
    tmp_path: Path, postgres_server: str, pg_sentinel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's worst bug: `check` migrated the app's real database up and down."""
    sentinel = tmp_path / "sentinel.sqlite3"
    root = make_app(
        tmp_path / "app",
        "sentinelapp",
        imports="from {package}.models import Base",
        target="Base.metadata",
        sentinel_url=f"sqlite:///{sentinel}",
    )
    sqlite_before = _sqlite_sentinel(sentinel)
    pg_before = _pg_state(pg_sentinel)
    monkeypatch.setenv("DATABASE_URL", pg_sentinel)
    user_files = digests(root)
    assert runner.invoke(app, ["init", str(root), "--adopt", "--name", "heroes"]).exit_code == 0
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"

    commands = [
        ("schemas",),
        ("history", "heroes"),
        ("current", "heroes"),
        ("upgrade", "heroes", "--url", other),
        ("downgrade", "heroes", "--url", other, "--yes"),
        ("upgrade", "heroes", "--url", other),
        ("lint", "heroes"),
        ("check", "heroes", "--against", "sqlite", "--against", postgres_server),
        ("diagram", "heroes", "--format", "mermaid", "--out", str(tmp_path / "h.mmd")),
        ("seed", "heroes", "--url", other, "--rows", "3"),
        ("advise", "heroes"),
        ("generate", "heroes", "-m", "nothing"),
    ]
    for args in commands:
        code, out = outcome(root, *args)
        assert code in (0, 1), (args, out)  # ran (lint/check may have findings), no error
        assert "Traceback" not in out
        assert hashlib.sha256(sentinel.read_bytes()).hexdigest() == sqlite_before, args
        assert _pg_state(pg_sentinel) == pg_before, args
    _, out = outcome(root, "current", "heroes", "--url", other, "--json")
    assert json.loads(out)["revision"] == "b2"

    # generate writes a real revision beside the user's, in the history's own file style.
    models = root / "sentinelapp" / "models.py"
    models.write_text(models.read_text() + "\n    power: Mapped[int | None]\n")
    code, out = outcome(root, "generate", "heroes", "-m", "hero power")
    assert code == 0 and "add column hero.power" in out, out
    written = sorted((root / "alembic" / "versions").glob("*hero_power.py"))
    # Alembic's default template, `%(rev)s_%(slug)s`: the revision id, then the message (a
    # random id may itself start with "20", so the date prefix is ruled out by the shape).
    assert len(written) == 1 and re.fullmatch(r"[0-9a-f]{12}_hero_power\.py", written[0].name)
    assert hashlib.sha256(sentinel.read_bytes()).hexdigest() == sqlite_before
    assert _pg_state(pg_sentinel) == pg_before
    written[0].unlink()
    models.write_text(models.read_text().replace("\n    power: Mapped[int | None]\n", ""))
    assert digests(root) == user_files  # env.py, revisions, models: byte-identical


def test_revisions_that_import_the_app_read_with_prepend_sys_path(
    plain: Path, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["init", str(plain), "--adopt"]).exit_code == 0
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    code, out = outcome(plain, "upgrade", "heroes", "--url", other)
    assert code == 0 and "is now at b2" in out, out
    assert not (plain / "sentinel.sqlite3").exists()


def test_a_custom_version_table_is_used_for_upgrade_and_current(tmp_path: Path) -> None:
    root = make_app(
        tmp_path / "app",
        "vtapp",
        imports="from {package}.models import Base",
        target="Base.metadata",
        sentinel_url="sqlite:///never.sqlite3",
        extra=', version_table="app_revisions"',
    )
    assert runner.invoke(app, ["init", str(root), "--adopt"]).exit_code == 0
    other = tmp_path / "other.sqlite3"
    assert outcome(root, "upgrade", "heroes", "--url", f"sqlite:///{other}")[0] == 0
    with sqlite3.connect(other) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("SELECT version_num FROM app_revisions").fetchall() == [("b2",)]
    assert "alembic_version" not in names
    _, out = outcome(root, "current", "heroes", "--url", f"sqlite:///{other}", "--json")
    assert json.loads(out)["revision"] == "b2"


def test_tool_alembic_in_pyproject_is_read_when_there_is_no_ini(tmp_path: Path) -> None:
    root = make_app(
        tmp_path / "app",
        "tomlapp",
        imports="from {package}.models import Base",
        target="Base.metadata",
        sentinel_url="sqlite:///never.sqlite3",
    )
    (root / "alembic.ini").unlink()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "toml-app"\n\n[tool.alembic]\n'
        'script_location = "%(here)s/alembic"\nprepend_sys_path = ["."]\n'
    )
    (schema,) = adopt(root).schemas
    assert schema.ini is None and schema.models == "tomlapp.models:Base"
    cfg = load(root)
    assert cfg.script_location(schema.name).directory == (root / "alembic").resolve()
    code, out = outcome(root, "history", schema.name)
    assert code == 0 and "(head)" in out, out


# --- user code fails as user code ------------------------------------------------------------


def test_a_model_module_that_raises_is_reported_with_its_file_and_line(plain: Path) -> None:
    assert runner.invoke(app, ["init", str(plain), "--adopt"]).exit_code == 0
    models = plain / "plainapp" / "models.py"
    models.write_text(models.read_text() + "\nraise RuntimeError('settings missing')\n")
    with pytest.raises(UserCodeError, match=r"plainapp/models.py:\d+: .*settings missing"):
        load_schema(load(plain), "heroes")
    code, out = outcome(plain, "diagram", "heroes", "--format", "mermaid")
    assert code == 2 and "plainapp/models.py:" in out and "settings missing" in out
    assert "bug in workbench" not in out


def test_a_missing_package_is_named_with_where_to_install_it(plain: Path) -> None:
    assert runner.invoke(app, ["init", str(plain), "--adopt"]).exit_code == 0
    models = plain / "plainapp" / "models.py"
    models.write_text("import not_installed_pkg_xyz\n" + models.read_text())
    with pytest.raises(UserCodeError) as caught:
        load_schema(load(plain), "heroes")
    assert "'not_installed_pkg_xyz' is not installed" in caught.value.text
    assert "Install it in the environment workbench runs in" in caught.value.text


def test_a_revision_that_fails_to_import_is_the_users_error_with_file_and_line(
    plain: Path,
) -> None:
    assert runner.invoke(app, ["init", str(plain), "--adopt"]).exit_code == 0
    revision = plain / "alembic" / "versions" / "b2_heroes.py"
    revision.write_text(revision.read_text() + "\nimport not_installed_pkg_xyz\n")
    code, out = outcome(plain, "history", "heroes")
    assert code == 2 and "alembic/versions/b2_heroes.py:" in out, out
    assert "'not_installed_pkg_xyz' is not installed" in out and "bug in workbench" not in out
    revision.write_text(revision.read_text().replace("import not_installed_pkg_xyz", "1 / 0"))
    code, out = outcome(
        plain, "upgrade", "heroes", "--url", "sqlite:///" + str(plain / "o.sqlite3")
    )
    assert code == 2 and "b2_heroes.py:" in out and "ZeroDivisionError" in out, out
    assert "bug in workbench" not in out


def test_a_revision_that_raises_while_applied_names_its_file(plain: Path) -> None:
    assert runner.invoke(app, ["init", str(plain), "--adopt"]).exit_code == 0
    revision = plain / "alembic" / "versions" / "b2_heroes.py"
    revision.write_text(
        revision.read_text().replace(
            '    op.create_index("ix_hero_name"',
            '    raise KeyError("oops")\n    op.create_index("x"',
        )
    )
    code, out = outcome(
        plain, "upgrade", "heroes", "--url", "sqlite:///" + str(plain / "o.sqlite3")
    )
    assert code == 2 and "b2_heroes.py:" in out and "KeyError" in out, out
    assert "bug in workbench" not in out and "is at revision a1" in out


# --- interop: plain Alembic and pytest-alembic on workbench's own histories -------------------


def _plain_alembic(project_root: Path, schema: str, *args: str) -> None:
    """Run the `alembic` command line in-process, as a user of plain Alembic would."""
    import sys

    from alembic.config import CommandLine
    from alembic.config import Config as AlembicConfig

    ini = project_root / "migrations" / schema / "alembic.ini"
    # alembic.config.main(), but printing to the sys.stdout of now (capsys).
    command_line = CommandLine(prog="alembic")
    options = command_line.parser.parse_args(["-c", str(ini), *args])
    config = AlembicConfig(file_=str(ini), cmd_opts=options, stdout=sys.stdout)
    command_line.run_cmd(config, options)


@pytest.mark.parametrize("schema", ["blog", "products", "student_course"])
def test_plain_alembic_check_passes_on_the_example_schemas(
    examples: Project, schema: str, target_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _plain_alembic(examples.root, schema, "-x", f"url={target_url}", "upgrade", "head")
    capsys.readouterr()
    _plain_alembic(examples.root, schema, "-x", f"url={target_url}", "check")
    assert "No new upgrade operations detected" in capsys.readouterr().out


@pytest.mark.parametrize("schema", ["blog", "products", "student_course"])
def test_pytest_alembics_built_in_tests_pass_on_the_example_schemas(
    examples: Project, schema: str, target_url: str
) -> None:
    pytest.importorskip("pytest_alembic")
    from alembic.config import Config as AlembicConfig
    from pytest_alembic import runner as alembic_runner
    from pytest_alembic.config import Config as PytestAlembicConfig
    from pytest_alembic.tests import default

    ini = examples.root / "migrations" / schema / "alembic.ini"
    config = PytestAlembicConfig.from_raw_config(AlembicConfig(str(ini)))
    engine = sa.create_engine(target_url)
    try:
        for test in (
            default.test_single_head_revision,
            default.test_upgrade,
            default.test_model_definitions_match_ddl,
            default.test_up_down_consistency,
        ):
            with alembic_runner(config, engine) as context:
                test(context)
    finally:
        engine.dispose()
