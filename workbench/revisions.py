"""A schema's history: the Alembic script directory, its revisions, and their operations.

Besides listing revisions, this module *reads* what a revision does without a
database: it runs the revision's ``upgrade()`` or ``downgrade()`` against a
recording ``op`` that keeps every Alembic operation object (with the line of the
revision file that made it) instead of executing it. Lint rules and the
destructive-apply guard work on those operations, and :class:`HistoryModel`
replays them to know, for every column, the exact type, nullability and server
default that the history gave it; that is what SQLite reflection cannot tell
(enum members, timezone-aware timestamps), so ``generate`` stays exact when it
compares the models with a SQLite scratch database.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench import compat
from workbench.config import Config, own_env_directory
from workbench.errors import RevisionError, UserCodeError
from workbench.results import Revision
from workbench.usercode import user_code_error
from workbench.walker import Dispatch, Names, Step, table_of

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.operations.ops import MigrateOperation
    from alembic.script import Script, ScriptDirectory
    from sqlalchemy.types import TypeEngine


def alembic_config(
    cfg: Config,
    schema: str,
    *,
    url: str | None = None,
    output_buffer: io.StringIO | None = None,
    attributes: dict[str, Any] | None = None,
) -> AlembicConfig:
    """An in-process Alembic ``Config`` for ``schema``'s script directory.

    The directory's own ``alembic.ini`` is read when present, so settings a user
    adds there (file templates, post-write hooks) apply under workbench too.
    """
    from alembic.config import Config as AlembicConfig

    location = cfg.script_location(schema)
    ac = AlembicConfig(
        file_=str(location.ini) if location.ini is not None else None,
        toml_file=str(location.toml) if location.toml is not None else None,
        output_buffer=output_buffer,
        # quiet: Alembic would print "Generating ..." itself; only the CLI prints.
        cmd_opts=argparse.Namespace(quiet=True, x=None, autogenerate=False),
        attributes=dict(attributes or {}),
    )
    # workbench's own runner stands in for env.py (see config.own_env_directory);
    # the revisions are read where they are.
    ac.set_main_option("script_location", _escaped(own_env_directory(location)))
    ac.set_main_option("path_separator", "newline")
    ac.set_main_option("version_locations", "\n".join(_escaped(v) for v in location.versions))
    ac.set_main_option("prepend_sys_path", "\n".join(_escaped(p) for p in location.sys_path))
    if not location.adopted and not ac.get_main_option("file_template"):
        ac.set_main_option("file_template", FILE_TEMPLATE)
    if url is not None:
        # ConfigParser interpolates "%": percent-encoded passwords must be doubled.
        ac.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    ac.attributes.setdefault("workbench.project", cfg)
    ac.attributes.setdefault("workbench.schema_name", schema)
    return ac


def _escaped(path: Path) -> str:
    return str(path).replace("%", "%%")


FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s"


def script_directory(cfg: Config, schema: str) -> ScriptDirectory:
    """The Alembic script directory of ``schema``; a ``RevisionError`` if it has none."""
    from alembic.script import ScriptDirectory

    cfg.schema_path(schema)  # an unknown schema is reported as such, with the known ones
    location = cfg.migrations_path(schema)
    if not has_history(cfg, schema):
        raise RevisionError(
            f"schema {schema!r} has no migrations yet ({cfg.rel(location)}/ is missing).",
            hint=f"Write the first revision with `workbench generate {schema} -m 'initial'`.",
        )
    scripts = ScriptDirectory.from_config(alembic_config(cfg, schema))
    _report_revision_errors(scripts, cfg.script_location(schema).sys_path)
    check_history(scripts, cfg.root)
    return scripts


def _report_revision_errors(scripts: ScriptDirectory, folders: tuple[Path, ...]) -> None:
    """Make a revision file that fails to import a ``UserCodeError`` naming its file and line."""
    from alembic.script.revision import RevisionMap

    load = compat.revision_loader(scripts)
    where = (*folders, *(Path(v) for v in scripts.version_locations or [scripts.versions]))

    def guarded() -> Iterator[Any]:
        try:
            yield from load()
        except UserCodeError:
            raise
        except Exception as exc:
            raise user_code_error(exc, "reading a revision", where, fix="revision") from exc

    scripts.revision_map = RevisionMap(guarded)


def has_history(cfg: Config, schema: str) -> bool:
    location = cfg.script_location(schema)
    if location.adopted:
        return any(v.is_dir() for v in location.versions)
    return location.env_py.is_file()


def list_revisions(
    cfg: Config, schema: str, scripts: ScriptDirectory | None = None
) -> list[Revision]:
    """The revisions of ``schema`` from base to head (an empty list before the first one).

    Pass ``scripts`` when the caller has already loaded the script directory.
    """
    if not has_history(cfg, schema):
        return []
    scripts = scripts if scripts is not None else script_directory(cfg, schema)
    heads = set(scripts.get_heads())
    return [
        Revision(
            id=s.revision,
            down_revisions=_tuple(s.down_revision),
            message=(s.doc or "").strip(),
            path=Path(s.path),
            is_head=s.revision in heads,
        )
        for s in chain(scripts)
    ]


def chain(scripts: ScriptDirectory, upto: str = "heads") -> list[Script]:
    """The revisions from base up to ``upto`` (every head by default), base first."""
    ordered = list(scripts.walk_revisions("base", upto))
    ordered.reverse()
    return ordered


def single_head(cfg: Config, schema: str, scripts: ScriptDirectory | None = None) -> str | None:
    """The one head of ``schema``'s history (``None`` when empty); an error if there are several.

    Pass ``scripts`` when the caller has already loaded the script directory:
    loading it imports every revision file again.
    """
    if not has_history(cfg, schema):
        return None
    heads = (scripts if scripts is not None else script_directory(cfg, schema)).get_heads()
    if len(heads) > 1:
        raise RevisionError(
            f"schema {schema!r} has {len(heads)} heads ({', '.join(sorted(heads))}): two "
            "revisions both follow the same parent, usually from two branches merged in git.",
            hint="Join them with a merge revision: `alembic -c "
            f"{cfg.rel(cfg.migrations_path(schema))}/alembic.ini merge -m merge heads`.",
        )
    return heads[0] if heads else None


def _tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


# --- reading what a revision does --------------------------------------------------------


@dataclass(frozen=True)
class CapturedOp:
    """One Alembic operation a revision performs, and where in the file it is made."""

    op: MigrateOperation
    line: int | None
    batch: str | None = None
    """The table of the enclosing ``batch_alter_table`` block, if any."""

    @property
    def kind(self) -> str:
        """The ``op.`` method that made it: ``add_column``, ``execute``, ``sync_enum_values``..."""
        return _op_name(self.op)

    @property
    def table(self) -> str | None:
        """The table the operation changes: its batch, its ``table_name``, or a new
        foreign key's source table (``create_foreign_key`` has no ``table_name``)."""
        return table_of(self.op, self.batch)


