"""The destructive-apply guard's prediction: what pending revisions would destroy, before they run.

:func:`destructive_changes` reads the operations the revisions expose (captured
without running them) and counts, on the live database as it is now, what
each would destroy: the rows of a dropped table, the non-null values of a
dropped column or of a column whose type narrows. Renames made by earlier
steps are followed by the one operation walker (:mod:`workbench.walker`).
``status`` shows this prediction; ``upgrade``'s guard (:mod:`workbench.guard`)
measures instead, by running the revisions in a transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from workbench.config import is_version_table
from workbench.likeness import narrowing, type_sql
from workbench.results import DestructiveChange
from workbench.revisions import capture
from workbench.walker import Dispatch, Names, Step, walk

if TYPE_CHECKING:
    from alembic.script import Script
    from sqlalchemy.engine import Connection

Direction = Literal["upgrade", "downgrade"]


def destructive_changes(
    conn: Connection, steps: Sequence[tuple[Script, Direction]]
) -> list[DestructiveChange]:
    """Count what running ``steps`` would destroy in ``conn``'s database, before running them.

    Dropped tables (their rows), dropped columns (their non-null values) and
    narrowing type changes (the non-null values converted) are counted on the
    live database as it is now; renames made by earlier steps are followed, and
    tables the steps themselves create hold nothing yet.

    Args:
        conn: the target; only read.
        steps: each revision about to run, in order, with its direction.

    Returns:
        One :class:`DestructiveChange` per operation that would destroy data
        the target holds now (none for empty tables and all-NULL columns).
    """
    import sqlalchemy as sa

    if not steps:
        return []
    inspector = sa.inspect(conn)
    live = {n for n in inspector.get_table_names() if not is_version_table(n)}
    if not live:
        # Nothing to lose: no revision is read (for one 200-table revision on a
        # fresh database, reading it would cost a quarter of applying it).
        return []
    columns: dict[str, dict[str, Any]] = {}

    def live_columns(table: str) -> dict[str, Any]:
        if table not in columns:
            columns[table] = {c["name"]: c["type"] for c in inspector.get_columns(table)}
        return columns[table]

    guard = _Guard(conn, live, live_columns)
    names = Names()  # origin: the name in the database now
    for script, direction in steps:
        guard.revision = script.revision
        walk(capture(script, direction, dialect=conn.dialect.name).ops, _GUARD, guard, names)
    return guard.changes


@dataclass
class _Guard:
    """What the destructive-apply guard has counted so far, as a walk's state."""

    conn: Connection
    live: set[str]
    live_columns: Callable[[str], dict[str, Any]]
    revision: str = ""
    gone: set[tuple[str, str | None]] = field(default_factory=set)
    changes: list[DestructiveChange] = field(default_factory=list)

    def holds(self, step: Step) -> bool:
        """Whether the step's table is in the database now, and not dropped by an earlier step."""
        return step.origin in self.live and (step.origin, None) not in self.gone


_GUARD: Dispatch[_Guard] = Dispatch("destructive-apply guard")
"""What each operation destroys; an operation not registered destroys nothing."""


@_GUARD.handles("DropTableOp")
def _guard_drop_table(guard: _Guard, step: Step) -> None:
    if step.origin is None or not guard.holds(step):
        return
    guard.gone.add((step.origin, None))
    rows = _count(guard.conn, step.origin, None)
    if rows:
        guard.changes.append(
            DestructiveChange(
                guard.revision, f"drops table {step.table} holding {_n(rows, 'row')}", rows
            )
        )


@_GUARD.handles("DropColumnOp", "AlterColumnOp")
def _guard_column(guard: _Guard, step: Step) -> None:
    table, column = step.origin, step.column_origin
    if table is None or column is None or step.column is None or not guard.holds(step):
        return
    live = guard.live_columns(table)
    if column not in live or (table, column) in guard.gone:
        return
    kind = _kind(step.op)
    change = _column_change(step.op, kind, step.table or table, step.column, live[column])
    if change is None:
        return
    if kind == "drop_column":
        guard.gone.add((table, column))
    rows = _count(guard.conn, table, column)
    if rows:
        text = change.replace("{rows}", _n(rows, "non-null value"))
        guard.changes.append(DestructiveChange(guard.revision, text, rows))


def _kind(op: Any) -> str:
    return "drop_column" if type(op).__name__ == "DropColumnOp" else "alter_column"


def _column_change(op: Any, kind: str, table: str, column: str, live_type: Any) -> str | None:
    """A description with a ``{rows}`` slot, or ``None`` when the operation keeps every value."""
    if kind == "drop_column":
        return f"drops column {table}.{column} holding {{rows}}"
    if kind == "alter_column" and op.modify_type is not None:
        old = op.existing_type if op.existing_type is not None else live_type
        reason = narrowing(old, op.modify_type)
        if reason:
            return (
                f"narrows column {table}.{column} from {type_sql(old)} to "
                f"{type_sql(op.modify_type)} on {{rows}} ({reason})"
            )
    return None


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _count(conn: Connection, table: str, column: str | None) -> int:
    import sqlalchemy as sa

    counted = sa.func.count() if column is None else sa.func.count(sa.column(column))
    query = sa.select(counted).select_from(sa.table(table))
    return int(conn.execute(query).scalar_one())
