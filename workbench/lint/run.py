"""Running the rules over a history: reading each revision, ignore comments, the report."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.config import Config
from workbench.errors import RevisionError
from workbench.lint.base import RULES, RevisionOps, Rule, filled_by
from workbench.lint.keys import KEYS, Keys
from workbench.results import Finding, LintReport
from workbench.revisions import HistoryModel, capture, script_directory
from workbench.walker import walk

if TYPE_CHECKING:
    from alembic.script import Script, ScriptDirectory


# --- running the rules -------------------------------------------------------------------

_IGNORE = re.compile(r"#\s*workbench:\s*ignore\[([^\]]*)\]")


class _Source:
    """A revision file's lines, the statement around each line, and its ignore comments."""

    def __init__(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            text = ""
        self.lines = text.splitlines()
        self.spans: list[tuple[int, int]] = []
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        self.bodies: dict[int, int] = {}
        """A function's ``def`` line to its first statement's line."""
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                    self.bodies[node.lineno] = node.body[0].lineno
                if isinstance(node, ast.stmt) and not isinstance(
                    node,
                    (
                        ast.FunctionDef,
                        ast.AsyncFunctionDef,
                        ast.ClassDef,
                        ast.With,
                        ast.If,
                        ast.For,
                        ast.While,
                        ast.Try,
                    ),
                ):
                    self.spans.append((node.lineno, node.end_lineno or node.lineno))

    def _span(self, line: int) -> tuple[int, int]:
        best = (line, line)
        for start, end in self.spans:
            if start <= line <= end and (best == (line, line) or end - start < best[1] - best[0]):
                best = (start, end)
        return best

    def ignored(self, line: int | None, rule: Rule) -> bool:
        if line is None:
            return False
        start, end = self._span(line)
        candidates = list(range(start, end + 1))
        if line in self.bodies:  # a finding about a whole function: its first statement too
            first, last = self._span(self.bodies[line])
            candidates += range(first, last + 1)
        if start >= 2 and self.lines[start - 2].strip().startswith("#"):
            candidates.append(start - 1)
        for number in candidates:
            if not 1 <= number <= len(self.lines):
                continue
            for match in _IGNORE.finditer(self.lines[number - 1]):
                codes = {c.strip() for c in match.group(1).split(",")}
                if rule.code in codes or rule.name in codes:
                    return True
        return False


def check_revision(
    rev: RevisionOps, schema: str = "", views: Mapping[str, RevisionOps] | None = None
) -> list[Finding]:
    """Run every rule on one revision; the findings not silenced by an ignore comment.

    Args:
        rev: the revision, read for the primary backend; rules about both
            backends see it.
        schema: the schema's name, copied into each finding.
        views: the same revision read for each backend the schema supports
            (a revision may branch on the dialect); a rule about one backend
            sees that backend's reading, and is skipped when the schema does
            not support it. Without it every rule sees ``rev``.
    """
    source = _Source(rev.path)
    findings = []
    for registered in RULES.values():
        view = rev
        if views is not None and registered.backend:
            if registered.backend not in views:
                continue
            view = views[registered.backend]
        view.source = source.lines
        seen: set[tuple[str, int | None]] = set()
        for hit in registered.check(view):
            line = hit.line if hit.op is None else hit.op.line
            if source.ignored(line, registered) or (hit.message, line) in seen:
                continue
            seen.add((hit.message, line))
            findings.append(
                Finding(
                    code=registered.code,
                    severity=hit.severity or registered.severity,
                    message=hit.message,
                    schema=schema,
                    backend=registered.backend,
                    revision=rev.revision,
                    path=rev.path,
                    line=line,
                    details=(f"fix: {registered.fix}",),
                )
            )
    findings.sort(key=lambda f: (f.line or 0, f.code))
    return findings


def _wanted(scripts: ScriptDirectory, schema: str, revision: str | None) -> str | None:
    if revision is None:
        return None
    from workbench.runtime import find_revision

    found = find_revision(scripts, revision)
    if found is None:
        known = ", ".join(s.revision for s in list(scripts.walk_revisions())[:8])
        raise RevisionError(
            f"schema {schema!r} has no revision {revision!r}.",
            hint=f"Known revisions, newest first: {known or 'none'} (or head).",
        )
    return str(found.revision)


@dataclass
class _Reader:
    """The history as read for one backend so far."""

    backend: str
    model: HistoryModel = field(default_factory=HistoryModel)
    keys: Keys = field(default_factory=Keys)
    filled: set[tuple[str, str]] = field(default_factory=set)


def _run(cfg: Config, schema: str, revision: str | None) -> tuple[list[str], list[Finding]]:
    scripts = script_directory(cfg, schema)
    wanted = _wanted(scripts, schema, revision)
    ordered: list[Script] = list(scripts.walk_revisions("base", "heads"))
    ordered.reverse()
    backends = cfg.backends(schema)
    # PostgreSQL first: rules about both backends read the revision as PostgreSQL runs it.
    readers = [_Reader(b) for b in sorted(backends, key=lambda b: b != "postgresql")]
    read: list[str] = []
    findings: list[Finding] = []
    for script in ordered:
        due = wanted is None or script.revision == wanted
        views: dict[str, RevisionOps] = {}
        ups = {}
        for reader in readers:
            up = ups[reader.backend] = capture(script, "upgrade", dialect=reader.backend)
            before = reader.keys.copy()
            walk(up.ops, KEYS, reader.keys)
            if due:
                views[reader.backend] = RevisionOps(
                    script.revision,
                    Path(script.path),
                    up,
                    capture(script, "downgrade", dialect=reader.backend),
                    reader.model,
                    keys_before=before,
                    keys_after=reader.keys,
                    filled=frozenset(reader.filled),
                    backend=reader.backend,
                    backends=backends,
                )
        if due:
            findings.extend(check_revision(views[readers[0].backend], schema, views))
            read.append(script.revision)
        for reader in readers:
            for captured in ups[reader.backend].ops:
                reader.model.apply(captured)
                reader.filled |= filled_by(captured)
    return read, findings


def lint_revisions(cfg: Config, schema: str, revision: str | None = None) -> list[Finding]:
    """The lint findings of ``schema``'s revisions, base to head; no database is used.

    Args:
        cfg: the project.
        schema: the schema's name.
        revision: only this revision's findings (an id, a unique prefix, or
            ``head``); the history before it is still read.

    Raises:
        RevisionError: the schema has no history, or no such revision.

    Example:
        >>> [f.code for f in lint_revisions(Config.at("."), "blog")]  # doctest: +SKIP
        []
    """
    return _run(cfg, schema, revision)[1]


def lint(cfg: Config, schema: str, revision: str | None = None) -> LintReport:
    """Lint ``schema``'s revisions: :func:`lint_revisions` as a :class:`LintReport`.

    Example:
        >>> lint(Config.at("."), "blog").ok  # doctest: +SKIP
        True
    """
    read, findings = _run(cfg, schema, revision)
    return LintReport(schema, tuple(read), tuple(findings))
