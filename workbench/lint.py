"""Migration safety lint: rules over each revision's Alembic operations, without a database.

Each revision's ``upgrade()`` and ``downgrade()`` are read with
:func:`workbench.revisions.capture` (the Alembic operation objects, with the
file line that made each), and the history before it is replayed with
:class:`~workbench.revisions.HistoryModel` (so a rule knows whether a table
already existed and what type a column had). Rules are small registered units
in :data:`RULES`: an id (``WB101``), a name, a severity, the backend they are
about (or both) and a docstring that says the risk and the fix.

A finding is silenced by a comment on the operation's statement, or on the
comment line right above it::

    op.drop_column("users", "bio")  # workbench: ignore[WB102]

``[WB101,WB102]`` silences several; rule names work as well as ids.

Public API, stable for the other capabilities (``check`` fails on lint errors,
proof 5 of `check`: see ARCHITECTURE.md and docs/check.md):

* :func:`lint_revisions` ``(cfg, schema, revision=None) -> list[Finding]``:
  the findings, base to head; ``revision`` limits them to one revision
  (an id, a unique prefix, or ``head``). Findings carry ``schema``,
  ``revision``, ``path``, ``line``, ``code``, ``severity``, ``message``,
  ``details`` (``("fix: ...",)``) and ``backend`` (``postgresql`` or
  ``sqlite`` for a rule about one backend, ``""`` for both).
* :func:`lint` ``(cfg, schema, revision=None) -> LintReport``: the same as a
  report (``ok`` is false when any finding is an error).
* :data:`RULES`: code to :class:`Rule`.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench import compat
from workbench.config import Config
from workbench.errors import RevisionError
from workbench.results import Finding, LintReport, Severity
from workbench.revisions import Capture, CapturedOp, HistoryModel, capture, script_directory
from workbench.safety import (
    column_rename_pairs,
    family,
    narrowing,
    table_rename_pairs,
    type_sql,
)

if TYPE_CHECKING:
    from alembic.script import Script, ScriptDirectory

Direction = Literal["upgrade", "downgrade"]


# --- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One thing a rule found: a message, and the operation (or line) it is about."""

    message: str
    op: CapturedOp | None = None
    direction: Direction = "upgrade"
    line: int | None = None


