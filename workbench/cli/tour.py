"""`workbench tour`: a guided walk through every capability, on SQLite, in a temporary project.

Each step is a real command line, run in-process exactly as you would type it,
with a sentence on what it shows. A capability adds its step to :data:`STEPS`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli._app import EXIT_FINDINGS, EXIT_OK, app, say
from workbench.errors import WorkbenchError


@dataclass(frozen=True)
class TourStep:
    """One step: what it shows, and the command line that shows it."""

    title: str
    explain: str
    args: tuple[str, ...]
    expect: tuple[int, ...] = (EXIT_OK,)


STEPS: list[TourStep] = [
    TourStep(
        "List the schemas",
        "The project has one schema, blog, declared with SQLModel in schemas/blog.py, and its "
        "history in migrations/blog/. Its target is an embedded SQLite file, not created yet.",
        ("schemas",),
    ),
    TourStep(
        "Generate: nothing to do",
        "generate applies the history to a scratch database and compares it with the models. "
        "They agree, so no revision is written.",
        ("generate", "blog", "-m", "tour"),
    ),
    TourStep(
        "What is pending",
        "status shows what an upgrade would do to the target before it runs: the pending "
        "revisions and their operations, what they would destroy there, and lint's findings.",
        ("status", "blog"),
    ),
    TourStep(
        "Upgrade to head",
        "Each revision runs in one transaction, SQLite included: a revision that fails leaves "
        "the database exactly at the one before.",
        ("upgrade", "blog"),
    ),
    TourStep(
        "Where the target stands", "current compares the target with the head.", ("current", "blog")
    ),
    TourStep(
        "The history", "One revision so far, written by `workbench generate`.", ("history", "blog")
    ),
    TourStep(
        "Lint the history",
        "lint reads every revision's operations, no database needed, and reports what could "
        "lose data, lock a table or fail on one backend: a drop + add that looks like a rename, "
        "a NOT NULL column with no backfill, a downgrade that cannot undo. This one is clean.",
        ("lint", "blog"),
    ),
    TourStep(
        "Check: the CI gate",
        "check walks the history on a scratch database: at every revision upgrade, downgrade "
        "(the schema must come back exactly: enum types, CHECKs, indexes, defaults) and "
        "upgrade again, with rows seeded before each step that must survive it; then the "
        "models must agree with the database at head. Here on SQLite; CI adds PostgreSQL.",
        ("check", "blog", "--against", "sqlite"),
    ),
    TourStep(
        "Downgrade to base",
        "Every table goes, and on PostgreSQL the enum types with them.",
        ("downgrade", "blog", "base", "--yes"),
    ),
    TourStep("Upgrade again", "And back to head.", ("upgrade", "blog")),
    TourStep(
        "Seed data",
        "seed fills the tables parents first with rows that satisfy every constraint: unique "
        "emails and tag names, distinct (post, tag) pairs, replies that answer an earlier "
        "comment, authors picked with a long tail. The same --seed gives the same rows; the "
        "database then checks every foreign key, unique and check constraint itself.",
        ("seed", "blog", "--seed", "1", "--sample", "3"),
    ),
    TourStep(
        "Advise indexes",
        "advise reads the models (three foreign keys of comments lack an index; post_tags cannot "
        "find the posts of a tag) and the queries the blog runs, in queries.sql. Each candidate "
        "index is tried on a scratch copy seeded with 20,000 rows per table: only one the "
        "planner uses and that at least halves a query's time is advised, with the plans and "
        "times as evidence. --generate -m MSG would write them as a migration.",
        ("advise", "blog", "--queries", "queries.sql"),
    ),
    TourStep(
        "Draw the ER diagram",
        "diagram draws the models as SVG: columns in declaration order with their keys and real "
        "types, UNIQUE, CHECK and indexes per table, a line from each foreign key to the key it "
        "references, and post_tags marked as the link between posts and tags. --format png, "
        "--focus TABLE or --diff REV..REV give other views.",
        ("diagram", "blog"),
    ),
]


def example_files() -> tuple[Path, Path]:
    """The packaged blog example: its schema module and its migrations folder."""
    try:
        schema = Path(str(resources.files("workbench.examples.schemas") / "blog.py"))
        migrations = Path(str(resources.files("workbench.examples.migrations") / "blog"))
    except ModuleNotFoundError:
        # Running from a source checkout without installing: the repository's own.
        root = Path(__file__).resolve().parents[2]
        schema, migrations = root / "schemas" / "blog.py", root / "migrations" / "blog"
    if not schema.is_file() or not (migrations / "env.py").is_file():
        raise WorkbenchError(
            "the blog example is missing from this installation of workbench.",
            hint="Reinstall workbench (pip install --force-reinstall workbench).",
        )
    return schema, migrations


def make_tour_project(directory: Path) -> Path:
    """Copy the blog example into ``directory`` as a project of its own."""
    schema, migrations = example_files()
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise WorkbenchError(
            f"{directory} is not empty; the tour makes its project in an empty folder.",
            hint="Pass --dir with a new or empty folder, or leave it out to use a temporary one.",
        )
    (directory / "pyproject.toml").write_text(
        '[project]\nname = "workbench-tour"\nversion = "0"\n\n[tool.workbench]\n',
        encoding="utf-8",
    )
    (directory / "schemas").mkdir()
    shutil.copy(schema, directory / "schemas" / "blog.py")
    shutil.copytree(
        migrations,
        directory / "migrations" / "blog",
        ignore=shutil.ignore_patterns("__pycache__", "__init__.py"),
    )
    (directory / "diagrams").mkdir()
    from workbench.cli.advise import TOUR_WORKLOAD

    (directory / "queries.sql").write_text(TOUR_WORKLOAD, encoding="utf-8")
    return directory


@app.command()
def tour(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="An empty folder for the tour's project (default: a new temporary folder, "
            "kept afterwards so you can look around).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Walk through every capability on the blog example, on SQLite, in a temporary project.

    Nothing outside the tour's own folder is read or written.

    Example: `workbench tour`
    """
    root = make_tour_project(directory or Path(tempfile.mkdtemp(prefix="workbench-tour-")))
    say(f"workbench tour, in {root}", style="bold")
    with _own_environment():
        _walk(root)
    say()
    say(f"Done. The tour's project is in {root}: look around, or delete it.", style="bold")


