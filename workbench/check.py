"""``workbench check``: prove that every revision goes down and up without a trace or a loss.

For each schema and each backend (``sqlite``, or a PostgreSQL server on which
throwaway databases are made), on scratch databases only, :func:`check` proves:

1. the history has one head and applies from base;
2. at every revision: snapshot, upgrade, snapshot, downgrade, snapshot (equal
   to the one before the upgrade: leftover enum types, indexes, CHECKs,
   defaults and ``_alembic_tmp_*`` tables included), upgrade again (equal to
   the first upgrade). A downgrade that raises ``NotImplementedError`` is
   reported as irreversible;
3. at head, the models and the database agree: autogenerate, run exactly as
   ``workbench generate`` runs it, has nothing to write, and a database made
   from the models has the same enum values, CHECK constraints and server
   defaults (which autogenerate does not compare);
4. with rows seeded before every step into the tables it may change (those
   its operations name and the tables referring to them; all of them when it
   runs SQL the workbench cannot read), a step leaves the rows of the tables
   it does not touch unchanged (checksums), and keeps rows and values where
   its operations keep data (a rename, a widening, an added nullable column);
5. lint findings of severity error fail the check.

The chain is walked once, in one Alembic run on one scratch database per
schema and backend: the work between steps (snapshots, seeding, checksums)
happens between Alembic's per-revision transactions, and each step reflects
only the tables its operations name (and the tables that refer to them), or
everything when it runs SQL the workbench cannot read. The cost is linear in
the number of revisions.

Findings have stable codes (:data:`CODES`); each message says which revision,
what differs, and how to fix it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import db
from workbench import snapshot as snap
from workbench.autogen import default_sql, describe_all, is_empty
from workbench.config import Config
from workbench.envpy import RunContext
from workbench.errors import MigrationFailed, ProjectError, WorkbenchError
from workbench.loader import Schema, load_schema
from workbench.results import CheckReport, CheckRun, Finding, Severity
from workbench.revisions import (
    Capture,
    HistoryModel,
    alembic_config,
    capture,
    has_history,
    script_directory,
)

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.script import Script, ScriptDirectory
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Code:
    """One kind of finding: its code, severity, title and the usual fix."""

    code: str
    severity: Severity
    title: str
    fix: str


CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            "WB200",
            "error",
            "the history cannot be read",
            "Fix the revision file named in the message so that it imports cleanly.",
        ),
        Code(
            "WB201",
            "error",
            "the history has several heads",
            "Join them with a merge revision (alembic merge heads).",
        ),
        Code(
            "WB202",
            "error",
            "an upgrade fails",
            "Fix the revision at the line named; the hint says what usually causes it.",
        ),
        Code(
            "WB203",
            "error",
            "a downgrade fails",
            "Fix downgrade() at the line named; it must run on a database at that revision.",
        ),
        Code(
            "WB204",
            "error",
            "a downgrade is irreversible",
            "Write downgrade() so that it undoes upgrade(); if it truly cannot, split the "
            "revision so the irreversible part is as small as possible.",
        ),
        Code(
            "WB205",
            "error",
            "a downgrade does not restore the schema",
            "Make downgrade() undo everything upgrade() does.",
        ),
        Code(
            "WB206",
            "error",
            "an upgrade after its downgrade fails or differs",
            "Make downgrade() remove everything upgrade() creates, so the upgrade can run again.",
        ),
        Code(
            "WB210",
            "error",
            "the models are ahead of the migrations",
            "Write the missing revision: workbench generate SCHEMA -m '...'.",
        ),
        Code(
            "WB211",
            "error",
            "the database at head disagrees with the models",
            "Write a revision that brings the database in line (autogenerate does not see it).",
        ),
        Code(
            "WB220",
            "error",
            "rows of a table the step does not touch changed",
            "A revision must only change the tables it names: look for op.execute() "
            "statements and cascading foreign keys.",
        ),
        Code(
            "WB221",
            "error",
            "a step loses data it should keep",
            "Keep the data: rename in place, widen instead of recreating, backfill before "
            "constraining.",
        ),
        Code(
            "WB222",
            "warning",
            "an upgrade destroys data",
            "If the data is still wanted, copy it before dropping (or rename instead).",
        ),
        Code(
            "WB223",
            "warning",
            "a table could not be seeded",
            "The data proofs skip that table; report the table definition if it is valid.",
        ),
    )
}
"""Every finding ``check`` itself reports; lint's findings keep lint's codes."""

ROWS = 5
"""Rows seeded into each empty table before a step."""
SEED = 0
"""The seed engine's seed: the same history gets the same rows on every run."""

StepProgress = Callable[[str, str, int, int], None]
"""``(schema, backend, revisions done, revisions in all)``, called as the walk advances."""


# --- entry point -------------------------------------------------------------------------


def check(
    cfg: Config,
    schemas: Sequence[str] | None = None,
    *,
    against: Sequence[str] | None = None,
    on_progress: StepProgress | None = None,
    on_run: Callable[[CheckRun], None] | None = None,
) -> CheckReport:
    """Prove that every revision of ``schemas`` round-trips on every backend in ``against``.

    Args:
        cfg: the project.
        schemas: schema names, or paths of files in ``schemas/`` or
            ``migrations/`` (a pre-commit hook passes the changed files; paths
            that belong to no schema are ignored); ``None`` for every schema.
        against: ``sqlite`` and/or PostgreSQL server URLs on which scratch
            databases are made; default :func:`default_against`.
        on_progress: called as each schema's walk advances.
        on_run: called with each schema and backend's result as it is done.

    Example:
        >>> check(Config.at("."), ["blog"], against=["sqlite"]).ok  # doctest: +SKIP
        True
    """
    targets = list(against) if against else default_against()
    for target in targets:
        backend_of(target)
    names = resolve_schemas(cfg, schemas)
    runs: list[CheckRun] = []
    for name in names:
        history = _History.read(cfg, name)
        models = load_schema(cfg, name) if history.walkable else None
        lint = _lint(cfg, name) if history.walkable else []
        for target in targets:
            started = time.perf_counter()
            findings = list(history.findings_for(backend_of(target)))
            reached = 0
            if models is not None:
                one = _Check(cfg, name, models, history, target, on_progress)
                one.run()
                findings += one.findings
                reached = one.done
                findings += [
                    _on_backend(f, backend_of(target))
                    for f in lint
                    if f.backend in ("", backend_of(target))
                ]
            run = CheckRun(
                schema=name,
                backend=backend_of(target),
                target="sqlite" if target == "sqlite" else db.redact(target),
                chain=tuple(s.revision for s in history.chain),
                checked=reached,
                seconds=time.perf_counter() - started,
                findings=tuple(findings),
            )
            if on_run is not None:
                on_run(run)
            runs.append(run)
    return CheckReport(tuple(runs))


