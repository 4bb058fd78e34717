"""The rules WB100-WB113: each a registered check function whose docstring documents it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from workbench.lint.base import (
    Direction,
    Hit,
    RevisionOps,
    _is_dml,
    _op,
    _prefix,
    _short,
    _sql,
    _updates,
    filled_by,
    rule,
    table_of,
)
from workbench.lint.keys import KEYS, postgresql_name
from workbench.revisions import CapturedOp
from workbench.safety import (
    column_rename_pairs,
    family,
    narrowing,
    table_rename_pairs,
    type_sql,
)
from workbench.walker import Names, Step, walk

# --- the rules ---------------------------------------------------------------------------


@rule("WB100", "unreadable-revision", "warning")
def unreadable_revision(rev: RevisionOps) -> Iterator[Hit]:
    """Lint could not read the whole revision without a database.

    Risk: reading stopped partway (the revision queries the database through
    ``op.get_bind()``, reads its URL or closes it, imports what is not
    installed, or is broken), so no rule saw the operations after that point.
    Nothing is known to be wrong; nothing after that point was checked either.

    Fix: keep revisions readable offline (data changes as ``op.execute(...)``
    with SQL text or ``sa.update(...)``), or review that revision by hand and
    silence this line.
    """
    if rev.upgrade.error and not rev.upgrade.raises:
        yield Hit(
            f"the upgrade could not be read offline: {rev.upgrade.error}",
            line=rev.def_line("upgrade"),
        )
    if rev.downgrade.offline:
        yield Hit(
            f"the downgrade could not be read offline: {rev.downgrade.error}",
            line=rev.def_line("downgrade"),
            direction="downgrade",
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
    migration on a too-long string or on text that is not a member of the new
    enum; SQLite keeps whatever it was given.

    Fix: check the data first (``SELECT ... WHERE length(col) > N``), clean it
    in the same revision, or widen instead. ``workbench upgrade`` counts the
    values affected in the target and asks before it runs.
    """
    for c, table in rev.on_existing("upgrade", "alter_column"):
        op = _op(c)
        if op.modify_type is None:
            continue
        old = rev.old_type(table, op.column_name, op)
        reason = narrowing(old, op.modify_type) or _to_enum(old, op.modify_type)
        if reason:
            yield Hit(
                f"changes {table}.{op.column_name} from {type_sql(old)} to "
                f"{type_sql(op.modify_type)}: {reason}",
                c,
            )


def _to_enum(old: Any, new: Any) -> str | None:
    """Why text values may not fit an enum (``narrowing`` leaves enums to WB107)."""
    import sqlalchemy as sa

    o, n = getattr(old, "impl_instance", old), getattr(new, "impl_instance", new)
    if old is None or not isinstance(n, sa.Enum) or isinstance(o, sa.Enum):
        return None
    if family(o) != "String":
        return None
    members = ", ".join(n.enums[:6]) + (", ..." if len(n.enums) > 6 else "")
    return (
        f"a value that is not a member ({members}) makes the PostgreSQL upgrade fail, "
        "and stays as it is on SQLite"
    )


def _unnamed(name: Any) -> bool:
    return name is None or type(name).__name__ == "_NoneName"


@rule("WB106", "unnamed-constraint", "warning", backend="sqlite")
def unnamed_constraint(rev: RevisionOps) -> Iterator[Hit]:
    """A UNIQUE, CHECK or foreign key constraint is created without a name (SQLite).

    Risk: PostgreSQL names it itself (``TABLE_COLUMN_key``, ``_fkey``,
    ``_check``), and later revisions may rely on that name; SQLite gives it
    none, so a later ``drop_constraint`` by that name fails there (WB117), and
    batch mode silently leaves an unnamed CHECK out of the copied table.

    Fix: name it (``name=op.f("uq_users_email")``), or give the models' MetaData
    a naming convention and regenerate: every constraint workbench writes is
    named. (A primary key may stay unnamed: batch mode keeps it.)
    """
    for direction in ("upgrade", "downgrade"):
        # A constraint that existed before the revision was reported where it was made.
        before = {
            (t, k)
            for known in {"upgrade": [rev.keys_before]}.get(
                direction, [rev.keys_before, rev.keys_after]
            )
            for t, keys in known.tables.items()
            for k in keys
        }
        after = rev.keys(direction)
        walk(rev.ops(direction), KEYS, after)
        for table, keys in sorted(after.tables.items()):
            for key in keys:
                if key.name is None and key.kind in _NAMED_LATER and (table, key) not in before:
                    made = _maker(rev, direction, table)
                    yield Hit(
                        f"{_prefix(direction)}{key.kind} ({', '.join(key.columns) or key.text})"
                        f" on {table} has no name on SQLite",
                        made,
                        direction,
                    )


_NAMED_LATER = ("unique", "foreign key", "check")


