"""Generate revisions from the models and apply them up and down, Alembic in-process.

Every verb takes a :class:`~workbench.config.Config` first and returns a typed
result from :mod:`workbench.results`; nothing here prints. ``generate`` works on
a scratch database only; ``upgrade`` and ``downgrade`` run each revision in one
transaction under a lock (see :mod:`workbench.envpy`).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench import compat, db
from workbench.autogen import describe_all, is_empty, post_process
from workbench.config import VERSION_TABLE, Config
from workbench.envpy import RunContext
from workbench.errors import (
    DatabaseError,
    MigrationFailed,
    Refused,
    RevisionError,
    WorkbenchError,
)
from workbench.files import write_atomic
from workbench.loader import load_schema
from workbench.results import (
    CurrentResult,
    DestructiveChange,
    Direction,
    GenerateResult,
    MigrateResult,
    Revision,
    SchemaSummary,
    Step,
)
from workbench.revisions import (
    HistoryModel,
    alembic_config,
    capture,
    has_history,
    list_revisions,
    script_directory,
    single_head,
)
from workbench.safety import AskBackfill, AskRename, destructive_changes, generation_hook

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection

    from workbench.autogen import ProcessHook

OnStep = Callable[[Step], None]
Confirm = Callable[[Sequence[DestructiveChange]], bool]
"""Asked, before anything runs, whether to destroy the data listed; ``True`` goes ahead."""


# --- the script directory ----------------------------------------------------------------


def ensure_environment(cfg: Config, schema: str) -> list[Path]:
    """Write ``migrations/<schema>/`` (env.py, script.py.mako, alembic.ini, versions/) if missing.

    Returns:
        The files and folders created; existing ones are never overwritten.
    """
    if cfg.script_location(schema).adopted:
        return []  # an adopted history is the user's: workbench writes only revisions there
    location = cfg.migrations_path(schema)
    rel = cfg.rel(location)
    created: list[Path] = []
    if not location.exists():
        # Created whole: removing the folder undoes everything on failure.
        location.mkdir(parents=True)
        created.append(location)
    templates = resources.files("workbench") / "templates"
    wanted = {
        "env.py": "env.py.tmpl",
        "script.py.mako": "script.py.mako",
        "alembic.ini": "alembic.ini.tmpl",
    }
    for target, source in wanted.items():
        path = location / target
        if path.exists():
            continue
        text = (templates / source).read_text(encoding="utf-8")
        if source.endswith(".tmpl"):
            text = string.Template(text).substitute(schema=schema, location=rel)
        write_atomic(path, text)
        created.append(path)
    versions = location / "versions"
    if not versions.exists():
        versions.mkdir(parents=True)
        created.append(versions)
    return created


def _remove(paths: list[Path]) -> None:
    for path in reversed(paths):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


# --- generate ----------------------------------------------------------------------------


def generate(
    cfg: Config,
    schema: str,
    message: str,
    *,
    empty: bool = False,
    hook: ProcessHook | None = None,
    renames: Mapping[str, str] | None = None,
    backfills: Mapping[str, str] | None = None,
    ask_rename: AskRename | None = None,
    ask_backfill: AskBackfill | None = None,
    against: Sequence[str] | None = None,
) -> GenerateResult:
    """Write the next revision of ``schema`` from the difference between its models and history.

    A scratch database is brought to head and compared with the models (SQLite
    when the schema supports it, else PostgreSQL); the user's target is never
    touched. With no difference nothing is written and the result's ``path``
    is ``None``. Before this returns, the new revision is proven (upgrade,
    downgrade, upgrade) on a scratch database of every backend in ``against``
    that the schema supports; if it fails on one, the file is removed and the
    error names the backend and the operation.

    Args:
        cfg: the project.
        schema: the schema's name.
        message: the revision's message (its docstring and file-name slug).
        empty: write an empty revision for hand-written work, without comparing.
        hook: an extra ``process_revision_directives`` step; it runs after
            workbench's own (rename intent and backfills included).
        renames: rename intent, ``{"users.full_name": "display_name"}`` for a
            column and ``{"users": "people"}`` for a table: the drop + add
            becomes a rename in place, both ways (see :mod:`workbench.safety`).
            A model's ``info={"renamed_from": "OLD"}`` says the same.
        backfills: ``{"users.bio": "''"}``: the SQL value existing rows get
            when a NOT NULL column is added (add nullable, UPDATE, set NOT NULL).
        ask_rename: asked about each drop + add that looks like a rename.
        ask_backfill: asked for a value when a NOT NULL column has none.
        against: ``sqlite`` and/or PostgreSQL server URLs to prove the revision
            on; default :func:`proving_targets` (SQLite, and PostgreSQL from
            ``$WORKBENCH_POSTGRES_URL`` or, for a PostgreSQL-only schema, a
            local or throwaway server).

    Example:
        >>> generate(Config.at("."), "blog", "add bio to users")  # doctest: +SKIP
    """
    from alembic import command

    if not message.strip():
        raise WorkbenchError(
            "a revision needs a message.", hint="Say what it does: -m 'add bio to users'."
        )
    if empty and (renames or backfills):
        raise WorkbenchError(
            "--rename and --backfill rewrite a compared change; an --empty revision has none.",
            hint="Drop --empty, or write the rename or backfill by hand in the empty revision.",
        )
    models = load_schema(cfg, schema)
    created = ensure_environment(cfg, schema)
    try:
        single_head(cfg, schema)
        if empty:
            ac = alembic_config(cfg, schema)
            with _alembic_errors(cfg, schema):
                written = command.revision(ac, message=message)
            script = _one(written)
            return GenerateResult(schema, script.revision, Path(script.path), ())
        with contextlib.ExitStack() as stack:
            targets, skipped = proving_targets(cfg, schema, against, stack)
            return _generate_on(
                cfg,
                schema,
                message,
                models,
                targets,
                skipped,
                created,
                hook=hook,
                renames=renames,
                backfills=backfills,
                ask_rename=ask_rename,
                ask_backfill=ask_backfill,
            )
    except BaseException:
        _remove(created)
        raise


def _generate_on(
    cfg: Config,
    schema: str,
    message: str,
    models: Any,
    targets: list[tuple[str, str]],
    skipped: tuple[str, ...],
    created: list[Path],
    *,
    hook: ProcessHook | None,
    renames: Mapping[str, str] | None,
    backfills: Mapping[str, str] | None,
    ask_rename: AskRename | None,
    ask_backfill: AskBackfill | None,
) -> GenerateResult:
    """Compare on the first of ``targets``, write the revision, prove it on every target."""
    from alembic import command

    history = HistoryModel.of(cfg, schema)
    run = RunContext(schema=models, history=history)
    wrote: list[str] = []
    notes: list[str] = []
    safe = generation_hook(
        models.metadata,
        history,
        refine=post_process(models.metadata, history),
        renames=renames,
        backfills=backfills,
        ask_rename=ask_rename,
        ask_backfill=ask_backfill,
        notes=notes,
    )

    def no_changes(context: Any, revision: Any, directives: list[Any]) -> None:
        safe(context, revision, directives)
        if hook is not None:
            hook(context, revision, directives)
        if directives and is_empty(directives[0]):
            directives[:] = []
        elif directives:
            wrote.extend(describe_all(directives[0].upgrade_ops.ops))

    run.extra_hook = no_changes
    backend, source = targets[0]
    previous = single_head(cfg, schema)
    with db.scratch(source) as url, db.connect(url, migrating=True) as conn:
        ac = alembic_config(
            cfg,
            schema,
            attributes={
                "connection": conn,
                "workbench": run,
                "workbench.autogenerate": True,
            },
        )
        _replay(cfg, schema, ac, backend, previous)
        with _alembic_errors(cfg, schema):
            written = command.revision(ac, message=message, autogenerate=True)
        if not written or (isinstance(written, list) and not any(written)):
            _remove(created)
            return GenerateResult(schema, None, None, (), backends=())
        script = _one(written)
        _verify(cfg, schema, script, ac, backend)
    try:
        for other_backend, other in targets[1:]:
            with db.scratch(other) as url, db.connect(url, migrating=True) as conn:
                ac = alembic_config(
                    cfg, schema, attributes={"connection": conn, "workbench": RunContext()}
                )
                _replay(cfg, schema, ac, other_backend, previous)
                _verify(cfg, schema, script, ac, other_backend)
    except BaseException:
        Path(script.path).unlink(missing_ok=True)
        raise
    return GenerateResult(
        schema,
        script.revision,
        Path(script.path),
        tuple(wrote),
        tuple(notes),
        backends=tuple(b for b, _ in targets),
        unproved=skipped,
    )


BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def proving_targets(
    cfg: Config, schema: str, against: Sequence[str] | None, stack: contextlib.ExitStack
) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """Where ``generate`` compares and proves: ``(backend, sqlite or server URL)``, SQLite first.

    Only backends the schema supports are used. Without ``against``: SQLite,
    plus PostgreSQL from ``$WORKBENCH_POSTGRES_URL``; a PostgreSQL-only schema
    without it gets a server from :func:`workbench.pgserver.provision` (a
    local server that accepts a login, else a throwaway cluster, stopped when
    ``stack`` closes). Also returns the supported backends left unproved (with
    the reason).
    """
    import os

    from workbench import pgserver

    supported = cfg.backends(schema)
    given = list(against) if against else []
    if not given:
        given = ["sqlite"]
        if os.environ.get("WORKBENCH_POSTGRES_URL"):
            given.append(os.environ["WORKBENCH_POSTGRES_URL"])
    targets: list[tuple[str, str]] = []
    for source in given:
        backend = "sqlite" if source == "sqlite" else db.backend(source)
        if backend not in BACKEND_NAMES:
            raise WorkbenchError(
                f"--against {db.redact(source)}: generate proves revisions on `sqlite` or a "
                "PostgreSQL server URL.",
                hint="For example --against sqlite --against postgresql://postgres@localhost/postgres.",
            )
        if backend in supported and backend not in {b for b, _ in targets}:
            targets.append((backend, source))
    if "postgresql" in supported and "sqlite" not in supported and not targets and not against:
        try:
            targets.append(("postgresql", stack.enter_context(pgserver.provision())))
        except DatabaseError as exc:
            raise WorkbenchError(
                f"schema {schema!r} supports PostgreSQL only, and no PostgreSQL server was "
                f"found to replay its history on ({exc.message}).",
                hint="Pass --against postgresql://USER@HOST/postgres (scratch databases are made "
                "and dropped there) or set $WORKBENCH_POSTGRES_URL.",
            ) from None
    if not targets:
        names = ", ".join(BACKEND_NAMES[b] for b in supported)
        raise WorkbenchError(
            f"schema {schema!r} supports {names} only; none of --against is one of them.",
            hint="Pass --against for a backend the schema supports.",
        )
    targets.sort(key=lambda t: t[0] != "sqlite")
    proved = {b for b, _ in targets}
    skipped = tuple(
        f"{BACKEND_NAMES[b]}: no server given ($WORKBENCH_POSTGRES_URL or --against URL)"
        for b in supported
        if b not in proved
    )
    return targets, skipped


def _replay(cfg: Config, schema: str, ac: Any, backend: str, previous: str | None) -> None:
    """Bring a scratch database to the history's head; an error naming the backend if it fails."""
    from alembic import command

    if previous is None:
        return
    try:
        with _alembic_errors(cfg, schema):
            command.upgrade(ac, previous)
    except WorkbenchError as exc:
        raise WorkbenchError(
            f"the history of {schema!r} does not apply to a scratch {BACKEND_NAMES[backend]} "
            f"database, so no revision can be generated on it: {exc.text}",
            hint="Fix the failing revision (workbench check names it), or leave this backend "
            "out with --against.",
        ) from exc


