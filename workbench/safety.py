"""Rename intent and NOT NULL backfills: how ``generate`` rewrites what autogenerate wrote.

:func:`generation_hook` is a ``process_revision_directives`` step. A rename
replaces the drop + add: the rename is run on the scratch database (inside a
savepoint, rolled back after) and the models are compared again, so whatever
else the rename implies (an index whose conventional name follows the column,
a type change) is written exactly. A NOT NULL column on a table that may hold
rows becomes *add nullable, UPDATE, set NOT NULL*.

Renames are written as ``op.alter_column(table, old, new_column_name=new)``
and ``op.rename_table(old, new)``, outside batch mode. Both backends rename in
place (SQLite 3.25+ ``ALTER TABLE ... RENAME COLUMN``), and both rewrite what
refers to the name: indexes, CHECK bodies, foreign keys of other tables. Batch
mode would instead copy the table with its CHECK constraints' old text, which
names a column that no longer exists.

What looks like a rename and which type changes lose values are in
:mod:`workbench.likeness`, shared with ``lint`` and ``check``; the destructive-apply
guard's prediction (:func:`destructive_changes`) is in :mod:`workbench.predict`.
Both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from workbench import compat
from workbench.errors import WorkbenchError
from workbench.likeness import column_rename_pairs as column_rename_pairs
from workbench.likeness import family as family
from workbench.likeness import names_alike as names_alike
from workbench.likeness import narrowing as narrowing
from workbench.likeness import table_rename_pairs as table_rename_pairs
from workbench.likeness import type_sql as type_sql
from workbench.predict import destructive_changes as destructive_changes
from workbench.results import BackfillRequest, RenameCandidate
from workbench.revisions import CapturedOp, HistoryModel

if TYPE_CHECKING:
    from alembic.operations.ops import MigrationScript
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import MetaData

AskRename = Callable[[RenameCandidate], bool]
"""Asked about each look-alike pair; ``True`` means "yes, it is a rename"."""
AskBackfill = Callable[[BackfillRequest], "str | None"]
"""Asked for the SQL value of a NOT NULL column's existing rows; ``None`` for none."""
Hook = Callable[["MigrationContext", Any, list[Any]], None]
"""A ``process_revision_directives`` function."""
Direction = Literal["upgrade", "downgrade"]


# --- rename intent and backfills in generate ---------------------------------------------


@dataclass(frozen=True)
class _Rename:
    table: str | None
    """``None`` for a table rename."""
    old: str
    new: str

    @property
    def flag(self) -> str:
        return f"{self.table}.{self.old}={self.new}" if self.table else f"{self.old}={self.new}"


def _parse_renames(renames: Mapping[str, str]) -> list[_Rename]:
    parsed = []
    for key, new in renames.items():
        parts = key.split(".")
        if not new or "." in new or len(parts) > 2 or not all(parts):
            raise WorkbenchError(
                f"--rename {key}={new}: expected TABLE.OLD=NEW (a column) or OLD=NEW (a table).",
                hint="For example --rename users.full_name=display_name, or --rename users=people.",
            )
        if len(parts) == 2:
            parsed.append(_Rename(parts[0], parts[1], new))
        else:
            parsed.append(_Rename(None, parts[0], new))
    return parsed


def _check_backfills(backfills: Mapping[str, str]) -> None:
    for key, value in backfills.items():
        parts = key.split(".")
        if len(parts) != 2 or not all(parts) or not value.strip():
            raise WorkbenchError(
                f"--backfill {key}={value}: expected TABLE.COLUMN=SQL_EXPRESSION.",
                hint="For example --backfill users.bio=\"''\" or --backfill orders.total=0.",
            )


