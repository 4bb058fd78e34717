"""The seed engine's catalog: what the tables are, in what order they are seeded, how many rows.

:func:`analyse` reads a ``MetaData`` (from the models or reflected) into a
:class:`Catalog` of :class:`TableSpec`: each column as the generator sees it
(:class:`ColumnSpec`), foreign keys (:class:`ForeignKeySpec`), uniques and CHECK
constraints (:class:`CheckConstraintSpec`, parsed by
:mod:`workbench.seed.constraints`). Tables come in foreign-key order; a cycle
is broken by deferring one nullable foreign key (inserted empty, filled after).
:func:`row_counts` turns the user's ``rows`` into a count per table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from workbench.config import is_version_table
from workbench.errors import SeedError
from workbench.seed import values as V
from workbench.seed.constraints import (
    parse_check_constraint,
)
from workbench.seed.typed import is_custom, probe_kind

if TYPE_CHECKING:
    from sqlalchemy import Column, MetaData, Table

BATCH_SIZE = 5_000
"""Rows made and written at a time. Part of the data's identity: changing it changes the rows."""
DEFAULT_ROWS = 100
"""Rows in a table without parents, unless told otherwise."""
PER_PARENT = 3
"""Rows of a child table per row of its largest parent, unless told otherwise."""
PER_LINK_PARENT = 2
"""Rows of a link table (a key made of foreign keys) per row of its largest parent."""
EVERY_TABLE = "*"
"""In a ``rows`` mapping: the count for every table not named."""
NULL_SHARE = 0.1
"""How often a nullable column is left NULL."""
SELF_ROOT_SHARE = 0.5
"""How often a nullable self-reference is NULL (a comment that is not a reply)."""

OnProgress = Callable[[str, int, int], None]
Rows = int | Mapping[str, int] | None
Encoder = Callable[[list[Any]], list[Any]]

SPAN = {"datetime": 180 * V.DAY, "date": 365, "time": 4 * 3600}
"""How far after its partner a later column falls (``updated_at`` after ``created_at``)."""


@dataclass
class ColumnSpec:
    """A column as the generator sees it."""

    name: str
    kind: str
    """int numeric float bool enum str date datetime time uuid json bytes raw unsupported."""
    nullable: bool
    server_side: bool
    """Filled by the server when omitted (server default, identity, computed)."""
    computed: bool = False
    max_len: int | None = None
    scale: int = 0
    low: Any = None
    high: Any = None
    enum: tuple[Any, ...] | None = None
    utc: bool = False
    type_name: str = ""
    typed: Any = None
    """The column's type, when values are written as Python values through its bind
    processing (a type that converts values itself; see :mod:`workbench.seed.typed`)."""
    item_kind: str = ""
    """An ARRAY's items: ``int`` or ``str``."""
    server_now: bool = False
    """A date or timestamp whose server default is the current time (spread by the engine)."""
    generator: Any = None
    """The models' choice, ``info={"seed": ...}``: a generator's name, a list of values, or a
    callable taking a ``random.Random`` (values of the column's Python type: kind ``python``)."""


@dataclass
class ForeignKeySpec:
    """A foreign key: child columns, the parent table and its referenced columns."""

    name: str
    columns: tuple[str, ...]
    parent: str | None
    """The parent's key in the catalog; ``None`` when the parent is outside the metadata."""
    parent_table: Table | None
    refs: tuple[str, ...]
    nullable: bool
    self_ref: bool
    deferred: bool = False
    """Inserted empty (NULL) to break a cycle, filled once the parent has rows."""
    deferrable: bool = False
    """Declared ``DEFERRABLE`` in the models (or the reflected database)."""
    early: bool = False
    """A NOT NULL, deferrable edge of a cycle: its rows are written before the parent's, with
    the keys the engine will give the parent, and the constraint is deferred meanwhile."""
    blocked: tuple[str, str] | None = None
    """``(message, hint)``: why this edge of a cycle cannot be written before its parent
    (no NULL, not deferrable): the error raised if rows of the table are asked for."""

    def describe(self, table: str) -> str:
        """``store.manager_staff_id -> staff.staff_id``."""
        parent = self.parent_table.name if self.parent_table is not None else "?"
        refs = ", ".join(self.refs) if self.refs else "?"
        cols = ", ".join(self.columns)
        if len(self.columns) > 1:
            return f"{table}({cols}) -> {parent}({refs})"
        return f"{table}.{cols} -> {parent}.{refs}"