def default_against(environ: dict[str, str] | None = None) -> list[str]:
    """``sqlite``, plus ``$WORKBENCH_POSTGRES_URL`` when it is set."""
    env = os.environ if environ is None else environ
    targets = ["sqlite"]
    if env.get("WORKBENCH_POSTGRES_URL"):
        targets.append(env["WORKBENCH_POSTGRES_URL"])
    return targets


def backend_of(target: str) -> str:
    """``sqlite`` or ``postgresql`` for an ``--against`` value; an error for anything else."""
    if target == "sqlite":
        return "sqlite"
    name = db.backend(target)
    if name != "postgresql":
        raise WorkbenchError(
            f"--against {db.redact(target)}: check runs against `sqlite` or a PostgreSQL "
            "server URL.",
            hint="For example --against sqlite --against postgresql://postgres@localhost/postgres.",
        )
    return name


def resolve_schemas(cfg: Config, given: Sequence[str] | None) -> list[str]:
    """Schema names from names or paths (see :func:`check`), each once, in the order given."""
    known = cfg.schema_names()
    if given is None:
        if not known:
            raise ProjectError(
                f"the project has no schemas: {cfg.rel(cfg.schemas_dir)}/ holds no module.",
                hint="Add a schema module there (see `workbench init`), then run check again.",
            )
        return known
    out: list[str] = []
    for arg in given:
        if any(ch in arg for ch in "/\\."):  # schema names are identifiers; this is a path
            name = _schema_of_path(cfg, Path(arg))
            if name is None or name not in known:
                continue
        else:
            cfg.schema_path(arg)  # an unknown name is an error that lists the known ones
            name = arg
        if name not in out:
            out.append(name)
    return out


def _schema_of_path(cfg: Config, path: Path) -> str | None:
    full = (path if path.is_absolute() else Path.cwd() / path).resolve()
    for folder in (cfg.schemas_dir, cfg.migrations_dir):
        try:
            parts = full.relative_to(folder.resolve()).parts
        except ValueError:
            continue
        if parts:
            return parts[0].removesuffix(".py")
    return None


def _on_backend(finding: Finding, backend: str) -> Finding:
    return replace(finding, backend=backend)


def _lint(cfg: Config, schema: str) -> list[Finding]:
    """Lint's findings of severity error: the fifth proof."""
    from workbench.lint import lint_revisions

    return [f for f in lint_revisions(cfg, schema) if f.severity == "error"]


# --- the history, read once per schema ---------------------------------------------------


@dataclass
class _History:
    """A schema's revisions base to head, their operations, and what stops a walk early."""

    cfg: Config
    schema: str
    scripts: ScriptDirectory | None = None
    chain: list[Script] = field(default_factory=list)
    up: dict[str, Capture] = field(default_factory=dict)
    down: dict[str, Capture] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)

    @property
    def walkable(self) -> bool:
        return self.scripts is not None and not self.problems

    def findings_for(self, backend: str) -> Iterator[Finding]:
        for finding in self.problems:
            yield _on_backend(finding, backend)

    @classmethod
    def read(cls, cfg: Config, schema: str) -> _History:
        history = cls(cfg, schema)
        if not has_history(cfg, schema):
            history.problems.append(
                _finding(
                    "WB210",
                    schema,
                    f"schema {schema!r} has models but no migrations yet.",
                    f"Write the first revision: workbench generate {schema} -m initial.",
                    path=cfg.schema_path(schema),
                )
            )
            return history
        scripts = script_directory(cfg, schema)
        try:
            heads = scripts.get_heads()
            chain = list(scripts.walk_revisions("base", "heads"))
        except Exception as exc:
            path, line = _where(exc, cfg.migrations_path(schema) / "versions")
            history.problems.append(
                _finding(
                    "WB200",
                    schema,
                    f"the history of {schema!r} cannot be read: {_reason(exc)}.",
                    "Fix the revision file so that it imports cleanly.",
                    path=path,
                    line=line,
                )
            )
            return history
        history.scripts = scripts
        if len(heads) > 1:
            listed = ", ".join(sorted(heads))
            history.problems.append(
                _finding(
                    "WB201",
                    schema,
                    f"the history of {schema!r} has {len(heads)} heads ({listed}): two "
                    "revisions follow the same parent, usually from two branches merged in git.",
                    "Join them with a merge revision: alembic -c "
                    f"{cfg.rel(cfg.migrations_path(schema))}/alembic.ini merge -m merge heads.",
                )
            )
        chain.reverse()
        history.chain = chain
        for script in chain:
            history.up[script.revision] = capture(script, "upgrade")
            history.down[script.revision] = capture(script, "downgrade")
        return history

    def history_model(self) -> HistoryModel:
        return HistoryModel.replay([self.up[s.revision] for s in self.chain])


def _finding(
    code: str,
    schema: str,
    message: str,
    fix: str | None = None,
    *,
    backend: str = "",
    revision: str | None = None,
    path: Path | None = None,
    line: int | None = None,
    details: Sequence[str] = (),
) -> Finding:
    text = f"{message} Fix: {fix[:1].upper()}{fix[1:]}" if fix else message
    return Finding(
        code=code,
        severity=CODES[code].severity,
        message=text,
        schema=schema,
        backend=backend,
        revision=revision,
        path=path,
        line=line,
        details=tuple(details),
    )


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ if isinstance(exc, MigrationFailed) and exc.__cause__ else exc
    text = " ".join(str(getattr(cause, "orig", None) or cause).split())
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(cause).__name__}: {text}".rstrip(".")


