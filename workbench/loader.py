"""Import a schema module in isolation and find the MetaData that holds its tables.

Each schema module is executed under a private module name, so two schemas
that both declare a ``users`` table or a ``User`` class coexist in one
process. A module that fails to import is reported as ``file:line: error``;
a module without tables is an error that says so.

Every constraint the workbench writes must have a name (SQLite batch mode
silently drops unnamed CHECK and UNIQUE constraints, and a downgrade cannot drop
a constraint it cannot name). Models whose MetaData lacks a naming convention
still work: the loader gives each unnamed constraint the name the default
convention would have given it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal

from workbench.config import Config
from workbench.errors import ModelDefect, SchemaLoadError
from workbench.modelcheck import Source, check_backends, check_references
from workbench.usercode import schema_import_error, user_code_error

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table
    from sqlalchemy.sql.schema import Constraint, Index

DEFAULT_NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""The convention the example schemas use, and the one applied to unnamed constraints."""

MAX_IDENTIFIER = 63
"""PostgreSQL's identifier limit; longer generated names end in a short hash instead."""


@dataclass(frozen=True, eq=False)
class Schema:
    """A loaded schema: its module and the MetaData that holds its tables."""

    name: str
    path: Path
    metadata: MetaData
    module: ModuleType
    flavour: Literal["sqlmodel", "sqlalchemy"]
    has_convention: bool
    """Whether the MetaData carries its own naming convention."""
    named_by_workbench: tuple[str, ...] = ()
    """Constraint names the loader filled in because the models left them unnamed."""

    @property
    def tables(self) -> list[Table]:
        """The schema's tables in dependency order (parents first)."""
        return list(self.metadata.sorted_tables)


_cache: dict[tuple[str, str, str], Schema] = {}
_configured: set[tuple[str, str, str]] = set()


def load_schema(
    cfg: Config,
    name: str,
    *,
    configure: bool = True,
    defects: list[ModelDefect] | None = None,
) -> Schema:
    """Load schema ``name`` of the project ``cfg`` (see :func:`load_path`, :func:`load_models`).

    Models that a supported backend cannot create raise :class:`ModelDefect`;
    given a ``defects`` list, the defect is appended to it instead and the
    models are returned as they are (``check`` walks the history beside it).
    """
    models = cfg.spec(name).models
    if models is not None:
        schema = load_models(cfg, name, models, configure=configure)
    else:
        schema = load_path(cfg.schema_path(name), name=name, root=cfg.root, configure=configure)
    backends = cfg.backends(name)
    if _checked.get((id(schema), backends)) is not schema:
        # Names and types are judged for the backends this schema supports (its config).
        try:
            check_backends(schema.metadata, _source(schema, cfg.root), backends, name)
        except ModelDefect as defect:
            if defects is None:
                raise
            defects.append(defect)
            return schema
        _checked[(id(schema), backends)] = schema
    return schema


_checked: dict[tuple[int, tuple[str, ...]], Schema] = {}


def _source(schema: Schema, root: Path | None) -> Source:
    return Source(schema.path, _shown(schema.path, root), schema.module, root)


_adopted: dict[tuple[str, str, str], tuple[str, Schema]] = {}


def load_models(cfg: Config, name: str, models: str, *, configure: bool = True) -> Schema:
    """Import an adopted schema's models from their import path and find their MetaData.

    ``models`` is ``MODULE:ATTR`` (``app.models:Base``, ``app.db:metadata``,
    ``app.models:SQLModel``, ``app.models:Base.metadata``) or a bare
    ``MODULE`` whose one MetaData is found as in a schema module. The project
    root and the history's ``prepend_sys_path`` are put on ``sys.path`` first.
    The models are the user's as they are: unnamed constraints keep no name
    (their history was written against the names the database gave them).

    Raises:
        SchemaLoadError: the module fails to import (with the user's file and
            line), lacks ATTR, or ATTR holds no MetaData with tables.
    """
    module_name, _, attr = models.partition(":")
    module_name, attr = module_name.strip(), attr.strip()
    folders = cfg.script_location(name).sys_path
    add_sys_path(folders)
    key = (str(cfg.root), name, models)
    path = cfg.schema_path(name)
    digest = _digest(path)
    cached = _adopted.get(key)
    if cached is not None and cached[0] == digest and module_name in sys.modules:
        return cached[1]
    if cached is not None:
        # The models changed since they were imported: import them afresh.
        _forget(module_name.split(".")[0])
    _forget_foreign(module_name, folders)
    module = _import_user_module(module_name, folders, models)
    shown = _shown(Path(getattr(module, "__file__", None) or path), cfg.root)
    metadata = (
        _resolve_metadata(module, attr, shown, models) if attr else _find_metadata(module, shown)
    )
    check_references(
        metadata, Source(Path(module.__file__ or path), shown, module, cfg.root), keys=False
    )
    if configure:
        _configure_mappers(module, shown)
    sqlmodel = sys.modules.get("sqlmodel")
    uses_sqlmodel = _uses_sqlmodel(module) or (
        sqlmodel is not None and metadata is sqlmodel.SQLModel.metadata
    )
    schema = Schema(
        name=name,
        path=Path(getattr(module, "__file__", None) or path),
        metadata=metadata,
        module=module,
        flavour="sqlmodel" if uses_sqlmodel else "sqlalchemy",
        has_convention=_has_convention(metadata),
    )
    _adopted[key] = (digest, schema)
    return schema


