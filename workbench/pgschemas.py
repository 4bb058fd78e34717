"""Tables in named PostgreSQL schemas: ``MetaData(schema="sales")``, ``{"schema": "sales"}``.

Real PostgreSQL applications keep tables (and enum types) in schemas other
than the default one. Workbench supports them on PostgreSQL, and only there:

* the revision that first needs a schema creates it (``op.create_schema``,
  ``CREATE SCHEMA IF NOT EXISTS``) before anything else, and its downgrade
  drops it last (``op.drop_schema``), when nothing is left in it; a revision
  whose models stop using a schema does the reverse;
* autogenerate compares the model's schemas (and those the history created)
  besides the default one, never the other schemas of the user's database
  (another application's, ``information_schema``);
* the version table stays in the default schema, as Alembic puts it;
* SQLite has no named schemas in one database file: a schema whose models use
  them must be declared PostgreSQL-only (``backends = ["postgresql"]`` in
  ``[tool.workbench.schema.NAME]``), and running it on SQLite is a clear error
  rather than SQLite's "unknown database sales".

Revisions say it in plain Alembic and SQLAlchemy (``op.execute(sa.DDL(...))``),
never importing workbench; :func:`schema_operation` reads that DDL back as
:class:`CreateSchemaOp` and :class:`DropSchemaOp` for the history model, lint
and check.

Nothing here imports Alembic: the operations are Alembic classes, in
:mod:`workbench.pgschemaops`, and ``CreateSchemaOp``/``DropSchemaOp`` are
read from it on first use (``advise`` and ``diagram`` know a model's schemas
without paying for Alembic's import).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from alembic.operations import MigrateOperation
    from sqlalchemy import MetaData

    from workbench.pgschemaops import CreateSchemaOp as CreateSchemaOp
    from workbench.pgschemaops import DropSchemaOp as DropSchemaOp

SNAPSHOT_SCHEMAS = "workbench.pg_schemas"
"""``Connection.info`` key: the named schemas that snapshots of the connection take in."""

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast"})


def model_schemas(metadata: MetaData) -> tuple[str, ...]:
    """The named schemas the models put tables or enum types in, sorted (the default aside)."""
    found: set[str] = set()
    for table in metadata.tables.values():
        if table.schema:
            found.add(table.schema)
        for column in table.columns:
            stored = getattr(column.type, "impl_instance", column.type)
            schema = getattr(stored, "schema", None)
            if isinstance(schema, str) and schema:
                found.add(schema)
    return tuple(sorted(found))


def enum_schemas(metadata: MetaData) -> dict[str, str]:
    """Enum type name to its named schema, for the models' enum types outside the default one."""
    found: dict[str, str] = {}
    for table in metadata.tables.values():
        for column in table.columns:
            stored = getattr(column.type, "impl_instance", column.type)
            name, schema = getattr(stored, "name", None), getattr(stored, "schema", None)
            if isinstance(name, str) and isinstance(schema, str) and name and schema:
                found.setdefault(name, schema)
    return found


def table_schemas(metadata: MetaData) -> dict[str, str | None]:
    """Each table's PostgreSQL schema by its name (``None``: the default schema)."""
    return {t.name: t.schema for t in metadata.tables.values()}


def named_tables(metadata: MetaData) -> list[str]:
    """The qualified names of the tables in named schemas (``sales.orders``), sorted."""
    return sorted(t.fullname for t in metadata.tables.values() if t.schema)


def table_named(metadata: MetaData, name: str) -> Any:
    """Table ``name`` of ``metadata``, by its key (``sales.orders``) or its name (``orders``)."""
    if name in metadata.tables:
        return metadata.tables[name]
    found = [t for t in metadata.tables.values() if t.name == name]
    if len(found) != 1:
        raise KeyError(name)
    return found[0]


def qualified(name: str, schema: str | None) -> str:
    """``schema.name``, or ``name`` in the default schema."""
    return f"{schema}.{name}" if schema else name