def _where(exc: BaseException, folder: Path) -> tuple[Path | None, int | None]:
    """The last revision file in ``folder`` that ``exc``'s traceback passes through."""
    found: tuple[Path | None, int | None] = (None, None)
    for current in (exc, exc.__cause__, exc.__context__):
        if current is None:
            continue
        for frame, line in traceback.walk_tb(current.__traceback__):
            path = Path(frame.f_code.co_filename)
            if path.parent.resolve() == folder.resolve():
                found = (path, line)
        if isinstance(current, SyntaxError) and current.filename:
            path = Path(current.filename)
            if path.parent.resolve() == folder.resolve():
                found = (path, current.lineno)
        if found[0] is not None:
            return found
    return found


_CONNECTION_NAMES = frozenset({"get_bind", "get_context", "migration_context", "connection"})


def _uses_connection(script: Script, name: str) -> bool:
    """Whether the function (or one defined in it) names the connection or the context."""
    function = getattr(script.module, name, None)
    code = getattr(function, "__code__", None)
    pending = [code] if code is not None else []
    while pending:
        current = pending.pop()
        if _CONNECTION_NAMES & set(current.co_names):
            return True
        pending.extend(c for c in current.co_consts if hasattr(c, "co_names"))
    return False


def _def_line(script: Script, name: str) -> int | None:
    function = getattr(script.module, name, None)
    code = getattr(function, "__code__", None)
    return int(code.co_firstlineno) if code is not None else None


# --- what a step does to tables, read from its operations --------------------------------

_DML = re.compile(
    r"\b(?:update|delete\s+from|insert\s+into|truncate(?:\s+table)?|alter\s+table"
    r"(?:\s+if\s+exists)?|drop\s+table(?:\s+if\s+exists)?)\s+(?:only\s+)?[\"`\[]?(\w+)",
    re.IGNORECASE,
)


@dataclass
class _Effect:
    """What one direction of a revision does to tables and columns."""

    touched: set[str] = field(default_factory=set)
    """Tables the operations name, before and after renames."""
    created: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    renamed: dict[str, str] = field(default_factory=dict)
    """Old table name to new."""
    columns: dict[tuple[str, str], tuple[str, str] | None] = field(default_factory=dict)
    """A column the operations rename or drop: (table, column) before to after, or None."""
    retyped: set[tuple[str, str]] = field(default_factory=set)
    opaque: bool = False
    """Runs SQL or code the workbench cannot read: any table may change."""
    lines: dict[str, int] = field(default_factory=dict)
    """The first line of the revision that touches each table."""
    drop_lines: dict[tuple[str, str | None], int] = field(default_factory=dict)
    """The line that drops a (table, column), or a (table, None)."""

    def after(self, table: str) -> str | None:
        """The name ``table`` has after the step, or None when the step drops it."""
        if table in self.dropped:
            return None
        return self.renamed.get(table, table)

    def column_after(self, table: str, column: str) -> str | None:
        if (table, column) in self.columns:
            moved = self.columns[(table, column)]
            return moved[1] if moved else None
        return column

    @classmethod
    def of(cls, cap: Capture) -> _Effect:
        from alembic.operations import ops as alembic_ops

        import workbench.ops as wb_ops

        effect = cls(opaque=cap.error is not None and cap.raises is None)
        origin: dict[str, str] = {}  # a table's current name in the step -> its name before
        col_origin: dict[tuple[str, str], str] = {}  # (table before, current column) -> before

        def before(table: str) -> str:
            return origin.get(table, table)

        def note(table: str | None, line: int | None) -> None:
            if table:
                effect.touched.add(table)
                if line is not None:
                    effect.lines.setdefault(before(table), line)

        for captured in cap.ops:
            op: Any = captured.op
            table = (
                captured.batch
                or getattr(op, "table_name", None)
                or getattr(op, "source_table", None)
            )
            note(table, captured.line)
            if isinstance(op, alembic_ops.CreateTableOp):
                effect.created.add(op.table_name)
            elif isinstance(op, alembic_ops.DropTableOp):
                effect.dropped.add(before(op.table_name))
                if captured.line is not None:
                    effect.drop_lines[(before(op.table_name), None)] = captured.line
            elif isinstance(op, alembic_ops.RenameTableOp):
                old = before(op.table_name)
                origin[op.new_table_name] = old
                effect.renamed[old] = op.new_table_name
                note(op.new_table_name, captured.line)
            elif isinstance(op, alembic_ops.DropColumnOp) and table:
                t = before(table)
                col = col_origin.get((t, op.column_name), op.column_name)
                effect.columns[(t, col)] = None
                if captured.line is not None:
                    effect.drop_lines[(t, col)] = captured.line
            elif isinstance(op, alembic_ops.AlterColumnOp) and table:
                t = before(table)
                col = col_origin.get((t, op.column_name), op.column_name)
                if op.modify_type is not None:
                    effect.retyped.add((t, col))
                if op.modify_name:
                    col_origin[(t, op.modify_name)] = col
                    effect.columns[(t, col)] = (t, op.modify_name)
            elif isinstance(op, alembic_ops.ExecuteSQLOp):
                effect.opaque = True
                for match in _DML.finditer(str(op.sqltext)):
                    note(match.group(1), captured.line)
            elif isinstance(op, alembic_ops.BulkInsertOp):
                note(getattr(op.table, "name", None), captured.line)
            elif isinstance(op, wb_ops.SyncEnumValuesOp):
                # On PostgreSQL it moves every column of the type, named here or not.
                effect.opaque = True
                for t, _column, _check in op.columns:
                    note(t, captured.line)
            elif isinstance(op, (wb_ops.CreateEnumTypeOp, wb_ops.DropEnumTypeOp)):
                pass
            elif not isinstance(
                op,
                (
                    alembic_ops.AddColumnOp,
                    alembic_ops.CreateIndexOp,
                    alembic_ops.DropIndexOp,
                    alembic_ops.AddConstraintOp,
                    alembic_ops.DropConstraintOp,
                    alembic_ops.CreateTableCommentOp,
                    alembic_ops.DropTableCommentOp,
                ),
            ):
                effect.opaque = True
        # Renamed tables carry their column moves under their new name too.
        for (t, col), moved in list(effect.columns.items()):
            new_t = effect.renamed.get(t)
            if new_t and moved is not None:
                effect.columns[(t, col)] = (new_t, moved[1])
        return effect


