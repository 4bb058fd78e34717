"""What workbench adds to Alembic's autogenerate.

Plain autogenerate, pointed at SQLModel models and a SQLite database, writes
revisions that fail or lie: ``sqlmodel.sql.sqltypes.AutoString`` without
``import sqlmodel``; ``server_default=sa.text('0')`` for a boolean (SQLite's
spelling of false, an error on PostgreSQL); downgrades that recreate a dropped
column with the type SQLite reflected (``VARCHAR(12)`` where the history said
``Enum(...)``); PostgreSQL enum types that are never created, dropped or
extended. The hooks here fix each of those, for ``workbench generate`` and for
plain ``alembic revision --autogenerate`` alike (both run the same ``env.py``).

Comparison is against the :class:`~workbench.revisions.HistoryModel` where the
history knows a column, so a SQLite scratch database loses no type detail. The
post-processing orders tables by their foreign keys (:mod:`workbench.fkorder`)
and adds the casts PostgreSQL needs for a type change (:mod:`workbench.pgcasts`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from workbench import pgschemas
from workbench.config import is_version_table
from workbench.errors import WorkbenchError
from workbench.fkorder import add_deferred_foreign_keys, defer_cycle_foreign_keys
from workbench.fkorder import order_by_foreign_keys as order_by_foreign_keys
from workbench.pgcasts import add_postgresql_using, pg_dialect
from workbench.pgcasts import postgresql_using as postgresql_using
from workbench.revisions import HistoryModel, enum_name, impl, leaves, type_ddl
from workbench.snapshot import unwrap

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations.ops import MigrateOperation, MigrationScript
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import Column, MetaData
    from sqlalchemy.types import TypeEngine

Directives = list[Any]
ProcessHook = Callable[["MigrationContext", Any, Directives], None]


def default_sql(default: Any) -> str | None:
    """The SQL text of a server default, normalised for comparison."""
    import sqlalchemy as sa
    from sqlalchemy.sql.elements import ClauseElement

    if default is None:
        return None
    if isinstance(default, (sa.Computed, sa.Identity)):
        return f"<{type(default).__name__}>"
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):
        text = arg
    elif isinstance(arg, ClauseElement):
        try:
            text = str(arg.compile(dialect=pg_dialect(), compile_kwargs={"literal_binds": True}))
        except Exception:  # a default PostgreSQL cannot render: compare its plain text
            text = str(arg)
    else:
        text = str(arg)
    text = unwrap(" ".join(text.split())).strip("'").lower()
    return {"current_timestamp": "now()", "1": "true", "0": "false"}.get(text, text)


def compare_type(history: HistoryModel) -> Callable[..., bool | None]:
    """A ``compare_type`` hook that compares the models with the history's types."""

    def _compare(
        context: MigrationContext,
        inspected_column: Column[Any],
        metadata_column: Column[Any],
        inspected_type: TypeEngine[Any],
        metadata_type: TypeEngine[Any],
    ) -> bool | None:
        known = history.column(metadata_column.table.name, metadata_column.name)
        if known is not None and known.type is not None:
            return type_ddl(known.type) != type_ddl(metadata_type)
        if enum_name(metadata_type) and context.dialect.name != "postgresql":
            # Reflection on SQLite sees VARCHAR; enum members are synced separately.
            return False
        return None

    return _compare


