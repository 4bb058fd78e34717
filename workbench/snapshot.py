"""A live database's schema as a normalized, comparable value.

:func:`take` reflects a connection's database into a :class:`Snapshot`: its
tables, columns (type as the backend writes it, nullability, server default,
identity), primary keys, foreign keys (with ``ondelete``/``onupdate``), unique
constraints, indexes (columns and expressions in order, uniqueness, partial
``WHERE``), CHECK constraints, PostgreSQL enum types with their values,
sequences and views. Batch mode's leftover ``_alembic_tmp_*`` tables are
ordinary tables here, so they show. Alembic's version table is noted but never
compared: a downgrade to base empties it and leaves it in place.

Two snapshots taken on the same backend are equal exactly when the schemas are
the same; :func:`diff` says how they differ in sentences such as "enum type
productstatus still exists" or "CHECK ck_products_price_nonnegative missing".
Column order is not compared (a table rebuilt by batch mode keeps its columns
but may reorder them, and no query depends on it).

``take(conn, tables=[...])`` reflects only the named tables in detail (plus
the list of all tables, the enum types, sequences and views), which is how
``check`` keeps the cost of a step proportional to what the step touches.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from workbench.config import is_version_table
from workbench.sqltext import balanced, split_top_level, unquote_name
from workbench.sqltext import loose_sql as loose_sql
from workbench.sqltext import normalize_sql as normalize_sql
from workbench.sqltext import unwrap as unwrap

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.engine.reflection import Inspector

    from workbench import pgcatalog


@dataclass(frozen=True)
class ColumnInfo:
    """One column: its type as the backend writes it, nullability and server default."""

    name: str
    type: str
    nullable: bool
    default: str | None = None
    generated: str | None = None
    """Identity or computed-column definition, when the column has one."""


@dataclass(frozen=True)
class ForeignKeyInfo:
    name: str | None
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    ondelete: str | None = None
    onupdate: str | None = None
    deferrable: str | None = None


@dataclass(frozen=True)
class UniqueInfo:
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class IndexInfo:
    name: str | None
    columns: tuple[str, ...]
    """Column names and expressions, in index order."""
    unique: bool
    where: str | None = None
    using: str | None = None


@dataclass(frozen=True)
class CheckInfo:
    name: str | None
    sqltext: str


@dataclass(frozen=True)
class TableSnapshot:
    """One table, every collection sorted so that equality is exact."""

    name: str
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    primary_key_name: str | None = None
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    uniques: tuple[UniqueInfo, ...] = ()
    indexes: tuple[IndexInfo, ...] = ()
    checks: tuple[CheckInfo, ...] = ()

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class EnumInfo:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    """The schema of one database, as reflected at one moment.

    ``table_names`` lists every table; ``tables`` holds the detail of those
    that were reflected (all of them unless :func:`take` was given a subset).
    """

    backend: str
    table_names: tuple[str, ...]
    tables: tuple[TableSnapshot, ...]
    enums: tuple[EnumInfo, ...] = ()
    sequences: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    """PostgreSQL extensions installed in the database (``plpgsql`` aside)."""
    has_version_table: bool = field(default=False, compare=False)
    """Whether Alembic's version table exists; informative, never compared."""
    schemas: tuple[str, ...] = ()
    """The named PostgreSQL schemas taken in that exist (see :func:`fold`)."""
    located: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """``(table, schema)`` of the tables found in named PostgreSQL schemas (see
    :mod:`workbench.pgschemas`); every other table is in the default schema."""

    def schema_of(self, name: str) -> str | None:
        """The named PostgreSQL schema table ``name`` is in (``None``: the default one)."""
        return dict(self.located).get(name)

    def table(self, name: str) -> TableSnapshot | None:
        return next((t for t in self.tables if t.name == name), None)

    def enum(self, name: str) -> EnumInfo | None:
        return next((e for e in self.enums if e.name == name), None)

    @property
    def is_empty(self) -> bool:
        """No tables, enum types, sequences, views or extensions (the version table aside)."""
        return not (
            self.table_names or self.enums or self.sequences or self.views or self.extensions
        )

    def merged(self, newer: Snapshot) -> Snapshot:
        """This snapshot brought up to date with ``newer``, which may detail fewer tables.

        Tables that ``newer`` details replace ours; tables that no longer exist
        go; the others are kept as they were.
        """
        fresh = {t.name for t in newer.tables}
        kept = [t for t in self.tables if t.name in newer.table_names and t.name not in fresh]
        return replace(newer, tables=tuple(sorted([*kept, *newer.tables], key=_by_name)))

    def restricted(self, names: Collection[str]) -> Snapshot:
        """The same snapshot detailing only the tables in ``names``."""
        return replace(self, tables=tuple(t for t in self.tables if t.name in names))

    def referring(self, names: Collection[str]) -> set[str]:
        """The tables with a foreign key to one of ``names``."""
        return {
            t.name for t in self.tables if any(fk.referred_table in names for fk in t.foreign_keys)
        }


