"""What one direction of a revision does to tables and columns, read from its operations.

The walk uses it to scope each step (which tables to snapshot, seed and
measure) and to know where data should survive (a rename keeps rows, a drop
does not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workbench.revisions import Capture

_DML = re.compile(
    r"\b(?:update|delete\s+from|insert\s+into|truncate(?:\s+table)?|alter\s+table"
    r"(?:\s+if\s+exists)?|drop\s+table(?:\s+if\s+exists)?)\s+(?:only\s+)?[\"`\[]?(\w+)",
    re.IGNORECASE,
)


@dataclass
class Effect:
    """What one direction of a revision does to tables and columns."""

    touched: set[str] = field(default_factory=set)
    """Tables the operations name, before and after renames."""
    created: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    renamed: dict[str, str] = field(default_factory=dict)
    """Old table name to new."""
    columns: dict[tuple[str, str], tuple[str, str] | None] = field(default_factory=dict)
    """A column the operations rename or drop: (table, column) before to after, or None."""
    retyped: set[tuple[str, str]] = field(default_factory=set)
    opaque: bool = False
    """Runs SQL or code the workbench cannot read: any table may change."""
    lines: dict[str, int] = field(default_factory=dict)
    """The first line of the revision that touches each table."""
    drop_lines: dict[tuple[str, str | None], int] = field(default_factory=dict)
    """The line that drops a (table, column), or a (table, None)."""

    def after(self, table: str) -> str | None:
        """The name ``table`` has after the step, or None when the step drops it."""
        if table in self.dropped:
            return None
        return self.renamed.get(table, table)

    def column_after(self, table: str, column: str) -> str | None:
        if (table, column) in self.columns:
            moved = self.columns[(table, column)]
            return moved[1] if moved else None
        return column

    @classmethod
    def of(cls, cap: Capture) -> Effect:
        """The effect of one captured direction, following table and column renames.

        One ``isinstance`` chain over the operation classes, kept whole (over 80
        lines) on purpose: it is to be replaced by the shared rename-aware
        walker over captured operations in :mod:`workbench.revisions` (issue 11),
        and one block is easier to port than several helpers.
        """
        from alembic.operations import ops as alembic_ops

        import workbench.ops as wb_ops

        effect = cls(opaque=cap.error is not None and cap.raises is None)
        origin: dict[str, str] = {}  # a table's current name in the step -> its name before
        col_origin: dict[tuple[str, str], str] = {}  # (table before, current column) -> before

        def before(table: str) -> str:
            return origin.get(table, table)

        def note(table: str | None, line: int | None) -> None:
            if table:
                effect.touched.add(table)
                if line is not None:
                    effect.lines.setdefault(before(table), line)

        for captured in cap.ops:
            op: Any = captured.op
            table = (
                captured.batch
                or getattr(op, "table_name", None)
                or getattr(op, "source_table", None)
            )
            note(table, captured.line)
            if isinstance(op, alembic_ops.CreateTableOp):
                effect.created.add(op.table_name)
            elif isinstance(op, alembic_ops.DropTableOp):
                effect.dropped.add(before(op.table_name))
                if captured.line is not None:
                    effect.drop_lines[(before(op.table_name), None)] = captured.line
            elif isinstance(op, alembic_ops.RenameTableOp):
                old = before(op.table_name)
                origin[op.new_table_name] = old
                effect.renamed[old] = op.new_table_name
                note(op.new_table_name, captured.line)
            elif isinstance(op, alembic_ops.DropColumnOp) and table:
                t = before(table)
                col = col_origin.get((t, op.column_name), op.column_name)
                effect.columns[(t, col)] = None
                if captured.line is not None:
                    effect.drop_lines[(t, col)] = captured.line
            elif isinstance(op, alembic_ops.AlterColumnOp) and table:
                t = before(table)
                col = col_origin.get((t, op.column_name), op.column_name)
                if op.modify_type is not None:
                    effect.retyped.add((t, col))
                if op.modify_name:
                    col_origin[(t, op.modify_name)] = col
                    effect.columns[(t, col)] = (t, op.modify_name)
            elif isinstance(op, alembic_ops.ExecuteSQLOp):
                effect.opaque = True
                for match in _DML.finditer(str(op.sqltext)):
                    note(match.group(1), captured.line)
            elif isinstance(op, alembic_ops.BulkInsertOp):
                note(getattr(op.table, "name", None), captured.line)
            elif isinstance(op, wb_ops.SyncEnumValuesOp):
                # On PostgreSQL it moves every column of the type, named here or not.
                effect.opaque = True
                for t, _column, _check in op.columns:
                    note(t, captured.line)
            elif isinstance(op, (wb_ops.CreateEnumTypeOp, wb_ops.DropEnumTypeOp)):
                pass
            elif not isinstance(
                op,
                (
                    alembic_ops.AddColumnOp,
                    alembic_ops.CreateIndexOp,
                    alembic_ops.DropIndexOp,
                    alembic_ops.AddConstraintOp,
                    alembic_ops.DropConstraintOp,
                    alembic_ops.CreateTableCommentOp,
                    alembic_ops.DropTableCommentOp,
                ),
            ):
                effect.opaque = True
        # Renamed tables carry their column moves under their new name too.
        for (t, col), moved in list(effect.columns.items()):
            new_t = effect.renamed.get(t)
            if new_t and moved is not None:
                effect.columns[(t, col)] = (new_t, moved[1])
        return effect