def compare_server_default(history: HistoryModel) -> Callable[..., bool | None]:
    """A ``compare_server_default`` hook that compares the models with the history's defaults."""

    def _compare(
        context: MigrationContext,
        inspected_column: Column[Any],
        metadata_column: Column[Any],
        inspected_default: str | None,
        metadata_default: Any,
        rendered_metadata_default: str | None,
    ) -> bool | None:
        known = history.column(metadata_column.table.name, metadata_column.name)
        if known is None:
            return None
        return default_sql(known.server_default) != default_sql(metadata_column.server_default)

    return _compare


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render types and server defaults so the revision is self-contained and portable."""
    if type_ == "type":
        return _render_type(obj, autogen_context)
    if type_ == "server_default":
        return _render_server_default(obj)
    return False


def _render_type(obj: Any, autogen_context: AutogenContext) -> str | bool:
    import sqlalchemy as sa

    if isinstance(obj, sa.TypeDecorator):
        # A TypeDecorator (sqlmodel's AutoString, UTCDateTime, an app's own) is
        # written as the type it stores on each backend, so the revision never
        # imports app code and means the same when the models change.
        return _render_decorated(obj, autogen_context)
    if isinstance(obj, sa.Enum) and obj.native_enum and obj.name:
        # The revision creates and drops the type itself (see workbench.ops).
        from workbench.ops import render_enum_type

        return render_enum_type(
            list(obj.enums),
            str(obj.name),
            obj.schema,
            autogen_context,
            create_constraint=bool(obj.create_constraint),
        )
    module = type(obj).__module__
    if module.startswith("sqlalchemy.dialects.postgresql") and isinstance(obj, sa.JSON):
        # Alembic spells JSONB's default text type as a bare `Text()` unless it
        # compares on PostgreSQL itself: the revision would raise NameError.
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        null = "none_as_null=True" if obj.none_as_null else ""
        return f"postgresql.{type(obj).__name__}({null})"
    if module.startswith("sqlalchemy"):
        return False
    if module.startswith("_workbench_schema_") or module == "__main__":
        # A revision must never import a schema module: the models change, the
        # revision must keep meaning what it meant when it was written.
        raise WorkbenchError(
            f"type {type(obj).__name__} is defined in a schema module, and a revision cannot "
            "import it.",
            hint="Make it a TypeDecorator (revisions store its underlying type), or move it "
            "to an importable module of your application.",
        )
    autogen_context.imports.add(f"import {module}")
    return f"{module}.{obj!r}"


def _render_decorated(obj: Any, autogen_context: AutogenContext) -> str:
    """A ``TypeDecorator`` as the type it really has on SQLite, with a PostgreSQL variant if
    that differs: a GUID stored as ``CHAR(32)`` and ``UUID`` is
    ``sa.CHAR(length=32).with_variant(sa.UUID(), 'postgresql')``."""
    from alembic.autogenerate.render import _repr_type
    from sqlalchemy.dialects import postgresql, sqlite

    def stored(dialect: Any) -> Any:
        try:
            found = obj.load_dialect_impl(dialect)
        except Exception:
            # A decorator that refuses a dialect: what it wraps is all we know.
            found = obj.impl_instance
        if isinstance(found, type(obj)) or found is obj:
            found = obj.impl_instance
        return _public_type(found)

    def rendered(type_: Any) -> str:
        text = _render_type(type_, autogen_context)
        return text if isinstance(text, str) else str(_repr_type(type_, autogen_context))

    lite = rendered(stored(sqlite.dialect()))
    pg = rendered(stored(postgresql.dialect()))  # type: ignore[no-untyped-call]
    if lite == pg:
        return lite
    return f"{lite}.with_variant({pg}, 'postgresql')"


def _public_type(type_: Any) -> Any:
    """``type_`` as an instance of its nearest public SQLAlchemy class (``PGUuid`` -> ``UUID``).

    Dialects hand back private implementation classes that a revision cannot
    name; the public class they derive from compiles the same way.
    """
    import importlib

    import sqlalchemy.types as sa_types

    for cls in type(type_).__mro__:
        module = cls.__module__
        if module.startswith("sqlalchemy.dialects."):
            package = importlib.import_module(".".join(module.split(".")[:3]))
            public = getattr(package, cls.__name__, None) is cls
        else:
            public = getattr(sa_types, cls.__name__, None) is cls
        if public:
            return type_ if cls is type(type_) else type_.adapt(cls)
        if not module.startswith("sqlalchemy"):
            return type_
    return type_


def _render_server_default(obj: Any) -> str | bool:
    from sqlalchemy.sql import elements, functions

    arg = getattr(obj, "arg", obj)
    if isinstance(arg, elements.True_):
        return "sa.true()"
    if isinstance(arg, elements.False_):
        return "sa.false()"
    if isinstance(arg, functions.FunctionElement) and not list(arg.clauses):
        # func.now() is CURRENT_TIMESTAMP on SQLite and now() on PostgreSQL.
        return f"sa.func.{arg.name}()"
    if isinstance(arg, elements.ClauseElement) and not isinstance(arg, elements.TextClause):
        sql = str(arg.compile(dialect=pg_dialect(), compile_kwargs={"literal_binds": True}))
        return f"sa.text({sql!r})"
    return False


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave Alembic's version table and batch mode's temporary tables alone."""
    if type_ == "table" and name is not None:
        return not is_version_table(name) and not name.startswith("_alembic_tmp_")
    return True


