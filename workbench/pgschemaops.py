"""``op.create_schema`` and ``op.drop_schema``: the named-schema operations, with Alembic.

:mod:`workbench.pgschemas` knows which PostgreSQL schemas the models and a
history use without importing Alembic (``advise`` and ``diagram`` read models
with no migration to run). The operations themselves are Alembic classes,
registered with ``Operations`` (run) and with autogenerate's renderers (written
into a revision as plain DDL), so they live here and load with Alembic:
:mod:`workbench.envpy` imports this module before any revision runs, and
:mod:`workbench.pgschemas` hands out :class:`CreateSchemaOp` and
:class:`DropSchemaOp` from it on first use.
"""

from __future__ import annotations

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations

from workbench.errors import WorkbenchError
from workbench.pgschemas import create_statement, drop_statement


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_refusal(operations: Operations, schema: str) -> None:
    dialect = operations.get_context().dialect.name
    if dialect != "postgresql":
        raise WorkbenchError(
            f"this revision makes PostgreSQL schema {schema!r}, which {dialect} cannot hold: "
            "the history runs on PostgreSQL only.",
            hint="Run it against PostgreSQL (--url postgresql://...), and declare the schema "
            'PostgreSQL-only: [tool.workbench.schema.NAME] backends = ["postgresql"].',
        )


@Operations.register_operation("create_schema")
class CreateSchemaOp(MigrateOperation):
    """``CREATE SCHEMA IF NOT EXISTS`` (PostgreSQL only)."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    @classmethod
    def create_schema(cls, operations: Operations, schema: str) -> None:
        """Create PostgreSQL schema ``schema`` unless it exists."""
        operations.invoke(cls(schema))

    def reverse(self) -> DropSchemaOp:
        return DropSchemaOp(self.schema)


@Operations.register_operation("drop_schema")
class DropSchemaOp(MigrateOperation):
    """Drop a PostgreSQL schema that holds nothing any more; one that still does is kept."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    @classmethod
    def drop_schema(cls, operations: Operations, schema: str) -> None:
        """Drop PostgreSQL schema ``schema`` if it exists and is empty."""
        operations.invoke(cls(schema))

    def reverse(self) -> CreateSchemaOp:
        return CreateSchemaOp(self.schema)


@Operations.implementation_for(CreateSchemaOp)
def _create_schema(operations: Operations, operation: CreateSchemaOp) -> None:
    import sqlalchemy as sa

    _sqlite_refusal(operations, operation.schema)
    operations.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {_ident(operation.schema)}"))


@Operations.implementation_for(DropSchemaOp)
def _drop_schema(operations: Operations, operation: DropSchemaOp) -> None:
    import sqlalchemy as sa

    _sqlite_refusal(operations, operation.schema)
    context = operations.get_context()
    statement = f"DROP SCHEMA IF EXISTS {_ident(operation.schema)}"
    if context.as_sql:
        operations.execute(sa.text(statement))
        return
    # RESTRICT (the default) refuses a schema that still holds objects: another
    # application's tables, or the user's own made by hand. Those keep it.
    left = (
        operations.get_bind()
        .execute(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
                "JOIN pg_catalog.pg_namespace n ON n.oid = d.refobjid "
                "WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass AND n.nspname = :schema)"
            ),
            {"schema": operation.schema},
        )
        .scalar()
    )
    if not left:
        operations.execute(sa.text(statement))


def _ddl(statement: str) -> str:
    return f"op.execute(sa.DDL({statement.replace('%', '%%')!r}))"


# Revisions are plain Alembic and SQLAlchemy: they never import workbench.


@renderers.dispatch_for(CreateSchemaOp)
def _render_create(autogen_context: AutogenContext, op: CreateSchemaOp) -> list[str]:
    refusal = (
        f"this history keeps tables in PostgreSQL schema {op.schema!r}: it runs on PostgreSQL only"
    )
    return [
        'if op.get_context().dialect.name != "postgresql":',
        f"raise NotImplementedError({refusal!r})",
        "",
        _ddl(create_statement(op.schema)),
    ]


@renderers.dispatch_for(DropSchemaOp)
def _render_drop(autogen_context: AutogenContext, op: DropSchemaOp) -> list[str]:
    return [
        f"# drop schema {op.schema} unless something else (not this history's) is left in it",
        _ddl(drop_statement(op.schema)),
    ]
