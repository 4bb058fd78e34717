"""The planner: one table, its row count and what the database holds, turned into slots.

:class:`Planner` reads what it needs (row counts, the largest key, values a
UNIQUE already holds, a parent's keys) and returns a :class:`Plan`: the slots
that make each batch, the columns written and how each is encoded. A count the
table's keys cannot reach is capped, or an error when the table was named.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from random import Random
from typing import TYPE_CHECKING, Any

from workbench import db
from workbench.errors import SeedError
from workbench.seed import values as V
from workbench.seed.catalog import (
    NULL_SHARE,
    SPAN,
    Catalog,
    ColumnSpec,
    ForeignKeySpec,
    RawNames,
    TableSpec,
)
from workbench.seed.constraints import (
    Bound,
    Length,
    NotNull,
    Order,
)
from workbench.seed.rules import (
    about,
    bounds,
    capacity_hint,
    capacity_reason,
    choices_for,
    chooser,
    in_dependency_order,
    length_max,
    length_min,
    natural_partner,
    people_columns,
    raw_value,
    within,
)
from workbench.seed.slots import (
    After,
    Choices,
    Distinct,
    Domain,
    Drawn,
    Earlier,
    Fixed,
    Generated,
    Keys,
    ListedKeys,
    Misc,
    Numbers,
    Parents,
    RangeKeys,
    Serial,
    Slot,
    Texts,
    UuidKey,
    UuidKeys,
    draw_distinct,
)

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


@dataclass
class Plan:
    info: TableSpec
    count: int
    requested: int | None
    existing: int
    slots: list[Slot]
    columns: list[str]
    encoders: dict[str, ColumnSpec]
    keys: dict[tuple[str, ...], Keys]
    deferred: list[ForeignKeySpec]


class Planner:
    """Turns a table, its count and what the database already holds into slots."""

    def __init__(
        self,
        conn: Connection,
        catalog: Catalog,
        seed: int,
        fill_defaults: bool,
        keys: dict[tuple[str, tuple[str, ...]], Keys],
        written: dict[str, int],
        counts: dict[str, int] | None = None,
    ) -> None:
        self.conn, self.catalog, self.seed = conn, catalog, seed
        self.fill_defaults, self.keys, self.written = fill_defaults, keys, written
        self.counts = counts or {}
        """Rows asked of each table: what a promise of a parent's keys is sized by."""
        self.promised: dict[str, tuple[Keys, int, str]] = {}
        """``{parent: (keys, count, edge)}``: keys a table written before its parent refers to."""

    # -- database reads, through the driver (values as it returns them)

    def _raw(self, sql: str) -> list[tuple[Any, ...]]:
        with db.driver_cursor(self.conn) as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    def _q(self, name: str) -> str:
        return str(RawNames(self.conn.dialect).quote(name))

    def _t(self, table: Table) -> str:
        return str(RawNames(self.conn.dialect).format_table(table))

    def count_rows(self, table: Table) -> int:
        return int(self._raw(f"SELECT count(*) FROM {self._t(table)}")[0][0])

    def existing_values(self, table: Table, columns: Sequence[str]) -> set[Any]:
        cols = ", ".join(self._q(c) for c in columns)
        not_null = " AND ".join(f"{self._q(c)} IS NOT NULL" for c in columns)
        rows = self._raw(f"SELECT {cols} FROM {self._t(table)} WHERE {not_null}")
        if len(columns) == 1:
            return {r[0] for r in rows}
        return {tuple(r) for r in rows}

    def parent_keys(self, fk: ForeignKeySpec) -> Keys:
        if fk.parent is not None and self.written.get(fk.parent, 0) > 0:
            found = self.keys.get((fk.parent, fk.refs))
            if found is not None:
                return found
        if fk.parent_table is None:
            return ListedKeys([])
        cols = ", ".join(self._q(c) for c in fk.refs)
        not_null = " AND ".join(f"{self._q(c)} IS NOT NULL" for c in fk.refs)
        rows = self._raw(
            f"SELECT DISTINCT {cols} FROM {self._t(fk.parent_table)} WHERE {not_null} "
            f"ORDER BY {cols}"
        )
        return ListedKeys([r[0] for r in rows] if len(fk.refs) == 1 else [tuple(r) for r in rows])

    # -- the plan

    def plan(self, info: TableSpec, count: int, explicit: bool) -> Plan:
        """The slots that make ``count`` rows of ``info``, in stages: keys, foreign keys,
        unique constraints, then every other column (each stage may cap the count)."""
        existing = self.count_rows(info.table)
        draft = _Draft(info, count, explicit, existing, Random(f"{self.seed}:{info.key}:plan"))
        if count == 0:  # nothing to make: no constraint can be unsatisfiable
            return draft.finish()
        self._plan_keys(draft)
        fk_keys = self._plan_parents(draft)
        unique_cols = self._plan_uniques(draft, fk_keys)
        self._plan_foreign_keys(draft, fk_keys)
        self._plan_values(draft, unique_cols)
        plan = draft.finish()
        self._kept_promise(plan)
        return plan

    def promise(self, fk: ForeignKeySpec) -> Keys:
        """The keys ``fk``'s parent will get, for rows written before the parent's (a NOT NULL,
        deferrable edge of a cycle: see :func:`~workbench.seed.catalog.break_cycles`)."""
        assert fk.parent is not None
        parent = self.catalog.by_key[fk.parent]
        if parent.key in self.promised:
            return self.promised[parent.key][0]
        count = self.counts.get(parent.key, 0)
        keys: Keys
        if parent.serial is not None and fk.refs == (parent.serial,):
            top = self._raw(f"SELECT max({self._q(parent.serial)}) FROM {self._t(parent.table)}")
            keys = RangeKeys(int(top[0][0]) + 1 if top[0][0] is not None else 1, count)
        else:
            salt = Random(f"{self.seed}:{parent.key}:promise").getrandbits(122)
            keys = UuidKeys(self.count_rows(parent.table), count, salt)
        edge = next(f.describe(i.name) for i in self.catalog.order for f in i.fks if f is fk)
        self.promised[parent.key] = (keys, count, edge)
        return keys

    def _kept_promise(self, plan: Plan) -> None:
        """A parent whose keys were promised must make at least as many rows as promised."""
        promised = self.promised.get(plan.info.key)
        if promised is None or plan.count >= promised[1]:
            return
        _, count, edge = promised
        name = plan.info.name
        raise SeedError(
            f"cannot seed the foreign-key cycle through {edge}: its rows were written first, "
            f"referring to {count} rows of {name} to come, but only {plan.count} rows of "
            f"{name} can be made.",
            hint=f"Ask for at most {plan.count} rows of {name} (--rows {name}={plan.count}).",
        )

    def _plan_keys(self, d: _Draft) -> None:
        """Keys the engine numbers itself: a serial integer, or a UUID primary key."""
        info = d.info
        if info.serial is not None:
            col = info.cols[info.serial]
            d.done.add(col.name)
            if not info.serial_omitted:
                promised = self.promised.get(info.key)
                keys = promised[0] if promised is not None else None
                if not isinstance(keys, RangeKeys):  # else the keys its children already name
                    top = self._raw(f"SELECT max({self._q(col.name)}) FROM {self._t(info.table)}")[
                        0
                    ][0]
                    keys = RangeKeys(int(top) + 1 if top is not None else 1, 0)
                start = keys.start
                d.cap(col.high - start + 1, f"its key {col.name} would pass {col.high}", "")
                d.slots.append(Serial(col.name, start))
                d.encoders[col.name] = col
                d.keys[(col.name,)] = keys
        for name in info.pk:
            col = info.cols[name]
            if name not in d.done and len(info.pk) == 1 and col.kind == "uuid":
                promised = self.promised.get(info.key)
                uuids = promised[0] if promised is not None else None
                if not isinstance(uuids, UuidKeys):
                    uuids = UuidKeys(d.existing, 0, d.rng.getrandbits(122))
                d.slots.append(UuidKey(name, uuids.salt))
                d.encoders[name] = col
                d.keys[(name,)] = uuids
                d.done.add(name)
        d.solo = set(d.done)

    def _plan_parents(self, d: _Draft) -> dict[str, Keys]:
        """The keys each foreign key may point at; deferred foreign keys set aside."""
        fk_keys: dict[str, Keys] = {}
        for fk in d.info.fks:
            if fk.blocked:  # a cycle no edge of which can go first
                raise SeedError(fk.blocked[0], hint=fk.blocked[1])
            if fk.deferred:
                d.deferred.append(fk)
                d.done.update(fk.columns)  # inserted empty, filled once its parent has rows
                continue
            if fk.self_ref:
                continue
            parent_keys = self.promise(fk) if fk.early else self.parent_keys(fk)
            fk_keys[fk.name] = parent_keys
            if parent_keys.size == 0 and not fk.nullable and d.count > 0:
                parent = fk.parent_table.name if fk.parent_table is not None else "its parent"
                d.cap(
                    0,
                    f"its foreign key ({', '.join(fk.columns)}) needs rows in {parent}, which "
                    "has none",
                    f"Seed {parent} too (--rows {parent}=N).",
                )
        return fk_keys

    def _plan_uniques(self, d: _Draft, fk_keys: dict[str, Keys]) -> set[str]:
        """Each unique constraint: one free column made unique, or distinct tuples."""
        info = d.info
        unique_cols: set[str] = set()
        composite: list[tuple[str, ...]] = []
        later = {c for fk in d.deferred for c in fk.columns}
        # a unique over more columns than another is implied by it: (a, b, c) by (a, b)
        implied = [u for u in info.uniques if any(set(o) < set(u) for o in info.uniques)]
        for cols in info.uniques:
            if cols in implied:
                continue
            if (d.solo | unique_cols) & set(cols):
                continue
            if later & set(cols):  # filled after the insert, distinct (see fill_deferred)
                continue
            if any(set(c) <= set(cols) for c in composite):
                continue
            free = [c for c in cols if self._unique_capable(info, c)]
            if len(cols) > 1 and all(self._enumerable(info, c) for c in cols):
                free = []  # (staff_id, day): walk distinct pairs rather than make days unique
            if free:
                unique_cols.add(sorted(free, key=lambda c: self._preference(info.cols[c]))[0])
                continue
            composite.append(cols)
        if composite:
            self._distinct(d, composite, fk_keys)
        return unique_cols

    def _distinct(
        self, d: _Draft, composite: list[tuple[str, ...]], fk_keys: dict[str, Keys]
    ) -> None:
        """A slot walking distinct tuples over the domains of the first unique; a second one
        over the same owner takes values by the row's rank among its owner's rows."""
        info = d.info
        domains = self._domains(info, composite[0], fk_keys)
        ranked: list[Domain] = []
        for cols in composite[1:]:
            owner = set(domains[0].columns)
            made = {c for dom in [*domains, *ranked] for c in dom.columns}
            extra = tuple(c for c in cols if c not in owner)
            if len(domains) < 2 or not owner <= set(cols) or set(extra) & made:
                self._drawn(d, composite, fk_keys)  # uniques the walks cannot combine
                return
            ranked.extend(self._domains(info, extra, fk_keys))
        taken = (
            self.existing_values(info.table, [c for d in domains for c in d.columns])
            if d.existing
            else set()
        )
        taken = {t for t in taken if within(domains, t if isinstance(t, tuple) else (t,))}
        limit = Distinct.capacity(domains, len(taken))
        if ranked:
            limit = min(limit, domains[0].size * min(r.size for r in ranked))
        everything = [*domains, *ranked]
        d.cap(limit, capacity_reason(info, everything), capacity_hint(info, everything))
        d.slots.append(Distinct(domains, d.count, d.rng, taken, ranked))
        for domain in everything:
            for c in domain.columns:
                d.done.add(c)
                d.encoders[c] = self.encoding_for(info, c, fk_keys, d.keys)

    def _drawn(self, d: _Draft, composite: list[tuple[str, ...]], fk_keys: dict[str, Keys]) -> None:
        """Composite uniques that share no leading column (``(a_id, b_id)`` beside
        ``(b_id, c_id)``): rows drawn at random over the columns' domains, each kept only if
        it repeats no unique's values (these rows' or the table's), made before the insert so
        the count is known; the table is capped where draws stop finding room."""
        info = d.info
        columns = tuple(dict.fromkeys(c for cols in composite for c in cols))
        domains = self._domains(info, columns, fk_keys)
        taken = [
            self.existing_values(info.table, list(cols)) if d.existing else set()
            for cols in composite
        ]
        rows = draw_distinct(domains, composite, d.count, d.rng, taken)
        sizes = " x ".join(f"{dom.size} ({', '.join(dom.columns)})" for dom in domains)
        uniques = " and ".join(f"({', '.join(u)})" for u in composite)
        d.cap(
            len(rows),
            f"its unique constraints {uniques} leave room for about {len(rows)} rows over "
            f"{sizes} values",
            f"Ask for fewer rows of {info.name}, or seed more rows of the tables it refers to.",
        )
        d.slots.append(Drawn(domains, rows[: d.count]))
        for domain in domains:
            for c in domain.columns:
                d.done.add(c)
                d.encoders[c] = self.encoding_for(info, c, fk_keys, d.keys)

    def _plan_foreign_keys(self, d: _Draft, fk_keys: dict[str, Keys]) -> None:
        """Slots for the foreign keys no unique constraint has made yet."""
        info = d.info
        for fk in info.fks:
            if fk.deferred or any(c in d.done for c in fk.columns):
                continue
            if fk.self_ref:
                d.slots.append(self._self_ref(info, fk, d.keys))
            else:
                parent_keys = fk_keys[fk.name]
                share = NULL_SHARE if fk.nullable else 0.0
                if parent_keys.size == 0:
                    d.slots.extend(Fixed(c, None) for c in fk.columns)
                else:
                    d.slots.append(Parents(fk, parent_keys, share))
            for c in fk.columns:
                d.done.add(c)
                d.encoders[c] = self.encoding_for(info, c, fk_keys, d.keys)

    def _plan_values(self, d: _Draft, unique_cols: set[str]) -> None:
        """Every other column; then columns that follow another (``updated_at``)."""
        info = d.info
        orders = self._orders(info)
        # a server-filled column that another must follow is generated, or the order is unknown
        leaders = {earlier for later, (earlier, _) in orders.items() if later not in d.done}
        free_slots: dict[str, Slot] = {}
        for col in info.cols.values():
            if col.name in d.done or col.computed:
                continue
            # left to the server, except now(): it would give every row the same moment
            left = col.server_side and not self.fill_defaults and not col.server_now
            if left and col.name not in leaders:
                continue
            if col.kind == "unsupported":
                if col.nullable or col.server_side:
                    continue
                raise SeedError(
                    f"cannot generate values for {info.name}.{col.name} of type {col.type_name}: "
                    "the seed engine does not know that type.",
                    hint=f'Say how to make its values in the models: info={{"seed": [...]}} '
                    "(a list of values of its Python type, or a function of a random.Random "
                    f"returning one; see docs/seed.md), give {col.name} a server default or "
                    f"make it nullable, or leave {info.name} empty with --rows {info.name}=0.",
                )
            unique = col.name in unique_cols
            free_slots[col.name] = self._value_slot(d, col, unique)
            d.encoders[col.name] = col
        for later, (earlier, strict) in orders.items():
            if later in free_slots and earlier in free_slots and later not in unique_cols:
                _follow(info, free_slots, later, earlier, strict)
        d.slots.extend(in_dependency_order(list(free_slots.values())))

    @staticmethod
    def _fk_cols(info: TableSpec) -> set[str]:
        return {c for fk in info.fks for c in fk.columns}

    def _unique_capable(self, info: TableSpec, name: str) -> bool:
        col = info.cols[name]
        if name in self._fk_cols(info) or col.computed:
            return False
        if col.server_side and not self.fill_defaults and name != info.serial:
            return False
        if choices_for(info, col) is not None:
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

    def _enumerable(self, info: TableSpec, name: str) -> bool:
        col = info.cols[name]
        return (
            name in self._fk_cols(info)
            or choices_for(info, col) is not None
            or col.kind in ("bool", "int", "date")
        )

    @staticmethod
    def _preference(col: ColumnSpec) -> int:
        return {"uuid": 0, "str": 1, "int": 2, "datetime": 3, "numeric": 4}.get(col.kind, 5)

    def _domains(
        self, info: TableSpec, cols: tuple[str, ...], fk_keys: dict[str, Keys]
    ) -> list[Domain]:
        domains: list[Domain] = []
        seen: set[str] = set()
        for name in cols:
            if name in seen:
                continue
            fk = next((f for f in info.fks if name in f.columns and not f.self_ref), None)
            if fk is not None and fk.name in fk_keys:
                keys = fk_keys[fk.name]
                domains.append(Domain(fk.columns, keys.size, keys.take, keys.holds))
                seen.update(fk.columns)
                continue
            col = info.cols[name]
            choices: Sequence[Any] | None = choices_for(info, col)
            if choices is None and col.kind == "bool":
                choices = [0, 1]
            if choices is None and col.kind in ("int", "date"):
                low, high = bounds(info, col)
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
            domains.append(Domain((name,), len(choices), chooser(choices), holds))
            seen.add(name)
        domains.sort(key=lambda d: 0 if any(f.columns == d.columns for f in info.fks) else 1)
        return domains

    def encoding_for(
        self,
        info: TableSpec,
        name: str,
        fk_keys: dict[str, Keys],
        own: dict[tuple[str, ...], Keys],
    ) -> ColumnSpec:
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

    def _self_ref(
        self, info: TableSpec, fk: ForeignKeySpec, keys: dict[tuple[str, ...], Keys]
    ) -> Slot:
        own = keys.get(fk.refs)
        generated = own is not None or (
            len(fk.columns) == 1
            and fk.refs[0] in info.cols
            and fk.refs[0] != info.serial
            and not info.cols[fk.refs[0]].server_side
        )
        if not generated:
            if fk.nullable:
                return Fixed(fk.columns[0], None)
            raise SeedError(
                f"cannot seed {info.name}: its self-reference ({', '.join(fk.columns)}) is NOT "
                "NULL and points at values the database makes.",
                hint=f"Leave {info.name} empty with --rows {info.name}=0.",
            )
        return Earlier(fk, own, fk.refs[0], fk.nullable)

    def _orders(self, info: TableSpec) -> dict[str, tuple[str, bool]]:
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
            partner = natural_partner(name, info.cols)
            if partner is not None and info.cols[partner].kind == col.kind:
                found[name] = (partner, False)
        return found

    def _value_slot(self, d: _Draft, col: ColumnSpec, unique: bool) -> Slot:
        """The slot making one ordinary column's values, within its type and CHECKs."""
        info = d.info
        share = 0.0
        if col.nullable and not unique:
            share = 0.9 if V.mostly_null(col.name) else NULL_SHARE
        atoms = [a for check in info.checks for a in check.atoms if about(a, col.name)]
        if any(isinstance(a, NotNull) for a in atoms):
            share = 0.0
        choices = choices_for(info, col)
        if choices is not None:
            if unique:  # pragma: no cover - unique domains are walked by Distinct
                raise SeedError("internal: a unique column with choices.")
            if not choices:
                raise SeedError(
                    f"cannot seed {info.name}.{col.name}: its CHECK constraints and type allow "
                    "no value.",
                    hint=f"Check the constraints on {info.name}.{col.name}, or leave "
                    f"{info.name} empty with --rows {info.name}=0.",
                )
            return Choices(col, choices, share)
        if col.kind == "python":
            return Generated(col, share)
        excluded = frozenset(
            raw_value(col, a.value) for a in atoms if isinstance(a, Bound) and a.op == "<>"
        )
        if col.kind == "str":
            return self._text_slot(d, col, unique, atoms, excluded, share)
        if col.kind in ("uuid", "json", "bytes", "array"):
            return Misc(col, share, unique, d.rng.getrandbits(122))
        if col.kind == "bool":
            p = V.true_share(col.name)
            return Choices(col, [1] * int(p * 20) + [0] * (20 - int(p * 20)), share)
        return self._number_slot(d, col, unique, excluded, share)

    def _text_slot(
        self,
        d: _Draft,
        col: ColumnSpec,
        unique: bool,
        atoms: list[Any],
        excluded: frozenset[Any],
        share: float,
    ) -> Slot:
        info = d.info
        kind = V.text_kind(info.name, col.name)
        min_len = max([0, *(length_min(a) for a in atoms if isinstance(a, Length))])
        max_len = min(
            [col.max_len or 10**9, *(length_max(a) for a in atoms if isinstance(a, Length))]
        )
        limit = None if max_len >= 10**9 else max_len
        scheme = None
        taken = None
        if unique:
            scheme = V.unique_scheme(kind, limit, d.existing + d.count)
            if scheme == "bare":
                d.cap(
                    V.unique_capacity(limit) - d.existing,
                    f"{col.name} is unique and holds only {limit} characters",
                    f"Ask for fewer rows of {info.name}.",
                )
            if d.existing:
                taken = {str(v) for v in self.existing_values(info.table, [col.name])}
        names: tuple[str, ...] = ()
        if kind in ("email", "username") and scheme in (None, "natural"):
            names = people_columns(info, self.fill_defaults)
        return Texts(
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

    def _number_slot(
        self, d: _Draft, col: ColumnSpec, unique: bool, excluded: frozenset[Any], share: float
    ) -> Slot:
        info = d.info
        low, high = bounds(info, col)
        dist = "uniform"
        if col.kind in ("int", "numeric", "float"):
            dist = V.number_rule(col.name, col.kind == "int")[2]
        unique_start = None
        if unique:
            top = (
                self._raw(f"SELECT max({self._q(col.name)}) FROM {self._t(info.table)}")[0][0]
                if d.existing
                else None
            )
            unique_start = low if top is None else max(low, math.floor(raw_value(col, top)) + 1)
            d.cap(
                int(high - unique_start + 1),
                f"{col.name} is unique and its values must lie between {low} and {high}",
                f"Ask for fewer rows of {info.name}.",
            )
        return Numbers(
            col,
            low,
            high,
            dist,
            unique_start=unique_start,
            excluded=excluded,
            null_share=share,
            unit=10**col.scale if col.kind == "numeric" else 1,
        )


class _Draft:
    """One table's plan while the planner builds it."""

    def __init__(
        self, info: TableSpec, count: int, explicit: bool, existing: int, rng: Random
    ) -> None:
        self.info, self.count, self.explicit = info, count, explicit
        self.existing, self.rng = existing, rng
        self.requested: int | None = None
        self.slots: list[Slot] = []
        self.keys: dict[tuple[str, ...], Keys] = {}
        self.encoders: dict[str, ColumnSpec] = {}
        self.done: set[str] = set()
        self.solo: set[str] = set()
        """Columns unique by themselves: the engine's keys."""
        self.deferred: list[ForeignKeySpec] = []

    def cap(self, limit: int, why: str, hint: str) -> None:
        """At most ``limit`` rows: an error when the table was named, else a capped count."""
        if self.count <= limit:
            return
        if self.explicit:
            raise SeedError(
                f"cannot seed {self.count} rows into {self.info.name}: {why}, so at most "
                f"{limit} rows are possible.",
                hint=hint,
            )
        self.requested = self.requested if self.requested is not None else self.count
        self.count = limit

    def finish(self) -> Plan:
        info = self.info
        columns = [c for c in (str(c.name) for c in info.table.columns) if c in self.encoders]
        for found in self.keys.values():
            found.size = self.count
        return Plan(
            info=info,
            count=self.count,
            requested=self.requested,
            existing=self.existing,
            slots=self.slots,
            columns=columns,
            encoders=self.encoders,
            keys=self.keys,
            deferred=self.deferred,
        )


def _follow(
    info: TableSpec, free_slots: dict[str, Slot], later: str, earlier: str, strict: bool
) -> None:
    """Make ``later`` follow ``earlier`` in each row, when both are drawn from a range."""
    slot = free_slots[later]
    lead = free_slots[earlier]
    if not (
        isinstance(slot, Numbers)
        and slot.unique_start is None
        and isinstance(lead, Numbers)
        and lead.unique_start is None
        and info.cols[earlier].kind == info.cols[later].kind
    ):
        return
    col = info.cols[later]
    span = SPAN.get(col.kind) or max(1, (slot.high - slot.low) // 4)
    after = After(col, earlier, strict, slot.low, slot.high, span, slot)
    # the earlier column must leave room for the later one
    lead.high = min(lead.high, slot.high - after.step)
    lead.low = min(lead.low, lead.high)
    free_slots[later] = after