# --- post-processing the generated operations --------------------------------------------


def model_enums(metadata: MetaData) -> dict[str, list[str]]:
    """Native enum types the models use: name to members."""
    found: dict[str, list[str]] = {}
    for table in metadata.sorted_tables:
        for column in table.columns:
            name = enum_name(column.type)
            if name and getattr(impl(column.type), "native_enum", True):
                found.setdefault(name, list(impl(column.type).enums))
    return found


def enum_columns(metadata: MetaData, name: str) -> list[tuple[str, str, str | None]]:
    """The model columns typed with enum ``name``, with the CHECK that spells it out if any."""
    import sqlalchemy as sa

    columns = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if enum_name(column.type) != name:
                continue
            check = None
            for constraint in table.constraints:
                if (
                    isinstance(constraint, sa.CheckConstraint)
                    and getattr(constraint, "_type_bound", False)
                    and column.name in str(constraint.sqltext)
                ):
                    check = str(constraint.name)
            columns.append((table.name, column.name, check))
    return columns


def post_process(metadata: MetaData, history: HistoryModel) -> ProcessHook:
    """A ``process_revision_directives`` hook: exact types in reverse ops, enum lifecycle."""

    def _hook(context: MigrationContext, revision: Any, directives: Directives) -> None:
        if not directives:
            return
        script: MigrationScript = directives[0]
        if script.upgrade_ops is None or script.downgrade_ops is None:
            return
        if context.dialect.name == "sqlite" and context.connection is not None:
            drop_unreflected_uniques(context.connection, script)
        for leaf, table in leaves(script.upgrade_ops.ops):
            _restore_history(leaf, table, history, downgrade=False)
        for leaf, table in leaves(script.downgrade_ops.ops):
            _restore_history(leaf, table, history, downgrade=True)
        for directive in (script.upgrade_ops.ops, script.downgrade_ops.ops):
            for leaf, _table in leaves(directive):
                add_postgresql_using(leaf)
        deferred = defer_cycle_foreign_keys(script.upgrade_ops.ops)
        order_by_foreign_keys(script.upgrade_ops.ops, skip=deferred)
        order_by_foreign_keys(script.downgrade_ops.ops, skip=deferred)
        add_deferred_foreign_keys(script, deferred)
        _enum_lifecycle(script, metadata, history)
        pgschemas.schema_lifecycle(context, script, metadata, history.schemas)

    return _hook


