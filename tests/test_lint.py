"""workbench lint: every rule's failing and passing revisions as data, ignore comments, the CLI.

Each case is one revision written after a base revision that creates ``users``
and ``orders``; ``# <-`` marks the line the finding must point at.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Project
from tests.helpers import invoke, runner
from workbench.cli import app
from workbench.errors import RevisionError
from workbench.lint import RULES, lint, lint_revisions

REPO = Path(__file__).resolve().parents[1]

SCHEMA = """
from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
"""

BASE = '''
"""base"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(100), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("price", sa.Numeric(10, 2), nullable=True),
        sa.Column("status", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_table("users")
'''

CASE = '''
"""case"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import workbench.ops

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''

ADD_DISPLAY_NAME = """
with op.batch_alter_table("users") as batch_op:
    batch_op.add_column(sa.Column("display_name", sa.String(100), nullable=True))
    batch_op.drop_column("full_name"){mark}
"""
UNDO_DISPLAY_NAME = """
with op.batch_alter_table("users") as batch_op:
    batch_op.add_column(sa.Column("full_name", sa.String(100), nullable=True))
    batch_op.drop_column("display_name")
"""
DROP_BIO = """
with op.batch_alter_table("users") as batch_op:
    batch_op.drop_column("bio"){mark}
"""
ADD_BIO = """
with op.batch_alter_table("users") as batch_op:
    batch_op.add_column(sa.Column("bio", sa.Text(), nullable=True))
"""
ADD_AGE = """
with op.batch_alter_table("users") as batch_op:
    batch_op.add_column(sa.Column("age", sa.Integer(), {args})){mark}
"""
DROP_AGE = """
with op.batch_alter_table("users") as batch_op:
    batch_op.drop_column("age")
"""
MARK = "  # <-"

# (rule, id, upgrade, downgrade, fires). Every rule has at least one of each.
_RULE_CASES: list[tuple[str, str, str, str, bool]] = [
    (
        "WB100",
        "queries-the-database",
        "rows = op.get_bind().execute(sa.text('SELECT id FROM users')).fetchall()",
        "pass",
        True,
    ),
    ("WB100", "plain-sql", "op.execute('SELECT 1')", "pass", False),
    (
        "WB100",
        "downgrade-queries-the-database",
        "op.execute('SELECT 1')",
        "op.get_bind().execute(sa.text('DELETE FROM users'))",
        True,
    ),
    (
        "WB100",
        "branches-on-the-dialect",
        "if op.get_bind().dialect.name == 'postgresql':\n    op.execute('SELECT 1')",
        "if op.get_bind().engine.name == 'sqlite':\n    op.execute('SELECT 1')",
        False,
    ),
    (
        "WB101",
        "column-drop-add",
        ADD_DISPLAY_NAME.format(mark=MARK),
        UNDO_DISPLAY_NAME,
        True,
    ),
    (
        "WB101",
        "column-rename",
        "op.alter_column('users', 'full_name', new_column_name='display_name')",
        "op.alter_column('users', 'display_name', new_column_name='full_name')",
        False,
    ),
    (
        "WB101",
        "unrelated-types",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.add_column(sa.Column("age", sa.Integer(), nullable=True))
    batch_op.drop_column("full_name")
""",
        "pass",
        False,
    ),
    (
        "WB101",
        "table-drop-create",
        f"""
op.drop_table("orders"){MARK}
op.create_table(
    "purchases",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_purchases"),
)
""",
        "op.drop_table('purchases')",
        True,
    ),
    ("WB101", "table-rename", "op.rename_table('orders', 'purchases')", "pass", False),
    ("WB102", "drop-column", DROP_BIO.format(mark=MARK), ADD_BIO, True),
    ("WB102", "drop-table", f"op.drop_table('orders'){MARK}", "pass", True),
    ("WB102", "add-column", ADD_BIO.replace('"bio"', '"motto"'), "pass", False),
    (
        "WB103",
        "not-null-no-default",
        ADD_AGE.format(args="nullable=False", mark=MARK),
        DROP_AGE,
        True,
    ),
    (
        "WB103",
        "not-null-with-default",
        ADD_AGE.format(args="nullable=False, server_default='0'", mark=""),
        DROP_AGE,
        False,
    ),
    ("WB103", "nullable", ADD_AGE.format(args="nullable=True", mark=""), DROP_AGE, False),
    (
        "WB103",
        "downgrade-re-adds-not-null",
        DROP_BIO.format(mark=""),
        f"""
with op.batch_alter_table("users") as batch_op:
    batch_op.add_column(sa.Column("bio", sa.Text(), nullable=False)){MARK}
""",
        True,
    ),
    (
        "WB103",
        "new-table",
        """
op.create_table("tags", sa.Column("id", sa.Integer(), nullable=False),
                sa.PrimaryKeyConstraint("id", name="pk_tags"))
with op.batch_alter_table("tags") as batch_op:
    batch_op.add_column(sa.Column("name", sa.String(20), nullable=False))
""",
        "op.drop_table('tags')",
        False,
    ),
    (
        "WB104",
        "shorter-string",
        f"""
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("full_name", type_=sa.String(50)){MARK}
""",
        "pass  # workbench: ignore[WB111]",
        True,
    ),
    (
        "WB104",
        "numeric-to-integer",
        f"""
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("price", type_=sa.Integer(), existing_type=sa.Numeric(10, 2)){MARK}
""",
        "pass  # workbench: ignore[WB111]",
        True,
    ),
    (
        "WB104",
        "longer-string",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("full_name", type_=sa.String(200))
""",
        "pass  # workbench: ignore[WB111]",
        False,
    ),
    (
        "WB105",
        "alter-outside-batch",
        f"op.alter_column('users', 'status', type_=sa.String(40)){MARK}",
        "pass  # workbench: ignore[WB111]",
        True,
    ),
    (
        "WB105",
        "constraint-outside-batch",
        f"op.create_unique_constraint('uq_users_full_name', 'users', ['full_name']){MARK}",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.drop_constraint("uq_users_full_name", type_="unique")
""",
        True,
    ),
    (
        "WB105",
        "alter-in-batch",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("status", type_=sa.String(40))
""",
        "pass  # workbench: ignore[WB111]",
        False,
    ),
    (
        "WB105",
        "rename-outside-batch",
        "op.alter_column('users', 'bio', new_column_name='about')",
        "op.alter_column('users', 'about', new_column_name='bio')",
        False,
    ),
    (
        "WB106",
        "unnamed-unique",
        f"""
with op.batch_alter_table("users") as batch_op:
    batch_op.create_unique_constraint(None, ["full_name"]){MARK}
""",
        "pass  # workbench: ignore[WB111]",
        True,
    ),
    (
        "WB106",
        "unnamed-in-create-table",
        f"""
op.create_table(  {MARK}
    "tags",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(20), nullable=False, unique=True),
    sa.PrimaryKeyConstraint("id", name="pk_tags"),
)
""",
        "op.drop_table('tags')",
        True,
    ),
    (
        "WB106",
        "unnamed-foreign-key-column",
        f"""
