"""Issue 11: safety paths fail closed; a broad ``except`` says why it is broad.

An ``except Exception`` (or ``BaseException``, or a bare ``except``) in the
library either raises again (cleanup, then the error goes on, or it becomes a
WorkbenchError that names it), or carries a comment on its line or the line
after that says what it absorbs and why that is safe.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"
BROAD = {"Exception", "BaseException"}


def unexplained(source: str, where: str) -> list[str]:
    """``where:line`` of each broad handler that neither raises nor says why."""
    lines = source.splitlines()
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ExceptHandler):
            continue
        caught = node.type
        names = (
            [caught]
            if isinstance(caught, ast.Name)
            else list(caught.elts)
            if isinstance(caught, ast.Tuple)
            else []
        )
        broad = caught is None or any(isinstance(n, ast.Name) and n.id in BROAD for n in names)
        if not broad:
            continue
        raises = any(isinstance(inner, ast.Raise) for inner in ast.walk(node))
        said = any("#" in lines[i] for i in (node.lineno - 1, node.lineno) if i < len(lines))
        if not raises and not said:
            found.append(f"{where}:{node.lineno}")
    return found


def test_every_broad_except_raises_or_says_why() -> None:
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += unexplained(path.read_text(encoding="utf-8"), path.relative_to(PACKAGE).as_posix())
    assert not found, (
        "broad except clauses that swallow errors without a comment saying why "
        "(narrow them, re-raise, or say what they absorb):\n" + "\n".join(found)
    )


def test_the_rule_tells_swallowing_from_explained_and_re_raised() -> None:
    source = (
        "try:\n    f()\nexcept Exception:\n    pass\n"
        "try:\n    f()\nexcept Exception:  # the user's type: anything\n    pass\n"
        "try:\n    f()\nexcept BaseException:\n    cleanup()\n    raise\n"
        "try:\n    f()\nexcept (ValueError, Exception):\n    pass\n"
        "try:\n    f()\nexcept:\n    pass\n"
        "try:\n    f()\nexcept ValueError:\n    pass\n"
    )
    assert unexplained(source, "m.py") == ["m.py:3", "m.py:16", "m.py:20"]
