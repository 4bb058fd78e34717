"""The keys, constraints and indexes the history builds, replayed for the rules that need them.

:class:`~workbench.revisions.HistoryModel` knows columns; some rules need to
know what else holds a column (SQLite cannot drop a column that is indexed,
part of a key or named in a CHECK) and whether a constraint has a name. This
model is replayed through the one operation walker
(:mod:`workbench.walker`), with a handler per operation class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from workbench.walker import Dispatch, Step

KINDS = ("primary key", "unique", "foreign key", "check", "index")


@dataclass(frozen=True)
class Key:
    """One constraint or index of a table."""

    kind: str
    """One of :data:`KINDS`."""
    name: str | None
    """``None`` when the revision left the name to the backend."""
    columns: tuple[str, ...]
    text: str = ""
    """A CHECK constraint's (or an expression index's) SQL text."""

    def uses(self, column: str) -> bool:
        """Whether the key is on ``column``, or (a CHECK, an expression) names it."""
        if column in self.columns:
            return True
        return bool(self.text) and re.search(rf'\b"?{re.escape(column)}"?\b', self.text) is not None

    def describe(self) -> str:
        what = f"{self.kind} {self.name}" if self.name else f"an unnamed {self.kind}"
        return f"{what} ({', '.join(self.columns)})" if self.columns else what


@dataclass
class Keys:
    """Every table's keys as the history builds them."""

    tables: dict[str, list[Key]] = field(default_factory=dict)

    def copy(self) -> Keys:
        return Keys({t: list(keys) for t, keys in self.tables.items()})

    def of(self, table: str) -> list[Key]:
        return self.tables.get(table, [])

    def knows(self, table: str) -> bool:
        """Whether the history made ``table`` through operations (not raw SQL)."""
        return table in self.tables

    def apply(self, step: Step) -> None:
        KEYS(self, step)

    def _add(self, table: str | None, key: Key) -> None:
        if table is not None:
            self.tables.setdefault(table, []).append(key)


def _name(value: Any) -> str | None:
    if value is None or type(value).__name__ == "_NoneName":
        return None
    return str(value)


def _text(value: Any) -> str:
    return " ".join(str(getattr(value, "text", value)).split())


def _names(items: Any) -> tuple[str, ...]:
    out = []
    for item in items or ():
        name = item if isinstance(item, str) else getattr(item, "name", None)
        if name is not None:
            out.append(str(name))
    return tuple(out)


def of_constraint(constraint: Any) -> Key | None:
    """The :class:`Key` of a SQLAlchemy constraint or index (``None`` for other objects)."""
    import sqlalchemy as sa

    name = _name(constraint.name)
    if isinstance(constraint, sa.Index):
        exprs = [e for e in constraint.expressions if not isinstance(e, (str, sa.Column))]
        text = " ".join(_text(e) for e in exprs)
        return Key("index", name, _names(constraint.expressions), text)
    kinds = (
        (sa.PrimaryKeyConstraint, "primary key"),
        (sa.UniqueConstraint, "unique"),
        (sa.ForeignKeyConstraint, "foreign key"),
    )
    for cls, kind in kinds:
        if isinstance(constraint, cls):
            columns = _names(constraint.columns) or tuple(_pending(constraint))
            return Key(kind, name, columns)
    if isinstance(constraint, sa.CheckConstraint):
        return Key("check", name, (), _text(constraint.sqltext))
    return None


def _pending(constraint: Any) -> list[str]:
    from workbench import compat

    return compat.pending_column_names(constraint)


KEYS: Dispatch[Keys] = Dispatch("lint keys")


@KEYS.handles("CreateTableOp")
def _create_table(keys: Keys, step: Step) -> None:
    keys.tables[step.op.table_name] = keys_of_items(step.op.columns)


def keys_of_items(items: Any) -> list[Key]:
    """The keys of ``create_table``'s columns and constraints, read as written.

    Not through ``CreateTableOp.to_table()``: its columns are bound to the table
    the first call made, and a second call loses their foreign keys.
    """
    import sqlalchemy as sa

    found: list[Key] = []
    for item in items:
        if isinstance(item, sa.Column):
            found += keys_of_column(item)
        else:
            key = of_constraint(item)
            if key is not None and not (key.kind == "primary key" and not key.columns):
                found.append(key)
    return found


