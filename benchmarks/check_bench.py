"""`workbench check` against pytest-alembic on the same synthetic revision chains.

For each chain length (one revision per table, from :func:`benchmarks.synth.write_chain`)
and each backend, two whole processes are timed, each on databases of its own:

* ``workbench check synth --against TARGET``: one head, every revision up,
  down (snapshot compared) and up again with rows seeded before each step and
  checked after, models against the database at head, lint;
* ``pytest`` running pytest-alembic's ``test_up_down_consistency`` and
  ``test_model_definitions_match_ddl`` (each on a fresh database, as its docs
  advise), through the same ``env.py``.

pytest-alembic cannot be installed next to the project's pytest (0.13.1 fails
to collect under pytest 9.2), so it runs from a virtualenv of its own, given
with ``--pytest-alembic-python``; that environment must also be able to import
workbench (the ``env.py`` of the history calls it)::

    python -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install "pytest<9.2" pytest-alembic==0.13.1 -e .
    python -m benchmarks.check_bench --pytest-alembic-python /tmp/bench-venv/bin/python

PostgreSQL is ``$WORKBENCH_TEST_POSTGRES_URL``, a local server, or a throwaway
cluster (see :mod:`workbench.pgserver`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import timed
from benchmarks.synth import write_chain, write_project

CONFTEST = """\
import pytest
import sqlalchemy as sa
from pytest_alembic.config import Config as PytestAlembicConfig

from workbench import db
from workbench.config import Config
from workbench.envpy import RunContext
from workbench.loader import load_schema
from workbench.revisions import HistoryModel, alembic_config as workbench_alembic_config

ROOT = {root!r}
SERVER = {server!r}


@pytest.fixture(scope="session")
def run_context():
    # The models and the history's model, read once for the session (as check reads them
    # once per schema), so that env.py does not read them again at every step.
    cfg = Config.at(ROOT)
    return RunContext(schema=load_schema(cfg, "synth"), history=HistoryModel.of(cfg, "synth"))


@pytest.fixture
def alembic_config(run_context):
    # workbench's own env.py; autogenerate needs to be told it is one.
    ac = workbench_alembic_config(
        Config.at(ROOT),
        "synth",
        attributes={{"workbench.autogenerate": True, "workbench": run_context}},
    )
    return PytestAlembicConfig(alembic_config=ac)


@pytest.fixture
def alembic_engine(tmp_path):
    if SERVER is None:
        engine = sa.create_engine(f"sqlite:///{{tmp_path / 'db.sqlite3'}}")
        yield engine
        engine.dispose()
        return
    with db.scratch(SERVER) as url:
        engine = sa.create_engine(url)
        yield engine
        engine.dispose()
"""

TESTS = """\
from pytest_alembic.tests import test_model_definitions_match_ddl, test_up_down_consistency
"""


@dataclass(frozen=True)
class Timing:
    seconds: float
    cpu: float
    """User + system CPU of the process (and its children): the database server's is not in it."""
    ok: bool
    tail: str


def _run(command: list[str], env: dict[str, str] | None = None) -> Timing:
    seconds, cpu, done = timed(command, env)
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return Timing(seconds, cpu, done.returncode == 0, " | ".join(tail))


def time_check(
    root: Path, target: str, env: dict[str, str] | None = None, before: Path | None = None
) -> Timing:
    env = dict(env if env is not None else os.environ)
    if before is not None:
        # The same command from another source tree, found first on the path.
        env["PYTHONPATH"] = str(before)
    return _run(
        [sys.executable, "-c", "import sys; from workbench.cli import main; main()",
         "--project", str(root), "check", "synth", "--against", target],
        env,
    )  # fmt: skip