# --- one schema on one backend -----------------------------------------------------------


@dataclass
class _Point:
    """Where the walk stands: the revision index, and the step about to run."""

    index: int = 0
    phase: str = "up"


class _Check:
    """Walk one schema's chain on one scratch database of one backend, collecting findings."""

    def __init__(
        self,
        cfg: Config,
        schema: str,
        models: Schema,
        history: _History,
        target: str,
        on_progress: StepProgress | None,
    ) -> None:
        self.cfg = cfg
        self.schema = schema
        self.models = models
        self.history = history
        self.target = target
        self.backend = backend_of(target)
        self.on_progress = on_progress
        self.findings: list[Finding] = []
        self.done = 0
        self.at = _Point()
        self.crash: BaseException | None = None
        self.current = snap.Snapshot(self.backend, (), ())
        self.data: _Data | None = None

    # -- driving Alembic --

    def run(self) -> None:
        with db.scratch(self.target) as url, db.connect(url, migrating=True) as conn:
            self.conn = conn
            _throwaway(conn)
            self.data = _Data(conn, self)
            self.ac = alembic_config(
                self.cfg,
                self.schema,
                url=url,
                attributes={"connection": conn, "workbench": RunContext()},
            )
            reached_head = self._walk_all()
            if reached_head:
                self._models_agree(url)

    def _walk_all(self) -> bool:
        """Walk the chain, resuming after a failed downgrade; whether head was reached."""
        start = 0
        while True:
            try:
                self._run_env(functools.partial(self._steps_from, start))
            except MigrationFailed as exc:
                if self.crash is not None:
                    raise self.crash from None
                index, phase = self.at.index, self.at.phase
                self._failed(index, phase, exc)
                if phase != "down":
                    return False
                # The downgrade was rolled back: the database is still at this revision.
                self.done = index + 1
                start = index + 1
                continue
            if self.crash is not None:
                raise self.crash
            return True

    def _run_env(self, fn: Callable[[Any, Any], Any]) -> None:
        from alembic.runtime.environment import EnvironmentContext

        assert self.history.scripts is not None
        with EnvironmentContext(self.ac, self.history.scripts, fn=fn):
            self.history.scripts.run_env()

    def _steps_from(self, start: int, _heads: Any, _context: Any) -> Iterator[Any]:
        """The steps of the walk from revision ``start``, with the proofs run between them.

        Alembic runs each yielded step in its own transaction; the code between
        two ``yield`` runs after the previous step committed.
        """
        from alembic.runtime.migration import MigrationStep

        assert self.history.scripts is not None
        revision_map = self.history.scripts.revision_map
        chain = self.history.chain
        upcoming: _Step | None = None
        for index in range(start, len(chain)):
            script = chain[index]
            step = upcoming if upcoming is not None else _Step(self, script)
            upcoming = None
            if not self._guard(step.before_up):
                return
            self.at = _Point(index, "up")
            yield MigrationStep.upgrade_from_script(revision_map, script)
            if not self._guard(step.after_up):
                return
            if step.irreversible is None:
                self.at = _Point(index, "down")
                yield MigrationStep.downgrade_from_script(revision_map, script)
                if not self._guard(step.after_down):
                    return
                self.at = _Point(index, "reup")
                yield MigrationStep.upgrade_from_script(revision_map, script)
                if index + 1 < len(chain):
                    upcoming = _Step(self, chain[index + 1])
                if not self._guard(functools.partial(step.after_reup, upcoming)):
                    return
            self.done = index + 1
            if self.on_progress is not None:
                self.on_progress(self.schema, self.backend, self.done, len(chain))

    def _guard(self, work: Callable[[], None]) -> bool:
        """Run work between steps; whether it succeeded.

        Inside Alembic's run, an exception would be reported as the failure of
        a revision, which it is not: it is kept, the walk ends, and it is
        raised once Alembic has returned.
        """
        try:
            work()
        except Exception as exc:
            if self.conn.in_transaction():
                self.conn.rollback()
            self.crash = exc
            return False
        if self.conn.in_transaction():
            self.conn.commit()
        return True

    def _failed(self, index: int, phase: str, exc: MigrationFailed) -> None:
        script = self.history.chain[index]
        rev = script.revision
        path = Path(script.path)
        _, line = _where(exc, path.parent)
        reason = _reason(exc)
        where = f"{self.cfg.rel(path)}:{line}" if line else self.cfg.rel(path)
        if phase == "up":
            seeded = self.data is not None and self.data.seeded
            rows = " (its tables held seeded rows)" if seeded and _about_rows(reason) else ""
            self.add(
                "WB202",
                f"revision {rev} fails to upgrade on {self.backend}{rows} at {where}: {reason}.",
                _failure_fix(reason, self.backend, "upgrade()"),
                script=script,
                line=line,
            )
        elif phase == "down":
            self.add(
                "WB203",
                f"the downgrade of revision {rev} fails on {self.backend} at {where}: {reason}.",
                _failure_fix(reason, self.backend, "downgrade()"),
                script=script,
                line=line,
            )
        else:
            again = f"upgrading it again then fails at {where}: {reason}"
            for i, earlier in enumerate(self.findings):
                if earlier.code == "WB205" and earlier.revision == rev:
                    # The leftover the round trip found is why; one finding says both.
                    self.findings[i] = replace(earlier, details=(*earlier.details, again))
                    return
            self.add(
                "WB206",
                f"revision {rev} upgrades once but fails to upgrade again after its downgrade "
                f"on {self.backend}, at {where}: {reason}.",
                "make downgrade() remove everything upgrade() creates, so that upgrade() can "
                "run again.",
                script=script,
                line=line,
            )

    def add(
        self,
        code: str,
        message: str,
        fix: str | None,
        *,
        script: Script | None = None,
        line: int | None = None,
        details: Sequence[str] = (),
    ) -> None:
        self.findings.append(
            _finding(
                code,
                self.schema,
                message,
                fix,
                backend=self.backend,
                revision=script.revision if script is not None else None,
                path=Path(script.path) if script is not None else None,
                line=line,
                details=details,
            )
        )

    # -- at head: the models --

    def _models_agree(self, url: str) -> None:
        pending = self._pending()
        if pending:
            shown = "; ".join(pending[:4]) + (
                f"; and {len(pending) - 4} more" if len(pending) > 4 else ""
            )
            self.add(
                "WB210",
                f"the models of {self.schema!r} are ahead of its migrations on {self.backend}: "
                f"`workbench generate` would write: {shown}.",
                f"Write the revision: workbench generate {self.schema} -m '...'.",
                details=pending,
            )
            self.findings[-1] = _with_path(self.findings[-1], self.models.path)
            return
        # The snapshot kept up to date along the walk is the database at head.
        actual = self.current
        expected = self._models_snapshot(url)
        differences = snap.diff(
            expected,
            actual,
            only={"enums", "checks", "defaults"},
            missing="is in the models but not in the database",
            extra="is in the database but not in the models",
            was="the models say",
            same_check=lambda a, b: snap.loose_sql(a) == snap.loose_sql(b),
            same_default=_same_default,
        )
        if differences:
            head = self.history.chain[-1].revision if self.history.chain else "base"
            self.add(
                "WB211",
                f"at head ({head}) the database of {self.schema!r} on {self.backend} disagrees "
                f"with the models on what autogenerate does not compare: "
                f"{'; '.join(differences[:4])}"
                f"{f'; and {len(differences) - 4} more' if len(differences) > 4 else ''}.",
                "Write a revision by hand (workbench generate "
                f"{self.schema} --empty -m '...') that makes the database match the models, "
                "or change the models to match the database.",
                details=differences,
            )
            self.findings[-1] = _with_path(self.findings[-1], self.models.path)

    def _models_snapshot(self, url: str) -> snap.Snapshot:
        """The schema ``create_all`` makes from the models, on the same backend.

        Made beside the walked schema, in a schema of its own on the scratch
        database (PostgreSQL) or an attached file (SQLite), so that the models
        and the history are reflected by the same server the same way.
        """
        conn = self.conn
        if self.backend == "sqlite":
            path = db.sqlite_path(url)
            assert path is not None
            raw: Any = conn.connection.driver_connection  # ATTACH needs autocommit
            raw.execute(f"ATTACH DATABASE '{path.with_name('models.sqlite3')}' AS {MODELS}")
        else:
            conn.exec_driver_sql(f"CREATE SCHEMA {MODELS}")
        self.models.metadata.create_all(conn.execution_options(schema_translate_map={None: MODELS}))
        conn.commit()
        found = snap.take(conn, schema=MODELS)
        # Defaults and CHECKs that name a type or sequence name it in that schema.
        return _unqualified(found, MODELS)

    def _pending(self) -> list[str]:
        """What ``workbench generate`` would write now, in words (empty: nothing)."""
        from alembic.autogenerate import RevisionContext
        from alembic.runtime.environment import EnvironmentContext

        assert self.history.scripts is not None
        found: list[str] = []

        def record(context: Any, revision: Any, directives: list[Any]) -> None:
            if directives and not is_empty(directives[0]):
                found.extend(describe_all(directives[0].upgrade_ops.ops))
            directives[:] = []

        run = RunContext(
            schema=self.models, history=self.history.history_model(), extra_hook=record
        )
        ac = _with_attributes(self.ac, {"workbench": run, "workbench.autogenerate": True})
        revision_context = RevisionContext(
            ac,
            self.history.scripts,
            {
                "message": "check",
                "autogenerate": True,
                "sql": False,
                "head": "head",
                "splice": False,
                "branch_label": None,
                "version_path": None,
                "rev_id": None,
                "depends_on": None,
            },
        )

        def retrieve(rev: Any, context: Any) -> list[Any]:
            revision_context.run_autogenerate(rev, context)
            return []

        with EnvironmentContext(
            ac,
            self.history.scripts,
            fn=retrieve,
            as_sql=False,
            template_args=revision_context.template_args,
            revision_context=revision_context,
        ):
            self.history.scripts.run_env()
        if self.conn.in_transaction():
            self.conn.commit()
        return found