def _by_name(item: Any) -> str:
    return str(item.name or "")


# --- reflection ------------------------------------------------------------------------


def take(
    conn: Connection, tables: Iterable[str] | None = None, *, schema: str | None = None
) -> Snapshot:
    """Reflect the database behind ``conn`` into a :class:`Snapshot`.

    Args:
        conn: an open connection; nothing is written.
        tables: detail only these tables (those that exist); ``None`` for all.
        schema: the schema to reflect (a PostgreSQL schema, an attached SQLite
            database); the connection's default one when ``None``.

    Example:
        >>> with db.connect(url) as conn:  # doctest: +SKIP
        ...     before = take(conn)
    """
    if schema is None and folded_schemas(conn):
        return fold(conn, tables, folded_schemas(conn))
    return _take_one(conn, tables, schema)


def _take_one(conn: Connection, tables: Iterable[str] | None, schema: str | None) -> Snapshot:
    import sqlalchemy as sa

    backend = conn.dialect.name
    if tables is not None:
        tables = set(tables)
    catalog = None
    if backend == "postgresql":
        from workbench import pgcatalog

        # One query for the whole snapshot; SQLAlchemy's reflection where it cannot serve.
        catalog = pgcatalog.read(conn, tables, schema)
    inspector = sa.inspect(conn)
    master = None
    if backend == "sqlite":
        from workbench import sqlitememo

        master = sqlitememo.master(conn, schema)
        relations: dict[str, list[str]] = {}
        for kind, name, _, _ in master:
            if kind != "index":
                relations.setdefault(kind, []).append(name)
    else:
        relations = catalog.relations if catalog else _relations(conn, inspector, schema)
    all_names = sorted(relations.get("table", []))
    has_version = any(is_version_table(n) for n in all_names)
    names = [n for n in all_names if not is_version_table(n)]
    wanted = names if tables is None else sorted(set(names) & set(tables))
    detailed: tuple[TableSnapshot, ...] = ()
    if wanted and master is not None:
        # A table reflected before with the same SQL text is that same table.
        detailed = sqlitememo.detailed(
            master, wanted, lambda missing: _tables(conn, inspector, missing, schema, master=master)
        )
    elif wanted:
        detailed = tuple(_tables(conn, inspector, wanted, schema, catalog))
    return Snapshot(
        backend=backend,
        table_names=tuple(names),
        tables=detailed,
        enums=tuple(_enums(inspector, backend, schema, catalog)),
        sequences=tuple(sorted(relations.get("sequence", []))),
        views=tuple(sorted(relations.get("view", []))),
        extensions=tuple(sorted(relations.get("extension", []))),
        has_version_table=has_version,
    )


def fold(
    conn: Connection,
    tables: Iterable[str] | None,
    schemas: Sequence[str],
    *,
    base: str | None = None,
) -> Snapshot:
    """The default schema and the named ``schemas`` as one snapshot, tables by their own names.

    Checks and proofs speak of tables as revisions do (``orders``, with the
    schema a separate argument), so tables of named schemas keep their names;
    a name taken twice is qualified (``sales.orders``).
    """
    wanted = None if tables is None else set(tables)
    first = _take_one(conn, wanted, base)
    parts = [
        (other, _take_one(conn, None if wanted is None else _bare(wanted, other), other))
        for other in schemas
    ]
    taken = set(first.table_names)
    types = {e.name for e in first.enums}
    located: list[tuple[str, str]] = []
    table_names, detailed = list(first.table_names), list(first.tables)
    enums, sequences, views = list(first.enums), list(first.sequences), list(first.views)
    for other, part in parts:
        rename = {n: (f"{other}.{n}" if n in taken else n) for n in part.table_names}
        taken |= set(rename.values())
        table_names += rename.values()
        located += [(new, other) for new in rename.values()]
        detailed += [replace(t, name=rename.get(t.name, t.name)) for t in part.tables]
        enums += [
            replace(e, name=f"{other}.{e.name}" if e.name in types else e.name) for e in part.enums
        ]
        types |= {e.name for e in enums}
        sequences += [f"{other}.{n}" for n in part.sequences]
        views += [f"{other}.{n}" for n in part.views]
    import sqlalchemy as sa

    existing = (
        conn.execute(
            sa.text("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(:names)"),
            {"names": list(schemas)},
        ).scalars()
        if schemas and conn.dialect.name == "postgresql"
        else ()
    )
    return replace(
        first,
        schemas=tuple(sorted(str(n) for n in existing)),
        table_names=tuple(sorted(table_names)),
        tables=tuple(sorted(detailed, key=_by_name)),
        enums=tuple(sorted(enums, key=_by_name)),
        sequences=tuple(sorted(sequences)),
        views=tuple(sorted(views)),
        located=tuple(sorted(located)),
    )


