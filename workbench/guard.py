"""The destructive-apply guard: measure what revisions destroy, on the target itself.

The guard does not read revisions: it runs them. Under the migration lock and
inside one transaction, it measures what the target holds (:func:`measure`),
lets the pending revisions run, measures again, and compares
(:func:`losses`). The caller commits only when nothing the target held was
destroyed or the user said yes, and rolls back otherwise, so a refused run
changes nothing. Whatever a revision does (``op.get_bind()``, raw
``op.execute("DROP TABLE ...")``, a trigger) is measured like anything else.

What is measured, per table of the target (every user table on SQLite; every
table of every non-system schema on PostgreSQL; Alembic's version table
excluded): the number of rows; per column, the number of non-null values and
an order-independent checksum of the values (a sum of per-value hashes, after
casting a column whose type changed back to its old type). What the target
held is lost when a table or a column is gone and no table or column after the
run holds the same values (a rename or a move is not a loss), when a table has
fewer rows, when a column has fewer non-null values, or when a column's values
no longer read the same.

What it cannot see: values swapped between rows of the same column (the
multiset of values is unchanged); anything outside tables (sequences, views,
functions, large objects, permissions); changes made on another connection
(an ``env.py`` that opens its own engine) or committed by the revision itself
(``autocommit_block``); a hash collision of the checksum.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.config import VERSION_TABLE, is_version_table
from workbench.results import DestructiveChange

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_PG_SYSTEM = ("pg_catalog", "information_schema", "pg_toast")


@dataclass(frozen=True)
class ColumnMeasure:
    """One column: its declared type, how many values it holds, and their checksum."""

    type: str
    values: int
    checksum: int


@dataclass(frozen=True)
class TableMeasure:
    """One table: its rows and its columns."""

    rows: int
    columns: dict[str, ColumnMeasure] = field(default_factory=dict)


@dataclass(frozen=True)
class Measure:
    """What a database holds, table by table (``schema.table`` on PostgreSQL)."""

    tables: dict[str, TableMeasure]


def _quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote_identifier(name))


def _tables(conn: Connection, ignore: str = VERSION_TABLE) -> list[tuple[str | None, str, str]]:
    """The user tables of ``conn``'s database: (schema or None, name, key in a Measure)."""
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        names = [str(r[0]) for r in rows]
        return sorted(
            (None, n, n)
            for n in names
            if n != ignore and not is_version_table(n) and not n.startswith("_alembic_tmp_")
        )
    else:
        rows = conn.execute(
            _text(
                "SELECT n.nspname, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
                "AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'"
            )
        ).fetchall()
        default = conn.exec_driver_sql("SELECT current_schema()").scalar()
        # Tables of the default schema go by their bare names, as the models name them.
        found = [(str(r[0]), str(r[1])) for r in rows]
        return sorted(
            (s, n, n if s == default else f"{s}.{n}")
            for s, n in found
            if n != ignore and not is_version_table(n) and not n.startswith("_alembic_tmp_")
        )


def _text(sql: str) -> Any:
    import sqlalchemy as sa

    return sa.text(sql)


def _run(conn: Connection, sql: str) -> Any:
    """Run ``sql`` whatever its identifiers hold (``%`` and ``:`` are not placeholders here)."""
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql(sql)
    return conn.execute(_text(sql.replace(":", "\\:")))


def _qualified(conn: Connection, schema: str | None, name: str) -> str:
    table = _quote(conn, name)
    return f"{_quote(conn, schema)}.{table}" if schema else table


def holds_data(conn: Connection, *, ignore: str = VERSION_TABLE) -> bool:
    """Whether any user table of ``conn``'s database holds a row: one cheap query.

    A target that holds nothing has nothing to lose, so the guard is skipped
    for it (the common case: an empty database brought to head).
    """
    tables = _tables(conn, ignore)
    if not tables:
        return False
    probes = [
        f"SELECT 1 FROM (SELECT 1 FROM {_qualified(conn, s, n)} LIMIT 1) AS t{i}"
        for i, (s, n, _) in enumerate(tables)
    ]
    # Chunks keep the statement within SQLite's compound-select limit (500).
    for start in range(0, len(probes), 400):
        sql = " UNION ALL ".join(probes[start : start + 400])
        if _run(conn, f"SELECT EXISTS ({sql})").scalar():
            return True
    return False