MODELS = "wb_models"
"""The schema (attached database on SQLite) the models are created in, beside the history's."""


def _unqualified(found: snap.Snapshot, schema: str) -> snap.Snapshot:
    def plain(text: str | None) -> str | None:
        if text is None:
            return None
        return text.replace(f'"{schema}".', "").replace(f"{schema}.", "")

    tables = tuple(
        replace(
            t,
            columns=tuple(replace(c, default=plain(c.default)) for c in t.columns),
            checks=tuple(replace(c, sqltext=plain(c.sqltext) or "") for c in t.checks),
        )
        for t in found.tables
    )
    return replace(found, tables=tables)


def _throwaway(conn: Connection) -> None:
    """Trade durability for speed: a scratch database is dropped at the end anyway.

    Transactions keep their meaning (a failed revision still rolls back); only
    the waits for the disk go.
    """
    if conn.dialect.name == "sqlite":
        raw: Any = conn.connection.driver_connection  # autocommit: PRAGMAs outside a transaction
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA journal_mode=MEMORY")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET synchronous_commit = off")
    if conn.in_transaction():
        conn.commit()


def _with_attributes(ac: AlembicConfig, attributes: dict[str, Any]) -> AlembicConfig:
    ac.attributes.update(attributes)
    return ac


def _with_path(finding: Finding, path: Path) -> Finding:
    return replace(finding, path=path)