def split(name: str) -> tuple[str | None, str]:
    """``sales.orders`` as ``("sales", "orders")``; ``orders`` as ``(None, "orders")``."""
    schema, dot, table = name.rpartition(".")
    return (schema or None, table) if dot else (None, name)


# --- where named schemas can run -----------------------------------------------------------


def _declare_hint(name: str) -> str:
    return (
        f"Declare the schema PostgreSQL-only: [tool.workbench.schema.{name}] backends = "
        '["postgresql"] in pyproject.toml, and give it a PostgreSQL target (--url, '
        "$WORKBENCH_URL, or url = ... in that table). See docs/postgres-schemas.md."
    )


def _what(metadata: MetaData) -> str:
    tables = named_tables(metadata)
    shown = ", ".join(tables[:4]) + (f" and {len(tables) - 4} more" if len(tables) > 4 else "")
    schemas = ", ".join(model_schemas(metadata))
    return f"PostgreSQL schema(s) {schemas}" + (f" ({shown})" if shown else "")


def require_postgresql_only(name: str, metadata: MetaData, backends: Collection[str]) -> None:
    """Refuse a schema whose models use named schemas while it still claims SQLite support.

    SQLite keeps one namespace per database file: ``sales.orders`` there means
    an attached database called ``sales``, which a scratch or target file does
    not have. Findings and proofs for SQLite would be false, so the schema
    must say it runs on PostgreSQL only.
    """
    if "sqlite" in backends and model_schemas(metadata):
        raise WorkbenchError(
            f"schema {name!r} keeps tables in {_what(metadata)}, which SQLite cannot hold "
            "(one SQLite file has no named schemas), yet it is declared to support SQLite.",
            hint=_declare_hint(name),
        )


def refuse_sqlite(name: str, metadata: MetaData, backend: str, doing: str) -> None:
    """A clear error when ``doing`` would run a schema with named schemas on SQLite."""
    if backend == "sqlite" and model_schemas(metadata):
        raise WorkbenchError(
            f"cannot {doing} on SQLite: schema {name!r} keeps tables in {_what(metadata)}, "
            "and a SQLite database has no named schemas; the schema runs on PostgreSQL only.",
            hint=_declare_hint(name),
        )


def mentioned(ops: Iterable[Any]) -> set[str]:
    """The named schemas that Alembic operations (a history's, captured) name."""
    found = {getattr(op, "schema", None) for op in ops}
    return {s for s in found if isinstance(s, str) and s}


def fold_into(connection: Any, schemas: Iterable[str]) -> None:
    """Make snapshots of ``connection`` take in ``schemas`` besides the default one.

    Scratch databases of ``check`` and ``advise`` hold a history's tables in
    its named schemas; their snapshots (and so every proof made from them)
    must see those tables too.
    """
    named = tuple(sorted(set(schemas) - SYSTEM_SCHEMAS))
    if named:
        connection.info[SNAPSHOT_SCHEMAS] = named
    else:
        connection.info.pop(SNAPSHOT_SCHEMAS, None)


def twins(metadata: MetaData, prefix: str) -> dict[str | None, str]:
    """A twin schema name for each of the models' named schemas: ``sales`` -> ``PREFIX__sales``."""
    return {name: f"{prefix}__{name}" for name in model_schemas(metadata)}


def untwinned(found: Any, twins: dict[str | None, str]) -> Any:
    """A snapshot taken of twin schemas, read as if taken of the schemas they stand for.

    Column defaults and CHECK bodies that name a type in a twin schema
    (``'open'::wb_models__sales.order_status``) name it in the original one.
    """
    from dataclasses import replace

    back = {twin: str(name) for name, twin in twins.items() if name is not None}

    def plain(text: str | None) -> str | None:
        if text is None:
            return None
        for twin, name in back.items():
            text = text.replace(f'"{twin}".', f"{name}.").replace(f"{twin}.", f"{name}.")
        return text

    tables = tuple(
        replace(
            t,
            columns=tuple(replace(c, default=plain(c.default)) for c in t.columns),
            checks=tuple(replace(c, sqltext=plain(c.sqltext) or "") for c in t.checks),
        )
        for t in found.tables
    )
    located = tuple((table, back.get(schema, schema)) for table, schema in found.located)
    return replace(found, tables=tables, located=located)