Check = Callable[["RevisionOps"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered lint rule; its check function's docstring is its documentation."""

    code: str
    name: str
    severity: Severity
    backend: str
    """``postgresql`` or ``sqlite`` when the risk exists on one backend only; ``""`` for both."""
    check: Check

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name

    @property
    def risk(self) -> str:
        return _section(self.doc, "Risk")

    @property
    def fix(self) -> str:
        return _section(self.doc, "Fix")


def _section(doc: str, name: str) -> str:
    match = re.search(rf"^{name}:\s*(.*?)(?=^\w+:|\Z)", doc, re.S | re.M)
    return " ".join(match.group(1).split()).replace("``", "`") if match else ""


RULES: dict[str, Rule] = {}
"""Every rule, by code, in the order they are registered."""


def rule(
    code: str, name: str, severity: Severity, *, backend: str = ""
) -> Callable[[Check], Check]:
    """Register a check function as rule ``code``."""

    def register(check: Check) -> Check:
        if code in RULES:
            raise ValueError(f"lint rule {code} is registered twice")
        RULES[code] = Rule(code, name, severity, backend, check)
        return check

    return register


# --- what a rule sees --------------------------------------------------------------------


@dataclass
class RevisionOps:
    """One revision as the rules see it: both directions' operations and the schema before it."""

    revision: str
    path: Path
    upgrade: Capture
    downgrade: Capture
    before: HistoryModel
    """The tables and columns the history built before this revision."""
    source: list[str] = field(default_factory=list)

    def ops(self, direction: Direction) -> tuple[CapturedOp, ...]:
        return self.upgrade.ops if direction == "upgrade" else self.downgrade.ops

    def created(self, direction: Direction) -> set[str]:
        """Tables this direction creates: operations on them touch no existing rows."""
        return {_op(c).table_name for c in self.ops(direction) if c.kind == "create_table"}

    def on_existing(self, direction: Direction, *kinds: str) -> Iterator[tuple[CapturedOp, str]]:
        """The operations of ``kinds`` on tables that existed before this direction ran."""
        created = self.created(direction)
        for c in self.ops(direction):
            table = table_of(c)
            if c.kind in kinds and table is not None and table not in created:
                yield c, table

    def def_line(self, direction: Direction) -> int | None:
        for number, text in enumerate(self.source, start=1):
            if text.startswith(f"def {direction}("):
                return number
        return None

    def old_type(self, table: str, column: str, op: Any = None) -> Any:
        """A column's type before the change: the operation's ``existing_type``, else history."""
        if op is not None and getattr(op, "existing_type", None) is not None:
            return op.existing_type
        state = self.before.column(table, column)
        return state.type if state is not None else None


def _op(captured: CapturedOp) -> Any:
    """The Alembic operation object, typed loosely: rules read attributes of many kinds."""
    return captured.op


def table_of(captured: CapturedOp) -> str | None:
    return captured.batch or getattr(captured.op, "table_name", None)


def _prefix(direction: Direction) -> str:
    return "" if direction == "upgrade" else "downgrade: "


def _sql(op: Any) -> str:
    text = op.sqltext if isinstance(op.sqltext, str) else getattr(op.sqltext, "text", op.sqltext)
    return " ".join(str(text).split())


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_DML = ("UPDATE", "DELETE", "INSERT", "TRUNCATE", "MERGE", "COPY")


def _is_dml(sql: str) -> bool:
    words = _COMMENTS.sub(" ", sql).upper().split()
    if not words:
        return False
    if words[0] == "WITH":
        return any(w in _DML for w in words)
    return words[0] in _DML


def _updates(sql: str, table: str, column: str) -> bool:
    """Whether ``sql`` is an UPDATE of ``table`` that sets ``column``."""
    pattern = (
        rf'^\s*UPDATE\s+(?:"?\w+"?\.)?"?{re.escape(table)}"?\s+SET\s+(?:[^;]*?,\s*)?'
        rf'"?{re.escape(column)}"?\s*='
    )
    return re.search(pattern, sql, re.I | re.S) is not None


def _short(sql: str, size: int = 60) -> str:
    return sql if len(sql) <= size else sql[: size - 3] + "..."


# --- the rules ---------------------------------------------------------------------------


@rule("WB100", "unreadable-upgrade", "warning")
def unreadable_upgrade(rev: RevisionOps) -> Iterator[Hit]:
    """Lint could not read the whole upgrade without a database.

    Risk: the upgrade raised while being read offline (it queries the database
    through ``op.get_bind()``, or it is broken), so no rule saw the operations
    after that point.

    Fix: keep revisions readable offline (data changes as ``op.execute("...")``
    SQL text), or review that revision by hand and silence this line.
    """
    if rev.upgrade.error and not rev.upgrade.raises:
        yield Hit(
            f"the upgrade could not be read: {rev.upgrade.error}", line=rev.def_line("upgrade")
        )


@rule("WB101", "rename-as-drop-add", "error")
def rename_as_drop_add(rev: RevisionOps) -> Iterator[Hit]:
    """A column (or table) is dropped and a look-alike added: a rename that loses the data.

    Risk: autogenerate writes every rename as drop + add. The upgrade then
    succeeds and every value of the old column (every row of the old table) is
    gone, with nothing reported; the usual fix for the NOT NULL error it hits
    (a blanket server default) hides it further.

    Fix: regenerate with ``workbench generate SCHEMA --rename TABLE.OLD=NEW``
    (or ``OLD=NEW`` for a table, or a ``renamed_from`` hint in the model), which
    writes ``op.alter_column(..., new_column_name=...)`` / ``op.rename_table``
    both ways. If it really is a drop and an unrelated add, silence the line.
    """
    dropped: dict[str, dict[str, Any]] = {}
    drops: dict[tuple[str, str], CapturedOp] = {}
    added: dict[str, dict[str, Any]] = {}
    for c, table in rev.on_existing("upgrade", "drop_column", "add_column"):
        if c.kind == "drop_column":
            dropped.setdefault(table, {})[_op(c).column_name] = rev.old_type(
                table, _op(c).column_name
            )
            drops[(table, _op(c).column_name)] = c
        else:
            added.setdefault(table, {})[_op(c).column.name] = _op(c).column.type
    for table in sorted(set(dropped) & set(added)):
        for old, new in column_rename_pairs(dropped[table], added[table]):
            yield Hit(
                f"drops {table}.{old} and adds {table}.{new} ({type_sql(added[table][new])}): "
                "if this is a rename, every value is lost",
                drops[(table, old)],
            )
    gone = {_op(c).table_name: c for c in rev.ops("upgrade") if c.kind == "drop_table"}
    made = {
        _op(c).table_name: [str(getattr(x, "name", "")) for x in _op(c).columns]
        for c in rev.ops("upgrade")
        if c.kind == "create_table"
    }
    old_columns = {name: list(rev.before.tables.get(name, {})) for name in gone}
    for old, new in table_rename_pairs(old_columns, made):
        yield Hit(
            f"drops table {old} and creates table {new} with the same columns: if this is a "
            "rename, every row is lost",
            gone[old],
        )


@rule("WB102", "drop-column-or-table", "warning")
def drop_column_or_table(rev: RevisionOps) -> Iterator[Hit]:
    """The upgrade drops a column or a table.

    Risk: its data is gone for good; the downgrade can bring the column or
    table back, but empty. Code still running the old version fails on it
    during a deploy.

    Fix: stop reading and writing it in the application first, back it up if it
    may be needed, then silence this line. ``workbench upgrade`` also counts
    what would be lost in the target and asks before it runs.
    """
    for c, table in rev.on_existing("upgrade", "drop_column"):
        yield Hit(f"drops column {table}.{_op(c).column_name} and its values", c)
    for c in rev.ops("upgrade"):
        if c.kind == "drop_table":
            yield Hit(f"drops table {_op(c).table_name} and its rows", c)


@rule("WB103", "not-null-without-default", "error")
def not_null_without_default(rev: RevisionOps) -> Iterator[Hit]:
    """A NOT NULL column is added to an existing table with no server default.

    Risk: the migration fails on any table that holds rows (PostgreSQL: "column
    contains null values"; SQLite: "Cannot add a NOT NULL column with default
    value NULL"), typically first in production. The quick fix, a blanket
    server default, silently gives every existing row a made-up value.

    Fix: regenerate with ``--backfill TABLE.COLUMN=SQL_EXPRESSION`` (or give the
    model a default): workbench writes add nullable, UPDATE, set NOT NULL.
    """
    for direction in ("upgrade", "downgrade"):
        for c, table in rev.on_existing(direction, "add_column"):
            column = _op(c).column
            if (
                not column.nullable
                and column.server_default is None
                and column.computed is None
                and column.identity is None
            ):
                yield Hit(
                    f"{_prefix(direction)}adds {table}.{column.name} NOT NULL with no server "
                    "default: it fails on a table that holds rows",
                    c,
                    direction,
                )


@rule("WB104", "type-narrowing", "warning")
def type_narrowing(rev: RevisionOps) -> Iterator[Hit]:
    """A column's type is changed to one that cannot hold every old value.

    Risk: values are truncated, rounded or rejected: PostgreSQL rounds
    ``NUMERIC`` scale and float-to-integer casts silently, and fails the
    migration on a too-long string; SQLite keeps whatever it was given.

    Fix: check the data first (``SELECT ... WHERE length(col) > N``), clean it
    in the same revision, or widen instead. ``workbench upgrade`` counts the
    values affected in the target and asks before it runs.
    """
    for c, table in rev.on_existing("upgrade", "alter_column"):
        op = _op(c)
        if op.modify_type is None:
            continue
        old = rev.old_type(table, op.column_name, op)
        reason = narrowing(old, op.modify_type)
        if reason:
            yield Hit(
                f"changes {table}.{op.column_name} from {type_sql(old)} to "
                f"{type_sql(op.modify_type)}: {reason}",
                c,
            )


_BATCH_ONLY = {
    "alter_column",
    "drop_column",
    "create_foreign_key",
    "create_unique_constraint",
    "create_check_constraint",
    "create_primary_key",
    "drop_constraint",
}


def _only_renames(op: Any) -> bool:
    return bool(
        op.modify_name
        and op.modify_type is None
        and op.modify_nullable is None
        and op.modify_server_default is False
        and op.modify_comment is False
    )


@rule("WB105", "sqlite-needs-batch", "error", backend="sqlite")
def sqlite_needs_batch(rev: RevisionOps) -> Iterator[Hit]:
    """An operation SQLite can only run in batch mode is written outside a batch block.

    Risk: SQLite's ALTER TABLE cannot change a column's type, nullability or
    default, nor add or drop a constraint (and drops a column only when no
    index or constraint uses it): the revision fails on SQLite, or Alembic
    refuses it.

    Fix: put it in ``with op.batch_alter_table("TABLE") as batch_op:`` (what
    ``workbench generate`` writes); a pure rename (``new_column_name=`` alone)
    may stay outside, SQLite 3.25+ renames in place.
    """
    for direction in ("upgrade", "downgrade"):
        for c in rev.ops(direction):
            if c.batch is not None or c.kind not in _BATCH_ONLY:
                continue
            if c.kind == "alter_column" and _only_renames(_op(c)):
                continue
            yield Hit(
                f"{_prefix(direction)}op.{c.kind} on {table_of(c)} outside batch_alter_table: "
                "SQLite cannot run it",
                c,
                direction,
            )


def _unnamed(name: Any) -> bool:
    return name is None or type(name).__name__ == "_NoneName"


def _unnamed_in_table(columns: Iterable[Any]) -> Iterator[str]:
    import sqlalchemy as sa

    for item in columns:
        if isinstance(item, sa.Column):
            yield from _unnamed_on_column(item)
        elif isinstance(item, sa.PrimaryKeyConstraint):
            continue
        elif isinstance(item, sa.Constraint) and _unnamed(item.name):
            cols = ", ".join(compat.pending_column_names(item)) or "..."
            kind = type(item).__name__.replace("Constraint", "").lower() or "constraint"
            if isinstance(item, sa.ForeignKeyConstraint):
                kind = "foreign key"
                cols = ", ".join(compat.fk_target_text(e) for e in item.elements) or cols
            yield f"{kind} ({cols})"


def _unnamed_on_column(column: Any) -> Iterator[str]:
    if column.unique and not column.primary_key:
        yield f"unique ({column.name})"
    for fk in column.foreign_keys:
        if _unnamed(fk.name) and (fk.constraint is None or _unnamed(fk.constraint.name)):
            yield f"foreign key ({column.name})"
    for constraint in column.constraints:
        if _unnamed(constraint.name):
            yield f"check ({column.name})"


@rule("WB106", "unnamed-constraint", "error")
def unnamed_constraint(rev: RevisionOps) -> Iterator[Hit]:
    """A constraint is created without a name.

    Risk: each backend invents its own name, so a later revision cannot drop or
    change it portably, and SQLite batch mode (which copies the table) silently
    loses unnamed UNIQUE and CHECK constraints.

    Fix: name it (``name=op.f("uq_users_email")``), or give the models' MetaData
    a naming convention and regenerate: every constraint workbench writes is
    named. (A primary key may stay unnamed: batch mode keeps it, and PostgreSQL
    names it ``TABLE_pkey``.)
    """
    creators = {
        "create_foreign_key",
        "create_unique_constraint",
        "create_check_constraint",
    }
    for direction in ("upgrade", "downgrade"):
        for c in rev.ops(direction):
            op = _op(c)
            found: list[str] = []
            if c.kind in creators and _unnamed(op.constraint_name):
                found.append(c.kind.replace("create_", "").replace("_", " "))
            elif c.kind == "create_table":
                found.extend(_unnamed_in_table(op.columns))
            elif c.kind == "add_column":
                found.extend(_unnamed_on_column(op.column))
            for what in found:
                yield Hit(f"{_prefix(direction)}{what} on {table_of(c)} has no name", c, direction)


_ENUM_SQL = re.compile(r"\bALTER\s+TYPE\s+\S+\s+(RENAME|DROP)\s+VALUE\b", re.I)


@rule("WB107", "enum-value-removed", "error")
def enum_value_removed(rev: RevisionOps) -> Iterator[Hit]:
    """An enum type loses or renames a member.

    Risk: rows holding the member make the migration fail (or, done by hand,
    lose their value); code still running the old version writes a member that
    no longer exists. PostgreSQL cannot drop a member: the type is rebuilt and
    every column using it rewritten, and a renamed member cannot be told apart
    from a removed one on the way back.

    Fix: move the rows off the member first (an UPDATE in the same revision),
    deploy code that no longer writes it, then remove it and silence this
    line; or keep the member.
    """
    import sqlalchemy as sa

    for c in rev.ops("upgrade"):
        op = _op(c)
        if c.kind == "sync_enum_values":
            removed = [v for v in op.old_values if v not in op.values]
            if removed:
                yield Hit(f"enum type {op.name} loses {', '.join(removed)}", c)
        elif c.kind == "alter_column" and isinstance(op.modify_type, sa.Enum):
            old = rev.old_type(table_of(c) or "", op.column_name, op)
            before = list(getattr(old, "enums", []) or [])
            removed = [v for v in before if v not in op.modify_type.enums]
            if removed:
                yield Hit(f"{table_of(c)}.{op.column_name} loses enum {', '.join(removed)}", c)
        elif c.kind == "execute" and _ENUM_SQL.search(_sql(op)):
            yield Hit(f"renames or drops an enum member: {_short(_sql(op))}", c)


@rule("WB108", "index-not-concurrent", "warning", backend="postgresql")
def index_not_concurrent(rev: RevisionOps) -> Iterator[Hit]:
    """An index (or unique constraint) is built on an existing table without CONCURRENTLY.

    Risk: on PostgreSQL, CREATE INDEX blocks every write to the table until the
    index is built, minutes on a large table; a UNIQUE constraint builds one
    under a lock that blocks reads too.

    Fix: ``op.create_index(..., postgresql_concurrently=True)`` inside ``with
    op.get_context().autocommit_block():`` (it cannot run in a transaction, so
    that part of the revision is not atomic); for a unique constraint, build the
    unique index concurrently and then ``ADD CONSTRAINT ... USING INDEX``. For a
    table known to be small, silence this line.
    """
    for c, table in rev.on_existing("upgrade", "create_index", "create_unique_constraint"):
        if c.kind == "create_index" and not _op(c).kw.get("postgresql_concurrently"):
            yield Hit(f"creates index {_op(c).index_name} on {table} without CONCURRENTLY", c)
        elif c.kind == "create_unique_constraint":
            yield Hit(
                f"adds unique constraint {_op(c).constraint_name} on {table}: builds its index "
                "under a lock",
                c,
            )


def _rewrites(old: Any, new: Any) -> bool:
    """Whether PostgreSQL rewrites the table to change a column from ``old`` to ``new``."""
    import sqlalchemy as sa

    o, n = getattr(old, "impl_instance", old), getattr(new, "impl_instance", new)
    if type_sql(o) == type_sql(n):
        return False
    if isinstance(o, sa.Enum) or isinstance(n, sa.Enum):
        return True
    fo, fn = family(o), family(n)
    if fo == fn == "String":
        # Binary-coercible: VARCHAR(n) to a longer VARCHAR, to TEXT or unbounded VARCHAR.
        return not (n.length is None or (o.length is not None and n.length >= o.length))
    if fo == fn == "Numeric":
        if n.precision is None:
            return False
        return not (
            o.precision is not None
            and (n.scale or 0) == (o.scale or 0)
            and n.precision >= o.precision
        )
    return True


@rule("WB109", "type-change-rewrites-table", "warning", backend="postgresql")
def type_change_rewrites_table(rev: RevisionOps) -> Iterator[Hit]:
    """A column type change makes PostgreSQL rewrite the whole table.

    Risk: ALTER COLUMN ... TYPE holds an ACCESS EXCLUSIVE lock (no reads, no
    writes) while every row is rewritten and every index on the table rebuilt.
    Only VARCHAR widening, VARCHAR to TEXT and NUMERIC precision growth skip it.

    Fix: add a new column, backfill it in batches, switch the code, then drop
    the old one; or run it in a maintenance window and silence this line.
    """
    for c, table in rev.on_existing("upgrade", "alter_column"):
        op = _op(c)
        if op.modify_type is None:
            continue
        old = rev.old_type(table, op.column_name, op)
        if old is not None and _rewrites(old, op.modify_type):
            yield Hit(
                f"changes {table}.{op.column_name} from {type_sql(old)} to "
                f"{type_sql(op.modify_type)}: the table is rewritten under an exclusive lock",
                c,
            )


@rule("WB110", "constraint-not-valid", "info", backend="postgresql")
def constraint_not_valid(rev: RevisionOps) -> Iterator[Hit]:
    """A foreign key or CHECK is added to an existing table without NOT VALID.

    Risk: on PostgreSQL, adding it validates every row while holding a lock
    that blocks writes (a foreign key also locks the referenced table): fine
    on a small table, an outage on a large one.

    Fix: add it with ``postgresql_not_valid=True``, then validate in a later
    revision (``ALTER TABLE ... VALIDATE CONSTRAINT``, which does not block
    writes).
    """
    kinds = ("create_foreign_key", "create_check_constraint")
    for c, table in rev.on_existing("upgrade", *kinds):
        if not _op(c).kw.get("postgresql_not_valid"):
            what = "foreign key" if c.kind == "create_foreign_key" else "check"
            yield Hit(
                f"adds {what} {_op(c).constraint_name} on {table} without NOT VALID: every row "
                "is checked under a lock",
                c,
            )


@rule("WB111", "downgrade-not-reversible", "error")
def downgrade_not_reversible(rev: RevisionOps) -> Iterator[Hit]:
    """The downgrade raises, or does nothing while the upgrade does something.

    Risk: the revision cannot be undone: a failed deploy cannot roll back, and
    ``workbench check`` cannot prove the round trip.

    Fix: write the downgrade (the reverse of each upgrade operation, in reverse
    order). If the change truly cannot be undone, say so in the revision and
    silence this line on ``def downgrade``.
    """
    line = rev.def_line("downgrade")
    if rev.downgrade.error:
        yield Hit(f"the downgrade raises: {rev.downgrade.error}", line=line, direction="downgrade")
    elif rev.upgrade.ops and not rev.downgrade.ops:
        count = len(rev.upgrade.ops)
        yield Hit(
            f"the downgrade does nothing, while the upgrade performs {count} operation"
            + ("" if count == 1 else "s"),
            line=line,
            direction="downgrade",
        )


def _is_backfill(rev: RevisionOps, index: int, sql: str) -> bool:
    """An UPDATE that fills a column the same upgrade then makes NOT NULL."""
    for later in rev.upgrade.ops[index + 1 :]:
        op = _op(later)
        if (
            later.kind == "alter_column"
            and op.modify_nullable is False
            and _updates(sql, table_of(later) or "", op.column_name)
        ):
            return True
    return False


@rule("WB112", "data-change-without-reverse", "warning")
def data_change_without_reverse(rev: RevisionOps) -> Iterator[Hit]:
    """The upgrade changes data with SQL, and the downgrade has no SQL to put it back.

    Risk: after a downgrade the schema is back but the data is not: updated
    values stay updated, deleted rows stay deleted.

    Fix: add the reverse ``op.execute(...)`` to the downgrade (keep what it
    needs, such as the old values in a column or table), or silence this line
    when the change needs no reverse. Backfills that ``generate`` writes
    (UPDATE of a column the revision then makes NOT NULL) are not reported.
    """
    if any(c.kind == "execute" and _is_dml(_sql(_op(c))) for c in rev.downgrade.ops):
        return
    for index, c in enumerate(rev.upgrade.ops):
        if c.kind != "execute":
            continue
        sql = _sql(_op(c))
        if _is_dml(sql) and not _is_backfill(rev, index, sql):
            yield Hit(f"changes data ({_short(sql)}) and the downgrade does not reverse it", c)


@rule("WB113", "set-not-null-without-backfill", "warning")
def set_not_null_without_backfill(rev: RevisionOps) -> Iterator[Hit]:
    """An existing column becomes NOT NULL with no UPDATE before it in the revision.

    Risk: the migration fails if any row holds NULL; on PostgreSQL it also scans
    the whole table under an ACCESS EXCLUSIVE lock.

    Fix: regenerate with ``--backfill TABLE.COLUMN=SQL_EXPRESSION`` (an UPDATE of
    the NULL rows is written before the change), or silence this line when the
    column is known to hold no NULL. On a large PostgreSQL table, add a
    ``CHECK (col IS NOT NULL) NOT VALID``, validate it, then set NOT NULL.
    """
    for direction in ("upgrade", "downgrade"):
        ops = rev.ops(direction)
        created = rev.created(direction)
        for index, c in enumerate(ops):
            table = table_of(c)
            if c.kind != "alter_column" or _op(c).modify_nullable is not False or table in created:
                continue
            if any(
                e.kind == "execute" and _updates(_sql(_op(e)), table or "", _op(c).column_name)
                for e in ops[:index]
            ):
                continue
            if any(
                e.kind == "add_column"
                and _op(e).column.name == _op(c).column_name
                and table_of(e) == table
                for e in ops[:index]
            ):
                continue  # a column this revision adds holds NULL only where WB103 says
            yield Hit(
                f"{_prefix(direction)}sets {table}.{_op(c).column_name} NOT NULL with no backfill "
                "before it: it fails if any row holds NULL",
                c,
                direction,
            )


# --- running the rules -------------------------------------------------------------------

_IGNORE = re.compile(r"#\s*workbench:\s*ignore\[([^\]]*)\]")


class _Source:
    """A revision file's lines, the statement around each line, and its ignore comments."""

    def __init__(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            text = ""
        self.lines = text.splitlines()
        self.spans: list[tuple[int, int]] = []
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        self.bodies: dict[int, int] = {}
        """A function's ``def`` line to its first statement's line."""
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                    self.bodies[node.lineno] = node.body[0].lineno
                if isinstance(node, ast.stmt) and not isinstance(
                    node,
                    (
                        ast.FunctionDef,
                        ast.AsyncFunctionDef,
                        ast.ClassDef,
                        ast.With,
                        ast.If,
                        ast.For,
                        ast.While,
                        ast.Try,
                    ),
                ):
                    self.spans.append((node.lineno, node.end_lineno or node.lineno))

    def _span(self, line: int) -> tuple[int, int]:
        best = (line, line)
        for start, end in self.spans:
            if start <= line <= end and (best == (line, line) or end - start < best[1] - best[0]):
                best = (start, end)
        return best

    def ignored(self, line: int | None, rule: Rule) -> bool:
        if line is None:
            return False
        start, end = self._span(line)
        candidates = list(range(start, end + 1))
        if line in self.bodies:  # a finding about a whole function: its first statement too
            first, last = self._span(self.bodies[line])
            candidates += range(first, last + 1)
        if start >= 2 and self.lines[start - 2].strip().startswith("#"):
            candidates.append(start - 1)
        for number in candidates:
            if not 1 <= number <= len(self.lines):
                continue
            for match in _IGNORE.finditer(self.lines[number - 1]):
                codes = {c.strip() for c in match.group(1).split(",")}
                if rule.code in codes or rule.name in codes:
                    return True
        return False


def check_revision(rev: RevisionOps, schema: str = "") -> list[Finding]:
    """Run every rule on one revision; the findings not silenced by an ignore comment."""
    source = _Source(rev.path)
    rev.source = source.lines
    findings = []
    for registered in RULES.values():
        for hit in registered.check(rev):
            line = hit.line if hit.op is None else hit.op.line
            if source.ignored(line, registered):
                continue
            findings.append(
                Finding(
                    code=registered.code,
                    severity=registered.severity,
                    message=hit.message,
                    schema=schema,
                    backend=registered.backend,
                    revision=rev.revision,
                    path=rev.path,
                    line=line,
                    details=(f"fix: {registered.fix}",),
                )
            )
    findings.sort(key=lambda f: (f.line or 0, f.code))
    return findings


def _wanted(scripts: ScriptDirectory, schema: str, revision: str | None) -> str | None:
    if revision is None:
        return None
    try:
        found = scripts.get_revision(revision)
    except Exception:
        found = None
    if found is None:
        known = ", ".join(s.revision for s in list(scripts.walk_revisions())[:8])
        raise RevisionError(
            f"schema {schema!r} has no revision {revision!r}.",
            hint=f"Known revisions, newest first: {known or 'none'} (or head).",
        )
    return str(found.revision)


def _run(cfg: Config, schema: str, revision: str | None) -> tuple[list[str], list[Finding]]:
    scripts = script_directory(cfg, schema)
    wanted = _wanted(scripts, schema, revision)
    ordered: list[Script] = list(scripts.walk_revisions("base", "heads"))
    ordered.reverse()
    model = HistoryModel()
    read: list[str] = []
    findings: list[Finding] = []
    for script in ordered:
        up = capture(script, "upgrade")
        if wanted is None or script.revision == wanted:
            view = RevisionOps(
                script.revision, Path(script.path), up, capture(script, "downgrade"), model
            )
            findings.extend(check_revision(view, schema))
            read.append(script.revision)
        for captured in up.ops:
            model.apply(captured)
    return read, findings


def lint_revisions(cfg: Config, schema: str, revision: str | None = None) -> list[Finding]:
    """The lint findings of ``schema``'s revisions, base to head; no database is used.

    Args:
        cfg: the project.
        schema: the schema's name.
        revision: only this revision's findings (an id, a unique prefix, or
            ``head``); the history before it is still read.

    Raises:
        RevisionError: the schema has no history, or no such revision.

    Example:
        >>> [f.code for f in lint_revisions(Config.at("."), "blog")]  # doctest: +SKIP
        []
    """
    return _run(cfg, schema, revision)[1]


def lint(cfg: Config, schema: str, revision: str | None = None) -> LintReport:
    """Lint ``schema``'s revisions: :func:`lint_revisions` as a :class:`LintReport`.

    Example:
        >>> lint(Config.at("."), "blog").ok  # doctest: +SKIP
        True
    """
    read, findings = _run(cfg, schema, revision)
    return LintReport(schema, tuple(read), tuple(findings))
