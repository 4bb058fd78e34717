"""What the advice rules see of a schema: tables, keys, and every index that serves lookups.

A :class:`TableView` is built from a SQLAlchemy ``Table``, declared in the
models or reflected from a live database, so that rules are pure functions of
plain data and their test cases are data too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from workbench.loader import DEFAULT_NAMING_CONVENTION, shorten

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table

IndexKind = Literal["primary", "unique", "index"]


@dataclass(frozen=True)
class IndexView:
    """A primary key, a unique constraint or an index: anything that orders rows by columns."""

    name: str
    columns: tuple[str, ...]
    kind: IndexKind
    unique: bool = False
    partial: bool = False
    """A ``WHERE`` clause or an expression: it serves only some lookups, so it covers none."""

    @property
    def label(self) -> str:
        what = {"primary": "the primary key", "unique": "unique constraint", "index": "index"}
        return what[self.kind] if self.kind == "primary" else f"{what[self.kind]} {self.name}"

    def leads_with(self, columns: Sequence[str], *, any_order: bool = False) -> bool:
        """Whether the index's leading columns are ``columns`` (in order, or in any order)."""
        if self.partial or len(columns) > len(self.columns):
            return False
        head = self.columns[: len(columns)]
        return set(head) == set(columns) if any_order else head == tuple(columns)


@dataclass(frozen=True)
class ForeignKeyView:
    columns: tuple[str, ...]
    referred_table: str


@dataclass(frozen=True)
class TableView:
    """One table as the rules see it."""

    name: str
    columns: tuple[str, ...]
    low_cardinality: frozenset[str]
    """Boolean and enum columns."""
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKeyView, ...]
    indexes: tuple[IndexView, ...]
    """The primary key and unique constraints first, then the indexes, by name."""

    def covering(self, columns: Sequence[str], *, any_order: bool = False) -> IndexView | None:
        """The first index whose leading columns are ``columns``, if any."""
        for index in self.indexes:
            if index.leads_with(columns, any_order=any_order):
                return index
        return None

    def index_names(self) -> set[str]:
        return {i.name for i in self.indexes}


def view_of(table: Table) -> TableView:
    """The rules' view of a SQLAlchemy ``Table``."""
    import sqlalchemy as sa

    indexes: list[IndexView] = []
    pk = tuple(c.name for c in table.primary_key.columns)
    if pk:
        indexes.append(IndexView(_name(table.primary_key.name, f"pk_{table.name}"), pk, "primary"))
    uniques = sorted(
        (c for c in table.constraints if isinstance(c, sa.UniqueConstraint)),
        key=lambda c: str(c.name),
    )
    for constraint in uniques:
        columns = tuple(c.name for c in constraint.columns)
        fallback = f"uq_{table.name}_{'_'.join(columns)}"
        indexes.append(IndexView(_name(constraint.name, fallback), columns, "unique", unique=True))
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        columns = tuple(c.name for c in index.columns)
        expressions = not all(isinstance(e, sa.Column | str) for e in index.expressions)
        where = any(
            index.dialect_options[dialect].get("where") is not None
            for dialect in ("postgresql", "sqlite")
            if dialect in index.dialect_options
        )
        indexes.append(
            IndexView(
                _name(index.name, f"ix_{table.name}_{'_'.join(columns)}"),
                columns,
                "index",
                unique=bool(index.unique),
                partial=where or expressions,
            )
        )
    low = frozenset(c.name for c in table.columns if isinstance(c.type, sa.Boolean | sa.Enum))
    fks = tuple(
        ForeignKeyView(tuple(c.name for c in fk.columns), fk.referred_table.name)
        for fk in sorted(table.foreign_key_constraints, key=lambda f: [c.name for c in f.columns])
    )
    return TableView(
        name=table.name,
        columns=tuple(c.name for c in table.columns),
        low_cardinality=low,
        primary_key=pk,
        foreign_keys=fks,
        indexes=tuple(indexes),
    )


def views_of(metadata: MetaData, *, skip: Iterable[str] = ()) -> list[TableView]:
    """Every table of ``metadata`` as the rules see it, by name."""
    skipped = set(skip)
    return [view_of(t) for name, t in sorted(metadata.tables.items()) if name not in skipped]


def _name(name: object, fallback: str) -> str:
    return str(name) if name is not None and str(name) != "_NONE_NAME" else fallback


_TOKEN = re.compile(r"%\((\w+)\)s")
_SQLALCHEMY_IX = "ix_%(column_0_label)s"
"""SQLAlchemy's default ``ix`` convention, which every MetaData without one of its own has."""


def index_name(
    table: str,
    columns: Sequence[str],
    convention: Mapping[object, object] | None = None,
    taken: Iterable[str] = (),
) -> str:
    """The name the schema's ``ix`` naming convention gives an index on ``columns``.

    Every column is named: without a convention of its own (SQLAlchemy's default
    names the first column only) the default ``ix_TABLE_COL1_COL2`` is used, and a
    convention that names one column names them all. Conventions that need more
    than table and column names fall back to the default one; a name already
    ``taken`` gets a numeric suffix.
    """
    template = str((convention or {}).get("ix") or DEFAULT_NAMING_CONVENTION["ix"])
    if template == _SQLALCHEMY_IX:
        # SQLAlchemy's own default, i.e. no convention: it names the first column only
        # (an index on (status, placed_at) would be ix_orders_status).
        template = DEFAULT_NAMING_CONVENTION["ix"]
    elif len(columns) > 1 and "_N_" not in template and "0N" not in template:
        # A convention that names one column would give two indexes one name.
        template = template.replace("column_0_name", "column_0_N_name").replace(
            "column_0_label", "column_0_N_label"
        )
    tokens = {
        "table_name": table,
        "column_0_name": columns[0],
        "column_0_N_name": "_".join(columns),
        "column_0_label": f"{table}_{columns[0]}",
        "column_0_N_label": "_".join(f"{table}_{c}" for c in columns),
        "column_0N_name": "".join(columns),
    }
    if not all(t in tokens for t in _TOKEN.findall(template)):
        template = DEFAULT_NAMING_CONVENTION["ix"]
    name = shorten(_TOKEN.sub(lambda m: tokens[m.group(1)], template))
    used = set(taken)
    base, n = name, 2
    while name in used:
        name = shorten(f"{base}_{n}")
        n += 1
    return name