@dataclass
class CheckConstraintSpec:
    name: str
    text: str
    atoms: tuple[Any, ...]
    complete: bool


@dataclass
class TableSpec:
    """One table: its columns, keys, foreign keys, uniques and checks."""

    key: str
    table: Table
    cols: dict[str, ColumnSpec]
    serial: str | None
    """The single integer key column the engine numbers itself."""
    serial_omitted: bool
    """The serial column is GENERATED ALWAYS: the server numbers it."""
    fks: list[ForeignKeySpec]
    uniques: list[tuple[str, ...]]
    checks: list[CheckConstraintSpec]
    pk: tuple[str, ...]

    @property
    def name(self) -> str:
        return str(self.table.name)

    def parents(self) -> set[str]:
        return {
            fk.parent
            for fk in self.fks
            if fk.parent
            and not fk.self_ref
            and not (fk.deferred or fk.early or fk.blocked)
            and fk.parent != self.key
        }

    def is_link(self) -> bool:
        fk_cols = {c for fk in self.fks for c in fk.columns}
        return any(
            len(u) >= 2
            and set(u) <= fk_cols
            and sum(1 for fk in self.fks if set(fk.columns) <= set(u)) >= 2
            for u in self.uniques
        )


@dataclass
class Catalog:
    order: list[TableSpec]
    by_key: dict[str, TableSpec]

    def find(self, name: str) -> TableSpec | None:
        if name in self.by_key:
            return self.by_key[name]
        found = [i for i in self.order if i.name == name]
        return found[0] if len(found) == 1 else None


class RawNames:
    """Quoted identifiers for statements sent without parameters (COPY, DDL, reads).

    SQLAlchemy's preparer doubles ``%`` in identifiers for drivers with ``%s``
    placeholders (psycopg), as a statement with parameters needs; a statement
    without any is sent as it is, so the doubling is undone here (``a%b``).
    """

    def __init__(self, dialect: Any) -> None:
        self.prep = dialect.identifier_preparer
        self.undo = dialect.paramstyle in ("format", "pyformat")

    def _raw(self, text: Any) -> str:
        return str(text).replace("%%", "%") if self.undo else str(text)

    def quote(self, name: str) -> str:
        return self._raw(self.prep.quote(name))

    def format_table(self, table: Table) -> str:
        return self._raw(self.prep.format_table(table))


def column_spec(column: Column[Any], dialect: Any = None) -> ColumnSpec:
    """How the engine makes ``column``'s values: its kind, range, and whether through its type."""
    col = _storage_spec(column)
    if col.kind in ("date", "datetime") and column.server_default is not None:
        said = str(getattr(column.server_default, "arg", "")).lower()
        col.server_now = any(w in said for w in ("now", "current_", "localtimestamp"))
    chosen = column.info.get("seed") if column.info else None
    if chosen is not None:
        _choose(col, column, chosen)
        return col
    if is_custom(column.type):
        if dialect is None:
            from sqlalchemy.dialects import sqlite

            dialect = sqlite.dialect()
        if col.kind == "array":
            col.typed = column.type
            return col
        kind = probe_kind(column.type, col.name, col.kind, col.utc, dialect)
        if kind is None:
            col.kind = "unsupported"
        else:
            if kind != col.kind:
                col.kind, col.max_len, col.enum = kind, None, None
                col.low, col.high = _KIND_RANGES.get(kind, (None, None))
                col.scale = 2 if kind == "numeric" else 0
            col.typed = column.type
    return col


def _choose(col: ColumnSpec, column: Column[Any], chosen: Any) -> None:
    """A column whose generator the models name: ``info={"seed": ...}``."""
    where = f"{column.table.name}.{column.name}"
    if isinstance(chosen, str):
        if chosen not in V.MAKERS:
            raise SeedError(
                f'{where} asks for the seed generator {chosen!r} (info={{"seed": ...}}), '
                "which does not exist.",
                hint=f"Use one of: {', '.join(sorted(V.MAKERS))}; or a list of values, or a "
                "function of a random.Random returning one value.",
            )
    elif isinstance(chosen, list | tuple):
        if not chosen:
            raise SeedError(
                f'{where} gives an empty list of values (info={{"seed": []}}).',
                hint="List at least one value, or remove the seed entry.",
            )
        chosen = list(chosen)
    elif not callable(chosen):
        raise SeedError(
            f'{where}: info={{"seed": {chosen!r}}} is neither a generator\'s name, a list of '
            "values nor a function.",
            hint="See docs/seed.md, 'Choosing a column's values'.",
        )
    col.kind, col.generator, col.typed = "python", chosen, column.type
    col.enum = None


