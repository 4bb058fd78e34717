"""ER diagrams of a schema: from the models, a live database, or any revision of the history.

Every source is first normalized into an :class:`ErModel` (tables, columns in
declaration order, keys, constraints, indexes, foreign keys with cardinality).
The renderers are pure functions of that model: :func:`to_dot` writes Graphviz
DOT with one HTML-like table per node and an edge from each foreign-key column
to the column it references, :func:`to_mermaid` writes a Mermaid ``erDiagram``.
SVG, PNG and PDF are the DOT laid out by Graphviz in-process, through the
pygraphviz wheel (it bundles Graphviz, so no system install is needed).
eralchemy2 decides the cardinality of each relationship from SQLAlchemy's
foreign keys (:func:`_cardinality`); its own drawing sorts columns by name and
attaches edges to whole tables, so the drawing is ours.

The same models always give byte-identical DOT, Mermaid and SVG (Graphviz's
version comment is removed). An SVG also carries the digest of the DOT it was
drawn from: ``--check`` compares that digest, because the coordinates Graphviz
computes depend on the fonts of the machine that drew it, and a committed
diagram must not look stale on a CI runner with other fonts.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from workbench import db
from workbench.config import VERSION_TABLE, Config
from workbench.errors import RevisionError, WorkbenchError
from workbench.loader import load_schema
from workbench.results import DiagramOutput, DiagramResult, DiagramStatus
from workbench.revisions import ColumnState, HistoryModel, capture, script_directory, type_ddl

if TYPE_CHECKING:
    from sqlalchemy import ForeignKeyConstraint, MetaData, Table
    from sqlalchemy.types import TypeEngine

Format = Literal["svg", "png", "pdf", "mermaid", "dot"]
Change = Literal["added", "removed", "changed"]

FORMATS: tuple[Format, ...] = ("svg", "png", "pdf", "mermaid", "dot")
EXTENSIONS: dict[Format, str] = {
    "svg": "svg",
    "png": "png",
    "pdf": "pdf",
    "mermaid": "mmd",
    "dot": "dot",
}
COMMITTED: tuple[Format, ...] = ("svg", "mermaid")
"""The formats kept in ``diagrams/`` and verified by ``diagram --all --check``."""
TEXT_FORMATS: tuple[Format, ...] = ("svg", "mermaid", "dot")
_ALIASES: dict[str, Format] = {"mmd": "mermaid", "gv": "dot", "md": "mermaid"}

MODELS = "models"
"""In ``--diff A..B``, the side that means the current models rather than a revision."""

PNG_MAX_SIDE = 12000
"""Pixels: a wider or taller PNG is drawn at a lower resolution."""
PNG_MAX_PIXELS = 40_000_000
"""Pixels in all: a larger PNG is drawn at a lower resolution (Cairo's time grows with them)."""


# --- the normalized model ----------------------------------------------------------------


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the diagram shows it."""

    name: str
    type: str
    """The type as PostgreSQL spells it; an enum is its type name (values in ``enum_values``)."""
    nullable: bool
    primary_key: bool = False
    foreign_key: bool = False
    unique: bool = False
    default: str | None = None
    enum_values: tuple[str, ...] = ()
    change: Change | None = None
    was: str | None = None
    """For a changed column: what it was in the respects that changed (``VARCHAR(100)``)."""


@dataclass(frozen=True)
class ForeignKeyInfo:
    """A foreign key: from ``columns`` of its table to ``referred_columns`` of another."""

    name: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    optional: bool
    """Some column of the key is nullable: a row may have no parent."""
    one_to_one: bool
    """The key's columns are unique in their table: a parent has at most one such row."""
    identifying: bool = False
    """The key's columns are part of the table's primary key."""
    ondelete: str | None = None
    onupdate: str | None = None
    change: Change | None = None

    def summary(self) -> str:
        text = (
            f"({', '.join(self.columns)}) \u2192 "
            f"{self.referred_table} ({', '.join(self.referred_columns)})"
        )
        if self.ondelete:
            text += f" ON DELETE {self.ondelete.upper()}"
        if self.onupdate:
            text += f" ON UPDATE {self.onupdate.upper()}"
        return text


ConstraintKind = Literal["primary key", "unique", "check", "index", "unique index"]
_CONSTRAINT_TAGS: dict[str, str] = {
    "primary key": "PK",
    "unique": "UNIQUE",
    "check": "CHECK",
    "index": "INDEX",
    "unique index": "UNIQUE INDEX",
}


@dataclass(frozen=True)
class ConstraintInfo:
    """A primary key, UNIQUE or CHECK constraint, or an index."""

    kind: ConstraintKind
    name: str
    columns: tuple[str, ...] = ()
    text: str | None = None
    """The expression of a CHECK."""
    change: Change | None = None

    def summary(self) -> str:
        """``UNIQUE uq_x (a, b)``, ``CHECK ck_x: price >= 0``."""
        head = f"{_CONSTRAINT_TAGS[self.kind]} {self.name}"
        if self.kind == "check":
            return f"{head}: {self.text}"
        return f"{head} ({', '.join(self.columns)})"


@dataclass(frozen=True)
class TableInfo:
    """One table: its columns in declaration order, keys and constraints."""

    name: str
    columns: tuple[ColumnInfo, ...]
    primary_key: ConstraintInfo | None = None
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    constraints: tuple[ConstraintInfo, ...] = ()
    """UNIQUE and CHECK constraints, then indexes, each group by name."""
    change: Change | None = None

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def links(self) -> tuple[str, ...]:
        """The tables this one joins many-to-many, when it is a link (association) table.

        A link table's primary key is made of two or more foreign keys.
        """
        if self.primary_key is None or len(self.primary_key.columns) < 2:
            return ()
        keyed = [fk for fk in self.foreign_keys if set(fk.columns) <= set(self.primary_key.columns)]
        covered = {c for fk in keyed for c in fk.columns}
        if len(keyed) < 2 or covered != set(self.primary_key.columns):
            return ()
        return tuple(fk.referred_table for fk in keyed)


@dataclass(frozen=True)
class ErModel:
    """What a diagram shows: a schema's tables, from one source, possibly narrowed to a view."""

    schema: str
    source: str
    """``models``, ``database <url>``, ``revision <id>`` or ``diff <a>..<b>``."""
    tables: tuple[TableInfo, ...]
    diff: bool = False
    hidden: tuple[str, ...] = ()
    """Tables of the schema left out of this view (by --include, --exclude or --focus)."""
    keys_only: bool = False

    def table(self, name: str) -> TableInfo | None:
        return next((t for t in self.tables if t.name == name), None)

    @property
    def title(self) -> str:
        return f"{self.schema}: {self.source}"

    @property
    def relationships(self) -> int:
        shown = {t.name for t in self.tables}
        return sum(1 for t in self.tables for fk in t.foreign_keys if fk.referred_table in shown)


# --- sources -----------------------------------------------------------------------------


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
        if t.name != VERSION_TABLE and not t.name.startswith("_alembic_tmp_")
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
            text = " ".join(str(item.sqltext).split())
            constraints.append(ConstraintInfo("check", _name(item.name, table, "ck"), text=text))
    indexes = []
    for index in table.indexes:
        cols = tuple(c.name if isinstance(c, sa.Column) else str(c) for c in index.expressions)
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
    column, or when every column of the table points at the same parent.
    """
    from eralchemy2.sqla import relation_to_intermediary

    relations = [relation_to_intermediary(element) for element in fk.elements]
    optional = any(r.left_cardinality == "?" for r in relations)
    one = all(r.right_cardinality == "1" for r in relations)
    return optional, one


def _default_text(default: Any) -> str | None:
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if arg is None:
        return None
    if isinstance(arg, str):
        text = arg
    else:
        from sqlalchemy.dialects import postgresql

        try:
            compiled = arg.compile(
                dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
                compile_kwargs={"literal_binds": True},
            )
            text = str(compiled)
        except Exception:
            text = str(arg)
    return " ".join(text.split())


_SHORT_TYPES = {
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "TIME WITHOUT TIME ZONE": "TIME",
}


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
    key = (type(type_), repr(type_))
    if key not in _LABELS:
        ddl = type_ddl(type_) or "?"
        _LABELS[key] = _SHORT_TYPES.get(ddl, ddl)
    return _LABELS[key], ()


_LABELS: dict[tuple[type, str], str] = {}
"""Type labels by type and repr: compiling 1,500 columns one by one is a tenth of a second."""


def reflect(
    url: str, *, schema: str, source: str | None = None, history: HistoryModel | None = None
) -> ErModel:
    """The :class:`ErModel` of the live database at ``url``, by SQLAlchemy reflection.

    Alembic's version table and batch mode's leftovers are not part of a schema
    and are left out.

    Args:
        url: the database.
        schema: the schema's name, for the title.
        source: the title's source; by default ``database <url>``, password redacted.
        history: when the database was migrated by this history, the exact
            column types and defaults it wrote (SQLite keeps neither enum
            members nor time zones).
    """
    from sqlalchemy import MetaData

    metadata = MetaData()
    with db.connect(url) as conn:
        metadata.reflect(
            bind=conn,
            only=lambda name, _meta: name != VERSION_TABLE and not name.startswith("_alembic_tmp_"),
        )
    return model_from_metadata(
        metadata,
        schema=schema,
        source=source or f"database {db.redact(url)}",
        exact=history.column if history is not None else None,
    )


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
    with db.scratch("sqlite") as url:
        if target is not None:
            upgrade(cfg, schema, target, url=url)
        history = _history_until(cfg, schema, target)
        label = f"revision {target}" if target else "base (no revision)"
        return reflect(url, schema=schema, source=label, history=history)


def resolve_revision(cfg: Config, schema: str, revision: str) -> str | None:
    """The revision id ``revision`` names (``None`` for base), or a ``RevisionError``.

    Besides what Alembic takes (an id, a unique prefix of one, ``head``,
    ``base``), ``head-N`` and ``head~N`` name the revision N steps below head.
    """
    from workbench.revisions import list_revisions

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
    try:
        found = scripts.get_revision(spec)
    except Exception:
        found = None
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


def from_models(cfg: Config, schema: str, *, cache: bool = True) -> ErModel:
    """The :class:`ErModel` of the schema's models.

    Importing a large schema costs far more than drawing it (200 declarative
    classes take most of a second), so the model is kept in
    ``.workbench/cache/`` with the digest of the schema module and of every
    project module loaded with it, and reused while none of them changes.

    Args:
        cfg: the project.
        schema: the schema's name.
        cache: read and write that cache.
    """
    if cache:
        cached = _cached_model(cfg, schema)
        if cached is not None:
            return cached
    before = set(_project_modules(cfg))
    loaded = load_schema(cfg, schema, configure=False)
    model = model_from_metadata(loaded.metadata, schema=schema)
    files = _project_modules(cfg)
    # Only modules this very load imported are known to match their files: one imported
    # earlier in a long-lived process may be older than its file, and so would the model.
    if cache and not before & set(files):
        _store_model(cfg, schema, model, files)
    return model


# --- the model cache ---------------------------------------------------------------------

_CACHE_FORMAT = 1
_CODE = ("diagram.py", "loader.py", "autogen.py")
"""workbench's own modules whose code shapes the model: a change to them invalidates it."""
_LIBRARIES = ("sqlalchemy", "sqlmodel", "eralchemy2")


def _cache_path(cfg: Config, schema: str) -> Path:
    return cfg.state_dir / "cache" / f"diagram-{schema}.json"


def _file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _environment() -> str:
    """What besides the project's files decides the model: workbench's code, library versions."""
    import importlib.util

    here = Path(__file__).resolve().parent
    parts = [str(_CACHE_FORMAT), sys.version]
    parts += [f"{name}:{_file_digest(here / name)}" for name in _CODE]
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        # A reinstall or upgrade rewrites the package's __init__.py.
        stamp = origin.stat().st_mtime_ns if origin is not None and origin.exists() else None
        parts.append(f"{library}:{origin}:{stamp}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _project_modules(cfg: Config) -> list[str]:
    """The project's own Python files among the loaded modules, relative to the project.

    workbench's own package is left out (when the project is workbench's own
    repository): :func:`_environment` covers the part of it that shapes a model.
    """
    root = str(cfg.root) + os.sep
    skip = (
        str(cfg.state_dir) + os.sep,
        os.sep + "site-packages" + os.sep,
        str(Path(__file__).resolve().parent) + os.sep,
    )
    found = []
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        # Plain string tests: resolving a thousand library paths would cost more than drawing.
        if name and name.startswith(root) and not any(s in name for s in skip):
            found.append(name[len(root) :].replace(os.sep, "/"))
    return sorted(found)


def _cached_model(cfg: Config, schema: str) -> ErModel | None:
    import json

    try:
        document = json.loads(_cache_path(cfg, schema).read_text(encoding="utf-8"))
        if document["environment"] != _environment():
            return None
        if cfg.rel(cfg.schema_path(schema)) not in document["files"]:
            return None
        for name, known in document["files"].items():
            if _file_digest(cfg.root / name) != known:
                return None
        return _model_from_json(document["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_model(cfg: Config, schema: str, model: ErModel, files: list[str]) -> None:
    import json

    digests = {name: _file_digest(cfg.root / name) for name in files}
    document = {"environment": _environment(), "files": digests, "model": _plain(model)}
    # A read-only project still draws, only more slowly next time.
    with suppress(OSError):
        _write_atomic(_cache_path(cfg, schema), json.dumps(document).encode("utf-8"))


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data (``dataclasses.asdict`` deep-copies, ten times slower)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


def _model_from_json(doc: dict[str, Any]) -> ErModel:
    def constraint(c: dict[str, Any]) -> ConstraintInfo:
        return ConstraintInfo(**{**c, "columns": tuple(c["columns"])})

    def foreign_key(f: dict[str, Any]) -> ForeignKeyInfo:
        return ForeignKeyInfo(
            **{
                **f,
                "columns": tuple(f["columns"]),
                "referred_columns": tuple(f["referred_columns"]),
            }
        )

    def column(c: dict[str, Any]) -> ColumnInfo:
        return ColumnInfo(**{**c, "enum_values": tuple(c["enum_values"])})

    tables = tuple(
        TableInfo(
            name=t["name"],
            columns=tuple(column(c) for c in t["columns"]),
            primary_key=constraint(t["primary_key"]) if t["primary_key"] else None,
            foreign_keys=tuple(foreign_key(f) for f in t["foreign_keys"]),
            constraints=tuple(constraint(c) for c in t["constraints"]),
            change=t["change"],
        )
        for t in doc["tables"]
    )
    return ErModel(
        schema=doc["schema"],
        source=doc["source"],
        tables=tables,
        diff=doc["diff"],
        hidden=tuple(doc["hidden"]),
        keys_only=doc["keys_only"],
    )


# --- views -------------------------------------------------------------------------------


def select(
    model: ErModel,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    focus: str | None = None,
    depth: int = 1,
    keys_only: bool = False,
) -> ErModel:
    """A view of ``model``: tables matching the globs, or the neighbourhood of one table.

    Args:
        model: the whole schema.
        include: table-name globs to keep (all tables when empty).
        exclude: table-name globs to leave out, applied after ``include``.
        focus: keep this table and the tables within ``depth`` foreign-key hops of it.
        depth: the radius of the ``focus`` neighbourhood (0 is the table alone).
        keys_only: keep only key columns (primary, foreign, unique) and no constraint list.

    Raises:
        WorkbenchError: ``focus`` names no table of the model, a glob matches no
            table, or ``depth`` is negative.
    """
    names = [t.name for t in model.tables]
    keep = set(names)
    if include:
        keep = {n for n in names if any(fnmatch.fnmatchcase(n, g) for g in include)}
        for glob in include:
            if not any(fnmatch.fnmatchcase(n, glob) for n in names):
                raise WorkbenchError(
                    f"--include {glob!r} matches no table of {model.schema!r}.",
                    hint=_tables_hint(names, glob),
                )
    if exclude:
        keep = {n for n in keep if not any(fnmatch.fnmatchcase(n, g) for g in exclude)}
    if focus is not None:
        if depth < 0:
            raise WorkbenchError(f"--depth {depth}: the depth is a number of hops, 0 or more.")
        if focus not in names:
            raise WorkbenchError(
                f"--focus {focus!r}: {model.schema!r} has no table {focus!r}.",
                hint=_tables_hint(names, focus),
            )
        keep &= neighbourhood(model, focus, depth)
        keep.add(focus)
    tables = tuple(_keys_only(t) if keys_only else t for t in model.tables if t.name in keep)
    hidden = tuple(n for n in names if n not in keep)
    return replace(model, tables=tables, hidden=model.hidden + hidden, keys_only=keys_only)


def neighbourhood(model: ErModel, table: str, depth: int) -> set[str]:
    """The tables within ``depth`` foreign-key hops of ``table``, either way, itself included."""
    adjacent: dict[str, set[str]] = {t.name: set() for t in model.tables}
    for t in model.tables:
        for fk in t.foreign_keys:
            if fk.referred_table in adjacent:
                adjacent[t.name].add(fk.referred_table)
                adjacent[fk.referred_table].add(t.name)
    seen, frontier = {table}, {table}
    for _ in range(depth):
        frontier = {n for f in frontier for n in adjacent.get(f, ())} - seen
        seen |= frontier
    return seen


def _tables_hint(names: Sequence[str], wanted: str) -> str:
    close = difflib.get_close_matches(wanted, names, n=3)
    if close:
        return "Did you mean " + " or ".join(close) + "? Tables: " + ", ".join(sorted(names)) + "."
    return "Tables: " + ", ".join(sorted(names)) + "."


def _keys_only(table: TableInfo) -> TableInfo:
    columns = tuple(c for c in table.columns if c.primary_key or c.foreign_key or c.unique)
    return replace(table, columns=columns, constraints=())


# --- the change view ---------------------------------------------------------------------


def diff_models(old: ErModel, new: ErModel, *, source: str) -> ErModel:
    """One model holding both sides, each table, column, key and constraint marked by its change.

    A table only in ``new`` is ``added``, only in ``old`` is ``removed``, in both
    with any difference ``changed``; the same for columns (type, nullability,
    default or primary-key membership), foreign keys and constraints. Removed
    items stay, marked, where they were.
    """
    tables: list[TableInfo] = []
    old_names = [t.name for t in old.tables]
    new_names = {t.name for t in new.tables}
    for table in new.tables:
        before = old.table(table.name)
        if before is None:
            tables.append(_mark_all(table, "added"))
        else:
            tables.append(_diff_table(before, table))
    for name in old_names:
        if name not in new_names:
            removed = old.table(name)
            assert removed is not None
            tables.append(_mark_all(removed, "removed"))
    return ErModel(schema=new.schema, source=source, tables=tuple(tables), diff=True)


def _mark_all(table: TableInfo, change: Change) -> TableInfo:
    return replace(
        table,
        change=change,
        columns=tuple(replace(c, change=change) for c in table.columns),
        foreign_keys=tuple(replace(f, change=change) for f in table.foreign_keys),
        constraints=tuple(replace(c, change=change) for c in table.constraints),
        primary_key=replace(table.primary_key, change=change) if table.primary_key else None,
    )


def _same_column(a: ColumnInfo, b: ColumnInfo) -> bool:
    return (
        a.type == b.type
        and a.enum_values == b.enum_values
        and a.nullable == b.nullable
        and a.primary_key == b.primary_key
        and _default_key(a) == _default_key(b)
    )


def _was(old: ColumnInfo, new: ColumnInfo) -> str:
    """What a changed column was, in the respects it changed: ``VARCHAR(100), NOT NULL``."""
    parts = []
    if (old.type, old.enum_values) != (new.type, new.enum_values):
        parts.append(old.type + (f"({', '.join(old.enum_values)})" if old.enum_values else ""))
    if old.nullable != new.nullable:
        parts.append("NULL" if old.nullable else "NOT NULL")
    if _default_key(old) != _default_key(new):
        parts.append(f"DEFAULT {old.default}" if old.default is not None else "no default")
    if old.primary_key != new.primary_key:
        parts.append("PK" if old.primary_key else "not PK")
    return ", ".join(parts)


def _default_key(column: ColumnInfo) -> str | None:
    """A default as compared across sources: ``CURRENT_TIMESTAMP`` is ``now()``, and so on."""
    if column.default is None:
        return None
    text = column.default.strip().lower()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    text = text.strip("'")
    text = {"current_timestamp": "now()", "now": "now()"}.get(text, text)
    if column.type == "BOOLEAN":
        text = {"1": "true", "0": "false"}.get(text, text)
    return text


def _diff_table(old: TableInfo, new: TableInfo) -> TableInfo:
    columns: list[ColumnInfo] = []
    old_columns = {c.name: c for c in old.columns}
    new_names = {c.name for c in new.columns}
    for column in new.columns:
        before = old_columns.get(column.name)
        if before is None:
            columns.append(replace(column, change="added"))
        elif not _same_column(before, column):
            columns.append(replace(column, change="changed", was=_was(before, column)))
        else:
            columns.append(column)
    for position, column in enumerate(old.columns):
        if column.name not in new_names:
            # A removed column stays where it was, after the columns that preceded it.
            at = _position_after(columns, old.columns[:position])
            columns.insert(at, replace(column, change="removed"))
    fks = _diff_items(old.foreign_keys, new.foreign_keys, key=lambda f: f.summary())
    constraints = _diff_items(old.constraints, new.constraints, key=lambda c: c.summary())
    primary_key = new.primary_key
    if (old.primary_key and old.primary_key.columns) != (primary_key and primary_key.columns):
        primary_key = replace(primary_key, change="changed") if primary_key else None
    changed = (
        any(c.change for c in columns)
        or any(f.change for f in fks)
        or any(c.change for c in constraints)
        or (primary_key is not None and primary_key.change is not None)
    )
    return replace(
        new,
        columns=tuple(columns),
        foreign_keys=tuple(fks),
        constraints=tuple(constraints),
        primary_key=primary_key,
        change="changed" if changed else None,
    )


def _position_after(columns: list[ColumnInfo], preceding: Sequence[ColumnInfo]) -> int:
    names = [c.name for c in columns]
    for column in reversed(preceding):
        if column.name in names:
            return names.index(column.name) + 1
    return 0


_Item = TypeVar("_Item", ForeignKeyInfo, ConstraintInfo)


def _diff_items(
    old: Sequence[_Item], new: Sequence[_Item], *, key: Callable[[_Item], str]
) -> list[_Item]:
    old_keys = {key(i) for i in old}
    new_keys = {key(i) for i in new}
    out = [i if key(i) in old_keys else replace(i, change="added") for i in new]
    out += [replace(i, change="removed") for i in old if key(i) not in new_keys]
    return out


# --- DOT ---------------------------------------------------------------------------------

_FONT = "Helvetica,Arial,sans-serif"
_INK = "#1f2933"
_MUTED = "#52606d"
_FAINT = "#7b8794"
_LINE = "#9aa5b1"
_HEADER = "#2d4a6b"
_LINK_HEADER = "#3d6b63"
_KEYS = "#8a5a00"
_EDGE_COLOURS = (
    "#2d6a9f",
    "#b5562b",
    "#3f7f3f",
    "#7a4f9a",
    "#a3406b",
    "#2f7f84",
    "#8a6d1f",
    "#5a5f9e",
)
_CHANGE_INK = {"added": "#1b6e2a", "removed": "#b3261e", "changed": "#9a5b00"}
_CHANGE_FILL = {"added": "#e3f4e5", "removed": "#fbe4e2", "changed": "#fdf0d7"}
_CHANGE_HEADER = {"added": "#2e7d32", "removed": "#c62828", "changed": "#b26a00"}
_CHANGE_SIGN = {"added": "+", "removed": "\u2212", "changed": "~"}


def _h(text: str) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("]", "&#93;")
        .replace("[", "&#91;")
    )


def _q(text: str) -> str:
    """A quoted DOT identifier."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _font(text: str, *, colour: str | None = None, size: float | None = None) -> str:
    if not text:
        return ""  # Graphviz rejects an empty <FONT></FONT>
    attrs = ""
    if colour:
        attrs += f' COLOR="{colour}"'
    if size:
        attrs += f' POINT-SIZE="{size:g}"'
    return f"<FONT{attrs}>{text}</FONT>" if attrs else text


def _struck(text: str, change: Change | None) -> str:
    return f"<S>{text}</S>" if change == "removed" else text


def _markers(column: ColumnInfo, table: TableInfo, hidden: set[str]) -> str:
    marks = []
    if column.primary_key:
        marks.append("PK")
    if column.foreign_key:
        targets = sorted(
            {fk.referred_table for fk in table.foreign_keys if column.name in fk.columns} & hidden
        )
        marks.append("FK" + "".join(f" \u2192 {t}" for t in targets))
    if column.unique:
        marks.append("UQ")
    if column.nullable:
        marks.append("NULL")
    return " ".join(marks)


def _column_row(column: ColumnInfo, index: int, table: TableInfo, hidden: set[str]) -> str:
    change = column.change
    name = _h(column.name)
    if column.primary_key:
        name = f"<B><U>{name}</U></B>"
    elif column.foreign_key:
        name = f"<I>{name}</I>"
    sign = _CHANGE_SIGN[change] + " " if change else ""
    name = _font(sign, colour=_CHANGE_INK[change]) + _struck(name, change) if change else name
    type_text = _h(column.type)
    if column.enum_values:
        shown = list(column.enum_values[:6])
        more = len(column.enum_values) - len(shown)
        values = " | ".join(shown) + (f" | \u2026 +{more}" if more > 0 else "")
        type_text = f'enum {type_text}<BR ALIGN="LEFT"/>{_font(_h(values), size=8)}'
    if column.default is not None:
        type_text += _font(_h(f" = {column.default}"), colour=_FAINT, size=8)
    if change == "changed" and column.was:
        type_text += '<BR ALIGN="LEFT"/>' + _font(_h(f"was {column.was}"), size=8)
    type_cell = _font(_struck(type_text, change), colour=_CHANGE_INK[change] if change else _MUTED)
    marks = _font(_h(_markers(column, table, hidden)), colour=_KEYS, size=8)
    bg = f' BGCOLOR="{_CHANGE_FILL[change]}"' if change else ""
    return (
        f'<TR><TD ALIGN="LEFT" PORT="c{index}w"{bg}>{name}</TD>'
        f'<TD ALIGN="LEFT"{bg}>{type_cell}</TD>'
        f'<TD ALIGN="RIGHT" PORT="c{index}e"{bg}>{marks}</TD></TR>'
    )


def _footer_lines(table: TableInfo) -> list[tuple[str, Change | None]]:
    lines: list[tuple[str, Change | None]] = []
    pk = table.primary_key
    if pk is not None and (len(pk.columns) > 1 or pk.change):
        lines.append((pk.summary(), pk.change))
    for fk in table.foreign_keys:
        if fk.ondelete or fk.onupdate or fk.change or len(fk.columns) > 1:
            # The name is in the edge's tooltip; the line says what the edge cannot.
            lines.append((f"FK {fk.summary()}", fk.change))
    lines += [(c.summary(), c.change) for c in table.constraints]
    return lines


def _table_node(table: TableInfo, hidden: set[str]) -> str:
    change = table.change
    header_bg = _CHANGE_HEADER[change] if change else (_LINK_HEADER if table.links else _HEADER)
    title = f"<B>{_struck(_h(table.name), change)}</B>"
    if change:
        title += _font(f"  ({change})", size=9)
    rows = [
        f'<TR><TD COLSPAN="3" BGCOLOR="{header_bg}" ALIGN="CENTER">'
        f"{_font(title, colour='#ffffff', size=12)}</TD></TR>"
    ]
    if table.links:
        joined = " \u21c4 ".join(_h(t) for t in table.links)
        rows.append(
            f'<TR><TD COLSPAN="3" BGCOLOR="#e6f0ee" ALIGN="CENTER">'
            f"{_font('<I>links ' + joined + '</I>', colour=_LINK_HEADER, size=9)}</TD></TR>"
        )
    rows += [_column_row(c, i, table, hidden) for i, c in enumerate(table.columns)]
    footer = _footer_lines(table)
    for n, (text, line_change) in enumerate(footer):
        colour = _CHANGE_INK[line_change] if line_change else _MUTED
        sign = _CHANGE_SIGN[line_change] + " " if line_change else ""
        bg = _CHANGE_FILL[line_change] if line_change else "#f3f5f7"
        sides = ' SIDES="T"' if n == 0 else ""
        rows.append(
            f'<TR><TD COLSPAN="3" ALIGN="LEFT" BGCOLOR="{bg}"{sides}>'
            f"{_font(_struck(_h(sign + text), line_change), colour=colour, size=8)}</TD></TR>"
        )
    border = _CHANGE_HEADER[change] if change else _LINE
    width = "2" if change else "1"
    label = (
        f'<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
        f'COLOR="{border}" BGCOLOR="#ffffff">' + "".join(rows) + "</TABLE>"
    )
    tooltip = table.primary_key.name if table.primary_key else table.name
    return f"  {_q(table.name)} [label=<{label}>, tooltip={_q(tooltip)}];"


def _arrow(*, one: bool, optional: bool) -> str:
    # Crow's foot, nearest the node first: "tee" one, "crow" many, "odot" may be none.
    if not one:
        return "crowodot"
    return "teeodot" if optional else "teetee"


def _edges(model: ErModel) -> list[str]:
    shown = {t.name: t for t in model.tables}
    colour_of = {name: _EDGE_COLOURS[i % len(_EDGE_COLOURS)] for i, name in enumerate(shown)}
    lines = []
    for table in model.tables:
        for fk in table.foreign_keys:
            parent = shown.get(fk.referred_table)
            if parent is None:
                continue
            child_port = _port(table, fk.columns[0])
            parent_port = _port(parent, fk.referred_columns[0])
            if child_port is None or parent_port is None:
                continue
            attrs = [
                f"arrowtail={_arrow(one=True, optional=fk.optional)}",
                f"arrowhead={_arrow(one=fk.one_to_one, optional=True)}",
                f"tooltip={_q(fk.name + ': ' + table.name + ' ' + fk.summary())}",
            ]
            colour = colour_of[parent.name]
            if fk.change:
                colour = _CHANGE_INK[fk.change]
                attrs.append("penwidth=2.2")
                if fk.change == "removed":
                    attrs.append('style="dashed"')
            elif not fk.identifying:
                attrs.append('style="solid"')
            attrs.append(f'color="{colour}"')
            if parent is table:
                # A self-reference loops on the right-hand side, from key to column.
                tail, head = f"{parent_port}e:e", f"{child_port}e:e"
            else:
                tail, head = f"{parent_port}e:e", f"{child_port}w:w"
            lines.append(
                f"  {_q(parent.name)}:{tail} -> {_q(table.name)}:{head} [{', '.join(attrs)}];"
            )
    return lines


def _port(table: TableInfo, column: str) -> str | None:
    for i, c in enumerate(table.columns):
        if c.name == column:
            return f"c{i}"
    return None


def _legend(model: ErModel) -> str:
    rows = [
        f'<TR><TD ALIGN="LEFT" COLSPAN="2">{_font("<B>" + _h(model.title) + "</B>", size=12)}'
        "</TD></TR>"
    ]
    detail = f"{len(model.tables)} tables, {model.relationships} relationships"
    if model.hidden:
        detail += f"; {len(model.hidden)} not shown"
    if model.keys_only:
        detail += "; key columns only"
    rows.append(
        f'<TR><TD ALIGN="LEFT" COLSPAN="2">{_font(_h(detail), colour=_MUTED, size=9)}</TD></TR>'
    )
    keys = (
        "PK primary key \u00b7 FK foreign key \u00b7 UQ unique \u00b7 NULL nullable \u00b7 "
        "a line joins a key to the foreign-key column that references it; at its ends "
        "a bar means one, a circle zero (optional), a crow's foot many"
    )
    rows.append(
        f'<TR><TD ALIGN="LEFT" COLSPAN="2">{_font(_h(keys), colour=_MUTED, size=8)}</TD></TR>'
    )
    if model.diff:
        chips = "   ".join(
            _font("\u25a0", colour=_CHANGE_HEADER[c], size=12)
            + _font(f" {_CHANGE_SIGN[c]} {c}", colour=_CHANGE_INK[c], size=10)
            for c in ("added", "removed", "changed")
        )
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">{chips}</TD></TR>')
    return '<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(rows) + "</TABLE>"


def to_dot(model: ErModel) -> str:
    """Graphviz DOT of ``model``: deterministic, the same model always gives the same text."""
    hidden = set(model.hidden)
    lines = [
        f"// {model.title}: ER diagram drawn by `workbench diagram`; redraw it, do not edit.",
        f"digraph {_q(model.schema)} {{",
        f'  graph [rankdir=LR, splines=true, nodesep=0.35, ranksep=0.9, pad=0.3, bgcolor="#ffffff",'
        f' fontname="{_FONT}", labelloc=b, labeljust=l, outputorder=edgesfirst,'
        f" label=<{_legend(model)}>];",
        f'  node [shape=plain, fontname="{_FONT}", fontsize=10, fontcolor="{_INK}"];',
        f'  edge [dir=both, arrowsize=0.8, penwidth=1.3, fontname="{_FONT}"];',
    ]
    lines += [_table_node(t, hidden) for t in model.tables]
    lines += _edges(model)
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid -----------------------------------------------------------------------------

_MERMAID_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def _mermaid_type(column: ColumnInfo) -> str:
    text = column.type.replace(", ", ",")
    text = re.sub(r"[^A-Za-z0-9_\-\[\]\(\),.]", "_", text.replace(" ", "_"))
    return text if re.match(r"[A-Za-z_*]", text) else "_" + text


def _mermaid_name(name: str) -> str:
    if _MERMAID_WORD.match(name) and name.lower() not in ("pk", "fk", "uk"):
        return name
    return "`" + name.replace("`", "'") + "`"


def _mermaid_comment(parts: Iterable[str]) -> str:
    text = "; ".join(p for p in parts if p).replace('"', "'")
    return f' "{text}"' if text else ""


def _mermaid_column(column: ColumnInfo) -> str:
    keys = [
        k
        for k, on in (("PK", column.primary_key), ("FK", column.foreign_key), ("UK", column.unique))
        if on
    ]
    notes = []
    if column.change:
        notes.append(column.change + (f" (was {column.was})" if column.was else ""))
    if column.enum_values:
        notes.append("enum: " + ", ".join(column.enum_values))
    notes.append("nullable" if column.nullable else "")
    if column.default is not None:
        notes.append(f"default {column.default}")
    key_text = " " + ", ".join(keys) if keys else ""
    name = _mermaid_name(column.name)
    return f"        {_mermaid_type(column)} {name}{key_text}{_mermaid_comment(notes)}"


def _entity(name: str) -> str:
    # Quoted: an unquoted entity starting with a keyword (class, style, to...) breaks the parser.
    return '"' + name.replace('"', "'") + '"'


def to_mermaid(model: ErModel) -> str:
    """A Mermaid ``erDiagram`` of ``model``; constraints and indexes are ``%%`` comment lines."""
    lines = [
        f"%% {model.title}: ER diagram drawn by `workbench diagram`; redraw it, do not edit.",
        "erDiagram",
    ]
    for table in model.tables:
        if table.change:
            lines.append(f"    %% {table.name}: {table.change}")
        if table.links:
            lines.append(f"    %% {table.name} links {' and '.join(table.links)} (many-to-many)")
        lines.append(f"    {_entity(table.name)} {{")
        lines += [_mermaid_column(c) for c in table.columns]
        lines.append("    }")
        if not model.keys_only:
            notes = []
            if table.primary_key is not None:
                notes.append((table.primary_key.summary(), table.primary_key.change))
            notes += [(f"FK {fk.name} {fk.summary()}", fk.change) for fk in table.foreign_keys]
            notes += [(c.summary(), c.change) for c in table.constraints]
            for text, change in notes:
                lines.append(f"    %% {table.name}: {text}" + (f" ({change})" if change else ""))
    shown = {t.name for t in model.tables}
    for table in model.tables:
        for fk in table.foreign_keys:
            if fk.referred_table not in shown:
                lines.append(
                    f"    %% {table.name}.{', '.join(fk.columns)} references "
                    f"{fk.referred_table}, not shown"
                )
                continue
            parent = "|o" if fk.optional else "||"
            child = "o|" if fk.one_to_one else "o{"
            line = "--" if fk.identifying else ".."
            label = ", ".join(fk.columns) + (f" ({fk.change})" if fk.change else "")
            lines.append(
                f"    {_entity(fk.referred_table)} {parent}{line}{child} {_entity(table.name)} "
                f': "{label}"'
            )
    if model.diff:
        lines.append("    %% legend: added, removed and changed items say so in their comment")
    return "\n".join(lines) + "\n"


# --- Graphviz rendering ------------------------------------------------------------------

_GRAPHVIZ_COMMENT = re.compile(rb"<!-- Generated by graphviz version [^>]*-->\n")
_DIGEST = re.compile(r"<!-- workbench-diagram sha256=([0-9a-f]{64}) -->")


def digest(dot: str) -> str:
    """The SHA-256 of a DOT source: what an SVG drawn from it records."""
    return hashlib.sha256(dot.encode("utf-8")).hexdigest()


def render(dot: str, fmt: Format) -> bytes:
    """Lay ``dot`` out with Graphviz (in-process) and draw it as SVG, PNG or PDF.

    The SVG loses Graphviz's version comment and gains the digest of ``dot``.
    A PNG that would be wider or taller than :data:`PNG_MAX_SIDE` pixels, or
    larger than :data:`PNG_MAX_PIXELS`, is drawn at a lower resolution.

    Raises:
        WorkbenchError: Graphviz reported an error (a bug in the DOT we wrote).
    """
    return _draw(dot, fmt)[0]


def _draw(dot: str, fmt: Format) -> tuple[bytes, str]:
    """:func:`render`, and a note when a PNG had to be drawn at a lower resolution."""
    import pygraphviz

    graph = pygraphviz.AGraph(string=dot)
    note = ""
    with _graphviz_messages() as messages:
        graph.layout(prog="dot")
        if fmt == "png":
            dpi = _png_dpi(graph)
            if dpi is not None:
                graph.graph_attr["dpi"] = f"{dpi:.2f}"
                note = (
                    f"drawn at {dpi:.0f} dpi to stay under {PNG_MAX_PIXELS // 1_000_000} "
                    "megapixels; SVG, --focus or --keys-only keep a large schema sharp"
                )
        data: bytes = graph.draw(format=fmt)
    errors = [line for line in messages if line.startswith("Error")]
    if errors:
        raise WorkbenchError(
            f"Graphviz could not draw the diagram: {' '.join(errors[0].split())}",
            hint="This is a bug in workbench; please report it with the schema.",
        )
    if fmt == "svg":
        data = _GRAPHVIZ_COMMENT.sub(b"", data, count=1)
        marker = f"<!-- workbench-diagram sha256={digest(dot)} -->\n".encode()
        head, sep, rest = data.partition(b"<svg")
        data = head + marker + sep + rest
    return data, note


def _png_dpi(graph: Any) -> float | None:
    """A resolution below Graphviz's 96 dpi when the PNG would be too large at 96; else None."""
    # Points, with the padding Graphviz adds on each side.
    pad = 72 * float(graph.graph_attr.get("pad") or 0.0555)
    width, height = (side + 2 * pad for side in _size_points(graph))
    scale = min(
        1.0,
        PNG_MAX_SIDE / (max(width, height) * 96 / 72),
        (PNG_MAX_PIXELS / (width * height * (96 / 72) ** 2)) ** 0.5,
    )
    # Rounded down, so the rounding never takes the image over the limits.
    return int(96 * scale * 100) / 100 if scale < 1.0 else None


def _size_points(graph: Any) -> tuple[float, float]:
    bb = str(graph.graph_attr.get("bb") or "0,0,0,0").split(",")
    return float(bb[2]) - float(bb[0]), float(bb[3]) - float(bb[1])


@contextmanager
def _graphviz_messages() -> Iterator[list[str]]:
    """Collect what Graphviz and its libraries write to file descriptor 2 meanwhile.

    Graphviz reports problems there from C, and the wheel's bundled fontconfig
    warns there about a newer system configuration; the list holds the lines
    (fontconfig's left out) once the block ends.
    """
    lines: list[str] = []
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no stderr at all
        yield lines
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace")
            lines += [
                line for line in text.splitlines() if not line.startswith("Fontconfig warning")
            ]


# --- Markdown injection ------------------------------------------------------------------


def _markers_for(schema: str) -> tuple[str, str]:
    return f"<!-- workbench:diagram {schema} -->", f"<!-- /workbench:diagram {schema} -->"


def inject(markdown: str, schema: str, mermaid: str) -> str:
    """``markdown`` with the Mermaid diagram of ``schema`` between its marker comments.

    The markers are ``<!-- workbench:diagram SCHEMA -->`` and
    ``<!-- /workbench:diagram SCHEMA -->``; without them the block is appended.
    """
    begin, end = _markers_for(schema)
    block = f"{begin}\n```mermaid\n{mermaid.rstrip()}\n```\n{end}"
    start = markdown.find(begin)
    stop = markdown.find(end, start + len(begin)) if start >= 0 else -1
    if start >= 0 and stop >= 0:
        return markdown[:start] + block + markdown[stop + len(end) :]
    if start >= 0:
        raise WorkbenchError(
            f"the Markdown file has {begin} but no {end} after it.",
            hint="Add the closing marker where the diagram should end, or remove the opening one.",
        )
    separator = (
        ""
        if not markdown or markdown.endswith("\n\n")
        else ("\n" if markdown.endswith("\n") else "\n\n")
    )
    return markdown + separator + block + "\n"


def injected(markdown: str, schema: str) -> str | None:
    """The Mermaid text between ``schema``'s markers in ``markdown`` (``None`` without them)."""
    begin, end = _markers_for(schema)
    match = re.search(
        re.escape(begin) + r"\n```mermaid\n(.*?)```\n" + re.escape(end), markdown, re.S
    )
    return match.group(1) if match else None


# --- the entry points --------------------------------------------------------------------


@dataclass(frozen=True)
class _Artifact:
    fmt: Format
    path: Path | None


def parse_format(value: str | None) -> Format | None:
    """``value`` as a format (``mmd`` is ``mermaid``); a ``WorkbenchError`` naming the formats."""
    if value is None:
        return None
    lowered = value.strip().lower().lstrip(".")
    if lowered in FORMATS:
        return lowered
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    raise WorkbenchError(
        f"unknown diagram format {value!r}.",
        hint="Choose one of: " + ", ".join(FORMATS) + " (svg is the default).",
    )


def default_path(cfg: Config, schema: str, fmt: Format, variant: str = "") -> Path:
    """``diagrams/<schema>.<ext>``, or ``diagrams/<schema>.<variant>.<ext>`` for another view."""
    stem = f"{schema}.{variant}" if variant else schema
    return cfg.diagrams_dir / f"{stem}.{EXTENSIONS[fmt]}"


def diagram(
    cfg: Config,
    schema: str,
    *,
    fmt: str | None = None,
    out: Path | str | None = None,
    url: str | None = None,
    revision: str | None = None,
    diff: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    keys_only: bool = False,
    focus: str | None = None,
    depth: int = 1,
    inject_into: Path | None = None,
    check: bool = False,
    formats: Sequence[str] = (),
    open_viewer: bool = False,
) -> DiagramResult:
    """Draw the ER diagram of ``schema``, or with ``check`` verify the one already drawn.

    The source is the models, else the live database at ``url``, else the
    schema at ``revision``, else the change between two revisions (``diff``,
    ``A..B``, where either side may be ``models``). The default output is
    ``diagrams/<schema>.<ext>``; a database, revision, change or narrowed view
    goes to ``diagrams/<schema>.<variant>.<ext>`` so it never overwrites the
    committed diagram of the models.

    Args:
        cfg: the project.
        schema: the schema's name.
        fmt: ``svg`` (default), ``png``, ``pdf``, ``mermaid`` or ``dot``; taken
            from ``out``'s extension when not given.
        out: where to write; ``-`` returns a text format in the result instead.
        url: draw this live database instead of the models.
        revision: draw the schema as this revision leaves it.
        diff: ``A..B``: draw B with what changed since A marked.
        include: table globs to keep.
        exclude: table globs to leave out.
        keys_only: only key columns, no constraint list.
        focus: only this table and its neighbours within ``depth`` hops.
        depth: the radius of ``focus``.
        inject_into: also write (or with ``check`` verify) the Mermaid diagram
            between marker comments in this Markdown file.
        check: compare instead of writing; stale outputs are reported, nothing is written.
        formats: several formats at once (``diagram --all`` uses svg and mermaid).
        open_viewer: open the first image written in the system viewer.

    Example:
        >>> diagram(Config.at("."), "blog", fmt="png")  # doctest: +SKIP
    """
    chosen = _formats(
        fmt, out, formats, inject_only=inject_into is not None and not (fmt or out or formats)
    )
    model, variant = _model(cfg, schema, url=url, revision=revision, diff=diff)
    model = select(
        model, include=include, exclude=exclude, focus=focus, depth=depth, keys_only=keys_only
    )
    if include or exclude or focus or keys_only:
        variant = ".".join(v for v in (variant, "view") if v)
    artifacts = [_Artifact(f, _target(cfg, schema, f, out, variant)) for f in chosen]
    dot = to_dot(model)
    mermaid = to_mermaid(model) if any(a.fmt == "mermaid" for a in artifacts) or inject_into else ""
    outputs = [
        _check_one(a, dot, mermaid) if check else _write_one(a, dot, mermaid) for a in artifacts
    ]
    if inject_into is not None:
        outputs.append(_inject_one(inject_into, schema, mermaid, check=check))
    opened = None
    notes: list[str] = []
    if open_viewer and not check:
        image = next(
            (o.path for o in outputs if o.path is not None and o.format != "markdown"), None
        )
        if image is not None:
            opened = open_file(image)
            if opened is None:
                notes.append("no viewer found" + ("" if _has_display() else " (no display)"))
    return DiagramResult(
        schema=schema,
        source=model.source,
        tables=len(model.tables),
        relationships=model.relationships,
        outputs=tuple(outputs),
        opened=opened,
        notes=tuple(notes),
    )


def diagram_all(
    cfg: Config, *, fmt: str | None = None, check: bool = False, inject_into: Path | None = None
) -> tuple[DiagramResult, ...]:
    """Draw (or with ``check`` verify) the committed diagrams of every schema of the project.

    Without ``fmt`` these are ``diagrams/<schema>.svg`` and ``diagrams/<schema>.mmd``.
    """
    names = cfg.schema_names()
    if not names:
        raise WorkbenchError(
            f"the project has no schemas: {cfg.rel(cfg.schemas_dir)}/ holds no module.",
            hint="Add a schema module first (see `workbench init`).",
        )
    formats: Sequence[str] = ()
    if fmt:
        formats = (fmt,)
    elif inject_into is None:
        formats = COMMITTED
    return tuple(
        diagram(cfg, name, formats=formats, check=check, inject_into=inject_into) for name in names
    )


def _formats(
    fmt: str | None, out: Path | str | None, formats: Sequence[str], *, inject_only: bool
) -> list[Format]:
    if inject_only:
        return []
    if formats:
        return [f for f in (parse_format(x) for x in formats) if f is not None]
    chosen = parse_format(fmt)
    if chosen is None and out is not None and str(out) != "-":
        suffix = Path(out).suffix
        chosen = parse_format(suffix) if suffix else None
    return [chosen or "svg"]


def _target(
    cfg: Config, schema: str, fmt: Format, out: Path | str | None, variant: str
) -> Path | None:
    if out is None:
        return default_path(cfg, schema, fmt, variant)
    if str(out) == "-":
        if fmt not in TEXT_FORMATS:
            raise WorkbenchError(
                f"--out - prints the diagram, and {fmt} is not text.",
                hint="Print svg, mermaid or dot, or give --out a file name.",
            )
        return None
    return Path(out)


def _model(
    cfg: Config, schema: str, *, url: str | None, revision: str | None, diff: str | None
) -> tuple[ErModel, str]:
    given = [
        name
        for name, value in (("--url", url), ("--revision", revision), ("--diff", diff))
        if value
    ]
    if len(given) > 1:
        raise WorkbenchError(
            f"{' and '.join(given)} are different sources; a diagram draws one.",
            hint="Keep one of them.",
        )
    cfg.schema_path(schema)  # an unknown schema is reported with the known ones
    if url:
        return reflect(url, schema=schema), "db"
    if revision:
        model = at_revision(cfg, schema, revision)
        return model, _safe_variant(revision)
    if diff:
        old_rev, new_rev = _split_diff(diff)
        old = _side(cfg, schema, old_rev)
        new = _side(cfg, schema, new_rev)
        source = f"changes from {_side_label(old)} to {_side_label(new)}"
        return diff_models(old, new, source=source), "diff"
    return from_models(cfg, schema), ""


def _split_diff(diff: str) -> tuple[str, str]:
    old, sep, new = diff.partition("..")
    if not sep or not old.strip() or not new.strip():
        raise WorkbenchError(
            f"--diff {diff!r} is not a range.",
            hint="Write it as REV_A..REV_B (revision ids, head, base, or models), "
            "for example --diff base..head or --diff head..models.",
        )
    return old.strip(), new.strip()


def _side(cfg: Config, schema: str, revision: str) -> ErModel:
    return from_models(cfg, schema) if revision == MODELS else at_revision(cfg, schema, revision)


def _side_label(model: ErModel) -> str:
    return model.source.removeprefix("revision ")


def _safe_variant(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-]+", "_", text)


def _write_one(artifact: _Artifact, dot: str, mermaid: str) -> DiagramOutput:
    fmt, path = artifact.fmt, artifact.path
    if fmt in ("mermaid", "dot"):
        text = mermaid if fmt == "mermaid" else dot
        if path is None:
            return DiagramOutput(fmt, None, "printed", text=text)
        status: DiagramStatus = "unchanged" if _read(path) == text else "written"
        if status == "written":
            _write_atomic(path, text.encode("utf-8"))
        return DiagramOutput(fmt, path, status)
    if fmt == "svg" and path is not None and _svg_digest(path) == digest(dot):
        # Already drawn from this very DOT (maybe on a machine with other fonts):
        # redrawing would only churn coordinates.
        return DiagramOutput(fmt, path, "unchanged")
    data, note = _draw(dot, fmt)
    if path is None:
        return DiagramOutput(fmt, None, "printed", text=data.decode("utf-8"))
    _write_atomic(path, data)
    return DiagramOutput(fmt, path, "written", detail=note)


def _check_one(artifact: _Artifact, dot: str, mermaid: str) -> DiagramOutput:
    fmt, path = artifact.fmt, artifact.path
    if fmt not in TEXT_FORMATS:
        raise WorkbenchError(
            f"--check compares text diagrams, and {fmt} is an image.",
            hint="Check the svg, mermaid or dot output instead (`workbench diagram --all --check` "
            "checks the committed svg and mermaid files).",
        )
    if path is None:
        raise WorkbenchError("--check needs a file to compare, not --out -.")
    if not path.exists():
        return DiagramOutput(fmt, path, "missing", detail="it has not been drawn yet")
    if fmt == "svg":
        fresh = _svg_digest(path) == digest(dot)
    else:
        fresh = _read(path) == (mermaid if fmt == "mermaid" else dot)
    if fresh:
        return DiagramOutput(fmt, path, "fresh")
    return DiagramOutput(fmt, path, "stale", detail="the schema changed since it was drawn")


def _inject_one(path: Path, schema: str, mermaid: str, *, check: bool) -> DiagramOutput:
    current = _read(path)
    if check:
        if current is None:
            return DiagramOutput("markdown", path, "missing", detail="the file does not exist")
        block = injected(current, schema)
        if block is None:
            return DiagramOutput(
                "markdown", path, "missing", detail=f"it has no diagram block for {schema}"
            )
        if block.rstrip("\n") == mermaid.rstrip("\n"):
            return DiagramOutput("markdown", path, "fresh")
        return DiagramOutput(
            "markdown", path, "stale", detail=f"its {schema} diagram block is out of date"
        )
    updated = inject(current or "", schema, mermaid)
    if updated == current:
        return DiagramOutput("markdown", path, "unchanged")
    _write_atomic(path, updated.encode("utf-8"))
    return DiagramOutput("markdown", path, "written")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _svg_digest(path: Path) -> str | None:
    text = _read(path)
    if text is None:
        return None
    match = _DIGEST.search(text[:2000])
    return match.group(1) if match else None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own, so two runs writing the same file never mix their bytes.
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".wbtmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        # mkstemp makes the file private; a diagram is as readable as the file it replaces.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- the system viewer -------------------------------------------------------------------


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_file(path: Path) -> str | None:
    """Open ``path`` in the system viewer; the viewer's name, or ``None`` when there is none.

    Windows uses the file's associated program, macOS ``open``, other systems
    ``xdg-open`` when a display (``$DISPLAY`` or ``$WAYLAND_DISPLAY``) is set.
    """
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        os.startfile(str(path))
        return "the default viewer"
    command = "open" if sys.platform == "darwin" else "xdg-open"
    found = shutil.which(command)
    if found is None or not _has_display():
        return None
    subprocess.Popen(
        [found, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return command


__all__ = [
    "COMMITTED",
    "FORMATS",
    "ColumnInfo",
    "ConstraintInfo",
    "ErModel",
    "ForeignKeyInfo",
    "TableInfo",
    "at_revision",
    "default_path",
    "diagram",
    "diagram_all",
    "diff_models",
    "from_models",
    "inject",
    "injected",
    "model_from_metadata",
    "neighbourhood",
    "open_file",
    "parse_format",
    "reflect",
    "render",
    "resolve_revision",
    "select",
    "to_dot",
    "to_mermaid",
    "type_label",
]
