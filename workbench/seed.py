"""Seed data: rows that satisfy every constraint, deterministic, close to the driver's insert limit.

The public API, in the order other capabilities are likely to want it:

``seed(cfg, schema, *, rows=None, seed=0, url=None, truncate=False, fill_defaults=False,
sample=0, on_progress=None) -> SeedReport``
    The ``workbench seed`` verb: loads the models, refuses a target that is not
    at head, seeds it through :func:`seed_connection` and commits.

``seed_connection(conn, metadata, rows=None, *, seed=0, truncate=False, fill_defaults=False,
verify=True, sample=0, on_progress=None, schema="") -> SeedReport``
    The core. Seeds the tables of ``metadata`` through ``conn`` (SQLite or
    PostgreSQL), inside the connection's transaction (begun if none is open);
    the caller commits or rolls back. ``metadata`` may come from the models or
    from :func:`reflect` (a live database at any revision: reflected types,
    CHECKs as text, PostgreSQL enums with their values). Rows are appended to
    what the tables hold, and stay apart from it on every UNIQUE.

``reflect(conn) -> MetaData``
    The live database's tables, without ``alembic_version``.

``plan_rows(metadata, rows=None) -> dict[str, int]``
    The row count each table would be asked for, before any capping (pure).

``rows`` is an ``int`` (that many rows in every table), a mapping of table
name to count (other tables get the default; the key ``"*"`` sets a count for
every table not named), or ``None``: root tables get :data:`DEFAULT_ROWS` and
a child table :data:`PER_PARENT` rows per row of its largest parent
(:data:`PER_LINK_PARENT` for a link table). A count that the table's keys
cannot reach (more link rows than parent pairs) is an error when the table
was named, and is capped otherwise (``TableSeed.requested`` says so).
``on_progress(table, done, total)`` is called after each batch.

How rows are made: tables in foreign-key order, cycles broken by inserting one
nullable foreign key empty and filling it afterwards; integer keys assigned by
the engine (so children know their parents without reading them back, and
PostgreSQL sequences are moved past them), UUID keys from a bijection of the
row index; foreign keys spread over parents with a long tail; composite keys
and composite UNIQUEs walk a permutation of the parent pairs, so they are
distinct by construction. Values come from fixed pools in
:mod:`workbench.seeddata` a batch at a time, a batch being made by a
``random.Random`` seeded from ``(seed, table, batch number)``: the same seed
gives the same rows. SQLite gets ``executemany`` in the caller's transaction,
PostgreSQL ``COPY ... FROM STDIN``; memory stays flat (one batch at a time).
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from random import Random
from typing import TYPE_CHECKING, Any

from workbench import db
from workbench.config import VERSION_TABLE, Config
from workbench.errors import Refused, SeedError
from workbench.results import IntegrityCheck, SeedReport, TableSeed
from workbench.seeddata import values as V
from workbench.seeddata.checks import NOW, Among, Bound, Length, NotNull, Order, parse_check

if TYPE_CHECKING:
    from sqlalchemy import Column, MetaData, Table
    from sqlalchemy.engine import Connection

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

_SPAN = {"datetime": 180 * V.DAY, "date": 365, "time": 4 * 3600}
"""How far after its partner a later column falls (``updated_at`` after ``created_at``)."""


# --- what the tables are ------------------------------------------------------------------


@dataclass
class _Col:
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


@dataclass
class _Fk:
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


@dataclass
class _Check:
    name: str
    text: str
    atoms: tuple[Any, ...]
    complete: bool


@dataclass
class _Info:
    """One table: its columns, keys, foreign keys, uniques and checks."""

    key: str
    table: Table
    cols: dict[str, _Col]
    serial: str | None
    """The single integer key column the engine numbers itself."""
    serial_omitted: bool
    """The serial column is GENERATED ALWAYS: the server numbers it."""
    fks: list[_Fk]
    uniques: list[tuple[str, ...]]
    checks: list[_Check]
    pk: tuple[str, ...]

    @property
    def name(self) -> str:
        return str(self.table.name)

    def parents(self) -> set[str]:
        return {
            fk.parent
            for fk in self.fks
            if fk.parent and not fk.self_ref and not fk.deferred and fk.parent != self.key
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
class _Catalog:
    order: list[_Info]
    by_key: dict[str, _Info]

    def find(self, name: str) -> _Info | None:
        if name in self.by_key:
            return self.by_key[name]
        found = [i for i in self.order if i.name == name]
        return found[0] if len(found) == 1 else None


def _kind(column: Column[Any]) -> _Col:
    import sqlalchemy as sa
    from sqlalchemy.sql import sqltypes

    t: Any = column.type
    while isinstance(t, sa.TypeDecorator):  # SQLModel's AutoString, UTCDateTime...
        t = getattr(t, "impl_instance", None) or t.impl
    server_side = bool(
        column.server_default is not None or column.identity is not None or column.computed
    )
    col = _Col(
        name=str(column.name),
        kind="unsupported",
        nullable=bool(column.nullable),
        server_side=server_side,
        computed=column.computed is not None,
        type_name=_type_name(t),
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


def _type_name(t: Any) -> str:
    try:
        return str(t)
    except Exception:  # a type that cannot render without a dialect
        return type(t).__name__


def _analyse(metadata: MetaData, dialect: Any = None) -> _Catalog:
    """The tables of ``metadata`` in the order they are seeded, cycles broken."""
    import sqlalchemy as sa
    from sqlalchemy.exc import NoReferencedColumnError, NoReferencedTableError

    tables = [t for t in metadata.tables.values() if t.name != VERSION_TABLE]
    infos: dict[str, _Info] = {}
    for table in sorted(tables, key=lambda t: str(t.key)):
        cols = {str(c.name): _kind(c) for c in table.columns}
        pk = tuple(str(c.name) for c in table.primary_key.columns)
        fks: list[_Fk] = []
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
                _Fk(
                    name=str(fkc.name or "fk"),
                    columns=names,
                    parent=parent_key,
                    parent_table=parent_table,
                    refs=refs,
                    nullable=all(cols[n].nullable for n in names),
                    self_ref=parent_table is table,
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
        for con in table.constraints:
            if isinstance(con, sa.UniqueConstraint):
                uniques.append(tuple(str(c.name) for c in con.columns))
        for index in table.indexes:
            names = tuple(str(c.name) for c in index.columns if isinstance(c, sa.Column))
            if index.unique and names and len(names) == len(index.expressions):
                uniques.append(names)
        checks = [
            _Check(str(con.name or "unnamed"), text, info.atoms, info.complete)
            for con in table.constraints
            if isinstance(con, sa.CheckConstraint)
            for text in [_check_text(con, dialect)]
            for info in [parse_check(text)]
        ]
        infos[str(table.key)] = _Info(
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
    _break_cycles(infos)
    return _Catalog(order=_topological(infos), by_key=infos)


def _check_text(con: Any, dialect: Any) -> str:
    from sqlalchemy.sql.elements import TextClause

    text = con.sqltext
    if isinstance(text, TextClause):
        return str(text.text)
    try:
        return str(text.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:
        return str(text)


def _break_cycles(infos: dict[str, _Info]) -> None:
    """Defer nullable foreign keys until the tables can be ordered; an error if they cannot."""
    while True:
        cycle = _find_cycle(infos)
        if cycle is None:
            return
        edges = [
            fk
            for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True)
            for fk in infos[a].fks
            if fk.parent == b and not fk.deferred and not fk.self_ref
        ]
        nullable = [fk for fk in edges if fk.nullable]
        if not nullable:
            names = " -> ".join([*cycle, cycle[0]])
            raise SeedError(
                f"cannot seed the foreign-key cycle {names}: every foreign key in it is NOT NULL, "
                "so no table of it can be written first.",
                hint="Make one of those foreign keys nullable (it is filled after the insert), "
                "or seed these tables yourself.",
            )
        nullable[0].deferred = True


def _find_cycle(infos: dict[str, _Info]) -> list[str] | None:
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


def _topological(infos: dict[str, _Info]) -> list[_Info]:
    import heapq

    waiting = {k: set(i.parents()) for k, i in infos.items()}
    ready = [k for k, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[_Info] = []
    while ready:
        key = heapq.heappop(ready)
        order.append(infos[key])
        for other, deps in waiting.items():
            if key in deps:
                deps.discard(key)
                if not deps:
                    heapq.heappush(ready, other)
    return order


# --- how many rows ------------------------------------------------------------------------


def plan_rows(metadata: MetaData, rows: Rows = None) -> dict[str, int]:
    """The row count each table of ``metadata`` is asked for, parents first (pure).

    Example:
        >>> plan_rows(load_schema(cfg, "blog").metadata)  # doctest: +SKIP
        {'tags': 100, 'users': 100, 'posts': 300, 'comments': 900, 'post_tags': 600}
    """
    catalog = _analyse(metadata)
    return {catalog.by_key[key].name: n for key, (n, _) in _counts(catalog, rows).items()}


def _counts(catalog: _Catalog, rows: Rows) -> dict[str, tuple[int, bool]]:
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


# --- keys children can refer to -----------------------------------------------------------


class _Keys:
    """The values of a parent's referenced columns that children may pick, by index."""

    size: int = 0
    computed: bool = False

    def take(self, idx: Sequence[int]) -> list[Any]:
        raise NotImplementedError

    def holds(self, value: Any) -> bool:
        raise NotImplementedError


