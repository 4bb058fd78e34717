"""Snapshots of real SQLite and PostgreSQL databases: what they see, and how they differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from tests.conftest import Project
from workbench import db, migrate
from workbench.snapshot import Snapshot, diff, loose_sql, normalize_sql, take

BASE = """
CREATE TABLE parents (
    id INTEGER NOT NULL,
    code VARCHAR(10) NOT NULL,
    CONSTRAINT pk_parents PRIMARY KEY (id),
    CONSTRAINT uq_parents_code UNIQUE (code)
);
CREATE TABLE items (
    id INTEGER NOT NULL,
    parent_id INTEGER,
    name VARCHAR(100) NOT NULL,
    qty INTEGER DEFAULT 1 NOT NULL,
    CONSTRAINT pk_items PRIMARY KEY (id),
    CONSTRAINT ck_items_qty_positive CHECK (qty > 0),
    CONSTRAINT fk_items_parent_id_parents FOREIGN KEY (parent_id) REFERENCES parents (id)
)
"""


def _build(url: str, statements: str = BASE) -> None:
    with db.connect(url) as conn:
        for statement in statements.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        conn.commit()


def _change(url: str, work: Callable[[Operations, str], None]) -> None:
    """Apply Alembic operations (batch mode, so SQLite can do them too)."""
    with db.connect(url) as conn:
        ops = Operations(MigrationContext.configure(conn))
        work(ops, conn.dialect.name)
        conn.commit()


def _batch(table: str, action: Callable[[Any], object]) -> Callable[[Operations, str], None]:
    def work(ops: Operations, _backend: str) -> None:
        with ops.batch_alter_table(table) as batch:
            action(batch)

    return work


def _sql(statement: str) -> Callable[[Operations, str], None]:
    def work(ops: Operations, _backend: str) -> None:
        ops.execute(statement)

    return work


# (change, the sentence diff(before, after) must say)
CHANGES: list[tuple[str, Callable[[Operations, str], None], str]] = [
    (
        "index added",
        lambda ops, _b: ops.create_index("ix_items_name", "items", ["name"]),
        "index ix_items_name still exists",
    ),
    (
        "CHECK dropped",
        _batch("items", lambda b: b.drop_constraint("ck_items_qty_positive", type_="check")),
        "CHECK ck_items_qty_positive missing",
    ),
    (
        "server default dropped",
        _batch(
            "items",
            lambda b: b.alter_column("qty", server_default=None, existing_type=sa.Integer()),
        ),
        "column items.qty: server default missing, was 1",
    ),
    (
        "NOT NULL relaxed",
        _batch(
            "items", lambda b: b.alter_column("name", nullable=True, existing_type=sa.String(100))
        ),
        "column items.name: nullable, was NOT NULL",
    ),
    (
        "type widened",
        _batch(
            "items",
            lambda b: b.alter_column("name", type_=sa.String(200), existing_type=sa.String(100)),
        ),
        "column items.name: type VARCHAR(200), was VARCHAR(100)",
    ),
    (
        "column added",
        _batch("items", lambda b: b.add_column(sa.Column("note", sa.Text()))),
        "column items.note still exists",
    ),
    (
        "unique constraint dropped",
        _batch("parents", lambda b: b.drop_constraint("uq_parents_code", type_="unique")),
        "unique constraint uq_parents_code missing",
    ),
    (
        "foreign key recreated with ON DELETE CASCADE",
        _batch(
            "items",
            lambda b: (
                b.drop_constraint("fk_items_parent_id_parents", type_="foreignkey"),
                b.create_foreign_key(
                    "fk_items_parent_id_parents",
                    "parents",
                    ["parent_id"],
                    ["id"],
                    ondelete="CASCADE",
                ),
            ),
        ),
        "foreign key fk_items_parent_id_parents: (parent_id) -> parents(id) ondelete CASCADE, "
        "was (parent_id) -> parents(id)",
    ),
    (
        "batch mode's leftover table",
        _sql("CREATE TABLE _alembic_tmp_items (id INTEGER)"),
        "table _alembic_tmp_items still exists",
    ),
    (
        "partial index",
        _sql("CREATE INDEX ix_items_qty ON items (qty) WHERE qty > 10"),
        "index ix_items_qty still exists",
    ),
]


@pytest.mark.parametrize(("change", "work", "sentence"), CHANGES, ids=[c[0] for c in CHANGES])
def test_diff_names_each_change(
    target_url: str, change: str, work: Callable[[Operations, str], None], sentence: str
) -> None:
    _build(target_url)
    with db.connect(target_url) as conn:
        before = take(conn)
    _change(target_url, work)
    with db.connect(target_url) as conn:
        after = take(conn)
    assert after != before
    found = diff(before, after)
    assert sentence in found
    assert diff(after, after) == []


def test_enum_types_and_values_are_compared(pg_url: str) -> None:
    with db.connect(pg_url) as conn:
        empty = take(conn)
    _build(pg_url, "CREATE TYPE mood AS ENUM ('sad', 'ok')")
    with db.connect(pg_url) as conn:
        before = take(conn)
    assert diff(empty, before) == ["enum type mood still exists"]
    assert diff(before, empty) == ["enum type mood missing"]
    _build(pg_url, "ALTER TYPE mood ADD VALUE 'happy'")
    with db.connect(pg_url) as conn:
        after = take(conn)
    assert diff(before, after) == ["enum type mood: values (sad, ok, happy), was (sad, ok)"]
    assert diff(after, before, extra="appears", missing="is gone", was="now") == [
        "enum type mood: values (sad, ok), now (sad, ok, happy)"
    ]


def test_extensions_are_in_the_snapshot(pg_url: str) -> None:
    with db.connect(pg_url) as conn:
        empty = take(conn)
    assert empty.extensions == ()  # plpgsql, always there, is left out
    _build(pg_url, "CREATE EXTENSION citext")
    with db.connect(pg_url) as conn:
        after = take(conn)
    assert after.extensions == ("citext",)
    assert diff(empty, after) == ["extension citext still exists"]
    assert diff(after, empty, only={"extensions"}) == ["extension citext missing"]


def test_quoted_names_reflect(target_url: str) -> None:
    _build(
        target_url,
        """CREATE TABLE "it's" (id SERIAL PRIMARY KEY, label VARCHAR(5) DEFAULT 'a''b')""",
    )
    with db.connect(target_url) as conn:
        found = take(conn)
    table = found.table("it's")
    assert table is not None and [c.name for c in table.columns] == ["id", "label"]
    assert diff(found, found) == []


def test_what_a_snapshot_holds(target_url: str) -> None:
    _build(target_url)
    _build(target_url, "CREATE INDEX ix_items_lower_name ON items (lower(name)) WHERE qty > 1")
    with db.connect(target_url) as conn:
        found = take(conn)
    assert found.table_names == ("items", "parents")
    items = found.table("items")
    assert items is not None
    assert items.primary_key == ("id",)
    assert items.primary_key_name == "pk_items"
    assert [c.name for c in items.checks] == ["ck_items_qty_positive"]
    assert items.checks[0].sqltext.replace("(", "").replace(")", "") == "qty > 0"
    (fk,) = items.foreign_keys
    assert (fk.name, fk.columns, fk.referred_table, fk.referred_columns) == (
        "fk_items_parent_id_parents",
        ("parent_id",),
        "parents",
        ("id",),
    )
    (index,) = items.indexes  # an expression index with a WHERE, on SQLite too
    assert index.name == "ix_items_lower_name"
    assert [loose_sql(c) for c in index.columns] == ["lowername"]
    assert index.where is not None and loose_sql(index.where) == "qty>1"
    name = items.column("name")
    assert name is not None and (name.type, name.nullable) == ("VARCHAR(100)", False)
    parents = found.table("parents")
    assert parents is not None and parents.uniques[0].columns == ("code",)


def test_version_table_is_noted_not_compared(target_url: str) -> None:
    _build(target_url)
    with db.connect(target_url) as conn:
        before = take(conn)
    _build(target_url, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    with db.connect(target_url) as conn:
        after = take(conn)
    assert (before.has_version_table, after.has_version_table) == (False, True)
    assert before == after
    assert "alembic_version" not in after.table_names


def test_an_example_reflects_the_same_every_time(examples: Project, target_url: str) -> None:
    migrate.upgrade(examples.cfg, "products", url=target_url)
    with db.connect(target_url) as conn:
        first = take(conn)
        second = take(conn)
    assert first == second
    assert first.table_names == ("categories", "order_items", "orders", "products")
    if db.backend(target_url) == "postgresql":
        enum = first.enum("productstatus")
        assert enum is not None and enum.values == ("draft", "active", "discontinued")
    migrate.downgrade(examples.cfg, "products", "base", url=target_url)
    with db.connect(target_url) as conn:
        assert take(conn).is_empty


def test_a_partial_snapshot_details_only_what_was_asked(target_url: str) -> None:
    _build(target_url)
    with db.connect(target_url) as conn:
        full = take(conn)
        part = take(conn, ["items", "missing"])
    assert part.table_names == full.table_names
    assert [t.name for t in part.tables] == ["items"]
    assert full.restricted({"items"}) == part
    assert full.referring({"parents"}) == {"items"}
    _change(target_url, lambda ops, _b: ops.drop_table("items"))
    with db.connect(target_url) as conn:
        after = take(conn, ["parents"])
    merged = full.merged(after)
    assert [t.name for t in merged.tables] == ["parents"]
    assert merged.table_names == ("parents",)


def test_diff_can_be_restricted_and_loosened() -> None:
    from workbench.snapshot import CheckInfo, ColumnInfo, TableSnapshot

    def one(check: str, default: str) -> Snapshot:
        table = TableSnapshot(
            "t",
            (ColumnInfo("a", "INTEGER", False, default),),
            checks=(CheckInfo("ck_t_a", check),),
        )
        return Snapshot("sqlite", ("t",), (table,))

    a, b = one("a >= 0", "0"), one("a>=0", "'0'")
    assert diff(a, b) == [
        "column t.a: server default '0', was 0",
        "CHECK ck_t_a: (a>=0), was (a >= 0)",
    ]
    assert diff(a, b, only={"checks"}, same_check=lambda x, y: loose_sql(x) == loose_sql(y)) == []
    with pytest.raises(ValueError, match="unknown aspects: colours"):
        diff(a, b, only={"colours"})


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("((price >= 0))", "price >= 0"),
        ("s in ('a' ,  'b')", "s in ('a', 'b')"),
        ("(a) AND (b)", "(a) AND (b)"),
        ("lower( x )", "lower(x)"),
        ("'two  spaces'", "'two  spaces'"),
        ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
    ],
)
def test_normalize_sql(text: str, normal: str) -> None:
    assert normalize_sql(text) == normal


@pytest.mark.parametrize(
    ("a", "b"),
    [("price >= 0::numeric", "(price >= 0)"), ("STATUS IN ('A')", "status in ('A')")],
)
def test_loose_sql_equates_renderings(a: str, b: str) -> None:
    assert loose_sql(a) == loose_sql(b)
