"""``# workbench: ignore[CODE]``: a revision's author accepts one finding on one statement.

The same comment lint honours. It silences a finding of ``check`` when it is on
a line of the statement the finding points at (a multi-line statement counts
whole), or on a comment line just above it; a finding about a whole function
(WB220 points at ``def upgrade``) is silenced by the comment on the ``def``
line. Silenced findings are not dropped: the report lists them as ignored.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

_IGNORE = re.compile(r"#\s*workbench:\s*ignore\[([^\]]*)\]")


@functools.lru_cache(maxsize=256)
def _read(path: str, stamp: float) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    spans: list[tuple[int, int]] = []
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.stmt) and not isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.With, ast.If)
        ):
            spans.append((node.lineno, node.end_lineno or node.lineno))
    return tuple(text.splitlines()), tuple(spans)


def ignored(path: Path | None, line: int | None, code: str) -> int | None:
    """The line of the comment that silences ``code`` at ``path:line``, or ``None``."""
    if path is None or line is None or not path.is_file():
        return None
    lines, spans = _read(str(path), path.stat().st_mtime)
    containing = [(last - first, first, last) for first, last in spans if first <= line <= last]
    _, start, end = min(containing) if containing else (0, line, line)
    candidates = list(range(start, end + 1))
    if start >= 2 and lines[start - 2].strip().startswith("#"):
        candidates.append(start - 1)
    for number in candidates:
        if 1 <= number <= len(lines):
            for match in _IGNORE.finditer(lines[number - 1]):
                if code in {c.strip() for c in match.group(1).split(",")}:
                    return number
    return None
