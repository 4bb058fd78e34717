"""Keys and slots: the seed engine's makers of column values, one batch at a time.

A :class:`Keys` is the set of values children may pick from a parent's
referenced columns (numbered by the engine, bijective UUIDs, or read back). A
:class:`Slot` makes one or more columns of a :class:`Batch`: serial keys,
numbers, texts, choices, foreign keys spread over parents, self-references,
and :class:`Distinct` tuples for composite keys and unique constraints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, Any

from workbench.errors import SeedError
from workbench.seed import values as V
from workbench.seed.catalog import SELF_ROOT_SHARE, ColumnSpec, ForeignKeySpec

if TYPE_CHECKING:
    pass


class Keys:
    """The values of a parent's referenced columns that children may pick, by index."""

    size: int = 0
    computed: bool = False

    def take(self, idx: Sequence[int]) -> list[Any]:
        raise NotImplementedError

    def holds(self, value: Any) -> bool:
        raise NotImplementedError


class RangeKeys(Keys):
    """Integer keys ``start, start + 1, ...`` (the size is set once the count is final)."""

    computed = True

    def __init__(self, start: int, size: int) -> None:
        self.start, self.size = start, size

    def take(self, idx: Sequence[int]) -> list[Any]:
        start = self.start
        return [start + i for i in idx]

    def holds(self, value: Any) -> bool:
        return isinstance(value, int) and self.start <= value < self.start + self.size


class UuidKeys(Keys):
    computed = True

    def __init__(self, g0: int, size: int, salt: int) -> None:
        self.g0, self.size, self.salt = g0, size, salt

    def take(self, idx: Sequence[int]) -> list[Any]:
        g0, salt = self.g0, self.salt
        return [V.uuid_at(g0 + i, salt) for i in idx]

    def holds(self, value: Any) -> bool:
        return False  # fresh UUIDs: no row already in the table can hold one


class ListedKeys(Keys):
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


@dataclass
class Batch:
    rng: Random
    i0: int
    """Index of the batch's first row among this run's rows of the table."""
    n: int
    g0: int
    """Global index of the first row: rows already in the table, plus ``i0``."""
    cols: dict[str, list[Any]] = field(default_factory=dict)


class Slot:
    """Makes one or more columns of a batch."""

    columns: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    def make(self, b: Batch) -> None:
        raise NotImplementedError


def with_nulls(values: list[Any], rng: Random, share: float) -> list[Any]:
    if share <= 0:
        return values
    r = rng.random
    return [None if r() < share else v for v in values]


class Serial(Slot):
    def __init__(self, name: str, start: int) -> None:
        self.columns, self.start = (name,), start

    def make(self, b: Batch) -> None:
        first = self.start + b.i0
        b.cols[self.columns[0]] = list(range(first, first + b.n))


class UuidKey(Slot):
    def __init__(self, name: str, salt: int) -> None:
        self.columns, self.salt = (name,), salt

    def make(self, b: Batch) -> None:
        salt = self.salt
        b.cols[self.columns[0]] = [V.uuid_at(g, salt) for g in range(b.g0, b.g0 + b.n)]


class Fixed(Slot):
    def __init__(self, name: str, value: Any) -> None:
        self.columns, self.value = (name,), value

    def make(self, b: Batch) -> None:
        b.cols[self.columns[0]] = [self.value] * b.n


