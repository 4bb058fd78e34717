"""The workbench command line, a thin skin over the library.

Each capability has its own module; importing it registers its commands on
:data:`app`. Only this package prints, prompts, colours or exits.

``from workbench.cli import app`` registers every command. The console script
(:func:`main`) does the same, except for the commands run most often in
scripts and deployments (``upgrade``, ``downgrade``, ``current``): for those
it imports their one module and has typer build that one command, which spares
each run the import of the other command modules and the building of the 15
others (about 35 ms). Help, errors and output are the same either way.
"""

from __future__ import annotations

import sys
from typing import Any

from workbench.cli import _app
from workbench.cli._app import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "app", "main"]

_HOT = frozenset({"upgrade", "downgrade", "current"})
"""Commands the console script builds alone (all three live in ``cli.migrate``)."""

_GLOBAL_FLAGS = frozenset({"--traceback"})
"""Global options without a value that may come before a hot command."""


def _register_all() -> None:
    """Import every command module, in the order ``workbench --help`` lists them."""
    from workbench.cli import advise, check, diagram, lint, migrate, seed, tour

    del advise, check, diagram, lint, migrate, seed, tour


def __getattr__(name: str) -> Any:
    if name == "app":
        _register_all()
        return _app.app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _hot_command(args: list[str]) -> str | None:
    """The hot command these arguments run, or None (anything else, help, version)."""
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--project":
            index += 2
            continue
        if word.startswith("--project=") or word in _GLOBAL_FLAGS:
            index += 1
            continue
        return word if word in _HOT else None
    return None


def main() -> None:
    """Console-script entry point."""
    hot = _hot_command(sys.argv[1:])
    if hot is None:
        _register_all()
    else:
        from workbench.cli import migrate

        del migrate
        _app.build_only(hot)
    _app.main()
