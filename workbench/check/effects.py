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
from workbench.walker import Dispatch, Names, Step, walk

_DML = re.compile(
    r"\b(?:update|delete\s+from|insert\s+into|truncate(?:\s+table)?|alter\s+table"
    r"(?:\s+if\s+exists)?|drop\s+table(?:\s+if\s+exists)?)\s+(?:only\s+)?[\"`\[]?(\w+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Retype:
    """A column whose type the operations change, named as before the step."""

    table: str
    column: str
    new: Any
    existing: Any
    """The operation's ``existing_type``, when it says it."""
    using: str | None
    """The operation's ``postgresql_using``."""
    line: int | None


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
    retypes: list[Retype] = field(default_factory=list)
    """Each type change, in the order of the operations."""
    opaque: bool = False
    """Runs SQL or code the workbench cannot read: any table may change."""
    lines: dict[str, int] = field(default_factory=dict)
    """The first line of the revision that touches each table."""
    drop_lines: dict[tuple[str, str | None], int] = field(default_factory=dict)
    """The line that drops a (table, column), or a (table, None)."""
    deletes: set[str] = field(default_factory=set)
    """Tables a statement of the revision deletes rows from (``DELETE FROM``, ``TRUNCATE``)."""
    shaped: set[str] = field(default_factory=set)
    """Tables an operation other than SQL text names (a column, a constraint, an index...)."""

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
        """The effect of one captured direction, following table and column renames
        (through the one operation walker, :mod:`workbench.walker`)."""
        effect = cls(opaque=cap.error is not None and cap.raises is None)
        reading = _Reading(effect)
        walk(cap.ops, _EFFECTS, reading, reading.names)
        # Renamed tables carry their column moves under their new name too.
        for (t, col), moved in list(effect.columns.items()):
            new_t = effect.renamed.get(t)
            if new_t and moved is not None:
                effect.columns[(t, col)] = (new_t, moved[1])
        return effect


@dataclass
class _Reading:
    """An effect being read, and the renames followed so far."""

    effect: Effect
    names: Names = field(default_factory=Names)

    def note(self, table: str | None, line: int | None) -> None:
        if table:
            self.effect.touched.add(table)
            if line is not None:
                self.effect.lines.setdefault(self.names.table(table), line)


class _Noting(Dispatch[_Reading]):
    """Every operation touches the table it names, whatever its handler does."""

    def __call__(self, state: _Reading, step: Step) -> None:
        state.note(step.table, step.line)
        if step.table and type(step.op).__name__ != "ExecuteSQLOp":
            state.effect.shaped.add(state.names.table(step.table))
        super().__call__(state, step)


def _opaque(state: _Reading, step: Step) -> None:
    state.effect.opaque = True  # an operation not known here may change any table


_EFFECTS = _Noting("check effects", default=_opaque)


@_EFFECTS.handles(
    "AddColumnOp",
    "CreateIndexOp",
    "DropIndexOp",
    "AddConstraintOp",
    "DropConstraintOp",
    "CreateTableCommentOp",
    "DropTableCommentOp",
    "CreateEnumTypeOp",
    "DropEnumTypeOp",
    "AddEnumValueOp",
    "RenameEnumTypeOp",
)
def _keeps_rows(state: _Reading, step: Step) -> None:
    pass


@_EFFECTS.handles("CreateTableOp")
def _create_table(state: _Reading, step: Step) -> None:
    state.effect.created.add(step.op.table_name)


@_EFFECTS.handles("DropTableOp")
def _drop_table(state: _Reading, step: Step) -> None:
    origin = state.names.table(step.op.table_name)
    state.effect.dropped.add(origin)
    if step.line is not None:
        state.effect.drop_lines[(origin, None)] = step.line


@_EFFECTS.handles("RenameTableOp")
def _rename_table(state: _Reading, step: Step) -> None:
    state.effect.renamed[state.names.table(step.op.table_name)] = step.op.new_table_name
    state.effect.touched.add(step.op.new_table_name)  # its line is the old name's


@_EFFECTS.handles("DropColumnOp")
def _drop_column(state: _Reading, step: Step) -> None:
    if step.origin and step.column_origin:
        state.effect.columns[(step.origin, step.column_origin)] = None
        if step.line is not None:
            state.effect.drop_lines[(step.origin, step.column_origin)] = step.line


@_EFFECTS.handles("AlterColumnOp")
def _alter_column(state: _Reading, step: Step) -> None:
    op = step.op
    if not (step.origin and step.column_origin):
        return
    if op.modify_type is not None:
        state.effect.retyped.add((step.origin, step.column_origin))
        using = (op.kw or {}).get("postgresql_using")
        state.effect.retypes.append(
            Retype(
                step.origin,
                step.column_origin,
                op.modify_type,
                op.existing_type,
                str(using) if using is not None else None,
                step.line,
            )
        )
    if op.modify_name:
        state.effect.columns[(step.origin, step.column_origin)] = (step.origin, op.modify_name)


@_EFFECTS.handles("ExecuteSQLOp")
def _execute(state: _Reading, step: Step) -> None:
    state.effect.opaque = True
    for match in _DML.finditer(str(step.op.sqltext)):
        state.note(match.group(1), step.line)
        if re.match(r"(?:delete|truncate)\b", match.group(0), re.IGNORECASE):
            state.effect.deletes.add(state.names.table(match.group(1)))


@_EFFECTS.handles("CreateSchemaOp", "DropSchemaOp")
def _schema(state: _Reading, step: Step) -> None:
    """Making or dropping an empty PostgreSQL schema touches no table's rows."""


@_EFFECTS.handles("BulkInsertOp")
def _bulk_insert(state: _Reading, step: Step) -> None:
    state.note(getattr(step.op.table, "name", None), step.line)


@_EFFECTS.handles("SyncEnumValuesOp")
def _sync_enum(state: _Reading, step: Step) -> None:
    # On PostgreSQL it moves every column of the type, named here or not.
    state.effect.opaque = True
    for t, _column, _check in step.op.columns:
        state.note(t, step.line)
