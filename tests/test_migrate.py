"""generate, upgrade, downgrade, current, history: the library verbs, on real databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Project
from workbench import db, migrate
from workbench.errors import ProjectError, RevisionError, WorkbenchError

BLOG_HEAD = "7b192ac1fbac"


def _add_bio(project: Project) -> None:
    path = project.root / "schemas" / "blog.py"
    source = path.read_text().replace(
        "    name: str = Field(max_length=100)\n    created_at",
        "    name: str = Field(max_length=100)\n    bio: str | None = None\n    created_at",
        1,
    )
    path.write_text(source)


def test_generate_with_no_changes_writes_nothing(blog: Project) -> None:
    before = blog.versions("blog")
    result = migrate.generate(blog.cfg, "blog", "nothing")
    assert not result.changed and result.path is None
    assert blog.versions("blog") == before


def test_generate_writes_the_next_revision_and_it_applies(blog: Project, target_url: str) -> None:
    _add_bio(blog)
    result = migrate.generate(blog.cfg, "blog", "add bio to users")
    assert result.path is not None and result.path.name.endswith("_add_bio_to_users.py")
    assert result.operations == ("add column users.bio (VARCHAR, nullable)",)
    script = result.path.read_text()
    assert f"down_revision: str | Sequence[str] | None = '{BLOG_HEAD}'" in script
    up = migrate.upgrade(blog.cfg, "blog", url=target_url)
    assert [s.revision for s in up.steps] == [BLOG_HEAD, result.revision]
    with db.connect(target_url) as conn:
        assert "bio" in {c["name"] for c in sa.inspect(conn).get_columns("users")}
    down = migrate.downgrade(blog.cfg, "blog", url=target_url)
    assert down.before == result.revision and down.after == BLOG_HEAD
    with db.connect(target_url) as conn:
        assert "bio" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}
    # And the models and history agree again once applied.
    assert not migrate.generate(blog.cfg, "blog", "again").changed


def test_the_first_generate_writes_the_script_directory(project: Project) -> None:
    project.copy_example("student_course", migrations=False)
    result = migrate.generate(project.cfg, "student_course", "initial")
    location = project.root / "migrations" / "student_course"
    assert {p.name for p in location.iterdir()} >= {
        "env.py",
        "alembic.ini",
        "script.py.mako",
        "versions",
    }
    assert 'run_migrations(schema="student_course")' in (location / "env.py").read_text()
    assert result.operations[-1] == "create table enrollments"


def test_generate_empty_writes_a_revision_to_fill_in(blog: Project) -> None:
    result = migrate.generate(blog.cfg, "blog", "by hand", empty=True)
    assert result.path is not None
    text = result.path.read_text()
    assert (
        "def upgrade() -> None:\n    pass" in text and "def downgrade() -> None:\n    pass" in text
    )
    with pytest.raises(WorkbenchError, match="needs a message"):
        migrate.generate(blog.cfg, "blog", "  ")


def test_step_by_step_and_by_revision(blog: Project, tmp_path: Path) -> None:
    _add_bio(blog)
    second = migrate.generate(blog.cfg, "blog", "bio").revision
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    assert migrate.upgrade(blog.cfg, "blog", BLOG_HEAD, url=url).after == BLOG_HEAD
    assert migrate.current(blog.cfg, "blog", url=url).at_head is False
    assert migrate.upgrade(blog.cfg, "blog", "+1", url=url).after == second
    assert migrate.upgrade(blog.cfg, "blog", url=url).steps == ()
    assert migrate.downgrade(blog.cfg, "blog", "base", url=url).after is None
    assert migrate.downgrade(blog.cfg, "blog", url=url).steps == ()
    assert [r.id for r in migrate.history(blog.cfg, "blog")] == [BLOG_HEAD, second]


def test_the_embedded_default_target_is_made_on_upgrade_only(blog: Project) -> None:
    target = blog.root / ".workbench" / "blog.sqlite3"
    assert migrate.current(blog.cfg, "blog").revision is None
    assert not target.exists()
    migrate.upgrade(blog.cfg, "blog")
    assert target.exists()
    assert migrate.current(blog.cfg, "blog").revision == BLOG_HEAD


def test_an_unknown_revision_lists_the_known_ones(blog: Project) -> None:
    with pytest.raises(RevisionError, match=rf"no revision 'abc123'.*{BLOG_HEAD}"):
        migrate.upgrade(blog.cfg, "blog", "abc123")


def test_two_heads_say_how_to_merge(blog: Project) -> None:
    for rev in ("aaa1", "bbb2"):
        blog.write_revision(
            "blog",
            f"{rev}_branch.py",
            f'"""branch {rev}"""\nrevision = "{rev}"\ndown_revision = "{BLOG_HEAD}"\n'
            "branch_labels = None\ndepends_on = None\n\n"
            "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n",
        )
    with pytest.raises(RevisionError, match=r"2 heads \(aaa1, bbb2\).*merge -m merge heads"):
        migrate.upgrade(blog.cfg, "blog")
    with pytest.raises(RevisionError, match="2 heads"):
        migrate.generate(blog.cfg, "blog", "more")


def test_a_database_stamped_with_an_unknown_revision_is_refused(
    blog: Project, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    migrate.upgrade(blog.cfg, "blog", url=url)
    with db.connect(url) as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f0reign'")
        conn.commit()
    with pytest.raises(RevisionError, match="stamped with revision f0reign, which the history"):
        migrate.upgrade(blog.cfg, "blog", url=url)
    with pytest.raises(RevisionError, match="f0reign"):
        migrate.current(blog.cfg, "blog", url=url)


def test_sql_for_postgresql_needs_no_server(examples: Project) -> None:
    url = "postgresql://app:pw@127.0.0.1:1/shop"
    result = migrate.upgrade(examples.cfg, "products", url=url, sql=True)
    assert result.sql is not None
    sql = result.sql
    assert "CREATE TYPE productstatus AS ENUM ('draft', 'active', 'discontinued')" in sql
    assert sql.index("CREATE TYPE") < sql.index("CREATE TABLE products")
    assert sql.count("BEGIN;") == sql.count("COMMIT;") == 1
    assert "pw" not in sql.splitlines()[0]
    down = migrate.downgrade(examples.cfg, "products", "base", url=url, sql=True).sql
    assert down is not None and "DROP TYPE IF EXISTS productstatus" in down


def test_sql_for_sqlite_batch_work_explains_why_it_cannot(blog: Project, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    migrate.upgrade(blog.cfg, "blog", url=url)
    blog.write_revision(
        "blog",
        "bat1_alter.py",
        f'"""alter"""\nimport sqlalchemy as sa\nfrom alembic import op\n'
        f'revision = "bat1"\ndown_revision = "{BLOG_HEAD}"\nbranch_labels = None\n'
        "depends_on = None\n\ndef upgrade() -> None:\n"
        '    with op.batch_alter_table("posts") as b:\n'
        '        b.alter_column("title", existing_type=sa.String(200), type_=sa.String(300))\n\n'
        "def downgrade() -> None:\n    pass\n",
    )
    with pytest.raises(WorkbenchError, match="cannot print the SQL of these revisions for SQLite"):
        migrate.upgrade(blog.cfg, "blog", url=url, sql=True)


def test_plain_alembic_runs_the_same_directory(blog: Project, tmp_path: Path) -> None:
    target = tmp_path / "plain.sqlite3"
    ini = blog.root / "migrations" / "blog" / "alembic.ini"
    for args in (["upgrade", "head"], ["current"], ["downgrade", "base"]):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "alembic",
                "-c",
                str(ini),
                "-x",
                f"url=sqlite:///{target}",
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=blog.root,
            env=os.environ.copy(),
        )
        assert done.returncode == 0, done.stderr
        if args == ["current"]:
            assert BLOG_HEAD in done.stdout
    # Without -x url, plain alembic takes workbench's target: the embedded default.
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head"],
        capture_output=True,
        text=True,
        check=False,
        cwd=blog.root,
    )
    assert done.returncode == 0, done.stderr
    assert migrate.current(blog.cfg, "blog").revision == BLOG_HEAD


def test_schemas_lists_each_schema_with_its_state(examples: Project) -> None:
    migrate.upgrade(examples.cfg, "blog")
    (examples.root / "schemas" / "broken.py").write_text("import nope\n")
    found = {s.name: s for s in migrate.schemas(examples.cfg)}
    assert found["blog"].target_state == "stamped" and found["blog"].current == BLOG_HEAD
    assert found["blog"].tables == 5 and found["blog"].revisions == 1
    assert found["products"].target_state == "absent"
    assert found["broken"].error is not None and "schemas/broken.py:1" in found["broken"].error
    assert not (examples.root / ".workbench" / "products.sqlite3").exists()


def test_unknown_schema_is_reported_with_the_known_ones(examples: Project) -> None:
    for call in (
        lambda: migrate.upgrade(examples.cfg, "nope"),
        lambda: migrate.generate(examples.cfg, "nope", "x"),
        lambda: migrate.current(examples.cfg, "nope"),
    ):
        with pytest.raises(ProjectError, match="Known schemas: blog, products, student_course"):
            call()
    assert not (examples.root / "migrations" / "nope").exists()
