"""``generate`` as a daily loop: rewrite the newest revision, and never write a known risk
unasked.

Two things plain ``generate`` leaves to the user:

- **Rewriting.** ``generate`` warns "looks like a rename: regenerate with
  --rename"; but the revision is written by then, so running it again with the
  flag compares the models with a history that already holds the change.
  :func:`generate` with ``replace=True`` takes the newest revision out of the
  history first (it must not be applied to the target: a database stamped with a
  revision that no longer exists is stranded), generates again, and puts the
  old file back if anything fails or nothing would replace it.
- **Known risks without a terminal.** When nobody can be asked (CI, a script,
  ``--json``), a revision with a note (a drop + add that looks like a rename, a
  NOT NULL column with no value for rows a table may hold, a cast that may not
  fit) is not kept unless the caller accepts it: the result says which flags
  resolve it.
"""

from __future__ import annotations

import re
import shlex
import shutil
import tempfile
from dataclasses import replace as _with
from pathlib import Path
from typing import Any, Literal

from workbench.config import Config
from workbench.errors import Refused, RevisionError, WorkbenchError
from workbench.results import GenerateResult

Unsafe = Literal["write", "refuse"]

_FLAG = re.compile(r"(--(?:rename|backfill) [^\s,;]+?)(?=[\s,;]|\.(?:\s|$)|$)")
"""A flag a note names as its fix: ``--rename users.full_name=display_name``."""


