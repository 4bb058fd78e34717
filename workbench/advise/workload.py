"""Workloads: SQL statements read from a file, parsed to find how each uses each table.

sqlglot parses the statements (either backend's dialect, with literals or
parameters in any DB-API style) and qualifies every column with its table, so
that a filter, a join or an ``ORDER BY`` is attributed to the right table even
through aliases, subqueries and correlated ``EXISTS``. A statement's
placeholders are later bound to values sampled from the seeded data, so that
the plan measured is the plan of a realistic lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.advise.catalog import TableView
from workbench.advise.rules import Usage

if TYPE_CHECKING:
    from sqlglot import exp

DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}
"""sqlglot's name for each backend."""

_KINDS = ("select", "update", "delete")


@dataclass(eq=False)
class Query:
    """One workload statement, parsed and attributed to the schema's tables."""

    text: str
    """The statement as written, whitespace collapsed: what the evidence shows."""
    expression: exp.Expr
    """The qualified statement, which is what runs once its placeholders are bound."""
    usages: tuple[Usage, ...]
    kind: str
    columns_of: dict[int, tuple[str, str]] = field(default_factory=dict)
    """``id()`` of each column node attributed to a table: ``(table, column)``."""

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(u.table for u in self.usages)


# --- reading ------------------------------------------------------------------------------

_LEXEME = re.compile(
    r"""'(?:[^']|'')*'          # a string
      | "(?:[^"]|"")*"          # a quoted identifier
      | --[^\n]*                # a line comment
      | /\*.*?\*/               # a block comment
      | ;                       # a statement separator
      | [^'";\-/]+ | [\-/]      # anything else
    """,
    re.S | re.X,
)


def split_statements(text: str) -> list[str]:
    """The statements of ``text``, split on ``;`` outside strings and comments; comments dropped."""
    statements: list[str] = []
    current: list[str] = []
    for lexeme in _LEXEME.findall(text):
        if lexeme == ";":
            statements.append("".join(current))
            current = []
        elif not lexeme.startswith(("--", "/*")):
            current.append(lexeme)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


_PLACEHOLDER = re.compile(
    r"""('(?:[^']|'')*' | "(?:[^"]|"")*")    # strings and identifiers stay as they are
      | %\((\w+)\)s | (%s) | \$(\d+) | (%%)""",
    re.X,
)


def normalize_placeholders(sql: str, *, pyformat: bool = False) -> str:
    """Rewrite ``%(name)s``, ``%s`` and ``$1`` placeholders as ``:name``, ``?`` and ``:p1``.

    With ``pyformat`` (the statement was sent with a ``%``-style paramstyle),
    ``%%`` is the driver's escape for ``%``, inside strings too.
    """

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1).replace("%%", "%") if pyformat else m.group(1)
        if m.group(2):
            return f":{m.group(2)}"
        if m.group(3):
            return "?"
        if m.group(4):
            return f":p{m.group(4)}"
        return "%"

    return _PLACEHOLDER.sub(sub, sql)


def one_line(sql: str) -> str:
    return " ".join(sql.split())


# --- parsing ------------------------------------------------------------------------------


def parse(sql: str, tables: Mapping[str, TableView], backend: str) -> Query | str:
    """Parse one statement; a string saying why when it cannot be used."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
    from sqlglot.optimizer.qualify import qualify

    dialect = DIALECTS.get(backend, backend)
    text = one_line(sql)
    try:
        parsed = sqlglot.parse_one(normalize_placeholders(sql), read=dialect)
    except SqlglotError as exc:
        return f"{NOT_SQL}: {' '.join(str(exc).split())[:200]}"
    kind = _kind(parsed)
    if kind is None:
        if parsed is None or not isinstance(parsed, _STATEMENTS()):
            return NOT_SQL
        return "not a SELECT, UPDATE or DELETE"
    schema: dict[str, object] = {t.name: {c: "unknown" for c in t.columns} for t in tables.values()}
    try:
        qualified = qualify(
            parsed,
            schema=schema,
            dialect=dialect,
            validate_qualify_columns=False,
            expand_stars=False,
            identify=False,
        )
    except (SqlglotError, KeyError, ValueError) as exc:
        return f"cannot resolve its columns: {' '.join(str(exc).split())[:200]}"
    columns_of: dict[int, tuple[str, str]] = {}
    usages = list(_usages(qualified, tables, columns_of))
    if not usages:
        names = sorted({t.name for t in qualified.find_all(exp.Table)})
        if not names or not any(n in tables for n in names):
            return "touches no table of the schema"
        return "filters, joins and sorts on no indexable column"
    return Query(text, qualified, tuple(usages), kind, columns_of)


NOT_SQL = "is not a SQL statement"
"""Why a statement is skipped when it does not parse as SQL at all."""


def _STATEMENTS() -> tuple[type[Any], ...]:
    """sqlglot's statement types other than the queries advise uses (INSERT, DDL, SET...)."""
    from sqlglot import exp

    names = (
        "Insert", "Merge", "Create", "Drop", "Alter", "Command", "Set", "Transaction",
        "Commit", "Rollback", "Use", "Copy", "Pragma", "Describe", "Analyze", "TruncateTable",
    )  # fmt: skip
    return tuple(t for t in (getattr(exp, n, None) for n in names) if isinstance(t, type))