def _bare(names: set[str], schema: str) -> set[str]:
    return {n.removeprefix(f"{schema}.") for n in names}


def folded_schemas(conn: Connection) -> tuple[str, ...]:
    """The named PostgreSQL schemas that snapshots of ``conn`` take in besides the default one."""
    from workbench.pgschemas import SNAPSHOT_SCHEMAS

    if conn.dialect.name != "postgresql":
        return ()
    return tuple(conn.info.get(SNAPSHOT_SCHEMAS, ()))


def _relations(conn: Connection, inspector: Inspector, schema: str | None) -> dict[str, list[str]]:
    """PostgreSQL's tables, views, sequences and extensions, by kind, in one query (where
    :mod:`workbench.pgcatalog` cannot serve)."""
    import sqlalchemy as sa

    found: dict[str, list[str]] = {}
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            sa.text(
                "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = coalesce(:schema, current_schema()) "
                "AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                # Extensions belong to the database: in the same query, so one round trip.
                "UNION ALL SELECT e.extname, 'x' FROM pg_catalog.pg_extension e "
                "WHERE e.extname <> 'plpgsql'"
            ),
            {"schema": schema},
        )
        kinds = {
            "r": "table",
            "p": "table",
            "v": "view",
            "m": "view",
            "S": "sequence",
            "x": "extension",
        }
        for name, kind in rows:
            found.setdefault(kinds[kind], []).append(str(name))
    else:  # pragma: no cover - SQLite's come from sqlitememo.master; no other backend
        found["table"] = inspector.get_table_names(schema=schema)
        found["view"] = inspector.get_view_names(schema=schema)
    return found


def _tables(
    conn: Connection,
    inspector: Inspector,
    names: list[str],
    schema: str | None,
    catalog: pgcatalog.Catalog | None = None,
    master: Sequence[tuple[str, str, str, str | None]] = (),
) -> Iterator[TableSnapshot]:
    """The tables ``names`` in detail; on SQLite, ``master`` is :func:`sqlitememo.master`'s
    rows of the same snapshot (their indexes' SQL is read from there)."""
    import sqlalchemy as sa

    with warnings.catch_warnings():
        # SQLite reflection skips expression indexes with a warning; they are
        # read from sqlite_master below instead.
        warnings.simplefilter("ignore", category=sa.exc.SAWarning)
        # The inspector's answers, or the same shapes read by workbench.pgcatalog.
        columns: Any
        pks: Any
        fks: Any
        uniques: Any
        checks: Any
        found_indexes: Any
        if catalog is not None:
            columns, pks, fks = catalog.columns, catalog.pks, catalog.fks
            uniques, checks, found_indexes = catalog.uniques, catalog.checks, catalog.indexes
        else:
            columns = inspector.get_multi_columns(schema=schema, filter_names=names)
            pks = inspector.get_multi_pk_constraint(schema=schema, filter_names=names)
            fks = inspector.get_multi_foreign_keys(schema=schema, filter_names=names)
            uniques = inspector.get_multi_unique_constraints(schema=schema, filter_names=names)
            checks = inspector.get_multi_check_constraints(schema=schema, filter_names=names)
            found_indexes = (
                {}
                if conn.dialect.name == "sqlite"
                else inspector.get_multi_indexes(schema=schema, filter_names=names)
            )
        indexes = (
            _sqlite_indexes(names, master)
            if conn.dialect.name == "sqlite"
            else {
                name: [_index(ix) for ix in found if not ix.get("duplicates_constraint")]
                for (_, name), found in found_indexes.items()
            }
        )
    for name in names:
        key = (schema, name)
        pk: dict[str, Any] = dict(pks.get(key) or {})
        yield TableSnapshot(
            name=name,
            columns=tuple(sorted((_column(conn, c) for c in columns.get(key, [])), key=_by_name)),
            primary_key=tuple(pk.get("constrained_columns") or ()),
            primary_key_name=pk.get("name") if pk.get("constrained_columns") else None,
            foreign_keys=_sorted(_foreign_key(fk) for fk in fks.get(key, [])),
            uniques=_sorted(
                UniqueInfo(u.get("name"), tuple(u["column_names"])) for u in uniques.get(key, [])
            ),
            indexes=_sorted(indexes.get(name, [])),
            checks=_sorted(
                CheckInfo(c.get("name"), normalize_sql(c["sqltext"])) for c in checks.get(key, [])
            ),
        )


