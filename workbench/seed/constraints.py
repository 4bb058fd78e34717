"""Understand the common forms of CHECK constraint, from their SQL text.

The text may come from the models (``CheckConstraint("price >= 0")``) or from
reflection, where PostgreSQL rewrites it (``(price >= (0)::numeric)``,
``((status)::text = ANY ((ARRAY['a'::character varying])::text[]))``) and
SQLite returns it as written. :func:`parse_check_constraint` turns it into a conjunction
of atoms the seed engine respects when it generates values:

- :class:`Bound`: a column compared with a constant (``<``, ``<=``, ``>``,
  ``>=``, ``=``, ``<>``), ``BETWEEN`` (two bounds), ``NOT IN`` (``<>`` each);
- :class:`Among`: ``IN (...)`` and ``= ANY (ARRAY[...])``;
- :class:`Order`: two columns compared (``ends_at > starts_at``);
- :class:`Length`: ``length(col)`` (or ``char_length``) compared with a number;
- :class:`NotNull`: ``col IS NOT NULL``.

``x OR col IS NULL`` is read as ``x`` (a generated value satisfies ``x``, a NULL
satisfies the rest). Anything else makes the result incomplete: the engine
leaves that part to the database, which validates every row on insert and names
the constraint when one fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

Op = Literal["<", "<=", ">", ">=", "=", "<>"]


class _Now:
    """The current date or time (``now()``, ``CURRENT_DATE``, ...)."""

    def __repr__(self) -> str:
        return "NOW"


NOW = _Now()

Const = int | Decimal | float | str | bool | _Now | None


@dataclass(frozen=True)
class Bound:
    """``column op value``."""

    column: str
    op: Op
    value: Const


@dataclass(frozen=True)
class Among:
    """``column IN (values)``."""

    column: str
    values: tuple[Const, ...]


@dataclass(frozen=True)
class Order:
    """``left op right``, two columns of the same row (``op`` is never ``<>``)."""

    left: str
    op: Op
    right: str


@dataclass(frozen=True)
class Length:
    """``length(column) op n``."""

    column: str
    op: Op
    value: int


@dataclass(frozen=True)
class NotNull:
    """``column IS NOT NULL``."""

    column: str


Atom = Bound | Among | Order | Length | NotNull


@dataclass(frozen=True)
class ParsedCheckConstraint:
    """What a CHECK constraint says, as far as it was understood."""

    atoms: tuple[Atom, ...]
    complete: bool
    """Whether every part of the constraint is among ``atoms``."""

    @property
    def columns(self) -> frozenset[str]:
        names: set[str] = set()
        for atom in self.atoms:
            if isinstance(atom, Order):
                names.update((atom.left, atom.right))
            else:
                names.add(atom.column)
        return frozenset(names)


# --- tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>[EeNn]?'(?:[^']|'')*')
     |(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
     |(?P<qid>"(?:[^"]|"")*"|`[^`]*`)
     |(?P<id>[A-Za-z_][A-Za-z0-9_$]*)
     |(?P<op><=|>=|<>|!=|==|::|\|\||[=<>(),\[\]+\-*/%.])
    )""",
    re.X,
)

_FLIP: dict[str, Op] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}
_OPS: dict[str, Op] = {
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "=": "=",
    "==": "=",
    "<>": "<>",
    "!=": "<>",
}
_NEGATE: dict[str, Op] = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "=": "<>", "<>": "="}
_KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN", "IS", "LIKE", "ILIKE", "ANY", "SOME", "ESCAPE"}
_NOW_WORDS = {"CURRENT_DATE", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "CURRENT_TIME", "LOCALTIME"}
_NOW_FUNCS = {"NOW", "CURRENT_TIMESTAMP", "STATEMENT_TIMESTAMP", "TRANSACTION_TIMESTAMP"}
_LENGTH_FUNCS = {"LENGTH", "CHAR_LENGTH", "CHARACTER_LENGTH", "LEN"}


