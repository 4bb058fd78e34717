"""One schema on one backend: the walk of its chain on one scratch database.

The chain is walked in one Alembic run: each step (upgrade, downgrade,
upgrade again) runs in Alembic's own per-revision transaction, and the proofs
of :mod:`workbench.check.step` run between them.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench import db, pgschemas
from workbench import snapshot as snap
from workbench.check.casts import Probe, convert_fix, explain
from workbench.check.codes import about_rows, failure_fix, make_finding, reason_of, where_in
from workbench.check.head import models_agree
from workbench.check.history import History
from workbench.check.ignores import ignored
from workbench.check.rebuild import Rebuilt, rebuild
from workbench.check.rows import Data
from workbench.check.step import Step
from workbench.check.targets import backend_of
from workbench.compat import forget_created_types
from workbench.config import Config
from workbench.envpy import RunContext
from workbench.errors import MigrationFailed
from workbench.loader import Schema, create_baseline
from workbench.results import Finding
from workbench.revisions import Capture, alembic_config

if TYPE_CHECKING:
    from alembic.script import Script
    from sqlalchemy.engine import Connection

StepProgress = Callable[[str, str, int, int], None]
"""``(schema, backend, revisions done, revisions in all)``, called as the walk advances."""


@dataclass
class Point:
    """Where the walk stands: the revision index, and the step about to run."""

    index: int = 0
    phase: str = "up"


@dataclass(frozen=True)
class _Failure:
    """A revision that failed, as its finding shows it."""

    script: Script
    line: int | None
    where: str
    """The revision file, and the line of the failure in it when known."""
    reason: str
    then: str
    """What the walk did next (went on from a rebuilt state, or stopped); empty for a downgrade."""

    @property
    def rev(self) -> str:
        return str(self.script.revision)


class Walk:
    """Walk one schema's chain on one scratch database of one backend, collecting findings."""

    def __init__(
        self,
        cfg: Config,
        schema: str,
        models: Schema,
        history: History,
        target: str,
        on_progress: StepProgress | None,
        *,
        compare_models: bool = True,
    ) -> None:
        self.cfg = cfg
        self.schema = schema
        self.models = models
        self.compare_models = compare_models
        """False when the models cannot be created here (WB212): no comparison at head."""
        self.history = history
        self.target = target
        self.backend = backend_of(target)
        self.on_progress = on_progress
        self.findings: list[Finding] = []
        self.done = 0
        self.at = Point()
        self.crash: BaseException | None = None
        self.current = snap.Snapshot(self.backend, (), ())
        self.data: Data | None = None
        self.ignored: list[Finding] = []
        """Findings a ``# workbench: ignore[CODE]`` comment accepts."""
        self.walked: set[int] = set()
        """Indexes of the revisions whose upgrade the walk ran."""
        self.baseline = cfg.spec(schema).baseline
        self.approximate: Rebuilt | None = None
        """Set once the walk goes on from a state rebuilt only approximately."""
        self.probes: list[Probe] = []
        """Values the step about to run cannot cast (:mod:`workbench.check.casts`)."""

    # -- driving Alembic --

    def run(self) -> None:
        self._db = contextlib.ExitStack()
        try:
            self.open_scratch()
            if self._walk_all() and self.compare_models:
                models_agree(self, self.url)
        finally:
            self._db.close()

    def open_scratch(self) -> None:
        """Walk on a new, empty scratch database from now on (the previous one is dropped)."""
        self._db.close()
        self._db = contextlib.ExitStack()
        self.url = url = self._db.enter_context(db.scratch(self.target))
        self.conn = conn = self._db.enter_context(db.connect(url, migrating=True))
        _throwaway(conn)
        named = pgschemas.mentioned(c.op for cap in self.history.up.values() for c in cap.ops)
        pgschemas.fold_into(conn, pgschemas.compared_schemas(self.models.metadata, named))
        # A history that starts from tables made outside it starts from them here too.
        create_baseline(self.cfg, self.schema, conn)
        self.data = Data(conn, self)
        self.current = snap.Snapshot(self.backend, (), ())
        self.ac = alembic_config(
            self.cfg,
            self.schema,
            url=url,
            attributes={"connection": conn, "workbench": RunContext()},
        )

    def detach(self) -> tuple[Any, ...]:
        """The current scratch database, kept open while another is tried (see :meth:`attach`)."""
        held = (self._db, self.url, self.conn, self.data, self.current, self.ac)
        self._db = contextlib.ExitStack()
        return held

    def attach(self, held: tuple[Any, ...]) -> None:
        """Walk on a scratch database :meth:`detach` kept, dropping the one in use."""
        self._db.close()
        self._db, self.url, self.conn, self.data, self.current, self.ac = held

    def _walk_all(self) -> bool:
        """Walk the chain to head, going on after each failed step; whether head was reached.

        After a failed downgrade the database is still at the revision (the
        downgrade rolled back). After a failed upgrade it is not: the state at
        that revision is rebuilt on a fresh scratch database
        (:func:`~workbench.check.rebuild.rebuild`) and the walk goes on from there.
        """
        start = 0
        stuck: tuple[int, str] | None = None
        while True:
            try:
                self.run_env(functools.partial(self._steps_from, start))
            except MigrationFailed as exc:
                if self.crash is not None:
                    raise self.crash from None
                if self.conn.in_transaction():
                    # PostgreSQL: an aborted transaction refuses every later statement.
                    self.conn.rollback()
                index, phase = self.at.index, self.at.phase
                if (index, phase) == stuck:
                    # Failed again before any step ran: nothing would change on another try.
                    raise MigrationFailed(
                        f"the walk of {self.schema!r} on {self.backend} cannot go on after "
                        f"revision {self.history.chain[index].revision}: {reason_of(exc)}."
                    ) from exc
                stuck = (index, phase)
                self.walked.add(index)
                seeded = self.data is not None and self.data.seeded
                rebuilt = None if phase == "down" else rebuild(self, index)
                self._failed(index, phase, exc, seeded, rebuilt)
                if phase != "down":
                    if rebuilt is None:
                        return False
                    if not rebuilt.exact:
                        self.approximate = rebuilt
                    self.current = snap.take(self.conn)
                self.done = index + 1
                start = index + 1
                if start == len(self.history.chain):
                    return True
                continue
            if self.crash is not None:
                raise self.crash
            return True

    def run_env(self, fn: Callable[[Any, Any], Any]) -> None:
        """Run ``fn`` (Alembic's per-command function) through the schema's env.py."""
        from alembic.runtime.environment import EnvironmentContext

        assert self.history.scripts is not None
        if self.conn.in_transaction():
            # A run that starts inside a transaction is the caller's: the runner would then
            # leave SQLite's foreign keys on, and a batch rebuild of a parent table fails on
            # its children's rows. What the walk read or wrote since is kept.
            self.conn.commit()
        with EnvironmentContext(self.ac, self.history.scripts, fn=fn):
            self.history.scripts.run_env()

    def _steps_from(self, start: int, _heads: Any, context: Any) -> Iterator[Any]:
        """The steps of the walk from revision ``start``, with the proofs run between them.

        Alembic runs each yielded step in its own transaction; the code between
        two ``yield`` runs after the previous step committed.
        """
        from alembic.runtime.migration import MigrationStep

        assert self.history.scripts is not None
        revision_map = self.history.scripts.revision_map
        chain = self.history.chain
        upcoming: Step | None = None
        for index in range(start, len(chain)):
            script = chain[index]
            step = upcoming if upcoming is not None else Step(self, script)
            upcoming = None
            if not self._guard(step.before_up):
                return
            self.at = Point(index, "up")
            self.walked.add(index)
            forget_created_types(context)
            yield MigrationStep.upgrade_from_script(revision_map, script)
            if not self._guard(step.after_up):
                return
            if step.irreversible is None:
                self.at = Point(index, "down")
                forget_created_types(context)
                yield MigrationStep.downgrade_from_script(revision_map, script)
                if not self._guard(step.after_down):
                    return
                self.at = Point(index, "reup")
                forget_created_types(context)
                yield MigrationStep.upgrade_from_script(revision_map, script)
                if index + 1 < len(chain):
                    upcoming = Step(self, chain[index + 1])
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
        except Exception as exc:  # kept and raised after Alembic returns (see above)
            if self.conn.in_transaction():
                self.conn.rollback()
            self.crash = exc
            return False
        if self.conn.in_transaction():
            self.conn.commit()
        return True

    def _failed(
        self,
        index: int,
        phase: str,
        exc: MigrationFailed,
        seeded: bool,
        rebuilt: Rebuilt | None,
    ) -> None:
        """The finding for a revision that failed in ``phase`` (up, down, or up again)."""
        script = self.history.chain[index]
        path = Path(script.path)
        _, line = where_in(exc, path.parent)
        then = ""
        if phase != "down":
            then = (
                f" The walk went on from {rebuilt.how}."
                if rebuilt is not None
                else f" The walk stops here: no state at {script.revision} could be rebuilt."
            )
        failure = _Failure(
            script,
            line,
            f"{self.cfg.rel(path)}:{line}" if line else self.cfg.rel(path),
            reason_of(exc),
            then,
        )
        if phase == "up":
            self._failed_up(index, failure, exc, seeded, rebuilt)
        elif phase == "down":
            self.add(
                "WB203",
                f"the downgrade of revision {failure.rev} fails on {self.backend} at "
                f"{failure.where}: {failure.reason}.",
                failure_fix(failure.reason, self.backend, "downgrade()"),
                script=script,
                line=line,
            )
        else:
            self._failed_again(failure)

    def _failed_up(
        self,
        index: int,
        failure: _Failure,
        exc: MigrationFailed,
        seeded: bool,
        rebuilt: Rebuilt | None,
    ) -> None:
        """WB202: a revision fails to upgrade, on a cast, on made-up rows, or on its own."""
        rev, where, reason, then = failure.rev, failure.where, failure.reason, failure.then
        explained = explain(self.probes, reason)
        if explained is not None:
            probe, said = explained
            self.add(
                "WB202",
                f"revision {rev} fails to upgrade on {self.backend} at {where}: {said}.{then}",
                convert_fix(probe.cast, self.backend),
                script=failure.script,
                line=failure.line,
            )
        elif (
            seeded
            and rebuilt is not None
            and rebuilt.exact
            and _judges_values(exc, reason, self.history.up.get(rev))
        ):
            # It runs on an empty database and fails on the rows check made up: its own
            # code read a value it did not expect. Whether real rows hold such values is
            # the author's knowledge, not check's.
            self.add(
                "WB202",
                f"revision {rev} fails to upgrade on {self.backend} on the rows check seeded "
                f"(made-up values, not your data) at {where}: {reason}.{then}",
                "if rows like these can exist in your database, make upgrade() handle them; "
                "if they cannot, nothing to fix.",
                script=failure.script,
                line=failure.line,
                severity="warning",
            )
        elif _PLACEHOLDER.search(reason):
            # psycopg reads a '%' in SQL text as a placeholder (format('%I') in a query run
            # through exec_driver_sql); asyncpg and other drivers do not: not the history's.
            self.add(
                "WB202",
                f"revision {rev} fails to upgrade on {self.backend} with psycopg, the driver "
                f"check runs on, at {where}: {reason}.{then}",
                "if the application runs its migrations with psycopg, write '%%' for a '%' in "
                "that SQL; with another driver (asyncpg), nothing to fix.",
                script=failure.script,
                line=failure.line,
                severity="warning",
            )
        else:
            rows = " (its tables held seeded rows)" if seeded and about_rows(reason) else ""
            missing = self._never_created(index, reason)
            self.add(
                "WB202",
                f"revision {rev} fails to upgrade on {self.backend}{rows} at {where}: {reason}."
                f"{then}",
                (
                    f"no revision before {rev} creates table {missing}: the history starts from "
                    "tables made outside it. If the application makes them before its first "
                    "upgrade (create_all on its initial models), declare those models: "
                    f'baseline = "MODULE:ATTR" in [tool.workbench.schema.{self.schema}] '
                    "(see docs/adopt.md); otherwise add a revision that creates them."
                )
                if missing is not None and self.baseline is None
                else failure_fix(reason, self.backend, "upgrade()"),
                script=failure.script,
                line=failure.line,
            )

    def _failed_again(self, failure: _Failure) -> None:
        """WB206 (a revision does not upgrade again after its downgrade), or a detail of WB205."""
        rev, where, reason = failure.rev, failure.where, failure.reason
        again = f"upgrading it again then fails at {where}: {reason}.{failure.then}"
        for i, earlier in enumerate(self.findings):
            if earlier.code == "WB205" and earlier.revision == rev:
                # The leftover the round trip found is why; one finding says both.
                self.findings[i] = replace(earlier, details=(*earlier.details, again))
                return
        self.add(
            "WB206",
            f"revision {rev} upgrades once but fails to upgrade again after its downgrade "
            f"on {self.backend}, at {where}: {reason}.{failure.then}",
            "make downgrade() remove everything upgrade() creates, so that upgrade() can "
            "run again.",
            script=failure.script,
            line=failure.line,
        )

    def _never_created(self, index: int, reason: str) -> str | None:
        """The table a failure says is missing, when no revision before ``index`` creates it."""
        from workbench.check.effects import Effect

        match = _MISSING_TABLE.search(reason)
        if match is None:
            return None
        table = match.group(1) or match.group(2)
        for script in self.history.chain[:index]:
            if table in Effect.of(self.history.up[script.revision]).created:
                return None
        return table

    def add(
        self,
        code: str,
        message: str,
        fix: str | None,
        *,
        script: Script | None = None,
        line: int | None = None,
        details: Sequence[str] = (),
        severity: Literal["error", "warning", "info"] | None = None,
    ) -> None:
        """A finding of this walk; after an approximate rebuild, errors become warnings.

        ``severity`` overrides the code's own (a warning when the walk cannot decide).
        """
        found = make_finding(
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
        if severity is not None:
            found = replace(found, severity=severity)
        if self.approximate is not None and found.severity == "error":
            # Found on a state the walk could only approximate: it may follow from that.
            note = (
                f"found after the state at {self.approximate.revision} was rebuilt "
                f"approximately ({self.approximate.how}); it may follow from that"
            )
            found = replace(found, severity="warning", details=(*found.details, note))
        accepted = ignored(found.path, found.line, code)
        if accepted is not None:
            # The author accepts it: reported as ignored, not as a finding.
            self.ignored.append(
                replace(
                    found,
                    details=(
                        *found.details,
                        f"ignored: # workbench: ignore[{code}] at line {accepted}",
                    ),
                )
            )
            return
        self.findings.append(found)

    # -- at head: the models --


_PLACEHOLDER = re.compile(r"are allowed as placeholders, got '%")
"""psycopg refusing a '%' it took for a placeholder."""

_UNIQUE_REFUSED = re.compile(r"UNIQUE constraint failed|duplicate key value", re.IGNORECASE)
_KEY_REFUSED = re.compile(
    r"FOREIGN KEY constraint failed|violates foreign key constraint", re.IGNORECASE
)


def _judges_values(exc: BaseException, reason: str, capture: Capture | None) -> bool:
    """Whether a failure depends on the values of the rows check made up.

    The revision's own code reading a value it could not parse or use (made-up
    text where the application always writes JSON), or the database refusing
    made-up values under a UNIQUE or FOREIGN KEY the revision itself adds (a
    checksum of made-up fields that collides, made-up keys that point nowhere).
    Not the database refusing the change itself (a NOT NULL column added to a
    table with rows, one constant written into every row's key: any real rows
    fail too), and not a NULL the code did not expect (a nullable column holds
    NULLs in real data).
    """
    from sqlalchemy.exc import SQLAlchemyError

    if capture is not None and _adds_what_refused(capture, reason):
        return True
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, SQLAlchemyError) or isinstance(exc, SQLAlchemyError):
        return False
    return "NoneType" not in reason


def _adds_what_refused(capture: Capture, reason: str) -> bool:
    """Whether the revision adds the kind of constraint the database refused values under."""
    unique, key = bool(_UNIQUE_REFUSED.search(reason)), bool(_KEY_REFUSED.search(reason))
    return any(
        (unique and c.kind == "create_unique_constraint")
        or (unique and c.kind == "create_index" and bool(getattr(c.op, "unique", False)))
        or (key and c.kind == "create_foreign_key")
        for c in capture.ops
    )


_MISSING_TABLE = re.compile(
    r'no such table: (?:\w+\.)?(\w+)|relation "(?:\w+\.)?(\w+)" does not exist'
)


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
