"""The destructive-apply guard measures what revisions do, under the lock, on real databases."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Project
from tests.helpers import runner
from workbench import db, migrate
from workbench.cli import app
from workbench.errors import DatabaseError, Refused
from workbench.results import DestructiveChange

BASE = '''
"""base tables"""
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40)),
        sa.Column("bio", sa.Text()),
        sa.Column("score", sa.Numeric(10, 2)),
    )
    op.create_table("archive", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("archive")
    op.drop_table("users")
'''

SCHEMA = """
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
"""


def _revision(body_up: str, body_down: str = "    pass\n") -> str:
    return (
        '"""second"""\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        'revision = "b2"\ndown_revision = "a1"\n\n\n'
        f"def upgrade() -> None:\n{body_up}\n\ndef downgrade() -> None:\n{body_down}\n"
    )


DODGES = {
    # Reads through op.get_bind(): the old guard's replay failed here and saw nothing after.
    "get_bind": (
        "    bind = op.get_bind()\n"
        "    bind.execute(sa.text('SELECT count(*) FROM users')).scalar()\n"
        "    op.drop_table('archive')\n"
        "    with op.batch_alter_table('users') as batch:\n"
        "        batch.drop_column('bio')\n"
    ),
    "raw_sql": (
        "    op.execute('DROP TABLE archive')\n"
        "    op.execute('ALTER TABLE users DROP COLUMN bio')\n"
    ),
    "bind_sql": (
        "    op.get_bind().exec_driver_sql('DROP TABLE archive')\n"
        "    with op.batch_alter_table('users') as batch:\n"
        "        batch.drop_column('bio')\n"
    ),
}


def _project(project: Project, url: str, second: str) -> None:
    project.write_schema("s", SCHEMA)
    project.write_revision("s", "a1_base.py", BASE)
    migrate.upgrade(project.cfg, "s", "a1", url=url)
    with db.connect(url) as conn:
        for i in range(1, 6):
            conn.execute(
                sa.text("INSERT INTO users (id, name, bio, score) VALUES (:i, :n, 'b', 1.55)"),
                {"i": i, "n": "x" * 15},
            )
        conn.execute(sa.text("INSERT INTO archive (id) VALUES (1), (2)"))
        conn.commit()
    project.write_revision("s", "b2_second.py", second)


def _count(url: str, sql: str) -> object:
    with db.connect(url) as conn:
        return conn.execute(sa.text(sql)).scalar()


@pytest.mark.parametrize("dodge", sorted(DODGES))
def test_revisions_that_dodge_a_parser_are_measured_and_rolled_back(
    project: Project, target_url: str, dodge: str
) -> None:
    _project(project, target_url, _revision(DODGES[dodge]))
    asked: list[Sequence[DestructiveChange]] = []

    def refuse(changes: Sequence[DestructiveChange]) -> bool:
        asked.append(changes)
        return False

    with pytest.raises(Refused) as refused:
        migrate.upgrade(project.cfg, "s", url=target_url, confirm=refuse)
    assert sorted(c.description for c in asked[0]) == [
        "drops column users.bio holding 5 non-null values",
        "drops table archive holding 2 rows",
    ]
    assert "run it again with --yes" in refused.value.text and "yes=True" not in refused.value.text
    assert "nothing was changed" in refused.value.text
    # Nothing changed: the revision ran and was rolled back.
    assert migrate.current(project.cfg, "s", url=target_url).revision == "a1"
    assert _count(target_url, "SELECT count(*) FROM archive") == 2
    assert _count(target_url, "SELECT count(bio) FROM users") == 5
    done = migrate.upgrade(project.cfg, "s", url=target_url, confirm=lambda c: True)
    assert done.after == "b2" and [s.revision for s in done.steps] == ["b2"]


def test_narrowing_that_loses_nothing_needs_no_answer(project: Project, target_url: str) -> None:
    narrow = (
        "    with op.batch_alter_table('users') as batch:\n"
        "        batch.alter_column('name', type_=sa.String(20), existing_type=sa.String(40))\n"
    )
    _project(project, target_url, _revision(narrow))
    assert migrate.upgrade(project.cfg, "s", url=target_url).after == "b2"
    assert _count(target_url, "SELECT max(length(name)) FROM users") == 15


def test_values_truncated_in_place_are_counted(project: Project, target_url: str) -> None:
    truncate = "    op.execute('UPDATE users SET name = substr(name, 1, 3)')\n"
    _project(project, target_url, _revision(truncate))
    with pytest.raises(Refused, match=r"changes column users\.name so that its 5 non-null"):
        migrate.upgrade(project.cfg, "s", url=target_url)
    assert _count(target_url, "SELECT max(length(name)) FROM users") == 15


@pytest.mark.postgres
def test_a_rounding_type_change_is_a_loss_and_a_wider_one_is_not(
    project: Project, pg_url: str
) -> None:
    widen = "    op.alter_column('users', 'score', type_=sa.Numeric(12, 3))\n"
    _project(project, pg_url, _revision(widen))
    assert migrate.upgrade(project.cfg, "s", url=pg_url).after == "b2"
    migrate.downgrade(project.cfg, "s", url=pg_url)
    round_ = "    op.alter_column('users', 'score', type_=sa.Numeric(10, 0))\n"
    project.write_revision("s", "b2_second.py", _revision(round_))
    with pytest.raises(
        Refused, match=r"changes column users\.score from numeric\(12,3\) to numeric\(10,0\)"
    ):
        migrate.upgrade(project.cfg, "s", url=pg_url)


def test_a_rename_is_not_a_loss(project: Project, target_url: str) -> None:
    rename = (
        "    op.rename_table('archive', 'old_archive')\n"
        "    with op.batch_alter_table('users') as batch:\n"
        "        batch.alter_column('bio', new_column_name='about')\n"
    )
    _project(project, target_url, _revision(rename))
    assert migrate.upgrade(project.cfg, "s", url=target_url).after == "b2"


def test_deleted_rows_are_counted(project: Project, target_url: str) -> None:
    _project(project, target_url, _revision("    op.execute('DELETE FROM archive WHERE id = 1')\n"))
    with pytest.raises(Refused, match="deletes 1 row of table archive"):
        migrate.upgrade(project.cfg, "s", url=target_url)
    assert migrate.upgrade(project.cfg, "s", url=target_url, yes=True).after == "b2"
    assert _count(target_url, "SELECT count(*) FROM archive") == 1


def test_the_cli_speaks_cli(project: Project, target_url: str) -> None:
    _project(project, target_url, _revision(DODGES["raw_sql"]))
    args = ["--project", str(project.root), "upgrade", "s", "--url", target_url]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "run it again with --yes" in refused.output and "yes=True" not in refused.output
    assert runner.invoke(app, [*args, "--yes"]).exit_code == 0
    assert _count(target_url, "SELECT count(*) FROM users") == 5


def test_the_guard_is_evaluated_under_the_lock(
    project: Project, target_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another migration adds a row while this downgrade waits: it must see the row."""
    project.write_schema("s", SCHEMA)
    project.write_revision("s", "a1_base.py", BASE)
    migrate.upgrade(project.cfg, "s", url=target_url)  # empty tables: nothing to lose yet
    waiting = threading.Event()
    if db.backend(target_url) == "sqlite":
        real = db._try_lock

        def spy(fd: int) -> bool:
            got = real(fd)
            if not got:
                waiting.set()
            return got

        monkeypatch.setattr(db, "_try_lock", spy)
    outcome: list[BaseException | None] = []

    def downgrade() -> None:
        try:
            migrate.downgrade(project.cfg, "s", "base", url=target_url)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with db.connect(target_url, migrating=True) as holder, db.migration_lock(holder, "s"):
        worker = threading.Thread(target=downgrade)
        worker.start()
        if db.backend(target_url) == "postgresql":
            with db.connect(target_url) as probe:
                while not probe.exec_driver_sql(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                ).scalar():
                    probe.rollback()
        else:
            waiting.wait()
        holder.exec_driver_sql("INSERT INTO archive (id) VALUES (7)")
        holder.commit()
    worker.join()
    assert isinstance(outcome[0], Refused), outcome
    assert "drops table archive holding 1 row" in outcome[0].text
    assert _count(target_url, "SELECT count(*) FROM archive") == 1


