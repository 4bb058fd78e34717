"""After seeding: the database itself is asked whether every constraint holds; samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench import db
from workbench.results import IntegrityCheck
from workbench.seed.catalog import Catalog, RawNames

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def integrity_check(conn: Connection, catalog: Catalog, touched: set[str]) -> IntegrityCheck:
    """Foreign keys, unique and check constraints, asked of the database itself."""
    prep = RawNames(conn.dialect)
    problems: list[str] = []
    fks = uniques = checks = 0

    def scalar(sql: str) -> Any:
        with db.driver_cursor(conn) as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
            return row[0] if row else None

    if conn.dialect.name == "sqlite":
        rows = []
        with db.driver_cursor(conn) as cursor:
            for key in sorted(touched):
                if catalog.by_key[key].fks:
                    table = prep.format_table(catalog.by_key[key].table)
                    rows += cursor.execute(f"PRAGMA foreign_key_check({table})").fetchall()
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


def samples(
    conn: Connection, catalog: Catalog, touched: list[str], count: int
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
