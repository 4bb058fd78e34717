"""The order of a revision's table operations, by their foreign keys.

Autogenerate writes table creations and drops in the order it found them, and
a foreign key inside a ``create_table`` that points at a table created later
(or at itself through a cycle of tables) cannot be created there on
PostgreSQL. :func:`order_by_foreign_keys` puts parents first in an upgrade
and children first in a downgrade; :func:`defer_cycle_foreign_keys` takes the
keys that no order can satisfy (a cycle, ``use_alter=True``) out of their
``create_table``, and :func:`add_deferred_foreign_keys` creates them once every
table exists. :func:`workbench.autogen.post_process` runs the three in that order.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.operations.ops import MigrationScript


def order_by_foreign_keys(ops: list[Any], skip: Sequence[Any] = ()) -> None:
    """Reorder table creations parents first and table drops children first, in place.

    Autogenerate drops removed tables in the order it reflected them, parents
    first, and the downgrade then recreates children before their parents.
    SQLite does not mind; PostgreSQL refuses both. A table's unit is its
    create_table (or drop_table) with the index operations next to it; units
    move among the slots that units held, everything else stays where it is.
    Foreign keys in ``skip`` (created and dropped on their own) do not count.
    """
    from alembic.operations import ops as alembic_ops

    for kind in (alembic_ops.CreateTableOp, alembic_ops.DropTableOp):
        units: list[tuple[int, int, str, set[str]]] = []
        for index, op in enumerate(ops):
            if not isinstance(op, kind):
                continue
            start, end = index, index + 1
            if kind is alembic_ops.DropTableOp:
                while start > 0 and _modifies(ops[start - 1], {op.table_name}):
                    start -= 1
                reverse = getattr(op, "_reverse", None)
                parents = _referenced(reverse, skip) if reverse is not None else set()
            else:
                while end < len(ops) and _modifies(ops[end], {op.table_name}):
                    end += 1
                parents = _referenced(op, skip)
            units.append((start, end, op.table_name, parents - {op.table_name}))
        if len(units) < 2:
            continue
        names = {name for _, _, name, _ in units}
        # "a before b" edges: creations after their parents, drops before them.
        before: dict[str, set[str]] = {name: set() for name in names}
        for _, _, name, parents in units:
            for parent in parents & names:
                if kind is alembic_ops.CreateTableOp:
                    before[name].add(parent)
                else:
                    before[parent].add(name)
        ordered: list[str] = []
        pending = [name for _, _, name, _ in units]
        while pending:
            ready = [n for n in pending if before[n] <= set(ordered)] or pending[:1]
            ordered.append(ready[0])
            pending.remove(ready[0])
        chunks = {name: ops[start:end] for start, end, name, _ in units}
        slots = [(start, end) for start, end, _, _ in units]
        rebuilt: list[Any] = []
        cursor = 0
        for (start, end), name in zip(slots, ordered, strict=True):
            rebuilt.extend(ops[cursor:start])
            rebuilt.extend(chunks[name])
            cursor = end
        rebuilt.extend(ops[cursor:])
        ops[:] = rebuilt


def _referenced(create: Any, skip: Sequence[Any] = ()) -> set[str]:
    """The tables a create_table operation's foreign keys point at (those in ``skip`` aside)."""
    import sqlalchemy as sa

    names: set[str] = set()
    skipped = {id(fk) for fk in skip}
    skipped_columns = {(fk.table.name, c.name) for fk in skip for c in fk.columns}
    for item in getattr(create, "columns", []):
        if id(item) in skipped:
            continue
        keys = item.elements if isinstance(item, sa.ForeignKeyConstraint) else []
        if isinstance(item, sa.Column):
            if (create.table_name, item.name) in skipped_columns:
                continue
            keys = list(item.foreign_keys)
        for key in keys:
            parts = str(key.target_fullname).split(".")
            if len(parts) >= 2:
                names.add(parts[-2])
    return names