def _same_default(a: str | None, b: str | None) -> bool:
    if a is not None and b is not None and a.startswith("nextval(") and b.startswith("nextval("):
        # A serial column's sequence keeps the table's old name after a rename.
        return True
    norm = [snap.loose_sql(default_sql(x) or "") if x is not None else None for x in (a, b)]
    return norm[0] == norm[1]


def _about_rows(reason: str) -> bool:
    lowered = reason.lower()
    return "null" in lowered or "constraint" in lowered or "violat" in lowered


def _failure_fix(reason: str, backend: str, where: str) -> str:
    lowered = reason.lower()
    if reason.startswith("NameError"):
        return (
            f"{where} uses a name the revision file does not import: add the import at the top "
            "of the file (a generated script that uses sqlmodel's AutoString needs `import "
            "sqlmodel`)."
        )
    if "no support for alter" in lowered or (
        backend == "sqlite" and ("batch" in lowered or 'near "alter"' in lowered)
    ):
        return (
            "SQLite cannot make this change in place: put the operation inside `with "
            "op.batch_alter_table('TABLE') as batch_op:` and call it on batch_op."
        )
    if "not null" in lowered or "null value" in lowered or "contains null" in lowered:
        return (
            "a NOT NULL column cannot be added to (or imposed on) a table that holds rows "
            "without a value for them: add it nullable, backfill it with op.execute('UPDATE "
            "...'), then alter it to NOT NULL; or give it a server default that is right for "
            "the existing rows."
        )
    if "already exists" in lowered:
        return (
            "something it creates is already there: usually left behind by a downgrade (see "
            "the round-trip findings) or created twice in the history."
        )
    return f"fix {where} at the line named, then run check again."


# --- one revision: the proofs between its steps ------------------------------------------

_ROUND_TRIP_FIXES: tuple[tuple[str, str], ...] = (
    (
        r"^enum type (\S+) still exists",
        "drop it at the end of downgrade(): "
        "op.drop_enum_type('{0}') (drop_table leaves PostgreSQL enum types behind)",
    ),
    (r"^enum type (\S+) missing", "recreate it in downgrade(): op.create_enum_type('{0}', [...])"),
    (
        r"^enum type (\S+): values",
        "restore its values in downgrade(): op.sync_enum_values("
        "'{0}', [old values], old_values=[new values])",
    ),
    (
        r"^CHECK (\S+) missing",
        "recreate it in downgrade(): batch_op.create_check_constraint("
        "'{0}', '...') inside op.batch_alter_table",
    ),
    (
        r"^CHECK (\S+) still exists",
        "drop it in downgrade(): batch_op.drop_constraint('{0}', type_='check')",
    ),
    (r"^index (\S+) still exists", "drop it in downgrade(): op.drop_index('{0}')"),
    (r"^index (\S+) missing", "recreate it in downgrade(): op.create_index('{0}', ...)"),
    (
        r"^column (\S+): server default",
        "restore the server default of {0} in downgrade(): "
        "batch_op.alter_column(..., server_default=...)",
    ),
    (
        r"^table (_alembic_tmp_\S+) still exists",
        "a batch operation failed halfway and left "
        "{0}; make each revision one transaction (workbench's env.py does)",
    ),
    (r"^table (\S+) still exists", "drop it in downgrade(): op.drop_table('{0}')"),
    (r"^table (\S+) missing", "recreate it in downgrade()"),
    (r"^column (\S+) still exists", "drop it in downgrade()"),
    (r"^column (\S+) missing", "re-add it in downgrade()"),
    (r"^unique constraint (\S+) ", "restore unique constraint {0} in downgrade()"),
    (r"^foreign key (\S+) ", "restore foreign key {0} in downgrade()"),
)


def _round_trip_fix(differences: Sequence[str]) -> str:
    fixes: list[str] = []
    for sentence in differences:
        for pattern, fix in _ROUND_TRIP_FIXES:
            match = re.match(pattern, sentence)
            if match:
                text = fix.format(*match.groups())
                if text not in fixes:
                    fixes.append(text)
                break
    if not fixes:
        return "make downgrade() undo exactly what upgrade() does."
    return "; ".join(fixes[:3]) + "."


def _covers(snapshot: snap.Snapshot, scope: set[str] | None) -> bool:
    detailed = {t.name for t in snapshot.tables}
    wanted = set(snapshot.table_names) if scope is None else scope & set(snapshot.table_names)
    return wanted <= detailed


def _summary(differences: Sequence[str]) -> str:
    more = len(differences) - 3
    return "; ".join(differences[:3]) + (f"; and {more} more" if more > 0 else "")


