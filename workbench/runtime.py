"""What a target database and Alembic say while revisions are applied.

Where a target stands (its stamped revision), the SQL a run would emit
(``--sql``), and what SQLite's and Alembic's failures mean, as the
:class:`~workbench.errors.WorkbenchError` a user can act on; and the proof a
newly generated revision must pass on scratch databases of each target
(``proving_targets``, ``replay_history``, ``verify_revision``,
``prove_elsewhere``). Split from :mod:`workbench.migrate`, which generates and
applies revisions with these.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench import db
from workbench.config import VERSION_TABLE, Config
from workbench.envpy import RunContext
from workbench.errors import (
    DatabaseError,
    RevisionError,
    WorkbenchError,
)
from workbench.loader import create_baseline, load_schema
from workbench.modelcheck import BACKEND_NAMES
from workbench.results import (
    CurrentResult,
    DestructiveChange,
    MigrateResult,
    Revision,
    SchemaSummary,
    Step,
)
from workbench.revisions import (
    alembic_config,
    capture,
    has_history,
    list_revisions,
    script_directory,
    single_head,
)

if TYPE_CHECKING:
    from alembic.script import Script, ScriptDirectory
    from sqlalchemy.engine import Connection


OnStep = Callable[[Step], None]
Confirm = Callable[[Sequence[DestructiveChange]], bool]
"""Asked, before anything runs, whether to destroy the data listed; ``True`` goes ahead."""


@contextlib.contextmanager
def database_trouble(target: str) -> Iterator[None]:
    """SQLite's file-level failures as what they are: locked, read-only, not a database."""
    from sqlalchemy.exc import DatabaseError as SADatabaseError
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except WorkbenchError as exc:
        trouble = trouble_of(exc, target)
        if trouble is None:
            raise
        raise trouble from exc
    except (OperationalError, SADatabaseError) as exc:
        trouble = trouble_of(exc, target)
        if trouble is None:
            raise
        raise trouble from None


def trouble_of(exc: BaseException, target: str) -> DatabaseError | None:
    seen: BaseException | None = exc
    text = ""
    for _ in range(6):
        if seen is None:
            break
        text += " " + str(getattr(seen, "orig", None) or seen).lower()
        seen = seen.__cause__ or seen.__context__
    shown = db.redact(target)
    if db.backend(target) != "sqlite":
        return None
    if "readonly database" in text or "read-only" in text:
        return DatabaseError(
            f"the SQLite database {shown} is read-only (its file or its folder cannot be "
            "written by this user), so nothing could be applied; nothing was changed.",
            hint="Make the file and its folder writable (chmod u+w), or point --url at a "
            "writable copy.",
        )
    if "database is locked" in text:
        return DatabaseError(
            f"another connection has held the write lock of {shown} for more than "
            f"{db.LOCK_TIMEOUT:.0f} s, so the migration could not start; nothing was changed.",
            hint="Stop the program holding it (a long transaction, an open sqlite3 shell), "
            "then run the command again.",
        )
    if "file is not a database" in text or "not a database" in text:
        return DatabaseError(
            f"{shown} is not a SQLite database (the file exists but holds something else); "
            "nothing was changed.",
            hint="Point --url at a SQLite database file, or at a path where none exists yet.",
        )
    return None


def check_revision(scripts: ScriptDirectory, schema: str, revision: str) -> None:
    """A ``RevisionError`` naming the known revisions when ``revision`` is not one of them."""
    if revision in ("head", "heads", "base") or revision.lstrip("+-").isdigit():
        return
    for part in revision.replace("@", ":").split(":"):
        if not part or part in ("head", "heads", "base") or part.lstrip("+-").isdigit():
            continue
        try:
            found = scripts.get_revisions(part)
        except _not_one_revision(ValueError):  # not one revision: said below
            found = ()
        if not found:
            known = [s.revision for s in scripts.walk_revisions()]
            shown = ", ".join(known[:8]) + (" ..." if len(known) > 8 else "")
            raise RevisionError(
                f"schema {schema!r} has no revision {part!r}.",
                hint=f"Known revisions, newest first: {shown or 'none'} (also head, base, -1, +1).",
            )


def find_revision(scripts: ScriptDirectory, spec: str) -> Script | None:
    """The revision ``spec`` names (an id, a unique prefix of one, ``head``); ``None`` when it
    names none, or more than one (an ambiguous prefix, several heads)."""
    try:
        return scripts.get_revision(spec)
    except _not_one_revision():  # unknown or ambiguous: the caller says which
        return None


