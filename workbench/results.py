"""Typed results that capabilities return and the CLI renders.

Every result is a frozen dataclass with a ``to_json()`` that gives the document
the ``--json`` contract (README.md, docs/) promises. Capabilities share these types so
that they never need to import one another. ``advise``'s results live in
:mod:`workbench.advice` and are re-exported here, loaded on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

Direction = Literal["up", "down"]


# --- the spine: schemas, revisions, migrations -------------------------------------------


@dataclass(frozen=True)
class Revision:
    """One revision file of a schema's history."""

    id: str
    down_revisions: tuple[str, ...]
    message: str
    path: Path
    is_head: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "down_revisions": list(self.down_revisions),
            "message": self.message,
            "path": str(self.path),
            "is_head": self.is_head,
        }


@dataclass(frozen=True)
class SchemaSummary:
    """What ``workbench schemas`` shows for one schema."""

    name: str
    path: Path
    tables: int
    revisions: int
    head: str | None
    target: str
    """The target URL, password redacted."""
    current: str | None
    target_state: Literal["absent", "empty", "stamped", "unreachable"]
    """``absent``: the embedded SQLite file does not exist yet; ``empty``: no
    revision applied; ``stamped``: ``current`` holds the revision."""
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "tables": self.tables,
            "revisions": self.revisions,
            "head": self.head,
            "target": self.target,
            "current": self.current,
            "target_state": self.target_state,
            "error": self.error,
        }


@dataclass(frozen=True)
class GenerateResult:
    """The revision ``generate`` wrote, or ``None`` when the models had no changes."""

    schema: str
    revision: str | None
    path: Path | None
    operations: tuple[str, ...] = ()
    """One human line per operation written, upgrade direction."""
    notes: tuple[str, ...] = ()
    """What the writer should look at: a drop + add left as written that looks like a
    rename, a NOT NULL column added with no value for existing rows (``workbench lint``
    reports both as errors)."""
    fixes: tuple[str, ...] = ()
    """The flags that resolve the notes, such as ``--rename users.full_name=display_name``."""
    replaced: str | None = None
    """The revision ``--replace`` removed (the newest, not applied to the target)."""
    refused: bool = False
    """Nothing was written: the revision was known to be unsafe (``notes``) and nobody
    accepted it (no terminal to ask on, and no ``--accept``)."""
    backends: tuple[str, ...] = ()
    """The backends the revision was proven on (upgrade, downgrade, upgrade), such as
    ``("sqlite", "postgresql")``."""
    unproved: tuple[str, ...] = ()
    """Backends the schema supports that it was not proven on, each with the reason."""

    @property
    def changed(self) -> bool:
        return self.path is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.refused,
            "schema": self.schema,
            "revision": self.revision,
            "path": str(self.path) if self.path else None,
            "operations": list(self.operations),
            "notes": list(self.notes),
            "fixes": list(self.fixes),
            "replaced": self.replaced,
            "refused": self.refused,
            "backends": list(self.backends),
            "unproved": list(self.unproved),
        }


@dataclass(frozen=True)
class Step:
    """One revision applied in one transaction."""

    revision: str
    message: str
    direction: Direction
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "message": self.message,
            "direction": self.direction,
            "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True)
class MigrateResult:
    """The outcome of ``upgrade`` or ``downgrade``: the steps applied, or the SQL rendered."""

    schema: str
    target: str
    direction: Direction
    before: str | None
    after: str | None
    steps: tuple[Step, ...] = ()
    sql: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "target": self.target,
            "direction": self.direction,
            "before": self.before,
            "after": self.after,
            "steps": [s.to_json() for s in self.steps],
            "sql": self.sql,
        }


@dataclass(frozen=True)
class CurrentResult:
    """Where a target stands against the history."""

    schema: str
    target: str
    revision: str | None
    head: str | None

    @property
    def at_head(self) -> bool:
        return self.revision == self.head

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "target": self.target,
            "revision": self.revision,
            "head": self.head,
            "at_head": self.at_head,
        }


@dataclass(frozen=True)
class InitResult:
    """The files ``init`` created, and those it found and left alone."""

    root: Path
    created: tuple[Path, ...] = ()
    kept: tuple[Path, ...] = ()