def drop_unreflected_uniques(conn: Any, script: MigrationScript) -> None:
    """Leave out UNIQUE constraints that SQLite has but SQLAlchemy could not reflect.

    SQLAlchemy reads SQLite's UNIQUE constraints back from the ``CREATE TABLE``
    text and misses those over a column whose name holds a quote; autogenerate
    then adds them again at every ``generate``. SQLite's own catalog
    (``PRAGMA index_list``, origin ``u``) says whether the constraint exists.
    """
    from alembic.operations import ops as alembic_ops

    assert script.upgrade_ops is not None and script.downgrade_ops is not None
    phantom: set[str] = set()
    for leaf, table in list(leaves(script.upgrade_ops.ops)):
        if (
            isinstance(leaf, alembic_ops.CreateUniqueConstraintOp)
            and table
            and tuple(leaf.columns) in _sqlite_uniques(conn, table)
        ):
            phantom.add(str(leaf.constraint_name))
    if not phantom:
        return

    def keep(op: Any) -> bool:
        if isinstance(op, alembic_ops.CreateUniqueConstraintOp | alembic_ops.DropConstraintOp):
            return str(op.constraint_name) not in phantom
        return True

    for container in (script.upgrade_ops, script.downgrade_ops):
        for op in container.ops:
            if isinstance(op, alembic_ops.ModifyTableOps):
                op.ops = [o for o in op.ops if keep(o)]
        container.ops = [
            op
            for op in container.ops
            if keep(op) and not (isinstance(op, alembic_ops.ModifyTableOps) and not op.ops)
        ]


def _sqlite_uniques(conn: Any, table: str) -> set[tuple[str, ...]]:
    quoted = '"' + table.replace('"', '""') + '"'
    found = set()
    for row in conn.exec_driver_sql(f"PRAGMA index_list({quoted})").fetchall():
        if row[3] != "u":
            continue
        index = '"' + str(row[1]).replace('"', '""') + '"'
        info = conn.exec_driver_sql(f"PRAGMA index_info({index})").fetchall()
        found.add(tuple(str(r[2]) for r in sorted(info, key=lambda r: r[0])))
    return found


def _restore_history(op: Any, table: str | None, history: HistoryModel, *, downgrade: bool) -> None:
    """Put the history's exact types and defaults back where autogenerate used reflected ones.

    Reflection only feeds what the database already has: the ``existing_*`` of
    an upgrade's ``alter_column``, and in the downgrade the columns recreated
    after a drop and the ``modify_*`` an ``alter_column`` goes back to.
    Columns the models add are unknown to the history and are left alone.
    """
    import sqlalchemy as sa
    from alembic.operations import ops as alembic_ops

    def restore(column: Column[Any], table_name: str) -> None:
        known = history.column(table_name, column.name)
        if known is None:
            return
        if known.type is not None:
            column.type = known.type
        arg = getattr(known.server_default, "arg", known.server_default)
        column.server_default = sa.DefaultClause(arg) if arg is not None else None

    if isinstance(op, alembic_ops.CreateTableOp):
        for column in op.columns:
            if isinstance(column, sa.Column):
                restore(column, op.table_name)
    elif isinstance(op, alembic_ops.AddColumnOp) and table:
        restore(op.column, table)
    elif isinstance(op, alembic_ops.AlterColumnOp) and table:
        known = history.column(table, op.column_name if not downgrade else _old_name(op))
        if known is None:
            return
        if downgrade:
            if op.modify_type is not None and known.type is not None:
                op.modify_type = known.type
            if op.modify_server_default is not False:
                op.modify_server_default = known.server_default
        else:
            if known.type is not None:
                op.existing_type = known.type
            if op.existing_server_default is not None or known.server_default is not None:
                op.existing_server_default = known.server_default


def _old_name(op: Any) -> str:
    # In a downgrade a rename goes back: the history knows the column by its old name.
    return str(op.modify_name or op.column_name)


