"""Generate revisions from the models and apply them up and down, Alembic in-process.

Every verb takes a :class:`~workbench.config.Config` first and returns a typed
result from :mod:`workbench.results`; nothing here prints. ``generate`` works on
a scratch database only; ``upgrade`` and ``downgrade`` run each revision in one
transaction under a lock (see :mod:`workbench.envpy`).
"""

from __future__ import annotations

import contextlib
import shutil
import string
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import compat, db, guard, pgschemas
from workbench.config import Config
from workbench.envpy import RunContext, sqlite_foreign_keys_off
from workbench.errors import (
    DatabaseError,
    MigrationFailed,
    Refused,
    WorkbenchError,
)
from workbench.files import write_atomic
from workbench.loader import create_baseline, load_schema
from workbench.results import (
    DestructiveChange,
    Direction,
    GenerateResult,
    MigrateResult,
    Step,
)
from workbench.revisions import (
    HistoryModel,
    alembic_config,
    script_directory,
    single_head,
)
from workbench.runtime import (
    alembic_errors,
    check_revision,
    database_trouble,
    prove_elsewhere,
    proving_targets,
    refuse_long_names,
    render_sql,
    replay_history,
    stamped_revision,
    verify_revision,
)
from workbench.runtime import current as current
from workbench.runtime import current_on as current_on
from workbench.runtime import history as history
from workbench.runtime import schemas as schemas

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection

    from workbench.autogen import ProcessHook
    from workbench.safety import AskBackfill, AskRename

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
    _refuse_bad_request(message, empty=empty, rewrites=bool(renames or backfills))
    models = load_schema(cfg, schema)
    pgschemas.require_postgresql_only(schema, models.metadata, cfg.backends(schema))
    if "postgresql" in cfg.backends(schema):
        refuse_long_names(models.metadata, schema)
    created = ensure_environment(cfg, schema)
    try:
        single_head(cfg, schema)
        if empty:
            return _generate_empty(cfg, schema, message)
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


def _refuse_bad_request(message: str, *, empty: bool, rewrites: bool) -> None:
    """A revision needs a message; an empty one has no change to rename or backfill."""
    if not message.strip():
        raise WorkbenchError(
            "a revision needs a message.", hint="Say what it does: -m 'add bio to users'."
        )
    if empty and rewrites:
        raise WorkbenchError(
            "--rename and --backfill rewrite a compared change; an --empty revision has none.",
            hint="Drop --empty, or write the rename or backfill by hand in the empty revision.",
        )


def _generate_empty(cfg: Config, schema: str, message: str) -> GenerateResult:
    """Write an empty revision after the head, for work written by hand; nothing is compared."""
    from alembic import command

    ac = alembic_config(cfg, schema)
    with alembic_errors(cfg, schema):
        written = command.revision(ac, message=message)
    script = _one(written)
    return GenerateResult(schema, script.revision, Path(script.path), ())


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

    run, wrote, notes = _generation_run(
        cfg,
        schema,
        models,
        hook=hook,
        renames=renames,
        backfills=backfills,
        ask_rename=ask_rename,
        ask_backfill=ask_backfill,
    )
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
        replay_history(cfg, schema, ac, backend, previous)
        with alembic_errors(cfg, schema):
            written = command.revision(ac, message=message, autogenerate=True)
        if not written or (isinstance(written, list) and not any(written)):
            _remove(created)
            return GenerateResult(schema, None, None, (), backends=())
        script = _one(written)
        verify_revision(cfg, schema, script, ac, backend)
    prove_elsewhere(cfg, schema, script, targets[1:], previous)
    return GenerateResult(
        schema,
        script.revision,
        Path(script.path),
        tuple(wrote),
        tuple(notes),
        backends=tuple(b for b, _ in targets),
        unproved=skipped,
    )


def _generation_run(
    cfg: Config,
    schema: str,
    models: Any,
    *,
    hook: ProcessHook | None,
    renames: Mapping[str, str] | None,
    backfills: Mapping[str, str] | None,
    ask_rename: AskRename | None,
    ask_backfill: AskBackfill | None,
) -> tuple[RunContext, list[str], list[str]]:
    """The run context autogenerate writes the revision in: workbench's hook, then ``hook``.

    Returns:
        ``(run, wrote, notes)``: the lists fill in as the revision is written, with
        its operations described and what the safety hook warned about.
    """
    # Only generating needs these (an upgrade does not pay for importing them).
    from workbench.autogen import describe_all, is_empty, post_process
    from workbench.safety import generation_hook

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
    return run, wrote, notes


def _one(written: Any) -> Any:
    if isinstance(written, list):
        written = [w for w in written if w is not None]
        return written[0]
    return written


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