T = TypeVar("T")


def _sorted(items: Iterable[T]) -> tuple[T, ...]:
    return tuple(sorted(items, key=lambda item: (_by_name(item), repr(item))))


def _column(conn: Connection, reflected: Any) -> ColumnInfo:
    type_ = reflected["type"]
    try:
        text = str(type_.compile(dialect=conn.dialect))
    except Exception:  # a reflected type the dialect cannot write back: its repr is stable
        text = repr(type_)
    generated = None
    if reflected.get("identity"):
        identity = reflected["identity"]
        generated = f"identity({'always' if identity.get('always') else 'by default'})"
    elif reflected.get("computed"):
        computed = reflected["computed"]
        generated = f"computed({normalize_sql(str(computed.get('sqltext')))})"
    default = reflected.get("default")
    return ColumnInfo(
        name=reflected["name"],
        type=text,
        nullable=bool(reflected["nullable"]),
        default=normalize_sql(str(default)) if default is not None else None,
        generated=generated,
    )


def _foreign_key(fk: Any) -> ForeignKeyInfo:
    options = fk.get("options") or {}

    def action(key: str) -> str | None:
        value = options.get(key)
        text = " ".join(str(value).upper().split()) if value else None
        return None if text in (None, "NO ACTION") else text

    deferrable = None
    if options.get("deferrable"):
        deferrable = f"deferrable initially {options.get('initially') or 'immediate'}".lower()
    return ForeignKeyInfo(
        name=fk.get("name"),
        columns=tuple(fk["constrained_columns"]),
        referred_table=fk["referred_table"],
        referred_columns=tuple(fk["referred_columns"]),
        ondelete=action("ondelete"),
        onupdate=action("onupdate"),
        deferrable=deferrable,
    )


def _index(ix: Any) -> IndexInfo:
    expressions = ix.get("expressions") or []
    columns = [
        name if name is not None else normalize_sql(str(expressions[i]))
        for i, name in enumerate(ix.get("column_names") or [])
    ]
    options = ix.get("dialect_options") or {}
    where = options.get("postgresql_where")
    using = options.get("postgresql_using")
    return IndexInfo(
        name=ix.get("name"),
        columns=tuple(columns),
        unique=bool(ix.get("unique")),
        where=normalize_sql(str(where)) if where else None,
        using=None if using in (None, "btree") else str(using),
    )


_SQLITE_INDEX = re.compile(
    r"^\s*CREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON\s+\S+?\s*\(",
    re.IGNORECASE | re.DOTALL,
)


def _sqlite_indexes(
    names: list[str], master: Sequence[tuple[str, str, str, str | None]]
) -> dict[str, list[IndexInfo]]:
    """Indexes from the SQL SQLite keeps for them (reflection drops expressions and WHERE)."""
    wanted = set(names)
    found: dict[str, list[IndexInfo]] = {}
    for kind, name, table, sql in master:
        if kind != "index" or sql is None or table not in wanted:
            continue
        match = _SQLITE_INDEX.match(sql)
        if match is None:  # pragma: no cover - SQLite writes back what it was given
            found.setdefault(table, []).append(IndexInfo(name, (normalize_sql(sql),), False))
            continue
        inside, rest = balanced(sql, match.end())
        where = re.sub(r"^\s*WHERE\s+", "", rest, flags=re.IGNORECASE).strip() or None
        found.setdefault(table, []).append(
            IndexInfo(
                name=name,
                columns=tuple(
                    unquote_name(normalize_sql(part)) for part in split_top_level(inside)
                ),
                unique=bool(match.group("unique")),
                where=normalize_sql(where) if where else None,
            )
        )
    return found


