"""The advice rules: small registered units with an id, a name and a docstring.

A rule's docstring says the risk first and then, after ``Fix:``, what to do.
*Model* rules look at one table of the schema and yield :class:`Advice`;
*workload* rules look at how one query uses one table and yield
:class:`Candidate` indexes, which are kept only if a measurement proves them
(see :mod:`workbench.advise.proof`). ``docs/advise.md`` lists them all, and a
test keeps that list and :data:`RULES` the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from workbench.advise.catalog import IndexView, TableView, index_name
from workbench.results import Advice, AdviceAction

RuleKind = Literal["model", "workload"]


@dataclass(frozen=True)
class Rule:
    """One registered rule."""

    code: str
    name: str
    kind: RuleKind
    action: AdviceAction
    doc: str
    check: Callable[..., Iterable[Any]]

    @property
    def risk(self) -> str:
        return " ".join(self.doc.split("Fix:")[0].split())

    @property
    def fix(self) -> str:
        parts = self.doc.split("Fix:", 1)
        return " ".join(parts[1].split()) if len(parts) == 2 else ""


RULES: dict[str, Rule] = {}
"""Every rule, by code, in the order they run."""


def rule(
    code: str, name: str, *, kind: RuleKind, action: AdviceAction = "create"
) -> Callable[[Callable[..., Iterable[Any]]], Callable[..., Iterable[Any]]]:
    """Register the decorated function as rule ``code``; its docstring is the rule's doc."""

    def register(func: Callable[..., Iterable[Any]]) -> Callable[..., Iterable[Any]]:
        if code in RULES:
            raise ValueError(f"rule {code} is registered twice")
        if not func.__doc__ or "Fix:" not in func.__doc__:
            raise ValueError(f"rule {code} needs a docstring with its risk and a 'Fix:'")
        RULES[code] = Rule(code, name, kind, action, func.__doc__, func)
        return func

    return register


def rules_of(kind: RuleKind) -> list[Rule]:
    return [r for r in RULES.values() if r.kind == kind]


# --- model rules --------------------------------------------------------------------------


def _create(table: TableView, columns: tuple[str, ...], code: str, reason: str) -> Advice:
    name = index_name(table.name, columns, taken=table.index_names())
    return Advice("create", table.name, columns, name, code, reason)


def _drop(table: TableView, index: IndexView, code: str, reason: str) -> Advice:
    return Advice("drop", table.name, index.columns, index.name, code, reason)


def _cols(columns: Iterable[str]) -> str:
    return "(" + ", ".join(columns) + ")"


@rule("WB301", "unindexed-foreign-key", kind="model")
def unindexed_foreign_key(table: TableView) -> Iterator[Advice]:
    """A foreign key whose columns no index leads with.

    Neither SQLite nor PostgreSQL indexes the referencing side of a foreign key.
    Without one, every join from the parent and every delete or key update of a
    parent row scans the whole child table (under a lock, on PostgreSQL).

    Fix: add an index leading with the foreign key's columns
    (``index=True`` on the column, or ``Index(...)`` in ``__table_args__``).
    """
    for fk in table.foreign_keys:
        if table.covering(fk.columns, any_order=True) is None:
            yield _create(
                table,
                fk.columns,
                "WB301",
                f"foreign key {_cols(fk.columns)} to {fk.referred_table} has no index leading "
                f"with it: joins from {fk.referred_table}, and each delete of a "
                f"{fk.referred_table} row, scan {table.name}",
            )


_RANK = {"primary": 0, "unique": 1, "index": 2}


@rule("WB302", "duplicate-index", kind="model", action="drop")
def duplicate_index(table: TableView) -> Iterator[Advice]:
    """An index on exactly the columns of another index, a unique constraint or the primary key.

    The copy serves no lookup the other does not, yet every insert, update and
    delete maintains both, and both take space and cache.

    Fix: remove the copy from the models (keep the primary key or unique
    constraint), then ``workbench generate`` writes the ``drop_index``.
    """
    ranked = sorted(
        (i for i in table.indexes if not i.partial),
        key=lambda i: (_RANK[i.kind], not i.unique, i.name),
    )
    for a, b in itertools.combinations(ranked, 2):
        if b.kind == "index" and b.columns == a.columns and (a.unique or not b.unique):
            yield _drop(
                table,
                b,
                "WB302",
                f"{b.name} {_cols(b.columns)} duplicates {a.label}, which serves every "
                "lookup it serves",
            )


@rule("WB303", "prefix-index", kind="model", action="drop")
def prefix_index(table: TableView) -> Iterator[Advice]:
    """An index whose columns are the leading columns of a longer index.

    The longer index serves every lookup the shorter one does (an index is
    usable by any leading prefix of its columns), so the shorter one only adds
    write cost. A unique index is kept: it enforces a rule, not only a lookup.

    Fix: remove the shorter index from the models, then ``workbench generate``.
    """
    for short in table.indexes:
        if short.kind != "index" or short.unique or short.partial:
            continue
        for long in table.indexes:
            if len(long.columns) > len(short.columns) and long.leads_with(short.columns):
                yield _drop(
                    table,
                    short,
                    "WB303",
                    f"{short.name} {_cols(short.columns)} is a leading prefix of {long.label} "
                    f"{_cols(long.columns)}, which serves the same lookups",
                )
                break