@pytest.mark.postgres
def test_a_table_lock_held_elsewhere_times_out_and_names_the_session(
    project: Project, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add = "    op.add_column('users', sa.Column('extra', sa.Integer()))\n"
    _project(project, pg_url, _revision(add))
    monkeypatch.setenv("WORKBENCH_LOCK_TIMEOUT", "0.2")
    monkeypatch.setattr(migrate, "LOCK_RETRIES", 1)
    blocker = sa.create_engine(
        db.parse_url(pg_url), connect_args={"application_name": "blocker_app"}
    )
    try:
        with blocker.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM users").scalar()  # holds ACCESS SHARE
            with pytest.raises(DatabaseError) as gave_up:
                migrate.upgrade(project.cfg, "s", url=pg_url, yes=True)
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            conn.rollback()
    finally:
        blocker.dispose()
    text = gave_up.value.text
    assert f"pid {pid}" in text and "blocker_app" in text and "idle in transaction" in text
    assert "a bug in workbench" not in text
    assert migrate.upgrade(project.cfg, "s", url=pg_url, yes=True).after == "b2"


def test_a_sqlite_write_lock_held_elsewhere_is_a_clear_error(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 't.sqlite3'}"
    _project(project, url, _revision("    op.add_column('users', sa.Column('x', sa.Integer()))\n"))
    monkeypatch.setattr(db, "LOCK_TIMEOUT", 0.2)
    other = sqlite3.connect(str(tmp_path / "t.sqlite3"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        result = runner.invoke(app, ["--project", str(project.root), "upgrade", "s", "--url", url])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 2
    assert "another connection has held the write lock" in result.output
    assert "bug in workbench" not in result.output


def test_lock_timeout_must_be_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_LOCK_TIMEOUT", "soon")
    with pytest.raises(DatabaseError, match="WORKBENCH_LOCK_TIMEOUT"):
        db.statement_lock_timeout()
    monkeypatch.setenv("WORKBENCH_LOCK_TIMEOUT", "2.5")
    assert db.statement_lock_timeout() == 2.5


def test_the_suite_sees_no_workbench_variable_of_the_developer() -> None:
    leaked = [k for k in os.environ if k.startswith("WORKBENCH_")]
    assert set(leaked) <= {"WORKBENCH_TEST_POSTGRES_URL", "WORKBENCH_REQUIRE_POSTGRES"}


def test_the_tour_ignores_workbench_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.cli.tour import _own_environment

    monkeypatch.setenv("WORKBENCH_URL", "sqlite:////nowhere/real.db")
    monkeypatch.setenv("WORKBENCH_POSTGRES_URL", "postgresql://u:pw@h/db")
    with _own_environment():
        assert "WORKBENCH_URL" not in os.environ
        assert "WORKBENCH_POSTGRES_URL" not in os.environ
    assert os.environ["WORKBENCH_URL"] == "sqlite:////nowhere/real.db"
