"""What is pending on a target: the revisions ``upgrade`` would run, what they would destroy
there, and what lint says about them. Nothing is written to the target.

Like ``prisma migrate status`` or ``atlas migrate status``, one look before an
upgrade: the target's revision, the pending revisions with their operations,
the destructive-apply guard's count on this target, and the lint findings of
those revisions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench import db
from workbench.config import Config
from workbench.results import DestructiveChange, PendingRevision, StatusReport

if TYPE_CHECKING:
    from alembic.script import Script, ScriptDirectory


def status(cfg: Config, schema: str, *, url: str | None = None) -> StatusReport:
    """Where the target of ``schema`` stands and what an upgrade to head would do to it.

    The target is only read: a SQLite file that does not exist yet is not
    created (everything is pending, and there is nothing to lose), and the
    guard's count is made without running any revision (a prediction from the
    operations the revisions expose, as ``upgrade`` makes before it runs them).

    Args:
        cfg: the project.
        schema: the schema's name.
        url: the target (default: the schema's configured target).

    Raises:
        RevisionError: the schema has no history, several heads, or the target is
            stamped with a revision the history lacks.
        DatabaseError: the target cannot be reached.

    Example:
        >>> status(Config.at("."), "blog").ok  # doctest: +SKIP
        True
    """
    from workbench.lint import lint_revisions
    from workbench.migrate import current_on
    from workbench.revisions import script_directory, single_head

    target = cfg.resolve_url(schema, url)
    shown = db.redact(target)
    scripts = script_directory(cfg, schema)
    head = single_head(cfg, schema, scripts)
    state: Literal["absent", "empty", "stamped"] = "absent"
    current: str | None = None
    destructive: list[DestructiveChange] = []
    if not db.exists(target):
        pending = _pending(scripts, None)
    else:
        with db.connect(target) as conn:
            current = current_on(conn, cfg, schema).revision
            state = "stamped" if current else "empty"
            pending = _pending(scripts, current)
            destructive = _predicted(conn, pending)
    ids = {script.revision for script in pending}
    findings = [f for f in lint_revisions(cfg, schema) if f.revision in ids] if ids else []
    return StatusReport(
        schema=schema,
        target=shown,
        current=current,
        head=head,
        target_state=state,
        pending=tuple(_describe(script) for script in pending),
        destructive=tuple(destructive),
        guard="predicted",
        findings=tuple(findings),
    )


def _pending(scripts: ScriptDirectory, current: str | None) -> list[Script]:
    """The revisions between ``current`` (exclusive) and head, oldest first."""
    lower: Any = tuple(current.split(",")) if current else "base"
    found = list(scripts.iterate_revisions("heads", lower))
    found.reverse()
    return found


def _predicted(conn: Any, pending: list[Script]) -> list[DestructiveChange]:
    """What the guard would count for ``pending`` on ``conn``'s database; nothing is run."""
    from workbench.safety import destructive_changes

    try:
        return destructive_changes(conn, [(script, "upgrade") for script in pending])
    finally:
        if conn.in_transaction():
            conn.rollback()


def _describe(script: Script) -> PendingRevision:
    from workbench.autogen import describe
    from workbench.revisions import capture

    captured = capture(script, "upgrade")
    lines = [describe(c.op, c.batch) for c in captured.ops]
    if captured.error:
        lines.append(f"(reading stopped: {captured.error})")
    message = (script.doc or "").strip().splitlines()
    return PendingRevision(
        id=script.revision,
        message=message[0] if message else "",
        path=Path(script.path),
        operations=tuple(lines),
    )
