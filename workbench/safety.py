"""Migration safety that both the writer (``generate``) and the readers (``lint``, the guard) need.

Three things live here:

* **rename-likeness**: when a dropped and an added column (or table) look alike
  (:func:`column_rename_pairs`, :func:`table_rename_pairs`), and when a type
  change can lose values (:func:`narrowing`). ``generate`` asks about the
  pairs, ``lint`` reports them;
* **rename intent and NOT NULL backfills** (:func:`generation_hook`): a
  ``process_revision_directives`` step that rewrites what autogenerate wrote.
  A rename replaces the drop + add: the rename is run on the scratch database
  (inside a savepoint, rolled back after) and the models are compared again,
  so whatever else the rename implies (an index whose conventional name
  follows the column, a type change) is written exactly. A NOT NULL column on
  a table that may hold rows becomes *add nullable, UPDATE, set NOT NULL*;
* **the destructive-apply guard** (:func:`destructive_changes`): what the
  revisions about to run would destroy in a live database, counted before
  anything runs.

Renames are written as ``op.alter_column(table, old, new_column_name=new)``
and ``op.rename_table(old, new)``, outside batch mode. Both backends rename in
place (SQLite 3.25+ ``ALTER TABLE ... RENAME COLUMN``), and both rewrite what
refers to the name: indexes, CHECK bodies, foreign keys of other tables. Batch
mode would instead copy the table with its CHECK constraints' old text, which
names a column that no longer exists.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from workbench import compat
from workbench.config import is_version_table
from workbench.errors import WorkbenchError
from workbench.results import BackfillRequest, DestructiveChange, RenameCandidate
from workbench.revisions import CapturedOp, HistoryModel, capture, impl, type_ddl
from workbench.walker import Dispatch, Names, Step, walk

if TYPE_CHECKING:
    from alembic.operations.ops import MigrationScript
    from alembic.runtime.migration import MigrationContext
    from alembic.script import Script
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

AskRename = Callable[[RenameCandidate], bool]
"""Asked about each look-alike pair; ``True`` means "yes, it is a rename"."""
AskBackfill = Callable[[BackfillRequest], "str | None"]
"""Asked for the SQL value of a NOT NULL column's existing rows; ``None`` for none."""
Hook = Callable[["MigrationContext", Any, list[Any]], None]
"""A ``process_revision_directives`` function."""
Direction = Literal["upgrade", "downgrade"]


# --- types -------------------------------------------------------------------------------


def type_sql(type_: Any) -> str:
    """A type as PostgreSQL spells it (``VARCHAR(100)``); ``unknown type`` when not known."""
    return type_ddl(type_) or "unknown type"


def family(type_: Any) -> str | None:
    """The broad kind of a type (``String``, ``Integer``, ``DateTime``...); ``None`` if unknown."""
    affinity = compat.type_affinity(impl(type_)) if type_ is not None else None
    return affinity.__name__ if affinity is not None else None


def _int_rank(type_: Any) -> int:
    import sqlalchemy as sa

    if isinstance(type_, sa.BigInteger):
        return 2
    if isinstance(type_, sa.SmallInteger):
        return 0
    return 1


_WIDENING = {("Integer", "Numeric"), ("Integer", "Float"), ("Date", "DateTime")}


def narrowing(old: Any, new: Any) -> str | None:
    """Why changing a column's type from ``old`` to ``new`` can lose or alter values.

    Returns:
        A short reason (``values longer than 50 characters do not fit``), or
        ``None`` when every value of ``old`` survives as it is. Enum member
        changes are not judged here (lint rule WB107 is about them).
    """
    import sqlalchemy as sa

    if old is None or new is None:
        return None
    o, n = impl(old), impl(new)
    if isinstance(o, sa.Enum) or isinstance(n, sa.Enum) or type_sql(o) == type_sql(n):
        return None
    fo, fn = family(o), family(n)
    if fn == "String":
        length = getattr(n, "length", None)
        before = getattr(o, "length", None) if fo == "String" else None
        if length is not None and (before is None or length < before):
            return f"values longer than {length} characters do not fit"
        return None
    if fo == fn == "Integer":
        return "large integers do not fit" if _int_rank(n) < _int_rank(o) else None
    if fo == fn == "Numeric":
        return _numeric_narrowing(o, n)
    if fo == fn == "DateTime":
        lost = getattr(o, "timezone", False) and not getattr(n, "timezone", False)
        return "the time zone is lost" if lost else None
    if (fo, fn) in _WIDENING:
        return None
    if fo in ("Numeric", "Float") and fn == "Integer":
        return "fractional parts are lost"
    if fo == "DateTime" and fn == "Date":
        return "the time of day is lost"
    return f"{type_sql(o)} values may not convert to {type_sql(n)}"


def _numeric_narrowing(o: Any, n: Any) -> str | None:
    if n.precision is None:
        return None
    if o.precision is None or (n.scale or 0) < (o.scale or 0):
        return "digits are rounded away"
    if n.precision - (n.scale or 0) < o.precision - (o.scale or 0):
        return "large values do not fit"
    return None


# --- what looks like a rename ------------------------------------------------------------


def _tokens(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return {t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t}


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def names_alike(old: str, new: str) -> bool:
    """Two names that share a word (``full_name``, ``display_name``) or most of their letters."""
    return bool(_tokens(old) & _tokens(new)) or _ratio(old, new) >= 0.6


def _pair(
    olds: Iterable[str], news: Iterable[str], score: Callable[[str, str], float | None]
) -> list[tuple[str, str]]:
    """Greedy best-first pairing: each old and each new name is used at most once."""
    scored = []
    for o in olds:
        for n in news:
            s = score(o, n)
            if s is not None:
                scored.append((s, o, n))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_old: set[str] = set()
    used_new: set[str] = set()
    pairs = []
    for _, o, n in scored:
        if o not in used_old and n not in used_new:
            pairs.append((o, n))
            used_old.add(o)
            used_new.add(n)
    return pairs


def column_rename_pairs(
    dropped: Mapping[str, Any], added: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Dropped and added columns of one table that look like renames, as ``(old, new)``.

    A pair looks alike when the types are of one family (both text, both
    integers...; an unknown type matches any) and the names are alike, or
    when it is the table's only dropped and only added column.

    Args:
        dropped: name to type of each dropped column (``None`` when unknown).
        added: name to type of each added column.
    """
    only = len(dropped) == 1 and len(added) == 1

    def score(old: str, new: str) -> float | None:
        fo, fn = family(dropped[old]), family(added[new])
        if fo and fn and fo != fn:
            return None
        if only or names_alike(old, new):
            return _ratio(old, new) + (1.0 if _tokens(old) & _tokens(new) else 0.0)
        return None

    return _pair(dropped, added, score)


def table_rename_pairs(
    dropped: Mapping[str, Collection[str]], created: Mapping[str, Collection[str]]
) -> list[tuple[str, str]]:
    """Dropped and created tables that look like renames: at least half their columns shared.

    Args:
        dropped: name to column names of each dropped table.
        created: name to column names of each created table.
    """

    def score(old: str, new: str) -> float | None:
        a, b = set(dropped[old]), set(created[new])
        shared = len(a & b) / len(a | b) if a | b else 0.0
        return shared if shared >= 0.5 else None

    return _pair(dropped, created, score)


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


# --- the destructive-apply guard ---------------------------------------------------------


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