LOCK_RETRIES = 3
"""PostgreSQL: times a revision that met another session's table lock is tried again."""


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
    target = cfg.resolve_url(schema, url)
    db.check_supported(target)
    shown = db.redact(target)
    scripts = script_directory(cfg, schema)
    if up and revision in ("head", "heads"):
        single_head(cfg, schema, scripts)
    if sql:
        return render_sql(cfg, schema, scripts, target, revision, up=up)
    check_revision(scripts, schema, revision)
    wait = db.statement_lock_timeout()
    path = db.sqlite_path(target)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"cannot make the folder of the SQLite database {shown}: {exc.strerror}; "
                "nothing was changed.",
                hint="Point --url at a file in a folder that exists or can be made.",
            ) from None
    for attempt in range(LOCK_RETRIES + 1):
        try:
            return _apply_locked(
                cfg,
                schema,
                scripts,
                target,
                revision,
                on_step=on_step,
                up=up,
                yes=yes,
                confirm=confirm,
                wait=wait,
            )
        except _LockBusy:
            if attempt == LOCK_RETRIES:
                holders = db.lock_holders(target)
                who = "; ".join(holders) if holders else "no session holds one any longer"
                raise DatabaseError(
                    f"gave up after {LOCK_RETRIES + 1} tries: a revision waited more than "
                    f"{wait:g} s for a table lock held by another session of {shown} "
                    f"(lock holders: {who}). The revision was rolled back each time; "
                    "revisions before it are applied.",
                    hint="Let that session finish (or end it: SELECT pg_terminate_backend(pid)), "
                    "then run the command again; $WORKBENCH_LOCK_TIMEOUT sets the wait in "
                    "seconds.",
                ) from None
            time.sleep(min(0.5 * 2**attempt, 4.0))
    raise AssertionError("unreachable")  # pragma: no cover


class _LockBusy(Exception):
    """A revision gave up waiting for a table lock (PostgreSQL ``lock_timeout``)."""


def _apply_locked(
    cfg: Config,
    schema: str,
    scripts: ScriptDirectory,
    target: str,
    revision: str,
    *,
    on_step: OnStep | None,
    up: bool,
    yes: bool,
    confirm: Confirm | None,
    wait: float,
) -> MigrateResult:
    """One attempt: take the migration lock, then measure, run and commit under it."""
    shown = db.redact(target)
    direction: Direction = "up" if up else "down"
    run = RunContext(locked=True)
    version_table = cfg.version_table(schema)
    version_schema = cfg.spec(schema).version_table_schema
    # The lock first: what is pending and what it would destroy are only known
    # once no other migration can run (a guard evaluated before the lock judges
    # a database that another process is about to change).
    with (
        db.connect(target, migrating=True) as conn,
        database_trouble(target),
        db.migration_lock(conn, schema),
    ):
        db.set_lock_timeout(conn, wait)
        before = stamped_revision(conn, scripts, schema, shown, version_table, version_schema)
        if up and before is None:
            # A history that starts from tables made outside it (baseline) starts from them.
            create_baseline(cfg, schema, conn)
        if not up and revision.startswith("-") and before is None:
            return MigrateResult(schema, shown, "down", None, None, ())
        pending = not (
            up
            and revision in ("head", "heads")
            and before is not None
            and before == single_head(cfg, schema, scripts)
        )
        guarded = pending and not yes and guard.holds_data(conn, ignore=version_table)
        if conn.in_transaction():
            conn.commit()
        ac = alembic_config(cfg, schema, attributes={"connection": conn, "workbench": run})
        ac.attributes["workbench.version_table"] = version_table
        if guarded:
            _run_guarded(
                conn, ac, revision, up=up, run=run, shown=shown, confirm=confirm, loaded=scripts
            )
            for step in run.steps:
                if on_step is not None:
                    on_step(step)
        else:
            run.on_step = on_step
            _run(
                conn,
                ac,
                revision,
                up=up,
                scripts=scripts,
                schema=schema,
                shown=shown,
                whole=False,
                loaded=scripts,
            )
        after = stamped_revision(conn, scripts, schema, shown, version_table, version_schema)
    return MigrateResult(schema, shown, direction, before, after, tuple(run.steps))


def _run(
    conn: Connection,
    ac: Any,
    revision: str,
    *,
    up: bool,
    scripts: ScriptDirectory | None,
    schema: str,
    shown: str,
    whole: bool,
    loaded: ScriptDirectory | None = None,
) -> None:
    """Run Alembic's upgrade or downgrade on ``conn``; a failure says where the target stands."""
    try:
        with alembic_errors(ac.attributes["workbench.project"], schema):
            _alembic_command(ac, loaded, revision, up=up)
    except MigrationFailed as exc:
        if db.is_lock_timeout(exc):
            raise _LockBusy from exc
        if whole:
            raise
        now = (
            stamped_revision(conn, scripts, schema, shown, ac.attributes["workbench.version_table"])
            if scripts is not None
            else None
        )
        raise MigrationFailed(
            f"{exc.message}. Its transaction was rolled back: {shown} is at revision "
            f"{now or 'base (empty)'}, with every earlier revision applied and nothing of "
            "the failed one.",
            revision=exc.revision,
            hint=exc.hint or "Fix the revision, then run the command again.",
        ) from exc