@dataclass(frozen=True)
class Capture:
    """Everything read from one direction of one revision."""

    revision: str
    path: Path
    direction: Literal["upgrade", "downgrade"]
    ops: tuple[CapturedOp, ...]
    error: str | None = None
    """Why reading stopped early (the revision needs a live database, or raised)."""
    raises: str | None = None
    """The exception type when the function raised on purpose (``NotImplementedError``)."""
    offline: bool = False
    """Reading stopped because the revision needs what an offline reading does not have:
    the database connection (``op.get_bind()``: its URL, queries, ``close()``...) or a
    module that does not import here. ``error`` says what."""


class OfflineRead(Exception):
    """Raised by the stand-in connection when a revision uses what needs a real database."""


class _OfflineBind:
    """What ``op.get_bind()`` returns while a revision is read: the dialect, nothing else.

    Revisions often branch on ``bind.dialect.name`` (or ``bind.engine.name``); that
    is answered. Anything that needs the database (``execute``, ``url``,
    ``close``, a session bound to it) raises :class:`OfflineRead`.
    """

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.name = dialect.name
        self.engine = self

    def __getattr__(self, name: str) -> Any:
        raise OfflineRead(f"op.get_bind().{name}")

    def __enter__(self) -> Any:
        raise OfflineRead("op.get_bind() as a context manager")

    def __exit__(self, *exc: object) -> None:
        return None


def _op_name(op: Any) -> str:
    """The ``op.`` method that makes the operation: ``AddColumnOp`` -> ``add_column``."""
    name = type(op).__name__
    if name in _METHODS:
        return _METHODS[name]
    name = name.removesuffix("Op")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


