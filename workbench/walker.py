"""One rename-aware walker over captured Alembic operations, with per-operation dispatch.

Several capabilities interpret the operations a revision performs (read by
:func:`workbench.revisions.capture`): the history model replays them, the
destructive-apply guard counts what they destroy, ``check`` works out which
tables a step touches. They all need the same two things, and this module is
the one place that provides them:

* **names followed through renames** (:class:`Names`): after
  ``op.rename_table("a", "b")`` an operation on ``b`` is about the table that
  was ``a`` when the walk started; after ``op.alter_column("t", "x",
  new_column_name="y")`` an operation on ``t.y`` is about column ``x``;
* **per-operation dispatch** (:class:`Dispatch`): a handler registered for an
  operation class, found through the class's MRO, as Alembic's own
  ``Dispatcher`` finds renderers and comparators. Classes are keyed by name so
  that registering a handler does not import Alembic.

A walk hands each handler a :class:`Step`: the operation, the line that made
it, and its table and column both as named at that point and as named before
the walk (``origin``). Handlers run before the walk follows the operation's own
rename, so a ``rename_table`` handler sees the old name as ``step.table``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

State = TypeVar("State")
Handler = Callable[[State, "Step"], None]


class Located(Protocol):
    """A captured operation: :class:`workbench.revisions.CapturedOp` is one."""

    @property
    def op(self) -> Any: ...

    @property
    def line(self) -> int | None: ...

    @property
    def batch(self) -> str | None: ...


def table_of(op: Any, batch: str | None = None) -> str | None:
    """The table an operation changes: its batch, its ``table_name``, or a new foreign key's
    source table (``create_foreign_key`` has no ``table_name``)."""
    return batch or getattr(op, "table_name", None) or getattr(op, "source_table", None)


def column_of(op: Any) -> str | None:
    """The column an operation names: ``column_name``, or the added column's name."""
    name = getattr(op, "column_name", None)
    if name is None and getattr(op, "column", None) is not None:
        name = getattr(op.column, "name", None)
    return str(name) if name is not None else None


@dataclass
class Names:
    """Table and column names followed through the renames of a walk.

    ``origin`` is the name a table (or column) had when the walk started: for
    the guard, its name in the live database; for ``check``, its name before
    the step.
    """

    tables: dict[str, str] = field(default_factory=dict)
    """A table's current name to its origin, for renamed tables."""
    columns: dict[tuple[str, str], str] = field(default_factory=dict)
    """(table origin, current column name) to the column's origin, for renamed columns."""

    def table(self, current: str) -> str:
        """The origin of the table named ``current`` now."""
        return self.tables.get(current, current)

    def column(self, table: str, current: str) -> str:
        """The origin of column ``current`` of the table named ``table`` now."""
        return self.columns.get((self.table(table), current), current)

    def follow(self, op: Any, table: str | None) -> None:
        """Note the rename ``op`` makes, if any (``table`` is its table as named now)."""
        new_table = getattr(op, "new_table_name", None)
        if new_table and table is not None and _is(op, "RenameTableOp"):
            self.tables[new_table] = self.table(table)
            return
        new_column = getattr(op, "modify_name", None)
        if new_column and table is not None and _is(op, "AlterColumnOp"):
            origin = self.table(table)
            self.columns[(origin, new_column)] = self.column(table, op.column_name)


def _is(op: Any, name: str) -> bool:
    return any(klass.__name__ == name for klass in type(op).__mro__)


@dataclass(frozen=True)
class Step:
    """One operation as a handler sees it, its names resolved at that point of the walk."""

    op: Any
    line: int | None
    batch: str | None
    table: str | None
    """The table as named at this point of the walk (``None`` for ``op.execute``...)."""
    origin: str | None
    """The table's name when the walk started."""
    column: str | None
    """The column the operation names, as named at this point."""
    column_origin: str | None
    """That column's name when the walk started."""

    @classmethod
    def at(cls, captured: Located, names: Names) -> Step:
        op = captured.op
        table = table_of(op, captured.batch)
        column = column_of(op)
        return cls(
            op=op,
            line=captured.line,
            batch=captured.batch,
            table=table,
            origin=names.table(table) if table is not None else None,
            column=column,
            column_origin=(
                names.column(table, column) if table is not None and column is not None else None
            ),
        )


class Dispatch(Generic[State]):
    """Handlers keyed by operation class, found through the operation's MRO.

    Example:
        >>> effects: Dispatch[set[str]] = Dispatch("effects")
        >>> @effects.handles("DropTableOp")
        ... def _drop(state: set[str], step: Step) -> None:
        ...     state.add(step.origin or "")
    """

    def __init__(self, name: str, default: Handler[State] | None = None) -> None:
        self.name = name
        self._handlers: dict[str, Handler[State]] = {}
        self._default = default

    def handles(self, *classes: str) -> Callable[[Handler[State]], Handler[State]]:
        """Register the decorated function for the operation classes named ``classes``."""

        def register(handler: Handler[State]) -> Handler[State]:
            for name in classes:
                if name in self._handlers:
                    raise ValueError(f"{self.name}: {name} has two handlers")
                self._handlers[name] = handler
            return handler

        return register

    def handler(self, op: Any) -> Handler[State] | None:
        """The handler for ``op``: its class's, else its nearest base class's, else the default."""
        for klass in type(op).__mro__:
            found = self._handlers.get(klass.__name__)
            if found is not None:
                return found
        return self._default

    def __call__(self, state: State, step: Step) -> None:
        handler = self.handler(step.op)
        if handler is not None:
            handler(state, step)


def walk(
    ops: Iterable[Located], dispatch: Dispatch[State], state: State, names: Names | None = None
) -> Names:
    """Dispatch every operation of ``ops`` in order, following renames as it goes.

    Args:
        ops: captured operations, in the order they run.
        dispatch: the handlers.
        state: what the handlers update.
        names: renames followed so far (a walk over several revisions passes
            the same one to each); a new one when omitted.

    Returns:
        The renames followed, ``names`` itself when given.
    """
    names = names if names is not None else Names()
    for captured in ops:
        step = Step.at(captured, names)
        dispatch(state, step)
        names.follow(step.op, step.table)
    return names