with op.batch_alter_table("orders") as batch_op:
    batch_op.add_column(sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"))){MARK}
""",
        """
with op.batch_alter_table("orders") as batch_op:
    batch_op.drop_column("owner_id")
""",
        True,
    ),
    (
        "WB106",
        "named",
        """
op.create_table(
    "tags",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(20), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_tags"),
    sa.UniqueConstraint("name", name="uq_tags_name"),
)
""",
        "op.drop_table('tags')",
        False,
    ),
    (
        "WB107",
        "member-removed",
        f"op.sync_enum_values('status', ['a'], old_values=['a', 'b']){MARK}",
        "op.sync_enum_values('status', ['a', 'b'], old_values=['a'])",
        True,
    ),
    (
        "WB107",
        "member-renamed-in-sql",
        f"op.execute(\"ALTER TYPE status RENAME VALUE 'b' TO 'c'\"){MARK}",
        "op.execute(\"ALTER TYPE status RENAME VALUE 'c' TO 'b'\")",
        True,
    ),
    (
        "WB107",
        "member-added",
        "op.sync_enum_values('status', ['a', 'b'], old_values=['a'])",
        "op.sync_enum_values('status', ['a'], old_values=['a', 'b'])",
        False,
    ),
    (
        "WB108",
        "index-on-existing-table",
        f"""
with op.batch_alter_table("users") as batch_op:
    batch_op.create_index("ix_users_status", ["status"]){MARK}
""",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.drop_index("ix_users_status")
""",
        True,
    ),
    (
        "WB108",
        "concurrently",
        """
with op.get_context().autocommit_block():
    op.create_index("ix_users_status", "users", ["status"], postgresql_concurrently=True)
""",
        "op.drop_index('ix_users_status', 'users')",
        False,
    ),
    (
        "WB108",
        "index-on-new-table",
        """
op.create_table("tags", sa.Column("id", sa.Integer(), nullable=False),
                sa.PrimaryKeyConstraint("id", name="pk_tags"))
op.create_index("ix_tags_id", "tags", ["id"])
""",
        "op.drop_table('tags')",
        False,
    ),
    (
        "WB109",
        "string-to-integer",
        f"""
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("status", type_=sa.Integer()){MARK}
""",
        "pass  # workbench: ignore[WB111]",
        True,
    ),
    (
        "WB109",
        "varchar-to-text",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("status", type_=sa.Text())
""",
        "pass  # workbench: ignore[WB111]",
        False,
    ),
    (
        "WB110",
        "foreign-key-validated",
        f"""
with op.batch_alter_table("orders") as batch_op:
    batch_op.create_foreign_key("fk_orders_user_id_users", "users", ["user_id"], ["id"]){MARK}
""",
        """
with op.batch_alter_table("orders") as batch_op:
    batch_op.drop_constraint("fk_orders_user_id_users", type_="foreignkey")
""",
        True,
    ),
    (
        "WB110",
        "foreign-key-not-valid",
        """
with op.batch_alter_table("orders") as batch_op:
    batch_op.create_foreign_key(
        "fk_orders_user_id_users", "users", ["user_id"], ["id"], postgresql_not_valid=True
    )
""",
        """
with op.batch_alter_table("orders") as batch_op:
    batch_op.drop_constraint("fk_orders_user_id_users", type_="foreignkey")
""",
        False,
    ),
    ("WB111", "raises", ADD_BIO.replace('"bio"', '"motto"'), "raise NotImplementedError()", True),
    ("WB111", "empty", ADD_BIO.replace('"bio"', '"motto"'), "pass", True),
    ("WB111", "reversed", DROP_BIO.format(mark=""), ADD_BIO, False),
    (
        "WB112",
        "update-without-reverse",
        f"op.execute(\"UPDATE users SET status = 'active'\"){MARK}",
        "pass",
        True,
    ),
    (
        "WB112",
        "update-with-reverse",
        "op.execute(\"UPDATE users SET status = 'active' WHERE status IS NULL\")",
        "op.execute(\"UPDATE users SET status = NULL WHERE status = 'active'\")",
        False,
    ),
    (
        "WB112",
        "generated-backfill",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.add_column(sa.Column("age", sa.Integer(), nullable=True))
op.execute('UPDATE "users" SET "age" = 0 WHERE "age" IS NULL')
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("age", existing_type=sa.Integer(), nullable=False)
""",
        DROP_AGE,
        False,
    ),
    (
        "WB113",
        "set-not-null",
        f"""
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("bio", existing_type=sa.Text(), nullable=False){MARK}
""",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("bio", existing_type=sa.Text(), nullable=True)
""",
        True,
    ),
    (
        "WB113",
        "backfilled",
        """
op.execute("UPDATE users SET bio = '' WHERE bio IS NULL")
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("bio", existing_type=sa.Text(), nullable=False)
""",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("bio", existing_type=sa.Text(), nullable=True)
""",
        False,
    ),
]

