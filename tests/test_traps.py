"""Each trap DESIGN.md lists, reproduced, and workbench absorbing it.

(Rename as drop + add, and NOT NULL on a populated table, are the migration-
safety issue's: see tests/test_safety.py.)
"""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Project
from workbench import db, migrate
from workbench.errors import MigrationFailed
from workbench.revisions import alembic_config

# --- NameError: sqlmodel --------------------------------------------------------------------

NOTES_WITH_FOREIGN_TYPES = """
from datetime import datetime

from appmodule.types import Point
from sqlalchemy import Column, MetaData
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime


class Base(SQLModel, registry=registry(metadata=MetaData())):
    pass


class Note(Base, table=True):
    __tablename__ = "notes"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=80)
    body: str
    stamped: datetime = Field(sa_type=UTCDateTime)
    where: str | None = Field(default=None, sa_column=Column(Point()))
"""

POINT_TYPE = """
from sqlalchemy.types import UserDefinedType


class Point(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw):
        return "TEXT"
"""


def _imported_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _attribute_roots(tree: ast.Module) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                inner = inner.value
            if isinstance(inner, ast.Name):
                roots.add(inner.id)
    return roots


def test_generated_revision_imports_every_module_it_uses(project: Project, tmp_path: Path) -> None:
    (project.root / "appmodule").mkdir()
    (project.root / "appmodule" / "__init__.py").write_text("")
    (project.root / "appmodule" / "types.py").write_text(textwrap.dedent(POINT_TYPE))
    project.write_schema("notes", NOTES_WITH_FOREIGN_TYPES)

    result = migrate.generate(project.cfg, "notes", "initial")
    assert result.path is not None
    text = result.path.read_text()
    tree = ast.parse(text)
    # Plain autogenerate writes sqlmodel.sql.sqltypes.AutoString() without importing
    # sqlmodel; workbench writes what the TypeDecorators store instead.
    assert "sqlmodel" not in text
    assert "sa.String(length=80)" in text and "sa.DateTime(timezone=True)" in text
    assert "import appmodule.types" in text
    missing = _attribute_roots(tree) - _imported_names(tree) - {"op", "batch_op"}
    assert not missing, f"used without import: {missing}"

    # A fresh interpreter running plain Alembic applies it: no NameError.
    target = tmp_path / "plain.sqlite3"
    ini = project.root / "migrations" / "notes" / "alembic.ini"
    for verb in ("upgrade head", "downgrade base", "upgrade head"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "alembic",
                "-c",
                str(ini),
                "-x",
                f"url=sqlite:///{target}",
                *verb.split(),
            ],
            cwd=project.root,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(project.root)},
            check=False,
        )
        assert done.returncode == 0, done.stderr
    with db.connect(f"sqlite:///{target}") as conn:
        assert "notes" in sa.inspect(conn).get_table_names()


def test_a_type_defined_in_the_schema_module_is_refused_clearly(project: Project) -> None:
    project.write_schema(
        "local",
        """
        from sqlalchemy import Column, Integer, MetaData, Table
        from sqlalchemy.types import UserDefinedType

        class Money(UserDefinedType):
            cache_ok = True
            def get_col_spec(self, **kw):
                return "TEXT"

        metadata = MetaData()
        Table("wallets", metadata, Column("id", Integer, primary_key=True), Column("x", Money()))
        """,
    )
    with pytest.raises(Exception, match="defined in a schema module"):
        migrate.generate(project.cfg, "local", "initial")
    # Nothing half-written: the script directory made for this generate is gone.
    assert not (project.root / "migrations" / "local").exists()


# --- batch mode and unnamed constraints ----------------------------------------------------

UNNAMED = """
from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table

metadata = MetaData()  # no naming convention, as in much real code
Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String({width}), unique=True, nullable=False),
    Column("qty", Integer, nullable=False),
    CheckConstraint("qty > 0"),
)
"""