def _alembic_command(ac: Any, loaded: ScriptDirectory | None, revision: str, *, up: bool) -> None:
    """What ``alembic upgrade``/``downgrade`` does, on the script directory already ``loaded``.

    Alembic's commands read the script directory again (every revision file
    imported a second time); workbench has read and checked it already.
    """
    from alembic import command

    if loaded is None or ":" in revision:
        # A range is Alembic's to refuse, with its own message.
        (command.upgrade if up else command.downgrade)(ac, revision)
        return
    from alembic.runtime.environment import EnvironmentContext

    def steps(current: Any, context: Any) -> list[Any]:
        if up:
            return compat.upgrade_steps(loaded, revision, current)
        return compat.downgrade_steps(loaded, revision, current)

    with EnvironmentContext(ac, loaded, fn=steps, destination_rev=revision):
        loaded.run_env()


def _run_guarded(
    conn: Connection,
    ac: Any,
    revision: str,
    *,
    up: bool,
    run: RunContext,
    shown: str,
    confirm: Confirm | None,
    loaded: ScriptDirectory | None = None,
) -> None:
    """Run the pending revisions in one transaction, measured before and after; commit or not.

    Commits when nothing the target held was destroyed, or when ``confirm``
    says yes; otherwise rolls everything back and raises :class:`Refused`.
    What cannot be measured counts as destroyed (asked about, refused
    without an answer).
    """
    from sqlalchemy.exc import SQLAlchemyError

    ignore = str(ac.attributes["workbench.version_table"])
    verb = "upgrade" if up else "downgrade"
    with _foreign_keys_off(conn):
        transaction = conn.begin()
        try:
            before, transaction = _measured_before(
                conn, transaction, ignore, f"{verb} to {revision}", verb, shown, confirm
            )
            _run_whole(conn, transaction, ac, revision, up=up, shown=shown, loaded=loaded)
            if not transaction.is_active or not conn.in_transaction():
                raise Refused(
                    f"a revision of this {verb} committed on its own (autocommit_block), so "
                    f"workbench could not measure what it destroyed in {shown}; what ran before "
                    "it is committed.",
                    hint="Run it again with --yes to apply such revisions without the guard.",
                )
            steps = [s.revision for s in run.steps]
            label = (
                steps[0] if len(steps) == 1 else f"{steps[0]}..{steps[-1]}" if steps else revision
            )
            if before is not None and steps:
                try:
                    after = guard.measure(conn, cast_to=before, ignore=ignore)
                    changes = guard.losses(before, after, label)
                except SQLAlchemyError as exc:
                    changes = [guard.unmeasurable(label, _reason(exc))]
                if changes:
                    _decide(changes, verb, shown, confirm, transaction=transaction)
            transaction.commit()
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise


def _measured_before(
    conn: Connection,
    transaction: Any,
    ignore: str,
    what: str,
    verb: str,
    shown: str,
    confirm: Confirm | None,
) -> tuple[guard.Measure | None, Any]:
    """What the target holds before the run, in ``transaction``, and the transaction to run in.

    A target that cannot be measured is asked about first (``confirm``); the
    run then goes on in a new transaction, with nothing to compare against.
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return guard.measure(conn, ignore=ignore), transaction
    except SQLAlchemyError as exc:
        unmeasured = _reason(exc)
    transaction.rollback()
    _decide([guard.unmeasurable(what, unmeasured)], verb, shown, confirm)
    return None, conn.begin()


def _run_whole(
    conn: Connection,
    transaction: Any,
    ac: Any,
    revision: str,
    *,
    up: bool,
    shown: str,
    loaded: ScriptDirectory | None,
) -> None:
    """The guarded run itself; a failure rolls the whole of it back and says so."""
    verb = "upgrade" if up else "downgrade"
    try:
        _run(
            conn,
            ac,
            revision,
            up=up,
            scripts=None,
            schema=str(ac.attributes["workbench.schema_name"]),
            shown=shown,
            whole=True,
            loaded=loaded,
        )
    except MigrationFailed as exc:
        transaction.rollback()
        raise MigrationFailed(
            f"{exc.message}. The whole {verb} ran in one transaction (the target holds "
            f"data, so workbench measured what it would destroy) and was rolled back: "
            f"{shown} is where it was before, nothing was changed.",
            revision=exc.revision,
            hint=exc.hint or "Fix the revision, then run the command again.",
        ) from exc


def _reason(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return text[:300]


def _decide(
    changes: Sequence[DestructiveChange],
    verb: str,
    shown: str,
    confirm: Confirm | None,
    *,
    transaction: Any = None,
) -> None:
    """Go on when ``confirm`` says yes; otherwise roll back and raise :class:`Refused`."""
    if confirm is not None and confirm(changes):
        return
    if transaction is not None and transaction.is_active:
        transaction.rollback()
    lost = "; ".join(f"revision {c.revision} {c.description}" for c in changes)
    raise Refused(
        f"{verb} would destroy data in {shown}: {lost}. It was rolled back: nothing was changed.",
        hint="Back up what you need, then run it again with --yes.",
    )


@contextlib.contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite: foreign keys off for the run (batch mode recreates tables); no-op elsewhere."""
    if conn.dialect.name != "sqlite":
        yield
        return
    if conn.in_transaction():
        conn.commit()
    with sqlite_foreign_keys_off(conn):
        yield
