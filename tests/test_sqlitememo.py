"""SQLite tables remembered by their SQL text give the snapshot a fresh reflection gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from workbench import db, sqlitememo
from workbench.snapshot import Snapshot, take


def _fresh(conn: sa.Connection, tables: list[str] | None = None) -> Snapshot:
    sqlitememo.forget()
    return take(conn, tables)


@pytest.mark.parametrize(
    "change",
    [
        # the referred table's primary key changes: a foreign key without columns follows it
        'DROP TABLE "Parent"; CREATE TABLE "Parent" (a INTEGER, b INTEGER, PRIMARY KEY (b))',
        "CREATE INDEX ix_child_x ON child (x)",
        "CREATE UNIQUE INDEX ix_child_x ON child (x) WHERE x > 1",
        "ALTER TABLE child ADD COLUMN y VARCHAR(5) DEFAULT 'a' NOT NULL",
        "ALTER TABLE child RENAME COLUMN x TO z",
        'DROP TABLE child; CREATE TABLE child (x INT REFERENCES "Parent" (a) ON DELETE CASCADE)',
    ],
)
def test_a_remembered_table_is_what_reflection_reads(tmp_path: Path, change: str) -> None:
    url = f"sqlite:///{(tmp_path / 'memo.sqlite3').as_posix()}"
    with db.connect(url) as conn:
        for statement in (
            'CREATE TABLE "Parent" (a INTEGER PRIMARY KEY, b INTEGER UNIQUE)',
            'CREATE TABLE child (x INTEGER REFERENCES "Parent", CHECK (x > 0))',
            "CREATE TABLE other (id INTEGER PRIMARY KEY)",
        ):
            conn.exec_driver_sql(statement)
        sqlitememo.forget()
        first = take(conn)
        assert take(conn) == first == _fresh(conn)
        take(conn)  # remembered again
        for statement in change.split(";"):
            conn.exec_driver_sql(statement)
        after = take(conn)
        assert after != first
        assert after == _fresh(conn)
        assert take(conn, ["child"]) == _fresh(conn, ["child"])