def generation_hook(
    metadata: MetaData,
    history: HistoryModel,
    *,
    refine: Hook,
    renames: Mapping[str, str] | None = None,
    backfills: Mapping[str, str] | None = None,
    ask_rename: AskRename | None = None,
    ask_backfill: AskBackfill | None = None,
    notes: list[str] | None = None,
) -> Hook:
    """A ``process_revision_directives`` step for rename intent and NOT NULL backfills.

    Args:
        metadata: the models.
        history: what the history built; renames are applied to it as they are
            decided, so the comparison after a rename knows the renamed
            column's exact type.
        refine: workbench's own directive processing
            (:func:`workbench.autogen.post_process`), run again on the
            operations compared after a rename.
        renames: ``{"users.full_name": "display_name"}`` for a column,
            ``{"users": "people"}`` for a table (the table as the models name
            it). Each must match a drop and an add of this change.
        backfills: ``{"users.bio": "''"}``: the SQL value given to existing
            rows when a NOT NULL column is added (or made NOT NULL).
        ask_rename: asked about each look-alike drop + add not covered by
            ``renames`` or a ``renamed_from`` hint in the models.
        ask_backfill: asked for a value when a NOT NULL column on a table that
            may hold rows has no server default, Python default or backfill.
        notes: receives one sentence per risk left in the revision.

    Raises:
        WorkbenchError: a malformed flag, or a flag that matches nothing.
    """
    intents = _parse_renames(renames or {})
    values = dict(backfills or {})
    _check_backfills(values)
    import workbench.ops  # noqa: F401  (renders the rename_table a table rename becomes)

    sink = notes if notes is not None else []

    def hook(context: MigrationContext, revision: Any, directives: list[Any]) -> None:
        script = directives[0] if directives else None
        if script is None or script.upgrade_ops is None or script.downgrade_ops is None:
            _unmatched(intents, [])
            return
        renamer = _Renamer(context, metadata, history, refine, revision, intents, ask_rename, sink)
        renamer.run(script)
        _Backfiller(metadata, history, values, ask_backfill, sink).run(script)

    return hook


def _unmatched(intents: Sequence[_Rename], used: Collection[_Rename]) -> None:
    for intent in intents:
        if intent not in used:
            what = f"{intent.table}.{intent.old}" if intent.table else f"table {intent.old}"
            new = f"{intent.table}.{intent.new}" if intent.table else f"table {intent.new}"
            raise WorkbenchError(
                f"--rename {intent.flag}: this change does not drop {what} and add {new}, so "
                "there is nothing to rename.",
                hint="Name the table as the models name it (TABLE.OLD=NEW for a column, "
                "OLD=NEW for a table); a rename already in the history needs no flag.",
            )


