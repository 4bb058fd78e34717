"""SQLite tables reflected once per definition: what reflection reads is a function of the SQL.

SQLite keeps each table's ``CREATE TABLE`` text and each index's ``CREATE
INDEX`` text in ``sqlite_master``; everything a snapshot details of a table
(columns, types, defaults, keys, foreign keys, uniques, checks, indexes) is
read from those texts, by SQLite's pragmas or by SQLAlchemy's parsing of them,
save one thing: a foreign key written without columns refers to the primary
key of the table it names. So a table whose own text, whose indexes' texts and
whose referred tables' texts are those of a table reflected before is that
same table, and :func:`detailed` hands back the earlier reflection instead of
reflecting it again (``check`` snapshots each table it touches several times
between steps that leave it as it was).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

Key = tuple[object, ...]

_MEMO: dict[Key, Any] = {}
"""Tables (:class:`workbench.snapshot.TableSnapshot`) by the texts that define them."""
_LIMIT = 4096

_REFERENCES = re.compile(
    r"""\bREFERENCES\s+(?:"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|'((?:[^']|'')+)'|(\w+))""",
    re.IGNORECASE,
)


def master(conn: Connection, schema: str | None) -> list[tuple[str, str, str, str | None]]:
    """``(type, name, tbl_name, sql)`` of the tables, views and indexes SQLite did not make."""
    table = f'"{schema.replace(chr(34), chr(34) * 2)}".sqlite_master' if schema else "sqlite_master"
    rows = conn.exec_driver_sql(
        f"SELECT type, name, tbl_name, sql FROM {table} WHERE type IN ('table', 'view', 'index') "
        "AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"
    )
    return [(str(t), str(n), str(tn), s) for t, n, tn, s in rows]


def detailed(
    rows: list[tuple[str, str, str, str | None]],
    names: list[str],
    reflect: Callable[[list[str]], Iterable[Any]],
) -> tuple[Any, ...]:
    """The tables ``names`` in detail: remembered where their definition was seen, else ``reflect``.

    ``rows`` are :func:`master`'s, read in the same transaction as ``reflect`` reads.
    """
    tables = {name: sql for kind, name, _, sql in rows if kind == "table"}
    folded = {name.lower(): sql for name, sql in tables.items()}  # SQLite's names ignore case
    indexes: dict[str, list[str]] = {}
    for kind, _, table, sql in rows:
        if kind == "index" and sql is not None:
            indexes.setdefault(table, []).append(sql)
    keys: dict[str, Key] = {}
    for name in names:
        sql = tables.get(name) or ""
        referred = sorted({_referred(match) for match in _REFERENCES.finditer(sql)})
        keys[name] = (
            name,
            sql,
            tuple(sorted(indexes.get(name, ()))),
            tuple((other, folded.get(other.lower())) for other in referred),
        )
    found = {name: _MEMO[keys[name]] for name in names if keys[name] in _MEMO}
    missing = [name for name in names if name not in found]
    if missing:
        if len(_MEMO) > _LIMIT:
            _MEMO.clear()
        for reflected in reflect(missing):
            found[reflected.name] = reflected
            _MEMO[keys[reflected.name]] = reflected
    return tuple(found[name] for name in names if name in found)


def _referred(match: re.Match[str]) -> str:
    double, back, bracket, single, bare = match.groups()
    if double is not None:
        return double.replace('""', '"')
    if single is not None:
        return single.replace("''", "'")
    return str(back or bracket or bare)


def forget() -> None:
    """Drop every remembered table (for tests that compare with a fresh reflection)."""
    _MEMO.clear()
