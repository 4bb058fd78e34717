"""No function in workbench/ is over 80 lines unless it says why (issue 11).

A function's length counts from its ``def`` line to its last line. A long one
passes when its docstring, or a ``#`` comment between its ``def`` line and its
first statement after the docstring, says ``Long because: ...``. A typer
command puts the reason in a comment, since its docstring is its ``--help``.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"
LIMIT = 80
REASON = "Long because"


def long_functions(source: str, where: str) -> list[str]:
    """``where:qualified.name (N lines)`` for each function over the limit with no reason."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found: list[str] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                assert child.end_lineno is not None
                length = child.end_lineno - child.lineno + 1
                if length > LIMIT and not _says_why(child, lines):
                    found.append(f"{where}:{name} ({length} lines)")
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _says_why(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> bool:
    if REASON in (ast.get_docstring(node) or ""):
        return True
    # The signature and what comes before the first statement after the docstring.
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    end = body[0].lineno - 1 if body else node.end_lineno or node.lineno
    header = lines[node.lineno - 1 : end]
    return any(re.search(rf"#\s*{REASON}\b", line) for line in header)


def test_no_function_over_80_lines_without_a_reason() -> None:
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        found += long_functions(path.read_text(encoding="utf-8"), where)
    assert not found, (
        f"functions over {LIMIT} lines with no '{REASON}: ...' in their docstring or in a "
        "comment right after their signature (split them along their steps, or say why):\n"
        + "\n".join(found)
    )


def _function(lines: int, *, docstring: str = "Do it.", comment: str | None = None) -> str:
    head = "def work(\n    a: int,\n) -> None:\n"
    if comment is not None:
        head += f"    # {comment}\n"
    head += f'    """{docstring}"""\n'
    body = "".join(f"    a += {i}\n" for i in range(lines - head.count("\n")))
    return head + body


def test_a_long_function_without_a_reason_is_named_with_its_length() -> None:
    assert long_functions(_function(81), "m.py") == ["m.py:work (81 lines)"]
    assert long_functions(_function(80), "m.py") == []


def test_a_reason_in_the_docstring_or_a_comment_under_the_signature_is_accepted() -> None:
    assert long_functions(_function(90, docstring="Do it.\n\nLong because: a table."), "m") == []
    assert long_functions(_function(90, comment="Long because: 15 options."), "m") == []
    assert long_functions(_function(90, comment="Short enough."), "m") == ["m:work (90 lines)"]


def test_a_reason_deep_in_the_body_does_not_count_and_methods_are_named_by_class() -> None:
    source = textwrap.dedent(
        """\
        class Walk:
            def step(self) -> None:
                x = 0
                # Long because: too late, this is the body.
        """
    ) + "".join(f"        x += {i}\n" for i in range(80))
    assert long_functions(source, "w.py") == ["w.py:Walk.step (83 lines)"]