def reflect_named(metadata: MetaData, connection: Any, schemas: Iterable[str]) -> None:
    """Reflect the tables of the named ``schemas`` (those that exist) into ``metadata`` too."""
    if connection.dialect.name != "postgresql":
        return
    for schema in sorted(set(schemas) & existing_schemas(connection)):
        metadata.reflect(connection, schema=schema)


def ensure_schema(connection: Any, schema: str | None, *, commit: bool) -> None:
    """Make schema ``schema`` on PostgreSQL unless it exists (the version table's, configured
    with ``version_table_schema``: Alembic writes its version table before any revision runs)."""
    import sqlalchemy as sa

    if not schema or connection.dialect.name != "postgresql":
        return
    connection.execute(sa.text(create_statement(schema)))
    if commit:
        connection.commit()


def search_named(connection: Any, schemas: Iterable[str]) -> None:
    """Let unqualified table names on ``connection`` find the tables of named ``schemas``.

    For benches that speak of tables by name (advise's proof database): the
    default schema stays first on the search path, the named ones follow.
    Never used where autogenerate reflects (it would read foreign keys to
    those schemas without their schema).
    """
    named = sorted(set(schemas) - SYSTEM_SCHEMAS)
    if connection.dialect.name != "postgresql" or not named:
        return
    current = str(connection.exec_driver_sql("SHOW search_path").scalar())
    extra = ", ".join(_pg_ident(s) for s in named)
    connection.exec_driver_sql(f"SET search_path TO {current}, {extra}")
    connection.commit()


# --- autogenerate --------------------------------------------------------------------------


def compared_schemas(metadata: MetaData, history: Iterable[str] = ()) -> frozenset[str]:
    """The named schemas autogenerate compares: the models' and those the history made."""
    return frozenset(model_schemas(metadata)) | frozenset(history)


