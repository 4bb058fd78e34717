"""Diagram benchmark: `workbench diagram` SVG of a 200-table schema against eralchemy2's.

Run from the repository root::

    python -m benchmarks.diagram_bench            # 7 rounds
    python -m benchmarks.diagram_bench --quick    # 3 rounds

The synthetic schema (``benchmarks/synth.py``) is migrated into a SQLite file;
``eralchemy2 -i sqlite:///that-file -o x.svg`` reads it from there. Each round
runs, as whole processes and interleaved so that a busy machine hits all alike:

* ``eralchemy2 -i <sqlite url> -o x.svg``;
* ``workbench diagram synth --out y.svg`` with no cache: the schema's 200
  models are imported, as after any change to them (and on a CI runner);
* the same with the model cache of an unchanged schema (``.workbench/cache``),
  as when the diagram is drawn again: another format, another ``--focus``;
* ``workbench diagram synth --url <the same sqlite url>``: the live database,
  reflected with SQLAlchemy like eralchemy2 does;
* the floor of a drawing after a change: plain Python executing the schema
  module alone (importing SQLAlchemy and mapping the 200 classes), which no
  drawing from the models can skip.

Every run writes a new file, so no run is skipped as "unchanged". Both tools
cache bytecode in a private folder (``--no-bytecode`` to compile anew in every
process). The PNG line is one run each, for the size of the image.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from benchmarks import synth
from benchmarks.harness import child_env, run, tool

SCHEMA = "synth"
GOAL = 0.5
"""workbench's SVG time over eralchemy2's, at most (issue 4)."""


Case = Callable[[], tuple[float, float]]


def rounds_of(cases: list[Case], rounds: int) -> list[list[tuple[float, float]]]:
    """Each case once a round, the first round discarded, who goes first rotating."""
    kept: list[list[tuple[float, float]]] = [[] for _ in cases]
    for number in range(rounds + 1):
        order = [(number + k) % len(cases) for k in range(len(cases))]
        for k in order:
            timing = cases[k]()
            if number:
                kept[k].append(timing)
    return kept


def installed() -> str:
    names = ("workbench", "sqlalchemy", "eralchemy2", "pygraphviz", "typer")
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare(root: Path, tables: int, env: dict[str, str]) -> tuple[Path, str]:
    """The synthetic project, and the URL of a SQLite file migrated to its head."""
    project = root / "project"
    synth.write_project(project, tables, name=SCHEMA)
    synth.write_single_revision(project, name=SCHEMA)
    url = f"sqlite:///{(root / 'synth.sqlite3').as_posix()}"
    run([tool("workbench"), "--project", str(project), "upgrade", SCHEMA, "--url", url], env, root)
    return project, url


def png_size(path: Path) -> str:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return f"{width}x{height}"


def svg_texts(path: Path) -> int:
    """How many text elements an SVG has: a rough measure of what it tells."""
    return len(re.findall(r"<text\b", path.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.diagram_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=7, help="timed runs of each case")
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--tables", type=int, default=200, help="tables in the schema")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="run with PYTHONDONTWRITEBYTECODE=1"
    )
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else args.rounds

    with tempfile.TemporaryDirectory(prefix="diagram_bench_") as tmp:
        root = Path(tmp)
        env = child_env(not args.no_bytecode, root / "pycache")
        project, url = prepare(root, args.tables, env)
        out = root / "out"
        out.mkdir()
        cache = project / ".workbench" / "cache"
        counter = iter(range(1_000_000))
        workbench = [tool("workbench"), "--project", str(project), "diagram", SCHEMA]

        def fresh(suffix: str) -> Path:
            return out / f"{next(counter)}.{suffix}"

        drawn: dict[str, Path] = {}

        def eralchemy(suffix: str = "svg") -> tuple[float, float]:
            drawn["eralchemy2"] = fresh(suffix)
            return run([tool("eralchemy2"), "-i", url, "-o", str(drawn["eralchemy2"])], env, root)

        def cold(suffix: str = "svg") -> tuple[float, float]:
            shutil.rmtree(cache, ignore_errors=True)
            drawn["workbench"] = fresh(suffix)
            return run([*workbench, "--out", str(drawn["workbench"])], env, root)

        def warm() -> tuple[float, float]:
            return run([*workbench, "--out", str(fresh("svg"))], env, root)

        def live() -> tuple[float, float]:
            return run([*workbench, "--url", url, "--out", str(fresh("svg"))], env, root)

        module = project / "schemas" / f"{SCHEMA}.py"
        floor_code = f"import runpy; runpy.run_path({str(module)!r})"

        def floor() -> tuple[float, float]:
            return run([sys.executable, "-c", floor_code], env, root)

        notes = [
            f"started {time.strftime('%Y-%m-%d %H:%M:%S')}, load average {load()}",
            f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            installed(),
            f"{args.tables} tables, {rounds} rounds interleaved after one warm-up round; "
            + (
                "bytecode compiled anew in every process" if args.no_bytecode else "bytecode cached"
            ),
        ]
        print("\n".join(f"- {note}" for note in notes), flush=True)
        names = [
            "eralchemy2 -i <sqlite url> -o x.svg",
            "workbench diagram synth (models, no cache)",
            "workbench diagram synth (models, cached)",
            "workbench diagram synth --url <sqlite url>",
            "floor: python executing the schema module alone",
        ]
        timings = rounds_of([eralchemy, cold, warm, live, floor], rounds)
        walls = [statistics.median(w for w, _ in t) for t in timings]
        cpus = [statistics.median(c for _, c in t) for t in timings]
        theirs_svg, ours_svg = drawn["eralchemy2"], drawn["workbench"]
        theirs_png_s, _ = eralchemy("png")
        ours_png_s, _ = cold("png")
        theirs_png, ours_png = drawn["eralchemy2"], drawn["workbench"]

        print(f"- finished, load average {load()}")
        print()
        print("| case | wall s, median (min) | ratio | CPU s | CPU ratio | goal <= 0.5x |")
        print("| --- | --- | --- | --- | --- | --- |")
        for k, (name, timing) in enumerate(zip(names, timings, strict=True)):
            ratio = walls[k] / walls[0]
            verdict = "-" if k in (0, len(names) - 1) else ("met" if ratio <= GOAL else "missed")
            print(
                f"| {name} | {walls[k]:.3f} ({min(w for w, _ in timing):.3f}) | {ratio:.2f}x "
                f"| {cpus[k]:.2f} | {cpus[k] / cpus[0]:.2f}x | {verdict} |"
            )
        print()
        print(
            "PNG, one run each (workbench without cache): "
            f"eralchemy2 {theirs_png_s:.2f} s, {png_size(theirs_png)} px; "
            f"workbench {ours_png_s:.2f} s, {png_size(ours_png)} px."
        )
        print(
            f"SVG text elements: eralchemy2 {svg_texts(theirs_svg)}, workbench "
            f"{svg_texts(ours_svg)} (types, keys, nullability, defaults, enum values, UNIQUE, "
            "CHECK, indexes, cardinality)."
        )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
