"""workbench lint against squawk, on the same revisions.

Run from the repository root (squawk from ``pip install squawk-cli``)::

    python -m benchmarks.lint_vs_squawk              # a table: case, lint's rules, squawk's
    python -m benchmarks.lint_vs_squawk --markdown   # the same as a Markdown table

The revisions are the rule cases of ``tests/test_lint.py`` (one failing and
one passing revision per workbench rule, after a base revision), and a rename
plus NOT NULL backfill revision written by ``workbench generate``. For each,
``workbench lint`` reads the Python revision; squawk reads the PostgreSQL SQL
of the same revision, rendered offline (``workbench upgrade 0001:0002 --sql
--url postgresql://...``; no server is contacted). squawk's rules that fire on
every CREATE TABLE (``prefer-robust-stmts``, ``prefer-bigint-over-int``,
``prefer-identity``, ``prefer-text-field``) and its timeout rules are counted
apart, since they say nothing about the change itself.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import Project
from tests.test_lint import CASES, _write_case
from workbench import migrate
from workbench.errors import WorkbenchError
from workbench.lint import lint_revisions

URL = "postgresql://nobody@127.0.0.1:1/offline"
STYLE = {
    "prefer-robust-stmts",
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-text-field",
    "require-timeout-settings",
    "require-lock-timeout",
    "require-statement-timeout",
}


def squawk_binary() -> str:
    here = Path(sys.executable).parent / "squawk"
    found = str(here) if here.exists() else shutil.which("squawk")
    if not found:
        raise SystemExit("squawk is not installed: pip install squawk-cli")
    return found


def squawk(sql: str, binary: str) -> list[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(sql)
    try:
        run = subprocess.run(
            [binary, "--reporter", "json", handle.name], capture_output=True, text=True
        )
    finally:
        Path(handle.name).unlink()
    found = json.loads(run.stdout or "[]")
    return sorted({item["rule_name"] for item in found})


def compare(upgrade: str, downgrade: str, binary: str) -> tuple[list[str], list[str], str]:
    with tempfile.TemporaryDirectory() as folder:
        project = Project(Path(folder) / "p")
        _write_case(project, upgrade, downgrade)
        ours = sorted({f.code for f in lint_revisions(project.cfg, "s", "0002")})
        try:
            sql = migrate.upgrade(project.cfg, "s", "0001:0002", url=URL, sql=True).sql or ""
        except (WorkbenchError, AttributeError) as exc:
            # A revision that queries the database cannot be rendered offline at all.
            return ours, [], f"no SQL offline ({type(exc).__name__})"
        return ours, squawk(sql, binary), ""


GENERATED = (
    """
op.alter_column('users', 'full_name', existing_type=sa.String(length=100),
                new_column_name='display_name', existing_nullable=False)
with op.batch_alter_table('users', schema=None) as batch_op:
    batch_op.add_column(sa.Column('age', sa.Integer(), nullable=True))
op.execute('UPDATE "users" SET "age" = 0 WHERE "age" IS NULL')
with op.batch_alter_table('users', schema=None) as batch_op:
    batch_op.alter_column('age', existing_type=sa.Integer(), nullable=False)
""",
    """
with op.batch_alter_table('users', schema=None) as batch_op:
    batch_op.drop_column('age')
op.alter_column('users', 'display_name', existing_type=sa.String(length=100),
                new_column_name='full_name', existing_nullable=False)
""",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    binary = squawk_binary()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    cases = [(f"{c}-{name}", u, d, f) for c, name, u, d, f in CASES]
    cases.append(("generate: rename + backfill", *GENERATED, False))
    rows = []
    for name, upgrade, downgrade, _fires in cases:
        ours, theirs, note = compare(upgrade, downgrade, binary)
        change = [r for r in theirs if r not in STYLE]
        style = [r for r in theirs if r in STYLE]
        rows.append((name, ", ".join(ours) or "-", ", ".join(change) or "-", len(style), note))
    if args.markdown:
        print(f"Measured with {version}.\n")
        print("| revision | workbench lint | squawk (about the change) | squawk style/timeout |")
        print("| --- | --- | --- | --- |")
        for name, ours_text, change_text, style_count, note in rows:
            print(f"| {name} | {ours_text} | {note or change_text} | {style_count} |")
        return
    print(version)
    for name, ours_text, change_text, style_count, note in rows:
        print(f"{name:45} {ours_text:22} {note or change_text}  (+{style_count} style/timeout)")


if __name__ == "__main__":
    main()