_KIND_RANGES: dict[str, tuple[Any, Any]] = {
    "int": (-(2**31), 2**31 - 1),
    "numeric": (-(10**18) + 1, 10**18 - 1),
    "float": (-1e300, 1e300),
    "datetime": (V.seconds(date(1, 1, 2)), V.seconds(date(9999, 12, 30))),
    "date": (1, date(9999, 12, 31).toordinal()),
    "time": (0, V.DAY - 1),
}


def _storage_spec(column: Column[Any]) -> ColumnSpec:
    """The column as its storage type (under any TypeDecorator) describes it."""
    import sqlalchemy as sa
    from sqlalchemy.sql import sqltypes

    t: Any = column.type
    while isinstance(t, sa.TypeDecorator):  # SQLModel's AutoString, UTCDateTime...
        t = getattr(t, "impl_instance", None) or t.impl
    server_side = bool(
        column.server_default is not None or column.identity is not None or column.computed
    )
    col = ColumnSpec(
        name=str(column.name),
        kind="unsupported",
        nullable=bool(column.nullable),
        server_side=server_side,
        computed=column.computed is not None,
        type_name=type_name(t),
    )
    if isinstance(t, sa.Enum):
        col.kind, col.enum = "enum", tuple(t.enums)
        col.max_len = t.length
    elif isinstance(t, sa.Boolean):
        col.kind = "bool"
    elif isinstance(t, sa.Integer):
        col.kind = "int"
        bits = 15 if isinstance(t, sa.SmallInteger) else 63 if isinstance(t, sa.BigInteger) else 31
        col.low, col.high = -(2**bits), 2**bits - 1
    elif isinstance(t, sa.Float):
        col.kind, col.low, col.high = "float", -1e300, 1e300
    elif isinstance(t, sa.Numeric):
        col.kind = "numeric"
        col.scale = t.scale if t.scale is not None else 2
        digits = t.precision if t.precision is not None else 18
        col.high = 10**digits - 1
        col.low = -col.high
    elif isinstance(t, sa.DateTime):
        col.kind, col.utc = "datetime", bool(getattr(t, "timezone", False))
        col.low, col.high = V.seconds(date(1, 1, 2)), V.seconds(date(9999, 12, 30))
    elif isinstance(t, sa.Date):
        col.kind, col.low, col.high = "date", 1, date(9999, 12, 31).toordinal()
    elif isinstance(t, sa.Time):
        col.kind, col.low, col.high = "time", 0, V.DAY - 1
    elif isinstance(t, sa.Uuid):
        col.kind = "uuid"
    elif isinstance(t, sa.ARRAY):
        item = t.item_type
        col.kind, col.item_kind = "array", "int" if isinstance(item, sa.Integer) else "str"
    elif isinstance(t, sa.JSON):
        col.kind = "json"
    elif isinstance(t, sa.LargeBinary):
        col.kind = "bytes"
        col.max_len = getattr(t, "length", None)
    elif isinstance(t, sa.String):
        col.kind, col.max_len = "str", t.length
    elif isinstance(t, sqltypes.NullType):
        col.kind = "str"
    return col


def type_name(t: Any) -> str:
    try:
        return str(t)
    except Exception:  # a type that cannot render without a dialect
        return type(t).__name__


