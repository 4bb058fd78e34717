"""What ``generate`` would write from the models, so that ``--diff head..models`` agrees with it.

A diff between the head revision and the models compares two normalized
models, which can say the same thing differently (a CHECK that Alembic never
compares, an expression index SQLite cannot reflect). ``generate`` is the
authority on what changed: it is run here with a hook that collects the
operations it compares and then discards them, so nothing is written.
"""

from __future__ import annotations

from typing import Any

from workbench.config import Config
from workbench.diagram.views import Pending


def pending_changes(cfg: Config, schema: str) -> Pending:
    """The tables, columns, indexes, constraints and enums ``generate`` would change now.

    Raises:
        WorkbenchError: what ``generate`` raises (the history does not apply, ...).
    """
    from workbench.migrate import generate

    collected: list[Any] = []

    def collect(_context: Any, _revision: Any, directives: list[Any]) -> None:
        if directives and directives[0].upgrade_ops is not None:
            collected.extend(directives[0].upgrade_ops.ops)
        directives[:] = []  # nothing is written

    against = ("sqlite",) if "sqlite" in cfg.backends(schema) else None
    generate(cfg, schema, "workbench diagram --diff", hook=collect, against=against)
    return walk(collected)


def walk(operations: list[Any]) -> Pending:
    """Read Alembic (and workbench's enum) operations into a :class:`Pending`."""
    from alembic.operations import ops

    import workbench.ops as wb_ops

    tables: set[str] = set()
    columns: set[tuple[str, str]] = set()
    items: set[tuple[str, str]] = set()
    foreign_keys: set[str] = set()
    enums: set[str] = set()

    def visit(op: Any, table: str | None) -> None:
        if isinstance(op, ops.ModifyTableOps):
            for inner in op.ops:
                visit(inner, op.table_name)
        elif isinstance(op, (ops.CreateTableOp, ops.DropTableOp)):
            tables.add(op.table_name)
        elif isinstance(op, ops.RenameTableOp):
            tables.update((op.table_name, op.new_table_name))
        elif isinstance(op, ops.AddColumnOp):
            columns.add((op.table_name, op.column.name))
        elif isinstance(op, ops.DropColumnOp):
            columns.add((op.table_name, op.column_name))
        elif isinstance(op, ops.AlterColumnOp):
            columns.add((op.table_name, op.column_name))
            if op.modify_name:
                columns.add((op.table_name, op.modify_name))
        elif isinstance(op, (ops.CreateIndexOp, ops.DropIndexOp)):
            items.add((op.table_name or table or "", str(op.index_name or "")))
        elif isinstance(op, ops.CreateForeignKeyOp):
            foreign_keys.add(op.source_table)
        elif isinstance(op, ops.DropConstraintOp) and op.constraint_type == "foreignkey":
            foreign_keys.add(op.table_name)
        elif isinstance(op, (ops.AddConstraintOp, ops.DropConstraintOp)):
            owner = getattr(op, "table_name", None) or table or ""
            items.add((owner, str(getattr(op, "constraint_name", None) or "")))
        elif isinstance(
            op, (wb_ops.SyncEnumValuesOp, wb_ops.CreateEnumTypeOp, wb_ops.DropEnumTypeOp)
        ):
            enums.add(op.name)

    for operation in operations:
        visit(operation, None)
    return Pending(
        frozenset(tables),
        frozenset(columns),
        frozenset(items),
        frozenset(foreign_keys),
        frozenset(enums),
    )
