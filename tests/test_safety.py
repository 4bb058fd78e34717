"""Rename intent, NOT NULL backfills and the destructive-apply guard, on real databases."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Project
from tests.helpers import invoke, runner
from workbench import db, migrate
from workbench.cli import app
from workbench.errors import MigrationFailed, Refused, WorkbenchError
from workbench.lint import lint
from workbench.results import DestructiveChange

INTERACTIVE = {"WORKBENCH_INTERACTIVE": "1"}

SCHEMA = """
from sqlalchemy import CheckConstraint, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={{
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }}
    )


class User(Base):
    __tablename__ = "{table}"
    __table_args__ = ({check}{table_args})
    id: Mapped[int] = mapped_column(primary_key=True)
    {name}: Mapped[str] = mapped_column(String(100), index=True{column_args})
{extra}
"""


def _schema(
    project: Project,
    *,
    table: str = "users",
    name: str = "full_name",
    table_args: str = "{}",
    column_args: str = "",
    extra: str = "",
    check: bool = True,
) -> None:
    """The test schema; ``check`` adds a CHECK whose body names the column.

    Autogenerate does not compare CHECK bodies, so a drop + add of that column
    (no rename intent) cannot be applied: tests of that path leave it out.
    """
    source = SCHEMA.format(
        table=table,
        name=name,
        table_args=table_args,
        column_args=column_args,
        extra=extra,
        check=f'CheckConstraint("length({name}) > 0", name="name_len"), ' if check else "",
    )
    project.write_schema("s", source)


def _populated(project: Project, url: str) -> None:
    """The first revision applied to ``url``, holding two users."""
    _schema(project)
    migrate.generate(project.cfg, "s", "initial")
    migrate.upgrade(project.cfg, "s", url=url)
    with db.connect(url) as conn:
        conn.execute(sa.text("INSERT INTO users (id, full_name) VALUES (1, 'Ann'), (2, 'Bob')"))
        conn.commit()


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with db.connect(url) as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def _columns(url: str, table: str) -> dict[str, bool]:
    with db.connect(url) as conn:
        return {c["name"]: c["nullable"] for c in sa.inspect(conn).get_columns(table)}


def _indexes(url: str, table: str) -> set[str]:
    with db.connect(url) as conn:
        return {str(i["name"]) for i in sa.inspect(conn).get_indexes(table)}


# --- renames -----------------------------------------------------------------------------


def test_a_column_renamed_by_flag_keeps_its_data_both_ways(
    project: Project, target_url: str
) -> None:
    _populated(project, target_url)
    _schema(project, name="display_name")
    result = migrate.generate(
        project.cfg, "s", "rename", renames={"users.full_name": "display_name"}
    )
    assert result.operations[0] == "alter column users.full_name: rename to display_name"
    assert result.notes == ()
    text = result.path.read_text() if result.path else ""
    assert "new_column_name='display_name'" in text and "drop_column" not in text
    # The index named by the convention follows the column; the CHECK is rewritten in place.
    assert "ix_users_display_name" in text

    migrate.upgrade(project.cfg, "s", url=target_url)
    assert _rows(target_url, "SELECT id, display_name FROM users ORDER BY id") == [
        (1, "Ann"),
        (2, "Bob"),
    ]
    assert "ix_users_display_name" in _indexes(target_url, "users")
    with pytest.raises(sa.exc.IntegrityError), db.connect(target_url) as conn:
        conn.execute(sa.text("INSERT INTO users (id, display_name) VALUES (3, '')"))
    assert not migrate.generate(project.cfg, "s", "again").changed
    assert lint(project.cfg, "s").ok

    migrate.downgrade(project.cfg, "s", url=target_url)
    assert _rows(target_url, "SELECT full_name FROM users ORDER BY id") == [("Ann",), ("Bob",)]
    assert "ix_users_full_name" in _indexes(target_url, "users")


def test_a_table_renamed_by_flag_keeps_its_rows_both_ways(
    project: Project, target_url: str
) -> None:
    _populated(project, target_url)
    _schema(project, table="people")
    result = migrate.generate(project.cfg, "s", "people", renames={"users": "people"})
    assert result.operations[0] == "rename table users to people"
    assert "drop_table" not in (result.path.read_text() if result.path else "")
    migrate.upgrade(project.cfg, "s", url=target_url)
    assert _rows(target_url, "SELECT full_name FROM people ORDER BY id") == [("Ann",), ("Bob",)]
    assert "ix_people_full_name" in _indexes(target_url, "people")
    migrate.downgrade(project.cfg, "s", url=target_url)
    assert _rows(target_url, "SELECT full_name FROM users ORDER BY id") == [("Ann",), ("Bob",)]


def test_renamed_from_hints_rename_and_a_stale_hint_is_ignored(project: Project) -> None:
    _schema(project)
    migrate.generate(project.cfg, "s", "initial")
    _schema(
        project,
        table="people",
        name="display_name",
        table_args='{"info": {"renamed_from": "users"}}',
        column_args=', info={"renamed_from": "full_name"}',
    )
    result = migrate.generate(project.cfg, "s", "hinted")
    assert result.operations[:2] == (
        "rename table users to people",
        "alter column people.full_name: rename to display_name",
    )
    # The hints stay in the models; they are history now and change nothing.
    assert not migrate.generate(project.cfg, "s", "again").changed


def test_a_sqlmodel_hint_in_sa_column_kwargs_renames(blog: Project) -> None:
    path = blog.root / "schemas" / "blog.py"
    hinted = """display_name: str = Field(
        max_length=100, sa_column_kwargs={"info": {"renamed_from": "name"}}
    )"""
    source = path.read_text()
    path.write_text(source.replace("name: str = Field(max_length=100)", hinted, 1))
    result = migrate.generate(blog.cfg, "blog", "display name")
    assert result.operations == ("alter column users.name: rename to display_name",)


def test_without_intent_the_drop_and_add_is_written_noted_and_linted(project: Project) -> None:
    _schema(project, check=False)
    migrate.generate(project.cfg, "s", "initial")
    _schema(project, name="display_name", check=False)
    result = migrate.generate(project.cfg, "s", "no intent")
    assert "drop column users.full_name" in result.operations
    assert result.notes and "--rename users.full_name=display_name" in result.notes[0]
    report = lint(project.cfg, "s")
    assert not report.ok and "WB101" in {f.code for f in report.findings}


def test_a_rename_flag_that_matches_nothing_is_refused(project: Project) -> None:
    _schema(project)
    migrate.generate(project.cfg, "s", "initial")
    before = project.versions("s")
    with pytest.raises(WorkbenchError, match="nothing to rename"):
        migrate.generate(project.cfg, "s", "typo", renames={"users.nope": "x"})
    with pytest.raises(WorkbenchError, match=r"expected TABLE\.OLD=NEW"):
        migrate.generate(project.cfg, "s", "bad", renames={"a.b.c": "d"})
    assert project.versions("s") == before
    bad = invoke(project, "generate", "s", "-m", "x",
                              "--rename", "users.full_name")  # fmt: skip
    assert bad.exit_code == 2 and "expected TABLE.OLD=NEW" in bad.output


@pytest.mark.parametrize(("answer", "renamed"), [("y\n", True), ("n\n", False)])
def test_generate_asks_on_a_terminal(project: Project, answer: str, renamed: bool) -> None:
    _schema(project, check=renamed)
    migrate.generate(project.cfg, "s", "initial")
    _schema(project, name="display_name", check=renamed)
    args = ["--project", str(project.root), "generate", "s", "-m", "asked"]
    # After a "no", display_name is a NOT NULL column added to users, and full_name one the
    # downgrade adds back: a value for each is asked too (none given here).
    result = runner.invoke(app, args, input=answer + "\n\n", env=INTERACTIVE)
    assert result.exit_code == 0, result.output
    assert "Did you rename users.full_name to users.display_name? [y/N]" in result.output
    (written,) = [p.read_text() for p in project.versions("s") if p.name.endswith("_asked.py")]
    assert ("new_column_name='display_name'" in written) == renamed
    assert ("warning: users.full_name is dropped" in result.output) != renamed
    linted = invoke(project, "lint", "s")
    assert linted.exit_code == (0 if renamed else 1)


def test_a_pipe_is_never_asked(project: Project) -> None:
    _schema(project, check=False)
    migrate.generate(project.cfg, "s", "initial")
    _schema(project, name="display_name", check=False)
    args = ["--project", str(project.root), "generate", "s", "-m", "piped"]
    # Without a terminal a look-alike is never asked about: the revision is refused
    # (exit 1) with the flags that resolve it, or written as it is with --accept.
    refused = runner.invoke(app, args, env={"WORKBENCH_INTERACTIVE": "0"})
    assert refused.exit_code == 1 and "Did you rename" not in refused.output
    assert "--rename users.full_name=display_name" in refused.output
    result = runner.invoke(app, [*args, "--accept"], env={"WORKBENCH_INTERACTIVE": "0"})
    assert result.exit_code == 0 and "Did you rename" not in result.output


# --- NOT NULL backfills ------------------------------------------------------------------

SCORE = "    score: Mapped[int]\n"
MOTTO = '    motto: Mapped[str] = mapped_column(String(20), default="hi")\n'


def test_a_not_null_column_is_backfilled_on_a_populated_table(
    project: Project, target_url: str
) -> None:
    _populated(project, target_url)
    _schema(project, extra=SCORE + MOTTO)
    result = migrate.generate(project.cfg, "s", "score", backfills={"users.score": "7"})
    assert result.notes == ()
    assert result.operations == (
        "add column users.score (INTEGER, nullable)",
        "add column users.motto (VARCHAR(20), nullable)",
        'execute UPDATE "users" SET "score" = 7 WHERE "score" IS NULL',
        'execute UPDATE "users" SET "motto" = \'hi\' WHERE "motto" IS NULL',
        "alter column users.score: NOT NULL",
        "alter column users.motto: NOT NULL",
    )
    migrate.upgrade(project.cfg, "s", url=target_url)
    assert _rows(target_url, "SELECT score, motto FROM users") == [(7, "hi"), (7, "hi")]
    nullable = _columns(target_url, "users")
    assert nullable["score"] is False and nullable["motto"] is False
    assert not migrate.generate(project.cfg, "s", "again").changed
    assert lint(project.cfg, "s").findings == ()
    # The downgrade drops the columns: the guard counts them, --yes goes ahead.
    with pytest.raises(Refused, match=r"drops column users\.score holding 2 non-null values"):
        migrate.downgrade(project.cfg, "s", url=target_url)
    migrate.downgrade(project.cfg, "s", url=target_url, yes=True)
    assert "score" not in _columns(target_url, "users")


def test_without_a_backfill_the_revision_is_noted_linted_and_fails_whole(
    project: Project, tmp_path: object
) -> None:
    url = f"sqlite:///{project.root / 'target.sqlite3'}"
    _populated(project, url)
    _schema(project, extra=SCORE)
    result = migrate.generate(project.cfg, "s", "score")
    assert "--backfill users.score=SQL_EXPRESSION" in result.notes[0]
    assert "WB103" in {f.code for f in lint(project.cfg, "s").findings}
    with pytest.raises(MigrationFailed, match="rolled back"):
        migrate.upgrade(project.cfg, "s", url=url)
    assert "score" not in _columns(url, "users")
    assert len(_rows(url, "SELECT id FROM users")) == 2


def test_generate_asks_for_the_backfill_on_a_terminal(project: Project) -> None:
    _schema(project)
    migrate.generate(project.cfg, "s", "initial")
    _schema(project, extra=SCORE)
    args = ["--project", str(project.root), "generate", "s", "-m", "score"]
    result = runner.invoke(app, args, input="42\n", env=INTERACTIVE)
    assert result.exit_code == 0, result.output
    assert "users.score (INTEGER) is added NOT NULL" in result.output
    (written,) = [p.read_text() for p in project.versions("s") if p.name.endswith("_score.py")]
    assert 'SET "score" = 42 WHERE "score" IS NULL' in written


def test_a_backfill_that_matches_nothing_is_refused(project: Project) -> None:
    _schema(project)
    migrate.generate(project.cfg, "s", "initial")
    _schema(project, extra=SCORE)
    with pytest.raises(WorkbenchError, match="nothing to backfill"):
        migrate.generate(project.cfg, "s", "x", backfills={"users.nope": "0"})


# --- the destructive-apply guard ---------------------------------------------------------

NARROW = '''
"""narrow and drop"""
import sqlalchemy as sa
from alembic import op

revision = "b0b0b0b0b0b0"
down_revision = "{parent}"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "full_name", type_=sa.String(5), existing_type=sa.String(100), existing_nullable=False
        )
    op.drop_table("notes")


def downgrade() -> None:
    op.create_table("notes", sa.Column("id", sa.Integer(), primary_key=True))
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "full_name", type_=sa.String(100), existing_type=sa.String(5), existing_nullable=False
        )
'''


def test_the_guard_counts_drops_and_narrowing_before_anything_runs(
    project: Project, target_url: str
) -> None:
    _populated(project, target_url)
    parent = migrate.current(project.cfg, "s", url=target_url).revision
    with db.connect(target_url) as conn:
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO notes (id) VALUES (1)"))
        conn.commit()
    project.write_revision("s", "b0b0_narrow.py", NARROW.format(parent=parent))

    asked: list[Sequence[DestructiveChange]] = []

    def refuse(changes: Sequence[DestructiveChange]) -> bool:
        asked.append(changes)
        return False

    with pytest.raises(Refused) as refused:
        migrate.upgrade(project.cfg, "s", url=target_url, confirm=refuse)
    # Measured, not guessed: the narrowed names all fit in 5 characters, so only the
    # dropped table loses anything.
    assert [c.description for c in asked[0]] == ["drops table notes holding 1 row"]
    assert "upgrade would destroy data" in refused.value.text and "--yes" in refused.value.text
    assert migrate.current(project.cfg, "s", url=target_url).revision == parent
    assert _rows(target_url, "SELECT count(*) FROM notes") == [(1,)]

    done = migrate.upgrade(project.cfg, "s", url=target_url, confirm=lambda changes: True)
    assert done.after == "b0b0b0b0b0b0"


def test_the_guard_needs_nothing_when_nothing_is_lost_or_for_sql(project: Project) -> None:
    url = f"sqlite:///{project.root / 'target.sqlite3'}"
    _schema(project)
    migrate.generate(project.cfg, "s", "initial")
    migrate.upgrade(project.cfg, "s", url=url)
    assert migrate.downgrade(project.cfg, "s", "base", url=url).after is None  # empty tables
    migrate.upgrade(project.cfg, "s", url=url)
    with db.connect(url) as conn:
        conn.execute(sa.text("INSERT INTO users (id, full_name) VALUES (1, 'Ann')"))
        conn.commit()
    rendered = migrate.downgrade(project.cfg, "s", "base", url="postgresql://h/db", sql=True)
    assert rendered.sql is not None and "DROP TABLE users" in rendered.sql


def test_the_cli_guard_refuses_asks_and_goes_ahead_with_yes(project: Project) -> None:
    url = f"sqlite:///{project.root / 'target.sqlite3'}"
    _populated(project, url)
    base = ["--project", str(project.root), "downgrade", "s", "base", "--url", url]

    refused = runner.invoke(app, base)
    assert refused.exit_code == 2
    assert "Error: downgrade would destroy data" in refused.output
    assert "drops table users holding 2 rows" in refused.output

    declined = runner.invoke(app, base, input="n\n", env=INTERACTIVE)
    assert declined.exit_code == 2 and "Go ahead? [y/N]" in declined.output
    assert _rows(url, "SELECT count(*) FROM users") == [(2,)]

    accepted = runner.invoke(app, base, input="y\n", env=INTERACTIVE)
    assert accepted.exit_code == 0, accepted.output
    assert "is now at base" in accepted.output

    migrate.upgrade(project.cfg, "s", url=url)
    with db.connect(url) as conn:
        conn.execute(sa.text("INSERT INTO users (id, full_name) VALUES (1, 'Ann')"))
        conn.commit()
    assert runner.invoke(app, [*base, "--yes"]).exit_code == 0


def test_rename_detection_fails_closed_when_the_scratch_database_cannot_be_read(
    tmp_path: Path,
) -> None:
    from alembic.runtime.migration import MigrationContext

    from workbench.revisions import HistoryModel
    from workbench.safety import _Renamer

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT)"))
        context = MigrationContext.configure(conn)
        renamer = _Renamer(
            context, sa.MetaData(), HistoryModel(), lambda *a: None, None, [], None, []
        )
        assert set(renamer._reflected("users")) == {"id", "full_name"}
        assert renamer._reflected("no_such_table") == {}  # absent: nothing known, no error
    # The connection is gone: an unreadable table is an error, never "no columns".
    with pytest.raises(WorkbenchError, match="could not read the columns of table 'users'"):
        renamer._reflected("users")
    engine.dispose()
