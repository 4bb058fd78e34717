"""workbench.ops: enum DDL read back from revisions as the operations every reader knows."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.dialects import postgresql

from tests.conftest import Project
from workbench.autogen import describe
from workbench.ops import (
    AddEnumValueOp,
    CreateEnumTypeOp,
    DropEnumTypeOp,
    RenameEnumTypeOp,
    enum_operation,
)
from workbench.revisions import HistoryModel, capture_history, enum_name, impl


@pytest.mark.parametrize(
    ("sql", "kind", "fields"),
    [
        (
            "CREATE TYPE mood AS ENUM ('sad', 'ok')",
            CreateEnumTypeOp,
            {"name": "mood", "values": ["sad", "ok"], "schema": None},
        ),
        (
            sa.DDL("create type \"Sales\".\"Mood\" as enum ('it''s :x 50%%');"),  # type: ignore[no-untyped-call]
            CreateEnumTypeOp,
            {"name": "Mood", "values": ["it's :x 50%"], "schema": "Sales"},
        ),
        ("CREATE TYPE Mood AS ENUM ()", CreateEnumTypeOp, {"name": "mood", "values": []}),
        ("DROP TYPE IF EXISTS mood", DropEnumTypeOp, {"name": "mood", "if_exists": True}),
        ("DROP TYPE mood", DropEnumTypeOp, {"name": "mood", "if_exists": False}),
        (
            sa.text("ALTER TYPE mood ADD VALUE 'a\\:b' BEFORE 'ok'"),
            AddEnumValueOp,
            {"name": "mood", "value": "a:b", "before": "ok", "after": None},
        ),
        (
            "ALTER TYPE s.mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'sad'",
            AddEnumValueOp,
            {"name": "mood", "value": "meh", "after": "sad", "schema": "s"},
        ),
        ("ALTER TYPE mood ADD VALUE 'last'", AddEnumValueOp, {"before": None, "after": None}),
        (
            'ALTER TYPE mood RENAME TO "mood__old"',
            RenameEnumTypeOp,
            {"name": "mood", "new_name": "mood__old"},
        ),
        (
            postgresql.CreateEnumType(postgresql.ENUM("a", "b", name="mood")),
            CreateEnumTypeOp,
            {"name": "mood", "values": ["a", "b"]},
        ),
        (
            postgresql.DropEnumType(postgresql.ENUM("a", name="mood")),
            DropEnumTypeOp,
            {"name": "mood", "if_exists": False},
        ),
    ],
)
def test_enum_ddl_is_read_as_an_enum_operation(
    sql: Any, kind: type, fields: dict[str, Any]
) -> None:
    read = enum_operation(ops.ExecuteSQLOp(sql))
    assert isinstance(read, kind)
    for name, value in fields.items():
        assert getattr(read, name) == value, name


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TYPE mood CASCADE",  # it drops the columns too: not the same operation
        "DROP TYPE a, b",
        "ALTER TYPE mood RENAME VALUE 'a' TO 'b'",
        "CREATE TYPE pair AS (x int, y int)",
        "CREATE TYPE mood AS ENUM ('a'); DROP TABLE t",
        "UPDATE t SET mood = 'a'",
        sa.select(sa.literal(1)),
    ],
)
def test_other_statements_stay_what_they_are(sql: Any) -> None:
    assert enum_operation(ops.ExecuteSQLOp(sql)) is None


PLAIN_HISTORY = [
    (
        "0001_a0001_initial.py",
        "a0001",
        None,
        """
        if op.get_context().dialect.name == "postgresql":
            op.execute(sa.DDL("CREATE TYPE mood AS ENUM ('sad', 'ok')"))
        op.create_table(
            "notes",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("mood", postgresql.ENUM("sad", "ok", name="mood", create_type=False)),
        )
        """,
    ),
    (
        "0002_b0002_more.py",
        "b0002",
        "a0001",
        """
        if op.get_context().dialect.name == "postgresql":
            op.execute(sa.DDL("ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad'"))
            op.execute(sa.DDL("ALTER TYPE mood ADD VALUE 'glad'"))
        """,
    ),
    (
        "0003_c0003_fewer.py",
        "c0003",
        "b0002",
        """
        if op.get_context().dialect.name == "postgresql":
            op.execute(sa.DDL("ALTER TYPE mood RENAME TO mood__old"))
            op.execute(sa.DDL("CREATE TYPE mood AS ENUM ('sad', 'glad')"))
            op.alter_column(
                "notes", "mood",
                type_=postgresql.ENUM("sad", "glad", name="mood", create_type=False),
                postgresql_using="mood::text::mood",
            )
            op.execute(sa.DDL("DROP TYPE mood__old"))
        """,
    ),
]


def _write(project: Project, upto: int) -> None:
    project.write_schema("notes", "import sqlalchemy as sa\nmetadata = sa.MetaData()\n")
    for filename, rev, down, body in PLAIN_HISTORY[:upto]:
        indented = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
        project.write_revision(
            "notes",
            filename,
            "import sqlalchemy as sa\nfrom alembic import op\n"
            "from sqlalchemy.dialects import postgresql\n\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{indented}\n\n\n"
            "def downgrade():\n    pass\n",
        )


@pytest.mark.parametrize(
    ("upto", "members"),
    [(1, ["sad", "ok"]), (2, ["sad", "meh", "ok", "glad"]), (3, ["sad", "glad"])],
)
def test_the_history_model_follows_enum_ddl_at_every_revision(
    project: Project, upto: int, members: list[str]
) -> None:
    _write(project, upto)
    model = HistoryModel.of(project.cfg, "notes")
    assert model.enums == {"mood": members}
    column = model.column("notes", "mood")
    assert column is not None
    assert enum_name(column.type) == "mood"
    assert list(impl(column.type).enums) == members


def test_captured_enum_ddl_is_described_as_enum_operations(project: Project) -> None:
    _write(project, 3)
    lines = [
        describe(c.op, c.batch) for cap in capture_history(project.cfg, "notes") for c in cap.ops
    ]
    assert lines[0] == "create enum type mood (sad, ok)"
    assert "change enum type mood: add meh" in lines
    assert "rename enum type mood to mood__old" in lines
    assert lines[-1] == "drop enum type mood__old"
