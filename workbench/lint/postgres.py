"""Rules about what PostgreSQL itself refuses, or silently skips, in a revision.

* ``ALTER COLUMN ... TYPE`` without ``USING`` needs an assignment cast from the
  old type to the new one: every type has one to text, numeric types have them
  among each other, dates and timestamps too; text to integer, uuid, date,
  boolean, json or an enum, an integer to boolean or uuid, one enum to
  another, have none, and the statement fails ("column cannot be cast
  automatically").
* SQLAlchemy leaves a foreign key declared ``use_alter=True`` out of
  ``CREATE TABLE`` on a backend that supports ALTER (PostgreSQL), expecting
  ``metadata.create_all`` to add it afterwards; ``op.create_table`` never does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workbench import compat
from workbench.lint.base import Hit, RevisionOps, _op, _prefix, rule, table_of
from workbench.revisions import impl
from workbench.safety import family, type_sql

_NUMBERS = {"Integer", "Numeric", "Float"}


def implicit_cast(old: Any, new: Any) -> bool | None:
    """Whether PostgreSQL changes a column from ``old`` to ``new`` without ``USING``.

    Returns:
        ``True`` or ``False``; ``None`` when a type is not known well enough to say
        (a user type, an array).
    """
    import sqlalchemy as sa

    o, n = impl(old), impl(new)
    if isinstance(n, sa.Enum) and n.native_enum:
        return isinstance(o, sa.Enum) and o.native_enum and o.name == n.name
    fo, fn = family(o), family(n)
    if fn == "String":
        return True  # every type has an assignment cast to text
    if fo in (None, "NullType", "ARRAY") or fn in (None, "NullType", "ARRAY"):
        return None
    if isinstance(n, sa.Interval) or isinstance(o, sa.Interval):
        return isinstance(o, (sa.Interval, sa.Time)) and isinstance(n, sa.Interval)
    if fo in _NUMBERS and fn in _NUMBERS:
        return True
    if {fo, fn} <= {"Date", "DateTime"}:
        return True
    if isinstance(o, sa.Enum) and o.native_enum:
        return False  # an enum casts to text only
    return fo == fn


def _using(column: str, new: Any) -> str:
    import sqlalchemy as sa

    n = impl(new)
    target = n.name if isinstance(n, sa.Enum) and n.name else type_sql(n).lower()
    return f'postgresql_using="{column}::{target}"'


@rule("WB116", "type-change-without-using", "error", backend="postgresql")
def type_change_without_using(rev: RevisionOps) -> Iterator[Hit]:
    """A column type change that PostgreSQL cannot cast implicitly has no USING.

    Risk: PostgreSQL has no assignment cast from text to integer, uuid, date,
    boolean, json or an enum, from an integer to boolean or uuid, or between
    two enums: ``ALTER COLUMN ... TYPE`` fails with "column cannot be cast
    automatically", on an empty table too. SQLite runs the same revision and
    keeps values of the old kind.

    Fix: say how to convert: ``op.alter_column(..., type_=...,
    postgresql_using="col::integer")`` (for an enum, ``col::text::myenum`` from
    another enum); check first that every value converts (WB104).
    """
    for direction in ("upgrade", "downgrade"):
        for c in rev.ops(direction):
            op = _op(c)
            if c.kind != "alter_column" or op.modify_type is None:
                continue
            if op.kw.get("postgresql_using"):
                continue
            table = table_of(c) or ""
            known = rev.before.column(table, op.column_name) if direction == "upgrade" else None
            old = rev.old_type(table, op.column_name, op) if direction == "upgrade" else None
            old = old if old is not None else op.existing_type
            if _enum_seen_as_string(known.type if known is not None else None, old):
                # Autogenerate wrote existing_type from SQLite, where an enum reflects as a
                # VARCHAR: on PostgreSQL the column is the enum the history made.
                old = known.type if known is not None else old
            if old is None or implicit_cast(old, op.modify_type) is not False:
                continue
            # The history before it does not know the column: a revision that could not be
            # read made it, perhaps of another type on PostgreSQL than existing_type says
            # (autogenerate wrote existing_type from the database it compared, often SQLite).
            unknown = (
                direction == "upgrade"
                and rev.before.column(table, op.column_name) is None
                and table not in rev.created("upgrade")
            )
            yield Hit(
                f"{_prefix(direction)}changes {table}.{op.column_name} from {type_sql(old)} to "
                f"{type_sql(op.modify_type)} without {_using(op.column_name, op.modify_type)}: "
                + (
                    "PostgreSQL cannot cast it implicitly and the migration fails"
                    if not unknown
                    else "PostgreSQL cannot cast that implicitly, but the revisions before it "
                    "could not be read to this column, so whether it is "
                    f"{type_sql(old)} on PostgreSQL is not known"
                ),
                c,
                direction,
                severity="warning" if unknown else None,
            )


def _enum_seen_as_string(made: Any, claimed: Any) -> bool:
    """Whether ``made`` (by the history) is an enum and ``claimed`` a plain string type."""
    import sqlalchemy as sa

    return (
        isinstance(made, sa.Enum)
        and isinstance(claimed, sa.String)
        and not isinstance(claimed, sa.Enum)
    )


@rule("WB115", "use-alter-in-create-table", "error", backend="postgresql")
def use_alter_in_create_table(rev: RevisionOps) -> Iterator[Hit]:
    """A foreign key declared use_alter=True is written inside create_table.

    Risk: SQLAlchemy leaves a ``use_alter`` foreign key out of CREATE TABLE on
    PostgreSQL (it expects to add it with ALTER TABLE afterwards, which
    ``metadata.create_all`` does and ``op.create_table`` does not): the
    foreign key is never created there, silently, while SQLite creates it
    inline.

    Fix: create the table without it, then ``op.create_foreign_key(...)`` once
    both tables exist (in ``batch_alter_table`` for SQLite); drop it first on
    downgrade.
    """
    for direction in ("upgrade", "downgrade"):
        for c in rev.ops(direction):
            if c.kind != "create_table":
                continue
            for columns, target in _use_alter(_op(c).columns):
                yield Hit(
                    f"{_prefix(direction)}creates {_op(c).table_name} with foreign key "
                    f"({columns}) -> {target} declared use_alter=True: PostgreSQL never gets it",
                    c,
                    direction,
                )


def _use_alter(items: Any) -> Iterator[tuple[str, str]]:
    """``(columns, target)`` of each ``use_alter`` foreign key among create_table's items."""
    import sqlalchemy as sa

    for item in items:
        if isinstance(item, sa.ForeignKeyConstraint) and item.use_alter:
            columns = ", ".join(compat.pending_column_names(item)) or ", ".join(item.column_keys)
            yield columns, ", ".join(e.target_fullname for e in item.elements)
        elif isinstance(item, sa.Column):
            for fk in item.foreign_keys:
                if fk.use_alter or (fk.constraint is not None and fk.constraint.use_alter):
                    yield str(item.name), fk.target_fullname
