"""Every private name of Alembic, SQLAlchemy and click that workbench relies on, in one place.

Our dependencies are bounded below the next major version in ``pyproject.toml``,
but a minor release may still rename a private attribute. Each function here
wraps exactly one such name, says why no public API does the job, and fails
loudly (``CompatError``) when the name is gone, rather than letting a safety
path quietly see nothing. ``tests/test_compat.py`` exercises each one against
the installed versions, so a release that breaks one fails the suite (run it
against the newest releases with ``scripts/test-newest``).

Nothing here imports typer, rich or click: the click helper only reads an
attribute of the context it is given. typer's own private names are used by
the CLI alone, so they live in ``workbench/cli/_typer_compat.py``, tested in the
same file of tests.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Iterator, Sequence
from typing import Any

from workbench.errors import WorkbenchError


class CompatError(WorkbenchError):
    """A private API of a dependency is not where this version of workbench expects it."""


def _missing(owner: str, name: str) -> CompatError:
    return CompatError(
        f"{owner} no longer provides {name}, which this version of workbench relies on.",
        hint="Install the dependency versions pyproject.toml allows, or upgrade workbench.",
    )


# --- Alembic -------------------------------------------------------------------------------


def upgrade_steps(scripts: Any, destination: str, current: Sequence[str]) -> list[Any]:
    """The revision steps ``alembic upgrade DEST`` would run from ``current``, in order.

    Alembic computes them in ``ScriptDirectory._upgrade_revs``; the public
    ``iterate_revisions`` yields revisions but not the step direction merges need.
    Each step has ``.revision`` (a ``Script``) and ``.is_upgrade``.
    """
    method = getattr(scripts, "_upgrade_revs", None)
    if method is None:
        raise _missing("alembic.script.ScriptDirectory", "_upgrade_revs")
    return list(method(destination, tuple(current)))


def downgrade_steps(scripts: Any, destination: str, current: Sequence[str]) -> list[Any]:
    """The revision steps ``alembic downgrade DEST`` would run from ``current``, in order."""
    method = getattr(scripts, "_downgrade_revs", None)
    if method is None:
        raise _missing("alembic.script.ScriptDirectory", "_downgrade_revs")
    return list(method(destination, tuple(current)))


def revision_loader(scripts: Any) -> Any:
    """The generator function a ``ScriptDirectory`` reads its revision files with.

    Alembic passes ``ScriptDirectory._load_revisions`` to its ``RevisionMap``;
    no public hook sees a revision file that fails to import, which workbench
    must report as the user's error (file and line), not as its own.
    """
    method = getattr(scripts, "_load_revisions", None)
    if method is None:
        raise _missing("alembic.script.ScriptDirectory", "_load_revisions")
    return method


def install_op_proxy(operations: Any) -> None:
    """Make ``alembic.op`` forward to ``operations`` (what ``EnvironmentContext`` does).

    Reading a revision offline means calling its ``upgrade()`` with our own
    ``Operations`` object behind ``op``; Alembic only exposes this privately.
    """
    method = getattr(operations, "_install_proxy", None)
    if method is None:
        raise _missing("alembic.operations.Operations", "_install_proxy")
    method()


def remove_op_proxy(operations: Any) -> None:
    """Undo :func:`install_op_proxy`."""
    method = getattr(operations, "_remove_proxy", None)
    if method is None:
        raise _missing("alembic.operations.Operations", "_remove_proxy")
    method()


def share_op_registrations(subclass: type[Any], base: type[Any]) -> None:
    """Let ``subclass`` of ``Operations`` answer every operation registered on ``base``.

    Alembic keeps ``register_operation`` plugins per exact class in ``_setups``.
    """
    setups = getattr(base, "_setups", None)
    if not isinstance(setups, dict) or base not in setups:
        raise _missing("alembic.operations.Operations", "_setups")
    setups[subclass] = setups[base]


def batch_impl(
    operations: Any, table_name: str, schema: str | None, recreate: str, kw: dict[str, Any]
) -> Any:
    """A ``BatchOperationsImpl`` for ``batch_alter_table(table_name, ...)`` without running it.

    Alembic builds it inside ``Operations.batch_alter_table``, positionally;
    the constructor is not public API.
    """
    from alembic.operations.batch import BatchOperationsImpl

    return BatchOperationsImpl(  # type: ignore[no-untyped-call]
        operations,
        table_name,
        schema,
        recreate,
        kw.get("copy_from"),
        kw.get("table_args", ()),
        kw.get("table_kwargs", {}),
        kw.get("reflect_args", ()),
        kw.get("reflect_kwargs", {}),
        kw.get("naming_convention"),
        kw.get("partial_reordering"),
    )


# --- SQLAlchemy ----------------------------------------------------------------------------


def fk_target_text(element: Any) -> str:
    """The ``table.column`` a ``ForeignKey`` names, before it is bound to a table.

    ``ForeignKey.target_fullname`` resolves it but raises on an unbound key;
    the spec as written lives in ``_colspec`` (a string or a ``Column``).
    """
    parent = getattr(element, "parent", None)
    if parent is not None:
        return str(parent)
    if not hasattr(element, "_colspec"):
        raise _missing("sqlalchemy.ForeignKey", "_colspec")
    return str(element._colspec)


def pending_column_names(constraint: Any) -> list[str]:
    """The column names a constraint was declared with, before it is attached to a table."""
    return [str(c) for c in getattr(constraint, "_pending_colargs", None) or []]


def type_affinity(type_: Any) -> type[Any] | None:
    """The generic SQLAlchemy type class a type behaves as (``String``, ``Integer``, ...).

    ``TypeEngine._type_affinity`` is what SQLAlchemy itself uses to compare types
    across dialects; no public attribute says it.
    """
    affinity = getattr(type_, "_type_affinity", None)
    return affinity if isinstance(affinity, type) else None


def copy_column(column: Any) -> Any:
    """An unattached copy of a ``Column`` (``Column._copy``; ``copy()`` is deprecated)."""
    method = getattr(column, "_copy", None)
    if method is None:
        raise _missing("sqlalchemy.Column", "_copy")
    return method()


def forget_created_types(migration_context: Any) -> None:
    """Clear the memo of named types (PostgreSQL enums) Alembic's DDL runner created.

    ``op.create_table`` runs the table's DDL events with the migration
    context's impl as ``_ddl_runner``; SQLAlchemy's named types record in its
    ``memo`` each type they created, and do not create it again through that
    runner. Within one migration context that spans several revisions (check's
    walk upgrades, downgrades and upgrades again in one Alembic run) a type
    dropped by a downgrade would then not be made again: "type does not exist".
    No public API resets it; a new migration context per step would lose the
    one-run walk.
    """
    impl = getattr(migration_context, "impl", None)
    memo = getattr(impl, "memo", None)
    if not isinstance(memo, dict):
        raise _missing("alembic.ddl.impl.DefaultImpl", "memo")
    memo.clear()


def sqlite_explicit_transactions(dialect: Any) -> None:
    """Keep pysqlite's own transaction handling off after an isolation level is set.

    workbench's SQLite engines begin every transaction themselves (SQLAlchemy's
    documented pysqlite recipe: ``isolation_level = None`` and an explicit
    ``BEGIN``). ``SQLiteDialect_pysqlite.set_isolation_level`` turns pysqlite's
    implicit transactions back on (``isolation_level = ""``) for every level
    but AUTOCOMMIT, which Alembic's ``autocommit_block()`` sets and then
    undoes: from then on pysqlite opened transactions SQLAlchemy did not know
    of, and the next ``BEGIN`` failed ("cannot start a transaction within a
    transaction"). Met in prefect's history.
    """
    original = getattr(dialect, "set_isolation_level", None)
    if original is None:
        raise _missing("sqlalchemy SQLiteDialect_pysqlite", "set_isolation_level")

    def set_isolation_level(dbapi_connection: Any, level: Any) -> None:
        original(dbapi_connection, level)
        dbapi_connection.isolation_level = None

    dialect.set_isolation_level = set_isolation_level


def pg_reflect_type(
    dialect: Any,
    format_type: str | None,
    enums: dict[tuple[str, ...], dict[str, Any]],
    description: str,
    collation: str | None,
    collation_schema: str | None,
) -> Any:
    """The SQLAlchemy type PostgreSQL reflection makes of ``format_type()``'s text.

    ``PGDialect._reflect_type`` is the parser behind ``get_columns``; the
    catalog reader (:mod:`workbench.pgcatalog`) reads the columns in a query of
    its own and must give each the type reflection gives. ``enums`` is keyed as
    SQLAlchemy keys them: ``(name,)`` when visible, else ``(schema, name)``.
    Domains are not given: the reader leaves a database with domains to
    SQLAlchemy's reflection.
    """
    method = getattr(dialect, "_reflect_type", None)
    if method is None:
        raise _missing("sqlalchemy PGDialect", "_reflect_type")

    class Named:
        def __init__(self) -> None:
            self.enums = enums
            self.domains: dict[tuple[str, ...], Any] = {}

    parameters = inspect.signature(method).parameters
    if "domains" in parameters:
        # SQLAlchemy 2.0: (format_type, domains, enums, type_description[, collation]);
        # its reflection reads a collation's name only (2.0.4x on), never its schema.
        given = {"collation": collation} if "collation" in parameters else {}
        return method(format_type, {}, enums, type_description=description, **given)
    return method(
        format_type,
        Named(),
        type_description=description,
        collation=collation,
        collation_schema=collation_schema,
    )


def pg_parse_foreign_key(
    dialect: Any, condef: str
) -> tuple[list[str], str, list[str], dict[str, Any]]:
    """Columns, referred table, referred columns and options of ``pg_get_constraintdef()``'s text.

    ``PGDialect._parse_fk`` and the preparer's ``_unquote_identifier`` are
    how ``get_foreign_keys`` reads a foreign key (the ``ON DELETE SET NULL
    (column)`` forms included); the catalog reader must read it the same way.
    """
    parse = getattr(dialect, "_parse_fk", None)
    unquote = getattr(dialect.identifier_preparer, "_unquote_identifier", None)
    if parse is None or unquote is None:
        raise _missing("sqlalchemy PGDialect", "_parse_fk")
    columns, _, table, referred, match, onupdate, ondelete, deferrable, initially = parse(condef)
    if deferrable is not None:
        deferrable = deferrable == "DEFERRABLE"
    options = {
        key: value
        for key, value in [
            ("onupdate", onupdate),
            ("ondelete", ondelete),
            ("initially", initially),
            ("deferrable", deferrable),
            ("match", match),
        ]
        if value is not None and value != "NO ACTION"
    }
    return (
        [unquote(x) for x in re.split(r"\s*,\s*", columns)],
        unquote(table),
        [unquote(x) for x in re.split(r"\s*,\s", referred)],
        options,
    )


@contextlib.contextmanager
def readable_computed_defaults() -> Iterator[None]:
    """While active, a reflected computed or identity column's ``server_default`` has an ``arg``.

    Alembic (1.18 to 1.20) reads ``conn_col.server_default.arg.text`` before it
    calls a callable ``compare_server_default``, and a reflected ``Computed``
    (``GENERATED ALWAYS AS``) or ``Identity`` has no ``arg``: autogenerate fails
    with an AttributeError on any table with such a column. The ``arg`` given
    here is the expression itself (none for an identity), which is what Alembic
    means to read. No public hook runs before that comparator.
    """
    import sqlalchemy as sa
    from sqlalchemy import event

    def attach(target: Any, _parent: Any) -> None:
        if not hasattr(target, "arg"):
            sqltext = getattr(target, "sqltext", None)
            target.arg = sa.text("") if sqltext is None else sqltext

    for kind in (sa.Computed, sa.Identity):
        event.listen(kind, "after_parent_attach", attach)
    try:
        yield
    finally:
        for kind in (sa.Computed, sa.Identity):
            event.remove(kind, "after_parent_attach", attach)


# --- click ---------------------------------------------------------------------------------


def command_line_rest(ctx: Any) -> list[str]:
    """The arguments a click group has not parsed yet (the subcommand's own).

    click 8 keeps the subcommand name and its leading arguments in
    ``_protected_args`` (``protected_args`` is deprecated in 8.2) and the rest
    in ``args``.
    """
    protected = getattr(ctx, "_protected_args", None)
    if protected is None:
        protected = getattr(ctx, "protected_args", [])
    return [*protected, *getattr(ctx, "args", [])]