def _kind(expression: exp.Expr) -> str | None:
    from sqlglot import exp

    if isinstance(expression, exp.Select | exp.Union | exp.Intersect | exp.Except):
        return "select"
    if isinstance(expression, exp.Update):
        return "update"
    if isinstance(expression, exp.Delete):
        return "delete"
    return None


@dataclass
class _Acc:
    table: str
    equality: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    order: tuple[str, ...] = ()

    def add(self, bucket: list[str], column: str) -> None:
        if column not in bucket:
            bucket.append(column)

    def usage(self) -> Usage | None:
        if not (self.equality or self.ranges or self.joins or self.order):
            return None
        eq = tuple(self.equality)
        return Usage(
            self.table,
            equality=eq,
            ranges=tuple(c for c in self.ranges if c not in eq),
            joins=tuple(self.joins),
            order=self.order,
        )


Resolver = Callable[["exp.Column"], "tuple[str, _Acc] | None"]


def _usages(
    root: exp.Expr, tables: Mapping[str, TableView], columns_of: dict[int, tuple[str, str]]
) -> Iterator[Usage]:
    from sqlglot import exp
    from sqlglot.optimizer.scope import traverse_scope

    for scope in traverse_scope(root):
        accs: dict[str, _Acc] = {}
        for alias, source in scope.sources.items():
            if isinstance(source, exp.Table) and source.name in tables:
                accs[alias] = _Acc(source.name)

        def resolve(column: exp.Column, accs: dict[str, _Acc] = accs) -> tuple[str, _Acc] | None:
            acc = accs.get(column.table)
            if acc is None or column.name not in tables[acc.table].columns:
                return None
            columns_of[id(column)] = (acc.table, column.name)
            return column.name, acc

        select = scope.expression
        predicates = [select.args.get("where")]
        predicates += [j.args.get("on") for j in select.args.get("joins") or []]
        for predicate in predicates:
            if predicate is not None:
                _classify(predicate, resolve)
        order = select.args.get("order")
        if order is not None:
            _order(order, resolve)
        for acc in accs.values():
            usage = acc.usage()
            if usage is not None:
                yield usage
    if isinstance(root, exp.Update | exp.Delete):
        yield from _dml(root, tables, columns_of)


def _dml(
    root: exp.Expr, tables: Mapping[str, TableView], columns_of: dict[int, tuple[str, str]]
) -> Iterator[Usage]:
    """UPDATE and DELETE: sqlglot's scopes do not cover their own WHERE, so resolve it here."""
    from sqlglot import exp

    target = root.this
    if not isinstance(target, exp.Table) or target.name not in tables:
        return
    acc = _Acc(target.name)
    names = {target.name, target.alias_or_name}

    def resolve(column: exp.Column) -> tuple[str, _Acc] | None:
        if column.table and column.table not in names:
            return None
        if column.name not in tables[acc.table].columns:
            return None
        columns_of[id(column)] = (acc.table, column.name)
        return column.name, acc

    for eq in root.expressions:  # UPDATE ... SET col = ?: bind a value of that column
        if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
            resolve(eq.this)
    where = root.args.get("where")
    if where is not None:
        _classify(where, resolve, dml=True)
    usage = acc.usage()
    if usage is not None:
        yield usage


def _conjuncts(node: exp.Expr) -> Iterator[exp.Expr]:
    from sqlglot import exp

    if isinstance(node, exp.Where | exp.Paren):
        yield from _conjuncts(node.this)
    elif isinstance(node, exp.And):
        yield from _conjuncts(node.this)
        yield from _conjuncts(node.expression)
    else:
        yield node


def _is_value(node: exp.Expr | None) -> bool:
    """A literal, a placeholder, or an expression of them: something fixed for the lookup."""
    from sqlglot import exp

    if node is None:
        return False
    if isinstance(node, exp.Subquery):
        return True
    return node.find(exp.Column) is None