@dataclass(frozen=True)
class AdoptedSchema:
    """One existing Alembic history that ``init --adopt`` found, and what it learnt of it."""

    name: str
    ini: Path | None
    """The ``alembic.ini`` (``None`` for a ``[tool.alembic]`` table in pyproject.toml)."""
    script_location: Path
    revisions: int
    models: str | None
    """The models' import path, or ``None`` when it could not be found (see ``notes``)."""
    version_table: str | None = None
    written: bool = False
    """Whether its ``[tool.workbench.schema.NAME]`` table was written (not already there)."""
    notes: tuple[str, ...] = ()
    """What was found, and what could not be determined, in plain words."""
    tables: int | None = None
    """How many tables the models hold once imported; ``None`` when they did not load."""


@dataclass(frozen=True)
class AdoptResult:
    """What ``init --adopt`` found in a project and wrote to its ``pyproject.toml``."""

    root: Path
    pyproject: Path
    schemas: tuple[AdoptedSchema, ...] = ()
    created: bool = False
    """Whether ``pyproject.toml`` was created (else tables were appended to it)."""


@dataclass(frozen=True)
class DestructiveChange:
    """Data an operation would destroy in a live target, counted before it runs."""

    revision: str
    description: str
    """A sentence such as ``drops column users.bio holding 1,234 non-null values``."""
    rows: int

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "description": self.description, "rows": self.rows}


# --- status and squash --------------------------------------------------------------------


@dataclass(frozen=True)
class PendingRevision:
    """A revision the target has not applied yet, with what it does."""

    id: str
    message: str
    path: Path
    operations: tuple[str, ...] = ()
    """One human line per operation of its upgrade."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message": self.message,
            "path": str(self.path),
            "operations": list(self.operations),
        }


@dataclass(frozen=True)
class StatusReport:
    """What ``status`` found for one schema: where the target stands and what would run."""

    schema: str
    target: str
    """The target URL, password redacted."""
    current: str | None
    head: str | None
    target_state: Literal["absent", "empty", "stamped"]
    pending: tuple[PendingRevision, ...] = ()
    """The revisions ``upgrade`` would run, in order."""
    destructive: tuple[DestructiveChange, ...] = ()
    """What the destructive-apply guard counts for them on the target."""
    guard: Literal["predicted", "measured"] = "predicted"
    """``predicted``: counted from the operations the revisions expose, without running them;
    ``measured``: the revisions were run in a transaction that was rolled back."""
    findings: tuple[Finding, ...] = ()
    """Lint findings on the pending revisions."""

    @property
    def ok(self) -> bool:
        """Nothing pending destroys data, and no pending revision has a lint error."""
        return not self.destructive and not any(f.severity == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "schema": self.schema,
            "target": self.target,
            "current": self.current,
            "head": self.head,
            "target_state": self.target_state,
            "pending": [p.to_json() for p in self.pending],
            "guard": self.guard,
            "destructive": [d.to_json() for d in self.destructive],
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class SquashResult:
    """The revision ``squash`` wrote in place of the start of a history."""

    schema: str
    revision: str
    """The squashed revision's id: the id of the last revision it replaces."""
    path: Path
    removed: tuple[str, ...]
    """The revisions replaced, base first (the last one's id lives on)."""
    dropped: tuple[str, ...] = ()
    """Data migrations inside the range, left out of the squashed revision, one line each."""
    backends: tuple[str, ...] = ()
    """Where the squashed history was proved to build the same schema."""
    unproved: tuple[str, ...] = ()
    """Backends the schema supports that it was not proved on, with the reason."""

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "revision": self.revision,
            "path": str(self.path),
            "removed": list(self.removed),
            "dropped": list(self.dropped),
            "backends": list(self.backends),
            "unproved": list(self.unproved),
        }