@rule("WB304", "link-table-reverse-lookup", kind="model")
def link_table_reverse_lookup(table: TableView) -> Iterator[Advice]:
    """A link table whose composite key (a, b) serves lookups by a but not by b.

    A many-to-many table keyed on ``(a, b)`` finds the b's of an a through its
    key, but finding the a's of a b (the other direction of the relationship,
    and deletes of b rows) scans the whole table.

    Fix: add the reverse index ``(b, a)``; it also covers the foreign key b, and
    holding both columns lets the database answer from the index alone.
    """
    fk_columns = {fk.columns[0] for fk in table.foreign_keys if len(fk.columns) == 1}
    for key in table.indexes:
        if key.kind == "index" or len(key.columns) != 2 or not set(key.columns) <= fk_columns:
            continue
        a, b = key.columns
        if table.covering((b,)) is None:
            yield _create(
                table,
                (b, a),
                "WB304",
                f"link table: its key {_cols(key.columns)} serves lookups by {a}, but finding "
                f"rows by {b} scans {table.name}",
            )


@rule("WB305", "low-cardinality-index", kind="model", action="drop")
def low_cardinality_index(table: TableView) -> Iterator[Advice]:
    """An index on a lone boolean or enum column.

    Each value matches a large share of the rows, so the planner reads the
    table anyway (or should), while every write still maintains the index.

    Fix: remove it; if the rare value is what queries look for, use a partial
    index (``postgresql_where=``/``sqlite_where=``) or put the column after a
    selective one in a composite index.
    """
    for index in table.indexes:
        if (
            index.kind == "index"
            and not index.unique
            and not index.partial
            and len(index.columns) == 1
            and index.columns[0] in table.low_cardinality
        ):
            yield _drop(
                table,
                index,
                "WB305",
                f"{index.name} indexes only {index.columns[0]}, which has a handful of values: "
                "each matches a large share of the rows",
            )


@rule("WB306", "missing-primary-key", kind="model")
def missing_primary_key(table: TableView) -> Iterator[Advice]:
    """A table without a primary key.

    Rows cannot be told apart: the ORM cannot map it, duplicates creep in,
    logical replication cannot ship its updates and deletes, and nothing
    indexes the rows by identity.

    Fix: declare a primary key: the natural unique key if there is one, else a
    surrogate ``id`` column. This advice is not written by ``--generate``:
    change the models and run ``workbench generate``.
    """
    if table.primary_key:
        return
    unique = next((i for i in table.indexes if i.unique and not i.partial), None)
    columns = unique.columns if unique else ()
    hint = f"; {_cols(columns)} is unique and could be it" if unique else ""
    yield Advice(
        "create",
        table.name,
        columns,
        f"pk_{table.name}",
        "WB306",
        f"{table.name} has no primary key{hint}",
    )


# --- workload rules -----------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """How one statement uses one table: the columns it filters, joins and sorts on."""

    table: str
    equality: tuple[str, ...] = ()
    """Columns compared with ``=``, ``IN`` or ``IS``, in the order they appear."""
    ranges: tuple[str, ...] = ()
    """Columns compared with ``<``, ``>``, ``BETWEEN`` or a prefix ``LIKE``."""
    joins: tuple[str, ...] = ()
    """Columns equated with a column of another table."""
    order: tuple[str, ...] = ()
    """The ``ORDER BY`` columns, when all of them belong to this table."""


@dataclass(frozen=True)
class Candidate:
    """An index a workload rule proposes, to be proved or rejected by measurement."""

    table: str
    columns: tuple[str, ...]
    code: str
    reason: str
    any_order: bool = False
    """Equality-only columns: an index on them in any order serves the query."""
    query: str = ""
    """The statement that suggested it, whose measurement a rejection quotes."""


MAX_EQUALITY = 3
"""Equality columns of one table paired into two-column candidates (the first ones)."""


def _candidate(
    usage: Usage, columns: tuple[str, ...], code: str, what: str, *, any_order: bool = False
) -> Candidate:
    return Candidate(usage.table, columns, code, what, any_order=any_order)


def _pairs(
    usage: Usage, firsts: Iterable[str], seconds: Iterable[str], code: str, what: str
) -> Iterator[Candidate]:
    """A two-column candidate for each first column followed by a different second one."""
    for a in firsts:
        for b in seconds:
            if a != b:
                yield _candidate(usage, (a, b), code, what.format(table=usage.table, a=a, b=b))