def time_pytest_alembic(
    python: str, root: Path, server: str | None, env: dict[str, str] | None = None
) -> Timing:
    tests = root / "pa_tests"
    tests.mkdir(exist_ok=True)
    (tests / "conftest.py").write_text(
        CONFTEST.format(root=str(root), server=server), encoding="utf-8"
    )
    (tests / "test_migrations.py").write_text(TESTS, encoding="utf-8")
    env = env if env is not None else {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return _run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:faker",
         "--rootdir", str(tests), str(tests)],
        env=env,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100, 200])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--pytest-alembic-python", default="/tmp/bench-venv/bin/python")
    parser.add_argument(
        "--concurrency",
        action="store_true",
        help="instead: both backends in one check, serial (WORKBENCH_CHECK_SERIAL=1) "
        "against concurrent, alternating, twice per size",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="instead of one run per size: this many interleaved rounds of each tool "
        "(the order rotated each round), reported as medians with CPU and the load",
    )
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="with --rounds: both tools cache bytecode in a private folder (warmed by an "
        "untimed round), as an installed package does; else PYTHONDONTWRITEBYTECODE=1",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="with --rounds: also time `check` from another source tree (e.g. `git archive` "
        "of an older commit), interleaved: a before/after in one run",
    )
    args = parser.parse_args(argv)
    if args.concurrency:
        return concurrency(args.sizes)
    if args.rounds:
        return rounds(args)

    from workbench import pgserver

    server_cm = pgserver.provision() if "postgresql" in args.backends else None
    server = server_cm.__enter__() if server_cm is not None else None
    rows = []
    try:
        for n in args.sizes:
            root = Path(tempfile.mkdtemp(prefix=f"check_bench_{n}_")) / "project"
            write_project(root, n)
            write_chain(root)
            for backend in args.backends:
                target = "sqlite" if backend == "sqlite" else str(server)
                ours = time_check(root, target)
                theirs = time_pytest_alembic(
                    args.pytest_alembic_python, root, None if backend == "sqlite" else server
                )
                rows.append((n, backend, ours, theirs))
                print(_line(n, backend, ours, theirs), flush=True)
    finally:
        if server_cm is not None:
            server_cm.__exit__(None, None, None)
    print()
    print(
        "| revisions | backend | check: wall (CPU) | per revision | pytest-alembic: wall (CPU) "
        "| per revision | check / pytest-alembic (wall) |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for n, backend, ours, theirs in rows:
        print(
            f"| {n} | {backend} | {_cell(ours)} | {ours.seconds / n * 1000:.0f} ms "
            f"| {_cell(theirs)} | {theirs.seconds / n * 1000:.0f} ms "
            f"| {ours.seconds / theirs.seconds:.2f}x |"
        )
    failed = [r for r in rows if not (r[2].ok and r[3].ok)]
    for n, backend, ours, theirs in failed:
        print(f"\n{n} {backend}: check: {ours.tail}\n  pytest-alembic: {theirs.tail}")
    return 1 if failed else 0


def concurrency(sizes: list[int]) -> int:
    """``check --against sqlite --against PG``: backends one by one, then concurrently."""
    from workbench import pgserver

    with pgserver.provision() as server:
        for n in sizes:
            root = Path(tempfile.mkdtemp(prefix=f"check_bench_{n}_")) / "project"
            write_project(root, n)
            write_chain(root)
            command = [sys.executable, "-m", "workbench", "--project", str(root), "check",
                       "synth", "--against", "sqlite", "--against", str(server)]  # fmt: skip
            for label, extra in [
                ("serial", {"WORKBENCH_CHECK_SERIAL": "1"}),
                ("concurrent", {}),
            ] * 2:
                t = _run(command, {**os.environ, **extra})
                print(f"{n} {label}: {_cell(t)}, load {os.getloadavg()[0]:.1f}", flush=True)
    return 0


def _cell(t: Timing) -> str:
    return f"{t.seconds:.1f} s ({t.cpu:.1f} s){'' if t.ok else ' FAILED'}"


def _line(n: int, backend: str, ours: Timing, theirs: Timing) -> str:
    def state(t: Timing) -> str:
        return f"{t.seconds:7.2f} s, CPU {t.cpu:6.2f} s ({'ok' if t.ok else 'FAILED'})"

    return (
        f"{n:>4} revisions  {backend:<10}  check {state(ours)}  pytest-alembic {state(theirs)}"
        f"  ratio {ours.seconds / theirs.seconds:.2f}"
    )


def rounds(args: argparse.Namespace) -> int:
    """Interleaved rounds of check (and ``--before``) against pytest-alembic, per size/backend."""
    import statistics
    from functools import partial

    from benchmarks.harness import child_env
    from workbench import pgserver

    def load() -> float:
        return os.getloadavg()[0]

    cache = Path(tempfile.mkdtemp(prefix="check_bench_pyc_"))
    env = child_env(args.bytecode, cache)
    print(
        f"- {'bytecode cached (private folder)' if args.bytecode else 'PYTHONDONTWRITEBYTECODE=1'}"
        f", {args.rounds} rounds, load average at start {load():.2f}",
        flush=True,
    )
    server_cm = pgserver.provision() if "postgresql" in args.backends else None
    server = server_cm.__enter__() if server_cm is not None else None
    lines = [
        "| revisions | backend | tool | wall median (min) | CPU median | wall ratio "
        "| CPU ratio | paired wall ratio |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    loads: list[float] = []
    try:
        for n in args.sizes:
            root = Path(tempfile.mkdtemp(prefix=f"check_bench_{n}_")) / "project"
            write_project(root, n)
            write_chain(root)
            for backend in args.backends:
                target = "sqlite" if backend == "sqlite" else str(server)
                on = None if backend == "sqlite" else server
                runners = {
                    "check": partial(time_check, root, target, env),
                    "pytest-alembic": partial(
                        time_pytest_alembic, args.pytest_alembic_python, root, on, env
                    ),
                }
                if args.before is not None:
                    runners["check (before)"] = partial(time_check, root, target, env, args.before)
                names = list(runners)
                got: dict[str, list[Timing]] = {k: [] for k in names}
                for i in range(args.rounds + 1):
                    order = names[i % len(names) :] + names[: i % len(names)]
                    for name in order:
                        t = runners[name]()
                        if not t.ok:
                            raise SystemExit(f"{name} failed: {t.tail}")
                        if i:  # the first round warms caches and is not kept
                            got[name].append(t)
                    loads.append(load())
                theirs = got["pytest-alembic"]
                for name in names:
                    ts = got[name]
                    wall = statistics.median(t.seconds for t in ts)
                    cpu = statistics.median(t.cpu for t in ts)
                    paired = statistics.median(
                        a.seconds / b.seconds for a, b in zip(ts, theirs, strict=True)
                    )
                    lines.append(
                        f"| {n} | {backend} | {name} | {wall:.2f} s "
                        f"({min(t.seconds for t in ts):.2f}) | {cpu:.2f} s "
                        f"| {wall / statistics.median(t.seconds for t in theirs):.2f}x "
                        f"| {cpu / statistics.median(t.cpu for t in theirs):.2f}x "
                        f"| {paired:.2f}x |"
                    )
                print(f"  done: {n} {backend}, load {load():.2f}", flush=True)
    finally:
        if server_cm is not None:
            server_cm.__exit__(None, None, None)
    print(f"- load average (1 min) after each round: {min(loads):.2f} to {max(loads):.2f}")
    print()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
