"""Alembic operations for enum types, which Alembic itself does not generate.

PostgreSQL keeps an enum as a type of its own: it outlives ``drop_table`` and
``drop_column``, ``add_column`` does not create it, and a new member needs
``ALTER TYPE ... ADD VALUE``. Revisions written by workbench say so explicitly
with the operations below, which are no-ops on backends without enum types
(except that a column whose enum has a CHECK constraint gets that constraint
updated). Importing this module registers them on Alembic's ``op``::

    import workbench.ops  # registers op.create_enum_type, op.drop_enum_type, op.sync_enum_values

    op.sync_enum_values("productstatus", ["draft", "active", "archived"],
                        old_values=["draft", "active"], columns=[("products", "status", None)])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations
from alembic.operations import ops as alembic_ops

IMPORT_LINE = "import workbench.ops  # registers op.create_enum_type, op.sync_enum_values and co."

ColumnRef = tuple[str, str, str | None]
"""``(table, column, check constraint name or None)`` of a column that uses an enum."""


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _execute(operations: Operations, statement: str) -> None:
    """Run DDL text as it is: a plain string would be parsed for ``:name`` bind parameters
    (an enum member ``a:b`` became ``NULL``), and ``sa.DDL`` formats ``%``, so it is doubled."""
    import sqlalchemy as sa

    operations.execute(sa.DDL(statement.replace("%", "%%")))  # type: ignore[no-untyped-call]


def _qualified(name: str, schema: str | None) -> str:
    return f"{_ident(schema)}.{_ident(name)}" if schema else _ident(name)


@Operations.register_operation("create_enum_type")
class CreateEnumTypeOp(MigrateOperation):
    """Create an enum type on PostgreSQL; nothing elsewhere."""

    def __init__(self, name: str, values: Sequence[str], schema: str | None = None) -> None:
        self.name = name
        self.values = list(values)
        self.schema = schema

    @classmethod
    def create_enum_type(
        cls, operations: Operations, name: str, values: Sequence[str], schema: str | None = None
    ) -> None:
        """Create enum type ``name`` with ``values`` (PostgreSQL only)."""
        operations.invoke(cls(name, values, schema))

    def reverse(self) -> DropEnumTypeOp:
        return DropEnumTypeOp(self.name, self.values, self.schema)


@Operations.register_operation("drop_enum_type")
class DropEnumTypeOp(MigrateOperation):
    """Drop an enum type on PostgreSQL; nothing elsewhere. ``values`` make it reversible."""

    def __init__(self, name: str, values: Sequence[str] = (), schema: str | None = None) -> None:
        self.name = name
        self.values = list(values)
        self.schema = schema

    @classmethod
    def drop_enum_type(
        cls,
        operations: Operations,
        name: str,
        values: Sequence[str] = (),
        schema: str | None = None,
    ) -> None:
        """Drop enum type ``name`` (PostgreSQL only)."""
        operations.invoke(cls(name, values, schema))

    def reverse(self) -> CreateEnumTypeOp:
        return CreateEnumTypeOp(self.name, self.values, self.schema)


@Operations.register_operation("sync_enum_values")
class SyncEnumValuesOp(MigrateOperation):
    """Change the members of an enum type, and the CHECK constraints that spell them out."""

    def __init__(
        self,
        name: str,
        values: Sequence[str],
        old_values: Sequence[str],
        columns: Sequence[ColumnRef] = (),
        schema: str | None = None,
    ) -> None:
        self.name = name
        self.values = list(values)
        self.old_values = list(old_values)
        self.columns: list[ColumnRef] = [(c[0], c[1], c[2]) for c in columns]
        self.schema = schema

    @classmethod
    def sync_enum_values(
        cls,
        operations: Operations,
        name: str,
        values: Sequence[str],
        old_values: Sequence[str],
        columns: Sequence[ColumnRef] = (),
        schema: str | None = None,
    ) -> None:
        """Make enum ``name`` hold exactly ``values`` (it held ``old_values``)."""
        operations.invoke(cls(name, values, old_values, columns, schema))

    def reverse(self) -> SyncEnumValuesOp:
        return SyncEnumValuesOp(self.name, self.old_values, self.values, self.columns, self.schema)

    @property
    def only_adds(self) -> bool:
        """Whether the change only inserts members, keeping the old ones in order."""
        kept = [v for v in self.values if v in self.old_values]
        return kept == self.old_values


@Operations.implementation_for(CreateEnumTypeOp)
def _create_enum_type(operations: Operations, operation: CreateEnumTypeOp) -> None:
    if operations.get_context().dialect.name != "postgresql":
        return
    values = ", ".join(_quote(v) for v in operation.values)
    _execute(
        operations, f"CREATE TYPE {_qualified(operation.name, operation.schema)} AS ENUM ({values})"
    )
    # SQLAlchemy creates a table's enum types itself unless its DDL runner (here
    # Alembic's impl) remembers them as made; without this note, a following
    # create_table would try CREATE TYPE a second time.
    memo = getattr(operations.impl, "memo", None)
    if isinstance(memo, dict):
        memo.setdefault("pg_enum", set()).add((operation.schema, operation.name))


@Operations.implementation_for(DropEnumTypeOp)
def _drop_enum_type(operations: Operations, operation: DropEnumTypeOp) -> None:
    if operations.get_context().dialect.name != "postgresql":
        return
    _execute(operations, f"DROP TYPE IF EXISTS {_qualified(operation.name, operation.schema)}")


@Operations.implementation_for(SyncEnumValuesOp)
def _sync_enum_values(operations: Operations, operation: SyncEnumValuesOp) -> None:
    if operations.get_context().dialect.name == "postgresql":
        _sync_postgresql(operations, operation)
    else:
        _sync_checks(operations, operation)


def _sync_postgresql(operations: Operations, op: SyncEnumValuesOp) -> None:
    type_name = _qualified(op.name, op.schema)
    if op.only_adds:
        # PostgreSQL 12+ runs ADD VALUE inside the revision's transaction.
        for index, value in enumerate(op.values):
            if value in op.old_values:
                continue
            where = (
                f" AFTER {_quote(op.values[index - 1])}"
                if index > 0
                else (f" BEFORE {_quote(op.values[1])}" if len(op.values) > 1 else "")
            )
            _execute(operations, f"ALTER TYPE {type_name} ADD VALUE {_quote(value)}{where}")
        return
    # Removing or reordering members: build the new type and move every column
    # onto it. A row holding a removed member makes the cast fail, and the
    # revision's transaction is rolled back: nothing is silently lost.
    old_name = f"{op.name}__wb_old"
    old_type = _qualified(old_name, op.schema)
    values = ", ".join(_quote(v) for v in op.values)
    _execute(operations, f"ALTER TYPE {type_name} RENAME TO {_ident(old_name)}")
    _execute(operations, f"CREATE TYPE {type_name} AS ENUM ({values})")
    for table, column, default in _enum_columns(operations, op, old_name):
        target = f"{_qualified(table, op.schema)}"
        col = _ident(column)
        if default is not None:
            _execute(operations, f"ALTER TABLE {target} ALTER COLUMN {col} DROP DEFAULT")
        _execute(
            operations,
            f"ALTER TABLE {target} ALTER COLUMN {col} TYPE {type_name} "
            f"USING {col}::text::{type_name}",
        )
        if default is not None:
            restored = default.replace(f"::{old_name}", f"::{op.name}")
            _execute(operations, f"ALTER TABLE {target} ALTER COLUMN {col} SET DEFAULT {restored}")
    _execute(operations, f"DROP TYPE {old_type}")


def _enum_columns(
    operations: Operations, op: SyncEnumValuesOp, old_name: str
) -> list[tuple[str, str, str | None]]:  # (table, column, default expression)
    """The columns typed with the (renamed) old enum, and their defaults.

    Online, the catalog is asked, so columns added by hand are moved too;
    offline (``--sql``), the columns named in the operation are used.
    """
    context = operations.get_context()
    if context.as_sql:
        return [(str(table), str(column), None) for table, column, _check in op.columns]
    import sqlalchemy as sa

    rows = context.connection.execute(  # type: ignore[union-attr]
        sa.text(
            "SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid) "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace n ON n.oid = t.typnamespace "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE t.typname = :name AND n.nspname = coalesce(:schema, current_schema()) "
            "AND c.relkind = 'r' AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
        ),
        {"name": old_name, "schema": op.schema},
    )
    return [(str(r[0]), str(r[1]), r[2]) for r in rows]


def _sync_checks(operations: Operations, op: SyncEnumValuesOp) -> None:
    values = ", ".join(_quote(v) for v in op.values)
    for table, column, check in op.columns:
        if not check:
            continue
        with operations.batch_alter_table(table, schema=op.schema, recreate="always") as batch:
            batch.drop_constraint(check, type_="check")
            batch.create_check_constraint(check, f"{_ident(column)} IN ({values})")


# --- rendering into revision files -------------------------------------------------------


def _args(*parts: Any) -> str:
    return ", ".join(repr(p) for p in parts)


@renderers.dispatch_for(CreateEnumTypeOp)
def _render_create(autogen_context: AutogenContext, op: CreateEnumTypeOp) -> str:
    autogen_context.imports.add(IMPORT_LINE)
    schema = f", schema={op.schema!r}" if op.schema else ""
    return f"op.create_enum_type({_args(op.name, op.values)}{schema})"


@renderers.dispatch_for(DropEnumTypeOp)
def _render_drop(autogen_context: AutogenContext, op: DropEnumTypeOp) -> str:
    autogen_context.imports.add(IMPORT_LINE)
    schema = f", schema={op.schema!r}" if op.schema else ""
    return f"op.drop_enum_type({_args(op.name, op.values)}{schema})"


@renderers.dispatch_for(alembic_ops.RenameTableOp)
def _render_rename_table(autogen_context: AutogenContext, op: alembic_ops.RenameTableOp) -> str:
    # Alembic's autogenerate never writes rename_table itself, so it has no
    # renderer; workbench writes one for a table rename (see workbench.safety).
    schema = f", schema={op.schema!r}" if op.schema else ""
    return f"op.rename_table({op.table_name!r}, {op.new_table_name!r}{schema})"


@renderers.dispatch_for(SyncEnumValuesOp)
def _render_sync(autogen_context: AutogenContext, op: SyncEnumValuesOp) -> str:
    autogen_context.imports.add(IMPORT_LINE)
    schema = f", schema={op.schema!r}" if op.schema else ""
    return (
        f"op.sync_enum_values({op.name!r}, {op.values!r}, old_values={op.old_values!r}, "
        f"columns={op.columns!r}{schema})"
    )


_render_alter_column_plain = renderers.dispatch(alembic_ops.AlterColumnOp("t", "c"))


@renderers.dispatch_for(alembic_ops.AlterColumnOp, replace=True)
def _render_alter_column(autogen_context: AutogenContext, op: alembic_ops.AlterColumnOp) -> str:
    # Alembic's renderer drops dialect options; a type change PostgreSQL cannot
    # cast by itself carries postgresql_using (see workbench.autogen).
    text = str(_render_alter_column_plain(autogen_context, op))
    using = op.kw.get("postgresql_using")
    if using and text.endswith(")") and "postgresql_using=" not in text:
        text = f"{text[:-1]},\n               postgresql_using={using!r})"
    return text