def include_name(schemas: Collection[str]) -> Callable[[str | None, str, Any], bool]:
    """An ``include_name`` hook that lets autogenerate see only ``schemas`` and the default one.

    Other schemas of the same database (another application's tables,
    ``information_schema``) are never compared, so ``generate`` never writes
    a ``drop_table`` for something the models do not own.
    """
    allowed = frozenset(schemas) - SYSTEM_SCHEMAS

    def _include(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name is None or name in allowed
        return True

    return _include


def autogenerate_options(metadata: MetaData | None, history: Iterable[str] = ()) -> dict[str, Any]:
    """The ``context.configure`` options for models that use named schemas (none otherwise)."""
    if metadata is None:
        return {}
    schemas = compared_schemas(metadata, history)
    if not schemas:
        return {}
    return {"include_schemas": True, "include_name": include_name(schemas)}


def existing_schemas(connection: Any) -> set[str]:
    """The named schemas of the database behind ``connection`` (PostgreSQL; empty elsewhere)."""
    import sqlalchemy as sa

    if connection is None or connection.dialect.name != "postgresql":
        return set()
    return set(sa.inspect(connection).get_schema_names()) - SYSTEM_SCHEMAS


def schema_lifecycle(
    context: Any, script: Any, metadata: MetaData, history: Iterable[str] = ()
) -> None:
    """Create the schemas a revision's tables need first, and drop the ones no longer used last.

    A schema the models use that the database at the history's head lacks is
    created at the start of the upgrade and dropped at the end of the
    downgrade; a schema the history created that the models no longer use is
    dropped at the end of the upgrade and made again at the start of the
    downgrade. Nothing is added to a revision that has nothing else to do.
    """
    if script.upgrade_ops is None or script.downgrade_ops is None:
        return
    wanted = set(model_schemas(metadata))
    there = existing_schemas(getattr(context, "connection", None))
    made = sorted(wanted - there)
    gone = sorted((set(history) - wanted) & there)
    if not (made or gone):
        return
    from workbench.pgschemaops import CreateSchemaOp as CreateSchemaOp
    from workbench.pgschemaops import DropSchemaOp as DropSchemaOp

    script.upgrade_ops.ops[:0] = [CreateSchemaOp(s) for s in made]
    script.upgrade_ops.ops.extend(DropSchemaOp(s) for s in gone)
    script.downgrade_ops.ops[:0] = [CreateSchemaOp(s) for s in gone]
    script.downgrade_ops.ops.extend(DropSchemaOp(s) for s in made)


# --- statements ----------------------------------------------------------------------------


def _pg_ident(name: str) -> str:
    from sqlalchemy.dialects import postgresql

    preparer = postgresql.dialect().identifier_preparer  # type: ignore[no-untyped-call]
    return str(preparer.quote(name))


def create_statement(schema: str) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {_pg_ident(schema)}"


def drop_statement(schema: str) -> str:
    """A ``DROP SCHEMA`` that leaves a schema still holding anything (another app's tables)."""
    return (
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
        "JOIN pg_catalog.pg_namespace n ON n.oid = d.refobjid "
        "WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass "
        f"AND n.nspname = {_quote(schema)}) THEN DROP SCHEMA IF EXISTS {_pg_ident(schema)}; "
        "END IF; END $$"
    )


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_CREATE = re.compile(
    r"CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>\"(?:[^\"]|\"\")+\"|\w+)", re.I
)
_DROP = re.compile(
    r"(?:DO\s+\$\$.*\bTHEN\s+)?DROP\s+SCHEMA\s+(?:IF\s+EXISTS\s+)?"
    r"(?P<name>\"(?:[^\"]|\"\")+\"|\w+)\s*(?:RESTRICT\s*)?;?(?:\s*END\s+IF\s*;\s*END\s+\$\$)?",
    re.I | re.S,
)


def _unident(text: str) -> str:
    if text.startswith('"'):
        return text[1:-1].replace('""', '"')
    return text.lower()


def schema_operation(operation: Any) -> MigrateOperation | None:
    """The schema operation an ``op.execute`` performs (``CREATE SCHEMA``, ``DROP SCHEMA``).

    Revisions make and drop schemas with plain DDL; reading it back as
    :class:`CreateSchemaOp` and :class:`DropSchemaOp` lets the history model,
    lint and check know what it does (it touches no table's rows).
    """
    import sqlalchemy as sa

    from workbench.pgschemaops import CreateSchemaOp as CreateSchemaOp
    from workbench.pgschemaops import DropSchemaOp as DropSchemaOp

    sqltext = getattr(operation, "sqltext", None)
    if isinstance(sqltext, sa.DDL):
        text = str(sqltext.statement).replace("%%", "%")
    elif isinstance(sqltext, sa.TextClause):
        text = sqltext.text
    elif isinstance(sqltext, str):
        text = sqltext
    else:
        return None
    text = text.strip().rstrip(";").strip()
    hit = _CREATE.fullmatch(text)
    if hit is not None:
        return CreateSchemaOp(_unident(hit.group("name")))
    hit = _DROP.fullmatch(text)
    if hit is not None:
        return DropSchemaOp(_unident(hit.group("name")))
    return None


def __getattr__(name: str) -> Any:
    """``CreateSchemaOp`` and ``DropSchemaOp``, loaded with Alembic on first use."""
    if name in ("CreateSchemaOp", "DropSchemaOp"):
        from workbench import pgschemaops

        return getattr(pgschemaops, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
