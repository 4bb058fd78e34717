"""The normalized model every diagram is drawn from: tables, columns, keys, constraints.

Every source (the models, a live database, a revision, a change between two)
is normalized into an :class:`ErModel` by :mod:`workbench.diagram.sources`;
the renderers (:mod:`~workbench.diagram.dot`, :mod:`~workbench.diagram.mermaid`)
are pure functions of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["svg", "png", "pdf", "mermaid", "dot"]
Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the diagram shows it."""

    name: str
    type: str
    """The type as PostgreSQL spells it; an enum is its type name (values in ``enum_values``)."""
    nullable: bool
    primary_key: bool = False
    foreign_key: bool = False
    unique: bool = False
    default: str | None = None
    enum_values: tuple[str, ...] = ()
    change: Change | None = None
    was: str | None = None
    """For a changed column: what it was in the respects that changed (``VARCHAR(100)``)."""


@dataclass(frozen=True)
class ForeignKeyInfo:
    """A foreign key: from ``columns`` of its table to ``referred_columns`` of another."""

    name: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    optional: bool
    """Some column of the key is nullable: a row may have no parent."""
    one_to_one: bool
    """The key's columns are unique in their table: a parent has at most one such row."""
    identifying: bool = False
    """The key's columns are part of the table's primary key."""
    ondelete: str | None = None
    onupdate: str | None = None
    change: Change | None = None

    def summary(self) -> str:
        text = (
            f"({', '.join(self.columns)}) \u2192 "
            f"{self.referred_table} ({', '.join(self.referred_columns)})"
        )
        if self.ondelete:
            text += f" ON DELETE {self.ondelete.upper()}"
        if self.onupdate:
            text += f" ON UPDATE {self.onupdate.upper()}"
        return text


ConstraintKind = Literal["primary key", "unique", "check", "index", "unique index"]
_CONSTRAINT_TAGS: dict[str, str] = {
    "primary key": "PK",
    "unique": "UNIQUE",
    "check": "CHECK",
    "index": "INDEX",
    "unique index": "UNIQUE INDEX",
}


@dataclass(frozen=True)
class ConstraintInfo:
    """A primary key, UNIQUE or CHECK constraint, or an index."""

    kind: ConstraintKind
    name: str
    columns: tuple[str, ...] = ()
    text: str | None = None
    """The expression of a CHECK."""
    change: Change | None = None

    def summary(self) -> str:
        """``UNIQUE uq_x (a, b)``, ``CHECK ck_x: price >= 0``."""
        head = f"{_CONSTRAINT_TAGS[self.kind]} {self.name}"
        if self.kind == "check":
            return f"{head}: {self.text}"
        return f"{head} ({', '.join(self.columns)})"


@dataclass(frozen=True)
class TableInfo:
    """One table: its columns in declaration order, keys and constraints."""

    name: str
    columns: tuple[ColumnInfo, ...]
    primary_key: ConstraintInfo | None = None
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    constraints: tuple[ConstraintInfo, ...] = ()
    """UNIQUE and CHECK constraints, then indexes, each group by name."""
    change: Change | None = None

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def links(self) -> tuple[str, ...]:
        """The tables this one joins many-to-many, when it is a link (association) table.

        A link table's primary key is made of two or more foreign keys.
        """
        if self.primary_key is None or len(self.primary_key.columns) < 2:
            return ()
        keyed = [fk for fk in self.foreign_keys if set(fk.columns) <= set(self.primary_key.columns)]
        covered = {c for fk in keyed for c in fk.columns}
        if len(keyed) < 2 or covered != set(self.primary_key.columns):
            return ()
        return tuple(fk.referred_table for fk in keyed)


@dataclass(frozen=True)
class ErModel:
    """What a diagram shows: a schema's tables, from one source, possibly narrowed to a view."""

    schema: str
    source: str
    """``models``, ``database <url>``, ``revision <id>`` or ``diff <a>..<b>``."""
    tables: tuple[TableInfo, ...]
    diff: bool = False
    hidden: tuple[str, ...] = ()
    """Tables of the schema left out of this view (by --include, --exclude or --focus)."""
    keys_only: bool = False

    def table(self, name: str) -> TableInfo | None:
        return next((t for t in self.tables if t.name == name), None)

    @property
    def title(self) -> str:
        return f"{self.schema}: {self.source}"

    @property
    def relationships(self) -> int:
        shown = {t.name for t in self.tables}
        return sum(1 for t in self.tables for fk in t.foreign_keys if fk.referred_table in shown)