def test_unnamed_check_and_unique_get_names_and_survive_batch_mode(project: Project) -> None:
    project.write_schema("stock", UNNAMED.format(width=20))
    migrate.generate(project.cfg, "stock", "initial")
    url = f"sqlite:///{project.root / 'stock.sqlite3'}"
    migrate.upgrade(project.cfg, "stock", url=url)

    # Widening a column is an ALTER SQLite can only do by copying the table.
    project.write_schema("stock", UNNAMED.format(width=40))
    result = migrate.generate(project.cfg, "stock", "widen sku")
    assert result.path is not None and "batch_alter_table" in result.path.read_text()
    migrate.upgrade(project.cfg, "stock", url=url)

    with db.connect(url) as conn:
        inspector = sa.inspect(conn)
        checks = {c["name"] for c in inspector.get_check_constraints("items")}
        uniques = {u["name"] for u in inspector.get_unique_constraints("items")}
        assert checks == {"ck_items_qty"}
        assert uniques == {"uq_items_sku"}
        conn.exec_driver_sql("INSERT INTO items (sku, qty) VALUES ('a', 1)")
        with pytest.raises(sa.exc.IntegrityError):
            conn.exec_driver_sql("INSERT INTO items (sku, qty) VALUES ('b', 0)")
        conn.rollback()
        conn.exec_driver_sql("INSERT INTO items (sku, qty) VALUES ('a', 1)")
        with pytest.raises(sa.exc.IntegrityError):
            conn.exec_driver_sql("INSERT INTO items (sku, qty) VALUES ('a', 2)")


# --- a revision that fails halfway ---------------------------------------------------------

FAILS_HALFWAY = '''
"""adds audit, alters posts, then fails"""
import sqlalchemy as sa
from alembic import op

revision = "f41l5"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_index("ix_audit_id", "audit", ["id"])
    with op.batch_alter_table("posts") as batch_op:
        batch_op.add_column(sa.Column("summary", sa.String(100), nullable=True))
        batch_op.alter_column("title", existing_type=sa.String(200), type_=sa.String(300))
    op.execute("INSERT INTO no_such_table VALUES (1)")


def downgrade() -> None:
    op.drop_table("audit")
'''


def _state(url: str) -> tuple[set[str], list[str], set[str]]:
    with db.connect(url) as conn:
        inspector = sa.inspect(conn)
        tables = set(inspector.get_table_names())
        posts = [c["name"] for c in inspector.get_columns("posts")]
        indexes = {str(i["name"]) for t in tables for i in inspector.get_indexes(t)}
    return tables, posts, indexes


def test_a_failing_revision_leaves_the_database_at_the_previous_revision(
    blog: Project, target_url: str
) -> None:
    head = migrate.upgrade(blog.cfg, "blog", url=target_url).after
    before = _state(target_url)
    blog.write_revision("blog", "f41l5_fails.py", FAILS_HALFWAY.format(down=head))

    with pytest.raises(MigrationFailed) as failure:
        migrate.upgrade(blog.cfg, "blog", url=target_url)

    message = failure.value.text
    assert "f41l5" in message and "f41l5_fails.py:" in message and "rolled back" in message
    assert migrate.current(blog.cfg, "blog", url=target_url).revision == head
    after = _state(target_url)
    assert after == before
    assert not any(t.startswith("_alembic_tmp_") for t in after[0])


# --- enum types on PostgreSQL --------------------------------------------------------------