def _columns(conn: Connection, schema: str | None, name: str) -> list[tuple[str, str]]:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"PRAGMA table_info({_quote(conn, name)})").fetchall()
        return [(str(r[1]), str(r[2] or "").upper()) for r in rows]
    rows = conn.execute(
        _text(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relname = :t AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum"
        ),
        {"s": schema, "t": name},
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _value_hash(value: Any) -> int | None:
    """A stable 32-bit hash of a SQLite value; equal numbers hash alike (1 and 1.0)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    data = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
    return zlib.crc32(data)


def _install_hash(conn: Connection) -> None:
    raw: Any = conn.connection.driver_connection
    raw.create_function("wb_hash", 1, _value_hash, deterministic=True)


def measure(
    conn: Connection,
    *,
    cast_to: Measure | None = None,
    only: Sequence[str] | None = None,
    ignore: str = VERSION_TABLE,
) -> Measure:
    """Count rows, values and value checksums of every user table of ``conn``'s database.

    Args:
        conn: the database; only read.
        cast_to: an earlier measure. A column whose type differs from the one
            it had there is cast back to that type before hashing, so a change
            of representation (``numeric(10,2)`` to ``numeric(12,3)``) does not
            read as a change of values, while a rounding does.
        only: measure just these tables (keys as in :class:`Measure`).
        ignore: the version table's name, when not Alembic's default.
    """
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        _install_hash(conn)
    wanted = set(only) if only is not None else None
    tables: dict[str, TableMeasure] = {}
    for schema, name, key in _tables(conn, ignore):
        if wanted is not None and key not in wanted:
            continue
        columns = _columns(conn, schema, name)
        old = cast_to.tables.get(key) if cast_to is not None else None
        parts = ["count(*)"]
        for column, type_ in columns:
            quoted = _quote(conn, column)
            parts.append(f"count({quoted})")
            if sqlite:
                parts.append(f"coalesce(sum(wb_hash({quoted})), 0)")
                continue
            before = old.columns.get(column) if old is not None else None
            expr = quoted
            if before is not None and before.type != type_:
                expr = f"CAST({quoted} AS {before.type})"
            parts.append(f"coalesce(sum(hashtext(({expr})::text)::bigint), 0)")
        sql = f"SELECT {', '.join(parts)} FROM {_qualified(conn, schema, name)}"
        row = _scalar_row(conn, sql, sqlite=sqlite)
        measured = {
            column: ColumnMeasure(type_, int(row[1 + 2 * i]), int(row[2 + 2 * i]))
            for i, (column, type_) in enumerate(columns)
        }
        tables[key] = TableMeasure(int(row[0]), measured)
    return Measure(tables)


def _scalar_row(conn: Connection, sql: str, *, sqlite: bool) -> Sequence[Any]:
    if sqlite:
        return tuple(_run(conn, sql).one())
    # A failed cast must not abort the migration's transaction: a savepoint.
    nested = conn.begin_nested()
    try:
        row = tuple(_run(conn, sql).one())
    except Exception:
        nested.rollback()
        raise
    nested.commit()
    return row


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def losses(before: Measure, after: Measure, label: str) -> list[DestructiveChange]:
    """What ``before`` held that ``after`` lost, as sentences attributed to ``label``.

    A table or column gone from ``after`` is not lost when another one there
    holds the same values (a rename, or data moved elsewhere).
    """
    changes: list[DestructiveChange] = []
    fingerprints = {
        (c.values, c.checksum)
        for t in after.tables.values()
        for c in t.columns.values()
        if c.values
    }

    def moved(column: ColumnMeasure) -> bool:
        return (column.values, column.checksum) in fingerprints

    def add(description: str, rows: int) -> None:
        changes.append(DestructiveChange(label, description, rows))

    for key, old in before.tables.items():
        new = after.tables.get(key)
        if new is None:
            if old.rows and not all(moved(c) for c in old.columns.values() if c.values):
                add(f"drops table {key} holding {_plural(old.rows, 'row')}", old.rows)
            continue
        if new.rows < old.rows:
            gone = old.rows - new.rows
            add(f"deletes {_plural(gone, 'row')} of table {key} ({old.rows:,} before)", gone)
            continue
        for name, column in old.columns.items():
            now = new.columns.get(name)
            if not column.values:
                continue
            if now is None:
                if not moved(column):
                    add(
                        f"drops column {key}.{name} holding "
                        f"{_plural(column.values, 'non-null value')}",
                        column.values,
                    )
                continue
            if now.values < column.values:
                gone = column.values - now.values
                add(
                    f"sets {_plural(gone, 'value')} of column {key}.{name} to NULL "
                    f"({column.values:,} non-null before)",
                    gone,
                )
            elif now.checksum != column.checksum and now.values == column.values:
                change = f"from {column.type} to {now.type} " if now.type != column.type else ""
                add(
                    f"changes column {key}.{name} {change}so that its "
                    f"{_plural(column.values, 'non-null value')} no longer read the same "
                    "(some were truncated, rounded or rewritten)",
                    column.values,
                )
    return changes


def unmeasurable(label: str, reason: str) -> DestructiveChange:
    """A change the guard could not measure: treated as destructive (it fails closed)."""
    return DestructiveChange(
        label, f"could not be measured ({reason}), so what it destroys is unknown", 0
    )
