"""Documentation is tested: every command has help, examples and a docs section; the README's
quick start is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from workbench.cli import app

REPO = Path(__file__).resolve().parents[1]
COMMANDS = sorted(typer.main.get_command(app).commands.items())  # type: ignore[attr-defined]


def _docs() -> str:
    return "\n".join(p.read_text() for p in sorted((REPO / "docs").glob("*.md")))


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_an_example_and_a_docs_section(name: str, command: object) -> None:
    help_text = getattr(command, "help", "") or ""
    assert help_text.strip(), f"{name} has no help"
    assert "Example" in help_text, f"{name}'s help does not end with an example"
    for param in getattr(command, "params", []):
        if param.name in ("help",):
            continue
        assert getattr(param, "help", None), f"{name}: option/argument {param.name} has no help"
    assert re.search(rf"^## workbench {name}\b", _docs(), re.M), (
        f"docs/ lacks '## workbench {name}'"
    )


def _quick_start() -> list[str]:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Quick start")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme[start:], re.S)
    return [b.strip() for b in blocks[:2]]


def test_readme_starts_with_the_two_commands() -> None:
    tour, tests = _quick_start()
    assert "pip install -e ." in tour and tour.endswith("workbench tour")
    assert "pip install -e '.[dev]'" in tests and tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim_and_requires_postgres() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert _quick_start()[1] in ci.splitlines()
    assert "export WORKBENCH_REQUIRE_POSTGRES=1" in ci
    assert "scripts/lint" in ci


def test_changelog_keeps_a_changelog_form() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text and "### Added" in text


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_the_readme_shows_every_command(name: str) -> None:
    readme = (REPO / "README.md").read_text()
    assert re.search(rf"^workbench {name}\b", readme, re.M) or f"`workbench {name}`" in readme, (
        f"README.md never shows `workbench {name}`"
    )


def test_architecture_names_only_modules_that_exist() -> None:
    text = (REPO / "ARCHITECTURE.md").read_text()
    for path in re.findall(r"`(workbench/[\w/]+\.py)`", text):
        assert (REPO / path).is_file(), f"ARCHITECTURE.md names {path}, which does not exist"