_REGRESSIONS: list[tuple[str, str, str, str, bool]] = [
    # --- regressions: false findings seen on real histories, and the new rules ----------
    # A downgrade lint cannot read offline is "could not read" (WB100), never "raises".
    *[
        ("WB111", f"downgrade-{name}", ADD_BIO.replace('"bio"', '"motto"'), body, False)
        for name, body in [
            ("reads-the-url", "if 'sqlite' in str(op.get_bind().url):\n    pass"),
            ("closes-the-bind", "bind = op.get_bind()\nbind.close()"),
            (
                "queries",
                "rows = op.get_bind().execute(sa.text('SELECT 1')).fetchall()\n"
                "op.drop_column('users', 'motto')",
            ),
            ("inspects", "sa.inspect(op.get_bind()).get_table_names()"),
        ]
    ],
    (
        "WB111",
        "raises-on-purpose-after-reading-the-dialect",
        ADD_BIO.replace('"bio"', '"motto"'),
        "if op.get_bind().dialect.name:\n    raise RuntimeError('cannot be undone')",
        True,
    ),
    # SQLite's ALTER TABLE, exactly (the version in use here is at least 3.35).
    *[
        ("WB105", name, up, down, False)
        for name, up, down in [
            ("drop-plain-column", "op.drop_column('users', 'bio')", ADD_BIO),
            (
                "add-plain-column",
                "op.add_column('users', sa.Column('motto', sa.Text(), server_default='hi'))",
                "op.drop_column('users', 'motto')",
            ),
            (
                "drop-column-after-its-index",
                "op.create_index('ix_users_status', 'users', ['status'])\n"
                "op.drop_index('ix_users_status', 'users')\n"
                "op.drop_column('users', 'status')",
                "op.add_column('users', sa.Column('status', sa.String(20)))",
            ),
            (
                "rename-table",
                "op.rename_table('orders', 'purchases')",
                "op.rename_table('purchases', 'orders')",
            ),
            (
                "no-change",
                "op.alter_column('users', 'bio', existing_type=sa.Text())",
                "pass  # workbench: ignore[WB111]",
            ),
        ]
    ],
    *[
        ("WB105", name, up, down, True)
        for name, up, down in [
            (
                "drop-indexed-column",
                f"op.create_index('ix_users_status', 'users', ['status'])\n"
                f"op.drop_column('users', 'status'){MARK}",
                "op.add_column('users', sa.Column('status', sa.String(20)))",
            ),
            (
                "add-unique-column",
                f"op.add_column('users', sa.Column('email', sa.String(50), unique=True)){MARK}",
                DROP_AGE.replace("age", "email"),
            ),
            (
                "add-column-with-current-timestamp",
                "op.add_column('users', sa.Column('seen', sa.DateTime(), "
                f"server_default=sa.text('CURRENT_TIMESTAMP'))){MARK}",
                "op.drop_column('users', 'seen')",
            ),
            (
                "drop-column-in-a-check",
                "op.create_table('tags', sa.Column('id', sa.Integer(), primary_key=True),\n"
                "    sa.Column('n', sa.Integer()),\n"
                "    sa.CheckConstraint('n > 0', name='ck_tags_n'))\n"
                f"op.drop_column('tags', 'n'){MARK}",
                "op.drop_table('tags')",
            ),
        ]
    ],
    # A revision that branches on the dialect is judged by the branch each backend runs.
    (
        "WB105",
        "dialect-branch",
        """
if op.get_bind().dialect.name == "sqlite":
    with op.batch_alter_table("orders") as batch_op:
        batch_op.create_foreign_key("fk_orders_user", "users", ["user_id"], ["id"])
else:
    op.create_foreign_key("fk_orders_user", "orders", "users", ["user_id"], ["id"])
""",
        """
if op.get_bind().engine.name == "sqlite":
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_constraint("fk_orders_user", type_="foreignkey")
else:
    op.drop_constraint("fk_orders_user", "orders", type_="foreignkey")
""",
        False,
    ),
    # Unnamed constraints: reported once, on the right table, on SQLite only (WB106).
    (
        "WB106",
        "unnamed-foreign-key-from-create-foreign-key",
        f"""
with op.batch_alter_table("orders") as batch_op:
    batch_op.create_foreign_key(None, "users", ["user_id"], ["id"]){MARK}
""",
        "pass  # workbench: ignore[WB111]",
        True,
    ),
    (
        "WB106",
        "restored-by-the-downgrade",
        "op.drop_table('orders')  # workbench: ignore[WB102]",
        """
op.create_table(
    "orders",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_orders"),
)
""",
        False,
    ),
    # A backfill by sa.update, or in an earlier revision, is a backfill (WB113).
    (
        "WB113",
        "backfilled-with-sa-update",
        """
with op.batch_alter_table("users") as batch_op:
    batch_op.add_column(sa.Column("age", sa.Integer(), nullable=True))
users = sa.table("users", sa.column("age", sa.Integer()))
op.execute(users.update().where(users.c.age.is_(None)).values(age=0))
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column("age", existing_type=sa.Integer(), nullable=False)
""",
        DROP_AGE,
        False,
    ),
    (
        "WB104",
        "text-to-enum",
        f"""
op.alter_column("users", "status", type_=sa.Enum("a", "b", name="kind"),{MARK}
                existing_type=sa.String(20), postgresql_using="status::kind")
""",
        "pass  # workbench: ignore[WB111]",
        True,
    ),
    (
        "WB114",
        "drop-constraint-without-name",
        f"""
with op.batch_alter_table("orders") as batch_op:
    batch_op.drop_constraint(None, type_="foreignkey"){MARK}
""",
        "pass  # workbench: ignore[WB111]",
        True,
    ),
    (
        "WB114",
        "drop-constraint-by-name",
        """
with op.batch_alter_table("orders") as batch_op:
    batch_op.drop_constraint("fk_orders_user_id_users", type_="foreignkey")
""",
        "pass  # workbench: ignore[WB111]",
        False,
    ),
    (
        "WB115",
        "use-alter-inside-create-table",
        f"""
op.create_table({MARK}
    "tags",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_tags"),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_tags_user_id", use_alter=True),
)
""",
        "op.drop_table('tags')",
        True,
    ),
    (
        "WB115",
        "use-alter-on-a-column",
        f"""
op.create_table({MARK}
    "tags",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_t", use_alter=True)),
)
""",
        "op.drop_table('tags')",
        True,
    ),
    (
        "WB115",
        "plain-foreign-key-inside-create-table",
        """
op.create_table(
    "tags",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_tags"),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_tags_user_id"),
)
""",
        "op.drop_table('tags')",
        False,
    ),
    *[
        (
            "WB116",
            name,
            f"""
with op.batch_alter_table("users") as batch_op:
    batch_op.alter_column({MARK if fires else ""}
        "{column}", type_={new}, existing_type={old}{extra}
    )
""",
            "pass  # workbench: ignore[WB111]",
            fires,
        )
        for name, column, old, new, extra, fires in [
            ("text-to-integer", "status", "sa.String(20)", "sa.Integer()", "", True),
            ("text-to-enum", "status", "sa.String(20)", "sa.Enum('a', name='kind')", "", True),
            ("text-to-uuid", "status", "sa.String(20)", "sa.Uuid()", "", True),
            ("text-to-date", "status", "sa.String(20)", "sa.Date()", "", True),
            ("text-to-boolean", "status", "sa.String(20)", "sa.Boolean()", "", True),
            ("integer-to-uuid", "price", "sa.Integer()", "sa.Uuid()", "", True),
            ("integer-to-boolean", "price", "sa.Integer()", "sa.Boolean()", "", True),
            (
                "with-using",
                "status",
                "sa.String(20)",
                "sa.Integer()",
                ", postgresql_using='status::integer'",
                False,
            ),
            ("varchar-to-text", "status", "sa.String(20)", "sa.Text()", "", False),
            ("integer-to-text", "price", "sa.Integer()", "sa.String(20)", "", False),
            ("integer-to-bigint", "price", "sa.Integer()", "sa.BigInteger()", "", False),
            ("numeric-to-integer", "price", "sa.Numeric(10, 2)", "sa.Integer()", "", False),
            ("date-to-timestamp", "price", "sa.Date()", "sa.DateTime()", "", False),
            ("enum-to-text", "status", "sa.Enum('a', name='kind')", "sa.Text()", "", False),
            ("json-to-jsonb", "bio", "sa.JSON()", "postgresql.JSONB()", "", False),
        ]
    ],
    (
        "WB117",
        "drop-by-postgresql-name",
        f"""
op.create_table(
    "tags",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(20), nullable=False, unique=True),
    sa.PrimaryKeyConstraint("id", name="pk_tags"),
)
with op.batch_alter_table("tags") as batch_op:
    batch_op.drop_constraint("tags_name_key", type_="unique"){MARK}
""",
        "op.drop_table('tags')",
        True,
    ),
    (
        "WB117",
        "drop-by-its-own-name",
        """
op.create_table(
    "tags",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(20), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_tags"),
    sa.UniqueConstraint("name", name="tags_name_key"),
)
with op.batch_alter_table("tags") as batch_op:
    batch_op.drop_constraint("tags_name_key", type_="unique")
""",
        "op.drop_table('tags')",
        False,
    ),
]