def load_baseline(cfg: Config, name: str) -> MetaData | None:
    """The MetaData of schema ``name``'s ``baseline`` (``None`` when it declares none).

    A baseline holds the tables a history starts from without creating them:
    the application makes them with ``create_all`` before its first upgrade
    (mlflow's ``initial_models``). Imported as ``models`` is, from the project
    root and the history's ``prepend_sys_path``.

    Raises:
        SchemaLoadError: not ``MODULE:ATTR``, the module fails to import (with
            the user's file and line), or ATTR holds no MetaData with tables.
    """
    baseline = cfg.spec(name).baseline
    if baseline is None:
        return None
    module_name, _, attr = (part.strip() for part in baseline.partition(":"))
    if not module_name or not attr:
        raise SchemaLoadError(
            f"schema {name!r}: baseline = {baseline!r} is not MODULE:ATTR.",
            hint="Name the MetaData or declarative base the history starts from, for example "
            'baseline = "app.db.initial_models:Base".',
        )
    folders = cfg.script_location(name).sys_path
    add_sys_path(folders)
    module = _import_user_module(module_name, folders, baseline, key="baseline")
    shown = _shown(Path(getattr(module, "__file__", None) or module_name), cfg.root)
    return _resolve_metadata(module, attr, shown, baseline, key="baseline")


def create_baseline(cfg: Config, name: str, conn: Any) -> bool:
    """Create schema ``name``'s baseline tables on ``conn``, committed; whether it did.

    Called on a database at base, before the history's first revision, so that
    the history starts from the state the application makes before its first
    upgrade. Nothing is created when the schema declares no baseline or when
    any of its tables already exists (the database was made some other way).
    """
    import sqlalchemy as sa

    metadata = load_baseline(cfg, name)
    if metadata is None:
        return False
    if set(sa.inspect(conn).get_table_names()) & set(metadata.tables):
        return False
    if conn.in_transaction():
        conn.commit()
    metadata.create_all(conn)
    if conn.in_transaction():
        conn.commit()
    return True


def add_sys_path(folders: tuple[Path, ...]) -> None:
    """Put ``folders`` at the front of ``sys.path`` (once), as Alembic's ``prepend_sys_path`` does.

    They stay there: revisions read later import the same modules the models did.
    """
    for folder in reversed(folders):
        text = str(folder)
        if text not in sys.path:
            sys.path.insert(0, text)


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _forget_foreign(module_name: str, folders: tuple[Path, ...]) -> None:
    """Drop an already imported package of the same name that lives outside ``folders``.

    Two projects may both call their package ``app``; the one asked about wins.
    """
    top = module_name.split(".")[0]
    loaded = sys.modules.get(top)
    if loaded is None or not _inside_any_project_folder(top, folders):
        return
    files = [getattr(loaded, "__file__", None), *list(getattr(loaded, "__path__", []) or [])]
    if any(_under(Path(f).resolve(), folders) for f in files if f):
        return
    _forget(top)


def _forget(top: str) -> None:
    for key in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
        del sys.modules[key]
    importlib.invalidate_caches()


def _inside_any_project_folder(top: str, folders: tuple[Path, ...]) -> bool:
    """Whether the project itself has a module ``top`` (then it, not another, is meant)."""
    return any((f / top).is_dir() or (f / f"{top}.py").is_file() for f in folders)


def _under(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path == f or f in path.parents for f in folders)


def _import_user_module(
    module_name: str, folders: tuple[Path, ...], models: str, key: str = "models"
) -> ModuleType:
    import importlib

    try:
        return importlib.import_module(module_name)
    except Exception as exc:
        raise user_code_error(
            exc, f"importing the {key} {models}", folders, fix=f"{key} import path"
        ) from None