def _enum_values(url: str) -> dict[str, list[str]]:
    with db.connect(url) as conn:
        rows = conn.exec_driver_sql(
            "SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
            "ORDER BY t.typname, e.enumsortorder"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for name, label in rows:
        found.setdefault(name, []).append(label)
    return found


@pytest.mark.postgres
def test_enum_type_goes_with_its_table_and_new_members_are_migrated(
    project: Project, pg_url: str
) -> None:
    project.copy_example("products")
    migrate.upgrade(project.cfg, "products", url=pg_url)
    assert _enum_values(pg_url) == {"productstatus": ["draft", "active", "discontinued"]}

    # A new member: plain autogenerate writes nothing at all for it.
    source = (project.root / "schemas" / "products.py").read_text()
    source = source.replace(
        '    active = "active"\n', '    active = "active"\n    archived = "archived"\n'
    )
    (project.root / "schemas" / "products.py").write_text(source)
    result = migrate.generate(project.cfg, "products", "archived status")
    assert result.operations == ("change enum type productstatus: add archived",)
    migrate.upgrade(project.cfg, "products", url=pg_url)
    assert _enum_values(pg_url)["productstatus"] == ["draft", "active", "archived", "discontinued"]

    # Going down removes the member again, while no row holds it...
    migrate.downgrade(project.cfg, "products", url=pg_url)
    assert _enum_values(pg_url)["productstatus"] == ["draft", "active", "discontinued"]
    # ...and refuses, rolled back, when one does: nothing is silently lost.
    migrate.upgrade(project.cfg, "products", url=pg_url)
    with db.connect(pg_url) as conn:
        conn.exec_driver_sql("INSERT INTO categories (id, name) VALUES (1, 'c')")
        conn.exec_driver_sql(
            "INSERT INTO products (category_id, sku, name, price, status) "
            "VALUES (1, 's', 'n', 1, 'archived')"
        )
        conn.commit()
    with pytest.raises(MigrationFailed, match="rolled back"):
        migrate.downgrade(project.cfg, "products", url=pg_url)
    assert "archived" in _enum_values(pg_url)["productstatus"]

    # Down to base: no enum type outlives its table.
    with db.connect(pg_url) as conn:
        conn.exec_driver_sql("DELETE FROM products")
        conn.commit()
    # categories still holds its row: the destructive-apply guard needs yes=True.
    migrate.downgrade(project.cfg, "products", "base", url=pg_url, yes=True)
    assert _enum_values(pg_url) == {}


@pytest.mark.postgres
def test_dropping_a_table_drops_its_enum_and_the_downgrade_restores_both(
    project: Project, pg_url: str
) -> None:
    project.copy_example("products")
    migrate.upgrade(project.cfg, "products", url=pg_url)
    source = (project.root / "schemas" / "products.py").read_text()
    # Remove the products and order_items models: the enum's only user goes.
    cut = source.index("class Product(Base):")
    models = (
        source[:cut]
        .replace(
            '    products: Mapped[list[Product]] = relationship(back_populates="category")\n', ""
        )
        .replace(
            "    items: Mapped[list[OrderItem]] = relationship(\n"
            '        back_populates="order", cascade="all, delete-orphan"\n    )\n',
            "",
        )
    )
    (project.root / "schemas" / "products.py").write_text(models)
    result = migrate.generate(project.cfg, "products", "drop products")
    assert "drop enum type productstatus" in result.operations
    migrate.upgrade(project.cfg, "products", url=pg_url)
    assert _enum_values(pg_url) == {}
    migrate.downgrade(project.cfg, "products", url=pg_url)
    assert _enum_values(pg_url) == {"productstatus": ["draft", "active", "discontinued"]}
    with db.connect(pg_url) as conn:
        status = [c for c in sa.inspect(conn).get_columns("products") if c["name"] == "status"]
    # Recreated with the history's type, not the VARCHAR a SQLite reflection saw.
    assert isinstance(status[0]["type"], sa.Enum) and status[0]["type"].name == "productstatus"


# --- batch mode with foreign keys on -------------------------------------------------------

RETITLE = '''
"""widen posts.title (SQLite copies the table)"""
import sqlalchemy as sa
from alembic import op

revision = "w1d3"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.alter_column("title", existing_type=sa.String(200), type_=sa.String(300))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch_op:
        batch_op.alter_column("title", existing_type=sa.String(300), type_=sa.String(200))
'''

ORPHANS = '''
"""deletes users that posts still point at"""
from alembic import op

revision = "0rph"
down_revision = "w1d3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM users")


def downgrade() -> None:
    pass
'''


def _seed_blog(url: str) -> None:
    with db.connect(url) as conn:
        conn.exec_driver_sql("INSERT INTO users (id, email, name) VALUES (1, 'a@x.org', 'A')")
        conn.exec_driver_sql(
            "INSERT INTO posts (id, author_id, title, body) VALUES (1, 1, 't', 'b')"
        )
        for i in range(1, 4):
            conn.exec_driver_sql(
                f"INSERT INTO comments (id, post_id, author_id, body) VALUES ({i}, 1, 1, 'c')"
            )
        conn.commit()


def test_batch_copy_of_a_parent_table_keeps_child_rows(blog: Project, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'blog.sqlite3'}"
    head = migrate.upgrade(blog.cfg, "blog", url=url).after
    _seed_blog(url)
    # comments.post_id is ON DELETE CASCADE: with foreign keys on, dropping the
    # old copy of posts during the batch would delete every comment.
    blog.write_revision("blog", "w1d3_retitle.py", RETITLE.format(down=head))
    migrate.upgrade(blog.cfg, "blog", url=url)
    with db.connect(url) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM comments").scalar() == 3
        # Foreign keys are back on for ordinary work afterwards.
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_revision_that_orphans_rows_is_rolled_back(blog: Project, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'blog.sqlite3'}"
    head = migrate.upgrade(blog.cfg, "blog", url=url).after
    _seed_blog(url)
    blog.write_revision("blog", "w1d3_retitle.py", RETITLE.format(down=head))
    blog.write_revision("blog", "0rph_orphans.py", ORPHANS)
    with pytest.raises(MigrationFailed, match="foreign keys point nowhere"):
        migrate.upgrade(blog.cfg, "blog", url=url)
    # The target holds data, so the guard ran the whole upgrade in one measured
    # transaction: the failure rolls back w1d3 with it, and nothing changed.
    assert migrate.current(blog.cfg, "blog", url=url).revision == head
    migrate.upgrade(blog.cfg, "blog", "w1d3", url=url)
    assert migrate.current(blog.cfg, "blog", url=url).revision == "w1d3"
    with db.connect(url) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM users").scalar() == 1


# --- autogenerate and the user's own database ----------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generate_works_whatever_the_target_and_never_touches_it(blog: Project) -> None:
    migrate.upgrade(blog.cfg, "blog")
    migrate.downgrade(blog.cfg, "blog", "base")  # the target is not at head
    target = blog.root / ".workbench" / "blog.sqlite3"
    before = _digest(target)

    source = (blog.root / "schemas" / "blog.py").read_text()
    source = source.replace(
        "    name: str = Field(max_length=100)\n    created_at",
        "    name: str = Field(max_length=100)\n    bio: str | None = None\n    created_at",
        1,
    )
    (blog.root / "schemas" / "blog.py").write_text(source)
    result = migrate.generate(blog.cfg, "blog", "add bio")

    assert result.operations == ("add column users.bio (VARCHAR, nullable)",)
    assert _digest(target) == before
    assert migrate.current(blog.cfg, "blog").revision is None


def test_env_py_uses_the_connection_it_is_given(
    blog: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    developer = tmp_path / "developer.sqlite3"
    monkeypatch.setenv("WORKBENCH_URL", f"sqlite:///{developer}")
    test_url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    with db.connect(test_url) as conn:
        command.upgrade(alembic_config(blog.cfg, "blog", attributes={"connection": conn}), "head")
    with db.connect(test_url) as conn:
        assert "posts" in sa.inspect(conn).get_table_names()
    assert not developer.exists()

    # Without a connection, env.py goes to the configured target: the contrast.
    command.upgrade(alembic_config(blog.cfg, "blog"), "head")
    assert developer.exists()