@dataclass
class _Renamer:
    context: MigrationContext
    metadata: MetaData
    history: HistoryModel
    refine: Hook
    revision: Any
    intents: list[_Rename]
    ask: AskRename | None
    notes: list[str]
    used: list[_Rename] = field(default_factory=list)

    def run(self, script: MigrationScript) -> None:
        from alembic.operations import Operations

        assert script.upgrade_ops is not None and script.downgrade_ops is not None
        conn = self.context.connection
        assert conn is not None
        operations = Operations(self.context)
        done: list[tuple[_Rename, Any, Any]] = []
        current: Any = script
        savepoint = conn.begin_nested()
        try:
            for phase in (self._tables, self._columns):
                chosen = phase(current.upgrade_ops.ops)
                for rename in chosen:
                    up, down = self._ops(rename)
                    operations.invoke(up)
                    self.history.apply(CapturedOp(up, None))
                    done.append((rename, up, down))
                if chosen:
                    current = self._compare()
        finally:
            savepoint.rollback()
        _unmatched(self.intents, self.used)
        if not done:
            return
        script.upgrade_ops.ops[:] = [up for _, up, _ in done] + list(current.upgrade_ops.ops)
        script.downgrade_ops.ops[:] = list(current.downgrade_ops.ops) + [
            down for _, _, down in reversed(done)
        ]

    def _compare(self) -> Any:
        from alembic.autogenerate import produce_migrations

        fresh = produce_migrations(self.context, self.metadata)
        self.refine(self.context, self.revision, [fresh])
        return fresh

    def _ops(self, rename: _Rename) -> tuple[Any, Any]:
        from alembic.operations import ops

        if rename.table is None:
            return ops.RenameTableOp(rename.old, rename.new), ops.RenameTableOp(
                rename.new, rename.old
            )
        state = self.history.column(rename.table, rename.old)
        type_ = state.type if state else self._reflected(rename.table).get(rename.old)
        nullable = state.nullable if state else None
        kw: dict[str, Any] = {"existing_type": type_, "existing_nullable": nullable}
        up = ops.AlterColumnOp(rename.table, rename.old, modify_name=rename.new, **kw)
        down = ops.AlterColumnOp(rename.table, rename.new, modify_name=rename.old, **kw)
        return up, down

    def _reflected(self, table: str) -> dict[str, Any]:
        import sqlalchemy as sa

        try:
            found = sa.inspect(self.context.connection).get_columns(table)
        except sa.exc.NoSuchTableError:
            return {}  # not in the database: no column of it is known
        except sa.exc.SQLAlchemyError as exc:
            # Rename detection must not quietly switch itself off: stop and say so.
            raise WorkbenchError(
                f"could not read the columns of table {table!r} on the scratch database to "
                f"detect renames: {' '.join(str(exc).split())[:300]}",
                hint="Check that the history applies cleanly (`workbench check SCHEMA`), "
                "then generate again.",
            ) from exc
        return {c["name"]: c["type"] for c in found}

    def _intent(self, table: str | None, old: str, new: str) -> _Rename | None:
        for intent in self.intents:
            if (intent.table, intent.old, intent.new) == (table, old, new):
                return intent
        return None

    def _decide(
        self,
        table: str | None,
        dropped: Mapping[str, Any],
        added: Mapping[str, Any],
        hints: Mapping[str, str],
        alike: list[tuple[str, str]],
    ) -> list[_Rename]:
        """Flags first, then ``renamed_from`` hints, then look-alikes (asked, or noted)."""
        chosen: list[_Rename] = []
        taken_old: set[str] = set()
        taken_new: set[str] = set()

        def take(old: str, new: str) -> None:
            chosen.append(_Rename(table, old, new))
            taken_old.add(old)
            taken_new.add(new)

        for old in dropped:
            for new in added:
                intent = self._intent(table, old, new)
                if intent is not None:
                    self.used.append(intent)
                    take(old, new)
        for new, old in hints.items():
            if old in dropped and new in added and old not in taken_old and new not in taken_new:
                take(old, new)
        for old, new in alike:
            if old in taken_old or new in taken_new:
                continue
            candidate = RenameCandidate(
                "table" if table is None else "column", table or new, old, new
            )
            if self.ask is not None and self.ask(candidate):
                take(old, new)
            else:
                self.notes.append(_look_alike_note(candidate))
        return chosen

    def _tables(self, ops: Sequence[Any]) -> list[_Rename]:
        from alembic.operations import ops as alembic_ops

        dropped = {
            op.table_name: self._old_table_columns(op.table_name)
            for op in ops
            if isinstance(op, alembic_ops.DropTableOp)
        }
        created = {
            op.table_name: [str(getattr(c, "name", "")) for c in op.columns]
            for op in ops
            if isinstance(op, alembic_ops.CreateTableOp)
        }
        hints = {
            name: str(self.metadata.tables[name].info["renamed_from"])
            for name in created
            if name in self.metadata.tables and self.metadata.tables[name].info.get("renamed_from")
        }
        return self._decide(None, dropped, created, hints, table_rename_pairs(dropped, created))

    def _old_table_columns(self, table: str) -> list[str]:
        known = self.history.tables.get(table)
        return list(known) if known else list(self._reflected(table))

    def _columns(self, ops: Sequence[Any]) -> list[_Rename]:
        from alembic.operations import ops as alembic_ops

        dropped: dict[str, dict[str, Any]] = {}
        added: dict[str, dict[str, Any]] = {}
        for container in ops:
            if not isinstance(container, alembic_ops.ModifyTableOps):
                continue
            table = container.table_name
            for op in container.ops:
                if isinstance(op, alembic_ops.DropColumnOp):
                    dropped.setdefault(table, {})[op.column_name] = self._old_type(
                        table, op.column_name
                    )
                elif isinstance(op, alembic_ops.AddColumnOp):
                    added.setdefault(table, {})[op.column.name] = op.column.type
        chosen = []
        for table in sorted(set(dropped) & set(added)):
            model = self.metadata.tables.get(table)
            hints = {
                c.name: str(c.info["renamed_from"])
                for c in (model.columns if model is not None else ())
                if c.info.get("renamed_from")
            }
            alike = column_rename_pairs(dropped[table], added[table])
            chosen += self._decide(table, dropped[table], added[table], hints, alike)
        return chosen

    def _old_type(self, table: str, column: str) -> Any:
        state = self.history.column(table, column)
        if state is not None and state.type is not None:
            return state.type
        return self._reflected(table).get(column)


def _look_alike_note(candidate: RenameCandidate) -> str:
    if candidate.kind == "table":
        return (
            f"table {candidate.old} is dropped and table {candidate.new} created, and they look "
            f"alike: if this is a rename, every row is lost. Regenerate with --rename "
            f"{candidate.old}={candidate.new} to rename in place."
        )
    t = candidate.table
    return (
        f"{t}.{candidate.old} is dropped and {t}.{candidate.new} added, and they look alike: if "
        f"this is a rename, the values are lost. Regenerate with --rename "
        f"{t}.{candidate.old}={candidate.new} to rename in place."
    )


def quote(name: str) -> str:
    """An identifier quoted for SQLite and PostgreSQL alike."""
    return '"' + name.replace('"', '""') + '"'


def backfill_sql(table: str, column: str, value: str, schema: str | None = None) -> str:
    """The UPDATE that gives ``column``'s NULL rows ``value`` (an SQL expression)."""
    target = f"{quote(schema)}.{quote(table)}" if schema else quote(table)
    col = quote(column)
    return f"UPDATE {target} SET {col} = {value} WHERE {col} IS NULL"