def _one(written: Any) -> Any:
    if isinstance(written, list):
        written = [w for w in written if w is not None]
        return written[0]
    return written


def _verify(cfg: Config, schema: str, script: Any, ac: Any, backend: str) -> None:
    """Read the new revision and prove it up, down and up again; remove it if it fails."""
    from alembic import command

    path = Path(script.path)
    fresh = script_directory(cfg, schema).get_revision(script.revision)
    assert fresh is not None
    problems = [
        c.error for c in (capture(fresh, "upgrade"), capture(fresh, "downgrade")) if c.error
    ]
    operation = "reading it"
    try:
        if problems:
            raise WorkbenchError(problems[0])
        with _alembic_errors(cfg, schema):
            operation = "upgrade"
            command.upgrade(ac, script.revision)
            operation = "downgrade"
            command.downgrade(ac, "-1")
            operation = "upgrade after its downgrade"
            command.upgrade(ac, script.revision)
    except Exception as exc:
        path.unlink(missing_ok=True)
        text = exc.text if isinstance(exc, WorkbenchError) else f"{type(exc).__name__}: {exc}"
        raise WorkbenchError(
            f"the revision generated for {schema!r} fails on {BACKEND_NAMES[backend]} "
            f"({operation} on a scratch database): {text}; it was not kept.",
            hint="Write this change by hand: `workbench generate "
            f"{schema} --empty -m '...'`, and please report the models that caused it.",
        ) from exc