class _Range(_Keys):
    """Integer keys ``start, start + 1, ...`` (the size is set once the count is final)."""

    computed = True

    def __init__(self, start: int, size: int) -> None:
        self.start, self.size = start, size

    def take(self, idx: Sequence[int]) -> list[Any]:
        start = self.start
        return [start + i for i in idx]

    def holds(self, value: Any) -> bool:
        return isinstance(value, int) and self.start <= value < self.start + self.size


class _Uuids(_Keys):
    computed = True

    def __init__(self, g0: int, size: int, salt: int) -> None:
        self.g0, self.size, self.salt = g0, size, salt

    def take(self, idx: Sequence[int]) -> list[Any]:
        g0, salt = self.g0, self.salt
        return [V.uuid_at(g0 + i, salt) for i in idx]

    def holds(self, value: Any) -> bool:
        return False  # fresh UUIDs: no row already in the table can hold one


class _Listed(_Keys):
    """Keys read back from the database (values as the driver returns them)."""

    def __init__(self, items: list[Any]) -> None:
        self.items, self.size = items, len(items)
        self._set: set[Any] | None = None

    def take(self, idx: Sequence[int]) -> list[Any]:
        items = self.items
        return [items[i] for i in idx]

    def holds(self, value: Any) -> bool:
        if self._set is None:
            self._set = set(self.items)
        return value in self._set


# --- one batch of one table ---------------------------------------------------------------


@dataclass
class _Batch:
    rng: Random
    i0: int
    """Index of the batch's first row among this run's rows of the table."""
    n: int
    g0: int
    """Global index of the first row: rows already in the table, plus ``i0``."""
    cols: dict[str, list[Any]] = field(default_factory=dict)


class _Slot:
    """Makes one or more columns of a batch."""

    columns: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    def make(self, b: _Batch) -> None:
        raise NotImplementedError


def _with_nulls(values: list[Any], rng: Random, share: float) -> list[Any]:
    if share <= 0:
        return values
    r = rng.random
    return [None if r() < share else v for v in values]


class _Serial(_Slot):
    def __init__(self, name: str, start: int) -> None:
        self.columns, self.start = (name,), start

    def make(self, b: _Batch) -> None:
        first = self.start + b.i0
        b.cols[self.columns[0]] = list(range(first, first + b.n))


class _UuidKey(_Slot):
    def __init__(self, name: str, salt: int) -> None:
        self.columns, self.salt = (name,), salt

    def make(self, b: _Batch) -> None:
        salt = self.salt
        b.cols[self.columns[0]] = [V.uuid_at(g, salt) for g in range(b.g0, b.g0 + b.n)]


class _Fixed(_Slot):
    def __init__(self, name: str, value: Any) -> None:
        self.columns, self.value = (name,), value

    def make(self, b: _Batch) -> None:
        b.cols[self.columns[0]] = [self.value] * b.n


class _Numbers(_Slot):
    """Integers (or NUMERIC units, dates, timestamps as raw ints) or floats in a range."""

    def __init__(
        self,
        col: _Col,
        low: Any,
        high: Any,
        dist: str,
        *,
        unique_start: Any = None,
        excluded: frozenset[Any] = frozenset(),
        null_share: float = 0.0,
        unit: int = 1,
    ) -> None:
        self.columns = (col.name,)
        self.col, self.low, self.high, self.dist = col, low, high, dist
        self.unique_start, self.excluded, self.null_share, self.unit = (
            unique_start,
            excluded,
            null_share,
            unit,
        )

    def make(self, b: _Batch) -> None:
        low, high, n, rng = self.low, self.high, b.n, b.rng
        out: list[Any]
        if self.unique_start is not None:
            first = self.unique_start + b.i0
            out = list(range(first, first + n))
            if self.col.kind == "float":
                out = [float(v) for v in out]
        elif self.col.kind == "float":
            if self.dist == "log" and low > 0:
                out = V.log_uniform(rng, n, low, high)
            else:
                r = rng.random
                out = [low + (high - low) * r() for _ in range(n)]
        elif self.dist == "log":
            out = V.log_units(rng, n, low, high, self.unit)
        elif self.dist == "low":
            out = V.low_heavy(rng, n, low, high)
        else:
            out = V.uniform(rng, n, low, high)
        if self.excluded:
            out = [self._avoid(v) for v in out]
        b.cols[self.columns[0]] = _with_nulls(out, rng, self.null_share)

    def _avoid(self, value: Any) -> Any:
        while value in self.excluded:
            value = value + 1 if value < self.high else self.low
        return value


class _After(_Slot):
    """A column that follows another in the same row: ``updated_at >= created_at``.

    Each value is drawn as usual; a row where it would come too early gets its
    partner's value plus a short delay instead.
    """

    def __init__(
        self, col: _Col, source: str, strict: bool, low: Any, high: Any, span: Any, fallback: _Slot
    ) -> None:
        self.columns, self.needs = (col.name,), (source,)
        self.col, self.source, self.low, self.high, self.span = col, source, low, high, span
        self.step: Any = (1e-6 if col.kind == "float" else 1) if strict else 0
        self.fallback = fallback

    def make(self, b: _Batch) -> None:
        self.fallback.make(b)
        own = b.cols[self.col.name]
        r = b.rng.random
        step, span, low, high = self.step, self.span, self.low, self.high
        whole = self.col.kind != "float"
        out = []
        for base, mine in zip(b.cols[self.source], own, strict=True):
            if base is None or mine is None or mine >= base + step:
                out.append(mine)
                continue
            delta = step + (int(span * r()) if whole else span * r())
            out.append(min(high, max(low, base + delta)))
        b.cols[self.col.name] = out


class _Choices(_Slot):
    def __init__(self, col: _Col, choices: Sequence[Any], null_share: float) -> None:
        self.columns, self.choices, self.null_share = (col.name,), list(choices), null_share

    def make(self, b: _Batch) -> None:
        b.cols[self.columns[0]] = _with_nulls(
            V.picks(b.rng, b.n, self.choices), b.rng, self.null_share
        )


class _Texts(_Slot):
    def __init__(
        self,
        col: _Col,
        kind: str,
        *,
        scheme: str | None,
        min_len: int,
        max_len: int | None,
        taken: set[str] | None,
        excluded: frozenset[Any],
        null_share: float,
        names: tuple[str, ...] = (),
    ) -> None:
        self.columns, self.col, self.kind, self.scheme = (col.name,), col, kind, scheme
        self.names = self.needs = names
        """Columns holding the row's person (``name``, or first and last name), for emails."""
        self.min_len, self.max_len, self.taken, self.excluded = min_len, max_len, taken, excluded
        self.null_share = null_share
        self.renamed = 0

    def make(self, b: _Batch) -> None:
        if self.names:
            parts = [b.cols[c] for c in self.names]
            people = (
                parts[0]
                if len(parts) == 1
                else [
                    None if a is None or z is None else f"{a} {z}"
                    for a, z in zip(parts[0], parts[1], strict=True)
                ]
            )
            made = V.emails_for(people, b.rng, b.g0 if self.scheme else None)
        elif self.kind == "country_code":
            made = V.picks(b.rng, b.n, V.country_pool(self.max_len))
        elif self.scheme is not None:
            made = V.unique_texts(self.kind, self.scheme, b.rng, b.n, b.g0, self.max_len)
        else:
            made = V.MAKERS[self.kind](b.rng, b.n)
        made = V.fit(made, self.max_len, self.min_len)
        if self.excluded:
            made = [v + "x" if v in self.excluded else v for v in made]
        if self.taken:
            made = [self._free(v) for v in made]
        b.cols[self.columns[0]] = _with_nulls(made, b.rng, self.null_share)

    def _free(self, value: str) -> str:
        """``value``, or a variant of it that no row already in the table has."""
        taken = self.taken
        assert taken is not None
        while value in taken:
            self.renamed += 1
            tail = "~" + V.base36(self.renamed)
            value = value[: (self.max_len or 10**9) - len(tail)] + tail
        taken.add(value)
        return value


class _Misc(_Slot):
    """JSON, bytes and UUID columns that are not keys."""

    def __init__(self, col: _Col, null_share: float, unique: bool, salt: int) -> None:
        self.columns, self.col, self.null_share = (col.name,), col, null_share
        self.unique, self.salt = unique, salt

    def make(self, b: _Batch) -> None:
        rng, n, kind = b.rng, b.n, self.col.kind
        out: list[Any]
        if kind == "uuid":
            if self.unique:
                out = [V.uuid_at(g, self.salt) for g in range(b.g0, b.g0 + n)]
            else:
                bits = rng.getrandbits
                out = [V._uuid_bits(bits(122)) for _ in range(n)]
        elif kind == "json":
            keys, words = (
                V.picks(rng, n, ("tag", "color", "source", "note")),
                V.MAKERS["words"](rng, n),
            )
            if self.unique:
                words = [f"{w}-{g}" for w, g in zip(words, range(b.g0, b.g0 + n), strict=True)]
            out = [f'{{"{k}": "{w}"}}' for k, w in zip(keys, words, strict=True)]
        else:
            size = min(self.col.max_len or 16, 16)
            out = [rng.randbytes(size) for _ in range(n)]
            if self.unique:
                out = [
                    V.mix64(g).to_bytes(8, "big") + v[8:]
                    for g, v in zip(range(b.g0, b.g0 + n), out, strict=True)
                ]
        b.cols[self.columns[0]] = _with_nulls(out, rng, self.null_share)