class _Step:
    """The proofs around one revision: snapshots, rows and their comparison."""

    def __init__(self, check: _Check, script: Script) -> None:
        self.check = check
        self.script = script
        self.rev = script.revision
        history = check.history
        up_cap, down_cap = history.up[self.rev], history.down[self.rev]
        self.up = _Effect.of(up_cap)
        self.down = _Effect.of(down_cap)
        # SQL run through the connection itself is not an operation capture can see.
        self.up.opaque |= _uses_connection(script, "upgrade")
        self.down.opaque |= _uses_connection(script, "downgrade")
        self.irreversible = down_cap.error if down_cap.raises == "NotImplementedError" else None
        assert check.data is not None
        self.data = check.data
        self.preset: snap.Snapshot | None = None
        """The snapshot the previous revision took after its last upgrade, if it covers ours."""

    def report(self, code: str, message: str, fix: str, line: int | None) -> None:
        """A finding about this revision, at ``line`` of its file."""
        self.check.add(code, message, fix, script=self.script, line=line)

    def scope_in(self, state: snap.Snapshot) -> set[str] | None:
        """The tables this revision may change, in the database ``state`` describes.

        Those its operations name and those that refer to them (a rename or a
        rebuilt table changes their foreign keys); ``None`` for every table,
        when it runs SQL or code the workbench cannot read.
        """
        if self.up.opaque or self.down.opaque:
            return None
        named = self.up.touched | self.down.touched
        return named | state.referring(named)

    def before_up(self) -> None:
        check, script = self.check, self.script
        current = check.current
        self.scope = self.scope_in(current)
        preset = self.preset
        if preset is not None and _covers(preset, self.scope):
            self.before = preset if self.scope is None else preset.restricted(self.scope)
        else:
            self.before = snap.take(check.conn, self.scope)
        check.current = current.merged(self.before)
        self.data.seed_empty(self.scope)
        self.rows_before = self.data.measure(self.up, self.down, self.scope)
        if self.irreversible is not None:
            self.check.add(
                "WB204",
                f"revision {self.rev} is irreversible: its downgrade raises NotImplementedError"
                f"{f' ({self.irreversible})' if self.irreversible != 'NotImplementedError' else ''}"
                ", so it cannot be rolled back if it goes wrong in production.",
                "write downgrade() so that it undoes upgrade(); if the change truly cannot be "
                "undone, keep the irreversible part in a revision of its own, as small as "
                "possible.",
                script=script,
                line=_def_line(script, "downgrade"),
            )

    def _scope_after(self) -> set[str] | None:
        if self.scope is None:
            return None
        return (
            self.scope
            | self.up.created
            | set(self.up.renamed.values())
            | self.down.created
            | set(self.down.renamed.values())
        )

    def after_up(self) -> None:
        conn = self.check.conn
        self.after_up_snap = snap.take(conn, self._scope_after())
        self.check.current = self.check.current.merged(self.after_up_snap)
        self.state_up = self.check.current
        self.rows_up = self.data.measure(self.up, self.down, self._scope_after())
        self.data.compare(self, "upgrade", self.up, self.rows_before, self.rows_up)
        self.data.untouched(self, "upgrade", self.rows_before, self.rows_up)
        if self.irreversible is not None:
            self.data.forget(self.up)

    def after_down(self) -> None:
        conn = self.check.conn
        after = snap.take(conn, self._scope_after())
        differences = snap.diff(self.before, after)
        if differences:
            self.check.add(
                "WB205",
                f"the downgrade of revision {self.rev} does not restore the schema on "
                f"{self.check.backend}: {_summary(differences)}.",
                _round_trip_fix(differences),
                script=self.script,
                line=_def_line(self.script, "downgrade"),
                details=differences,
            )
        self.check.current = self.check.current.merged(after)
        rows_down = self.data.measure(self.up, self.down, self._scope_after())
        self.data.compare(self, "downgrade", self.down, self.rows_up, rows_down)
        self.data.untouched(self, "downgrade", self.rows_up, rows_down)

    def after_reup(self, upcoming: _Step | None) -> None:
        """Compare with the first upgrade; the same snapshot serves the next revision."""
        conn = self.check.conn
        scope = self._scope_after()
        if upcoming is not None and scope is not None:
            extra = upcoming.scope_in(self.state_up)
            scope = None if extra is None else scope | extra
        again = snap.take(conn, scope)
        if upcoming is not None:
            upcoming.preset = again
        differences = snap.diff(self.after_up_snap, again, extra="appears", missing="is missing")
        if differences:
            self.check.add(
                "WB206",
                f"revision {self.rev} does not give the same schema when upgraded again after "
                f"its downgrade on {self.check.backend}: {_summary(differences)}.",
                "make downgrade() undo exactly what upgrade() does, so upgrade() starts from "
                "the same schema each time.",
                script=self.script,
                line=_def_line(self.script, "upgrade"),
                details=differences,
            )
        self.check.current = self.check.current.merged(again)
        self.data.forget(self.up)


# --- rows: seeding, measuring, comparing -------------------------------------------------


@dataclass(frozen=True)
class _TableRows:
    """What is measured of one table: its row count, and either a checksum or per-column counts."""

    rows: int
    digest: str | None = None
    non_null: tuple[tuple[str, int], ...] = ()

    def count(self, column: str) -> int | None:
        return next((n for c, n in self.non_null if c == column), None)


def _report_drop(step: _Step, what: str, held: str, fix: str, line: int | None) -> None:
    step.report("WB222", f"revision {step.rev}'s upgrade drops {what} holding {held}.", fix, line)