def _not_one_revision(*more: type[Exception]) -> tuple[type[Exception], ...]:
    """Alembic's errors for a name that is no revision, or more than one (and ``more``)."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    return (RevisionError, CommandError, *more)


def stamped_revision(
    conn: Connection,
    scripts: ScriptDirectory,
    schema: str,
    shown: str,
    version_table: str = VERSION_TABLE,
    version_schema: str | None = None,
) -> str | None:
    """The revision ``conn``'s database is stamped with; an error if the history lacks it."""
    from alembic.runtime.migration import MigrationContext

    opts = {"version_table": version_table, "version_table_schema": version_schema}
    context = MigrationContext.configure(conn, opts=opts)
    heads = context.get_current_heads()
    if conn.in_transaction():
        conn.commit()
    for head in heads:
        if find_revision(scripts, head) is None:
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


def render_sql(
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
            start = stamped(
                target,
                scripts,
                schema,
                shown,
                cfg.version_table(schema),
                cfg.spec(schema).version_table_schema,
            )
            note = f"from {shown}'s current revision {start}" if start else note
        except DatabaseError as exc:
            note = f"from base: the target could not be read ({exc.message})"
    if up:
        end = head if revision in ("head", "heads") else revision
        check_revision(scripts, schema, end or "head")
        span = f"{start}:{end}" if start else str(end)
    else:
        begin = start or head
        if begin is None:
            raise RevisionError(f"schema {schema!r} has no revisions to downgrade.")
        end = relative_revision(scripts, begin, revision)
        span = f"{begin}:{end}"
    buffer = io.StringIO()
    ac = alembic_config(
        cfg, schema, url=target, output_buffer=buffer, attributes={"workbench": RunContext()}
    )
    try:
        with alembic_errors(cfg, schema):
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


def relative_revision(scripts: ScriptDirectory, begin: str, revision: str) -> str:
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
def alembic_errors(cfg: Config, schema: str) -> Iterator[None]:
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
            # Offline (--sql) batch work on SQLite; render_sql explains it.
            raise WorkbenchError(text) from None
        raise RevisionError(f"Alembic refused: {text}.") from None


def stamped(
    target: str,
    scripts: ScriptDirectory,
    schema: str,
    shown: str,
    version_table: str = VERSION_TABLE,
    version_schema: str | None = None,
) -> str | None:
    """The revision ``target`` is stamped with; ``None`` for a SQLite file not made yet."""
    if not db.exists(target):
        return None
    with database_trouble(target), db.connect(target) as conn:
        return stamped_revision(conn, scripts, schema, shown, version_table, version_schema)


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
                f"--against {db.redact(source)}: revisions are proved on `sqlite` or a "
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


POSTGRESQL_NAME_BYTES = 63
"""PostgreSQL keeps the first 63 bytes of an identifier and silently drops the rest."""


def refuse_long_names(metadata: Any, schema: str) -> None:
    """Refuse names PostgreSQL would cut: the database would then never match the models.

    Tables, columns and explicitly named constraints and indexes are checked;
    names a naming convention makes are shortened by SQLAlchemy itself.
    """
    from sqlalchemy.sql.elements import conv

    long: list[str] = []

    def note(kind: str, name: Any) -> None:
        if name is None or isinstance(name, conv):
            return
        size = len(str(name).encode("utf-8"))
        if size > POSTGRESQL_NAME_BYTES:
            long.append(f"{kind} {str(name)!r} ({size} bytes)")

    for table in metadata.sorted_tables:
        note("table", table.name)
        for column in table.columns:
            note(f"column of {table.name}:", column.name)
        for item in (*table.constraints, *table.indexes):
            note(f"{type(item).__name__} on {table.name}:", item.name)
    if long:
        raise WorkbenchError(
            f"schema {schema!r} has names longer than PostgreSQL keeps "
            f"({POSTGRESQL_NAME_BYTES} bytes): {'; '.join(long)}. PostgreSQL would cut them, "
            "and the database would never match the models.",
            hint="Give them shorter names (a model's __tablename__, a column's name= or "
            'Column("short", ...)), or declare the schema SQLite-only with '
            f'[tool.workbench.schema.{schema}] backends = ["sqlite"].',
        )


# --- where things stand ------------------------------------------------------------------


def current(cfg: Config, schema: str, *, url: str | None = None) -> CurrentResult:
    """The revision the target of ``schema`` is at, and the head of the history.

    A target that does not exist yet (the embedded SQLite file before the first
    upgrade) is at no revision; it is not created by asking.
    """
    target = cfg.resolve_url(schema, url)
    return _standing(cfg, schema, db.redact(target), functools.partial(stamped, target))


def current_on(conn: Connection, cfg: Config, schema: str) -> CurrentResult:
    """Where the database of an open connection stands: for callers that go on to use it."""
    shown = db.redact(conn.engine.url)
    return _standing(cfg, schema, shown, functools.partial(stamped_revision, conn))


def _standing(
    cfg: Config,
    schema: str,
    shown: str,
    read: Callable[[ScriptDirectory, str, str, str, str | None], str | None],
) -> CurrentResult:
    """The head of ``schema``'s history and the revision ``read`` finds the database at."""
    scripts = script_directory(cfg, schema)
    head = single_head(cfg, schema, scripts)
    version_table, version_schema = cfg.version_table(schema), cfg.spec(schema).version_table_schema
    return CurrentResult(
        schema, shown, read(scripts, schema, shown, version_table, version_schema), head
    )


def history(cfg: Config, schema: str) -> list[Revision]:
    """The revisions of ``schema``, base first."""
    scripts = script_directory(cfg, schema)  # a clear error when there is no history yet
    return list_revisions(cfg, schema, scripts)


def schemas(cfg: Config, *, url: str | None = None) -> list[SchemaSummary]:
    """Every schema of the project with its tables, history and target's revision.

    A schema that fails to load or whose target cannot be reached is listed
    with the reason rather than stopping the listing.
    """
    from sqlalchemy import exc as sa_exc

    summaries = []
    for name in cfg.schema_names():
        error = None
        try:
            path = cfg.schema_path(name)
            tables = len(load_schema(cfg, name).metadata.tables)
        except WorkbenchError as exc:
            # An adopted history whose models are not declared yet is listed all the same.
            ini = cfg.spec(name).alembic_ini
            path = cfg.root / ini if ini else cfg.schemas_dir / f"{name}.py"
            tables, error = 0, exc.text
        except sa_exc.InvalidRequestError as exc:
            # A foreign key to a table the models lack (NoReferencedTableError), and the
            # like: this schema's problem, not a reason to stop listing the others.
            reason = " ".join(str(exc).split())
            tables, error = 0, f"{cfg.rel(path)}: {type(exc).__name__}: {reason}"
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
                    revision = stamped(
                        target,
                        scripts,
                        name,
                        shown,
                        cfg.version_table(name),
                        cfg.spec(name).version_table_schema,
                    )
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


def prove_elsewhere(
    cfg: Config,
    schema: str,
    script: Any,
    targets: Sequence[tuple[str, str]],
    previous: str | None,
) -> None:
    """Prove the revision written on each other target; remove it if one fails."""
    try:
        for backend, source in targets:
            with db.scratch(source) as url, db.connect(url, migrating=True) as conn:
                ac = alembic_config(
                    cfg, schema, attributes={"connection": conn, "workbench": RunContext()}
                )
                replay_history(cfg, schema, ac, backend, previous)
                verify_revision(cfg, schema, script, ac, backend)
    except BaseException:
        Path(script.path).unlink(missing_ok=True)
        raise


def replay_history(cfg: Config, schema: str, ac: Any, backend: str, previous: str | None) -> None:
    """Bring a scratch database to the history's head; an error naming the backend if it fails."""
    from alembic import command

    if previous is None:
        return
    create_baseline(cfg, schema, ac.attributes["connection"])
    try:
        with alembic_errors(cfg, schema):
            command.upgrade(ac, previous)
    except WorkbenchError as exc:
        raise WorkbenchError(
            f"the history of {schema!r} does not apply to a scratch {BACKEND_NAMES[backend]} "
            f"database, so no revision can be generated on it: {exc.text}",
            hint="Fix the failing revision (workbench check names it), or leave this backend "
            "out with --against.",
        ) from exc


def verify_revision(cfg: Config, schema: str, script: Any, ac: Any, backend: str) -> None:
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
        with alembic_errors(cfg, schema):
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
