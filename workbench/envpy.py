"""The body of every ``migrations/<schema>/env.py`` that workbench writes.

``env.py`` is one call, ``run_migrations(schema="blog")``, so that workbench
and plain Alembic run revisions the same careful way:

* a connection passed in ``config.attributes["connection"]`` is used and no
  other is ever opened (an ``env.py`` that ignores it lets a test run migrate
  the developer's own database);
* each revision runs in one real transaction, on SQLite too, so a revision that
  fails halfway leaves the database exactly at the previous revision;
* a lock (PostgreSQL advisory lock, or an OS file lock for SQLite) serialises
  two upgrades of the same database;
* on SQLite, foreign keys are off while revisions run (batch mode recreates
  tables, and dropping the old copy would cascade into child rows) and
  ``PRAGMA foreign_key_check`` must come back empty before each commit;
* autogenerate uses batch mode, exact types, self-contained rendering and enum
  type lifecycle operations (see :mod:`workbench.autogen`).
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import db, pgschemas
from workbench.compat import readable_computed_defaults
from workbench.config import VERSION_TABLE, Config, discover
from workbench.errors import MigrationFailed, WorkbenchError
from workbench.loader import Schema, add_sys_path, load_schema
from workbench.results import Step
from workbench.revisions import HistoryModel

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import Connection

    from workbench.autogen import ProcessHook


@dataclass
class RunContext:
    """What workbench hands to ``env.py`` through ``config.attributes["workbench"]``."""

    schema: Schema | None = None
    """The models, needed only when autogenerating."""
    history: HistoryModel | None = None
    on_step: Callable[[Step], None] | None = None
    extra_hook: ProcessHook | None = None
    """Runs after workbench's own ``process_revision_directives`` work."""
    steps: list[Step] = field(default_factory=list)
    locked: bool = False
    """The caller already holds the migration lock (workbench's own upgrade and downgrade)."""