class _Data:
    """Seeds rows before each step and proves the step keeps them (the fourth proof)."""

    def __init__(self, conn: Connection, check: _Check) -> None:
        self.conn = conn
        self.check = check
        self.filled: set[str] = set()
        """Tables seeded (or found holding rows) and not emptied since."""
        self.unseedable: set[str] = set()
        self.seeded = False

    def seed_empty(self, scope: set[str] | None) -> None:
        """Seed the tables a step may change (``scope``; ``None``: all) that hold no rows yet.

        Only those can show a step losing rows: the others are neither measured
        nor at risk. The tables they refer to are seeded first when empty, so
        that foreign keys find parent rows. Seeding uses the seed engine on the
        tables as they are now (reflected), in its own transaction; a table it
        cannot fill is reported (WB223) and left out of the data proofs.
        """
        from workbench.errors import SeedError

        current = self.check.current
        wanted = set(current.table_names) if scope is None else scope
        empty = self._parents_first(wanted)
        if not empty:
            return
        try:
            self._seed(empty)
        except SeedError:
            self.conn.rollback()
            for table in empty:
                try:
                    self._seed([table])
                except SeedError as exc:
                    self.conn.rollback()
                    self.unseedable.add(table)
                    self.check.add(
                        "WB223",
                        f"table {table} could not be seeded on {self.check.backend} ({exc.text}); "
                        "the data proofs leave it out.",
                        "nothing to fix in the history if the table is valid; the other proofs "
                        "still cover it.",
                    )
        self.filled.update(t for t in empty if t not in self.unseedable)

    def _parents_first(self, tables: set[str]) -> list[str]:
        """The empty tables among ``tables`` and their empty ancestors, parents before children."""
        current = self.check.current
        existing = set(current.table_names)
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name not in existing:
                return
            seen.add(name)
            snapshot = current.table(name)
            for fk in snapshot.foreign_keys if snapshot is not None else ():
                if fk.referred_table != name:
                    visit(fk.referred_table)
            if (
                name not in self.filled
                and name not in self.unseedable
                and not name.startswith("_alembic_tmp_")
            ):
                order.append(name)

        for name in sorted(tables):
            visit(name)
        return order

    def _seed(self, tables: list[str]) -> None:
        import sqlalchemy as sa

        from workbench.seed import seed_connection

        # The tables they refer to come along (without theirs: the cost stays per table),
        # so that foreign keys find their parents' rows.
        current = self.check.current
        parents = {
            fk.referred_table
            for name in tables
            for fk in (current.table(name) or snap.TableSnapshot(name, ())).foreign_keys
        }
        wanted = set(current.table_names) & (set(tables) | parents)
        metadata = sa.MetaData()
        metadata.reflect(self.conn, only=sorted(wanted), resolve_fks=False)
        rows: dict[str, int] = {"*": 0, **dict.fromkeys(tables, ROWS)}
        report = seed_connection(self.conn, metadata, rows, seed=SEED, schema=self.check.schema)
        self.conn.commit()
        self.seeded = self.seeded or any(t.rows for t in report.tables)

    def forget(self, effect: _Effect) -> None:
        """Tables the step made are empty (and dropped ones gone): seed them before the next."""
        self.filled -= effect.created | effect.dropped

    def measure(self, up: _Effect, down: _Effect, scope: set[str] | None) -> dict[str, _TableRows]:
        """Row counts and checksums of the tables a step may change."""
        current = self.check.current
        named = up.touched | down.touched
        names = set(current.table_names) if scope is None else (scope & set(current.table_names))
        out: dict[str, _TableRows] = {}
        for name in sorted(names):
            if name.startswith("_alembic_tmp_"):
                continue
            table = current.table(name)
            if name in named and table is not None:
                out[name] = self._counts(name, table.column_names)
            else:
                out[name] = self._digest(name)
        return out

    def _quote(self, name: str) -> str:
        return str(self.conn.dialect.identifier_preparer.quote(name))

    def _counts(self, table: str, columns: Sequence[str]) -> _TableRows:
        parts = ["count(*)", *(f"count({self._quote(c)})" for c in columns)]
        row = self.conn.exec_driver_sql(
            f"SELECT {', '.join(parts)} FROM {self._quote(table)}"
        ).one()
        return _TableRows(int(row[0]), None, tuple(zip(columns, map(int, row[1:]), strict=True)))

    def _digest(self, table: str) -> _TableRows:
        rows = self.conn.exec_driver_sql(f"SELECT * FROM {self._quote(table)}").fetchall()
        body = "\n".join(sorted(repr(tuple(r)) for r in rows))
        return _TableRows(len(rows), hashlib.sha256(body.encode()).hexdigest())

    def compare(
        self,
        step: _Step,
        direction: str,
        effect: _Effect,
        before: dict[str, _TableRows],
        after: dict[str, _TableRows],
    ) -> None:
        """Rows of the tables ``effect`` touches survive where its operations keep data."""
        for table, was in sorted(before.items()):
            if table not in effect.touched or was.digest is not None or was.rows == 0:
                continue
            new_name = effect.after(table)
            line = effect.lines.get(table)
            if new_name is None:
                if direction == "upgrade":
                    _report_drop(
                        step,
                        f"table {table}",
                        f"{was.rows} row(s)",
                        "if the data is still wanted, copy it elsewhere first, or rename the "
                        "table instead of dropping it.",
                        effect.drop_lines.get((table, None), line),
                    )
                continue
            now = after.get(new_name)
            if now is None:
                continue
            if now.rows < was.rows:
                step.report(
                    "WB221",
                    f"revision {step.rev}'s {direction} loses rows of {table}: "
                    f"{was.rows - now.rows} of {was.rows} row(s) are gone on "
                    f"{step.check.backend}.",
                    "a schema change must keep every row; move DELETE statements out of the "
                    "revision, or make them restore the rows in the other direction.",
                    line,
                )
                continue
            for column, count in was.non_null:
                moved = effect.column_after(table, column)
                if moved is None:
                    if direction == "upgrade" and count:
                        _report_drop(
                            step,
                            f"column {table}.{column}",
                            f"{count} non-null value(s)",
                            "if this is a rename, rename in place (alter_column(..., "
                            "new_column_name=...)); if the data is still wanted, copy it first.",
                            effect.drop_lines.get((table, column), line),
                        )
                    continue
                kept = now.count(moved)
                renamed = (new_name, moved) != (table, column)
                if kept is not None and kept < count:
                    step.report(
                        "WB221",
                        f"revision {step.rev}'s {direction} loses values of {table}.{column}"
                        f"{f' (now {new_name}.{moved})' if renamed else ''}"
                        f": {count - kept} of {count} non-null value(s) are NULL now on "
                        f"{step.check.backend}.",
                        "keep the values: rename in place instead of drop + add, change the type "
                        "with a USING expression that converts them, backfill before dropping.",
                        line,
                    )

    def untouched(
        self,
        step: _Step,
        direction: str,
        before: dict[str, _TableRows],
        after: dict[str, _TableRows],
    ) -> None:
        """Tables the step does not name keep exactly their rows."""
        for table, was in sorted(before.items()):
            now = after.get(table)
            if was.digest is None or now is None or now.digest == was.digest:
                continue
            change = (
                f"{was.rows} row(s) before, {now.rows} after"
                if now.rows != was.rows
                else f"the same {was.rows} row count, different values"
            )
            step.report(
                "WB220",
                f"revision {step.rev}'s {direction} changes the rows of {table} on "
                f"{step.check.backend}, a table it does not touch: {change}.",
                "a revision must only change the tables it names: look for op.execute() "
                "statements that reach other tables, and for cascading foreign keys.",
                _def_line(step.script, direction),
            )