def _enum_lifecycle(script: MigrationScript, metadata: MetaData, history: HistoryModel) -> None:
    from workbench.ops import CreateEnumTypeOp, DropEnumTypeOp, SyncEnumValuesOp

    before = dict(history.enums)
    after = model_enums(metadata)
    where = {**history.enum_schemas, **pgschemas.enum_schemas(metadata)}
    upgrade_head: list[MigrateOperation] = []
    upgrade_tail: list[MigrateOperation] = []
    downgrade_head: list[MigrateOperation] = []
    downgrade_tail: list[MigrateOperation] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        schema = where.get(name)
        if old is None and new is not None:
            # Created before the tables that use it, dropped after them.
            upgrade_head.append(CreateEnumTypeOp(name, new, schema))
            downgrade_tail.append(DropEnumTypeOp(name, new, schema))
        elif new is None and old is not None:
            upgrade_tail.append(DropEnumTypeOp(name, old, schema))
            downgrade_head.append(CreateEnumTypeOp(name, old, schema))
        elif old is not None and new is not None and old != new:
            sync = SyncEnumValuesOp(
                name,
                new,
                old,
                _sync_columns(metadata, history, name),
                schema,
                defaults=_sync_defaults(history, name),
                table_schemas=pgschemas.table_schemas(metadata),
            )
            upgrade_head.append(sync)
            downgrade_tail.append(sync.reverse())
    assert script.upgrade_ops is not None and script.downgrade_ops is not None
    if script.upgrade_ops.is_empty() and not (upgrade_head or upgrade_tail):
        return
    script.upgrade_ops.ops[:0] = upgrade_head
    script.upgrade_ops.ops.extend(upgrade_tail)
    script.downgrade_ops.ops[:0] = downgrade_head
    script.downgrade_ops.ops.extend(downgrade_tail)


def _sync_columns(
    metadata: MetaData, history: HistoryModel, name: str
) -> list[tuple[str, str, str | None]]:
    """The columns a change of enum ``name``'s members moves: those typed with it before the
    revision (the change runs first in the upgrade and last in the downgrade, when the tables
    are as the history left them).

    The third item is, for a column whose type makes a CHECK constraint on backends
    without enum types (``create_constraint=True``), the name that constraint is made
    with: the type's name, to which the runner's naming convention applies, as it did
    when the type made the constraint.
    """
    modelled = {(t, c) for t, c, check in enum_columns(metadata, name) if check}
    users = history.enum_users(name)
    if not users:  # a history that types its columns with raw SQL: the models' columns
        return [(t, c, name if check else None) for t, c, check in enum_columns(metadata, name)]
    found = []
    for table, column in users:
        state = history.column(table, column)
        if state is not None and state.type is not None:
            constrained = bool(getattr(impl(state.type), "create_constraint", False))
        else:
            constrained = (table, column) in modelled
        found.append((table, column, name if constrained else None))
    return found


def _sync_defaults(history: HistoryModel, name: str) -> dict[tuple[str, str], str]:
    """The server defaults, as SQL, of the columns the history types with enum ``name``."""
    found = {}
    for table, column in history.enum_users(name):
        state = history.column(table, column)
        sql = _default_text(state.server_default) if state is not None else None
        if sql is not None:
            found[(table, column)] = sql
    return found


def _default_text(default: Any) -> str | None:
    """A server default as the SQL a ``SET DEFAULT`` takes."""
    import sqlalchemy as sa
    from sqlalchemy.sql.elements import ClauseElement

    arg = getattr(default, "arg", default)
    if arg is None or isinstance(arg, (sa.Computed, sa.Identity)):
        return None
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    if isinstance(arg, sa.TextClause):
        return str(arg.text)
    if isinstance(arg, ClauseElement):
        return str(arg.compile(dialect=pg_dialect(), compile_kwargs={"literal_binds": True}))
    return None


def is_empty(script: MigrationScript) -> bool:
    return bool(script.upgrade_ops is None or script.upgrade_ops.is_empty())


def describe(op: Any, table: str | None = None) -> str:
    """One human line for an operation, such as ``add column users.bio (TEXT, nullable)``."""
    from alembic.operations import ops as alembic_ops

    if isinstance(op, alembic_ops.ModifyTableOps):
        return "; ".join(describe(o, op.table_name) for o in op.ops)
    table = table or getattr(op, "table_name", None)
    describers = _describers()
    for cls in type(op).__mro__:
        said = describers.get(cls)
        if said is not None:
            return said(op, table)
    return type(op).__name__


Describer = Callable[[Any, str | None], str]