def _enums(
    inspector: Inspector,
    backend: str,
    schema: str | None,
    catalog: pgcatalog.Catalog | None = None,
) -> Iterator[EnumInfo]:
    if backend != "postgresql":
        return
    get_enums: Callable[..., list[Any]] = inspector.get_enums  # type: ignore[attr-defined]
    found = catalog.enums if catalog is not None else get_enums(schema=schema)
    for enum in sorted(found, key=lambda e: str(e["name"])):
        yield EnumInfo(str(enum["name"]), tuple(enum["labels"]))


# --- differences in words --------------------------------------------------------------

ASPECTS = frozenset(
    {
        "tables",
        "types",
        "nullable",
        "defaults",
        "columns",
        "primary_keys",
        "foreign_keys",
        "uniques",
        "indexes",
        "checks",
        "enums",
        "sequences",
        "views",
        "extensions",
    }
)
"""What :func:`diff` can be restricted to."""


@dataclass(frozen=True)
class _Words:
    missing: str
    extra: str
    was: str


def diff(
    a: Snapshot,
    b: Snapshot,
    *,
    only: Collection[str] | None = None,
    missing: str = "missing",
    extra: str = "still exists",
    was: str = "was",
    same_check: Callable[[str, str], bool] | None = None,
    same_default: Callable[[str | None, str | None], bool] | None = None,
) -> list[str]:
    """How ``b`` differs from ``a``, one sentence per difference (empty when equal).

    Args:
        a: the expected schema (before an upgrade, or the models').
        b: the schema found.
        only: restrict to these :data:`ASPECTS`; the tables compared in detail
            are then those both snapshots detail.
        missing, extra, was: the words for something of ``a`` absent from
            ``b``, something of ``b`` absent from ``a``, and ``a``'s value.
        same_check, same_default: looser equality for CHECK texts and server
            defaults, for comparing snapshots of different origin.
    """
    aspects = ASPECTS if only is None else frozenset(only)
    unknown = aspects - ASPECTS
    if unknown:
        raise ValueError(f"unknown aspects: {', '.join(sorted(unknown))}")
    words = _Words(missing, extra, was)
    out: list[str] = []
    if "tables" in aspects:
        out += _presence("schema", a.schemas, b.schemas, words)
        out += _presence("table", a.table_names, b.table_names, words)
    for name in sorted({t.name for t in a.tables} & {t.name for t in b.tables}):
        ta, tb = a.table(name), b.table(name)
        assert ta is not None and tb is not None
        out += _table_diff(ta, tb, aspects, words, same_check, same_default)
    if "enums" in aspects:
        ea, eb = {e.name: e for e in a.enums}, {e.name: e for e in b.enums}
        out += _presence("enum type", ea, eb, words)
        for name in sorted(set(ea) & set(eb)):
            if ea[name].values != eb[name].values:
                out.append(
                    f"enum type {name}: values ({', '.join(eb[name].values)}), "
                    f"{was} ({', '.join(ea[name].values)})"
                )
    if "sequences" in aspects:
        out += _presence("sequence", a.sequences, b.sequences, words)
    if "views" in aspects:
        out += _presence("view", a.views, b.views, words)
    if "extensions" in aspects:
        out += _presence("extension", a.extensions, b.extensions, words)
    return out


def _presence(kind: str, a: Iterable[str], b: Iterable[str], words: _Words) -> list[str]:
    sa_, sb = set(a), set(b)
    return [f"{kind} {n} {words.missing}" for n in sorted(sa_ - sb)] + [
        f"{kind} {n} {words.extra}" for n in sorted(sb - sa_)
    ]