# --- apply -------------------------------------------------------------------------------


def upgrade(
    cfg: Config,
    schema: str,
    revision: str = "head",
    *,
    url: str | None = None,
    sql: bool = False,
    on_step: OnStep | None = None,
    yes: bool = False,
    confirm: Confirm | None = None,
) -> MigrateResult:
    """Apply revisions up to ``revision`` (head by default), one transaction each.

    With ``sql``, render the SQL instead of running it, starting from the
    target's current revision when the target exists (else from base).

    Before anything runs, what the revisions would destroy in the target is
    counted (dropped tables' rows, dropped columns' values, narrowed values;
    see :func:`workbench.safety.destructive_changes`). If anything, ``confirm``
    is asked; without ``yes`` or a ``True`` answer, :class:`Refused` is raised
    and nothing runs. ``sql`` never needs it; scratch databases pass ``yes``.

    Example:
        >>> upgrade(Config.at("."), "blog")  # doctest: +SKIP
    """
    return _apply(
        cfg, schema, revision, url=url, sql=sql, on_step=on_step, up=True, yes=yes, confirm=confirm
    )


def downgrade(
    cfg: Config,
    schema: str,
    revision: str = "-1",
    *,
    url: str | None = None,
    sql: bool = False,
    on_step: OnStep | None = None,
    yes: bool = False,
    confirm: Confirm | None = None,
) -> MigrateResult:
    """Undo revisions down to ``revision``: one step by default, ``base`` for all.

    The destructive-apply guard applies as in :func:`upgrade` (``yes``, ``confirm``).

    Example:
        >>> downgrade(Config.at("."), "blog", "base", yes=True)  # doctest: +SKIP
    """
    return _apply(
        cfg, schema, revision, url=url, sql=sql, on_step=on_step, up=False, yes=yes, confirm=confirm
    )


