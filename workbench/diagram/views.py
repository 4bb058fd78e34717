"""Views of a model: a subset of its tables, keys only, and the change between two models."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from workbench.diagram.model import (
    Change,
    ColumnInfo,
    ConstraintInfo,
    ErModel,
    ForeignKeyInfo,
    TableInfo,
)
from workbench.errors import WorkbenchError

# --- views -------------------------------------------------------------------------------


def select(
    model: ErModel,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    focus: str | None = None,
    depth: int = 1,
    keys_only: bool = False,
) -> ErModel:
    """A view of ``model``: tables matching the globs, or the neighbourhood of one table.

    Args:
        model: the whole schema.
        include: table-name globs to keep (all tables when empty).
        exclude: table-name globs to leave out, applied after ``include``.
        focus: keep this table and the tables within ``depth`` foreign-key hops of it.
        depth: the radius of the ``focus`` neighbourhood (0 is the table alone).
        keys_only: keep only key columns (primary, foreign, unique) and no constraint list.

    Raises:
        WorkbenchError: ``focus`` names no table of the model, a glob matches no
            table, or ``depth`` is negative.
    """
    names = [t.name for t in model.tables]
    keep = set(names)
    if include:
        keep = {n for n in names if any(fnmatch.fnmatchcase(n, g) for g in include)}
        for glob in include:
            if not any(fnmatch.fnmatchcase(n, glob) for n in names):
                raise WorkbenchError(
                    f"--include {glob!r} matches no table of {model.schema!r}.",
                    hint=_tables_hint(names, glob),
                )
    if exclude:
        keep = {n for n in keep if not any(fnmatch.fnmatchcase(n, g) for g in exclude)}
    if focus is not None:
        if depth < 0:
            raise WorkbenchError(f"--depth {depth}: the depth is a number of hops, 0 or more.")
        if focus not in names:
            raise WorkbenchError(
                f"--focus {focus!r}: {model.schema!r} has no table {focus!r}.",
                hint=_tables_hint(names, focus),
            )
        keep &= neighbourhood(model, focus, depth)
        keep.add(focus)
    tables = tuple(_keys_only(t) if keys_only else t for t in model.tables if t.name in keep)
    hidden = tuple(n for n in names if n not in keep)
    return replace(model, tables=tables, hidden=model.hidden + hidden, keys_only=keys_only)


def neighbourhood(model: ErModel, table: str, depth: int) -> set[str]:
    """The tables within ``depth`` foreign-key hops of ``table``, either way, itself included."""
    adjacent: dict[str, set[str]] = {t.name: set() for t in model.tables}
    for t in model.tables:
        for fk in t.foreign_keys:
            if fk.referred_table in adjacent:
                adjacent[t.name].add(fk.referred_table)
                adjacent[fk.referred_table].add(t.name)
    seen, frontier = {table}, {table}
    for _ in range(depth):
        frontier = {n for f in frontier for n in adjacent.get(f, ())} - seen
        seen |= frontier
    return seen


def _tables_hint(names: Sequence[str], wanted: str) -> str:
    close = difflib.get_close_matches(wanted, names, n=3)
    if close:
        return "Did you mean " + " or ".join(close) + "? Tables: " + ", ".join(sorted(names)) + "."
    return "Tables: " + ", ".join(sorted(names)) + "."


def _keys_only(table: TableInfo) -> TableInfo:
    columns = tuple(c for c in table.columns if c.primary_key or c.foreign_key or c.unique)
    return replace(table, columns=columns, constraints=())


# --- the change view ---------------------------------------------------------------------


def diff_models(old: ErModel, new: ErModel, *, source: str) -> ErModel:
    """One model holding both sides, each table, column, key and constraint marked by its change.

    A table only in ``new`` is ``added``, only in ``old`` is ``removed``, in both
    with any difference ``changed``; the same for columns (type, nullability,
    default or primary-key membership), foreign keys and constraints. Removed
    items stay, marked, where they were.
    """
    tables: list[TableInfo] = []
    old_names = [t.name for t in old.tables]
    new_names = {t.name for t in new.tables}
    for table in new.tables:
        before = old.table(table.name)
        if before is None:
            tables.append(_mark_all(table, "added"))
        else:
            tables.append(_diff_table(before, table))
    for name in old_names:
        if name not in new_names:
            removed = old.table(name)
            assert removed is not None
            tables.append(_mark_all(removed, "removed"))
    return ErModel(schema=new.schema, source=source, tables=tuple(tables), diff=True)


def _mark_all(table: TableInfo, change: Change) -> TableInfo:
    return replace(
        table,
        change=change,
        columns=tuple(replace(c, change=change) for c in table.columns),
        foreign_keys=tuple(replace(f, change=change) for f in table.foreign_keys),
        constraints=tuple(replace(c, change=change) for c in table.constraints),
        primary_key=replace(table.primary_key, change=change) if table.primary_key else None,
    )


def _same_column(a: ColumnInfo, b: ColumnInfo) -> bool:
    return (
        a.type == b.type
        and a.enum_values == b.enum_values
        and a.nullable == b.nullable
        and a.primary_key == b.primary_key
        and _default_key(a) == _default_key(b)
    )


def _was(old: ColumnInfo, new: ColumnInfo) -> str:
    """What a changed column was, in the respects it changed: ``VARCHAR(100), NOT NULL``."""
    parts = []
    if (old.type, old.enum_values) != (new.type, new.enum_values):
        parts.append(old.type + (f"({', '.join(old.enum_values)})" if old.enum_values else ""))
    if old.nullable != new.nullable:
        parts.append("NULL" if old.nullable else "NOT NULL")
    if _default_key(old) != _default_key(new):
        parts.append(f"DEFAULT {old.default}" if old.default is not None else "no default")
    if old.primary_key != new.primary_key:
        parts.append("PK" if old.primary_key else "not PK")
    return ", ".join(parts)


def _default_key(column: ColumnInfo) -> str | None:
    """A default as compared across sources: ``CURRENT_TIMESTAMP`` is ``now()``, and so on."""
    if column.default is None:
        return None
    text = column.default.strip().lower()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    text = text.strip("'")
    text = {"current_timestamp": "now()", "now": "now()"}.get(text, text)
    if column.type == "BOOLEAN":
        text = {"1": "true", "0": "false"}.get(text, text)
    return text


def _diff_table(old: TableInfo, new: TableInfo) -> TableInfo:
    columns: list[ColumnInfo] = []
    old_columns = {c.name: c for c in old.columns}
    new_names = {c.name for c in new.columns}
    for column in new.columns:
        before = old_columns.get(column.name)
        if before is None:
            columns.append(replace(column, change="added"))
        elif not _same_column(before, column):
            columns.append(replace(column, change="changed", was=_was(before, column)))
        else:
            columns.append(column)
    for position, column in enumerate(old.columns):
        if column.name not in new_names:
            # A removed column stays where it was, after the columns that preceded it.
            at = _position_after(columns, old.columns[:position])
            columns.insert(at, replace(column, change="removed"))
    fks = _diff_items(old.foreign_keys, new.foreign_keys, key=lambda f: f.summary())
    constraints = _diff_items(old.constraints, new.constraints, key=lambda c: c.summary())
    primary_key = new.primary_key
    if (old.primary_key and old.primary_key.columns) != (primary_key and primary_key.columns):
        primary_key = replace(primary_key, change="changed") if primary_key else None
    changed = (
        any(c.change for c in columns)
        or any(f.change for f in fks)
        or any(c.change for c in constraints)
        or (primary_key is not None and primary_key.change is not None)
    )
    return replace(
        new,
        columns=tuple(columns),
        foreign_keys=tuple(fks),
        constraints=tuple(constraints),
        primary_key=primary_key,
        change="changed" if changed else None,
    )


def _position_after(columns: list[ColumnInfo], preceding: Sequence[ColumnInfo]) -> int:
    names = [c.name for c in columns]
    for column in reversed(preceding):
        if column.name in names:
            return names.index(column.name) + 1
    return 0


_Item = TypeVar("_Item", ForeignKeyInfo, ConstraintInfo)


def _diff_items(
    old: Sequence[_Item], new: Sequence[_Item], *, key: Callable[[_Item], str]
) -> list[_Item]:
    old_keys = {key(i) for i in old}
    new_keys = {key(i) for i in new}
    out = [i if key(i) in old_keys else replace(i, change="added") for i in new]
    out += [replace(i, change="removed") for i in old if key(i) not in new_keys]
    return out


# --- agreeing with generate ----------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """What ``generate`` would write from the models: the things its operations touch."""

    tables: frozenset[str] = frozenset()
    """Tables created, dropped or renamed."""
    columns: frozenset[tuple[str, str]] = frozenset()
    """``(table, column)`` added, dropped or altered (a rename names both)."""
    items: frozenset[tuple[str, str]] = frozenset()
    """``(table, name)`` of indexes and constraints created or dropped (``""``: unnamed)."""
    foreign_keys: frozenset[str] = frozenset()
    """Tables whose foreign keys are created or dropped."""
    enums: frozenset[str] = frozenset()
    """Enum types created, dropped or given other members."""


def confirmed(model: ErModel, pending: Pending) -> ErModel:
    """The change view ``model`` with only the marks that ``pending`` confirms.

    A change between a revision and the models is one ``generate`` would
    write; what the two sources merely say differently (a CHECK that Alembic
    does not compare, an index SQLite cannot reflect, a constraint named on one
    side only) is not a change, and is drawn unmarked.
    """
    return replace(model, tables=tuple(_confirmed_table(t, pending) for t in model.tables))


def _confirmed_table(table: TableInfo, pending: Pending) -> TableInfo:
    if table.change in ("added", "removed"):
        return table if table.name in pending.tables else _unmarked(table)
    name = table.name
    columns = tuple(
        c
        if c.change is None
        or (name, c.name) in pending.columns
        or (c.enum_values and c.type in pending.enums)
        else replace(c, change=None, was=None)
        for c in table.columns
    )
    fks = _confirmed_items(table.foreign_keys, lambda f: name in pending.foreign_keys)
    constraints = _confirmed_items(
        table.constraints,
        lambda c: (
            c.kind != "check"
            and (
                (name, c.name) in pending.items
                or (c.name.startswith("(") and (name, "") in pending.items)
            )
        ),
    )
    primary_key = replace(table.primary_key, change=None) if table.primary_key else None
    changed = (
        any(c.change for c in columns)
        or any(f.change for f in fks)
        or any(c.change for c in constraints)
    )
    return replace(
        table,
        columns=columns,
        foreign_keys=fks,
        constraints=constraints,
        primary_key=primary_key,
        change="changed" if changed else None,
    )


def _confirmed_items(items: Sequence[_Item], keep: Callable[[_Item], bool]) -> tuple[_Item, ...]:
    """``items`` with unconfirmed marks removed; an unconfirmed removal that an item of
    the same name replaces (the same thing, said differently) is left out."""
    out: list[_Item] = []
    for item in items:
        if item.change is None or keep(item):
            out.append(item)
        elif item.change == "added":
            out.append(replace(item, change=None))
    names = {i.name for i in out}
    for item in items:
        if item.change == "removed" and not keep(item) and item.name not in names:
            out.append(replace(item, change=None))
    return tuple(out)


def _unmarked(table: TableInfo) -> TableInfo:
    return replace(
        table,
        change=None,
        columns=tuple(replace(c, change=None, was=None) for c in table.columns),
        foreign_keys=tuple(replace(f, change=None) for f in table.foreign_keys),
        constraints=tuple(replace(c, change=None) for c in table.constraints),
        primary_key=replace(table.primary_key, change=None) if table.primary_key else None,
    )