_METHODS = {"ExecuteSQLOp": "execute"}
"""Operations whose ``op.`` method is not their class name in snake case."""


def capture(
    script: Script, direction: Literal["upgrade", "downgrade"], dialect: str = "postgresql"
) -> Capture:
    """Run one direction of ``script`` against a recording ``op`` and keep its operations."""
    from alembic.runtime.migration import MigrationContext

    import workbench.ops  # noqa: F401  (registers the enum operations on the recorder)

    path = Path(script.path)
    context = MigrationContext.configure(
        dialect_name=dialect,
        opts={"as_sql": True, "output_buffer": io.StringIO(), "literal_binds": True},
    )
    sink: list[CapturedOp] = []
    recorder = _recorder_class()(context, sink=sink, path=path)
    function = getattr(script.module, direction, None)
    error = raises = None
    offline = False
    compat.install_op_proxy(recorder)
    try:
        if function is not None:
            function()
    except NotImplementedError as exc:
        raises = "NotImplementedError"
        error = str(exc) or "NotImplementedError"
    except Exception as exc:  # the user's revision: what it raises is recorded, not propagated
        error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        offline = _needs_database(exc, path, recorder.bind_used)
        if isinstance(exc, OfflineRead):
            error = f"it uses the database connection ({exc}), which lint reads without"
        elif isinstance(exc, ImportError):
            error = f"it imports what is not installed here ({error})"
        elif offline:
            error = (
                "it uses the database connection (op.get_bind()), which lint reads without: "
                + error
            )
    finally:
        compat.remove_op_proxy(recorder)
    return Capture(script.revision, path, direction, tuple(sink), error, raises, offline)


def _needs_database(exc: BaseException, path: Path, bind_used: bool) -> bool:
    """Whether ``exc`` comes from reading offline rather than from the revision itself.

    A ``raise`` written in the revision is the revision's own; an exception
    raised further down (in SQLAlchemy, in the stand-in connection) after the
    revision asked for the connection is the price of reading without one.
    """
    if isinstance(exc, (OfflineRead, ImportError)):
        return True
    if not bind_used:
        return False
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last != str(path)


_RECORDER: type[Any] | None = None


def _recorder_class() -> type[Any]:
    """Build the recording ``Operations`` subclass once (Alembic is imported lazily)."""
    global _RECORDER
    if _RECORDER is not None:
        return _RECORDER
    from alembic.operations import BatchOperations, Operations
    from alembic.operations import ops as alembic_ops

    def line_in(path: Path) -> int | None:
        frame = sys._getframe(2)
        target = str(path)
        while frame is not None:
            if frame.f_code.co_filename == target:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return None

    class RecordingBatch(BatchOperations):
        def __init__(self, context: Any, impl: Any, sink: list[CapturedOp], path: Path) -> None:
            super().__init__(context, impl=impl)
            self._sink = sink
            self._path = path

        def invoke(self, operation: Any) -> Any:
            operation = _read_enum_ddl(operation, self.migration_context)
            self._sink.append(CapturedOp(operation, line_in(self._path), self.impl.table_name))
            return None

    class Recorder(Operations):
        def __init__(self, context: Any, *, sink: list[CapturedOp], path: Path) -> None:
            super().__init__(context)
            self._sink = sink
            self._path = path
            self.bind_used = False

        def invoke(self, operation: Any) -> Any:
            operation = _read_enum_ddl(operation, self.migration_context)
            self._sink.append(CapturedOp(operation, line_in(self._path)))
            if isinstance(operation, alembic_ops.CreateTableOp):
                return operation.to_table(self.migration_context)
            return None

        def get_bind(self) -> Any:
            self.bind_used = True
            return _OfflineBind(self.migration_context.dialect)

        @contextlib.contextmanager
        def batch_alter_table(  # type: ignore[override]
            self, table_name: str, schema: str | None = None, recreate: str = "auto", **kw: Any
        ) -> Iterator[Any]:
            impl = compat.batch_impl(self, table_name, schema, recreate, kw)
            yield RecordingBatch(self.migration_context, impl, self._sink, self._path)

    # Alembic installs the module-level `op` proxy per exact class; the recorder
    # shares the registration of Operations so `op.add_column(...)` reaches it.
    compat.share_op_registrations(Recorder, Operations)
    _RECORDER = Recorder
    return Recorder