@functools.cache
def _describers() -> dict[type, Describer]:
    """The line of each kind of operation, by its class (looked up along the class's MRO)."""
    from alembic.operations import ops as a

    import workbench.ops as wb

    return {
        a.CreateTableOp: lambda op, t: f"create table {op.table_name}",
        a.DropTableOp: lambda op, t: f"drop table {op.table_name}",
        a.RenameTableOp: lambda op, t: f"rename table {op.table_name} to {op.new_table_name}",
        a.AddColumnOp: _add_column,
        a.DropColumnOp: lambda op, t: f"drop column {t}.{op.column_name}",
        a.AlterColumnOp: _alter_column,
        a.CreateIndexOp: _create_index,
        a.DropIndexOp: lambda op, t: f"drop index {op.index_name} on {op.table_name}",
        a.CreateUniqueConstraintOp: lambda op, t: (
            f"add unique {op.constraint_name} on {op.table_name} ({', '.join(op.columns)})"
        ),
        a.CreateForeignKeyOp: lambda op, t: (
            f"add foreign key {op.constraint_name} {op.source_table} -> {op.referent_table}"
        ),
        a.CreateCheckConstraintOp: lambda op, t: (
            f"add check {op.constraint_name} on {op.table_name}"
        ),
        a.DropConstraintOp: lambda op, t: (
            f"drop constraint {op.constraint_name} on {op.table_name}"
        ),
        wb.CreateEnumTypeOp: lambda op, t: f"create enum type {op.name} ({', '.join(op.values)})",
        wb.DropEnumTypeOp: lambda op, t: f"drop enum type {op.name}",
        wb.AddEnumValueOp: lambda op, t: f"change enum type {op.name}: add {op.value}",
        wb.RenameEnumTypeOp: lambda op, t: f"rename enum type {op.name} to {op.new_name}",
        wb.SyncEnumValuesOp: _sync_enum_values,
        pgschemas.CreateSchemaOp: lambda op, t: f"create schema {op.schema}",
        pgschemas.DropSchemaOp: lambda op, t: f"drop schema {op.schema} (when empty)",
        a.ExecuteSQLOp: lambda op, t: f"execute {clip(' '.join(str(op.sqltext).split()), 60)}",
    }


def _add_column(op: Any, table: str | None) -> str:
    col = op.column
    null = "nullable" if col.nullable else "NOT NULL"
    return f"add column {table}.{col.name} ({type_ddl(col.type)}, {null})"


def _alter_column(op: Any, table: str | None) -> str:
    changes = []
    if op.modify_name:
        changes.append(f"rename to {op.modify_name}")
    if op.modify_type is not None:
        changes.append(f"type {type_ddl(op.existing_type)} -> {type_ddl(op.modify_type)}")
    if op.modify_nullable is not None:
        changes.append("NOT NULL" if not op.modify_nullable else "nullable")
    if op.modify_server_default is not False:
        changes.append(f"server default {default_sql(op.modify_server_default)}")
    return f"alter column {table}.{op.column_name}: {', '.join(changes) or 'no change'}"


def _create_index(op: Any, table: str | None) -> str:
    unique = "unique " if op.unique else ""
    cols = ", ".join(str(getattr(c, "name", c)) for c in op.columns)
    return f"create {unique}index {op.index_name} on {op.table_name} ({cols})"


def _sync_enum_values(op: Any, table: str | None) -> str:
    added = [v for v in op.values if v not in op.old_values]
    removed = [v for v in op.old_values if v not in op.values]
    parts = [
        f"add {', '.join(added)}" if added else "",
        f"remove {', '.join(removed)}" if removed else "",
    ]
    return f"change enum type {op.name}: {'; '.join(p for p in parts if p) or 'reorder'}"


def describe_all(ops: Sequence[Any]) -> list[str]:
    """One line per leaf operation."""
    return [describe(op, table) for op, table in leaves(ops)]


def clip(text: str, size: int) -> str:
    """``text`` cut to about ``size`` characters at a word boundary, marked with ``...``."""
    if len(text) <= size:
        return text
    cut = text.rfind(" ", 0, size + 1)
    return (text[:cut] if cut > size // 2 else text[:size]).rstrip() + " ..."