def fixes(notes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The flags the ``notes`` of a generated revision name as their fixes, in order, once each."""
    found: list[str] = []
    for note in notes:
        for match in _FLAG.finditer(note):
            if match.group(1) not in found:
                found.append(match.group(1))
    # A rename also settles the NOT NULL notes of its two columns (the column is kept,
    # values and all): a --backfill for them would then match nothing.
    settled: set[str] = set()
    for flag in found:
        if flag.startswith("--rename ") and "." in flag:
            key, _, new = flag[len("--rename ") :].partition("=")
            table, _, old = key.partition(".")
            settled |= {f"{table}.{old}", f"{table}.{new}"}
    return tuple(
        f for f in found if not (f.startswith("--backfill ") and f[11:].split("=")[0] in settled)
    )


def generate(
    cfg: Config,
    schema: str,
    message: str,
    *,
    replace: bool = False,
    url: str | None = None,
    unsafe: Unsafe = "write",
    **options: Any,
) -> GenerateResult:
    """:func:`workbench.migrate.generate`, with ``replace`` and a choice for known risks.

    Args:
        cfg: the project.
        schema: the schema's name.
        message: the revision's message.
        replace: rewrite the newest revision instead of adding one after it. It
            must not be applied to the target (``url``, else the configured one).
        url: the target ``replace`` looks at; nothing is written to it.
        unsafe: ``refuse`` keeps nothing when the revision carries a note (the
            result has ``refused=True`` and the flags that resolve it, and a
            replaced revision is put back); ``write`` keeps it with its notes.
        options: passed on to :func:`workbench.migrate.generate` (``renames``,
            ``backfills``, ``empty``, ``ask_rename``, ``ask_backfill``...).

    Raises:
        Refused: ``replace`` and the newest revision is applied to the target.
        WorkbenchError: as :func:`workbench.migrate.generate`.

    Example:
        >>> generate(Config.at("."), "blog", "bio", replace=True,
        ...          renames={"users.full_name": "display_name"})  # doctest: +SKIP
    """
    from workbench.migrate import generate as run_generate

    aside: _Aside | None = _take_newest(cfg, schema, url) if replace else None
    try:
        try:
            result = run_generate(cfg, schema, message, **options)
        except WorkbenchError as exc:
            raise _pointed(cfg, schema, exc, options, replace) from exc.__cause__
        if aside is not None and result.path is None:
            raise WorkbenchError(
                f"the models match the history without revision {aside.revision}, so nothing "
                f"would replace it; it was kept.",
                hint=f"Delete {cfg.rel(aside.original)} yourself if you no longer want it.",
            )
        result = _with(result, fixes=fixes(result.notes))
        if unsafe == "refuse" and result.path is not None and result.notes:
            result.path.unlink(missing_ok=True)
            result = _with(result, revision=None, path=None, refused=True)
            if aside is not None:
                aside.restore()
            return result
    except BaseException:
        if aside is not None:
            aside.restore()
        raise
    if aside is not None:
        aside.discard()
        result = _with(result, replaced=aside.revision)
    return result


class _Aside:
    """The newest revision's file, moved out of ``versions/`` until the new one is kept."""

    def __init__(self, revision: str, original: Path) -> None:
        self.revision = revision
        self.original = original
        self._dir = Path(tempfile.mkdtemp(prefix="workbench-replace-"))
        self.kept = self._dir / original.name
        shutil.move(str(original), str(self.kept))
        _drop_bytecode(original)

    def restore(self) -> None:
        if self.kept.exists():
            shutil.move(str(self.kept), str(self.original))
        shutil.rmtree(self._dir, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def _drop_bytecode(source: Path) -> None:
    """Compiled copies of a moved revision, so nothing reads it from a cache."""
    cache = source.parent / "__pycache__"
    if cache.is_dir():
        for compiled in cache.glob(f"{source.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)


def _take_newest(cfg: Config, schema: str, url: str | None) -> _Aside:
    """Move the newest revision aside, after making sure the target has not applied it."""
    from workbench import db
    from workbench.migrate import current
    from workbench.revisions import has_history, script_directory, single_head

    if not has_history(cfg, schema):
        raise RevisionError(
            f"schema {schema!r} has no revision to replace.",
            hint=f"Write the first one without --replace: `workbench generate {schema} -m '...'`.",
        )
    scripts = script_directory(cfg, schema)
    head = single_head(cfg, schema, scripts)
    script = scripts.get_revision(head) if head else None
    if script is None or head is None:
        raise RevisionError(
            f"schema {schema!r} has no revision to replace.",
            hint=f"Write the first one without --replace: `workbench generate {schema} -m '...'`.",
        )
    stamped = current(cfg, schema, url=url).revision
    if stamped is not None and head in stamped.split(","):
        shown = db.redact(cfg.resolve_url(schema, url))
        raise Refused(
            f"revision {head}, the newest of {schema!r}, is applied to {shown}; replacing it "
            "would leave that database stamped with a revision that no longer exists. Nothing "
            "was changed.",
            hint=f"Downgrade it first with `workbench downgrade {schema} -1`, then run the same "
            "generate --replace again (and upgrade after). A revision already applied elsewhere "
            "(a shared database, a teammate's) should not be replaced: add a new one instead.",
        )
    return _Aside(head, Path(script.path))


def _pointed(
    cfg: Config, schema: str, exc: WorkbenchError, options: dict[str, Any], replace: bool
) -> WorkbenchError:
    """A flag that matches nothing because the newest revision already holds the change:
    say so, and how to rewrite that revision."""
    if replace or not exc.message.startswith(("--rename", "--backfill")):
        return exc
    from workbench.revisions import has_history, script_directory, single_head

    if not has_history(cfg, schema):
        return exc
    head = single_head(cfg, schema, script_directory(cfg, schema))
    if head is None:
        return exc
    flags = " ".join(
        [f"--rename {shlex.quote(f'{k}={v}')}" for k, v in (options.get("renames") or {}).items()]
        + [
            f"--backfill {shlex.quote(f'{k}={v}')}"
            for k, v in (options.get("backfills") or {}).items()
        ]
    )
    hint = (
        f"If the change is already in the newest revision ({head}, written by your last "
        f"generate), rewrite that revision instead: `workbench generate {schema} --replace -m "
        f"MESSAGE {flags}` (it must not be applied to your database yet)."
    )
    return WorkbenchError(exc.message, hint=f"{exc.hint} {hint}" if exc.hint else hint)