def _read_enum_ddl(operation: Any, context: Any) -> Any:
    """An ``op.execute`` of enum DDL read as the enum operation it performs (PostgreSQL only).

    Revisions written by workbench change enum types with plain DDL (see
    :mod:`workbench.ops`), as many hand-written ones do; every reader of the
    history knows the enum operations, not the SQL.
    """
    if type(operation).__name__ != "ExecuteSQLOp" or context.dialect.name != "postgresql":
        return operation
    from workbench.ops import enum_operation
    from workbench.pgschemas import schema_operation

    return enum_operation(operation) or schema_operation(operation) or operation


def capture_history(
    cfg: Config, schema: str, direction: Literal["upgrade", "downgrade"] = "upgrade"
) -> list[Capture]:
    """Capture one direction of every revision of ``schema``, base to head.

    Reading a revision runs it; the result is kept for as long as no file in
    ``versions/`` changes (an ``env.py`` asked to autogenerate would otherwise
    re-read the whole history at every step of a long run).
    """
    if not has_history(cfg, schema):
        return []
    versions = cfg.script_location(schema).versions
    key = (str(versions), direction, tuple(x for v in versions for x in _signature(v)))
    if key not in _captured:
        ordered = chain(script_directory(cfg, schema))
        _captured[key] = tuple(capture(s, direction) for s in ordered)
    return list(_captured[key])


_captured: dict[tuple[str, str, tuple[tuple[str, int, int], ...]], tuple[Capture, ...]] = {}