def _classify(predicate: exp.Expr, resolve: Resolver, *, dml: bool = False) -> None:
    from sqlglot import exp

    for p in _conjuncts(predicate):
        if isinstance(p, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
            left, right = p.this, p.expression
            for col, other in ((left, right), (right, left)):
                if not isinstance(col, exp.Column):
                    continue
                found = resolve(col)
                if found is None:
                    continue
                name, acc = found
                if _is_value(other):
                    acc.add(acc.equality if isinstance(p, exp.EQ) else acc.ranges, name)
                elif isinstance(other, exp.Column) and isinstance(p, exp.EQ):
                    other_found = None if dml else resolve(other)
                    if other_found is None or other_found[1] is not acc:
                        acc.add(acc.joins, name)
        elif isinstance(p, exp.In | exp.Is) and isinstance(p.this, exp.Column):
            found = resolve(p.this)
            if found is not None:
                found[1].add(found[1].equality, found[0])
        elif isinstance(p, exp.Between) and isinstance(p.this, exp.Column):
            found = resolve(p.this)
            if found is not None and _is_value(p.args.get("low")):
                found[1].add(found[1].ranges, found[0])
        elif isinstance(p, exp.Like) and isinstance(p.this, exp.Column):
            pattern = p.expression
            prefix = not (isinstance(pattern, exp.Literal) and pattern.this[:1] in ("%", "_", ""))
            found = resolve(p.this)
            if found is not None and prefix and _is_value(pattern):
                found[1].add(found[1].ranges, found[0])


def _order(order: exp.Expr, resolve: Resolver) -> None:
    from sqlglot import exp

    found = []
    for item in order.expressions:
        column = item.this if isinstance(item, exp.Ordered) else item
        hit = resolve(column) if isinstance(column, exp.Column) else None
        if hit is None:
            return
        found.append(hit)
    if found and all(acc is found[0][1] for _, acc in found):
        found[0][1].order = tuple(name for name, _ in found)


# --- binding placeholders to sampled values -----------------------------------------------

Sampler = Callable[[str, str, str], Any]
"""``sampler(table, column, where)``: a stored value; ``where`` is eq, low, high or top."""


def bind(query: Query, sampler: Sampler, backend: str) -> str:
    """The statement as SQL for ``backend``, each placeholder replaced by a sampled value.

    A placeholder compared with a column gets a value of that column from the
    seeded data: the middle of its values for ``=``, ``IN`` and ``LIKE``
    (as a prefix), one 0.1% from the top for ``>`` and from the bottom for
    ``<``, so a range is selective, as in a real application's "the latest".
    ``LIMIT`` gets 10, ``OFFSET`` 0, anything else ``NULL``.
    """
    from sqlglot import exp

    bound = query.expression.copy()
    # copy() keeps the tree's shape: map the copy's column nodes to the attributions.
    originals = list(query.expression.find_all(exp.Column))
    copies = list(bound.find_all(exp.Column))
    columns_of = {
        id(c): query.columns_of[id(o)]
        for o, c in zip(originals, copies, strict=True)
        if id(o) in query.columns_of
    }
    for node in list(bound.find_all(exp.Placeholder, exp.Parameter)):
        node.replace(_literal(_value_for(node, columns_of, sampler)))
    return bound.sql(dialect=DIALECTS.get(backend, backend))


def _value_for(node: exp.Expr, columns_of: dict[int, tuple[str, str]], sampler: Sampler) -> Any:
    from sqlglot import exp

    parent = node.parent
    while isinstance(parent, exp.Cast):  # psycopg's %(x)s::VARCHAR
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Limit):
        return 10
    if isinstance(parent, exp.Offset):
        return 0
    if isinstance(parent, exp.Tuple):  # IN (?, ?)
        parent = parent.parent
    column: exp.Expr | None = None
    where = "eq"
    if isinstance(parent, exp.Binary):
        column = parent.expression if parent.this is node else parent.this
        flipped = parent.this is node
        if isinstance(parent, exp.GT | exp.GTE):
            where = "low" if flipped else "high"
        elif isinstance(parent, exp.LT | exp.LTE):
            where = "high" if flipped else "low"
    elif isinstance(parent, exp.In):
        column = parent.this
    elif isinstance(parent, exp.Between):
        column = parent.this
        where = "high" if node.arg_key == "low" else "top"
    if not isinstance(column, exp.Column) or id(column) not in columns_of:
        return None
    table, name = columns_of[id(column)]
    value = sampler(table, name, where)
    if isinstance(parent, exp.Like) and isinstance(value, str):
        return value[: max(1, len(value) // 2)] + "%"
    return value


def _literal(value: Any) -> exp.Expr:
    import datetime
    import decimal
    import uuid

    from sqlglot import exp

    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float | decimal.Decimal):
        return exp.Literal.number(str(value))
    if isinstance(value, datetime.datetime):
        return exp.Literal.string(value.isoformat(sep=" "))
    if isinstance(value, datetime.date | datetime.time):
        return exp.Literal.string(value.isoformat())
    if isinstance(value, str | uuid.UUID):
        return exp.Literal.string(str(value))
    if hasattr(value, "value"):  # a Python enum member
        return _literal(value.value)
    return exp.null()


def analyse(
    statements: Iterable[str], tables: Mapping[str, TableView], backend: str
) -> tuple[list[Query], list[str]]:
    """Parse every statement once (duplicates after whitespace are dropped).

    Returns:
        The usable queries, and one line per statement skipped, with why.
    """
    queries: list[Query] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for sql in statements:
        text = one_line(sql)
        if text in seen:
            continue
        seen.add(text)
        result = parse(sql, tables, backend)
        if isinstance(result, str):
            skipped.append(f"{_short(text)}: {result}")
        else:
            queries.append(result)
    return queries, skipped


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


__all__ = [
    "DIALECTS",
    "NOT_SQL",
    "Query",
    "analyse",
    "bind",
    "normalize_placeholders",
    "split_statements",
]