def defer_cycle_foreign_keys(ops: list[Any]) -> list[Any]:
    """Take out of the ``create_table`` operations the foreign keys that cannot be created there.

    A foreign key declared ``use_alter=True`` is never created by SQLAlchemy's
    ``create_table`` on PostgreSQL, and a cycle of foreign keys among tables
    created together cannot be created table by table (PostgreSQL: "relation
    does not exist"). Both are removed from their ``create_table`` and
    returned, to be added with ``create_foreign_key`` once every table exists
    (see :func:`add_deferred_foreign_keys`). A cycle loses one edge at a time,
    a nullable one where there is one, until the tables can be ordered.
    """
    import sqlalchemy as sa
    from alembic.operations import ops as alembic_ops

    creates = {op.table_name: op for op in ops if isinstance(op, alembic_ops.CreateTableOp)}
    deferred: list[Any] = []

    def remove(op: Any, constraint: Any) -> None:
        op.columns = [c for c in op.columns if c is not constraint]
        deferred.append(constraint)

    for op in creates.values():
        for item in list(op.columns):
            if isinstance(item, sa.ForeignKeyConstraint) and _use_alter(item):
                remove(op, item)
    while True:
        edges = {
            name: {
                (_fk_target(fk), fk)
                for fk in op.columns
                if isinstance(fk, sa.ForeignKeyConstraint)
                and _fk_target(fk) in creates
                and _fk_target(fk) != name
            }
            for name, op in creates.items()
        }
        stuck = _cycle_members(edges)
        if not stuck:
            return deferred
        candidates = sorted(
            (
                (not _nullable(fk), name, target, fk)
                for name in stuck
                for target, fk in edges[name]
                if target in stuck and _reaches(edges, target, name)
            ),
            key=lambda c: (c[0], c[1], c[2]),
        )
        _, name, _, fk = candidates[0]
        remove(creates[name], fk)


def _use_alter(constraint: Any) -> bool:
    return bool(getattr(constraint, "use_alter", False)) or any(
        getattr(element, "use_alter", False) for element in constraint.elements
    )


def _fk_target(constraint: Any) -> str:
    parts = str(constraint.elements[0].target_fullname).split(".")
    return parts[-2] if len(parts) >= 2 else ""


def _nullable(constraint: Any) -> bool:
    return all(getattr(column, "nullable", True) for column in constraint.columns)


def _cycle_members(edges: dict[str, set[tuple[str, Any]]]) -> set[str]:
    """The tables that cannot be ordered parents first: those on or behind a cycle."""
    done: set[str] = set()
    pending = set(edges)
    while True:
        ready = {n for n in pending if {t for t, _ in edges[n]} <= done}
        if not ready:
            break
        done |= ready
        pending -= ready
    # Keep only tables on a cycle: drop those that merely wait for one.
    while True:
        waiting = {n for n in pending if not any(t in pending for t, _ in edges[n])}
        feeding = {n for n in pending if not any(n in {t for t, _ in edges[m]} for m in pending)}
        drop = waiting | feeding
        if not drop:
            return pending
        pending -= drop


def _reaches(edges: dict[str, set[tuple[str, Any]]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(t for t, _ in edges.get(node, ()))
    return False


def add_deferred_foreign_keys(script: MigrationScript, deferred: Sequence[Any]) -> None:
    """Create ``deferred`` foreign keys after the tables, and drop them before the tables go.

    Each is an operation on its table (batch mode on SQLite, a plain ``ALTER
    TABLE`` on PostgreSQL). An unnamed one gets the name PostgreSQL would give
    it, so the downgrade can drop it by name.
    """
    from alembic.operations import ops as alembic_ops

    if not deferred:
        return
    assert script.upgrade_ops is not None and script.downgrade_ops is not None
    ups, downs = [], []
    for fk in deferred:
        if fk.name is None:
            fk.name = f"{fk.table.name}_{'_'.join(c.name for c in fk.columns)}_fkey"
        create = alembic_ops.CreateForeignKeyOp.from_constraint(fk)
        create.kw.pop("use_alter", None)  # it is being created after the tables, as asked
        ups.append(alembic_ops.ModifyTableOps(fk.table.name, [create], schema=fk.table.schema))
        drop = alembic_ops.DropConstraintOp.from_constraint(fk)
        downs.append(alembic_ops.ModifyTableOps(fk.table.name, [drop], schema=fk.table.schema))
    tables = {fk.table.name for fk in deferred} | {_fk_target(fk) for fk in deferred}
    upgrade = script.upgrade_ops.ops
    last = max(
        index
        for index, op in enumerate(upgrade)
        if (isinstance(op, alembic_ops.CreateTableOp) and op.table_name in tables)
        or _modifies(op, tables)
    )
    upgrade[last + 1 : last + 1] = ups
    script.downgrade_ops.ops[:0] = downs


def _modifies(op: Any, tables: Collection[str]) -> bool:
    """Whether ``op`` is the operations on one of ``tables`` (a ``ModifyTableOps``)."""
    from alembic.operations import ops as alembic_ops

    return isinstance(op, alembic_ops.ModifyTableOps) and op.table_name in tables