class Numbers(Slot):
    """Integers (or NUMERIC units, dates, timestamps as raw ints) or floats in a range."""

    def __init__(
        self,
        col: ColumnSpec,
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

    def make(self, b: Batch) -> None:
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
        b.cols[self.columns[0]] = with_nulls(out, rng, self.null_share)

    def _avoid(self, value: Any) -> Any:
        while value in self.excluded:
            value = value + 1 if value < self.high else self.low
        return value


class After(Slot):
    """A column that follows another in the same row: ``updated_at >= created_at``.

    Each value is drawn as usual; a row where it would come too early gets its
    partner's value plus a short delay instead.
    """

    def __init__(
        self,
        col: ColumnSpec,
        source: str,
        strict: bool,
        low: Any,
        high: Any,
        span: Any,
        fallback: Slot,
    ) -> None:
        self.columns, self.needs = (col.name,), (source,)
        self.col, self.source, self.low, self.high, self.span = col, source, low, high, span
        self.step: Any = (1e-6 if col.kind == "float" else 1) if strict else 0
        self.fallback = fallback

    def make(self, b: Batch) -> None:
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


class Choices(Slot):
    def __init__(self, col: ColumnSpec, choices: Sequence[Any], null_share: float) -> None:
        self.columns, self.choices, self.null_share = (col.name,), list(choices), null_share

    def make(self, b: Batch) -> None:
        b.cols[self.columns[0]] = with_nulls(
            V.picks(b.rng, b.n, self.choices), b.rng, self.null_share
        )


class Texts(Slot):
    def __init__(
        self,
        col: ColumnSpec,
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

    def make(self, b: Batch) -> None:
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
            maker = V.usernames_for if self.kind == "username" else V.emails_for
            made = maker(people, b.rng, b.g0 if self.scheme else None)
        elif self.kind == "country_code":
            made = V.picks(b.rng, b.n, V.country_pool(self.max_len))
        elif self.scheme is not None:
            made = V.unique_texts(self.kind, self.scheme, b.rng, b.n, b.g0, self.max_len)
        else:
            made = V.MAKERS[self.kind](b.rng, b.n)
        if self.kind == "number_code":
            prefix = self.col.name[:1].upper() + "-"
            made = [prefix + v for v in made]
        made = V.fit(made, self.max_len, self.min_len)
        if self.excluded:
            made = [v + "x" if v in self.excluded else v for v in made]
        if self.taken:
            made = [self._free(v) for v in made]
        b.cols[self.columns[0]] = with_nulls(made, b.rng, self.null_share)

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


class Misc(Slot):
    """JSON, bytes, ARRAY and UUID columns that are not keys."""

    def __init__(self, col: ColumnSpec, null_share: float, unique: bool, salt: int) -> None:
        self.columns, self.col, self.null_share = (col.name,), col, null_share
        self.unique, self.salt = unique, salt

    def make(self, b: Batch) -> None:
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
        elif kind == "array":
            sizes = V.uniform(rng, n, 0, 3)
            if self.col.item_kind == "int":
                out = [V.uniform(rng, k, 1, 100) for k in sizes]
            else:
                out = [V.MAKERS["words"](rng, k) for k in sizes]
        else:
            size = min(self.col.max_len or 16, 16)
            out = [rng.randbytes(size) for _ in range(n)]
            if self.unique:
                out = [
                    V.mix64(g).to_bytes(8, "big") + v[8:]
                    for g, v in zip(range(b.g0, b.g0 + n), out, strict=True)
                ]
        b.cols[self.columns[0]] = with_nulls(out, rng, self.null_share)


class Parents(Slot):
    """A foreign key picking its parents with a long tail."""

    def __init__(self, fk: ForeignKeySpec, keys: Keys, null_share: float) -> None:
        self.columns, self.keys, self.null_share = fk.columns, keys, null_share

    def make(self, b: Batch) -> None:
        values = self.keys.take(V.skewed(b.rng, b.n, self.keys.size))
        values = with_nulls(values, b.rng, self.null_share)
        spread(b, self.columns, values)


def spread(b: Batch, columns: tuple[str, ...], values: list[Any]) -> None:
    if len(columns) == 1:
        b.cols[columns[0]] = values
        return
    for i, name in enumerate(columns):
        b.cols[name] = [None if v is None else v[i] for v in values]


class Earlier(Slot):
    """A self-reference: each row's parent is an earlier row of this run (or itself, first)."""

    def __init__(
        self, fk: ForeignKeySpec, own: Keys | None, key_column: str, nullable: bool
    ) -> None:
        self.columns, self.own, self.nullable = fk.columns, own, nullable
        self.needs = () if own is not None else (key_column,)
        self.key_column = key_column

    def make(self, b: Batch) -> None:
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
class Domain:
    """A finite set of values one column (or one foreign key) of a composite unique may take."""

    columns: tuple[str, ...]
    size: int
    take: Callable[[Sequence[int]], list[Any]]
    holds: Callable[[Any], bool]
    """Whether a value (a tuple for a composite foreign key) is one of the domain's."""


class Distinct(Slot):
    """Distinct tuples over a product of domains: composite keys, link tables, 1:1 keys.

    The first domain (the owner, usually a parent) gets a skewed number of rows
    each; each owner walks a permutation of the other domains' product, so no
    tuple repeats. Tuples already in the table are skipped.
    """

    def __init__(
        self,
        domains: list[Domain],
        total: int,
        rng: Random,
        taken: set[Any] | None,
        ranked: Sequence[Domain] = (),
    ) -> None:
        self.domains, self.taken = domains, taken or set()
        self.ranked = list(ranked)
        """Domains of a second unique over the owner: a row takes the value at its rank among
        its owner's rows (``(a_id, slot)`` beside ``(a_id, b_id)``), so it never repeats."""
        self.ranks: list[int] = []
        self.columns = tuple(c for d in [*domains, *self.ranked] for c in d.columns)
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
    def capacity(domains: list[Domain], taken: int) -> int:
        return max(0, math.prod(d.size for d in domains) - taken)

    def _spread_counts(self, total: int, owners: int, rng: Random) -> list[int]:
        cap = min([self.rest, *(d.size for d in self.ranked)])
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

    def make(self, b: Batch) -> None:
        self.ranks = []
        rows = self._single(b.n) if self.per_owner is None else self._pairs(b.n)
        for domain in self.ranked:
            values = domain.take(self.ranks)
            if len(domain.columns) == 1:
                b.cols[domain.columns[0]] = values
            else:
                for i, name in enumerate(domain.columns):
                    b.cols[name] = [v[i] for v in values]
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
                self.ranks.extend(range(self.within, self.within + k))
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
            self.ranks.append(self.within)
            self.within += 1
            out.append(combo)
        return out

    def _taken_at(self, idx: tuple[int, ...]) -> bool:
        values: list[Any] = []
        for domain, i in zip(self.domains, idx, strict=True):
            value = domain.take([i])[0]
            values.extend(value if len(domain.columns) > 1 else [value])
        return tuple(values) in self.taken


class Drawn(Slot):
    """Rows of index tuples over domains, made beforehand by :func:`draw_distinct`."""

    def __init__(self, domains: list[Domain], rows: list[tuple[int, ...]]) -> None:
        self.domains, self.rows = domains, rows
        self.columns = tuple(c for d in domains for c in d.columns)

    def make(self, b: Batch) -> None:
        chunk = self.rows[b.i0 : b.i0 + b.n]
        for k, domain in enumerate(self.domains):
            values = domain.take([row[k] for row in chunk])
            if len(domain.columns) == 1:
                b.cols[domain.columns[0]] = values
            else:
                for i, name in enumerate(domain.columns):
                    b.cols[name] = [v[i] for v in values]


DRAW_MISSES = 200
"""Draws in a row that repeat a unique's values before :func:`draw_distinct` stops (more
when the domains' product is larger, up to :data:`DRAW_MISSES_MAX`)."""
DRAW_MISSES_MAX = 20_000


def draw_distinct(
    domains: list[Domain],
    uniques: Sequence[tuple[str, ...]],
    count: int,
    rng: Random,
    taken: Sequence[set[Any]],
) -> list[tuple[int, ...]]:
    """Up to ``count`` rows (an index into each domain) whose values repeat no unique's, nor
    the values ``taken`` holds per unique (a value, or a tuple for several columns)."""
    sizes = [d.size for d in domains]
    if not all(sizes):
        return []
    where: dict[str, tuple[int, int]] = {}
    for k, domain in enumerate(domains):
        for i, name in enumerate(domain.columns):
            where[name] = (k, i if len(domain.columns) > 1 else -1)
    seen = [set(t) for t in taken]
    rows: list[tuple[int, ...]] = []
    misses = 0
    limit = min(max(DRAW_MISSES, math.prod(sizes)), DRAW_MISSES_MAX)
    r = rng.random
    while len(rows) < count and misses < limit:
        row = tuple(int(r() * size) for size in sizes)
        values = [domain.take([i])[0] for domain, i in zip(domains, row, strict=True)]
        keys = []
        for cols in uniques:
            parts = []
            for name in cols:
                k, i = where[name]
                parts.append(values[k] if i < 0 else values[k][i])
            keys.append(parts[0] if len(parts) == 1 else tuple(parts))
        if any(key in found for key, found in zip(keys, seen, strict=True)):
            misses += 1
            continue
        misses = 0
        for key, found in zip(keys, seen, strict=True):
            found.add(key)
        rows.append(row)
    return rows


class Generated(Slot):
    """Values the models chose a generator for: a named maker, or the user's function."""

    def __init__(self, col: ColumnSpec, null_share: float) -> None:
        self.columns, self.col, self.null_share = (col.name,), col, null_share

    def make(self, b: Batch) -> None:
        chosen, rng = self.col.generator, b.rng
        if isinstance(chosen, str):
            out = V.fit(V.MAKERS[chosen](rng, b.n), self.col.max_len)
        else:
            out = [chosen(rng) for _ in range(b.n)]
        b.cols[self.columns[0]] = with_nulls(out, rng, self.null_share)