def _resolve_metadata(
    module: ModuleType, attr: str, shown: str, models: str, key: str = "models"
) -> MetaData:
    """``module.attr`` (dotted) as a MetaData: itself, or a class's (declarative base, SQLModel)."""
    from sqlalchemy import MetaData

    value: Any = module
    for part in attr.split("."):
        if not hasattr(value, part):
            raise SchemaLoadError(
                f"{shown}: {key} = {models!r}: {module.__name__} has no attribute {attr!r}.",
                hint="Name the models' MetaData, declarative base or SQLModel class as "
                "MODULE:ATTR, for example app.models:Base.",
            )
        value = getattr(value, part)
    metadata = value if isinstance(value, MetaData) else getattr(value, "metadata", None)
    if not isinstance(metadata, MetaData):
        raise SchemaLoadError(
            f"{shown}: {key} = {models!r} is a {type(value).__name__}, not a MetaData, a "
            "declarative base or a SQLModel class.",
            hint="Name the object whose .metadata holds the tables, for example app.models:Base.",
        )
    if not metadata.tables:
        raise SchemaLoadError(
            f"{shown}: the MetaData of {models!r} holds no tables once {module.__name__} is "
            "imported.",
            hint="Name the module that defines (or imports) the models: MODULE is imported, "
            "then ATTR is read from it.",
        )
    return metadata


def load_path(
    path: Path, *, name: str | None = None, root: Path | None = None, configure: bool = True
) -> Schema:
    """Import the schema module at ``path`` and find its MetaData.

    Loading the same unchanged file again returns the same ``Schema``. With
    ``configure`` (the default) the ORM mappers are configured too, so that a
    broken relationship fails here; readers that only need the tables
    (diagrams, index advice) skip that (0.1 s for 200 models).

    Raises:
        SchemaLoadError: the module fails to import, fails to configure its
            mappers, declares no tables, or spreads them over several MetaData.
    """
    path = path.resolve()
    name = name or (path.parent.name if path.name == "__init__.py" else path.stem)
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise SchemaLoadError(f"cannot read schema {name!r} at {path}: {exc.strerror}.") from None
    key = (str(path), name, hashlib.sha256(source).hexdigest())
    shown = _shown(path, root)
    if key in _cache:
        cached = _cache[key]
        _refuse_shared(cached.module, cached.metadata, name, shown)
        if configure and key not in _configured:
            _configure_mappers(cached.module, shown)
            _configured.add(key)
        return cached
    module = _import(path, name, key[2][:12], shown, root)
    metadata = _find_metadata(module, shown)
    _refuse_shared(module, metadata, name, shown)
    check_references(metadata, Source(path, shown, module, root))
    if configure:
        _configure_mappers(module, shown)
        _configured.add(key)
    has_convention = _has_convention(metadata)
    _lift_column_checks(metadata)
    filled = tuple(_name_unnamed(metadata))
    schema = Schema(
        name=name,
        path=path,
        metadata=metadata,
        module=module,
        flavour="sqlmodel" if _uses_sqlmodel(module) else "sqlalchemy",
        has_convention=has_convention,
        named_by_workbench=filled,
    )
    _cache[key] = schema
    return schema


def _shown(path: Path, root: Path | None) -> str:
    from workbench.modelcheck import shown_path

    return shown_path(path, root)


