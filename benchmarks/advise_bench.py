"""Index-advice benchmarks: model rules on a big schema, and a workload proved on big tables.

Run from the repository root::

    python -m benchmarks.advise_bench                    # both cases, SQLite and PostgreSQL
    python -m benchmarks.advise_bench static --rounds 5  # model rules only
    python -m benchmarks.advise_bench workload --rows 100000 --against sqlite

* static: ``workbench advise synth --json`` as a whole process on the
  200-table synthetic schema of ``benchmarks/synth.py`` (foreign keys some
  indexed and some not, composite indexes), which is what a pre-commit hook or
  CI step pays. Also, in-process, how that time splits between loading the
  schema module (SQLAlchemy's declarative mapping of 200 classes) and the rules.
  Target: under 1 s.
* workload: ``advise()`` on the blog example with :data:`WORKLOAD` (20
  queries: lookups, joins, sorts, ranges, a correlated EXISTS, an UPDATE and a
  DELETE), each table seeded to ``--rows`` rows (default 100,000) on a scratch
  database, every candidate built and measured. Target: under 30 s.

Wall time is the median and the minimum of the rounds; CPU time (user +
system, of the child process for the static case) tells a busy machine from a
slow program. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import timed

REPO = Path(__file__).resolve().parents[1]

WORKLOAD = """\
SELECT id, body FROM comments WHERE post_id = ? ORDER BY created_at;
SELECT id, title FROM posts ORDER BY created_at DESC LIMIT 10;
SELECT id, title FROM posts WHERE published = ?;
SELECT p.id, p.title FROM posts p JOIN post_tags pt ON pt.post_id = p.id WHERE pt.tag_id = ?;
SELECT id, name FROM users WHERE email = ?;
SELECT * FROM posts WHERE author_id = ? ORDER BY created_at DESC LIMIT 20;
SELECT count(*) FROM comments WHERE author_id = ?;
SELECT * FROM comments WHERE parent_id = ?;
SELECT * FROM users WHERE name = ?;
SELECT * FROM posts WHERE title = ?;
SELECT id FROM posts WHERE created_at > ? ORDER BY created_at;
SELECT c.id, c.body FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.author_id = ?;
SELECT u.name FROM users u
 WHERE EXISTS (SELECT 1 FROM comments c WHERE c.author_id = u.id AND c.created_at > ?);
SELECT t.name FROM tags t JOIN post_tags pt ON pt.tag_id = t.id WHERE pt.post_id = ?;
SELECT * FROM comments WHERE created_at BETWEEN ? AND ?;
UPDATE posts SET title = ? WHERE author_id = ? AND created_at < ?;
DELETE FROM post_tags WHERE tag_id = ?;
SELECT id FROM users ORDER BY created_at DESC LIMIT 5;
SELECT * FROM tags WHERE name = ?;
SELECT p.title, u.name FROM posts p JOIN users u ON u.id = p.author_id
 WHERE p.published = ? ORDER BY p.created_at DESC LIMIT 20;
