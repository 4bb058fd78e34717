"""A PostgreSQL schema read from the catalogs in one query, as SQLAlchemy's reflection reads it.

:func:`read` sends one statement per snapshot where SQLAlchemy's inspector
sends about eleven (columns, keys, foreign keys, uniques, checks, indexes,
``pg_am``, ``pg_opclass``, enum and domain types, the list of relations): on a
walk of 150 migration steps that is most of ``check``'s round trips on
PostgreSQL. It returns what :mod:`workbench.snapshot` reads from the inspector,
in the inspector's own shapes (the ``get_multi_*`` dictionaries, keyed by
``(schema, table)``), so that a snapshot is the same whichever reader took it;
column types and foreign keys go through SQLAlchemy's own parsers of the
catalog's text (see :func:`workbench.compat.pg_reflect_type`).

Only what snapshots compare is read (no comments, no opclasses, no sorting).
Tables with a column of a domain type are left to SQLAlchemy (:func:`read`
returns ``None``): their reflection folds the domain's default and nullability into
the column, which this reader does not repeat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench import compat
from workbench.sqltext import strip_outer_parens

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

Key = tuple[str | None, str]

_QUERY = """
WITH ns AS (
    SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = coalesce(:schema, current_schema())
), rel AS (
    SELECT c.oid, c.relname::text AS relname FROM pg_catalog.pg_class c
    WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p')
    AND c.relpersistence <> 't'
    AND (CAST(:names AS text[]) IS NULL OR c.relname = ANY(CAST(:names AS text[])))
), cons AS (
    SELECT rel.relname, con.conname::text AS conname, con.contype::text AS contype,
        con.oid, con.conindid
    FROM rel JOIN pg_catalog.pg_constraint con ON con.conrelid = rel.oid
    WHERE con.contype IN ('p', 'u', 'f', 'c')
)
SELECT
    (SELECT json_agg(json_build_array(c.relname::text, c.relkind::text))
        FROM pg_catalog.pg_class c
        WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v', 'm', 'S')),
    (SELECT json_agg(e.extname::text) FROM pg_catalog.pg_extension e
        WHERE e.extname <> 'plpgsql'),
    (SELECT json_agg(json_build_array(
            t.typname::text, pg_catalog.pg_type_is_visible(t.oid), n.nspname::text,
            (SELECT array_agg(l.enumlabel::text ORDER BY l.enumsortorder)
                FROM pg_catalog.pg_enum l WHERE l.enumtypid = t.oid))
            ORDER BY n.nspname, t.typname)
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype = 'e'),
    EXISTS (SELECT 1 FROM rel JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
        WHERE a.attnum > 0 AND NOT a.attisdropped AND 'd' IN (t.typtype, e.typtype)),
    (SELECT json_agg(json_build_array(
            rel.relname, a.attname::text,
            pg_catalog.format_type(a.atttypid, a.atttypmod),
            CASE WHEN a.atthasdef THEN (
                SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
                WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) END,
            a.attnotnull, a.attgenerated::text, a.attidentity::text,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> (
                SELECT t.typcollation FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid)
            THEN (SELECT json_build_array(co.collname::text,
                    CASE WHEN pg_catalog.pg_collation_is_visible(co.oid) THEN NULL
                    ELSE cn.nspname::text END)
                FROM pg_catalog.pg_collation co
                JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                WHERE co.oid = a.attcollation) END)
            ORDER BY rel.relname, a.attnum)
        FROM rel JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid
        WHERE a.attnum > 0 AND NOT a.attisdropped),
    (SELECT json_agg(json_build_array(
            cons.relname, cons.conname, cons.contype,
            CASE WHEN cons.contype IN ('p', 'u') THEN (
                SELECT array_agg(a.attname::text ORDER BY k.ord)
                FROM pg_catalog.pg_index i,
                    unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attnum = k.attnum
                WHERE i.indexrelid = cons.conindid AND a.attrelid = i.indrelid
                    AND k.ord <= i.indnkeyatts)
            END,
            CASE WHEN cons.contype IN ('f', 'c')
                THEN pg_catalog.pg_get_constraintdef(cons.oid, true) END)
            ORDER BY cons.relname, cons.conname)
        FROM cons),
    (SELECT json_agg(json_build_array(
            rel.relname, ic.relname::text, i.indisunique,
            EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
                WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid
                AND con.contype IN ('p', 'u', 'x')),
            am.amname::text,
            CASE WHEN i.indpred IS NOT NULL
                THEN pg_catalog.pg_get_expr(i.indpred, i.indrelid) END,
            (SELECT json_agg(json_build_array(
                    CASE WHEN k.attnum = 0
                        THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int, true)
                        ELSE (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                            WHERE a.attrelid = i.indrelid AND a.attnum = k.attnum) END,
                    k.attnum = 0) ORDER BY k.ord)
                FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                WHERE k.ord <= i.indnkeyatts))
            ORDER BY rel.relname, ic.relname)
        FROM rel JOIN pg_catalog.pg_index i ON i.indrelid = rel.oid
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_catalog.pg_am am ON am.oid = ic.relam
        WHERE NOT i.indisprimary)
