"""No module of the library grows past the size where it asks to become a package.

STYLE.md (point 19) and ARCHITECTURE.md: a module past about 800 lines is split
along its seams, and the old module re-exports what moved, so the split changes
no import of users, other modules or tests. These tests hold both halves.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 800


def _lines(path: Path) -> int:
    """Lines as ``wc -l`` counts them."""
    return path.read_bytes().count(b"\n")


def test_no_module_of_the_library_exceeds_800_lines() -> None:
    sizes = {
        str(path.relative_to(REPO)): _lines(path) for path in (REPO / "workbench").rglob("*.py")
    }
    assert len(sizes) > 50, "the library's modules were not found"
    offenders = sorted(
        ((name, size) for name, size in sizes.items() if size > MAX_LINES),
        key=lambda item: -item[1],
    )
    listing = "\n".join(f"  {name}: {size} lines" for name, size in offenders)
    assert not offenders, (
        f"modules over {MAX_LINES} lines (split them along their seams; "
        f"the old module re-exports what moves):\n{listing}"
    )


# Names that moved when a large module was split, and where they live now.
MOVED = [
    ("workbench.autogen", "order_by_foreign_keys", "workbench.fkorder"),
    ("workbench.autogen", "postgresql_using", "workbench.pgcasts"),
    ("workbench.safety", "type_sql", "workbench.likeness"),
    ("workbench.safety", "family", "workbench.likeness"),
    ("workbench.safety", "narrowing", "workbench.likeness"),
    ("workbench.safety", "names_alike", "workbench.likeness"),
    ("workbench.safety", "column_rename_pairs", "workbench.likeness"),
    ("workbench.safety", "table_rename_pairs", "workbench.likeness"),
    ("workbench.safety", "destructive_changes", "workbench.predict"),
    ("workbench.results", "AdviceAction", "workbench.advice"),
    ("workbench.results", "Evidence", "workbench.advice"),
    ("workbench.results", "Advice", "workbench.advice"),
    ("workbench.results", "Rejected", "workbench.advice"),
    ("workbench.results", "AdviceReport", "workbench.advice"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED, ids=[f"{o}.{n}" for o, n, _ in MOVED])
def test_a_moved_name_is_still_served_by_its_old_module(old: str, name: str, new: str) -> None:
    moved = getattr(importlib.import_module(new), name)
    assert getattr(importlib.import_module(old), name) is moved


def test_results_loads_the_advice_results_only_when_asked() -> None:
    # `upgrade` imports workbench.results and never advises: it must not pay for them.
    code = (
        "import sys, workbench.results as r\n"
        "print('workbench.advice' in sys.modules)\n"
        "r.AdviceReport\n"
        "print('workbench.advice' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split()
    assert out == ["False", "True"]


def test_results_still_refuses_a_name_it_does_not_have() -> None:
    results = importlib.import_module("workbench.results")
    with pytest.raises(AttributeError, match="NoSuchResult"):
        results.NoSuchResult  # noqa: B018