@rule("WB311", "unindexed-filter", kind="workload")
def unindexed_filter(usage: Usage) -> Iterator[Candidate]:
    """A query filters a table on columns that no index leads with.

    The database reads every row to find the few it wants: fine on a small
    table, slower in proportion to its size.

    Fix: an index on the filter columns, equality columns first, then one
    range column. Advised only when measured to halve the query's cost or time.
    """
    eq = usage.equality[:MAX_EQUALITY]
    for column in (*eq, *usage.ranges):
        yield _candidate(usage, (column,), "WB311", f"queries filter {usage.table} by {column}")
    for a, b in itertools.combinations(eq, 2):
        yield _candidate(
            usage, (a, b), "WB311", f"queries filter {usage.table} by {a} and {b}", any_order=True
        )
    yield from _pairs(
        usage, eq, usage.ranges, "WB311", "queries filter {table} by {a}, then a range of {b}"
    )


@rule("WB312", "unindexed-join", kind="workload")
def unindexed_join(usage: Usage) -> Iterator[Candidate]:
    """A query joins a table on columns that no index leads with.

    Each row on the other side of the join looks its matches up in this table:
    without an index that is a scan per row, or a hash of the whole table.

    Fix: an index on the join column, followed by a column the query also
    filters on. Advised only when measured to halve the query's cost or time.
    """
    for column in usage.joins:
        yield _candidate(usage, (column,), "WB312", f"queries join {usage.table} on {column}")
    yield from _pairs(
        usage,
        usage.joins,
        usage.equality[:MAX_EQUALITY],
        "WB312",
        "queries join {table} on {a} and filter it by {b}",
    )


@rule("WB313", "unindexed-sort", kind="workload")
def unindexed_sort(usage: Usage) -> Iterator[Candidate]:
    """A query sorts a table's rows (often to take the first few) and no index gives that order.

    The database reads and sorts every matching row before it can return the
    first one; with an index in that order it reads only the rows it returns.

    Fix: an index on the equality filter columns followed by the sort column.
    Advised only when measured to halve the query's cost or time.
    """
    if not usage.order:
        return
    first = usage.order[0]
    if not usage.equality:
        yield _candidate(usage, (first,), "WB313", f"queries sort {usage.table} by {first}")
        if len(usage.order) > 1:
            yield _candidate(
                usage,
                usage.order[:2],
                "WB313",
                f"queries sort {usage.table} by {_cols(usage.order[:2])}",
            )
    yield from _pairs(
        usage,
        usage.equality[:MAX_EQUALITY],
        (first,),
        "WB313",
        "queries filter {table} by {a} and sort by {b}",
    )


def candidates(usage: Usage, table: TableView) -> Iterator[Candidate]:
    """Every workload rule's candidates for ``usage``, minus those an existing index covers."""
    for r in rules_of("workload"):
        for found in r.check(usage):
            assert isinstance(found, Candidate)
            if not set(found.columns) <= set(table.columns):
                continue
            if table.covering(found.columns, any_order=found.any_order) is None:
                yield found


# --- running the model rules --------------------------------------------------------------


def model_advice(tables: Iterable[TableView]) -> list[Advice]:
    """Run every model rule on every table, then consolidate (see :func:`consolidate`)."""
    found: list[Advice] = []
    for table in tables:
        for r in rules_of("model"):
            for advice in r.check(table):
                assert isinstance(advice, Advice)
                found.append(advice)
    return consolidate(found)


def consolidate(advice: Iterable[Advice]) -> list[Advice]:
    """One piece of advice per index, with no create that another create makes redundant.

    Identical creates keep the first rule's code and pool their evidence; a
    create whose columns lead another create on the same table is folded into
    that one (its index would be a prefix index, WB303); a drop named by two
    rules is kept once.
    """
    creates: dict[tuple[str, tuple[str, ...]], Advice] = {}
    drops: dict[tuple[str, str], Advice] = {}
    for a in advice:
        if a.action == "drop":
            drops.setdefault((a.table, a.index), a)
            continue
        key = (a.table, a.columns)
        if key in creates:
            kept = creates[key]
            creates[key] = _merge(kept, a, note=False)
        else:
            creates[key] = a
    for key, short in list(creates.items()):
        if not short.columns:
            continue
        longer = [
            a
            for (t, cols), a in creates.items()
            if t == short.table
            and len(cols) > len(short.columns)
            and cols[: len(short.columns)] == short.columns
        ]
        if longer:
            target = max(longer, key=lambda a: (len(a.evidence), -len(a.columns)))
            creates[(target.table, target.columns)] = _merge(target, short, note=True)
            del creates[key]
    out = [*creates.values(), *drops.values()]
    return sorted(out, key=lambda a: (a.table, a.action != "create", a.code, a.columns))


def _merge(kept: Advice, other: Advice, *, note: bool) -> Advice:
    from dataclasses import replace

    reason = kept.reason
    if note:
        reason += f"; it also covers {_cols(other.columns)} ({other.code})"
    seen = {e.query for e in kept.evidence}
    evidence = kept.evidence + tuple(e for e in other.evidence if e.query not in seen)
    return replace(kept, reason=reason, evidence=evidence)