# --- check, lint, advise, seed, diagram ---------------------------------------------------

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One problem found by ``check`` or ``lint``."""

    code: str
    severity: Severity
    message: str
    schema: str = ""
    backend: str = ""
    revision: str | None = None
    path: Path | None = None
    line: int | None = None
    details: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "backend": self.backend,
            "revision": self.revision,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "path": str(self.path) if self.path else None,
            "line": self.line,
            "details": list(self.details),
        }


# --- safety: rename intent, backfills, lint -----------------------------------------------


@dataclass(frozen=True)
class RenameCandidate:
    """A dropped and an added column (or table) that look alike: maybe a rename."""

    kind: Literal["column", "table"]
    table: str
    """The table (for a column); for a table, its new name."""
    old: str
    new: str

    @property
    def question(self) -> str:
        """The question ``generate`` asks on a terminal."""
        if self.kind == "table":
            return f"Did you rename table {self.old} to {self.new}?"
        return f"Did you rename {self.table}.{self.old} to {self.table}.{self.new}?"


@dataclass(frozen=True)
class BackfillRequest:
    """A NOT NULL column on a table that may hold rows, with no value for those rows yet."""

    table: str
    column: str
    type: str
    """The column's type as PostgreSQL spells it, such as ``VARCHAR(100)``."""
    direction: Literal["upgrade", "downgrade"]
    action: Literal["add", "set_not_null"]
    """``add``: the column is added NOT NULL; ``set_not_null``: an existing column becomes so."""

    @property
    def question(self) -> str:
        """The question ``generate`` asks on a terminal."""
        where = "" if self.direction == "upgrade" else " (on downgrade)"
        if self.action == "add":
            return (
                f"{self.table}.{self.column} ({self.type}) is added NOT NULL{where} to a table "
                "that may hold rows. SQL value for the existing rows (empty: none)"
            )
        return (
            f"{self.table}.{self.column} ({self.type}) becomes NOT NULL{where}. SQL value for "
            "rows where it is NULL (empty: none)"
        )


@dataclass(frozen=True)
class LintReport:
    """What ``lint`` found in a schema's revisions."""

    schema: str
    revisions: tuple[str, ...]
    """The revisions whose findings are reported, base first."""
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        """No finding of severity ``error``."""
        return not any(f.severity == "error" for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "schema": self.schema,
            "revisions": list(self.revisions),
            "findings": [f.to_json() for f in self.findings],
        }


# --- advise (workbench/advice.py, loaded on first use) -------------------------------------

if TYPE_CHECKING:
    from workbench.advice import Advice as Advice
    from workbench.advice import AdviceAction as AdviceAction
    from workbench.advice import AdviceReport as AdviceReport
    from workbench.advice import Evidence as Evidence
    from workbench.advice import Rejected as Rejected
else:

    def __getattr__(name: str) -> Any:
        """advise's results, imported when first asked for: ``upgrade`` never needs them."""
        if name in ("AdviceAction", "Evidence", "Advice", "Rejected", "AdviceReport"):
            from workbench import advice

            return getattr(advice, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- diagram ------------------------------------------------------------------------------

DiagramStatus = Literal["written", "unchanged", "printed", "fresh", "stale", "missing"]
"""``written``/``unchanged``/``printed`` when drawing; ``fresh``/``stale``/``missing`` when
checking."""


@dataclass(frozen=True)
class DiagramOutput:
    """One file ``diagram`` wrote or checked (or the text it printed)."""

    format: str
    """``svg``, ``png``, ``pdf``, ``mermaid``, ``dot``, or ``markdown`` for an injected block."""
    path: Path | None
    status: DiagramStatus
    detail: str = ""
    """Why a checked output is stale or missing."""
    text: str | None = None
    """The diagram itself, when printed rather than written (``--out -``)."""

    @property
    def ok(self) -> bool:
        return self.status not in ("stale", "missing")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "path": str(self.path) if self.path else None,
            "status": self.status,
            "detail": self.detail or None,
            **({"text": self.text} if self.text is not None else {}),
        }


@dataclass(frozen=True)
class DiagramResult:
    """What ``diagram`` drew or checked for one schema."""

    schema: str
    source: str
    """``models``, ``database <url>`` (password redacted), ``revision <id>``, or the change."""
    tables: int
    relationships: int
    outputs: tuple[DiagramOutput, ...] = ()
    opened: str | None = None
    """The viewer the first image was opened with, if asked and one was found."""
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outputs)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "source": self.source,
            "tables": self.tables,
            "relationships": self.relationships,
            "ok": self.ok,
            "outputs": [o.to_json() for o in self.outputs],
            "opened": self.opened,
            "notes": list(self.notes),
        }


