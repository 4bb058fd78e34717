"""What SQLite's ALTER TABLE can and cannot do, for the SQLite version in use.

SQLite's ALTER TABLE runs four things in place (https://sqlite.org/lang_altertable.html):
``RENAME TO`` (a table), ``RENAME COLUMN`` (3.25.0+), ``ADD COLUMN`` (not a
PRIMARY KEY or UNIQUE column, not a non-constant default, not a STORED
generated column) and ``DROP COLUMN`` (3.35.0+; not a column that is part of
the primary key, UNIQUE, indexed, in a foreign key, or named in a CHECK, a
generated column, a view or a trigger). Everything else (a type, nullability
or default change, adding or dropping a constraint) needs batch mode, which
copies the table; Alembic refuses a constraint change outside it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

from workbench.lint.base import Hit, RevisionOps, _prefix, rule, table_of
from workbench.lint.keys import Keys
from workbench.walker import Names, Step

VERSION: tuple[int, int, int] = sqlite3.sqlite_version_info
"""The SQLite library Python uses here: the one revisions run on."""
RENAME_COLUMN = (3, 25, 0)
DROP_COLUMN = (3, 35, 0)

_CONSTRAINT_OPS = {
    "create_foreign_key",
    "create_unique_constraint",
    "create_check_constraint",
    "create_primary_key",
    "drop_constraint",
}


def _v(version: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in version)


def _changes_more_than_name(op: Any) -> bool:
    """An ``alter_column`` that changes a type, nullability or server default."""
    return not (
        op.modify_type is None and op.modify_nullable is None and op.modify_server_default is False
    )


_NON_CONSTANT = re.compile(r"\(|\bCURRENT_(?:TIME|DATE|TIMESTAMP)\b", re.I)


def _non_constant(default: Any) -> bool:
    """A server default SQLite's ADD COLUMN refuses: CURRENT_*, a function, an expression."""
    import sqlalchemy as sa

    if default is None:
        return False
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):
        return False  # Alembic writes a plain string as a quoted literal
    if isinstance(arg, sa.sql.elements.TextClause):
        return _NON_CONSTANT.search(arg.text) is not None
    return isinstance(arg, sa.sql.ClauseElement)


def _add_column(column: Any) -> str | None:
    if column.primary_key:
        return "SQLite cannot add a PRIMARY KEY column"
    if column.unique:
        return "SQLite cannot add a UNIQUE column"
    if _non_constant(column.server_default):
        return "SQLite cannot add a column whose default is not a constant"
    computed = column.computed
    if computed is not None and computed.persisted:
        return "SQLite cannot add a STORED generated column"
    return None


def _drop_column(
    table: str | None, column: str, keys: Keys, version: tuple[int, ...]
) -> str | None:
    if version < DROP_COLUMN:
        return f"SQLite {_v(version)} cannot drop a column (3.35.0 can)"
    if table is None or not keys.knows(table):
        return None  # made outside Alembic's operations: nothing is known against it
    holding = [k for k in keys.of(table) if k.uses(column)]
    if holding:
        return f"SQLite cannot drop a column that {_holding(holding)}"
    return None


def _holding(keys: list[Any]) -> str:
    words = {
        "primary key": "is in the primary key",
        "unique": "is UNIQUE",
        "foreign key": "is in a foreign key",
        "check": "a CHECK names",
        "index": "is indexed",
    }
    found = [words[k.kind] + (f" ({k.name})" if k.name else "") for k in keys if k.kind in words]
    return ", ".join(dict.fromkeys(found))


def alter_table_problem(
    captured: Any, keys: Keys, version: tuple[int, ...] = VERSION
) -> str | None:
    """Why SQLite cannot run ``captured`` outside batch mode; ``None`` when it can.

    Args:
        captured: a :class:`~workbench.revisions.CapturedOp` outside a batch block.
        keys: the keys of every table at that point of the revision.
        version: the SQLite version.
    """
    op, kind = captured.op, captured.kind
    if kind in _CONSTRAINT_OPS:
        return "SQLite's ALTER TABLE cannot add or drop a constraint (Alembic refuses it)"
    if kind == "alter_column":
        if _changes_more_than_name(op):
            return "SQLite's ALTER TABLE cannot change a column's type, nullability or default"
        if op.modify_name and version < RENAME_COLUMN:
            return f"SQLite {_v(version)} cannot rename a column (3.25.0 can)"
        return None
    if kind == "drop_column":
        return _drop_column(table_of(captured), op.column_name, keys, version)
    if kind == "add_column":
        return _add_column(op.column)
    return None


@rule("WB105", "sqlite-needs-batch", "error", backend="sqlite")
def sqlite_needs_batch(rev: RevisionOps) -> Iterator[Hit]:
    """An operation SQLite's ALTER TABLE cannot run is written outside a batch block.

    Risk: SQLite's ALTER TABLE renames a table or a column (3.25+), adds a
    column (not PRIMARY KEY or UNIQUE, with a constant default) and drops one
    (3.35+, when no key, index or CHECK uses it); anything else (a type,
    nullability or default change, a constraint added or dropped) fails on
    SQLite, or Alembic refuses it. The SQLite version is the one in use here.

    Fix: put it in ``with op.batch_alter_table("TABLE") as batch_op:`` (what
    ``workbench generate`` writes), which copies the table; or declare the
    schema PostgreSQL-only if SQLite is not a backend you run.
    """
    for direction in ("upgrade", "downgrade"):
        keys = rev.keys(direction)
        names = Names()
        for c in rev.ops(direction):
            reason = alter_table_problem(c, keys) if c.batch is None else None
            if reason:
                yield Hit(
                    f"{_prefix(direction)}op.{c.kind} on {table_of(c)} outside "
                    f"batch_alter_table: {reason}",
                    c,
                    direction,
                )
            keys.apply(Step.at(c, names))