def _maker(rev: RevisionOps, direction: Direction, table: str) -> CapturedOp | None:
    """The first operation of ``direction`` on ``table`` that can create a constraint."""
    for c in rev.ops(direction):
        if table_of(c) == table and c.kind in _CREATES:
            return c
    return None


_CREATES = {
    "create_table",
    "add_column",
    "create_foreign_key",
    "create_unique_constraint",
    "create_check_constraint",
}


@rule("WB114", "drop-unnamed-constraint", "error")
def drop_unnamed_constraint(rev: RevisionOps) -> Iterator[Hit]:
    """A constraint is dropped with no name: drop_constraint(None, ...).

    Risk: the operation cannot run on any backend (SQLAlchemy cannot emit DROP
    CONSTRAINT without a name; batch mode raises "Constraint must have a
    name"), so that direction of the revision fails every time. Autogenerate
    writes it for a constraint that was created unnamed.

    Fix: write the constraint's real name: PostgreSQL's own
    (``TABLE_COLUMN_fkey``, ``TABLE_COLUMN_key``) where it was created unnamed,
    or the name the naming convention gives it.
    """
    for direction in ("upgrade", "downgrade"):
        for c in rev.ops(direction):
            if c.kind == "drop_constraint" and _unnamed(_op(c).constraint_name):
                what = _op(c).constraint_type or "constraint"
                yield Hit(
                    f"{_prefix(direction)}drops a {what} on {table_of(c)} with no name: "
                    "it cannot run",
                    c,
                    direction,
                )


@rule("WB117", "drop-by-postgresql-name", "error", backend="sqlite")
def drop_by_postgresql_name(rev: RevisionOps) -> Iterator[Hit]:
    """A constraint created unnamed is dropped by the name PostgreSQL gave it, on SQLite.

    Risk: PostgreSQL names an unnamed constraint ``TABLE_COLUMN_fkey`` (or
    ``_key``, ``_check``, ``_pkey``) and the drop works there; SQLite never
    named it, so batch mode fails with "No such constraint" and the revision
    cannot run on SQLite.

    Fix: on SQLite, recreate the table without it (``batch_alter_table`` with
    ``table_args``/``reflect_args``), or declare the schema PostgreSQL-only
    (``[tool.workbench.schema.NAME] backends = ["postgresql"]``) if SQLite is
    not a backend you run.
    """
    for direction in ("upgrade", "downgrade"):
        keys = rev.keys(direction)
        for c in rev.ops(direction):
            table = table_of(c)
            name = _op(c).constraint_name if c.kind == "drop_constraint" else None
            if table is not None and name and keys.knows(table):
                named = [k for k in keys.of(table) if k.name == name]
                unnamed = [k for k in keys.of(table) if k.name is None]
                if not named and any(postgresql_name(table, k) == name for k in unnamed):
                    yield Hit(
                        f"{_prefix(direction)}drops {name} on {table}: PostgreSQL's name for a "
                        "constraint created unnamed, which SQLite does not have",
                        c,
                        direction,
                    )
            keys.apply(Step.at(c, Names()))


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
    """The downgrade raises, or does nothing while the upgrade changes the schema.

    Risk: the revision cannot be undone: a failed deploy cannot roll back, and
    ``workbench check`` cannot prove the round trip.

    Fix: write the downgrade (the reverse of each upgrade operation, in reverse
    order). If the change truly cannot be undone, say so in the revision and
    silence this line on ``def downgrade``. An upgrade that only changes data
    (``UPDATE``, ``INSERT``, ``DELETE``) with a deliberately empty downgrade is
    not reported here: the schema round-trips, and WB112 warns that the data
    does not come back.
    """
    line = rev.def_line("downgrade")
    if rev.downgrade.offline:
        return  # not known to raise: WB100 says what could not be read
    schema_ops = [c for c in rev.upgrade.ops if not _data_only(c)]
    if rev.downgrade.error:
        yield Hit(f"the downgrade raises: {rev.downgrade.error}", line=line, direction="downgrade")
    elif schema_ops and not rev.downgrade.ops:
        count = len(schema_ops)
        yield Hit(
            f"the downgrade does nothing, while the upgrade performs {count} operation"
            + ("" if count == 1 else "s"),
            line=line,
            direction="downgrade",
        )


def _data_only(c: Any) -> bool:
    """Whether a captured operation changes rows only, not the schema."""
    return c.kind == "bulk_insert" or (c.kind == "execute" and _is_dml(_sql(_op(c))))


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
    """An existing column becomes NOT NULL with no UPDATE of it before, in any revision.

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
            if (table, _op(c).column_name) in rev.filled or any(
                (table, _op(c).column_name) in filled_by(e) for e in ops[:index]
            ):
                continue  # backfilled by an UPDATE in this revision or an earlier one
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