class _Parents(_Slot):
    """A foreign key picking its parents with a long tail."""

    def __init__(self, fk: _Fk, keys: _Keys, null_share: float) -> None:
        self.columns, self.keys, self.null_share = fk.columns, keys, null_share

    def make(self, b: _Batch) -> None:
        values = self.keys.take(V.skewed(b.rng, b.n, self.keys.size))
        values = _with_nulls(values, b.rng, self.null_share)
        _spread(b, self.columns, values)


def _spread(b: _Batch, columns: tuple[str, ...], values: list[Any]) -> None:
    if len(columns) == 1:
        b.cols[columns[0]] = values
        return
    for i, name in enumerate(columns):
        b.cols[name] = [None if v is None else v[i] for v in values]


class _Earlier(_Slot):
    """A self-reference: each row's parent is an earlier row of this run (or itself, first)."""

    def __init__(self, fk: _Fk, own: _Keys | None, key_column: str, nullable: bool) -> None:
        self.columns, self.own, self.nullable = fk.columns, own, nullable
        self.needs = () if own is not None else (key_column,)
        self.key_column = key_column

    def make(self, b: _Batch) -> None:
        r = b.rng.random
        share = SELF_ROOT_SHARE if self.nullable else 0.0
        out: list[Any] = []
        if self.own is not None:
            # -1: no parent; otherwise an earlier row (recent ones more often), or itself first
            idx = [
                -1
                if (i == 0 or r() < share) and self.nullable
                else (0 if i == 0 else i - 1 - int(i * r() * r()))
                for i in range(b.i0, b.i0 + b.n)
            ]
            parents = self.own.take([max(i, 0) for i in idx])
            out = [None if i < 0 else p for i, p in zip(idx, parents, strict=True)]
        else:
            mine = b.cols[self.key_column]
            for k in range(b.n):
                if k == 0 or r() < share:
                    out.append(None if self.nullable else mine[k])
                else:
                    out.append(mine[k - 1 - int(k * r() * r())])
        b.cols[self.columns[0]] = out


@dataclass
class _Domain:
    """A finite set of values one column (or one foreign key) of a composite unique may take."""

    columns: tuple[str, ...]
    size: int
    take: Callable[[Sequence[int]], list[Any]]
    holds: Callable[[Any], bool]
    """Whether a value (a tuple for a composite foreign key) is one of the domain's."""


class _Distinct(_Slot):
    """Distinct tuples over a product of domains: composite keys, link tables, 1:1 keys.

    The first domain (the owner, usually a parent) gets a skewed number of rows
    each; each owner walks a permutation of the other domains' product, so no
    tuple repeats. Tuples already in the table are skipped.
    """

    def __init__(
        self, domains: list[_Domain], total: int, rng: Random, taken: set[Any] | None
    ) -> None:
        self.domains, self.taken = domains, taken or set()
        self.columns = tuple(c for d in domains for c in d.columns)
        self.rest = math.prod(d.size for d in domains[1:])
        owners = domains[0].size
        self.rng = rng
        if len(domains) == 1:
            self.per_owner: list[int] | None = None
            self.walk_step, self.walk_start = V.stride(owners, rng), int(owners * rng.random())
            self.walk_pos = 0
        else:
            self.per_owner = self._spread_counts(total, owners, rng)
            self.step = V.stride(self.rest, rng)
        self.owner, self.within, self.tried = 0, 0, 0
        self.offset = int(self.rest * rng.random()) if self.rest else 0

    @staticmethod
    def capacity(domains: list[_Domain], taken: int) -> int:
        return max(0, math.prod(d.size for d in domains) - taken)

    def _spread_counts(self, total: int, owners: int, rng: Random) -> list[int]:
        cap = self.rest
        r = rng.random
        weights = [0.05 + r() * r() for _ in range(owners)]
        scale = total / sum(weights) if weights else 0
        counts = [min(cap, int(w * scale)) for w in weights]
        missing = total - sum(counts)
        position = 0
        while missing > 0:
            if counts[position] < cap:
                counts[position] += 1
                missing -= 1
            position = (position + 1) % owners
        return counts

    def make(self, b: _Batch) -> None:
        rows = self._single(b.n) if self.per_owner is None else self._pairs(b.n)
        for d_index, domain in enumerate(self.domains):
            idx = [row[d_index] for row in rows]
            values = domain.take(idx)
            if len(domain.columns) == 1:
                b.cols[domain.columns[0]] = values
            else:
                for i, name in enumerate(domain.columns):
                    b.cols[name] = [v[i] for v in values]

    def _single(self, n: int) -> list[tuple[int]]:
        size = self.domains[0].size
        out: list[tuple[int]] = []
        while len(out) < n:
            if self.walk_pos >= size:
                raise SeedError("internal: a distinct walk ran out of values.")
            idx = (self.walk_start + self.walk_step * self.walk_pos) % size
            self.walk_pos += 1
            if self.taken and self._taken_at((idx,)):
                continue
            out.append((idx,))
        return out

    def _pairs(self, n: int) -> list[tuple[int, ...]]:
        per_owner, rest, step = self.per_owner, self.rest, self.step
        assert per_owner is not None
        radices = [d.size for d in self.domains[1:]]
        out: list[tuple[int, ...]] = []
        while len(out) < n:
            owner = self.owner
            if owner >= len(per_owner):
                raise SeedError("internal: distinct tuples ran out of owners.")
            if self.within >= per_owner[owner] or self.tried >= rest:
                self.owner += 1
                self.within, self.tried = 0, 0
                continue
            start = (self.offset + owner * 7919) % rest
            if not self.taken and len(radices) == 1:
                # the common case (a link table): this owner's next pairs in one go
                k = min(per_owner[owner] - self.within, n - len(out), rest - self.tried)
                first = self.tried
                out.extend([(owner, (start + step * t) % rest) for t in range(first, first + k)])
                self.tried += k
                self.within += k
                continue
            flat = (start + step * self.tried) % rest
            self.tried += 1
            digits = []
            for radix in reversed(radices):
                flat, digit = divmod(flat, radix)
                digits.append(digit)
            combo = (owner, *reversed(digits))
            if self.taken and self._taken_at(combo):
                continue
            self.within += 1
            out.append(combo)
        return out

    def _taken_at(self, idx: tuple[int, ...]) -> bool:
        values: list[Any] = []
        for domain, i in zip(self.domains, idx, strict=True):
            value = domain.take([i])[0]
            values.extend(value if len(domain.columns) > 1 else [value])
        return tuple(values) in self.taken


# --- planning one table -------------------------------------------------------------------


@dataclass
class _Plan:
    info: _Info
    count: int
    requested: int | None
    existing: int
    slots: list[_Slot]
    columns: list[str]
    encoders: dict[str, _Col]
    keys: dict[tuple[str, ...], _Keys]
    deferred: list[_Fk]