def keys_of_column(column: Any) -> list[Key]:
    """The keys a column declares itself: ``primary_key``, ``unique``, ``index``, its
    ``ForeignKey`` and ``CheckConstraint`` arguments."""
    name = str(column.name)
    found = []
    if column.primary_key:
        found.append(Key("primary key", None, (name,)))
    if column.unique:
        found.append(Key("unique", None, (name,)))
    if column.index:
        found.append(Key("index", None, (name,)))
    for fk in column.foreign_keys:
        named = _name(fk.name) or (_name(fk.constraint.name) if fk.constraint is not None else None)
        found.append(Key("foreign key", named, (name,)))
    for constraint in column.constraints:
        key = of_constraint(constraint)
        if key is not None:
            found.append(key)
    return found


@KEYS.handles("DropTableOp")
def _drop_table(keys: Keys, step: Step) -> None:
    keys.tables.pop(step.op.table_name, None)


@KEYS.handles("RenameTableOp")
def _rename_table(keys: Keys, step: Step) -> None:
    if step.op.table_name in keys.tables:
        keys.tables[step.op.new_table_name] = keys.tables.pop(step.op.table_name)


@KEYS.handles("AddColumnOp")
def _add_column(keys: Keys, step: Step) -> None:
    if step.table is not None and keys.knows(step.table):
        keys.tables[step.table] += keys_of_column(step.op.column)


@KEYS.handles("DropColumnOp")
def _drop_column(keys: Keys, step: Step) -> None:
    # Both backends drop what depends on the column with it (SQLite refuses first).
    if step.table is not None and step.column is not None:
        column = step.column
        keys.tables[step.table] = [k for k in keys.of(step.table) if not k.uses(column)]


@KEYS.handles("AlterColumnOp")
def _alter_column(keys: Keys, step: Step) -> None:
    new = step.op.modify_name
    if not new or step.table is None or step.column is None:
        return
    old = step.column
    keys.tables[step.table] = [
        replace(k, columns=tuple(new if c == old else c for c in k.columns))
        for k in keys.of(step.table)
    ]


@KEYS.handles("CreateIndexOp")
def _create_index(keys: Keys, step: Step) -> None:
    op = step.op
    columns = tuple(c for c in op.columns if isinstance(c, str))
    text = " ".join(_text(c) for c in op.columns if not isinstance(c, str))
    keys._add(step.table, Key("index", _name(op.index_name), columns, text))


@KEYS.handles("DropIndexOp")
def _drop_index(keys: Keys, step: Step) -> None:
    name = step.op.index_name
    for table in [step.table] if step.table else list(keys.tables):
        keys.tables[table] = [
            k for k in keys.of(table) if not (k.kind == "index" and k.name == name)
        ]


@KEYS.handles("AddConstraintOp")
def _add_constraint(keys: Keys, step: Step) -> None:
    key = of_constraint(step.op.to_constraint())
    if key is not None:
        keys._add(step.table, key)


@KEYS.handles("DropConstraintOp")
def _drop_constraint(keys: Keys, step: Step) -> None:
    name = _name(step.op.constraint_name)
    if step.table is None or name is None:
        return
    keys.tables[step.table] = [
        k for k in keys.of(step.table) if k.name != name or k.kind == "index"
    ]


_SUFFIX = {"primary key": "pkey", "unique": "key", "foreign key": "fkey", "check": "check"}


def postgresql_name(table: str, key: Key) -> str | None:
    """The name PostgreSQL gives ``key`` when it is created unnamed (``None`` if unknown).

    ``TABLE_pkey``; ``TABLE_COL1_COL2_key`` and ``_fkey``; a CHECK is named
    after the first column its expression names, which is not known here
    unless the check was declared on one column. Names longer than 63 bytes
    are shortened by PostgreSQL in a way not reproduced here: ``None``.
    """
    if key.kind == "primary key":
        name = f"{table}_pkey"
    elif key.kind in ("unique", "foreign key") and key.columns:
        name = f"{table}_{'_'.join(key.columns)}_{_SUFFIX[key.kind]}"
    else:
        return None
    return name if len(name.encode()) <= 63 else None