# (rule, id, upgrade, downgrade, fires). Every rule has at least one of each.
CASES = [*_RULE_CASES, *_REGRESSIONS]


def _body(code: str) -> str:
    return textwrap.indent(textwrap.dedent(code).strip("\n"), "    ")


def _write_case(project: Project, upgrade: str, downgrade: str) -> Path:
    project.write_schema("s", SCHEMA)
    project.write_revision("s", "0001_base.py", BASE)
    source = CASE.format(upgrade=_body(upgrade), downgrade=_body(downgrade))
    return project.write_revision("s", "0002_case.py", source)


@pytest.mark.parametrize(
    ("code", "upgrade", "downgrade", "fires"),
    [pytest.param(c, u, d, f, id=f"{c}-{name}") for c, name, u, d, f in CASES],
)
def test_rule_cases(project: Project, code: str, upgrade: str, downgrade: str, fires: bool) -> None:
    path = _write_case(project, upgrade, downgrade)
    findings = [f for f in lint_revisions(project.cfg, "s", "0002") if f.code == code]
    assert bool(findings) == fires, [f.message for f in findings]
    marked = [n for n, line in enumerate(path.read_text().splitlines(), 1) if "# <-" in line]
    if fires and marked:
        assert {f.line for f in findings} == set(marked)
    for f in findings:
        assert f.revision == "0002" and f.path == path and f.schema == "s"
        assert f.severity == RULES[code].severity and f.backend == RULES[code].backend


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    assert {c for c, *_, fires in CASES if fires} == set(RULES)
    assert {c for c, *_, fires in CASES if not fires} == set(RULES)