class _Planner:
    """Turns a table, its count and what the database already holds into slots."""

    def __init__(
        self,
        conn: Connection,
        catalog: _Catalog,
        seed: int,
        fill_defaults: bool,
        keys: dict[tuple[str, tuple[str, ...]], _Keys],
        written: dict[str, int],
    ) -> None:
        self.conn, self.catalog, self.seed = conn, catalog, seed
        self.fill_defaults, self.keys, self.written = fill_defaults, keys, written

    # -- database reads, through the driver (values as it returns them)

    def _raw(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _q(self, name: str) -> str:
        return str(self.conn.dialect.identifier_preparer.quote(name))

    def _t(self, table: Table) -> str:
        return str(self.conn.dialect.identifier_preparer.format_table(table))

    def count_rows(self, table: Table) -> int:
        return int(self._raw(f"SELECT count(*) FROM {self._t(table)}")[0][0])

    def existing_values(self, table: Table, columns: Sequence[str]) -> set[Any]:
        cols = ", ".join(self._q(c) for c in columns)
        not_null = " AND ".join(f"{self._q(c)} IS NOT NULL" for c in columns)
        rows = self._raw(f"SELECT {cols} FROM {self._t(table)} WHERE {not_null}")
        if len(columns) == 1:
            return {r[0] for r in rows}
        return {tuple(r) for r in rows}

    def parent_keys(self, fk: _Fk) -> _Keys:
        if fk.parent is not None and self.written.get(fk.parent, 0) > 0:
            found = self.keys.get((fk.parent, fk.refs))
            if found is not None:
                return found
        if fk.parent_table is None:
            return _Listed([])
        cols = ", ".join(self._q(c) for c in fk.refs)
        not_null = " AND ".join(f"{self._q(c)} IS NOT NULL" for c in fk.refs)
        rows = self._raw(
            f"SELECT DISTINCT {cols} FROM {self._t(fk.parent_table)} WHERE {not_null} "
            f"ORDER BY {cols}"
        )
        return _Listed([r[0] for r in rows] if len(fk.refs) == 1 else [tuple(r) for r in rows])

    # -- the plan

    def plan(self, info: _Info, count: int, explicit: bool) -> _Plan:
        rng = Random(f"{self.seed}:{info.key}:plan")
        existing = self.count_rows(info.table)
        slots: list[_Slot] = []
        keys: dict[tuple[str, ...], _Keys] = {}
        encoders: dict[str, _Col] = {}
        done: set[str] = set()
        requested: int | None = None

        def cap(limit: int, why: str, hint: str) -> None:
            nonlocal count, requested
            if count <= limit:
                return
            if explicit:
                raise SeedError(
                    f"cannot seed {count} rows into {info.name}: {why}, so at most {limit} "
                    "rows are possible.",
                    hint=hint,
                )
            requested = requested if requested is not None else count
            count = limit

        # keys the engine numbers itself
        if info.serial is not None:
            col = info.cols[info.serial]
            done.add(col.name)
            if info.serial_omitted:
                pass
            else:
                top = self._raw(f"SELECT max({self._q(col.name)}) FROM {self._t(info.table)}")[0][0]
                start = int(top) + 1 if top is not None else 1
                cap(col.high - start + 1, f"its key {col.name} would pass {col.high}", "")
                slots.append(_Serial(col.name, start))
                encoders[col.name] = col
                keys[(col.name,)] = _Range(start, 0)
        for name in info.pk:
            col = info.cols[name]
            if name not in done and len(info.pk) == 1 and col.kind == "uuid":
                salt = rng.getrandbits(122)
                slots.append(_UuidKey(name, salt))
                encoders[name] = col
                keys[(name,)] = _Uuids(existing, 0, salt)
                done.add(name)
        solo = set(done)  # columns unique by themselves: the engine's keys

        # foreign keys: parents, self-references, deferred ones
        fk_keys: dict[str, _Keys] = {}
        deferred: list[_Fk] = []
        for fk in info.fks:
            if fk.deferred:
                deferred.append(fk)
                done.update(fk.columns)  # inserted empty, filled once its parent has rows
                continue
            if fk.self_ref:
                continue
            parent_keys = self.parent_keys(fk)
            fk_keys[fk.name] = parent_keys
            if parent_keys.size == 0 and not fk.nullable and count > 0:
                parent = fk.parent_table.name if fk.parent_table is not None else "its parent"
                cap(
                    0,
                    f"its foreign key ({', '.join(fk.columns)}) needs rows in {parent}, which "
                    "has none",
                    f"Seed {parent} too (--rows {parent}=N).",
                )

        # uniques: a free column made unique, or distinct tuples over domains
        unique_cols: set[str] = set()
        distinct: _Distinct | None = None
        for cols in info.uniques:
            if (solo | unique_cols) & set(cols):
                continue
            if distinct is not None and set(distinct.columns) <= set(cols):
                continue
            free = [c for c in cols if self._unique_capable(info, c)]
            if len(cols) > 1 and all(self._enumerable(info, c) for c in cols):
                free = []  # (staff_id, day): walk distinct pairs rather than make days unique
            if free:
                unique_cols.add(sorted(free, key=lambda c: self._preference(info.cols[c]))[0])
                continue
            if distinct is not None:
                raise SeedError(
                    f"cannot seed {info.name}: it has two composite unique constraints over "
                    f"foreign keys or small domains ({', '.join(distinct.columns)} and "
                    f"{', '.join(cols)}), which the seed engine does not combine.",
                    hint=f"Seed {info.name} yourself, or leave it empty with --rows {info.name}=0.",
                )
            domains = self._domains(info, cols, fk_keys)
            taken = (
                self.existing_values(info.table, [c for d in domains for c in d.columns])
                if existing
                else set()
            )
            taken = {t for t in taken if _within(domains, t if isinstance(t, tuple) else (t,))}
            limit = _Distinct.capacity(domains, len(taken))
            cap(limit, _capacity_reason(info, domains), _capacity_hint(info, domains))
            distinct = _Distinct(domains, count, rng, taken)
            slots.append(distinct)
            for d in domains:
                for c in d.columns:
                    done.add(c)
                    encoders[c] = self._encoding_for(info, c, fk_keys, keys)

        for fk in info.fks:
            if fk.deferred or any(c in done for c in fk.columns):
                continue
            if fk.self_ref:
                slots.append(self._self_ref(info, fk, keys))
            else:
                parent_keys = fk_keys[fk.name]
                share = NULL_SHARE if fk.nullable else 0.0
                if parent_keys.size == 0:
                    slots.append(_Fixed(fk.columns[0], None))
                    for c in fk.columns[1:]:
                        slots.append(_Fixed(c, None))
                else:
                    slots.append(_Parents(fk, parent_keys, share))
            for c in fk.columns:
                done.add(c)
                encoders[c] = self._encoding_for(info, c, fk_keys, keys)

        # every other column
        orders = self._orders(info)
        # a server-filled column that another must follow is generated, or the order is unknown
        leaders = {earlier for later, (earlier, _) in orders.items() if later not in done}
        free_slots: dict[str, _Slot] = {}
        for col in info.cols.values():
            if col.name in done or col.computed:
                continue
            if col.server_side and not self.fill_defaults and col.name not in leaders:
                continue
            if col.kind == "unsupported":
                if col.nullable or col.server_side:
                    continue
                raise SeedError(
                    f"cannot generate values for {info.name}.{col.name} of type {col.type_name}: "
                    "the seed engine does not know that type.",
                    hint=f"Give {col.name} a server default or make it nullable, or leave "
                    f"{info.name} empty with --rows {info.name}=0.",
                )
            slot = self._value_slot(info, col, col.name in unique_cols, existing, count, rng, cap)
            free_slots[col.name] = slot
            encoders[col.name] = col
        for later, (earlier, strict) in orders.items():
            if later in free_slots and earlier in free_slots and later not in unique_cols:
                slot = free_slots[later]
                lead = free_slots[earlier]
                if (
                    isinstance(slot, _Numbers)
                    and slot.unique_start is None
                    and isinstance(lead, _Numbers)
                    and lead.unique_start is None
                    and info.cols[earlier].kind == info.cols[later].kind
                ):
                    col = info.cols[later]
                    span = _SPAN.get(col.kind) or max(1, (slot.high - slot.low) // 4)
                    after = _After(col, earlier, strict, slot.low, slot.high, span, slot)
                    # the earlier column must leave room for the later one
                    lead.high = min(lead.high, slot.high - after.step)
                    lead.low = min(lead.low, lead.high)
                    free_slots[later] = after
        slots.extend(_in_dependency_order(list(free_slots.values())))
        columns = [c for c in (str(c.name) for c in info.table.columns) if c in encoders]
        for found in keys.values():
            found.size = count
        return _Plan(
            info=info,
            count=count,
            requested=requested,
            existing=existing,
            slots=slots,
            columns=columns,
            encoders=encoders,
            keys=keys,
            deferred=deferred,
        )

    @staticmethod
    def _fk_cols(info: _Info) -> set[str]:
        return {c for fk in info.fks for c in fk.columns}

    def _unique_capable(self, info: _Info, name: str) -> bool:
        col = info.cols[name]
        if name in self._fk_cols(info) or col.computed:
            return False
        if col.server_side and not self.fill_defaults and name != info.serial:
            return False
        if _choices_for(info, col) is not None:
            return False
        return col.kind in (
            "str",
            "int",
            "numeric",
            "float",
            "date",
            "datetime",
            "uuid",
            "json",
            "bytes",
        )

    def _enumerable(self, info: _Info, name: str) -> bool:
        col = info.cols[name]
        return (
            name in self._fk_cols(info)
            or _choices_for(info, col) is not None
            or col.kind in ("bool", "int", "date")
        )

    @staticmethod
    def _preference(col: _Col) -> int:
        return {"uuid": 0, "str": 1, "int": 2, "datetime": 3, "numeric": 4}.get(col.kind, 5)

    def _domains(
        self, info: _Info, cols: tuple[str, ...], fk_keys: dict[str, _Keys]
    ) -> list[_Domain]:
        domains: list[_Domain] = []
        seen: set[str] = set()
        for name in cols:
            if name in seen:
                continue
            fk = next((f for f in info.fks if name in f.columns and not f.self_ref), None)
            if fk is not None and fk.name in fk_keys:
                keys = fk_keys[fk.name]
                domains.append(_Domain(fk.columns, keys.size, keys.take, keys.holds))
                seen.update(fk.columns)
                continue
            col = info.cols[name]
            choices: Sequence[Any] | None = _choices_for(info, col)
            if choices is None and col.kind == "bool":
                choices = [0, 1]
            if choices is None and col.kind in ("int", "date"):
                low, high = _bounds(info, col)
                choices = range(low, high + 1)
            if choices is None:
                raise SeedError(
                    f"cannot seed {info.name}: the unique constraint over "
                    f"({', '.join(cols)}) includes {name}, whose values the engine cannot "
                    "enumerate.",
                    hint=f"Leave {info.name} empty with --rows {info.name}=0.",
                )
            holds = (
                choices.__contains__ if isinstance(choices, range) else set(choices).__contains__
            )
            domains.append(_Domain((name,), len(choices), _chooser(choices), holds))
            seen.add(name)
        domains.sort(key=lambda d: 0 if any(f.columns == d.columns for f in info.fks) else 1)
        return domains

    def _encoding_for(
        self,
        info: _Info,
        name: str,
        fk_keys: dict[str, _Keys],
        own: dict[tuple[str, ...], _Keys],
    ) -> _Col:
        """How a foreign-key column's values are written: as the key they copy, or as read."""
        fk = next((f for f in info.fks if name in f.columns), None)
        if fk is None:
            return info.cols[name]
        ref = fk.refs[fk.columns.index(name)] if fk.refs else None
        if fk.self_ref and ref is not None and ref in info.cols:
            return replace(info.cols[ref], name=name, nullable=True)
        keys = fk_keys.get(fk.name)
        if keys is not None and keys.computed and fk.parent is not None and ref is not None:
            return replace(self.catalog.by_key[fk.parent].cols[ref], name=name, nullable=True)
        return replace(info.cols[name], kind="raw")

    def _self_ref(self, info: _Info, fk: _Fk, keys: dict[tuple[str, ...], _Keys]) -> _Slot:
        own = keys.get(fk.refs)
        generated = own is not None or (
            len(fk.columns) == 1
            and fk.refs[0] in info.cols
            and fk.refs[0] != info.serial
            and not info.cols[fk.refs[0]].server_side
        )
        if not generated:
            if fk.nullable:
                return _Fixed(fk.columns[0], None)
            raise SeedError(
                f"cannot seed {info.name}: its self-reference ({', '.join(fk.columns)}) is NOT "
                "NULL and points at values the database makes.",
                hint=f"Leave {info.name} empty with --rows {info.name}=0.",
            )
        return _Earlier(fk, own, fk.refs[0], fk.nullable)

    def _orders(self, info: _Info) -> dict[str, tuple[str, bool]]:
        """``{later column: (earlier column, strictly after)}`` from CHECKs and names."""
        found: dict[str, tuple[str, bool]] = {}
        for check in info.checks:
            for atom in check.atoms:
                if isinstance(atom, Order) and atom.op != "=":
                    if atom.op in (">", ">="):
                        later, earlier = atom.left, atom.right
                    else:
                        later, earlier = atom.right, atom.left
                    if later in info.cols and earlier in info.cols:
                        found[later] = (earlier, atom.op in (">", "<"))
        for name, col in info.cols.items():
            if name in found or col.kind not in ("date", "datetime"):
                continue
            partner = _natural_partner(name, info.cols)
            if partner is not None and info.cols[partner].kind == col.kind:
                found[name] = (partner, False)
        return found

    def _value_slot(
        self,
        info: _Info,
        col: _Col,
        unique: bool,
        existing: int,
        count: int,
        rng: Random,
        cap: Callable[[int, str, str], None],
    ) -> _Slot:
        share = 0.0
        if col.nullable and not unique:
            share = 0.9 if V.mostly_null(col.name) else NULL_SHARE
        atoms = [a for check in info.checks for a in check.atoms if _about(a, col.name)]
        if any(isinstance(a, NotNull) for a in atoms):
            share = 0.0
        choices = _choices_for(info, col)
        if choices is not None:
            if unique:  # pragma: no cover - unique domains are walked by _Distinct
                raise SeedError("internal: a unique column with choices.")
            if not choices:
                raise SeedError(
                    f"cannot seed {info.name}.{col.name}: its CHECK constraints and type allow "
                    "no value.",
                    hint="Check the constraint on that column.",
                )
            return _Choices(col, choices, share)
        excluded = frozenset(
            _raw(col, a.value) for a in atoms if isinstance(a, Bound) and a.op == "<>"
        )
        if col.kind == "str":
            kind = V.text_kind(info.name, col.name)
            min_len = max([0, *(_length_min(a) for a in atoms if isinstance(a, Length))])
            max_len = min(
                [col.max_len or 10**9, *(_length_max(a) for a in atoms if isinstance(a, Length))]
            )
            limit = None if max_len >= 10**9 else max_len
            scheme = None
            taken = None
            if unique:
                scheme = V.unique_scheme(kind, limit, existing + count)
                if scheme == "bare":
                    cap(
                        V.unique_capacity(limit) - existing,
                        f"{col.name} is unique and holds only {limit} characters",
                        f"Ask for fewer rows of {info.name}.",
                    )
                if existing:
                    taken = {str(v) for v in self.existing_values(info.table, [col.name])}
            names: tuple[str, ...] = ()
            if kind == "email" and scheme in (None, "natural"):
                names = _people_columns(info, self.fill_defaults)
            return _Texts(
                col,
                kind,
                names=names,
                scheme=scheme,
                min_len=min_len,
                max_len=limit,
                taken=taken,
                excluded=excluded,
                null_share=share,
            )
        if col.kind in ("uuid", "json", "bytes"):
            return _Misc(col, share, unique, rng.getrandbits(122))
        if col.kind == "bool":
            p = V.true_share(col.name)
            return _Choices(col, [1] * int(p * 20) + [0] * (20 - int(p * 20)), share)
        low, high = _bounds(info, col)
        dist = "uniform"
        if col.kind in ("int", "numeric", "float"):
            dist = V.number_rule(col.name, col.kind == "int")[2]
        unique_start = None
        if unique:
            top = (
                self._raw(f"SELECT max({self._q(col.name)}) FROM {self._t(info.table)}")[0][0]
                if existing
                else None
            )
            unique_start = low if top is None else max(low, math.floor(_raw(col, top)) + 1)
            cap(
                int(high - unique_start + 1),
                f"{col.name} is unique and its values must lie between {low} and {high}",
                f"Ask for fewer rows of {info.name}.",
            )
        return _Numbers(
            col,
            low,
            high,
            dist,
            unique_start=unique_start,
            excluded=excluded,
            null_share=share,
            unit=10**col.scale if col.kind == "numeric" else 1,
        )


def _people_columns(info: _Info, fill_defaults: bool) -> tuple[str, ...]:
    """The column(s) naming the row's person, if the engine generates them."""
    kinds: dict[str, str] = {}
    for col in info.cols.values():
        if col.kind == "str" and not col.computed and (fill_defaults or not col.server_side):
            kinds.setdefault(V.text_kind(info.name, col.name), col.name)
    if "person" in kinds:
        return (kinds["person"],)
    if "first_name" in kinds and "last_name" in kinds:
        return (kinds["first_name"], kinds["last_name"])
    return ()


def _within(domains: list[_Domain], values: tuple[Any, ...]) -> bool:
    """Whether a tuple already in the table is one the domains could make (so it is taken)."""
    position = 0
    for domain in domains:
        width = len(domain.columns)
        part = values[position : position + width]
        position += width
        if not domain.holds(part[0] if width == 1 else tuple(part)):
            return False
    return True


def _chooser(pool: Sequence[Any]) -> Callable[[Sequence[int]], list[Any]]:
    return lambda idx: [pool[i] for i in idx]


def _in_dependency_order(slots: list[_Slot]) -> list[_Slot]:
    made: set[str] = set()
    out: list[_Slot] = []
    pending = list(slots)
    while pending:
        for slot in pending:
            if all(n in made for n in slot.needs):
                out.append(slot)
                made.update(slot.columns)
                pending.remove(slot)
                break
        else:  # an ordering cycle between columns: let the database judge
            slot = pending.pop(0)
            if isinstance(slot, _After):
                slot = slot.fallback
            out.append(slot)
            made.update(slot.columns)
    return out


_PARTNERS = (
    (
        re.compile(
            r"^(updated|modified|changed|edited|deleted|archived|closed|ended|finished|"
            r"completed|shipped|delivered|paid|resolved|cancel+ed|last_login|last_seen)"
            r"_?(at|on|date|time)?$"
        ),
        ("created", "inserted", "placed", "opened", "started", "ordered"),
    ),
    (
        re.compile(r"^end(s|ed)?_?(at|on|date|time)?$|^(valid_)?(to|until)$"),
        ("start", "starts", "started", "valid_from", "from", "begin", "begins"),
    ),
)


def _natural_partner(name: str, cols: Mapping[str, _Col]) -> str | None:
    """The column a date-like column naturally follows: ``updated_at`` follows ``created_at``."""
    lowered = name.lower()
    for pattern, stems in _PARTNERS:
        if pattern.match(lowered):
            for other in cols:
                low = other.lower()
                if other != name and any(low == s or low.startswith(s + "_") for s in stems):
                    return other
    return None


def _about(atom: Any, name: str) -> bool:
    return not isinstance(atom, Order) and atom.column == name


def _length_min(atom: Length) -> int:
    return {">": atom.value + 1, ">=": atom.value, "=": atom.value}.get(atom.op, 0)


def _length_max(atom: Length) -> int:
    return {"<": atom.value - 1, "<=": atom.value, "=": atom.value}.get(atom.op, 10**9)


def _raw(col: _Col, value: Any) -> Any:
    """A constant (from a CHECK, or a value read back) in the column's raw form."""
    if value is NOW:
        if col.kind == "date":
            return V.NOW.toordinal()
        return V.seconds(V.NOW)
    if col.kind in ("int", "bool"):
        return int(value) if not isinstance(value, str) else int(Decimal(value))
    if col.kind == "numeric":
        return Decimal(str(value)).scaleb(col.scale)
    if col.kind == "float":
        return float(value)
    if col.kind == "date":
        if isinstance(value, datetime):
            return value.date().toordinal()
        if isinstance(value, date):
            return value.toordinal()
        return date.fromisoformat(str(value)[:10]).toordinal()
    if col.kind == "datetime":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    if col.kind == "time":
        parts = [int(float(p)) for p in str(value).split(":")]
        return (
            parts[0] * 3600
            + (parts[1] if len(parts) > 1 else 0) * 60
            + (parts[2] if len(parts) > 2 else 0)
        )
    return value


def _choices_for(info: _Info, col: _Col) -> list[Any] | None:
    """The values a column may take when a CHECK (``IN``, ``=``) or its enum type lists them."""
    allowed: list[Any] | None = list(col.enum) if col.enum is not None else None
    for check in info.checks:
        for atom in check.atoms:
            if isinstance(atom, Among) and atom.column == col.name:
                listed = [v for v in atom.values if v is not None]
                if col.kind == "bool":
                    return None
                try:
                    listed = [_raw(col, v) for v in listed]
                except (ValueError, ArithmeticError):
                    continue
                allowed = listed if allowed is None else [v for v in allowed if v in listed]
            elif isinstance(atom, Bound) and atom.column == col.name and atom.op == "=":
                if col.kind == "bool":
                    return None
                try:
                    allowed = [_raw(col, atom.value)]
                except (ValueError, ArithmeticError):
                    continue
    if allowed is None:
        return None
    low, high = _bounds(info, col, realistic=False) if col.kind in _ORDERED else (None, None)
    if low is not None:
        allowed = [v for v in allowed if low <= v <= high]
    if col.kind == "numeric":
        allowed = [int(v) for v in allowed if v == int(v)]
    excluded = {
        _raw(col, a.value)
        for check in info.checks
        for a in check.atoms
        if isinstance(a, Bound) and a.column == col.name and a.op == "<>"
    }
    return [v for v in dict.fromkeys(allowed) if v not in excluded]


_ORDERED = ("int", "numeric", "float", "date", "datetime", "time")


def _bounds(info: _Info, col: _Col, *, realistic: bool = True) -> tuple[Any, Any]:
    """The raw range a column's values are drawn from: type, CHECKs, then what is realistic."""
    low, high = col.low, col.high
    if col.kind == "float":
        step: Any = 1e-9
    else:
        step = 1
    for check in info.checks:
        for atom in check.atoms:
            if not (isinstance(atom, Bound) and atom.column == col.name) or atom.op in ("=", "<>"):
                continue
            try:
                value = _raw(col, atom.value)
                if col.kind == "int" and atom.value is not NOW:
                    value = Decimal(str(atom.value))
            except (ValueError, ArithmeticError, TypeError):
                continue
            if atom.op in (">", ">="):
                edge = math.floor(value) + 1 if atom.op == ">" else math.ceil(value)
                if col.kind == "float":
                    edge = float(value) + (step if atom.op == ">" else 0.0)
                low = max(low, edge)
            else:
                edge = math.ceil(value) - 1 if atom.op == "<" else math.floor(value)
                if col.kind == "float":
                    edge = float(value) - (step if atom.op == "<" else 0.0)
                high = min(high, edge)
    if not realistic:
        return low, high
    real_low, real_high = _realistic(col)
    lo, hi = max(low, real_low), min(high, real_high)
    if lo > hi:
        width = real_high - real_low
        if low != col.low and high != col.high:  # a CHECK bounds it on both sides: use all of it
            lo, hi = low, high
        elif low > real_high:
            lo, hi = low, min(high, low + width)
        else:
            lo, hi = max(low, high - width), high
    if col.kind == "float":
        return float(lo), float(hi)
    return int(lo), int(hi)


def _realistic(col: _Col) -> tuple[Any, Any]:
    if col.kind in ("int", "numeric", "float"):
        low, high, _ = V.number_rule(col.name, col.kind == "int")
        if col.kind == "numeric":
            unit = 10**col.scale
            return int(low * unit), int(high * unit)
        if col.kind == "int":
            return math.ceil(low), math.floor(high)
        return float(low), float(high)
    if col.kind == "date":
        first, last = V.date_window(col.name)
        return first.toordinal(), last.toordinal()
    if col.kind == "datetime":
        first, last = V.date_window(col.name)
        return V.seconds(first), V.seconds(last) + V.DAY - 1
    if col.kind == "time":
        return 7 * 3600, 22 * 3600
    return col.low, col.high


def _capacity_reason(info: _Info, domains: list[_Domain]) -> str:
    parts = " x ".join(f"{d.size} ({', '.join(d.columns)})" for d in domains)
    cols = ", ".join(c for d in domains for c in d.columns)
    return f"({cols}) must be unique and there are only {parts} possible values"


def _capacity_hint(info: _Info, domains: list[_Domain]) -> str:
    limit = math.prod(d.size for d in domains)
    parents = [
        fk.parent_table.name
        for fk in info.fks
        if fk.parent_table is not None and any(fk.columns == d.columns for d in domains)
    ]
    more = f", or seed more rows of {' and '.join(parents)}" if parents else ""
    return f"Ask for at most {limit} rows (--rows {info.name}={limit}){more}."


# --- writing ------------------------------------------------------------------------------


def _encoder(col: _Col, backend: str) -> Encoder:
    """Raw values of ``col`` to what the driver takes (SQLite) or COPY text (PostgreSQL)."""
    kind = col.kind
    if backend == "sqlite":
        if kind == "numeric" and col.scale > 0:
            unit = 10**col.scale
            return lambda vs: (
                [None if v is None else v / unit for v in vs]
                if None in vs
                else [v / unit for v in vs]
            )
        if kind == "date":
            return V.date_texts
        if kind == "datetime":
            return V.datetime_texts
        if kind == "time":
            return V.time_texts
        if kind == "uuid":
            return lambda vs: [None if v is None else f"{v:032x}" for v in vs]
        return _same
    if kind == "int":
        return lambda vs: _texts_of(vs, str)
    if kind == "bool":
        return lambda vs: ["\\N" if v is None else ("t" if v else "f") for v in vs]
    if kind == "float":
        return lambda vs: _texts_of(vs, repr)
    if kind == "numeric":
        return lambda vs: _nulls(V.decimal_texts(vs, col.scale))
    if kind == "date":
        return lambda vs: _nulls(V.date_texts(vs))
    if kind == "datetime":
        return lambda vs: _nulls(V.datetime_texts(vs, utc=col.utc))
    if kind == "time":
        return lambda vs: _nulls(V.time_texts(vs))
    if kind == "uuid":
        return lambda vs: ["\\N" if v is None else V.uuid_text(v) for v in vs]
    if kind == "bytes":
        return lambda vs: ["\\N" if v is None else "\\\\x" + v.hex() for v in vs]
    if kind == "raw":
        return lambda vs: V.copy_escape([None if v is None else _copy_text(v) for v in vs])
    if kind in ("str", "enum"):
        return lambda vs: _nulls(vs)
    return V.copy_escape


def _texts_of(values: list[Any], text: Callable[[Any], str]) -> list[str]:
    if None in values:
        return ["\\N" if v is None else text(v) for v in values]
    return list(map(text, values))


def _same(values: list[Any]) -> list[Any]:
    return values


def _nulls(values: list[Any]) -> list[Any]:
    if None not in values:
        return values
    return ["\\N" if v is None else v for v in values]


def _copy_text(value: Any) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | memoryview):
        return "\\x" + bytes(value).hex()
    return str(value)


_BULK = 20_000
"""Rows from which a PostgreSQL table's foreign keys are checked once after COPY, not per row."""
_QUEUED = 4
"""Batches made ahead of the database: enough to overlap, few enough to keep memory flat."""


def _ahead(items: Iterator[Any], depth: int = _QUEUED) -> Iterator[Any]:
    """``items``, made in a second thread while the caller writes the previous ones.

    psycopg releases the GIL while it sends a buffer and waits for the server, so making
    rows and copying them overlap. The queue is bounded, so a slow database
    never lets made rows pile up; every driver call stays in the calling thread. An error
    while making rows is raised here; if the caller stops early, the maker is stopped too.
    """
    import queue
    import threading

    pending: queue.Queue[Any] = queue.Queue(maxsize=depth)
    done, failed, stop = object(), [], threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the caller's thread
            failed.append(exc)
        put(done)

    maker = threading.Thread(target=make, name="workbench-seed-rows", daemon=True)
    maker.start()
    try:
        while (item := pending.get()) is not done:
            yield item
        if failed:
            raise failed[0]
    finally:
        stop.set()
        maker.join()


class _Writer:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.driver: Any = conn.connection.driver_connection
        self.backend = conn.dialect.name
        self.prep = conn.dialect.identifier_preparer

    def insert(self, plan: _Plan, batches: Iterator[list[list[Any]]]) -> None:
        table = self.prep.format_table(plan.info.table)
        cols = ", ".join(self.prep.quote(c) for c in plan.columns)
        if self.backend == "sqlite":
            marks = ", ".join("?" for _ in plan.columns)
            sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
            if not plan.columns:
                sql = f"INSERT INTO {table} DEFAULT VALUES"
            cursor = self.driver.cursor()
            try:
                # made in this thread: executemany takes the GIL back for every row's
                # bindings, so a second thread making rows would only make it wait
                for columns in batches:
                    if plan.columns:
                        cursor.executemany(sql, zip(*columns, strict=True))
                    else:
                        cursor.executemany(sql, [()] * len(columns))
            finally:
                cursor.close()
            return
        cursor = self.driver.cursor()
        try:
            statement = f"COPY {table} ({cols}) FROM STDIN"
            with (
                self._foreign_keys_after(cursor, table, plan.count),
                cursor.copy(statement) as copy,
            ):
                for payload in _ahead(
                    "\n".join(map("\t".join, zip(*c, strict=True))) + "\n" for c in batches
                ):
                    copy.write(payload)
        finally:
            cursor.close()

    @contextlib.contextmanager
    def _foreign_keys_after(self, cursor: Any, table: str, count: int) -> Iterator[None]:
        """On PostgreSQL, for a large table: its foreign keys dropped for the COPY, re-added after.

        A foreign key checks each copied row with a locking lookup in the parent; re-adding
        the constraint checks all of them in one join. This is PostgreSQL's own advice for
        bulk loads. It happens inside the transaction, the constraints come back with their
        exact definitions (``pg_get_constraintdef``), and a user who may not alter the table
        simply gets the row-by-row checks.
        """
        if count < _BULK or self.driver.autocommit:  # no transaction: nothing could undo it
            yield
            return
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
            (table,),
        )
        keys = cursor.fetchall()
        if not keys:
            yield
            return
        cursor.execute("SAVEPOINT wb_seed_foreign_keys")
        try:
            for name, _ in keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {self.prep.quote(name)}")
        except Exception:  # not the table's owner: keep the constraints
            cursor.execute("ROLLBACK TO SAVEPOINT wb_seed_foreign_keys")
            yield
            return
        cursor.execute("RELEASE SAVEPOINT wb_seed_foreign_keys")
        yield
        for name, definition in keys:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {self.prep.quote(name)} {definition}"
            )

    def update(
        self,
        table: Table,
        set_cols: Sequence[str],
        key_cols: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        mark = "?" if self.backend == "sqlite" else "%s"
        sets = ", ".join(f"{self.prep.quote(c)} = {mark}" for c in set_cols)
        where = " AND ".join(f"{self.prep.quote(c)} = {mark}" for c in key_cols)
        sql = f"UPDATE {self.prep.format_table(table)} SET {sets} WHERE {where}"
        cursor = self.driver.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def after_table(self, plan: _Plan) -> None:
        """Move a PostgreSQL sequence past the keys the engine assigned."""
        info = plan.info
        if self.backend != "postgresql" or info.serial is None or info.serial_omitted:
            return
        if plan.count == 0:
            return
        table = self.prep.format_table(info.table)
        cursor = self.driver.cursor()
        try:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", (table, str(info.serial)))
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute(
                    f"SELECT setval(%s, (SELECT max({self.prep.quote(info.serial)}) FROM {table}))",
                    (row[0],),
                )
        finally:
            cursor.close()


def _batches(
    plan: _Plan, seed: int, backend: str, on_batch: Callable[[int], None]
) -> Iterator[list[list[Any]]]:
    encoders = [_encoder(plan.encoders[c], backend) for c in plan.columns]
    for number, i0 in enumerate(range(0, plan.count, BATCH_SIZE)):
        n = min(BATCH_SIZE, plan.count - i0)
        batch = _Batch(Random(f"{seed}:{plan.info.key}:{number}"), i0, n, plan.existing + i0)
        for slot in plan.slots:
            slot.make(batch)
        yield [enc(batch.cols[c]) for enc, c in zip(encoders, plan.columns, strict=True)]
        on_batch(i0 + n)


def _write(writer: _Writer, plan: _Plan, seed: int, on_progress: OnProgress | None) -> None:
    name = plan.info.name

    def progress(done: int) -> None:
        if on_progress is not None:
            on_progress(name, done, plan.count)

    progress(0)
    if plan.count == 0:
        return
    try:
        writer.insert(plan, _batches(plan, seed, writer.backend, progress))
    except SeedError:
        raise
    except Exception as exc:
        raise _insert_error(exc, plan) from None
    writer.after_table(plan)


def _insert_error(exc: BaseException, plan: _Plan) -> SeedError:
    info = plan.info
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    diag = getattr(exc, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint is None:
        match = re.search(r"constraint failed: ([\w.]+)", text)
        constraint = match.group(1) if match else None
    check = next((c for c in info.checks if constraint and c.name == constraint), None)
    if check is None and "check" in text.lower():
        check = next((c for c in info.checks if not c.complete), None)
    if check is not None:
        return SeedError(
            f"seeding {info.name} violated CHECK constraint {check.name} ({check.text}): the "
            "database validates every row, and that constraint is not of a form the seed engine "
            f"understands. The database said: {text}.",
            hint="Write it with comparisons to constants, BETWEEN, IN or comparisons of two "
            f"columns joined by AND, or leave {info.name} empty with --rows {info.name}=0. "
            "Nothing was committed.",
        )
    return SeedError(
        f"seeding {info.name} failed: {text}.",
        hint="Nothing was committed. This is most likely a bug in workbench's seed engine: "
        "please report it with the schema.",
    )


def _fill_deferred(writer: _Writer, planner: _Planner, plans: list[_Plan], seed: int) -> None:
    """Fill the foreign keys left empty to break a cycle, now that every table has rows."""
    for plan in plans:
        info = plan.info
        for fk in plan.deferred:
            own = plan.keys.get((info.serial,)) if info.serial else None
            if own is None and len(info.pk) == 1:
                own = plan.keys.get(info.pk)
            if own is None or plan.count == 0:
                if fk.nullable:
                    continue
                raise SeedError(  # pragma: no cover - cycles need a nullable foreign key
                    f"cannot fill {info.name}.{', '.join(fk.columns)} after the insert.",
                )
            parents = planner.parent_keys(fk)
            if parents.size == 0:
                continue
            rng = Random(f"{seed}:{info.key}:{fk.name}:fill")
            share = NULL_SHARE if fk.nullable else 0.0
            values = _with_nulls(parents.take(V.skewed(rng, plan.count, parents.size)), rng, share)
            mine = own.take(range(plan.count))
            key_col = info.pk[0] if info.serial is None else info.serial
            enc_key = _param_encoder(info.cols[key_col], writer.backend)
            ref_col = planner._encoding_for(info, fk.columns[0], {fk.name: parents}, {})
            enc_val = _param_encoder(ref_col, writer.backend)
            rows = []
            for value, key in zip(values, mine, strict=True):
                parts = value if len(fk.columns) > 1 and value is not None else [value]
                rows.append((*[enc_val(p) for p in parts], enc_key(key)))
            if len(fk.columns) > 1:
                rows = [
                    (*(r[:-1] if r[0] is not None else [None] * len(fk.columns)), r[-1])
                    for r in rows
                ]
            writer.update(info.table, fk.columns, [key_col], rows)


def _param_encoder(col: _Col, backend: str) -> Callable[[Any], Any]:
    """One value as a query parameter (not COPY text)."""
    if backend == "sqlite":
        encode = _encoder(col, backend)
        return lambda v: None if v is None else encode([v])[0]
    if col.kind in ("raw", "int"):
        return lambda v: v
    if col.kind == "uuid":
        import uuid

        return lambda v: None if v is None else uuid.UUID(int=v)
    encode = _encoder(col, backend)
    return lambda v: None if v is None else encode([v])[0]


# --- after: integrity, samples ------------------------------------------------------------


def _verify(conn: Connection, catalog: _Catalog, touched: set[str]) -> IntegrityCheck:
    """Foreign keys, unique and check constraints, asked of the database itself."""
    prep = conn.dialect.identifier_preparer
    problems: list[str] = []
    fks = uniques = checks = 0
    driver: Any = conn.connection.driver_connection

    def scalar(sql: str) -> Any:
        cursor = driver.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
            return row[0] if row else None
        finally:
            cursor.close()

    if conn.dialect.name == "sqlite":
        rows = []
        cursor = driver.cursor()
        try:
            for key in sorted(touched):
                if catalog.by_key[key].fks:
                    table = prep.format_table(catalog.by_key[key].table)
                    rows += cursor.execute(f"PRAGMA foreign_key_check({table})").fetchall()
        finally:
            cursor.close()
        bad: dict[str, int] = {}
        for row in rows:
            bad[f"{row[0]} -> {row[2]}"] = bad.get(f"{row[0]} -> {row[2]}", 0) + 1
        problems += [f"{n} rows of {edge} point at no parent" for edge, n in bad.items()]
        fks = sum(len(catalog.by_key[k].fks) for k in touched)
    for key in sorted(touched):
        info = catalog.by_key[key]
        table = prep.format_table(info.table)
        if conn.dialect.name != "sqlite":
            for fk in info.fks:
                if fk.parent_table is None:
                    continue
                fks += 1
                parent = prep.format_table(fk.parent_table)
                match = " AND ".join(
                    f"p.{prep.quote(r)} = c.{prep.quote(c)}"
                    for c, r in zip(fk.columns, fk.refs, strict=True)
                )
                filled = " AND ".join(f"c.{prep.quote(c)} IS NOT NULL" for c in fk.columns)
                n = scalar(
                    f"SELECT count(*) FROM {table} c WHERE {filled} AND NOT EXISTS "
                    f"(SELECT 1 FROM {parent} p WHERE {match})"
                )
                if n:
                    problems.append(f"{n} rows of {info.name} break foreign key {fk.name}")
        for cols in info.uniques:
            uniques += 1
            listed = ", ".join(prep.quote(c) for c in cols)
            filled = " AND ".join(f"{prep.quote(c)} IS NOT NULL" for c in cols)
            dup = scalar(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {filled} GROUP BY {listed} "
                "HAVING count(*) > 1) d"
            )
            if dup:
                problems.append(f"{dup} values of {info.name} ({', '.join(cols)}) repeat")
        for check in info.checks:
            checks += 1
            try:
                n = scalar(f"SELECT count(*) FROM {table} WHERE NOT ({check.text})")
            except Exception as exc:  # a CHECK the database cannot evaluate in a query
                problems.append(f"could not evaluate {check.name} on {info.name}: {exc}")
                continue
            if n:
                problems.append(f"{n} rows of {info.name} break CHECK {check.name}")
    return IntegrityCheck(fks, uniques, checks, tuple(problems))


def _samples(
    conn: Connection, catalog: _Catalog, touched: list[str], count: int
) -> tuple[tuple[str, tuple[dict[str, Any], ...]], ...]:
    import sqlalchemy as sa

    out = []
    for key in touched:
        info = catalog.by_key[key]
        order = [info.table.columns[c] for c in info.pk] or list(info.table.columns)[:1]
        query = sa.select(info.table).order_by(*order).limit(count)
        rows = tuple(dict(r._mapping) for r in conn.execute(query))
        out.append((info.name, rows))
    return tuple(out)


def _truncate(conn: Connection, catalog: _Catalog) -> tuple[str, ...]:
    prep = conn.dialect.identifier_preparer
    names = [i.name for i in catalog.order]
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor()
    try:
        if conn.dialect.name == "postgresql":
            tables = ", ".join(prep.format_table(i.table) for i in catalog.order)
            if tables:
                cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY")
        else:
            cursor.execute("PRAGMA defer_foreign_keys = ON")
            # Deleting a row that a self-reference (or a cycle) may point at makes SQLite
            # look for referencing rows: without an index on the referencing columns, every
            # deleted row scans the table. A transient index, dropped in this transaction,
            # keeps it linear.
            transient = []
            for info in catalog.order:
                for number, fk in enumerate(info.fks):
                    if fk.self_ref or fk.deferred:
                        name = prep.quote(f"wb_seed_truncate_{info.name}_{number}")
                        cols = ", ".join(prep.quote(c) for c in fk.columns)
                        cursor.execute(
                            f"CREATE INDEX {name} ON {prep.format_table(info.table)} ({cols})"
                        )
                        transient.append(name)
            for info in reversed(catalog.order):
                cursor.execute(f"DELETE FROM {prep.format_table(info.table)}")
            for name in transient:
                cursor.execute(f"DROP INDEX {name}")
            has_sequence = cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
            ).fetchone()
            if has_sequence:
                cursor.executemany(
                    "DELETE FROM sqlite_sequence WHERE name = ?", [(n,) for n in names]
                )
    finally:
        cursor.close()
    return tuple(names)


# --- the API ------------------------------------------------------------------------------


def reflect(conn: Connection) -> MetaData:
    """The tables of ``conn``'s database as they are now, without ``alembic_version``.

    Example:
        >>> seed_connection(conn, reflect(conn), 5)  # doctest: +SKIP
    """
    import sqlalchemy as sa

    metadata = sa.MetaData()
    metadata.reflect(conn)
    if VERSION_TABLE in metadata.tables:
        metadata.remove(metadata.tables[VERSION_TABLE])
    return metadata


def seed_connection(
    conn: Connection,
    metadata: MetaData,
    rows: Rows = None,
    *,
    seed: int = 0,
    truncate: bool = False,
    fill_defaults: bool = False,
    verify: bool = True,
    sample: int = 0,
    on_progress: OnProgress | None = None,
    schema: str = "",
) -> SeedReport:
    """Seed the tables of ``metadata`` through ``conn``, in its transaction; the caller commits.

    Args:
        conn: an open SQLite or PostgreSQL connection (a transaction is begun
            if none is open, and left open).
        metadata: the models' MetaData, or :func:`reflect` of the database.
        rows: an ``int`` for every table, a ``{table: count}`` mapping (``"*"``
            for the tables not named), or ``None`` for the defaults.
        seed: the same seed into the same tables gives the same rows.
        truncate: empty every table of ``metadata`` first.
        fill_defaults: generate values for columns that have a server default
            too (by default those are left to the server).
        verify: ask the database afterwards whether every foreign key, unique
            and check constraint of the seeded tables holds.
        sample: read back this many rows of each seeded table.
        on_progress: ``on_progress(table, done, total)`` after each batch.
        schema: the schema's name, for the report.

    Raises:
        SeedError: an impossible count, a type or constraint the engine cannot
            satisfy (the failing CHECK named); nothing of the failed run holds
            once the caller rolls back.

    Example:
        >>> with db.connect(url) as conn:  # doctest: +SKIP
        ...     report = seed_connection(conn, reflect(conn), 5, seed=1)
        ...     conn.commit()
    """
    started = time.perf_counter()
    backend = conn.dialect.name
    if backend not in ("sqlite", "postgresql"):
        raise SeedError(
            f"cannot seed a {backend} database.", hint="workbench seeds SQLite and PostgreSQL."
        )
    catalog = _analyse(metadata, conn.dialect)
    counts = _counts(catalog, rows)
    if not conn.in_transaction():
        conn.begin()
    with _sqlite_cache(conn):
        return _seed_tables(
            conn,
            catalog,
            counts,
            seed,
            truncate,
            fill_defaults,
            verify,
            sample,
            on_progress,
            schema,
            started,
        )


@contextlib.contextmanager
def _sqlite_cache(conn: Connection) -> Iterator[None]:
    """A 64 MB SQLite page cache while seeding: foreign keys spread over parents read pages
    at random, and the default 2 MB makes that the bottleneck. The old size comes back after.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    driver: Any = conn.connection.driver_connection
    before = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size = {min(int(before), -65536)}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size = {int(before)}")


def _seed_tables(
    conn: Connection,
    catalog: _Catalog,
    counts: dict[str, tuple[int, bool]],
    seed: int,
    truncate: bool,
    fill_defaults: bool,
    verify: bool,
    sample: int,
    on_progress: OnProgress | None,
    schema: str,
    started: float,
) -> SeedReport:
    backend = conn.dialect.name
    truncated = _truncate(conn, catalog) if truncate else ()
    writer = _Writer(conn)
    keys: dict[tuple[str, tuple[str, ...]], _Keys] = {}
    written: dict[str, int] = {}
    planner = _Planner(conn, catalog, seed, fill_defaults, keys, written)
    plans: list[_Plan] = []
    results: list[TableSeed] = []
    for info in catalog.order:
        count, explicit = counts[info.key]
        began = time.perf_counter()
        plan = planner.plan(info, count, explicit)
        _write(writer, plan, seed, on_progress)
        for cols, found in plan.keys.items():
            keys[(info.key, cols)] = found
        written[info.key] = plan.count
        plans.append(plan)
        results.append(
            TableSeed(info.name, plan.count, time.perf_counter() - began, plan.requested)
        )
    _fill_deferred(writer, planner, plans, seed)
    seconds = time.perf_counter() - started
    touched = [p.info.key for p in plans if p.count > 0]
    integrity = _verify(conn, catalog, set(touched)) if verify else None
    if integrity is not None and not integrity.ok:
        raise SeedError(
            "the integrity check after seeding found problems: "
            + "; ".join(integrity.problems)
            + ".",
            hint="Nothing was committed. This is a bug in workbench's seed engine: please "
            "report it with the schema.",
        )
    return SeedReport(
        schema=schema,
        target=db.redact(conn.engine.url),
        backend=backend,
        seed=seed,
        tables=tuple(results),
        seconds=seconds,
        integrity=integrity,
        truncated=truncated,
        samples=_samples(conn, catalog, touched, sample) if sample > 0 else (),
    )


def seed(
    cfg: Config,
    schema: str,
    *,
    rows: Rows = None,
    seed: int = 0,
    url: str | None = None,
    truncate: bool = False,
    fill_defaults: bool = False,
    sample: int = 0,
    on_progress: OnProgress | None = None,
) -> SeedReport:
    """Fill the target of ``schema`` with rows that satisfy every constraint, and commit.

    The target must be at the head of the schema's history (the models are
    what is seeded). Everything happens in one transaction: an error leaves
    the target as it was.

    Example:
        >>> seed(Config.at("."), "blog", rows={"users": 50}, seed=7)  # doctest: +SKIP
    """
    from workbench.loader import load_schema
    from workbench.migrate import current

    loaded = load_schema(cfg, schema)
    where = current(cfg, schema, url=url)
    if where.revision is None or not where.at_head:
        at = f"revision {where.revision}" if where.revision else "no revision (it is empty)"
        raise Refused(
            f"{where.target} is at {at}, not at the head {where.head} of {schema!r}: the rows "
            "would be made for tables the database does not have yet.",
            hint=f"Run `workbench upgrade {schema}` first.",
        )
    target = cfg.resolve_url(schema, url)
    with db.connect(target) as conn:
        try:
            report = seed_connection(
                conn,
                loaded.metadata,
                rows,
                seed=seed,
                truncate=truncate,
                fill_defaults=fill_defaults,
                sample=sample,
                on_progress=on_progress,
                schema=schema,
            )
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    return replace(report, target=where.target)


__all__ = [
    "BATCH_SIZE",
    "DEFAULT_ROWS",
    "EVERY_TABLE",
    "PER_LINK_PARENT",
    "PER_PARENT",
    "OnProgress",
    "Rows",
    "plan_rows",
    "reflect",
    "seed",
    "seed_connection",
]