"""

_CHECK = re.compile(r"^CHECK *\((.+)\)( NO INHERIT)?( NOT VALID)?$", re.DOTALL)

_RELKINDS = {"r": "table", "p": "table", "v": "view", "m": "view", "S": "sequence"}


@dataclass
class Catalog:
    """What one query read: the inspector's answers for one schema."""

    relations: dict[str, list[str]]
    """Names by kind: ``table``, ``view``, ``sequence`` and ``extension``."""
    enums: list[dict[str, Any]]
    """The enum types of the schema, as ``Inspector.get_enums`` gives them."""
    columns: dict[Key, list[dict[str, Any]]]
    pks: dict[Key, dict[str, Any]]
    fks: dict[Key, list[dict[str, Any]]]
    uniques: dict[Key, list[dict[str, Any]]]
    checks: dict[Key, list[dict[str, Any]]]
    indexes: dict[Key, list[dict[str, Any]]]


def read(conn: Connection, tables: Iterable[str] | None, schema: str | None) -> Catalog | None:
    """The schema ``schema`` (the connection's current one when ``None``), in one query.

    Tables are detailed when they are in ``tables`` (all when ``None``).
    ``None`` when a column of those tables has a domain type: take those with SQLAlchemy.
    """
    import sqlalchemy as sa

    names = None if tables is None else sorted(set(tables))
    row = conn.execute(sa.text(_QUERY), {"schema": schema, "names": names}).one()
    relations_, extensions, enum_rows, has_domains, column_rows, constraint_rows, index_rows = row
    if has_domains:
        return None
    relations: dict[str, list[str]] = {}
    for name, kind in relations_ or ():
        relations.setdefault(_RELKINDS[kind], []).append(name)
    if extensions:
        relations["extension"] = list(extensions)
    all_enums = [
        {"name": name, "schema": nsp, "visible": visible, "labels": labels or []}
        for name, visible, nsp, labels in enum_rows or ()
    ]
    if schema is None:  # as Inspector.get_enums: the visible ones, pg_catalog's aside
        enums = [e for e in all_enums if e["visible"] and e["schema"] != "pg_catalog"]
    else:
        enums = [e for e in all_enums if e["schema"] == schema]
    by_key: dict[tuple[str, ...], dict[str, Any]] = {
        ((e["name"],) if e["visible"] else (e["schema"], e["name"])): e for e in all_enums
    }
    catalog = Catalog(relations, enums, {}, {}, {}, {}, {}, {})
    for table, *column in column_rows or ():
        catalog.columns.setdefault((schema, table), []).append(
            _column(conn, schema, by_key, *column)
        )
    for table, name, kind, columns, definition in constraint_rows or ():
        key = (schema, table)
        if kind == "p":
            catalog.pks[key] = {"constrained_columns": columns or [], "name": name}
        elif kind == "u":
            catalog.uniques.setdefault(key, []).append(
                {"name": name, "column_names": columns or []}
            )
        elif kind == "f":
            local, referred_table, referred, options = compat.pg_parse_foreign_key(
                conn.dialect, definition
            )
            catalog.fks.setdefault(key, []).append(
                {
                    "name": name,
                    "constrained_columns": local,
                    "referred_table": referred_table,
                    "referred_columns": referred,
                    "options": options,
                }
            )
        else:
            catalog.checks.setdefault(key, []).append({"name": name, "sqltext": _check(definition)})
    for table, name, unique, backs, using, where, elements in index_rows or ():
        catalog.indexes.setdefault((schema, table), []).append(
            _index(name, unique, backs, using, where, elements or [])
        )
    return catalog


def _column(
    conn: Connection,
    schema: str | None,
    enums: dict[tuple[str, ...], dict[str, Any]],
    name: str,
    format_type: str | None,
    default: str | None,
    not_null: bool,
    generated: str | None,
    identity: str | None,
    collation: list[str | None] | None,
) -> dict[str, Any]:
    """One column as ``get_columns`` gives it (what snapshots read of it)."""
    type_ = compat.pg_reflect_type(
        conn.dialect,
        format_type,
        enums,
        f"column '{name}'",
        collation[0] if collation else None,
        collation[1] if collation else None,
    )
    info: dict[str, Any] = {"name": name, "type": type_, "nullable": not not_null}
    if generated not in (None, "", "\x00"):
        info["computed"] = {"sqltext": default, "persisted": generated == "s"}
        default = None
    elif default is not None and schema is not None:
        # As SQLAlchemy does: a sequence named without its schema gets the reflected one.
        match = re.search(r"""(nextval\(')([^']+)('.*$)""", default)
        if match is not None and "." not in match.group(2):
            default = f'{match.group(1)}"{schema}".{match.group(2)}{match.group(3)}'
    info["default"] = default
    if identity in ("a", "d"):
        info["identity"] = {"always": identity == "a"}
    return info


def _check(definition: str) -> str:
    match = _CHECK.match(definition)
    return strip_outer_parens(match.group(1)) if match else ""


def _index(
    name: str,
    unique: bool,
    backs: bool,
    using: str,
    where: str | None,
    elements: list[list[Any]],
) -> dict[str, Any]:
    """One index as ``get_indexes`` gives it (what snapshots read of it)."""
    index: dict[str, Any] = {"name": name, "unique": unique}
    if any(is_expr for _, is_expr in elements):
        index["column_names"] = [None if is_expr else text for text, is_expr in elements]
        index["expressions"] = [text for text, _ in elements]
    else:
        index["column_names"] = [text for text, _ in elements]
    if backs:
        index["duplicates_constraint"] = name
    options: dict[str, Any] = {}
    if using != "btree":
        options["postgresql_using"] = using
    if where:
        options["postgresql_where"] = where
    index["dialect_options"] = options
    return index
