"""Running the rules over a history: reading each revision, ignore comments, the report."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.config import Config
from workbench.errors import RevisionError
from workbench.lint.base import RULES, RevisionOps, Rule
from workbench.results import Finding, LintReport
from workbench.revisions import HistoryModel, capture, script_directory

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


def check_revision(rev: RevisionOps, schema: str = "") -> list[Finding]:
    """Run every rule on one revision; the findings not silenced by an ignore comment."""
    source = _Source(rev.path)
    rev.source = source.lines
    findings = []
    for registered in RULES.values():
        for hit in registered.check(rev):
            line = hit.line if hit.op is None else hit.op.line
            if source.ignored(line, registered):
                continue
            findings.append(
                Finding(
                    code=registered.code,
                    severity=registered.severity,
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
    try:
        found = scripts.get_revision(revision)
    except Exception:
        found = None
    if found is None:
        known = ", ".join(s.revision for s in list(scripts.walk_revisions())[:8])
        raise RevisionError(
            f"schema {schema!r} has no revision {revision!r}.",
            hint=f"Known revisions, newest first: {known or 'none'} (or head).",
        )
    return str(found.revision)


def _run(cfg: Config, schema: str, revision: str | None) -> tuple[list[str], list[Finding]]:
    scripts = script_directory(cfg, schema)
    wanted = _wanted(scripts, schema, revision)
    ordered: list[Script] = list(scripts.walk_revisions("base", "heads"))
    ordered.reverse()
    model = HistoryModel()
    read: list[str] = []
    findings: list[Finding] = []
    for script in ordered:
        up = capture(script, "upgrade")
        if wanted is None or script.revision == wanted:
            view = RevisionOps(
                script.revision, Path(script.path), up, capture(script, "downgrade"), model
            )
            findings.extend(check_revision(view, schema))
            read.append(script.revision)
        for captured in up.ops:
            model.apply(captured)
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