def test_every_rule_is_documented_in_its_docstring_and_in_docs() -> None:
    docs = (REPO / "docs" / "lint.md").read_text()
    for code, registered in RULES.items():
        assert re.fullmatch(r"WB1\d\d", code)
        assert registered.summary and registered.risk and registered.fix, code
        assert f"| {code} | {registered.name} | {registered.severity} |" in docs
        assert f"### {code} {registered.name}" in docs
        # The page repeats each docstring: they must not drift apart.
        for text in (registered.summary, registered.risk, registered.fix):
            assert text in docs, (code, text)


def test_the_base_revision_and_the_examples_are_clean(project: Project) -> None:
    _write_case(project, "op.execute('SELECT 1')", "op.execute('SELECT 1')")
    assert lint_revisions(project.cfg, "s", "0001") == []
    for name in EXAMPLES:
        project.copy_example(name)
        assert lint(project.cfg, name).findings == ()


# --- ignore comments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upgrade", "silenced"),
    [
        ("op.drop_table('orders')  # workbench: ignore[WB102]", True),
        ("op.drop_table('orders')  # workbench: ignore[drop-column-or-table]", True),
        ("op.drop_table('orders')  # workbench: ignore[WB101, WB102]", True),
        ("# workbench: ignore[WB102]\nop.drop_table('orders')", True),
        ("op.drop_table(\n    'orders',  # workbench: ignore[WB102]\n)", True),
        ("op.drop_table('orders')  # workbench: ignore[WB101]", False),
        ("# workbench: ignore[WB102]\n\nop.drop_table('orders')", False),
        ("op.drop_table('orders')  # noqa", False),
    ],
)
def test_ignore_comments(project: Project, upgrade: str, silenced: bool) -> None:
    _write_case(project, upgrade, "pass  # workbench: ignore[WB111]")
    codes = [f.code for f in lint_revisions(project.cfg, "s", "0002")]
    assert ("WB102" not in codes) == silenced
    assert "WB111" not in codes