"""


def static(rounds: int) -> None:
    from benchmarks.synth import write_project

    root = Path(tempfile.mkdtemp(prefix="wb_advise_bench_"))
    try:
        write_project(root, 200)
        command = [sys.executable, "-m", "workbench", "--project", str(root)]
        command += ["advise", "synth", "--json"]
        # The floor: plain Python executing the schema module (SQLAlchemy maps 200 classes).
        floor = [
            sys.executable,
            "-c",
            f"import runpy; runpy.run_path({str(root / 'schemas' / 'synth.py')!r})",
        ]
        cache = root / ".workbench" / "cache" / "advise-synth.json"
        walls, cpus, floor_walls, floor_cpus = [], [], [], []
        hit_walls, hit_cpus = [], []
        outputs = set()
        loads = []
        for _ in range(rounds):
            # The first run after a model change (no cached views), the same run again (the
            # models unchanged: views from .workbench/cache/), and the floor.
            cache.unlink(missing_ok=True)
            for argv, wall, cpu in (
                (command, walls, cpus),
                (command, hit_walls, hit_cpus),
                (floor, floor_walls, floor_cpus),
            ):
                seconds, used, done = timed(argv)
                done.check_returncode()
                wall.append(seconds)
                cpu.append(used)
                if argv is command:
                    advice = done.stdout.count('"action"')
                    outputs.add(done.stdout.split('"seconds"')[0])
            loads.append(os.getloadavg()[0])
        load, rules = _split(root)
        print(f"static: `workbench advise synth --json`, 200 tables, {advice} pieces of advice")
        print(f"  load average (1 min) during the rounds: {min(loads):.2f} to {max(loads):.2f}")
        assert len(outputs) == 1, "the cached and the uncached run gave different advice"
        for label, wall, cpu in (
            ("whole process, first run after a model change", walls, cpus),
            ("whole process, models unchanged (cached views)", hit_walls, hit_cpus),
            ("python running the schema module alone", floor_walls, floor_cpus),
        ):
            print(
                f"  {label}: median {statistics.median(wall):.2f} s, min {min(wall):.2f} s, "
                f"CPU median {statistics.median(cpu):.2f} s ({rounds} rounds)"
            )
        print(f"  in process: loading the schema {load:.2f} s, the rules {rules:.3f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _split(root: Path) -> tuple[float, float]:
    code = (
        "import time; from pathlib import Path\n"
        "from workbench.loader import load_path\n"
        "t = time.perf_counter()\n"
        f"s = load_path(Path({str(root / 'schemas' / 'synth.py')!r}))\n"
        "t1 = time.perf_counter()\n"
        "from workbench.advise import model_advice, views_of\n"
        "model_advice(views_of(s.metadata))\n"
        "print(t1 - t, time.perf_counter() - t1)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    load, rules = out.stdout.split()
    return float(load), float(rules)


def workload(rows: int, against: str) -> None:
    from workbench.advise import advise
    from workbench.config import Config

    root = Path(tempfile.mkdtemp(prefix="wb_advise_bench_"))
    try:
        (root / "pyproject.toml").write_text(
            '[project]\nname = "b"\nversion = "0"\n\n[tool.workbench]\n', encoding="utf-8"
        )
        (root / "schemas").mkdir()
        shutil.copy(REPO / "schemas" / "blog.py", root / "schemas" / "blog.py")
        shutil.copytree(
            REPO / "migrations" / "blog",
            root / "migrations" / "blog",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        queries = root / "workload.sql"
        queries.write_text(WORKLOAD, encoding="utf-8")
        cpu0, started = time.process_time(), time.perf_counter()
        report = advise(Config.at(root), "blog", queries=queries, against=against, rows=rows)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
        backend = report.backend
        print(
            f"workload on {backend}: {report.queries} queries, {rows:,} rows per table: "
            f"{wall:.1f} s wall, {cpu:.1f} s CPU in this process (the server's is not counted)"
        )
        proved = [a for a in report.advice if a.evidence]
        print(
            f"  {len(report.advice)} pieces of advice ({len(proved)} with evidence), "
            f"{len(report.rejected)} candidates not kept, {len(report.skipped)} skipped"
        )
        for a in proved:
            e = a.evidence[0]
            print(
                f"  {a.code} {a.table}({', '.join(a.columns)}): "
                f"{e.ms_before:.2f} -> {e.ms_after:.3f} ms on {e.query[:60]}"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("case", nargs="?", choices=["static", "workload", "all"], default="all")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--against",
        action="append",
        help="sqlite or a PostgreSQL server URL (default: sqlite, and a PostgreSQL server "
        "from workbench.pgserver.provision() if there is one)",
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.case in ("static", "all"):
        static(args.rounds)
    if args.case in ("workload", "all"):
        with contextlib.ExitStack() as stack:
            for against in args.against or _default_against(stack):
                workload(args.rows, against)


def _default_against(stack: contextlib.ExitStack) -> list[str]:
    from workbench.errors import DatabaseError
    from workbench.pgserver import provision

    try:
        return ["sqlite", stack.enter_context(provision())]
    except DatabaseError as exc:
        print(f"(no PostgreSQL: {exc.message})")
        return ["sqlite"]


if __name__ == "__main__":
    main()