def analyse(metadata: MetaData, dialect: Any = None) -> Catalog:
    """The tables of ``metadata`` in the order they are seeded, cycles broken."""
    import sqlalchemy as sa
    from sqlalchemy.exc import NoReferencedColumnError, NoReferencedTableError

    tables = [t for t in metadata.tables.values() if not is_version_table(t.name)]
    infos: dict[str, TableSpec] = {}
    for table in sorted(tables, key=lambda t: str(t.key)):
        cols = {str(c.name): column_spec(c, dialect) for c in table.columns}
        pk = tuple(str(c.name) for c in table.primary_key.columns)
        fks: list[ForeignKeySpec] = []
        claimed: set[str] = set()
        for fkc in sorted(table.foreign_key_constraints, key=lambda f: [c.name for c in f.columns]):
            names = tuple(str(c.name) for c in fkc.columns)
            if claimed & set(names):
                continue
            claimed.update(names)
            try:
                parent_table = fkc.referred_table
                refs = tuple(str(e.column.name) for e in fkc.elements)
            except (NoReferencedTableError, NoReferencedColumnError):
                parent_table, refs = None, ()
            parent_key = (
                str(parent_table.key)
                if parent_table is not None and parent_table.key in metadata.tables
                else None
            )
            fks.append(
                ForeignKeySpec(
                    name=str(fkc.name or "fk"),
                    columns=names,
                    parent=parent_key,
                    parent_table=parent_table,
                    refs=refs,
                    nullable=all(cols[n].nullable for n in names),
                    self_ref=parent_table is table,
                    deferrable=bool(fkc.deferrable),
                )
            )
        serial = None
        if len(pk) == 1 and cols[pk[0]].kind == "int" and pk[0] not in claimed:
            serial = pk[0]
        column = table.columns[serial] if serial else None
        identity = column.identity if column is not None else None
        uniques: list[tuple[str, ...]] = []
        if pk and pk != (serial,):
            uniques.append(pk)
        for con in _in_order(table.constraints):
            if isinstance(con, sa.UniqueConstraint):
                uniques.append(tuple(str(c.name) for c in con.columns))
        for index in table.indexes:
            names = tuple(str(c.name) for c in index.columns if isinstance(c, sa.Column))
            if index.unique and names and len(names) == len(index.expressions):
                uniques.append(names)
        checks = [
            CheckConstraintSpec(str(con.name or "unnamed"), text, info.atoms, info.complete)
            # a CHECK declared on a column stays in the column's constraints
            for con in dict.fromkeys(
                [*_in_order(table.constraints), *(k for c in table.columns for k in c.constraints)]
            )
            if isinstance(con, sa.CheckConstraint)
            for text in [check_constraint_text(con, dialect)]
            for info in [parse_check_constraint(text)]
        ]
        infos[str(table.key)] = TableSpec(
            key=str(table.key),
            table=table,
            cols=cols,
            serial=serial,
            serial_omitted=bool(identity is not None and identity.always),
            fks=fks,
            uniques=list(dict.fromkeys(u for u in uniques if u)),
            checks=checks,
            pk=pk,
        )
    break_cycles(infos)
    return Catalog(order=topological(infos), by_key=infos)


def _in_order(constraints: Any) -> list[Any]:
    """A table's constraints (a set) in an order that does not change between processes."""
    return sorted(
        constraints,
        key=lambda c: (type(c).__name__, str(c.name or ""), [str(x.name) for x in c.columns]),
    )


def check_constraint_text(con: Any, dialect: Any) -> str:
    from sqlalchemy.sql.elements import TextClause

    text = con.sqltext
    if isinstance(text, TextClause):
        return str(text.text)
    try:
        return str(text.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # a CHECK the dialect cannot render: its plain text, parsed loosely
        return str(text)


def break_cycles(infos: dict[str, TableSpec]) -> None:
    """Break every foreign-key cycle at one edge, until the tables can be ordered.

    A nullable edge is inserted empty and filled after (``deferred``). Failing that, a
    DEFERRABLE edge that refers to a key the engine makes itself is written first with the
    keys the parent will get, its constraint deferred until every table has rows
    (``early``). Failing that, the edge is ``blocked``: rows of its table are an error that
    names the cycle and the fix (see :func:`cycle_error`), and no rows are not.
    """
    while True:
        cycle = find_cycle(infos)
        if cycle is None:
            return
        edges = [
            (infos[a], fk)
            for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True)
            for fk in infos[a].fks
            if fk.parent == b and not (fk.deferred or fk.early or fk.blocked) and not fk.self_ref
        ]
        nullable = [fk for _, fk in edges if fk.nullable]
        if nullable:
            nullable[0].deferred = True
            continue
        early = [fk for _, fk in edges if fk.deferrable and promised_key(infos, fk) is not None]
        if early:
            early[0].early = True
            continue
        edges[0][1].blocked = cycle_error(edges)


def promised_key(infos: dict[str, TableSpec], fk: ForeignKeySpec) -> str | None:
    """The parent's key column that ``fk`` refers to, when the engine makes its values itself
    (an integer key it numbers, or a UUID primary key), so a child can name them in advance."""
    parent = infos.get(fk.parent) if fk.parent else None
    if parent is None or len(fk.refs) != 1:
        return None
    ref = fk.refs[0]
    if parent.serial == ref and not parent.serial_omitted:
        return ref
    if parent.pk == (ref,) and parent.cols[ref].kind == "uuid":
        return ref
    return None


