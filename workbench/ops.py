"""Enum types, which Alembic itself does not generate: how workbench writes and reads them.

PostgreSQL keeps an enum as a type of its own: it outlives ``drop_table`` and
``drop_column``, ``add_column`` does not create it, and a new member needs
``ALTER TYPE ... ADD VALUE``. Autogenerate in workbench represents those steps
with the operation classes below, and this module does three things with them:

* **writes** them into revisions as plain Alembic and SQLAlchemy code (enum DDL
  through ``op.execute(sa.DDL(...))`` guarded by the dialect's name, CHECK
  updates through batch operations), so a history keeps upgrading and
  downgrading with plain Alembic after workbench is uninstalled;
* **reads** that code back (:func:`enum_operation`): the enum statements a
  revision executes become these operations again when workbench captures the
  revision, so lint, ``check``, the guard, ``diagram`` and ``generate`` know the
  members of every enum at every revision;
* keeps the **compatibility surface** of revisions written by earlier versions
  of workbench, which import this module to register ``op.create_enum_type``,
  ``op.drop_enum_type`` and ``op.sync_enum_values``::

    import workbench.ops  # registers op.create_enum_type, op.drop_enum_type, op.sync_enum_values

    op.sync_enum_values("productstatus", ["draft", "active", "archived"],
                        old_values=["draft", "active"], columns=[("products", "status", None)])

  Those operations keep working as documented (no-ops on backends without enum
  types, except that a column whose enum has a CHECK constraint gets that
  constraint updated); new revisions no longer use them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations
from alembic.operations import ops as alembic_ops

IMPORT_LINE = "import workbench.ops  # registers op.create_enum_type, op.sync_enum_values and co."
"""The import line revisions written by workbench before 0.2 carry (new ones never do)."""

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

    def __init__(
        self,
        name: str,
        values: Sequence[str] = (),
        schema: str | None = None,
        *,
        if_exists: bool = True,
    ) -> None:
        self.name = name
        self.values = list(values)
        self.schema = schema
        self.if_exists = if_exists

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
        *,
        defaults: dict[tuple[str, str], str] | None = None,
        table_schemas: dict[str, str | None] | None = None,
    ) -> None:
        self.name = name
        self.values = list(values)
        self.old_values = list(old_values)
        self.columns: list[ColumnRef] = [(c[0], c[1], c[2]) for c in columns]
        self.schema = schema
        self.defaults = dict(defaults or {})
        """``(table, column)`` to the SQL of its server default, for the columns that have one:
        PostgreSQL cannot move a column with a default onto a new type, so a written
        revision drops the default first and sets it again after."""
        self.table_schemas = dict(table_schemas or {})
        """The PostgreSQL schema of a table of ``columns`` that is not the enum's own (a
        table in the default schema typed with an enum of ``sales``)."""

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
        return SyncEnumValuesOp(
            self.name,
            self.old_values,
            self.values,
            self.columns,
            self.schema,
            defaults=self.defaults,
            table_schemas=self.table_schemas,
        )

    @property
    def only_adds(self) -> bool:
        """Whether the change only inserts members, keeping the old ones in order."""
        kept = [v for v in self.values if v in self.old_values]
        return kept == self.old_values


class AddEnumValueOp(MigrateOperation):
    """``ALTER TYPE ... ADD VALUE``, as read from a revision (see :func:`enum_operation`)."""

    def __init__(
        self,
        name: str,
        value: str,
        *,
        before: str | None = None,
        after: str | None = None,
        schema: str | None = None,
    ) -> None:
        self.name = name
        self.value = value
        self.before = before
        self.after = after
        self.schema = schema

    def members(self, current: Sequence[str]) -> list[str]:
        """The members after the statement, given those before it."""
        if self.value in current:
            return list(current)
        out = list(current)
        anchor = self.before if self.before is not None else self.after
        if anchor is not None and anchor in out:
            out.insert(out.index(anchor) + (0 if self.before is not None else 1), self.value)
        else:
            out.append(self.value)
        return out


class RenameEnumTypeOp(MigrateOperation):
    """``ALTER TYPE ... RENAME TO``, as read from a revision (see :func:`enum_operation`)."""

    def __init__(self, name: str, new_name: str, schema: str | None = None) -> None:
        self.name = name
        self.new_name = new_name
        self.schema = schema


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
    exists = " IF EXISTS" if operation.if_exists else ""
    _execute(operations, f"DROP TYPE{exists} {_qualified(operation.name, operation.schema)}")


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
    for target, column, default in _enum_columns(operations, op, old_name):
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
) -> list[tuple[str, str, str | None]]:  # (table as SQL, column, default expression)
    """The columns typed with the (renamed) old enum, and their defaults.

    Online, the catalog is asked, so columns added by hand are moved too;
    offline (``--sql``), the columns named in the operation are used.
    """
    context = operations.get_context()
    if context.as_sql:
        return [
            (_qualified(str(table), op.table_schemas.get(str(table), op.schema)), str(column), None)
            for table, column, _check in op.columns
        ]
    import sqlalchemy as sa

    rows = context.connection.execute(  # type: ignore[union-attr]
        sa.text(
            # The table as SQL, qualified where the search path does not find it.
            "SELECT c.oid::regclass::text, a.attname, pg_get_expr(d.adbin, d.adrelid) "
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
            # The name is final: the naming convention must not apply to it a second time.
            batch.drop_constraint(batch.f(check), type_="check")
            batch.create_check_constraint(batch.f(check), f"{_ident(column)} IN ({values})")


# --- writing them into revisions, as plain Alembic and SQLAlchemy -------------------------

ON_POSTGRESQL = 'if op.get_context().dialect.name == "postgresql":'
"""The guard of enum DDL in a written revision: other backends have no enum types."""


def _pg_ident(name: str) -> str:
    """``name`` as PostgreSQL reads it, quoted only where it must be (``"Status"``, ``"order"``)."""
    from sqlalchemy.dialects import postgresql

    preparer = postgresql.dialect().identifier_preparer  # type: ignore[no-untyped-call]
    return str(preparer.quote(name))


def _pg_type(name: str, schema: str | None) -> str:
    return f"{_pg_ident(schema)}.{_pg_ident(name)}" if schema else _pg_ident(name)


def _ddl(statement: str) -> str:
    """``op.execute(sa.DDL(...))`` of ``statement``: ``sa.DDL`` runs the text as it is (a
    plain string would be parsed for ``:name`` bind parameters), reading ``%%`` as ``%``."""
    return f"op.execute(sa.DDL({statement.replace('%', '%%')!r}))"


def _members(values: Sequence[str]) -> str:
    return ", ".join(_quote(v) for v in values)


def render_enum_type(
    values: Sequence[str],
    name: str,
    schema: str | None,
    autogen_context: AutogenContext,
    *,
    create_constraint: bool = False,
) -> str:
    """A native enum column type as a revision writes it.

    ``postgresql.ENUM(..., create_type=False)``: the revision creates and drops
    the type itself, where it says so, so ``create_table`` must not create it a
    second time (and SQLAlchemy would otherwise only know that it did through
    state kept by Alembic's runner). On other backends it is SQLAlchemy's
    ``Enum``: a ``VARCHAR``, with a CHECK where ``create_constraint`` says so.
    """
    autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
    args = [repr(v) for v in values] + [f"name={name!r}"]
    if schema:
        args.append(f"schema={schema!r}")
    if create_constraint:
        args.append("create_constraint=True")
    args.append("create_type=False")
    return f"postgresql.ENUM({', '.join(args)})"


@renderers.dispatch_for(CreateEnumTypeOp)
def _render_create(autogen_context: AutogenContext, op: CreateEnumTypeOp) -> list[str]:
    statement = f"CREATE TYPE {_pg_type(op.name, op.schema)} AS ENUM ({_members(op.values)})"
    return [ON_POSTGRESQL, _ddl(statement), ""]


@renderers.dispatch_for(DropEnumTypeOp)
def _render_drop(autogen_context: AutogenContext, op: DropEnumTypeOp) -> list[str]:
    exists = " IF EXISTS" if op.if_exists else ""
    return [ON_POSTGRESQL, _ddl(f"DROP TYPE{exists} {_pg_type(op.name, op.schema)}"), ""]


@renderers.dispatch_for(AddEnumValueOp)
def _render_add_value(autogen_context: AutogenContext, op: AddEnumValueOp) -> list[str]:
    return [ON_POSTGRESQL, _ddl(_add_value(op.name, op.schema, op.value, op.before, op.after)), ""]


@renderers.dispatch_for(RenameEnumTypeOp)
def _render_rename(autogen_context: AutogenContext, op: RenameEnumTypeOp) -> list[str]:
    statement = f"ALTER TYPE {_pg_type(op.name, op.schema)} RENAME TO {_pg_ident(op.new_name)}"
    return [ON_POSTGRESQL, _ddl(statement), ""]


def _add_value(
    name: str, schema: str | None, value: str, before: str | None, after: str | None
) -> str:
    where = f" AFTER {_quote(after)}" if after is not None else ""
    where = f" BEFORE {_quote(before)}" if before is not None else where
    return f"ALTER TYPE {_pg_type(name, schema)} ADD VALUE {_quote(value)}{where}"


@renderers.dispatch_for(SyncEnumValuesOp)
def _render_sync(autogen_context: AutogenContext, op: SyncEnumValuesOp) -> list[str | None]:
    lines: list[str | None] = [ON_POSTGRESQL]
    if op.only_adds:
        # PostgreSQL 12+ runs ADD VALUE inside the revision's transaction.
        for index, value in enumerate(op.values):
            if value in op.old_values:
                continue
            after = op.values[index - 1] if index > 0 else None
            before = op.values[1] if index == 0 and len(op.values) > 1 else None
            lines.append(_ddl(_add_value(op.name, op.schema, value, before, after)))
    else:
        lines.extend(_rebuild_type(autogen_context, op))
    checks = [(table, column, check) for table, column, check in op.columns if check]
    if checks:
        # Elsewhere the members live in the CHECK constraint of each column. It is named
        # as the type names it (the naming convention of env.py's target_metadata applied
        # to the type's name), so the name is given here the same way.
        lines.append("else:")
        schema = f", schema={op.schema!r}" if op.schema else ""
        members = _members(op.values)
        for table, column, check in checks:
            condition = f"{_pg_ident(column)} IN ({members})".replace(":", "\\:")
            lines += [
                f"with op.batch_alter_table({table!r}{schema}, recreate='always') as batch_op:",
                f"batch_op.drop_constraint({check!r}, type_='check')",
                f"batch_op.create_check_constraint({check!r}, sa.text({condition!r}))",
                None,  # the end of the block, without a blank line
            ]
    lines.append("")
    return lines


def _rebuild_type(autogen_context: AutogenContext, op: SyncEnumValuesOp) -> list[str]:
    """PostgreSQL cannot remove or reorder members: make the type again, move the columns."""
    old = f"{op.name}__old"
    type_name = _pg_type(op.name, op.schema)
    new_type = render_enum_type(op.values, op.name, op.schema, autogen_context)
    lines = [
        "# PostgreSQL cannot remove or reorder the members of an enum type: it is made again",
        "# and every column moved onto it. A row holding a removed member fails the cast and",
        "# the revision rolls back: nothing is lost silently.",
        _ddl(f"ALTER TYPE {type_name} RENAME TO {_pg_ident(old)}"),
        _ddl(f"CREATE TYPE {type_name} AS ENUM ({_members(op.values)})"),
    ]
    for table, column, _check in op.columns:
        default = op.defaults.get((table, column))
        where = f"{table!r}, {column!r}"
        table_schema = op.table_schemas.get(table, op.schema)
        schema = f", schema={table_schema!r}" if table_schema else ""
        if default is not None:
            lines.append(f"op.alter_column({where}, server_default=None{schema})")
        using = f"{_pg_ident(column)}::text::{type_name}"
        lines.append(
            f"op.alter_column({where}, type_={new_type}, postgresql_using={using!r}{schema})"
        )
        if default is not None:
            lines.append(f"op.alter_column({where}, server_default=sa.text({default!r}){schema})")
    lines.append(_ddl(f"DROP TYPE {_pg_type(old, op.schema)}"))
    return lines


@renderers.dispatch_for(alembic_ops.RenameTableOp)
def _render_rename_table(autogen_context: AutogenContext, op: alembic_ops.RenameTableOp) -> str:
    # Alembic's autogenerate never writes rename_table itself, so it has no
    # renderer; workbench writes one for a table rename (see workbench.safety).
    schema = f", schema={op.schema!r}" if op.schema else ""
    return f"op.rename_table({op.table_name!r}, {op.new_table_name!r}{schema})"


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


# --- reading them back from revisions ----------------------------------------------------

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_NAME = rf"(?P<name>(?:{_IDENT}\s*\.\s*)?{_IDENT})"
_LIT = r"'(?:[^']|'')*'"
_ENUM_STATEMENTS = {
    "create": re.compile(
        rf"CREATE\s+TYPE\s+{_NAME}\s+AS\s+ENUM\s*\(\s*(?P<values>(?:{_LIT}(?:\s*,\s*{_LIT})*)?)\s*\)",
        re.I,
    ),
    "drop": re.compile(rf"DROP\s+TYPE\s+(?P<exists>IF\s+EXISTS\s+)?{_NAME}(?:\s+RESTRICT)?", re.I),
    "add": re.compile(
        rf"ALTER\s+TYPE\s+{_NAME}\s+ADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<value>{_LIT})"
        rf"(?:\s+(?P<where>BEFORE|AFTER)\s+(?P<anchor>{_LIT}))?",
        re.I,
    ),
    "rename": re.compile(rf"ALTER\s+TYPE\s+{_NAME}\s+RENAME\s+TO\s+(?P<new>{_IDENT})", re.I),
}


def _unident(text: str) -> str:
    text = text.strip()
    if text.startswith('"'):
        return text[1:-1].replace('""', '"')
    return text.lower()  # PostgreSQL folds names it is given unquoted


def _split_name(text: str) -> tuple[str, str | None]:
    parts = re.findall(_IDENT, text)
    if len(parts) == 2:
        return _unident(parts[1]), _unident(parts[0])
    return _unident(parts[0]), None


def _unquote(literal: str) -> str:
    return literal[1:-1].replace("''", "'")


def _statement(sqltext: Any) -> str | None:
    """The SQL text of what ``op.execute`` was given: a string, ``sa.text`` or ``sa.DDL``."""
    import sqlalchemy as sa

    if isinstance(sqltext, str):
        return sqltext
    if isinstance(sqltext, sa.TextClause):
        return re.sub(r"\\:", ":", sqltext.text)
    if isinstance(sqltext, sa.DDL):
        return str(sqltext.statement).replace("%%", "%")
    return None


def enum_operation(operation: Any) -> MigrateOperation | None:
    """The enum operation an ``op.execute`` performs, or ``None`` if it is not one.

    Revisions (workbench's since 0.2, and many written by hand) change enum types
    with DDL: ``CREATE TYPE ... AS ENUM``, ``DROP TYPE``, ``ALTER TYPE ... ADD
    VALUE`` and ``ALTER TYPE ... RENAME TO``, as a string, ``sa.text``,
    ``sa.DDL`` or SQLAlchemy's ``CreateEnumType``/``DropEnumType``. Reading
    them as the operations of this module lets every reader of the history
    follow the members. Anything else, or several statements at once, is not
    read (``None``): the ``op.execute`` stays what it is.
    """
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    sqltext = getattr(operation, "sqltext", None)
    element = getattr(sqltext, "element", None)
    if isinstance(sqltext, postgresql.CreateEnumType) and isinstance(element, sa.Enum):
        return CreateEnumTypeOp(str(element.name), list(element.enums), element.schema)
    if isinstance(sqltext, postgresql.DropEnumType) and isinstance(element, sa.Enum):
        return DropEnumTypeOp(str(element.name), (), element.schema, if_exists=False)
    text = _statement(sqltext)
    if text is None:
        return None
    text = text.strip().rstrip(";").strip()
    for kind, pattern in _ENUM_STATEMENTS.items():
        hit = pattern.fullmatch(text)
        if hit is None:
            continue
        name, schema = _split_name(hit.group("name"))
        if kind == "create":
            values = [_unquote(v) for v in re.findall(_LIT, hit.group("values"))]
            return CreateEnumTypeOp(name, values, schema)
        if kind == "drop":
            return DropEnumTypeOp(name, (), schema, if_exists=bool(hit.group("exists")))
        if kind == "add":
            anchor = hit.group("anchor")
            where = (hit.group("where") or "").upper()
            return AddEnumValueOp(
                name,
                _unquote(hit.group("value")),
                before=_unquote(anchor) if anchor and where == "BEFORE" else None,
                after=_unquote(anchor) if anchor and where == "AFTER" else None,
                schema=schema,
            )
        return RenameEnumTypeOp(name, _unident(hit.group("new")), schema)
    return None
