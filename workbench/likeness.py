"""What a schema change may mean: a type change that loses values, a rename in disguise.

The writer (``generate``, through :mod:`workbench.safety`) and the readers
(``lint``, ``check``, the guard's prediction in :mod:`workbench.predict`) ask
the same questions here: the broad family of a type (:func:`family`), how a
type is spelled (:func:`type_sql`), why a type change can lose or alter values
(:func:`narrowing`), and which dropped and added columns or tables look like
renames (:func:`column_rename_pairs`, :func:`table_rename_pairs`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from workbench import compat
from workbench.revisions import impl, type_ddl

# --- types -------------------------------------------------------------------------------


def type_sql(type_: Any) -> str:
    """A type as PostgreSQL spells it (``VARCHAR(100)``); ``unknown type`` when not known."""
    return type_ddl(type_) or "unknown type"


def family(type_: Any) -> str | None:
    """The broad kind of a type (``String``, ``Integer``, ``DateTime``...); ``None`` if unknown."""
    affinity = compat.type_affinity(impl(type_)) if type_ is not None else None
    return affinity.__name__ if affinity is not None else None


def _int_rank(type_: Any) -> int:
    import sqlalchemy as sa

    if isinstance(type_, sa.BigInteger):
        return 2
    if isinstance(type_, sa.SmallInteger):
        return 0
    return 1


_WIDENING = {("Integer", "Numeric"), ("Integer", "Float"), ("Date", "DateTime")}


def narrowing(old: Any, new: Any) -> str | None:
    """Why changing a column's type from ``old`` to ``new`` can lose or alter values.

    Returns:
        A short reason (``values longer than 50 characters do not fit``), or
        ``None`` when every value of ``old`` survives as it is. Enum member
        changes are not judged here (lint rule WB107 is about them).
    """
    import sqlalchemy as sa

    if old is None or new is None:
        return None
    o, n = impl(old), impl(new)
    if isinstance(o, sa.Enum) or isinstance(n, sa.Enum) or type_sql(o) == type_sql(n):
        return None
    fo, fn = family(o), family(n)
    if fn == "String":
        length = getattr(n, "length", None)
        before = getattr(o, "length", None) if fo == "String" else None
        if length is not None and (before is None or length < before):
            return f"values longer than {length} characters do not fit"
        return None
    if fo == fn == "Integer":
        return "large integers do not fit" if _int_rank(n) < _int_rank(o) else None
    if fo == fn == "Numeric":
        return _numeric_narrowing(o, n)
    if fo == fn == "DateTime":
        lost = getattr(o, "timezone", False) and not getattr(n, "timezone", False)
        return "the time zone is lost" if lost else None
    if (fo, fn) in _WIDENING:
        return None
    if fo in ("Numeric", "Float") and fn == "Integer":
        return "fractional parts are lost"
    if fo == "DateTime" and fn == "Date":
        return "the time of day is lost"
    return f"{type_sql(o)} values may not convert to {type_sql(n)}"


def _numeric_narrowing(o: Any, n: Any) -> str | None:
    if n.precision is None:
        return None
    if o.precision is None or (n.scale or 0) < (o.scale or 0):
        return "digits are rounded away"
    if n.precision - (n.scale or 0) < o.precision - (o.scale or 0):
        return "large values do not fit"
    return None


# --- what looks like a rename ------------------------------------------------------------


def _tokens(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return {t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t}


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def names_alike(old: str, new: str) -> bool:
    """Two names that share a word (``full_name``, ``display_name``) or most of their letters."""
    return bool(_tokens(old) & _tokens(new)) or _ratio(old, new) >= 0.6


def _pair(
    olds: Iterable[str], news: Iterable[str], score: Callable[[str, str], float | None]
) -> list[tuple[str, str]]:
    """Greedy best-first pairing: each old and each new name is used at most once."""
    scored = []
    for o in olds:
        for n in news:
            s = score(o, n)
            if s is not None:
                scored.append((s, o, n))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_old: set[str] = set()
    used_new: set[str] = set()
    pairs = []
    for _, o, n in scored:
        if o not in used_old and n not in used_new:
            pairs.append((o, n))
            used_old.add(o)
            used_new.add(n)
    return pairs


def column_rename_pairs(
    dropped: Mapping[str, Any], added: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Dropped and added columns of one table that look like renames, as ``(old, new)``.

    A pair looks alike when the types are of one family (both text, both
    integers...; an unknown type matches any) and the names are alike, or
    when it is the table's only dropped and only added column.

    Args:
        dropped: name to type of each dropped column (``None`` when unknown).
        added: name to type of each added column.
    """
    only = len(dropped) == 1 and len(added) == 1

    def score(old: str, new: str) -> float | None:
        fo, fn = family(dropped[old]), family(added[new])
        if fo and fn and fo != fn:
            return None
        if only or names_alike(old, new):
            return _ratio(old, new) + (1.0 if _tokens(old) & _tokens(new) else 0.0)
        return None

    return _pair(dropped, added, score)


def table_rename_pairs(
    dropped: Mapping[str, Collection[str]], created: Mapping[str, Collection[str]]
) -> list[tuple[str, str]]:
    """Dropped and created tables that look like renames: at least half their columns shared.

    Args:
        dropped: name to column names of each dropped table.
        created: name to column names of each created table.
    """

    def score(old: str, new: str) -> float | None:
        a, b = set(dropped[old]), set(created[new])
        shared = len(a & b) / len(a | b) if a | b else 0.0
        return shared if shared >= 0.5 else None

    return _pair(dropped, created, score)
