"""Sources of an :class:`ErModel`: SQLAlchemy tables, a live database, a revision.

:func:`model_from_metadata` normalizes declared or reflected tables;
:func:`reflect` reads a live database; :func:`at_revision` migrates a scratch
SQLite database to a revision and reflects it with the exact types the
history wrote. eralchemy2 decides the cardinality of each relationship from
SQLAlchemy's foreign keys (:func:`_cardinality`); its own drawing sorts
columns by name and attaches edges to whole tables, so the drawing is ours.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING, Any

from workbench import db, pgschemas
from workbench.config import Config, is_version_table
from workbench.diagram.model import (
    ColumnInfo,
    ConstraintInfo,
    ConstraintKind,
    ErModel,
    ForeignKeyInfo,
    TableInfo,
)
from workbench.errors import RevisionError, WorkbenchError
from workbench.revisions import ColumnState, HistoryModel, capture, script_directory, type_ddl

if TYPE_CHECKING:
    from sqlalchemy import ForeignKeyConstraint, MetaData, Table
    from sqlalchemy.types import TypeEngine

MODELS = "models"
"""In ``--diff A..B``, the side that means the current models rather than a revision."""

Exact = Callable[[str, str], ColumnState | None]
"""What the history says of ``(table, column)``, or ``None`` when it does not know it."""


def model_from_metadata(
    metadata: MetaData, *, schema: str, source: str = MODELS, exact: Exact | None = None
) -> ErModel:
    """Normalize SQLAlchemy tables (declared or reflected) into an :class:`ErModel`.

    Args:
        metadata: the tables, declared by models or reflected from a database.
        schema: the schema's name, for the title.
        source: where the tables come from, for the title.
        exact: the type and server default of ``(table, column)`` when a better
            source than ``metadata`` knows them (the history knows enum members,
            time zones and default expressions that SQLite reflection loses).
    """
    tables = tuple(
        _table_info(t, exact)
        for t in metadata.sorted_tables
        if not is_version_table(t.name) and not t.name.startswith("_alembic_tmp_")
    )
    return ErModel(schema=schema, source=source, tables=tables)


def _table_info(table: Table, exact: Exact | None) -> TableInfo:
    import sqlalchemy as sa

    unique_sets: list[frozenset[str]] = []
    constraints: list[ConstraintInfo] = []
    for item in table.constraints:
        if isinstance(item, sa.UniqueConstraint):
            cols = tuple(c.name for c in item.columns)
            unique_sets.append(frozenset(cols))
            constraints.append(ConstraintInfo("unique", _name(item.name, table, "uq"), cols))
        elif isinstance(item, sa.CheckConstraint):
            text = check_text(item.sqltext)
            constraints.append(ConstraintInfo("check", _name(item.name, table, "ck"), text=text))
    indexes = []
    for index in table.indexes:
        cols = tuple(
            c.name if isinstance(c, sa.Column) else check_text(c) for c in index.expressions
        )
        if index.unique:
            unique_sets.append(frozenset(cols))
        kind: ConstraintKind = "unique index" if index.unique else "index"
        indexes.append(ConstraintInfo(kind, _name(index.name, table, "ix"), cols))
    constraints.sort(key=lambda c: (c.kind != "unique", c.name))
    indexes.sort(key=lambda c: c.name)

    pk_cols = tuple(c.name for c in table.primary_key.columns)
    primary_key = None
    if pk_cols:
        unique_sets.append(frozenset(pk_cols))
        primary_key = ConstraintInfo(
            "primary key", _name(table.primary_key.name, table, "pk"), pk_cols
        )
    order = {c.name: i for i, c in enumerate(table.columns)}
    fks = sorted(
        table.foreign_key_constraints,
        key=lambda fk: (min(order.get(c.name, 0) for c in fk.columns), str(fk.name)),
    )
    foreign_keys = tuple(_fk_info(fk, table, unique_sets, pk_cols) for fk in fks)
    fk_columns = {c for fk in foreign_keys for c in fk.columns}
    single_unique = {next(iter(s)) for s in unique_sets if len(s) == 1}
    columns = []
    for column in table.columns:
        known = exact(table.name, column.name) if exact else None
        type_ = known.type if known is not None and known.type is not None else column.type
        default = known.server_default if known is not None else column.server_default
        label, values = type_label(type_)
        columns.append(
            ColumnInfo(
                name=column.name,
                type=label,
                nullable=bool(column.nullable) and not column.primary_key,
                primary_key=column.name in pk_cols,
                foreign_key=column.name in fk_columns,
                unique=column.name in single_unique and (pk_cols != (column.name,)),
                default=_default_text(default),
                enum_values=values,
            )
        )
    return TableInfo(
        name=table.name,
        columns=tuple(columns),
        primary_key=primary_key,
        foreign_keys=foreign_keys,
        constraints=tuple(constraints + indexes),
    )


def check_text(sqltext: Any) -> str:
    """A CHECK's expression as the DDL writes it: literal values, unqualified column names.

    ``str()`` of the expression SQLAlchemy builds for ``Enum`` or ``Boolean``
    with ``create_constraint`` would read ``t.status IN (__[POSTCOMPILE_param_1])``;
    compiled as ``CREATE TABLE`` compiles it (SQLite, as the scratch databases
    that draw revisions), it is ``status IN ('a', 'b')`` on every source.
    """
    from sqlalchemy.dialects import sqlite

    try:
        text = str(
            sqltext.compile(
                dialect=sqlite.dialect(),
                compile_kwargs={"literal_binds": True, "include_table": False},
            )
        )
    except Exception:  # an expression SQLite cannot write: show it as SQLAlchemy does
        text = str(sqltext)
    return " ".join(text.split())


def _name(name: Any, table: Table, prefix: str) -> str:
    # Reflection of an unnamed constraint (SQLite) gives no name; say whose it is.
    return str(name) if name else f"({prefix} of {table.name})"


def _fk_info(
    fk: ForeignKeyConstraint,
    table: Table,
    unique_sets: list[frozenset[str]],
    pk_cols: tuple[str, ...],
) -> ForeignKeyInfo:
    columns = tuple(c.name for c in fk.columns)
    elements = list(fk.elements)
    optional, one = _cardinality(fk)
    return ForeignKeyInfo(
        name=_name(fk.name, table, "fk"),
        columns=columns,
        referred_table=elements[0].column.table.name,
        referred_columns=tuple(e.column.name for e in elements),
        optional=optional,
        one_to_one=one or frozenset(columns) in unique_sets,
        identifying=bool(pk_cols) and set(columns) <= set(pk_cols),
        ondelete=fk.ondelete,
        onupdate=fk.onupdate,
    )


def _cardinality(fk: ForeignKeyConstraint) -> tuple[bool, bool]:
    """eralchemy2's reading of a foreign key: (the parent is optional, a parent has one child).

    eralchemy2 answers ``?`` for a nullable key on the parent side, and ``1`` on
    the child side when the key is the table's whole primary key, a unique
    column, or when every column of the table points at the same parent. The
    rule is its ``relation_to_intermediary``, written here: importing eralchemy2
    costs a drawing more than the rule does.
    """
    elements = list(fk.elements)
    optional = any(element.parent.nullable for element in elements)
    one = all(_one_child(element) for element in elements)
    return optional, one


def _one_child(element: Any) -> bool:
    """Whether a parent row has at most one child row through ``element`` (eralchemy2's ``1``)."""
    table = element.constraint.table if element.constraint is not None else None
    if table is None:
        return True
    keys = sum(1 for column in table.columns if column.primary_key)
    if (keys == 1 and element.parent.primary_key) or element.parent.unique:
        return True
    parent = element.column.table.fullname
    return all(
        column.foreign_keys
        and all(other.column.table.fullname == parent for other in column.foreign_keys)
        for column in table.columns
    )


_DIALECTS: dict[str, Any] = {}


def _postgresql() -> Any:
    """One PostgreSQL dialect for every default (one per column costs a tenth of a second)."""
    if "postgresql" not in _DIALECTS:
        from sqlalchemy.dialects import postgresql

        _DIALECTS["postgresql"] = postgresql.dialect()  # type: ignore[no-untyped-call]
    return _DIALECTS["postgresql"]


def _default_text(default: Any) -> str | None:
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if arg is None:
        return None
    if isinstance(arg, str):
        text = arg
    else:
        try:
            compiled = arg.compile(
                dialect=_postgresql(),
                compile_kwargs={"literal_binds": True},
            )
            text = str(compiled)
        except Exception:  # a default PostgreSQL cannot render: show its plain text
            text = str(arg)
    return " ".join(text.split())


_SHORT_TYPES = {
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "TIME WITHOUT TIME ZONE": "TIME",
}


_LABELS: dict[Any, str] = {}
"""Type labels by type and repr: compiling 1,500 columns one by one is a tenth of a second."""


_PLAIN = (str, int, float, bool, type(None))


def _type_key(type_: Any) -> Any:
    """What identifies a type's text: its class and its plain attributes, nested types
    included (``repr`` says the same, inspecting the constructor's signature every time)."""
    from sqlalchemy.types import TypeEngine

    parts = []
    for name, value in sorted(vars(type_).items()):
        if isinstance(value, _PLAIN):
            parts.append((name, value))
        elif isinstance(value, TypeEngine):
            parts.append((name, _type_key(value)))
        elif not name.startswith("_"):
            return (type(type_), repr(type_))  # an attribute we cannot hash: the slow, sure way
    return (type(type_), tuple(parts))


def type_label(type_: TypeEngine[Any]) -> tuple[str, tuple[str, ...]]:
    """The type as the diagram shows it, and an enum's values.

    Types are spelled as PostgreSQL would (``VARCHAR(254)``, ``NUMERIC(10, 2)``,
    ``TIMESTAMP WITH TIME ZONE``); a timestamp without time zone is ``TIMESTAMP``.
    An enum is its type name; its values come second.
    """
    import sqlalchemy as sa
    from sqlalchemy.types import NullType

    impl = getattr(type_, "impl_instance", type_)
    if isinstance(impl, sa.Enum):
        return (str(impl.name) if impl.name else "ENUM"), tuple(str(v) for v in impl.enums)
    if isinstance(impl, NullType):
        return "?", ()
    key = _type_key(type_)
    if key not in _LABELS:
        ddl = type_ddl(type_) or "?"
        _LABELS[key] = _SHORT_TYPES.get(ddl, ddl)
    return _LABELS[key], ()


def reflect(
    url: str,
    *,
    schema: str,
    source: str | None = None,
    history: HistoryModel | None = None,
    named: Collection[str] = (),
) -> ErModel:
    """The :class:`ErModel` of the live database at ``url``, by SQLAlchemy reflection.

    Alembic's version table and batch mode's leftovers are not part of a schema
    and are left out.

    Args:
        url: the database.
        schema: the schema's name, for the title.
        source: the title's source; by default ``database <url>`` without credentials.
        history: when the database was migrated by this history, the exact
            column types and defaults it wrote (SQLite keeps neither enum
            members nor time zones).
    """
    from sqlalchemy import MetaData

    metadata = MetaData()
    with db.connect(url) as conn:
        metadata.reflect(
            bind=conn,
            only=lambda name, _meta: (
                not is_version_table(name) and not name.startswith("_alembic_tmp_")
            ),
        )
        # Tables in the named PostgreSQL schemas of the models or the history.
        pgschemas.reflect_named(metadata, conn, named)
    return model_from_metadata(
        metadata,
        schema=schema,
        source=source or f"database {shown_url(url)}",
        exact=history.column if history is not None else None,
    )


def require_database(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist: connecting would create it empty."""
    path = db.sqlite_path(url)
    if path is not None and not path.is_file():
        # Connecting would create an empty database, drawn as "0 tables".
        raise WorkbenchError(
            f"there is no SQLite database at {path}"
            + (" (it is a directory)." if path.is_dir() else "."),
            hint="Check the path in --url (sqlite:///relative/path.db, sqlite:////absolute/path.db).",
        )


def shown_url(url: str) -> str:
    """``url`` as a diagram may show it: backend, host, port and database, nothing more.

    A diagram is a file that gets committed and shared, so neither the user
    name, nor a password (in the userinfo or in a query parameter such as
    ``?password=``), nor any other query parameter is written into it.
    """
    from sqlalchemy.engine import URL, make_url

    scheme, sep, rest = url.partition("://")
    # The query goes, and the userinfo up to the last "@" (a password may hold an unencoded "@").
    rest = rest.split("?", 1)[0]
    if not scheme.startswith("sqlite"):
        rest = rest[rest.rfind("@") + 1 :]
    try:
        parsed = make_url(scheme + sep + rest)
        bare = URL.create(
            parsed.get_backend_name(), host=parsed.host, port=parsed.port, database=parsed.database
        )
    except Exception:  # not a URL SQLAlchemy can read: show none of it
        return "(a database URL)"
    return bare.render_as_string(hide_password=True)


def at_revision(cfg: Config, schema: str, revision: str) -> ErModel:
    """The schema as revision ``revision`` of its history leaves it.

    A scratch SQLite database is migrated to the revision and reflected; the
    column types and defaults are those the history wrote (SQLite would report
    an enum as ``VARCHAR`` and forget time zones).

    Args:
        cfg: the project.
        schema: the schema's name.
        revision: a revision id (or a unique prefix), ``head``, ``base``, or
            ``head-N`` for the revision N steps below head.
    """
    from workbench.migrate import upgrade

    target = resolve_revision(cfg, schema, revision)
    history = _history_until(cfg, schema, target)
    with _scratch_source(history) as source, db.scratch(source) as url:
        if target is not None:
            upgrade(cfg, schema, target, url=url)
        label = f"revision {target}" if target else "base (no revision)"
        return reflect(url, schema=schema, source=label, history=history, named=history.schemas)


@contextlib.contextmanager
def _scratch_source(history: HistoryModel) -> Iterator[str]:
    """SQLite, or a PostgreSQL server for a history that keeps tables in named schemas
    (``$WORKBENCH_POSTGRES_URL``, else a local or throwaway one)."""
    if not history.schemas:
        yield "sqlite"
        return
    from workbench import pgserver

    with pgserver.for_scratch() as server:
        yield server


def named_schemas(cfg: Config, schema: str) -> set[str]:
    """The named PostgreSQL schemas of ``schema``'s models and history (to draw a database)."""
    from workbench.loader import load_schema

    found = set(HistoryModel.of(cfg, schema).schemas)
    # A database is drawn without its models too: then the history's schemas are what is known.
    with contextlib.suppress(WorkbenchError):
        found |= set(pgschemas.model_schemas(load_schema(cfg, schema).metadata))
    return found


def resolve_revision(cfg: Config, schema: str, revision: str) -> str | None:
    """The revision id ``revision`` names (``None`` for base), or a ``RevisionError``.

    Besides what Alembic takes (an id, a unique prefix of one, ``head``,
    ``base``), ``head-N`` and ``head~N`` name the revision N steps below head.
    """
    from workbench.revisions import list_revisions
    from workbench.runtime import find_revision

    scripts = script_directory(cfg, schema)
    chain = [r.id for r in list_revisions(cfg, schema)]
    spec = revision.strip()
    relative = re.fullmatch(r"heads?\s*[-~]\s*(\d+)", spec)
    if spec == "base":
        return None
    if spec in ("head", "heads") or relative:
        steps = int(relative.group(1)) if relative else 0
        if steps >= len(chain):
            if steps == len(chain):
                return None
            raise RevisionError(
                f"{spec}: schema {schema!r} has only {len(chain)} revision(s).",
                hint="Known revisions, newest first: " + ", ".join(reversed(chain)) + ".",
            )
        return chain[-1 - steps]
    found = find_revision(scripts, spec)
    if found is None:
        raise RevisionError(
            f"schema {schema!r} has no revision {spec!r}.",
            hint="Known revisions, newest first: "
            + (", ".join(reversed(chain)) or "none")
            + " (also head, base, head-1).",
        )
    return str(found.revision)


def _history_until(cfg: Config, schema: str, revision: str | None) -> HistoryModel:
    if revision is None:
        return HistoryModel()
    scripts = script_directory(cfg, schema)
    chain = list(scripts.walk_revisions("base", revision))
    chain.reverse()
    return HistoryModel.replay([capture(s, "upgrade") for s in chain])
