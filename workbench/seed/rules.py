"""What values a column may take: its type, its CHECK constraints, and what is realistic.

Pure helpers of the planner: the raw range of a column (:func:`bounds`), the
values a CHECK or an enum lists (:func:`choices_for`), constants in the
column's raw form (:func:`raw_value`), the column a timestamp follows
(:func:`natural_partner`) and the order slots must run in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from workbench.seed import values as V
from workbench.seed.catalog import ColumnSpec, TableSpec
from workbench.seed.constraints import (
    NOW,
    Among,
    Bound,
    Length,
    Order,
)
from workbench.seed.slots import After, Domain, Slot

if TYPE_CHECKING:
    pass


def people_columns(info: TableSpec, fill_defaults: bool) -> tuple[str, ...]:
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


def within(domains: list[Domain], values: tuple[Any, ...]) -> bool:
    """Whether a tuple already in the table is one the domains could make (so it is taken)."""
    position = 0
    for domain in domains:
        width = len(domain.columns)
        part = values[position : position + width]
        position += width
        if not domain.holds(part[0] if width == 1 else tuple(part)):
            return False
    return True


def chooser(pool: Sequence[Any]) -> Callable[[Sequence[int]], list[Any]]:
    return lambda idx: [pool[i] for i in idx]


def in_dependency_order(slots: list[Slot]) -> list[Slot]:
    made: set[str] = set()
    out: list[Slot] = []
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
            if isinstance(slot, After):
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


def natural_partner(name: str, cols: Mapping[str, ColumnSpec]) -> str | None:
    """The column a date-like column naturally follows: ``updated_at`` follows ``created_at``."""
    lowered = name.lower()
    for pattern, stems in _PARTNERS:
        if pattern.match(lowered):
            for other in cols:
                low = other.lower()
                if other != name and any(low == s or low.startswith(s + "_") for s in stems):
                    return other
    return None


def about(atom: Any, name: str) -> bool:
    return not isinstance(atom, Order) and atom.column == name


def length_min(atom: Length) -> int:
    return {">": atom.value + 1, ">=": atom.value, "=": atom.value}.get(atom.op, 0)


def length_max(atom: Length) -> int:
    return {"<": atom.value - 1, "<=": atom.value, "=": atom.value}.get(atom.op, 10**9)


def raw_value(col: ColumnSpec, value: Any) -> Any:
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


def choices_for(info: TableSpec, col: ColumnSpec) -> list[Any] | None:
    """The values a column may take when a CHECK (``IN``, ``=``) or its enum type lists them."""
    if col.kind == "python":  # the models chose: a list is the domain, anything else is not one
        return list(col.generator) if isinstance(col.generator, list) else None
    allowed: list[Any] | None = list(col.enum) if col.enum is not None else None
    for check in info.checks:
        for atom in check.atoms:
            if isinstance(atom, Among) and atom.column == col.name:
                listed = [v for v in atom.values if v is not None]
                if col.kind == "bool":
                    return None
                try:
                    listed = [raw_value(col, v) for v in listed]
                except (ValueError, ArithmeticError):
                    continue
                allowed = listed if allowed is None else [v for v in allowed if v in listed]
            elif isinstance(atom, Bound) and atom.column == col.name and atom.op == "=":
                if col.kind == "bool":
                    return None
                try:
                    allowed = [raw_value(col, atom.value)]
                except (ValueError, ArithmeticError):
                    continue
    if allowed is None:
        return None
    low, high = bounds(info, col, realistic=False) if col.kind in _ORDERED else (None, None)
    if low is not None:
        allowed = [v for v in allowed if low <= v <= high]
    if col.kind == "numeric":
        allowed = [int(v) for v in allowed if v == int(v)]
    excluded = {
        raw_value(col, a.value)
        for check in info.checks
        for a in check.atoms
        if isinstance(a, Bound) and a.column == col.name and a.op == "<>"
    }
    return [v for v in dict.fromkeys(allowed) if v not in excluded]


_ORDERED = ("int", "numeric", "float", "date", "datetime", "time")


def bounds(info: TableSpec, col: ColumnSpec, *, realistic: bool = True) -> tuple[Any, Any]:
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
                value = raw_value(col, atom.value)
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
    real_low, real_high = realistic_range(col)
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


def realistic_range(col: ColumnSpec) -> tuple[Any, Any]:
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


def capacity_reason(info: TableSpec, domains: list[Domain]) -> str:
    parts = " x ".join(f"{d.size} ({', '.join(d.columns)})" for d in domains)
    cols = ", ".join(c for d in domains for c in d.columns)
    return f"({cols}) must be unique and there are only {parts} possible values"


def capacity_hint(info: TableSpec, domains: list[Domain]) -> str:
    limit = math.prod(d.size for d in domains)
    parents = [
        fk.parent_table.name
        for fk in info.fks
        if fk.parent_table is not None and any(fk.columns == d.columns for d in domains)
    ]
    more = f", or seed more rows of {' and '.join(parents)}" if parents else ""
    return f"Ask for at most {limit} rows (--rows {info.name}={limit}){more}."