def _import(path: Path, name: str, digest: str, shown: str, root: Path | None) -> ModuleType:
    module_name = f"_workbench_schema_{name}_{digest}"
    is_package = path.name == "__init__.py"
    spec = importlib.util.spec_from_file_location(
        module_name,
        path,
        submodule_search_locations=[str(path.parent)] if is_package else None,
    )
    if spec is None or spec.loader is None:  # pragma: no cover - only for exotic paths
        raise SchemaLoadError(f"{shown}: cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    # Pydantic and SQLAlchemy resolve annotations through sys.modules, so the
    # module must be registered while it executes (under its private name).
    sys.modules[module_name] = module
    added_root = False
    if root is not None and str(root) not in sys.path:
        # Lets a schema import the project's own packages (`from app.models import *`).
        sys.path.insert(0, str(root))
        added_root = True
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        where = f"{shown}:{exc.lineno}" if exc.filename == str(path) else _where(exc, path, shown)
        raise SchemaLoadError(
            f"{where}: {exc.msg}.",
            hint="Fix the syntax error in the schema module.",
        ) from None
    except (Exception, SystemExit) as exc:
        # SystemExit too: a module that calls sys.exit() is a broken schema, not a request to
        # end workbench (`schemas` still lists the others).
        sys.modules.pop(module_name, None)
        folders = (path.parent, *((root,) if root is not None else ()))
        raise schema_import_error(exc, _where(exc, path, shown), shown, folders) from None
    finally:
        if added_root:
            sys.path.remove(str(root))
    return module


def _where(exc: BaseException, path: Path, shown: str) -> str:
    """``file:line`` of the deepest frame of the traceback inside the schema module."""
    line = None
    tb: TracebackType | None = exc.__traceback__
    for frame, lineno in traceback.walk_tb(tb):
        if Path(frame.f_code.co_filename) == path:
            line = lineno
    if line is None and isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    return f"{shown}:{line}" if line is not None else shown


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if text.endswith(".") else text + "."


def _candidates(module: ModuleType) -> Iterator[MetaData]:
    from sqlalchemy import MetaData, Table

    for value in list(vars(module).values()):
        if isinstance(value, MetaData):
            yield value
        elif isinstance(value, Table):
            yield value.metadata
        elif isinstance(value, type):
            found = getattr(value, "metadata", None)
            if isinstance(found, MetaData):
                yield found


def _find_metadata(module: ModuleType, shown: str) -> MetaData:
    from sqlalchemy import MetaData

    explicit = vars(module).get("metadata")
    if explicit is not None:
        if not isinstance(explicit, MetaData):
            raise SchemaLoadError(
                f"{shown}: `metadata` is a {type(explicit).__name__}, not a MetaData.",
                hint="Set `metadata = Base.metadata`, or rename the variable.",
            )
        if not explicit.tables:
            raise SchemaLoadError(
                f"{shown}: its `metadata` holds no tables.",
                hint="Declare the models on the MetaData named by `metadata`.",
            )
        return explicit
    found: dict[int, MetaData] = {}
    for candidate in _candidates(module):
        if candidate.tables:
            found.setdefault(id(candidate), candidate)
    if not found:
        raise SchemaLoadError(
            f"{shown} declares no tables: a schema module defines models "
            "(SQLModel classes with table=True, or SQLAlchemy declarative classes) or Tables.",
            hint="Add a model, or move the module out of the schemas folder.",
        )
    if len(found) > 1:
        sizes = ", ".join(
            f"one with {', '.join(sorted(m.tables))}"
            for m in sorted(found.values(), key=lambda m: sorted(m.tables))
        )
        raise SchemaLoadError(
            f"{shown} spreads its tables over {len(found)} MetaData objects ({sizes}).",
            hint="Say which one is the schema with `metadata = Base.metadata` in the module.",
        )
    return next(iter(found.values()))


def _refuse_shared(module: ModuleType, metadata: MetaData, name: str, shown: str) -> None:
    """A ``SchemaLoadError`` when another schema module maps its models onto the same MetaData.

    Two schemas on one MetaData (both on SQLModel's default ``SQLModel.metadata``,
    or one shared declarative base) see each other's tables: each schema's
    revisions, checks and diagrams would then depend on which was loaded first.
    """
    from sqlalchemy.orm import registry as Registry

    registries = {
        id(found): found
        for value in list(vars(module).values())
        if isinstance(value, type)
        for found in (getattr(value, "registry", None), getattr(value, "_sa_registry", None))
        if isinstance(found, Registry)
    }
    others: dict[str, set[str]] = {}
    for found in registries.values():
        for mapper in list(found.mappers):
            owner = str(getattr(mapper.class_, "__module__", ""))
            table = getattr(mapper, "local_table", None)
            if not owner.startswith(_PREFIX) or getattr(table, "metadata", None) is not metadata:
                continue
            other = owner.removeprefix(_PREFIX).rsplit("_", 1)[0]
            if other != name:
                others.setdefault(other, set()).add(str(getattr(table, "name", "?")))
    if others:
        listed = "; ".join(
            f"schema {other!r} ({', '.join(sorted(tables))})"
            for other, tables in sorted(others.items())
        )
        raise SchemaLoadError(
            f"{shown} shares its MetaData with another schema module: {listed} put their tables "
            "in it too, so each schema would see the other's tables.",
            hint="Give each schema its own MetaData: SQLModel: `class Base(SQLModel, "
            "registry=registry())` and `class Model(Base, table=True)`; SQLAlchemy: one "
            "`class Base(DeclarativeBase)` per schema module.",
        )


_PREFIX = "_workbench_schema_"


def _configure_mappers(module: ModuleType, shown: str) -> None:
    """Configure the module's mappers now, so a broken relationship fails at load time."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    registries = {}
    for value in list(vars(module).values()):
        if isinstance(value, type):
            mapper: Any = inspect(value, raiseerr=False)
            registry = getattr(mapper, "registry", None)
            if registry is not None:
                registries[id(registry)] = registry
    for registry in registries.values():
        try:
            registry.configure()
        except SQLAlchemyError as exc:
            raise SchemaLoadError(
                f"{shown}: the models' mappers do not configure: {_one_line(exc)}",
                hint="Fix the relationship or column the message names.",
            ) from None


def _uses_sqlmodel(module: ModuleType) -> bool:
    sqlmodel = sys.modules.get("sqlmodel")
    if sqlmodel is None:
        return False
    base = sqlmodel.SQLModel
    return any(
        isinstance(value, type) and issubclass(value, base) and value is not base
        for value in vars(module).values()
    )


def _has_convention(metadata: MetaData) -> bool:
    return any(key != "ix" for key in metadata.naming_convention)


def _lift_column_checks(metadata: MetaData) -> None:
    """A CHECK declared on a column (``mapped_column(..., CheckConstraint("price >= 0"))``)
    becomes the same CHECK on its table.

    The DDL means the same, but Alembic renders only a table's constraints: left on the
    column, the CHECK is missing from every generated revision (and has no name).
    """
    from sqlalchemy import CheckConstraint

    for table in metadata.tables.values():
        for column in table.columns:
            for check in [c for c in column.constraints if isinstance(c, CheckConstraint)]:
                column.constraints.discard(check)
                lifted = CheckConstraint(
                    check.sqltext,
                    name=check.name if _is_named(check) else None,
                    deferrable=check.deferrable,
                    initially=check.initially,
                    info=dict(check.info) if check.info else None,
                )
                table.append_constraint(lifted)


def _name_unnamed(metadata: MetaData) -> Iterator[str]:
    """Give every unnamed constraint and index the default convention's name."""
    from sqlalchemy import CheckConstraint, Column
    from sqlalchemy.sql.elements import conv

    for table in metadata.sorted_tables:
        items: list[Constraint | Index] = [*table.constraints, *table.indexes]
        seen: set[str] = {str(item.name) for item in items if _is_named(item)}
        for item in sorted(items, key=_sort_key):
            if _is_named(item):
                continue
            columns: list[str]
            if isinstance(item, CheckConstraint):
                columns = _check_columns(item, table, Column)[:1] or ["check"]
            else:
                columns = [c.name for c in getattr(item, "columns", [])]
            name = _default_name(item, table, columns)
            base, n = name, 2
            while name in seen:
                name = f"{base}_{n}"
                n += 1
            seen.add(name)
            item.name = conv(name)
            yield name


def _check_columns(item: Any, table: Table, column_type: type[Any]) -> list[str]:
    """The table's columns a CHECK mentions, in table order (also in a textual CHECK)."""
    named = {c.name for c in _columns_in(item.sqltext) if isinstance(c, column_type)}
    if not named:
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(item.sqltext)))
        named = {c.name for c in table.columns if c.name in words}
    return [c.name for c in table.columns if c.name in named]


