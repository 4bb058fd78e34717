"""Running workbench's CLI from a test: one ``CliRunner`` and the calls every module uses.

A CLI test goes through ``typer.testing.CliRunner`` and asserts the exit code
and the output (STYLE.md, point 15). :func:`invoke` runs a command in a
project (``--project ROOT ...``) and returns click's ``Result``; :func:`run`
and :func:`outcome` are the two shapes tests compare against.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner, Result

from tests.conftest import Project
from workbench.cli import app

runner = CliRunner()


def invoke(project: Project | Path, *args: str, env: Mapping[str, str] | None = None) -> Result:
    """``workbench --project ROOT ARGS...``, with ``env`` added to the environment."""
    root = project.root if isinstance(project, Project) else project
    return runner.invoke(app, ["--project", str(root), *args], env=env)


def run(project: Project | Path, *args: str) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of :func:`invoke`."""
    result = invoke(project, *args)
    return result.exit_code, result.stdout, result.stderr


def outcome(
    project: Project | Path, *args: str, env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """The exit code and the whole output (stdout and stderr as they came) of :func:`invoke`."""
    result = invoke(project, *args, env=env)
    return result.exit_code, result.output