def _signature(versions: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every revision file: changes when any file does."""
    found = []
    for path in sorted(versions.rglob("*.py")):
        stat = path.stat()
        found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


# --- the schema the history builds -------------------------------------------------------


@dataclass
class ColumnState:
    """What the history says about one column."""

    type: TypeEngine[Any] | None
    nullable: bool | None
    server_default: Any


@dataclass
class HistoryModel:
    """The tables, columns and enum types the history builds, replayed from its operations.

    Only what revisions say through Alembic operations is known; a table made
    with raw SQL (``op.execute``) is simply absent, and callers fall back to
    reflection for it.
    """

    tables: dict[str, dict[str, ColumnState]] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    enum_schemas: dict[str, str] = field(default_factory=dict)
    """The named PostgreSQL schema of an enum type that is not in the default one."""
    schemas: set[str] = field(default_factory=set)
    """Named PostgreSQL schemas the history creates (see :mod:`workbench.pgschemas`)."""
    unread: list[str] = field(default_factory=list)
    """Revisions whose operations could not all be read."""

    @classmethod
    def replay(cls, captures: Sequence[Capture]) -> HistoryModel:
        model = cls()
        for cap in captures:
            for captured in cap.ops:
                model.apply(captured)
            if cap.error:
                model.unread.append(cap.revision)
        return model

    @classmethod
    def of(cls, cfg: Config, schema: str) -> HistoryModel:
        return cls.replay(capture_history(cfg, schema))

    def column(self, table: str, column: str) -> ColumnState | None:
        return self.tables.get(table, {}).get(column)

    def enum_users(self, name: str) -> list[tuple[str, str]]:
        """The ``(table, column)`` pairs whose type is enum ``name``."""
        return [
            (table, column)
            for table, columns in sorted(self.tables.items())
            for column, state in columns.items()
            if enum_name(state.type) == name
        ]

    def apply(self, captured: CapturedOp) -> None:
        """Replay one operation (dispatched by its class, see :data:`_REPLAY`)."""
        _REPLAY(self, Step.at(captured, Names()))

    def _note_enum(self, type_: Any) -> None:
        name = enum_name(type_)
        if name is not None:
            self.enums[name] = list(type_.enums)
            if getattr(impl(type_), "schema", None):
                self.enum_schemas[name] = str(impl(type_).schema)

    def _state(self, column: Any) -> ColumnState:
        self._note_enum(column.type)
        return ColumnState(column.type, column.nullable, column.server_default)


_REPLAY: Dispatch[HistoryModel] = Dispatch("history model")
"""How each operation changes the history model; an operation not registered changes nothing."""


@_REPLAY.handles("CreateTableOp")
def _create_table(model: HistoryModel, step: Step) -> None:
    import sqlalchemy as sa

    op = step.op
    model.tables[op.table_name] = {
        c.name: model._state(c) for c in op.columns if isinstance(c, sa.Column)
    }
    if op.schema:
        model.schemas.add(str(op.schema))


@_REPLAY.handles("DropTableOp")
def _drop_table(model: HistoryModel, step: Step) -> None:
    model.tables.pop(step.op.table_name, None)


@_REPLAY.handles("RenameTableOp")
def _rename_table(model: HistoryModel, step: Step) -> None:
    op = step.op
    if op.table_name in model.tables:
        model.tables[op.new_table_name] = model.tables.pop(op.table_name)


@_REPLAY.handles("AddColumnOp")
def _add_column(model: HistoryModel, step: Step) -> None:
    if step.table is not None:
        column = step.op.column
        model.tables.setdefault(step.table, {})[column.name] = model._state(column)


@_REPLAY.handles("DropColumnOp")
def _drop_column(model: HistoryModel, step: Step) -> None:
    if step.table is not None:
        model.tables.get(step.table, {}).pop(step.op.column_name, None)


@_REPLAY.handles("AlterColumnOp")
def _alter_column(model: HistoryModel, step: Step) -> None:
    op = step.op
    if step.table is None:
        return
    columns = model.tables.setdefault(step.table, {})
    state = columns.get(op.column_name) or ColumnState(
        op.existing_type, op.existing_nullable, op.existing_server_default
    )
    if op.modify_type is not None:
        state.type = op.modify_type
        model._note_enum(op.modify_type)
    if op.modify_nullable is not None:
        state.nullable = op.modify_nullable
    if op.modify_server_default is not False:
        state.server_default = op.modify_server_default
    name = op.modify_name or op.column_name
    columns.pop(op.column_name, None)
    columns[name] = state


@_REPLAY.handles("CreateEnumTypeOp")
def _create_enum(model: HistoryModel, step: Step) -> None:
    model.enums[step.op.name] = list(step.op.values)
    if step.op.schema:
        model.enum_schemas[step.op.name] = str(step.op.schema)


@_REPLAY.handles("CreateSchemaOp")
def _create_schema(model: HistoryModel, step: Step) -> None:
    model.schemas.add(str(step.op.schema))


@_REPLAY.handles("DropSchemaOp")
def _drop_schema(model: HistoryModel, step: Step) -> None:
    model.schemas.discard(str(step.op.schema))


@_REPLAY.handles("SyncEnumValuesOp")
def _sync_enum(model: HistoryModel, step: Step) -> None:
    op = step.op
    model.enums[op.name] = list(op.values)
    # The columns typed with the enum hold the new members from now on.
    for table_name, column in model.enum_users(op.name):
        state = model.tables[table_name][column]
        state.type = _with_members(state.type, op.values)


@_REPLAY.handles("DropEnumTypeOp")
def _drop_enum(model: HistoryModel, step: Step) -> None:
    model.enums.pop(step.op.name, None)


@_REPLAY.handles("AddEnumValueOp")
def _add_enum_value(model: HistoryModel, step: Step) -> None:
    op = step.op
    users = model.enum_users(op.name)
    current = model.enums.get(op.name)
    if current is None and users:
        state = model.tables[users[0][0]][users[0][1]]
        current = list(impl(state.type).enums)
    values = op.members(current or [])
    model.enums[op.name] = values
    for table_name, column in users:
        state = model.tables[table_name][column]
        state.type = _with_members(state.type, values)


@_REPLAY.handles("RenameEnumTypeOp")
def _rename_enum(model: HistoryModel, step: Step) -> None:
    op = step.op
    users = model.enum_users(op.name)
    if op.name in model.enums:
        model.enums[op.new_name] = model.enums.pop(op.name)
    # The columns keep their type under its new name (PostgreSQL follows the type, not the name).
    for table_name, column in users:
        state = model.tables[table_name][column]
        state.type = _with_members(state.type, list(impl(state.type).enums), name=op.new_name)


# --- types and operations, as every capability reads them --------------------------------


def impl(type_: Any) -> Any:
    """The type a ``TypeDecorator`` stores (any other type as it is)."""
    return getattr(type_, "impl_instance", type_)


def type_ddl(type_: TypeEngine[Any] | None) -> str | None:
    """The DDL a type compiles to on PostgreSQL, the normal form used to compare types.

    Two types that PostgreSQL would write the same way are the same type here;
    an enum compiles to its name, so changes to its members are left to
    ``sync_enum_values``.
    """
    if type_ is None:
        return None
    from sqlalchemy.dialects import postgresql

    try:
        return str(type_.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    except Exception:  # a user type may fail to compile in any way; its repr tells types apart
        return repr(type_)


def leaves(ops: Iterable[Any], table: str | None = None) -> Iterator[tuple[Any, str | None]]:
    """Every operation of an autogenerate directive list, ``ModifyTableOps`` opened, with its
    table."""
    from alembic.operations import ops as alembic_ops

    for op in ops:
        if isinstance(op, alembic_ops.ModifyTableOps):
            yield from leaves(op.ops, op.table_name)
        else:
            yield op, table or getattr(op, "table_name", None)


def _with_members(type_: Any, values: Sequence[str], name: str | None = None) -> Any:
    """A copy of enum type ``type_`` with ``values`` as its members (and ``name``, if given)."""
    import sqlalchemy as sa

    old = impl(type_)
    return sa.Enum(
        *values,
        name=name or old.name,
        schema=old.schema,
        native_enum=old.native_enum,
        create_constraint=old.create_constraint,
    )


def enum_name(type_: Any) -> str | None:
    """The name of a named enum type (``None`` for anything else)."""
    import sqlalchemy as sa

    type_ = impl(type_)
    if isinstance(type_, sa.Enum) and type_.name:
        return str(type_.name)
    return None


# --- a history that cannot be read ------------------------------------------------------


def check_history(scripts: ScriptDirectory, root: Path) -> None:
    """Load every revision of ``scripts``; a ``RevisionError`` naming a broken file and line.

    A syntax error, a truncated file (no ``upgrade()`` or ``downgrade()``), a
    ``down_revision`` that names no revision, or an exception raised while the
    file is imported: each is the user's file to fix, never a workbench bug.
    """
    import warnings

    from alembic.util import CommandError

    versions = [Path(p) for p in scripts.version_locations] or [Path(scripts.versions)]

    def rel(path: Path | str) -> str:
        try:
            return Path(path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return str(path)

    fix = "Fix the file (or restore it from version control), then run the command again."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            revisions = list(scripts.walk_revisions())
    except UserCodeError:
        raise
    except SyntaxError as exc:
        where = f"{rel(exc.filename or '?')}:{exc.lineno or '?'}"
        raise RevisionError(
            f"{where}: the revision file has a syntax error ({exc.msg}).", hint=fix
        ) from None
    except (KeyError, CommandError) as exc:
        missing = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else None
        if missing is None:
            hit = re.search(r"Revision (\S+) referenced from", str(exc))
            missing = hit.group(1) if hit else None
        line = _down_revision_line(versions, missing, rel) if missing else None
        text = " ".join(str(exc).split())
        raise RevisionError(
            f"{line + ': ' if line else ''}the history cannot be read: "
            + (
                f"down_revision {missing!r} names no revision of this history."
                if missing and line
                else f"{text}."
            ),
            hint="Point down_revision at an existing revision (see `workbench history`), "
            "or restore the missing revision file.",
        ) from None
    except Exception as exc:
        frame = _innermost_in(exc, versions)
        where = f"{rel(frame[0])}:{frame[1]}: " if frame else ""
        raise RevisionError(
            f"{where}importing the revision file raised {type(exc).__name__}: "
            f"{' '.join(str(exc).split())}.",
            hint=fix,
        ) from None
    for script in revisions:
        module = script.module
        lacks = [n for n in ("upgrade", "downgrade") if not callable(getattr(module, n, None))]
        if lacks:
            named = " and no ".join(f"{n}()" for n in lacks)
            raise RevisionError(
                f"{rel(script.path)}: the revision file has no {named} (is it truncated?).",
                hint=fix,
            )


def _down_revision_line(versions: list[Path], missing: str, rel: Any) -> str | None:
    for folder in versions:
        for path in sorted(folder.glob("*.py")):
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for number, line in enumerate(lines, 1):
                if missing in line and "down_revision" in line:
                    return f"{rel(path)}:{number}"
    return None


def _innermost_in(exc: BaseException, folders: list[Path]) -> tuple[str, int] | None:
    import traceback

    found = None
    resolved = [f.resolve() for f in folders]
    for frame, line in traceback.walk_tb(exc.__traceback__):
        path = Path(frame.f_code.co_filename)
        if any(path.resolve().parent == f for f in resolved):
            found = (str(path), line)
    return found