def _table_diff(
    a: TableSnapshot,
    b: TableSnapshot,
    aspects: Collection[str],
    words: _Words,
    same_check: Callable[[str, str], bool] | None,
    same_default: Callable[[str | None, str | None], bool] | None,
) -> list[str]:
    out: list[str] = []
    t = a.name
    if "columns" in aspects:
        out += _presence(
            "column",
            [f"{t}.{c}" for c in a.column_names],
            [f"{t}.{c}" for c in b.column_names],
            words,
        )
    for ca in a.columns:
        cb = b.column(ca.name)
        if cb is None:
            continue
        where = f"column {t}.{ca.name}"
        if "types" in aspects and ca.type != cb.type:
            out.append(f"{where}: type {cb.type}, {words.was} {ca.type}")
        if "nullable" in aspects and ca.nullable != cb.nullable:
            out.append(f"{where}: {_null(cb.nullable)}, {words.was} {_null(ca.nullable)}")
        if "defaults" in aspects:
            same = same_default(ca.default, cb.default) if same_default else None
            if same is False or (same is None and ca.default != cb.default):
                out.append(
                    f"{where}: server default {cb.default or 'missing'}, "
                    f"{words.was} {ca.default or 'none'}"
                )
        if "types" in aspects and ca.generated != cb.generated:
            out.append(
                f"{where}: {cb.generated or 'not generated'}, {words.was} "
                f"{ca.generated or 'not generated'}"
            )
    if "primary_keys" in aspects and (a.primary_key, a.primary_key_name) != (
        b.primary_key,
        b.primary_key_name,
    ):
        out.append(
            f"primary key of {t}: {_pk(b)}, {words.was} {_pk(a)}"
            if a.primary_key or b.primary_key
            else f"primary key of {t} differs"
        )
    named: list[tuple[str, str, Callable[[Any], str], Callable[[Any], str]]] = [
        # (aspect, kind, its key when it has no name, the text compared and shown)
        ("foreign_keys", "foreign key", lambda k: f"{t}{_cols(k)} -> {k.referred_table}", _fk_text),
        ("uniques", "unique constraint", lambda u: f"on {t}{_cols(u)}", _cols),
        ("indexes", "index", lambda ix: f"on {t}{_cols(ix)}", _index_text),
        ("checks", "CHECK", lambda c: f"({c.sqltext}) on {t}", lambda c: f"({c.sqltext})"),
    ]
    for aspect, kind, unnamed, text in named:
        if aspect not in aspects:
            continue
        out += _keyed(
            kind,
            getattr(a, aspect),
            getattr(b, aspect),
            _name_or(unnamed),
            text,
            words,
            same=_same_text(same_check) if aspect == "checks" and same_check else None,
        )
    return out


def _null(nullable: bool) -> str:
    return "nullable" if nullable else "NOT NULL"


def _pk(t: TableSnapshot) -> str:
    cols = f"({', '.join(t.primary_key)})" if t.primary_key else "none"
    return f"{t.primary_key_name} {cols}" if t.primary_key_name else cols


def _cols(item: ForeignKeyInfo | UniqueInfo | IndexInfo) -> str:
    return f"({', '.join(item.columns)})"


def _name_or(unnamed: Callable[[Any], str]) -> Callable[[Any], str]:
    def key(item: Any) -> str:
        return str(item.name) if item.name else unnamed(item)

    return key


def _same_text(same: Callable[[str, str], bool]) -> Callable[[CheckInfo, CheckInfo], bool]:
    def compare(a: CheckInfo, b: CheckInfo) -> bool:
        return same(a.sqltext, b.sqltext)

    return compare


def _fk_text(fk: ForeignKeyInfo) -> str:
    text = f"({', '.join(fk.columns)}) -> {fk.referred_table}({', '.join(fk.referred_columns)})"
    for label, value in (("ondelete", fk.ondelete), ("onupdate", fk.onupdate)):
        if value:
            text += f" {label} {value}"
    if fk.deferrable:
        text += f" {fk.deferrable}"
    return text


def _index_text(ix: IndexInfo) -> str:
    text = f"{'unique ' if ix.unique else ''}({', '.join(ix.columns)})"
    if ix.using:
        text += f" using {ix.using}"
    if ix.where:
        text += f" where {ix.where}"
    return text


K = TypeVar("K")


def _keyed(
    kind: str,
    a: Sequence[K],
    b: Sequence[K],
    key: Callable[[K], str],
    text: Callable[[K], str],
    words: _Words,
    same: Callable[[K, K], bool] | None = None,
) -> list[str]:
    ma, mb = {key(x): x for x in a}, {key(x): x for x in b}
    out = [f"{kind} {k} {words.missing}" for k in sorted(set(ma) - set(mb))]
    out += [f"{kind} {k} {words.extra}" for k in sorted(set(mb) - set(ma))]
    for k in sorted(set(ma) & set(mb)):
        xa, xb = ma[k], mb[k]
        equal = same(xa, xb) if same is not None else xa == xb
        if not equal:
            out.append(f"{kind} {k}: {text(xb)}, {words.was} {text(xa)}")
    return out