@contextlib.contextmanager
def _own_environment() -> Iterator[None]:
    """No ``WORKBENCH_*`` variable reaches the tour's commands (``$WORKBENCH_URL`` above all).

    The tour downgrades to base and seeds: pointed at a real database by the
    environment, it would empty it. Its targets are the project's own files.
    """
    saved = {k: v for k, v in os.environ.items() if k.startswith("WORKBENCH_")}
    for key in saved:
        del os.environ[key]
    os.environ["WORKBENCH_INTERACTIVE"] = "0"
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("WORKBENCH_")]:
            del os.environ[key]
        os.environ.update(saved)


def _walk(root: Path) -> None:
    for number, step in enumerate(STEPS, 1):
        say()
        say(f"{number}. {step.title}", style="bold cyan")
        say(step.explain, style="dim")
        say("$ workbench " + " ".join(_quote(a) for a in step.args), style="bold")
        code = _run(root, step.args)
        if code not in step.expect:
            raise WorkbenchError(
                f"tour step {number} ({step.title}) exited with {code}; see the output above.",
                hint="Run that command yourself in the tour folder with --traceback.",
            )


def _quote(arg: str) -> str:
    return f'"{arg}"' if " " in arg else arg


def _run(root: Path, args: tuple[str, ...]) -> int:
    # standalone_mode=False: click returns the exit code instead of exiting.
    code = app(["--project", str(root), *args], prog_name="workbench", standalone_mode=False)
    return int(code or EXIT_OK)


__all__ = ["EXIT_FINDINGS", "STEPS", "TourStep", "tour"]
