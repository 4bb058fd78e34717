"""Finding codes, the finding builder, and the fixes ``check`` suggests.

Every finding ``check`` itself reports has a stable code (:data:`CODES`); the
helpers here turn a failed step's exception into a reason, a place in a
revision file and the usual fix.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import MigrationFailed
from workbench.results import Finding, Severity


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
            "WB212",
            "error",
            "the models cannot be created on a supported backend",
            "Fix the models as the message says; until then they are not compared at head.",
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
            "WB224",
            "error",
            "a type change keeps values the new type cannot read",
            "Convert the values before the cast, in the same revision (an UPDATE), or map them "
            "in the cast itself (postgresql_using).",
        ),
        Code(
            "WB225",
            "warning",
            "a type change keeps values beyond the new type's limits",
            "Convert or cut the values before the cast, in the same revision (an UPDATE).",
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


def make_finding(
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


def reason_of(exc: BaseException) -> str:
    cause = exc.__cause__ if isinstance(exc, MigrationFailed) and exc.__cause__ else exc
    text = " ".join(str(getattr(cause, "orig", None) or cause).split())
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(cause).__name__}: {text}".rstrip(".")


def where_in(exc: BaseException, folder: Path) -> tuple[Path | None, int | None]:
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


def about_rows(reason: str) -> bool:
    lowered = reason.lower()
    return "null" in lowered or "constraint" in lowered or "violat" in lowered


def failure_fix(reason: str, backend: str, where: str) -> str:
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


_ROUND_TRIP_FIXES: tuple[tuple[str, str], ...] = (
    (
        r"^enum type (\S+) still exists",
        "drop it at the end of downgrade(): "
        "op.execute(sa.DDL('DROP TYPE {0}')) on PostgreSQL "
        "(drop_table leaves PostgreSQL enum types behind)",
    ),
    (
        r"^enum type (\S+) missing",
        'recreate it in downgrade(): op.execute(sa.DDL("CREATE TYPE {0} AS ENUM (...)")) '
        "on PostgreSQL",
    ),
    (
        r"^enum type (\S+): values",
        "restore its values in downgrade() (ALTER TYPE {0} ADD VALUE, or the type made again "
        "with its old values: see docs/migrations.md, enum types)",
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
    (
        r"^extension (\S+) still exists",
        "drop it in downgrade(): op.execute('DROP EXTENSION IF EXISTS \"{0}\"')",
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


def round_trip_fix(differences: Sequence[str]) -> str:
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


def summary(differences: Sequence[str]) -> str:
    more = len(differences) - 3
    return "; ".join(differences[:3]) + (f"; and {more} more" if more > 0 else "")