def _apply(
    cfg: Config,
    schema: str,
    revision: str,
    *,
    url: str | None,
    sql: bool,
    on_step: OnStep | None,
    up: bool,
    yes: bool = False,
    confirm: Confirm | None = None,
) -> MigrateResult:
    from alembic import command

    target = cfg.resolve_url(schema, url)
    shown = db.redact(target)
    scripts = script_directory(cfg, schema)
    if up and revision in ("head", "heads"):
        single_head(cfg, schema, scripts)
    direction: Direction = "up" if up else "down"
    if sql:
        return _render_sql(cfg, schema, scripts, target, revision, up=up)
    path = db.sqlite_path(target)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    run = RunContext(on_step=on_step)
    with db.connect(target, migrating=True) as conn:
        before = _current(conn, scripts, schema, shown, cfg.version_table(schema))
        if not up and revision.startswith("-") and before is None:
            return MigrateResult(schema, shown, "down", None, None, ())
        _check_revision(scripts, schema, revision)
        if not yes:
            _guard(conn, scripts, before, revision, up=up, shown=shown, confirm=confirm)
        conn.commit()
        ac = alembic_config(cfg, schema, attributes={"connection": conn, "workbench": run})
        try:
            with _alembic_errors(cfg, schema):
                if up:
                    command.upgrade(ac, revision)
                else:
                    command.downgrade(ac, revision)
        except MigrationFailed as exc:
            now = _current(conn, scripts, schema, shown, cfg.version_table(schema))
            raise MigrationFailed(
                f"{exc.message}. Its transaction was rolled back: {shown} is at revision "
                f"{now or 'base (empty)'}, with every earlier revision applied and nothing of "
                "the failed one.",
                revision=exc.revision,
                hint=exc.hint or "Fix the revision, then run the command again.",
            ) from exc
        after = _current(conn, scripts, schema, shown, cfg.version_table(schema))
    return MigrateResult(schema, shown, direction, before, after, tuple(run.steps))


def _guard(
    conn: Connection,
    scripts: ScriptDirectory,
    before: str | None,
    revision: str,
    *,
    up: bool,
    shown: str,
    confirm: Confirm | None,
) -> None:
    """Refuse to run revisions that would destroy data, unless ``confirm`` says yes."""
    steps = _steps(scripts, before, revision, up=up)
    # A target without tables has nothing to lose: skip dry-running every pending
    # revision (for one 200-table revision, 0.25 s on top of 0.85 s to apply it).
    changes = destructive_changes(conn, steps)
    if conn.in_transaction():
        conn.rollback()
    if not changes or (confirm is not None and confirm(changes)):
        return
    verb = "upgrade" if up else "downgrade"
    lost = "; ".join(f"revision {c.revision} {c.description}" for c in changes)
    raise Refused(
        f"{verb} would destroy data in {shown}: {lost}. Nothing was changed.",
        hint="Back up what you need, then run it again with --yes.",
    )