class _Unparsable(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise _Unparsable(text[pos:])
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


# --- parser: SQL text -> a small tree ------------------------------------------------------

Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else ("end", "")

    def word(self, offset: int = 0) -> str:
        kind, value = self.peek(offset)
        return value.upper() if kind == "id" else ""

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok[0] == "end" or (value is not None and tok[1].upper() != value):
            raise _Unparsable(value or "end")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek()[0] != "end":
            raise _Unparsable(self.peek()[1])
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.word() == "OR":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.word() == "AND":
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def not_expr(self) -> Node:
        if self.word() == "NOT":
            self.take()
            return ("not", self.not_expr())
        return self.cmp_expr()

    def cmp_expr(self) -> Node:
        left = self.add_expr()
        kind, value = self.peek()
        if kind == "op" and value in _OPS:
            self.take()
            if self.word() in ("ANY", "SOME"):
                self.take()
                self.take("(")
                array = self.add_expr()
                self.take(")")
                return ("any", _OPS[value], left, array)
            return ("cmp", _OPS[value], left, self.add_expr())
        negated = False
        if self.word() == "NOT" and self.word(1) in ("BETWEEN", "IN", "LIKE", "ILIKE"):
            self.take()
            negated = True
        word = self.word()
        if word == "BETWEEN":
            self.take()
            if self.word() == "SYMMETRIC":
                raise _Unparsable("SYMMETRIC")
            low = self.add_expr()
            self.take("AND")
            return ("between", negated, left, low, self.add_expr())
        if word == "IN":
            self.take()
            self.take("(")
            items = [self.add_expr()]
            while self.peek()[1] == ",":
                self.take()
                items.append(self.add_expr())
            self.take(")")
            return ("in", negated, left, items)
        if word in ("LIKE", "ILIKE"):
            self.take()
            self.add_expr()
            return ("other",)
        if word == "IS":
            self.take()
            is_not = self.word() == "NOT"
            if is_not:
                self.take()
            if self.word() != "NULL":
                raise _Unparsable("IS")
            self.take()
            return ("isnull", is_not, left)
        return left

    def add_expr(self) -> Node:
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-", "*", "/", "%", "||"):
            op = self.take()[1]
            node = ("arith", op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.take()
            inner = self.unary()
            if inner[0] == "const" and isinstance(inner[1], int | Decimal | float):
                return ("const", -inner[1])
            return ("arith", "neg", inner)
        if self.peek() == ("op", "+"):
            self.take()
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while self.peek() == ("op", "::"):
            self.take()
            self.typename()
        return node

    def typename(self) -> None:
        kind, value = self.take()
        if kind not in ("id", "qid"):
            raise _Unparsable(value)
        while True:
            if self.peek()[0] == "id" and self.word() not in _KEYWORDS:
                self.take()
            elif self.peek() == ("op", "(") and self.peek(1)[0] == "num":
                self.take()
                while self.peek()[1] != ")":
                    self.take()
                self.take(")")
            elif self.peek() == ("op", "[") and self.peek(1) == ("op", "]"):
                self.take()
                self.take()
            else:
                return

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            number: int | Decimal = (
                int(value) if value.isdigit() else Decimal(value)  # exact, like SQL NUMERIC
            )
            return ("const", number)
        if kind == "str":
            body = value[value.index("'") + 1 : -1]
            return ("const", body.replace("''", "'"))
        if kind == "qid":
            return ("col", value[1:-1].replace('""', '"'))
        if kind == "op" and value == "(":
            node = self.or_expr()
            self.take(")")
            return node
        if kind != "id":
            raise _Unparsable(value)
        word = value.upper()
        if word in ("TRUE", "FALSE"):
            return ("const", word == "TRUE")
        if word == "NULL":
            return ("const", None)
        if word == "ARRAY" and self.peek() == ("op", "["):
            self.take()
            items = [] if self.peek()[1] == "]" else [self.add_expr()]
            while self.peek()[1] == ",":
                self.take()
                items.append(self.add_expr())
            self.take("]")
            return ("array", items)
        if word in ("DATE", "TIMESTAMP", "TIME") and self.peek()[0] == "str":
            return self.primary()  # DATE '2020-01-01'
        if self.peek() == ("op", "("):
            self.take()
            args: list[Node] = []
            if self.peek()[1] != ")":
                args.append(self.or_expr())
                while self.peek()[1] == ",":
                    self.take()
                    args.append(self.or_expr())
            self.take(")")
            if word in _NOW_FUNCS:
                return ("const", NOW)
            if word in _LENGTH_FUNCS and len(args) == 1 and args[0][0] == "col":
                return ("len", args[0][1])
            return ("other",)
        if word in _NOW_WORDS:
            return ("const", NOW)
        name = value
        while self.peek() == ("op", ".") and self.peek(1)[0] in ("id", "qid"):
            self.take()
            part_kind, part = self.take()
            name = part[1:-1] if part_kind == "qid" else part
        return ("col", name)


# --- tree -> atoms ------------------------------------------------------------------------


def _atoms(node: Node) -> tuple[list[Atom], bool]:
    """The atoms of ``node`` and whether they say all of it."""
    tag = node[0]
    if tag == "and":
        found: list[Atom] = []
        complete = True
        for part in node[1]:
            atoms, whole = _atoms(part)
            found += atoms
            complete = complete and whole
        return found, complete
    if tag == "or":
        rest = [p for p in node[1] if not (p[0] == "isnull" and not p[1] and p[2][0] == "col")]
        if len(rest) == 1 and len(rest) < len(node[1]):
            return _atoms(rest[0])
        return [], False
    if tag == "not":
        inner = node[1]
        if inner[0] == "cmp":
            return _atoms(("cmp", _NEGATE[inner[1]], inner[2], inner[3]))
        if inner[0] == "in":
            return _atoms(("in", not inner[1], inner[2], inner[3]))
        if inner[0] == "isnull":
            return _atoms(("isnull", not inner[1], inner[2]))
        return [], False
    if tag == "cmp":
        return _compare(node[1], node[2], node[3])
    if tag == "between" and not node[1]:
        low, whole_low = _compare(">=", node[2], node[3])
        high, whole_high = _compare("<=", node[2], node[4])
        return low + high, whole_low and whole_high
    if tag in ("in", "any"):
        if tag == "any":
            if node[1] != "=" or node[3][0] != "array":
                return [], False
            negated, subject, items = False, node[2], node[3][1]
        else:
            negated, subject, items = node[1], node[2], node[3]
        if subject[0] != "col" or any(item[0] != "const" for item in items):
            return [], False
        values = tuple(item[1] for item in items)
        if negated:
            return [Bound(subject[1], "<>", v) for v in values], True
        return [Among(subject[1], values)], True
    if tag == "isnull" and node[1] and node[2][0] == "col":
        return [NotNull(node[2][1])], True
    return [], False


def _compare(op: Op, left: Node, right: Node) -> tuple[list[Atom], bool]:
    if left[0] == "const" and right[0] != "const":
        left, right, op = right, left, _FLIP[op]
    if left[0] == "col" and right[0] == "const":
        return [Bound(left[1], op, right[1])], True
    if left[0] == "col" and right[0] == "col" and op != "<>":
        return [Order(left[1], op, right[1])], True
    if left[0] == "len" and right[0] == "const" and isinstance(right[1], int):
        return [Length(left[1], op, right[1])], True
    return [], False


@lru_cache(maxsize=4096)
def parse_check_constraint(text: str) -> ParsedCheckConstraint:
    """What the CHECK constraint ``text`` says, as a conjunction of atoms.

    Never raises: text it cannot read gives ``ParsedCheckConstraint((), complete=False)``.

    Example:
        >>> parse_check_constraint("quantity > 0 AND quantity <= 100").atoms[0]
        Bound(column='quantity', op='>', value=0)
    """
    try:
        tree = _Parser(text).parse()
    except (_Unparsable, ValueError, ArithmeticError):
        return ParsedCheckConstraint((), complete=False)
    atoms, complete = _atoms(tree)
    return ParsedCheckConstraint(tuple(atoms), complete=complete)