def sql_literal(value: Any) -> str | None:
    """A Python scalar default as an SQL literal both backends read; ``None`` if it has none."""
    import enum

    if isinstance(value, enum.Enum):
        value = value.name  # SQLAlchemy's Enum stores member names
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


@dataclass
class _Backfiller:
    metadata: MetaData
    history: HistoryModel
    values: dict[str, str]
    ask: AskBackfill | None
    notes: list[str]
    used: set[str] = field(default_factory=set)

    def run(self, script: MigrationScript) -> None:
        assert script.upgrade_ops is not None and script.downgrade_ops is not None
        script.upgrade_ops.ops[:] = self._rewrite(script.upgrade_ops.ops, "upgrade")
        script.downgrade_ops.ops[:] = self._rewrite(script.downgrade_ops.ops, "downgrade")
        unused = sorted(set(self.values) - self.used)
        if unused:
            raise WorkbenchError(
                f"--backfill {unused[0]}: this change neither adds {unused[0]} NOT NULL to a "
                "table that may hold rows nor makes it NOT NULL, so there is nothing to backfill.",
                hint="A column with a server default needs no backfill: existing rows get it.",
            )

    def _rewrite(self, ops: Sequence[Any], direction: Direction) -> list[Any]:
        from alembic.operations import ops as alembic_ops

        created = {op.table_name for op in ops if isinstance(op, alembic_ops.CreateTableOp)}
        out: list[Any] = []
        for op in ops:
            if isinstance(op, alembic_ops.ModifyTableOps) and op.table_name not in created:
                out.extend(self._split(op, direction))
            else:
                out.append(op)
        return out

    def _split(self, container: Any, direction: Direction) -> list[Any]:
        """``[batch: the ops, adds made nullable] [UPDATE...] [batch: set NOT NULL]``."""
        from alembic.operations import ops as alembic_ops

        table, schema = container.table_name, container.schema
        head: list[Any] = []
        updates: list[Any] = []
        tail: list[Any] = []
        for op in container.ops:
            if isinstance(op, alembic_ops.AddColumnOp) and _needs_value(op.column):
                value = self._value(table, op.column.name, op.column.type, direction, "add")
                if value is None:
                    head.append(op)
                    continue
                column = compat.copy_column(op.column)
                column.nullable = True
                head.append(alembic_ops.AddColumnOp(table, column, schema=schema))
                op = alembic_ops.AlterColumnOp(
                    table,
                    column.name,
                    schema=schema,
                    modify_nullable=False,
                    existing_type=column.type,
                    existing_nullable=True,
                )
            elif isinstance(op, alembic_ops.AlterColumnOp) and op.modify_nullable is False:
                known = self.history.column(table, op.column_name)
                type_ = op.existing_type or (known.type if known else None)
                value = self._value(table, op.column_name, type_, direction, "set_not_null")
                if value is None:
                    head.append(op)
                    continue
            else:
                head.append(op)
                continue
            updates.append(
                alembic_ops.ExecuteSQLOp(backfill_sql(table, op.column_name, value, schema))
            )
            tail.append(op)
        if not updates:
            return [container]
        parts: list[Any] = []
        if head:
            parts.append(alembic_ops.ModifyTableOps(table, head, schema=schema))
        parts.extend(updates)
        parts.append(alembic_ops.ModifyTableOps(table, tail, schema=schema))
        return parts

    def _value(
        self,
        table: str,
        name: str,
        type_: Any,
        direction: Direction,
        action: Literal["add", "set_not_null"],
    ) -> str | None:
        """The backfill: the flag, else the model's scalar Python default, else the answer."""
        key = f"{table}.{name}"
        if key in self.values:
            self.used.add(key)
            return self.values[key]
        if direction == "upgrade":
            model = self.metadata.tables.get(table)
            default = model.columns[name].default if model is not None and name in model.c else None
            if default is not None and getattr(default, "is_scalar", False):
                literal = sql_literal(getattr(default, "arg", None))
                if literal is not None:
                    return literal
        if self.ask is not None:
            answer = self.ask(BackfillRequest(table, name, type_sql(type_), direction, action))
            if answer is not None and answer.strip():
                return answer.strip()
        if action == "add":
            where = "" if direction == "upgrade" else " by the downgrade"
            self.notes.append(
                f"{key} is added NOT NULL{where} with no value for existing rows: it fails on a "
                f"table that holds rows. Regenerate with --backfill {key}=SQL_EXPRESSION, or give "
                "the column a server default."
            )
        return None


def _needs_value(column: Any) -> bool:
    """A NOT NULL column that existing rows cannot fill by themselves."""
    return bool(
        not column.nullable
        and column.server_default is None
        and column.computed is None
        and column.identity is None
        and not column.primary_key
    )
