"""The autogenerate hooks as pure functions: ordering, rendering, type and default normal forms."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.operations import ops
from sqlmodel.sql.sqltypes import AutoString

from workbench.autogen import default_sql, order_by_foreign_keys, render_item
from workbench.revisions import type_ddl


def _tables() -> dict[str, sa.Table]:
    md = sa.MetaData()
    a = sa.Table("a", md, sa.Column("id", sa.Integer, primary_key=True))
    b = sa.Table(
        "b",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a_id", sa.ForeignKey("a.id")),
    )
    c = sa.Table(
        "c",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("b_id", sa.ForeignKey("b.id")),
        sa.Column("a_id", sa.ForeignKey("a.id")),
    )
    return {"a": a, "b": b, "c": c}


def _names(seq: list[object]) -> list[str]:
    return [
        f"{type(o).__name__.removesuffix('s').removesuffix('Op')}:{getattr(o, 'table_name', '')}"
        for o in seq
    ]


def test_creations_come_parents_first_and_drops_children_first() -> None:
    t = _tables()
    index = ops.ModifyTableOps("c", [ops.CreateIndexOp("ix_c_b_id", "c", ["b_id"])])
    creates: list[object] = [
        ops.CreateTableOp.from_table(t["c"]),
        index,
        ops.ExecuteSQLOp("SELECT 1"),
        ops.CreateTableOp.from_table(t["b"]),
        ops.CreateTableOp.from_table(t["a"]),
    ]
    order_by_foreign_keys(creates)
    # Units move among the slots units held; the execute keeps its place.
    assert _names(creates) == [
        "CreateTable:a",
        "ExecuteSQL:",
        "CreateTable:b",
        "CreateTable:c",
        "ModifyTable:c",
    ]
    drops: list[object] = [ops.DropTableOp.from_table(t[n]) for n in ("a", "b", "c")]
    order_by_foreign_keys(drops)
    assert _names(drops) == ["DropTable:c", "DropTable:b", "DropTable:a"]


@pytest.mark.parametrize(
    ("default", "rendered"),
    [
        (sa.false(), "sa.false()"),
        (sa.true(), "sa.true()"),
        (sa.func.now(), "sa.func.now()"),
        (sa.text("'x'"), False),
        ("draft", False),
    ],
)
def test_server_defaults_render_the_same_on_both_backends(
    default: object, rendered: object
) -> None:
    assert render_item("server_default", sa.DefaultClause(default), None) == rendered  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (AutoString(length=50), sa.String(50), True),
        (sa.String(50), sa.String(80), False),
        (sa.DateTime(timezone=True), sa.DateTime(), False),
        (sa.Enum("a", "b", name="e"), sa.Enum("a", "b", "c", name="e"), True),
        (sa.Enum("a", name="e"), sa.Enum("a", name="f"), False),
        (sa.Numeric(10, 2), sa.Numeric(10, 2), True),
    ],
)
def test_type_normal_form(
    left: sa.types.TypeEngine[object], right: sa.types.TypeEngine[object], same: bool
) -> None:
    assert (type_ddl(left) == type_ddl(right)) is same


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (sa.false(), "0"),
        (sa.func.now(), sa.text("(CURRENT_TIMESTAMP)")),
        ("draft", sa.text("'draft'")),
    ],
)
def test_default_normal_form_sees_through_backend_spellings(left: object, right: object) -> None:
    assert default_sql(sa.DefaultClause(left)) == default_sql(sa.DefaultClause(right))
