"""The ``USING`` clause a PostgreSQL type change needs where PostgreSQL has no cast of its own.

PostgreSQL's ``ALTER COLUMN ... TYPE`` converts values only through an
implicit or assignment cast, so some type changes that pass on SQLite fail
there ("column cannot be cast automatically"). :func:`add_postgresql_using`
gives such an ``alter_column`` the expression that converts the values
(:func:`postgresql_using`); autogen's post-processing runs it on every
operation of a generated revision. Here too: the PostgreSQL dialect workbench
compiles SQL text with (:func:`pg_dialect`).
"""

from __future__ import annotations

from typing import Any

from workbench.revisions import type_ddl


def pg_dialect() -> Any:
    """A PostgreSQL dialect to compile types, defaults and identifiers with."""
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()  # type: ignore[no-untyped-call]


def add_postgresql_using(op: Any) -> None:
    """Give an ``alter_column`` that changes a type ``postgresql_using`` where PostgreSQL needs it.

    PostgreSQL's ``ALTER COLUMN ... TYPE`` converts values only through an
    implicit or assignment cast; text to an enum, integer, uuid, date or
    boolean, integer to boolean or uuid, an enum to another enum have none, and
    the revision fails there ("column cannot be cast automatically") while it
    passes on SQLite. Other backends ignore the option.
    """
    from alembic.operations import ops as alembic_ops

    if not isinstance(op, alembic_ops.AlterColumnOp) or op.modify_type is None:
        return
    if "postgresql_using" in op.kw or op.existing_type is None:
        return
    using = postgresql_using(op.column_name, op.existing_type, op.modify_type)
    if using is not None:
        op.kw["postgresql_using"] = using


def postgresql_using(column: str, old: Any, new: Any) -> str | None:
    """The ``USING`` expression that converts ``column`` from ``old`` to ``new``, if one is due."""
    before, after = _pg_category(old), _pg_category(new)
    if before is None or after is None or after == "string":
        return None
    name = _pg_ident(column)
    target = _pg_type_text(new)
    if before == after:
        if before == "enum" and type_ddl(old) != type_ddl(new):
            return f"{name}::text::{target}"
        return None
    if before == "string":
        if after == "enum":
            return f"{name}::{target}"
        return f"NULLIF({name}, '')::{target}"
    if before == "enum":
        return f"{name}::text::{target}"
    if (before, after) == ("number", "boolean"):
        return f"{name} <> 0"
    if (before, after) == ("boolean", "number"):
        return f"{name}::integer"
    if (before, after) == ("number", "uuid") and _is_integer(old):
        return f"lpad(to_hex({name}), 32, '0')::uuid"
    return f"{name}::text::{target}"


def _pg_impl(type_: Any) -> Any:
    """The type as PostgreSQL stores it: a ``TypeDecorator``'s implementation there."""
    import sqlalchemy as sa

    if isinstance(type_, sa.TypeDecorator):
        return type_.load_dialect_impl(pg_dialect())
    return type_


def _pg_category(type_: Any) -> str | None:
    """PostgreSQL's cast family of a type; ``None`` when unknown (no ``USING`` is guessed)."""
    import sqlalchemy as sa

    t = _pg_impl(type_)
    if isinstance(t, sa.Enum):
        return "enum" if t.native_enum and t.name else "string"
    checks: list[tuple[type[Any] | tuple[type[Any], ...], str]] = [
        (sa.Boolean, "boolean"),
        (sa.Uuid, "uuid"),
        (sa.JSON, "json"),
        (sa.String, "string"),
        ((sa.Integer, sa.Numeric), "number"),
        ((sa.Date, sa.DateTime, sa.Time, sa.Interval), "time"),
    ]
    for kinds, category in checks:
        if isinstance(t, kinds):
            return category
    return None


def _is_integer(type_: Any) -> bool:
    import sqlalchemy as sa

    return isinstance(_pg_impl(type_), sa.Integer)


def _pg_ident(name: str) -> str:
    return str(pg_dialect().identifier_preparer.quote(name))


def _pg_type_text(type_: Any) -> str:
    """``integer``, ``numeric(10, 2)``, an enum's (quoted) name: the target of a cast."""
    import sqlalchemy as sa

    text = type_ddl(_pg_impl(type_)) or ""
    if isinstance(_pg_impl(type_), sa.Enum):
        return text
    return text.lower()