def test_an_ignore_silences_only_its_own_line(project: Project) -> None:
    _write_case(
        project,
        "op.drop_table('orders')  # workbench: ignore[WB102]\nop.drop_table('users')",
        "pass  # workbench: ignore[WB111]",
    )
    found = [f.message for f in lint_revisions(project.cfg, "s", "0002") if f.code == "WB102"]
    assert found == ["drops table users and its rows"]


# --- the report and the CLI --------------------------------------------------------------


def test_lint_reads_every_revision_and_revision_narrows_it(project: Project) -> None:
    _write_case(project, f"op.drop_table('orders'){MARK}", "pass")
    report = lint(project.cfg, "s")
    assert report.revisions == ("0001", "0002") and not report.ok
    assert {f.code for f in report.findings} == {"WB102", "WB111"}
    assert lint(project.cfg, "s", "0001").findings == ()
    assert lint(project.cfg, "s", "head").revisions == ("0002",)
    with pytest.raises(RevisionError, match="no revision 'nope'"):
        lint(project.cfg, "s", "nope")


def test_cli_text_exit_codes_and_json(project: Project) -> None:
    _write_case(project, DROP_BIO.format(mark=""), ADD_BIO)
    warned = invoke(project, "lint", "s")
    assert warned.exit_code == 0, warned.output
    assert "0002_case.py:" in warned.output and "WB102 warning" in warned.output
    assert (
        "fix: " in warned.output
        and "s: 0 errors, 1 warning, 0 info in 2 revisions." in warned.output
    )

    _write_case(project, ADD_DISPLAY_NAME.format(mark=""), "pass")
    failed = invoke(project, "lint", "s", "--json")
    assert failed.exit_code == 1
    document = json.loads(failed.stdout)
    assert document["ok"] is False and document["schema"] == "s"
    codes = {f["code"] for f in document["findings"]}
    assert {"WB101", "WB102", "WB111"} <= codes
    first = document["findings"][0]
    assert set(first) >= {"schema", "backend", "revision", "code", "severity", "message", "line"}

    clean = invoke(project, "lint", "s", "-r", "0001")
    assert clean.exit_code == 0 and "s: no findings in 1 revision." in clean.output
    missing = runner.invoke(
        app, ["--project", str(project.root), "lint", "s", "-r", "zz", "--json"]
    )
    assert missing.exit_code == 2 and json.loads(missing.stdout)["ok"] is False