def cycle_error(edges: list[tuple[TableSpec, ForeignKeySpec]]) -> tuple[str, str]:
    """The message for a cycle no edge of which can be written before its parent."""
    names = "; ".join(fk.describe(info.name) for info, fk in edges)
    tables = sorted({info.name for info, _ in edges})
    deferrable = [(info, fk) for info, fk in edges if fk.deferrable]
    if deferrable:
        info, fk = deferrable[0]
        why = (
            f"every foreign key in it is NOT NULL, and the DEFERRABLE one "
            f"({fk.describe(info.name)}) refers to a column whose values the database makes or "
            "the seed engine cannot name in advance (it can for an integer key it numbers or a "
            "UUID primary key)"
        )
    else:
        why = "every foreign key in it is NOT NULL and none is DEFERRABLE"
    rows = " ".join(f"--rows {t}=0" for t in tables)
    return (
        f"cannot seed the foreign-key cycle {names}: {why}, so no table of it can be written "
        "first.",
        "Make one of those foreign keys nullable (it is filled after the insert), or declare "
        'it deferrable (ForeignKey(..., deferrable=True, initially="DEFERRED"), then generate '
        f"and upgrade); or leave the cycle's tables empty ({rows}).",
    )


def find_cycle(infos: dict[str, TableSpec]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(key: str) -> list[str] | None:
        state[key] = 1
        stack.append(key)
        for parent in sorted(infos[key].parents()):
            if state.get(parent) == 1:
                return stack[stack.index(parent) :]
            if parent not in state:
                found = visit(parent)
                if found:
                    return found
        stack.pop()
        state[key] = 2
        return None

    for key in sorted(infos):
        if key not in state:
            found = visit(key)
            if found:
                return found
    return None


def topological(infos: dict[str, TableSpec]) -> list[TableSpec]:
    import heapq

    waiting = {k: set(i.parents()) for k, i in infos.items()}
    ready = [k for k, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[TableSpec] = []
    while ready:
        key = heapq.heappop(ready)
        order.append(infos[key])
        for other, deps in waiting.items():
            if key in deps:
                deps.discard(key)
                if not deps:
                    heapq.heappush(ready, other)
    return order


def plan_rows(metadata: MetaData, rows: Rows = None) -> dict[str, int]:
    """The row count each table of ``metadata`` is asked for, parents first (pure).

    Example:
        >>> plan_rows(load_schema(cfg, "blog").metadata)  # doctest: +SKIP
        {'tags': 100, 'users': 100, 'posts': 300, 'comments': 900, 'post_tags': 600}
    """
    catalog = analyse(metadata)
    return {catalog.by_key[key].name: n for key, (n, _) in row_counts(catalog, rows).items()}


def row_counts(catalog: Catalog, rows: Rows) -> dict[str, tuple[int, bool]]:
    """``{table key: (count, named explicitly)}`` in seeding order."""
    mapping: dict[str, int] = {}
    every: int | None = None
    if isinstance(rows, int):
        every = rows
    elif rows:
        mapping = dict(rows)
        every = mapping.pop(EVERY_TABLE, None)
    named: dict[str, int] = {}
    for name, count in mapping.items():
        info = catalog.find(name)
        if info is None:
            known = ", ".join(i.name for i in catalog.order)
            raise SeedError(f"there is no table {name!r} to seed.", hint=f"Tables: {known}.")
        named[info.key] = count
    for count in [*named.values(), *([every] if every is not None else [])]:
        if not isinstance(count, int) or count < 0:
            raise SeedError(f"a row count must be a whole number of 0 or more, not {count!r}.")
    out: dict[str, tuple[int, bool]] = {}
    for info in catalog.order:
        if info.key in named:
            out[info.key] = (named[info.key], True)
        elif every is not None:
            out[info.key] = (every, False)
        else:
            parents = [out[p][0] for p in info.parents() if p in out]
            if not parents:
                out[info.key] = (DEFAULT_ROWS, False)
            else:
                factor = PER_LINK_PARENT if info.is_link() else PER_PARENT
                out[info.key] = (factor * max(parents), False)
    return out