def _steps(
    scripts: ScriptDirectory, before: str | None, revision: str, *, up: bool
) -> list[tuple[Any, Literal["upgrade", "downgrade"]]]:
    """The revisions ``upgrade``/``downgrade`` to ``revision`` would run, in order."""
    from alembic.util import CommandError

    current: Any = tuple(before.split(",")) if before else ()
    try:
        if up:
            steps = compat.upgrade_steps(scripts, revision, current)
        else:
            steps = compat.downgrade_steps(scripts, revision, current)
    except CommandError:
        # A bad destination: Alembic reports it itself, right after. Anything
        # else (its private API changed) must not switch the guard off quietly.
        return []
    return [(s.revision, "upgrade" if s.is_upgrade else "downgrade") for s in steps]


def _check_revision(scripts: ScriptDirectory, schema: str, revision: str) -> None:
    """A ``RevisionError`` naming the known revisions when ``revision`` is not one of them."""
    if revision in ("head", "heads", "base") or revision.lstrip("+-").isdigit():
        return
    for part in revision.replace("@", ":").split(":"):
        if not part or part in ("head", "heads", "base") or part.lstrip("+-").isdigit():
            continue
        try:
            found = scripts.get_revisions(part)
        except Exception:
            found = ()
        if not found:
            known = [s.revision for s in scripts.walk_revisions()]
            shown = ", ".join(known[:8]) + (" ..." if len(known) > 8 else "")
            raise RevisionError(
                f"schema {schema!r} has no revision {part!r}.",
                hint=f"Known revisions, newest first: {shown or 'none'} (also head, base, -1, +1).",
            )


def _current(
    conn: Connection,
    scripts: ScriptDirectory,
    schema: str,
    shown: str,
    version_table: str = VERSION_TABLE,
) -> str | None:
    """The revision ``conn``'s database is stamped with; an error if the history lacks it."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"version_table": version_table})
    heads = context.get_current_heads()
    if conn.in_transaction():
        conn.commit()
    for head in heads:
        try:
            known = scripts.get_revision(head)
        except Exception:
            known = None
        if known is None:
            raise RevisionError(
                f"the database {shown} is stamped with revision {head}, which the history of "
                f"schema {schema!r} does not have.",
                hint="It was migrated from another branch or another schema's history: check "
                "out the code that has that revision (and downgrade from there), or point "
                "--url at the right database.",
            )
    if len(heads) > 1:
        return ",".join(sorted(heads))
    return heads[0] if heads else None


def _render_sql(
    cfg: Config, schema: str, scripts: ScriptDirectory, target: str, revision: str, *, up: bool
) -> MigrateResult:
    from alembic import command

    shown = db.redact(target)
    head = single_head(cfg, schema, scripts)
    start, note = None, "from base"
    if ":" in revision:
        start, revision = revision.split(":", 1)
        note = f"from {start}"
    else:
        try:
            start = _stamped(target, scripts, schema, shown, cfg.version_table(schema))
            note = f"from {shown}'s current revision {start}" if start else note
        except DatabaseError as exc:
            note = f"from base: the target could not be read ({exc.message})"
    if up:
        end = head if revision in ("head", "heads") else revision
        _check_revision(scripts, schema, end or "head")
        span = f"{start}:{end}" if start else str(end)
    else:
        begin = start or head
        if begin is None:
            raise RevisionError(f"schema {schema!r} has no revisions to downgrade.")
        end = _relative(scripts, begin, revision)
        span = f"{begin}:{end}"
    buffer = io.StringIO()
    ac = alembic_config(
        cfg, schema, url=target, output_buffer=buffer, attributes={"workbench": RunContext()}
    )
    try:
        with _alembic_errors(cfg, schema):
            if up:
                command.upgrade(ac, span, sql=True)
            else:
                command.downgrade(ac, span, sql=True)
    except (WorkbenchError, NotImplementedError) as exc:
        if db.backend(target) == "sqlite" and "batch" in str(exc).lower():
            raise WorkbenchError(
                "cannot print the SQL of these revisions for SQLite: SQLite changes a table "
                "by copying it (Alembic's batch mode), which needs to read the live table.",
                hint="Run the upgrade for real against a copy of the database, or print the "
                "SQL for PostgreSQL with --url postgresql://host/db (no connection is made).",
            ) from None
        raise
    return MigrateResult(
        schema,
        shown,
        "up" if up else "down",
        start,
        None,
        (),
        sql=f"-- {schema}: {'upgrade' if up else 'downgrade'} {note}\n" + buffer.getvalue(),
    )


def _relative(scripts: ScriptDirectory, begin: str, revision: str) -> str:
    """Turn ``-N`` into the revision N steps below ``begin`` (offline mode needs explicit ends)."""
    if not revision.startswith("-"):
        return revision
    steps = int(revision[1:] or 1)
    current: str | None = begin
    for _ in range(steps):
        script = scripts.get_revision(current) if current else None
        if script is None or script.down_revision is None:
            return "base"
        down = script.down_revision
        current = down if isinstance(down, str) else sorted(down)[0]
    return current or "base"


@contextlib.contextmanager
def _alembic_errors(cfg: Config, schema: str) -> Iterator[None]:
    """Turn Alembic's ``CommandError`` into a ``RevisionError`` with a hint."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as exc:
        text = " ".join(str(exc).split())
        lowered = text.lower()
        if "multiple head" in lowered:
            single_head(cfg, schema)
        if "batch mode" in lowered:
            # Offline (--sql) batch work on SQLite; _render_sql explains it.
            raise WorkbenchError(text) from None
        raise RevisionError(f"Alembic refused: {text}.") from None