# --- seed ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSeed:
    """Rows ``seed`` wrote into one table."""

    table: str
    rows: int
    seconds: float
    requested: int | None = None
    """The count asked for, when the table's keys allowed fewer rows (``rows`` is the cap)."""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "seconds": round(self.seconds, 4),
            "rows_per_second": round(self.rows_per_second),
            "requested": self.requested,
        }


@dataclass(frozen=True)
class IntegrityCheck:
    """What was verified in the database after seeding, and what was found."""

    foreign_keys: int
    unique: int
    checks: int
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "foreign_keys": self.foreign_keys,
            "unique": self.unique,
            "checks": self.checks,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class SeedReport:
    """What ``seed`` wrote: rows per table in the order written, timings, the integrity check."""

    schema: str
    target: str
    """The target URL, password redacted."""
    backend: str
    seed: int
    tables: tuple[TableSeed, ...]
    seconds: float
    integrity: IntegrityCheck | None = None
    """``None`` when the check was not asked for."""
    truncated: tuple[str, ...] = ()
    """Tables emptied before seeding (``--truncate``)."""
    samples: tuple[tuple[str, tuple[dict[str, Any], ...]], ...] = ()
    """A few rows of each table, as ``(table, rows)``, when asked for."""

    @property
    def rows(self) -> dict[str, int]:
        return {t.table: t.rows for t in self.tables}

    @property
    def total(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "seconds": round(self.seconds, 4),
            "schema": self.schema,
            "target": self.target,
            "backend": self.backend,
            "seed": self.seed,
            "tables": [t.to_json() for t in self.tables],
            "integrity": self.integrity.to_json() if self.integrity else None,
            "truncated": list(self.truncated),
            "samples": {
                table: [{k: _plain(v) for k, v in row.items()} for row in rows]
                for table, rows in self.samples
            },
        }


def _plain(value: Any) -> Any:
    """A sample value as JSON has it: numbers, strings, booleans and null stay; others are text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


# --- check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRun:
    """One schema checked on one backend (a scratch database of its own)."""

    schema: str
    backend: str
    """``sqlite`` or ``postgresql``."""
    target: str
    """What ``--against`` named: ``sqlite``, or the server URL with its password redacted."""
    chain: tuple[str, ...]
    """The revisions, base first."""
    checked: int
    """Revisions walked up, down and up again before the walk ended (all of them unless an
    upgrade failed)."""
    seconds: float
    findings: tuple[Finding, ...] = ()
    walked: int = 0
    """Revisions whose upgrade the walk ran (a failed step is reported and the walk goes on)."""
    proven: int = 0
    """Walked revisions with no error finding about them."""
    skipped_backend: str = ""
    """Why the schema was not walked on this backend (it does not support it), or empty."""
    ignored: tuple[Finding, ...] = ()
    """Findings a ``# workbench: ignore[CODE]`` comment in the revision accepts."""

    @property
    def skipped(self) -> int:
        """Revisions the walk never reached."""
        return len(self.chain) - self.walked

    @property
    def ok(self) -> bool:
        """No finding of severity error."""
        return not any(f.severity == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "backend": self.backend,
            "target": self.target,
            "ok": self.ok,
            "revisions": list(self.chain),
            "checked": self.checked,
            "walked": self.walked,
            "proven": self.proven,
            "skipped": self.skipped,
            "skipped_backend": self.skipped_backend or None,
            "ignored": [f.to_json() for f in self.ignored],
            "seconds": round(self.seconds, 3),
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class CheckReport:
    """What ``workbench check`` proved: one run per schema and backend."""

    runs: tuple[CheckRun, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for run in self.runs for f in run.findings)

    @property
    def ok(self) -> bool:
        """Every run passed: no finding of severity error anywhere."""
        return all(run.ok for run in self.runs)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "walked": sum(r.walked for r in self.runs),
            "proven": sum(r.proven for r in self.runs),
            "skipped": sum(r.skipped for r in self.runs),
            "ignored": [f.to_json() for r in self.runs for f in r.ignored],
            "findings": [f.to_json() for f in self.findings],
            "runs": [run.to_json() for run in self.runs],
        }