def run_migrations(
    schema: str | None = None, *, version_table: str | None = None, **configure: Any
) -> None:
    """Run Alembic's migrations for ``schema``; call this from ``env.py``.

    Workbench itself never runs a history's own ``env.py``: it runs this
    function in its place (see :func:`workbench.config.own_env_directory`),
    with the connection it was given, the schema's models as
    ``target_metadata`` and its version table.

    Args:
        schema: the schema's name; defaults to the one workbench passes, else
            the script directory's name.
        version_table: where Alembic records the revision; defaults to the
            schema's configured one (``alembic_version``).
        **configure: extra keyword arguments for ``context.configure()``.
    """
    from alembic import context

    import workbench.pgschemaops  # noqa: F401  (registers op.create_schema, op.drop_schema)

    config = context.config
    location = Path(str(config.get_main_option("script_location")))
    name = schema or config.attributes.get("workbench.schema_name") or location.name
    driven = config.attributes.get("workbench")
    run: RunContext = driven if driven is not None else RunContext()
    if driven is None and config.config_file_name and not config.attributes.get("connection"):
        _plain_alembic_logging(config)
    project = config.attributes.get("workbench.project") or _project_of(location)
    if project is not None:
        # Revisions may import the project's own modules (a custom column type).
        add_sys_path(project.script_location(name).sys_path)
        if version_table is None:
            version_table = project.version_table(name)
    options = _options(context, name, run, project, version_table, plain=driven is None)
    if _autogenerating(config):
        options.update(_autogenerate_options(run, project, name, location))
    if project is not None and project.spec(name).version_table_schema:
        options["version_table_schema"] = project.spec(name).version_table_schema
    options.update(pgschemas.autogenerate_options(options.get("target_metadata"), _made(run)))
    options.update(configure)
    if context.is_offline_mode():
        context.configure(
            url=_url(config, name, project),
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    _run_connected(context, config, name, run, project, options)


def _options(
    context: Any,
    name: str,
    run: RunContext,
    project: Config | None,
    version_table: str | None,
    *,
    plain: bool,
) -> dict[str, Any]:
    """The ``context.configure`` options every run gets: one transaction per revision."""
    options: dict[str, Any] = {
        "version_table": version_table or VERSION_TABLE,
        "transactional_ddl": True,
        "transaction_per_migration": True,
        "render_as_batch": True,
        "include_object": _include_object,
        "render_item": _render_item,
        "compare_server_default": True,
    }
    if plain and project is not None and not context.is_offline_mode():
        # Plain `alembic check`, pytest-alembic: every autogenerate comparison
        # needs the models, whichever command asks for it.
        options["target_metadata"] = load_schema(project, name).metadata
    return options


def _autogenerate_options(
    run: RunContext, project: Config | None, name: str, location: Path
) -> dict[str, Any]:
    """The models, the history's types and workbench's directives, for autogenerate."""
    from workbench.autogen import compare_server_default, compare_type

    if run.schema is None:
        if project is None:
            raise WorkbenchError(
                f"cannot find the workbench project of {location}, so not its models.",
                hint="Run from inside the project, or use `workbench generate`.",
            )
        run.schema = load_schema(project, name)
    if run.history is None:
        run.history = HistoryModel.of(project, name) if project is not None else HistoryModel()
    return {
        "target_metadata": run.schema.metadata,
        "compare_type": compare_type(run.history),
        "compare_server_default": _computed_left_to_alembic(compare_server_default(run.history)),
        "process_revision_directives": _directives(run),
    }


def _run_connected(
    context: Any,
    config: AlembicConfig,
    name: str,
    run: RunContext,
    project: Config | None,
    options: dict[str, Any],
) -> None:
    """Online: on the connection given (or one of the engine given), else on the target's own."""
    given: Any = config.attributes.get("connection")
    if given is not None and not hasattr(given, "in_transaction"):
        # An Engine, as pytest-alembic hands one: use one connection of it, and no other.
        with given.connect() as conn:
            _run_online(context, conn, name, run, options)
        return
    if given is not None:
        _run_online(context, given, name, run, options)
        return
    url = _url(config, name, project)
    path = db.sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    with db.connect(url, migrating=True) as conn:
        _run_online(context, conn, name, run, options)


def _computed_left_to_alembic(compare: Callable[..., bool | None]) -> Callable[..., bool | None]:
    """``compare``, except for computed columns, which Alembic's own comparator judges."""
    import sqlalchemy as sa

    def _compare(
        context: MigrationContext, inspected: Any, metadata: Any, *rest: Any
    ) -> bool | None:
        if isinstance(inspected.server_default, sa.Computed) or isinstance(
            metadata.server_default, sa.Computed
        ):
            return None
        return compare(context, inspected, metadata, *rest)

    return _compare


def _made(run: RunContext) -> set[str]:
    """The named schemas the history creates (compared too, so their removal is seen)."""
    return run.history.schemas if run.history is not None else set()


def _autogenerating(config: AlembicConfig) -> bool:
    if config.attributes.get("workbench.autogenerate"):
        return True
    return bool(getattr(config.cmd_opts, "autogenerate", False))


def _include_object(*args: Any, **kwargs: Any) -> bool:
    """:func:`workbench.autogen.include_object`, imported only when autogenerate asks."""
    from workbench.autogen import include_object

    return include_object(*args, **kwargs)


def _render_item(*args: Any, **kwargs: Any) -> Any:
    """:func:`workbench.autogen.render_item`, imported only when autogenerate renders."""
    from workbench.autogen import render_item

    return render_item(*args, **kwargs)


def _directives(run: RunContext) -> ProcessHook:
    from workbench.autogen import post_process

    assert run.schema is not None and run.history is not None
    ours = post_process(run.schema.metadata, run.history)

    def hook(context: MigrationContext, revision: Any, directives: list[Any]) -> None:
        ours(context, revision, directives)
        if run.extra_hook is not None:
            run.extra_hook(context, revision, directives)

    return hook


def _project_of(location: Path) -> Config | None:
    try:
        return discover(location)
    except WorkbenchError:
        return None


def _url(config: AlembicConfig, schema: str, project: Config | None) -> str:
    """Target for plain Alembic: ``-x url=``, alembic.ini, then workbench's own resolution."""
    xargs = _x_args(config)
    if xargs.get("url"):
        return xargs["url"]
    configured = config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    if project is None:
        raise WorkbenchError(
            "no database URL: alembic.ini has no sqlalchemy.url and no workbench project "
            "was found to take one from.",
            hint="Pass -x url=..., set sqlalchemy.url, or run inside the project.",
        )
    return project.resolve_url(schema)


def _x_args(config: AlembicConfig) -> dict[str, str]:
    pairs = getattr(config.cmd_opts, "x", None) or []
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def _plain_alembic_logging(config: AlembicConfig) -> None:
    import logging.config

    assert config.config_file_name is not None
    with contextlib.suppress(KeyError, ValueError):
        logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _run_online(
    context: Any, conn: Connection, schema: str, run: RunContext, options: dict[str, Any]
) -> None:
    external = conn.in_transaction()
    callbacks = list(options.pop("on_version_apply", []) or [])
    started = [time.perf_counter()]

    def on_apply(ctx: MigrationContext, step: Any, heads: set[str], run_args: Any) -> None:
        if ctx.dialect.name == "sqlite":
            _foreign_key_check(ctx, step)
        now = time.perf_counter()
        done = Step(
            revision=str(step.up_revision_id),
            message=str(step.up_revision.doc or "").strip() if step.up_revision else "",
            direction="up" if step.is_upgrade else "down",
            seconds=now - started[0],
        )
        started[0] = now
        run.steps.append(done)
        if run.on_step is not None:
            run.on_step(done)

    held = external or run.locked
    lock = contextlib.nullcontext() if held else db.migration_lock(conn, schema)
    with lock, _sqlite_guard(conn, external):
        pgschemas.ensure_schema(conn, options.get("version_table_schema"), commit=not external)
        context.configure(connection=conn, on_version_apply=[on_apply, *callbacks], **options)
        try:
            with readable_computed_defaults(), context.begin_transaction():
                context.run_migrations()
        except WorkbenchError:
            raise
        except Exception as exc:
            if not _from_revision(exc):
                # Not a revision failing: a hook's own signal (pytest-alembic ends an
                # autogenerate run with an exception on purpose) or a bug; as it is.
                raise
            raise _failure(exc) from exc
        finally:
            if not external and conn.in_transaction():
                conn.rollback()


@contextlib.contextmanager
def _sqlite_guard(conn: Connection, external: bool) -> Iterator[None]:
    """Foreign keys off and real transactions, for the duration of a SQLite run."""
    if conn.dialect.name != "sqlite" or external:
        yield
        return
    from sqlalchemy import event

    raw: Any = conn.connection.driver_connection
    previous_isolation = raw.isolation_level
    listener = None
    if previous_isolation is not None:
        # A connection from a plain engine: pysqlite would commit before every
        # DDL statement. Switch to explicit BEGIN for this run.
        raw.isolation_level = None

        def listener(c: Connection) -> None:
            c.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(conn, "begin", listener)
    try:
        with sqlite_foreign_keys_off(conn):
            yield
    finally:
        if listener is not None:
            event.remove(conn, "begin", listener)
            raw.isolation_level = previous_isolation


@contextlib.contextmanager
def sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite foreign keys off while revisions run, then back as they were.

    Batch mode recreates tables, and dropping the old copy would cascade into
    child rows. A transaction still open at the end is rolled back first.
    """
    raw: Any = conn.connection.driver_connection
    was_on = raw.execute("PRAGMA foreign_keys").fetchone()[0]
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        raw.execute(f"PRAGMA foreign_keys={'ON' if was_on else 'OFF'}")


def _foreign_key_check(ctx: MigrationContext, step: Any) -> None:
    assert ctx.connection is not None
    rows = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if not rows:
        return
    table, rowid, parent, _ = rows[0]
    revision = step.up_revision_id  # the revision applied or, going down, undone
    raise MigrationFailed(
        f"revision {revision} would leave {len(rows)} row(s) whose foreign keys point nowhere "
        f"(first: {table} row {rowid} refers to a missing {parent} row); "
        "its transaction was rolled back.",
        revision=revision,
        hint="Delete or fix the orphaned rows in the revision before the change that breaks them.",
    )


def _revision_frame(exc: BaseException) -> tuple[Path, int, str | None] | None:
    """The deepest frame of ``exc``'s traceback in a revision file: file, line, revision id."""
    found = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        path = Path(frame.f_code.co_filename)
        names = frame.f_globals
        # A revision module, wherever its version location is (an adopted history's may
        # be called anything): Alembic's module-level revision identifiers.
        if path.parent.name == "versions" or ("revision" in names and "down_revision" in names):
            found = (path, line, str(names.get("revision", "")) or None)
    return found


def _from_revision(exc: Exception) -> bool:
    """Whether ``exc`` comes from running a revision: raised in its file, or by the database."""
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError) or _revision_frame(exc) is not None


def _failure(exc: Exception) -> MigrationFailed:
    """Name the revision file and line where ``exc`` was raised, and what it said."""
    frame = _revision_frame(exc)
    where = (
        f"{frame[0].parent.parent.name}/{frame[0].parent.name}/{frame[0].name}:{frame[1]}"
        if frame
        else None
    )
    revision = frame[2] if frame else None
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if len(reason) > 400:
        reason = reason[:400] + "..."
    head = f"revision {revision} failed" if revision else "a revision failed"
    at = f" at {where}" if where else ""
    return MigrationFailed(f"{head}{at}: {type(exc).__name__}: {reason}", revision=revision)