# --- regressions beyond one revision: versions, backends, histories -----------------------


@pytest.mark.parametrize(
    ("statement", "version", "problem"),
    [
        ("op.alter_column('users', 'bio', new_column_name='about')", (3, 25, 0), None),
        ("op.alter_column('users', 'bio', new_column_name='about')", (3, 24, 0), "3.24.0"),
        ("op.drop_column('users', 'bio')", (3, 35, 0), None),
        ("op.drop_column('users', 'bio')", (3, 34, 1), "3.34.1 cannot drop"),
        ("op.drop_column('users', 'id')", (3, 45, 0), "primary key"),
        ("op.alter_column('users', 'bio', nullable=False)", (3, 45, 0), "nullability"),
        ("op.create_index('ix_users_bio', 'users', ['bio'])", (3, 8, 0), None),
        ("op.rename_table('users', 'people')", (3, 8, 0), None),
    ],
)
def test_sqlite_alter_table_follows_the_sqlite_version(
    project: Project, statement: str, version: tuple[int, int, int], problem: str | None
) -> None:
    from workbench.lint.keys import KEYS, Keys
    from workbench.lint.sqlite import alter_table_problem
    from workbench.revisions import capture, script_directory
    from workbench.walker import walk

    _write_case(project, statement, "pass")
    scripts = script_directory(project.cfg, "s")
    keys = Keys()
    walk(capture(scripts.get_revision("0001"), "upgrade", "sqlite").ops, KEYS, keys)
    (captured,) = capture(scripts.get_revision("0002"), "upgrade", "sqlite").ops
    found = alter_table_problem(captured, keys, version)
    assert (found is None) == (problem is None), found
    if problem is not None:
        assert found is not None and problem in found


def test_the_sqlite_version_in_use_is_the_one_judged() -> None:
    import sqlite3

    from workbench.lint.sqlite import VERSION

    assert sqlite3.sqlite_version_info == VERSION


# (declared backends, upgrade, codes that must appear, codes that must not)
BACKEND_CASES = [
    (
        ("postgresql",),
        "op.alter_column('users', 'status', type_=sa.Integer(), existing_type=sa.String(20))",
        {"WB116"},
        {"WB105"},
    ),
    (
        ("sqlite",),
        "op.alter_column('users', 'status', type_=sa.Integer(), existing_type=sa.String(20))",
        {"WB105"},
        {"WB116", "WB109"},
    ),
    (
        ("postgresql",),
        "op.create_table('tags', sa.Column('id', sa.Integer(), primary_key=True),\n"
        "    sa.Column('name', sa.String(9), unique=True))\n"
        "op.drop_constraint('tags_name_key', 'tags', type_='unique')",
        set(),
        {"WB105", "WB106", "WB117"},
    ),
    (
        ("sqlite", "postgresql"),
        "op.create_table('tags', sa.Column('id', sa.Integer(), primary_key=True),\n"
        "    sa.Column('name', sa.String(9), unique=True))\n"
        "op.drop_constraint('tags_name_key', 'tags', type_='unique')",
        {"WB105", "WB106", "WB117"},
        set(),
    ),
]


