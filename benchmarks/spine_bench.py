"""Spine benchmarks: startup and applying migrations, workbench against plain Alembic.

Run from the repository root::

    python -m benchmarks.spine_bench            # the full set (a few minutes)
    python -m benchmarks.spine_bench --quick    # fewer rounds, for a first look

Every case runs both tools as whole processes, side by side in the same run,
interleaved (workbench then Alembic, then Alembic then workbench, ...) so that
noise from a busy machine hits both; the table gives the median and the minimum
of each, their ratio, and the median CPU time (user + system) of each process.
Nothing here asserts a time.

* startup: ``workbench --help`` against ``alembic --help``.
* apply: one revision creating 200 tables, and a chain of 50 revisions of one
  table each (``benchmarks/synth.py``), applied to a fresh database per run (a
  new SQLite file, a new PostgreSQL database) by ``workbench upgrade`` and by
  ``alembic upgrade head`` in a directory made by ``alembic init`` (the default
  ``generic`` env.py) holding a copy of the very same revision files.

PostgreSQL comes from :func:`workbench.pgserver.provision` (an environment URL,
else a local server, else a throwaway cluster from local binaries); without one
the PostgreSQL rows are skipped with a note.

``--library`` adds a third process per round that calls
``workbench.migrate.upgrade()`` without the CLI, which tells what the command
line itself (typer, rich) costs from what the library costs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from benchmarks import synth
from benchmarks.harness import child_env, run, tool

SCHEMA = "synth"
GOALS = {"startup": 0.5, "sqlite": 0.3, "postgresql": 1.1}
"""The ratio workbench / Alembic each kind of case should stay at or under (issue 2)."""


@dataclass(frozen=True)
class History:
    """A synthetic history, laid out once for workbench and once for plain Alembic."""

    name: str
    tables: int
    head: str
    project: Path
    plain_ini: Path


@dataclass
class Timing:
    """Wall-clock and child CPU seconds of every timed run of one tool in one case."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def best(self) -> float:
        return min(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


@dataclass(frozen=True)
class Result:
    case: str
    kind: str
    workbench: Timing
    alembic: Timing

    @property
    def ratio(self) -> float:
        return self.workbench.median / self.alembic.median

    @property
    def ratio_min(self) -> float:
        return self.workbench.best / self.alembic.best

    @property
    def ratio_paired(self) -> float:
        """The median of each round's own ratio: both ran within seconds of each other."""
        pairs = zip(self.workbench.wall, self.alembic.wall, strict=True)
        return statistics.median(wb / al for wb, al in pairs)


# --- running a tool ------------------------------------------------------------------------


def make_history(
    root: Path, name: str, tables: int, *, chain: bool, env: dict[str, str]
) -> History:
    """A workbench project with the synthetic history, and a plain ``alembic init`` copy of it."""
    project = root / name / "workbench"
    synth.write_project(project, tables, name=SCHEMA)
    if chain:
        head = synth.write_chain(project, name=SCHEMA)[-1]
    else:
        synth.write_single_revision(project, name=SCHEMA)
        head = "r0001"
    versions = project / "migrations" / SCHEMA / "versions"
    for revision in versions.glob("*.py"):
        portable(revision)
    plain = root / name / "plain"
    plain.mkdir(parents=True)
    subprocess.run(
        [tool("alembic"), "init", "--template", "generic", "alembic"],
        cwd=plain,
        env=env,
        check=True,
        capture_output=True,
    )
    for revision in versions.glob("*.py"):
        shutil.copy2(revision, plain / "alembic" / "versions" / revision.name)
    return History(name, tables, head, project, plain / "alembic.ini")


def portable(revision: Path) -> None:
    """Make a synth revision apply on PostgreSQL too.

    synth.py renders ``server_default=true()`` with Alembic's default dialect,
    which writes it as ``sa.text('1')``: fine on SQLite, rejected by PostgreSQL
    for a boolean column. ``sa.true()`` compiles per dialect. A no-op once
    synth.py renders it portably.
    """
    text = revision.read_text(encoding="utf-8")
    fixed = text.replace(
        "sa.Boolean(), server_default=sa.text('1')", "sa.Boolean(), server_default=sa.true()"
    )
    if fixed != text:
        revision.write_text(fixed, encoding="utf-8")


def set_plain_url(ini: Path, url: str) -> None:
    """Point the plain Alembic directory's ``sqlalchemy.url`` at ``url``."""
    text = ini.read_text(encoding="utf-8")
    line = "sqlalchemy.url = " + url.replace("%", "%%")
    text, count = re.subn(r"(?m)^sqlalchemy\.url\s*=.*$", lambda _: line, text)
    if count != 1:
        raise SystemExit(f"{ini}: expected one sqlalchemy.url line, found {count}.")
    ini.write_text(text, encoding="utf-8")


# --- fresh targets -------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_sqlite(root: Path) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="target_", dir=root))
    try:
        yield f"sqlite:///{(folder / 'target.sqlite3').as_posix()}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def verify(url: str, history: History) -> None:
    """Fail loudly unless ``url`` holds every table of ``history`` and is stamped at its head."""
    from workbench import db

    path = db.sqlite_path(url)
    if path is not None:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            stamped = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    else:
        with db.connect(url) as conn:
            tables = conn.exec_driver_sql(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).scalar_one()
            stamped = [
                r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            ]
    if tables != history.tables + 1 or stamped != [history.head]:
        raise SystemExit(
            f"{history.name}: expected {history.tables} tables at {history.head}, found "
            f"{tables - 1} at {stamped}."
        )


# --- the cases -----------------------------------------------------------------------------


Runner = Callable[[], tuple[float, float]]


def interleave(rounds: int, warmup: int, runners: list[Runner]) -> list[Timing]:
    """Run every runner once a round, rotating who goes first; warm-up rounds are not kept."""
    timings = [Timing() for _ in runners]
    for i in range(warmup + rounds):
        shift = i % len(runners)
        for k in [*range(shift, len(runners)), *range(shift)]:
            wall, cpu = runners[k]()
            if i >= warmup:
                timings[k].wall.append(wall)
                timings[k].cpu.append(cpu)
    return timings


def startup(rounds: int, env: dict[str, str], cwd: Path) -> Result:
    wb = [tool("workbench"), "--help"]
    al = [tool("alembic"), "--help"]
    t_wb, t_al = interleave(rounds, 2, [lambda: run(wb, env, cwd), lambda: run(al, env, cwd)])
    return Result("startup: `--help`", "startup", t_wb, t_al)


def apply_case(
    history: History,
    backend: str,
    server: str | None,
    rounds: int,
    env: dict[str, str],
    root: Path,
    *,
    library: bool = False,
    before: Path | None = None,
) -> list[Result]:
    """``workbench upgrade`` against ``alembic upgrade head`` (and, with ``library``, a
    process that calls ``workbench.migrate.upgrade`` without the CLI)."""
    from workbench import db

    def target() -> contextlib.AbstractContextManager[str]:
        return fresh_sqlite(root) if server is None else db.scratch(server)

    def with_workbench() -> tuple[float, float]:
        with target() as url:
            cmd = [tool("workbench"), "--project", str(history.project)]
            timed = run([*cmd, "upgrade", SCHEMA, "--url", url], env, root)
            verify(url, history)
        return timed

    def with_alembic() -> tuple[float, float]:
        with target() as url:
            set_plain_url(history.plain_ini, url)
            timed = run(
                [tool("alembic"), "-c", str(history.plain_ini), "upgrade", "head"], env, root
            )
            verify(url, history)
        return timed

    def with_library() -> tuple[float, float]:
        with target() as url:
            code = (
                "import sys; from workbench.config import Config; "
                "from workbench.migrate import upgrade; "
                "upgrade(Config.at(sys.argv[1]), sys.argv[2], url=sys.argv[3])"
            )
            timed = run([sys.executable, "-c", code, str(history.project), SCHEMA, url], env, root)
            verify(url, history)
        return timed

    def with_before() -> tuple[float, float]:
        # The same command from another source tree (``--before``), found first on the path.
        assert before is not None
        with target() as url:
            old = dict(env, PYTHONPATH=str(before))
            code = "import sys; from workbench.cli import main; sys.argv[0] = 'workbench'; main()"
            cmd = [sys.executable, "-c", code, "--project", str(history.project)]
            timed = run([*cmd, "upgrade", SCHEMA, "--url", url], old, root)
            verify(url, history)
        return timed

    runners = [with_workbench, with_alembic] + ([with_library] if library else [])
    runners += [with_before] if before is not None else []
    timings = interleave(rounds, 1, runners)
    case = f"{history.name}, {backend}"
    results = [Result(case, backend, timings[0], timings[1])]
    if library:
        results.append(
            Result(f"{case}: library call, no CLI", "diagnostic", timings[2], timings[1])
        )
    if before is not None:
        results.append(
            Result(f"{case}: before (`--before`)", "diagnostic", timings[-1], timings[1])
        )
    return results


# --- machine notes -------------------------------------------------------------------------


def sqlite_commit_cost(root: Path, statements: int = 200) -> tuple[float, float]:
    """Milliseconds per CREATE TABLE on this disk: each its own commit, and all in one."""
    costs = []
    for one_transaction in (False, True):
        path = root / f"commit_cost_{one_transaction}.sqlite3"
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            started = time.perf_counter()
            if one_transaction:
                conn.execute("BEGIN")
            for i in range(statements):
                conn.execute(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT)")
            if one_transaction:
                conn.execute("COMMIT")
            costs.append((time.perf_counter() - started) * 1000 / statements)
        path.unlink()
    return costs[0], costs[1]


def commit_note(root: Path) -> str:
    each, one = sqlite_commit_cost(root)
    return (
        f"SQLite in {root.parent}: {each:.2f} ms per CREATE TABLE in its own commit, "
        f"{one:.3f} ms inside one transaction"
    )


def versions() -> str:
    names = ("workbench", "alembic", "sqlalchemy", "typer", "psycopg")
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def postgres_notes(server: str) -> str:
    """The server's version and the settings that decide what a commit costs."""
    from workbench import db

    shown = []
    with db.connect(server) as conn:
        for setting in ("server_version", "fsync", "synchronous_commit"):
            value = str(conn.exec_driver_sql(f"SHOW {setting}").scalar_one()).split()[0]
            shown.append(value if setting == "server_version" else f"{setting}={value}")
    return f"PostgreSQL {shown[0]} at {db.redact(server)} ({', '.join(shown[1:])})"


def loadavg() -> str:
    with contextlib.suppress(OSError, AttributeError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "n/a"


# --- report --------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    lines = [
        "| case | workbench median (min) | alembic median (min) | ratio median (min) "
        "| paired | goal | met | CPU s wb / alembic |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        goal = GOALS.get(r.kind)
        lines.append(
            f"| {r.case} | {r.workbench.median:.3f} s ({r.workbench.best:.3f}) "
            f"| {r.alembic.median:.3f} s ({r.alembic.best:.3f}) "
            f"| {r.ratio:.2f}x ({r.ratio_min:.2f}x) | {r.ratio_paired:.2f}x "
            f"| {f'<= {goal}x' if goal else '-'} "
            f"| {('yes' if r.ratio <= goal else 'no') if goal else '-'} "
            f"| {r.workbench.cpu_median:.2f} / {r.alembic.cpu_median:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.spine_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=9, help="timed runs of each tool per case")
    parser.add_argument(
        "--startup-rounds", type=int, default=21, help="timed runs of each `--help`"
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds (7 for startup)")
    parser.add_argument(
        "--only",
        choices=("startup", "sqlite", "postgresql"),
        action="append",
        help="run only these kinds of case (repeatable)",
    )
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="let both tools cache bytecode (in a private folder) instead of running with "
        "PYTHONDONTWRITEBYTECODE=1",
    )
    parser.add_argument(
        "--library",
        action="store_true",
        help="also time a process calling workbench.migrate.upgrade() directly, to tell the "
        "CLI's own cost from the library's",
    )
    parser.add_argument(
        "--tables", type=int, default=200, help="tables in the one-revision history (0: none)"
    )
    parser.add_argument("--chain", type=int, default=50, help="revisions in the chain")
    parser.add_argument(
        "--before",
        type=Path,
        help="also time the workbench of another source tree (e.g. `git archive` of an older "
        "commit), interleaved with the others: a before/after in one run",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.startup_rounds = 3, 7
    kinds = set(args.only or GOALS)

    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="spine_bench_")))
        env = child_env(args.bytecode, root / "pycache")
        notes = [
            f"started {time.strftime('%Y-%m-%d %H:%M:%S')}, load average {loadavg()}",
            f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            versions(),
            "both tools run with "
            + (
                "bytecode caching on (PYTHONPYCACHEPREFIX, warm after the warm-up round)"
                if args.bytecode
                else "PYTHONDONTWRITEBYTECODE=1 (modules without a cached .pyc compile anew "
                "in every process)"
            ),
        ]
        server: str | None = None
        if kinds & {"postgresql"}:
            from workbench.errors import WorkbenchError
            from workbench.pgserver import provision

            try:
                server = stack.enter_context(provision())
                notes.append(postgres_notes(server) + ", from workbench.pgserver.provision()")
            except WorkbenchError as exc:
                notes.append(f"PostgreSQL rows skipped: {exc}")
                kinds.discard("postgresql")
        if "sqlite" in kinds:
            notes.append(commit_note(root))
        print("\n".join(f"- {note}" for note in notes), flush=True)

        results: list[Result] = []
        if "startup" in kinds:
            results.append(startup(args.startup_rounds, env, root))
            print(f"  done: {results[-1].case}", file=sys.stderr, flush=True)
        if kinds & {"sqlite", "postgresql"}:
            histories = [
                make_history(
                    root, f"{args.tables} tables in 1 revision", args.tables, chain=False, env=env
                )
                for _ in range(1 if args.tables else 0)
            ]
            histories += [
                make_history(root, f"{args.chain} revisions", args.chain, chain=True, env=env)
                for _ in range(1 if args.chain else 0)
            ]
            for backend in ("sqlite", "postgresql"):
                if backend not in kinds:
                    continue
                for history in histories:
                    on = server if backend == "postgresql" else None
                    results += apply_case(
                        history,
                        backend,
                        on,
                        args.rounds,
                        env,
                        root,
                        library=args.library,
                        before=args.before,
                    )
                    print(f"  done: {results[-1].case}", file=sys.stderr, flush=True)
        print(f"- finished, load average {loadavg()}")
        if "sqlite" in kinds:
            print(f"- {commit_note(root)} (measured again at the end)")
        print()
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