def _columns_in(element: Any) -> Iterator[Any]:
    from sqlalchemy.sql import visitors

    yield from visitors.iterate(element)


def _is_named(item: Any) -> bool:
    from sqlalchemy.sql.base import _NONE_NAME

    return item.name is not None and item.name is not _NONE_NAME


def _sort_key(item: Any) -> tuple[str, str]:
    from sqlalchemy import CheckConstraint

    text = str(item.sqltext) if isinstance(item, CheckConstraint) else ""
    return (type(item).__name__, text + ",".join(c.name for c in getattr(item, "columns", [])))


def _default_name(item: Any, table: Table, columns: list[str]) -> str:
    from sqlalchemy import (
        CheckConstraint,
        ForeignKeyConstraint,
        Index,
        PrimaryKeyConstraint,
        UniqueConstraint,
    )

    cols = "_".join(columns)
    if isinstance(item, PrimaryKeyConstraint):
        name = f"pk_{table.name}"
    elif isinstance(item, ForeignKeyConstraint):
        name = f"fk_{table.name}_{cols}_{item.referred_table.name}"
    elif isinstance(item, UniqueConstraint):
        name = f"uq_{table.name}_{cols}"
    elif isinstance(item, CheckConstraint):
        name = f"ck_{table.name}_{cols}"
    elif isinstance(item, Index):
        name = f"ix_{table.name}_{cols}"
    else:  # pragma: no cover - no other constraint kinds exist in SQLAlchemy 2
        name = f"{type(item).__name__.lower()}_{table.name}_{cols}"
    return shorten(name)


def shorten(name: str) -> str:
    """``name`` cut to PostgreSQL's 63 characters, deterministically."""
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"