@pytest.mark.parametrize(("backends", "upgrade", "present", "absent"), BACKEND_CASES)
def test_lint_reports_only_for_the_backends_the_schema_supports(
    project: Project,
    backends: tuple[str, ...],
    upgrade: str,
    present: set[str],
    absent: set[str],
) -> None:
    from dataclasses import replace

    from workbench.config import SchemaSpec

    _write_case(project, upgrade, "pass  # workbench: ignore[WB111]")
    cfg = replace(project.cfg, specs={"s": SchemaSpec(backends=backends)})
    codes = {f.code for f in lint_revisions(cfg, "s", "0002")}
    assert present <= codes and not (absent & codes), codes


def test_the_cli_honours_the_declared_backends(project: Project) -> None:
    _write_case(project, "op.alter_column('users', 'bio', nullable=False)", "pass")
    both = invoke(project, "lint", "s", "--json")
    assert "WB105" in {f["code"] for f in json.loads(both.stdout)["findings"]}
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.workbench.schema.s]\nbackends = ["postgresql"]\n'
    )
    only = invoke(project, "lint", "s", "--json")
    assert "WB105" not in {f["code"] for f in json.loads(only.stdout)["findings"]}


def test_a_revision_that_needs_the_database_is_could_not_read(project: Project) -> None:
    _write_case(
        project,
        "op.execute('SELECT 1')",
        "bind = op.get_bind()\nif bind.url.drivername == 'sqlite':\n    pass",
    )
    findings = lint_revisions(project.cfg, "s", "0002")
    assert [f.code for f in findings] == ["WB100"]
    (finding,) = findings
    assert finding.severity == "warning"
    assert "could not be read offline" in finding.message and "op.get_bind().url" in finding.message


def test_each_unnamed_constraint_is_reported_once_on_its_table(project: Project) -> None:
    _write_case(
        project,
        """
op.create_table(
    "tags",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")),
    sa.Column("code", sa.String(9), unique=True),
)
with op.batch_alter_table("orders") as batch_op:
    batch_op.create_foreign_key(None, "users", ["user_id"], ["id"])
""",
        "op.drop_table('tags')",
    )
    messages = sorted(
        f.message for f in lint_revisions(project.cfg, "s", "0002") if f.code == "WB106"
    )
    assert messages == [
        "foreign key (user_id) on orders has no name on SQLite",
        "foreign key (user_id) on tags has no name on SQLite",
        "unique (code) on tags has no name on SQLite",
    ]


BACKFILL_HISTORY = '''
"""{doc}"""
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = "{down}"


def upgrade() -> None:
{up}


def downgrade() -> None:
    pass  # workbench: ignore[WB111]
'''


@pytest.mark.parametrize(
    ("first", "warned"),
    [
        (
            "op.add_column('users', sa.Column('age', sa.Integer()))\n"
            'op.execute("UPDATE users SET age = 0 WHERE age IS NULL")',
            False,
        ),
        ("op.add_column('users', sa.Column('age', sa.Integer()))", True),
    ],
)
def test_a_backfill_in_an_earlier_revision_counts(
    project: Project, first: str, warned: bool
) -> None:
    _write_case(project, _body(first), "pass  # workbench: ignore[WB111]")
    project.write_revision(
        "s",
        "0003_not_null.py",
        BACKFILL_HISTORY.format(
            doc="not null",
            rev="0003",
            down="0002",
            up=_body(
                'with op.batch_alter_table("users") as batch_op:\n'
                '    batch_op.alter_column("age", existing_type=sa.Integer(), nullable=False)'
            ),
        ),
    )
    codes = [f.code for f in lint_revisions(project.cfg, "s", "0003")]
    assert ("WB113" in codes) == warned