# --- where things stand ------------------------------------------------------------------


def current(cfg: Config, schema: str, *, url: str | None = None) -> CurrentResult:
    """The revision the target of ``schema`` is at, and the head of the history.

    A target that does not exist yet (the embedded SQLite file before the first
    upgrade) is at no revision; it is not created by asking.
    """
    target = cfg.resolve_url(schema, url)
    shown = db.redact(target)
    scripts = script_directory(cfg, schema)
    head = single_head(cfg, schema, scripts)
    return CurrentResult(
        schema, shown, _stamped(target, scripts, schema, shown, cfg.version_table(schema)), head
    )


def current_on(conn: Connection, cfg: Config, schema: str) -> CurrentResult:
    """Where the database of an open connection stands: for callers that go on to use it."""
    shown = db.redact(conn.engine.url)
    scripts = script_directory(cfg, schema)
    head = single_head(cfg, schema, scripts)
    return CurrentResult(
        schema, shown, _current(conn, scripts, schema, shown, cfg.version_table(schema)), head
    )


def _stamped(
    target: str,
    scripts: ScriptDirectory,
    schema: str,
    shown: str,
    version_table: str = VERSION_TABLE,
) -> str | None:
    """The revision ``target`` is stamped with; ``None`` for a SQLite file not made yet."""
    if not db.exists(target):
        return None
    with db.connect(target) as conn:
        return _current(conn, scripts, schema, shown, version_table)


def history(cfg: Config, schema: str) -> list[Revision]:
    """The revisions of ``schema``, base first."""
    scripts = script_directory(cfg, schema)  # a clear error when there is no history yet
    return list_revisions(cfg, schema, scripts)


def schemas(cfg: Config, *, url: str | None = None) -> list[SchemaSummary]:
    """Every schema of the project with its tables, history and target's revision.

    A schema that fails to load or whose target cannot be reached is listed
    with the reason rather than stopping the listing.
    """
    summaries = []
    for name in cfg.schema_names():
        path = cfg.schema_path(name)
        error = None
        try:
            tables = len(load_schema(cfg, name).metadata.tables)
        except WorkbenchError as exc:
            tables, error = 0, exc.text
        scripts = None
        try:
            scripts = script_directory(cfg, name) if has_history(cfg, name) else None
            revisions = list_revisions(cfg, name, scripts)
            head = single_head(cfg, name, scripts)
        except WorkbenchError as exc:
            revisions, head, error = [], None, error or exc.text
        target = cfg.resolve_url(name, url)
        shown = db.redact(target)
        state: Literal["absent", "empty", "stamped", "unreachable"] = "absent"
        revision = None
        # A missing SQLite file is reported, not created; a server is asked.
        if db.exists(target):
            try:
                if scripts is not None:
                    revision = _stamped(target, scripts, name, shown, cfg.version_table(name))
                state = "stamped" if revision else "empty"
            except WorkbenchError as exc:
                state, error = "unreachable", error or exc.text
        summaries.append(
            SchemaSummary(
                name=name,
                path=path,
                tables=tables,
                revisions=len(revisions),
                head=head,
                target=shown,
                current=revision,
                target_state=state,
                error=error,
            )
        )
    return summaries
