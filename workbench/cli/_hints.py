"""Hints that name a command carry the user's own ``--project`` and ``--url``.

A hint such as "Run `workbench upgrade school` first" after
``seed school --url sqlite:///other.db`` would upgrade another database if
followed to the letter. Every `workbench ...` command quoted in a message is
completed here with the ``--project`` the user passed and, for a command that
takes a target, the ``--url`` (password redacted).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_QUOTED = re.compile(r"`workbench ([^`]+)`")


def _url_commands(ctx: Any) -> set[str]:
    """The subcommands of the root group that take ``--url``."""
    from workbench.cli._app import full_command, thinned

    root = ctx.find_root()
    # A run that built only its own command (see workbench.cli) asks the whole tree.
    group = full_command() if thinned() else root.command
    commands = getattr(group, "commands", {}) or {}
    found = set()
    for name, command in commands.items():
        for param in getattr(command, "params", ()):
            if "--url" in getattr(param, "opts", ()):
                found.add(name)
    return found


def _project(ctx: Any) -> Path | None:
    obj = ctx.find_root().obj
    return getattr(obj, "project", None)


def user_url(args: Sequence[str]) -> str | None:
    """The value of ``--url`` in a command's arguments, if given."""
    for i, arg in enumerate(args):
        if arg == "--url" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--url="):
            return arg[len("--url=") :]
    return None


def complete(command: str, *, project: Path | None, url: str | None, url_commands: set[str]) -> str:
    """``command`` (the words after ``workbench``) with ``--project`` and ``--url`` added."""
    words = command.split()
    if not words:
        return command
    head = []
    if project is not None and "--project" not in words:
        head = ["--project", shlex.quote(str(project))]
    tail = []
    if url and words[0] in url_commands and "--url" not in words:
        from workbench.db import redact

        tail = ["--url", shlex.quote(redact(url))]
    return " ".join([*head, *words, *tail])


def carry(text: str, ctx: Any, args: Sequence[str]) -> str:
    """``text`` with every quoted `workbench ...` command completed for this run."""
    project = _project(ctx)
    url = user_url(args)
    if project is None and url is None:
        return text
    commands = _url_commands(ctx)

    def fix(match: re.Match[str]) -> str:
        done = complete(match.group(1), project=project, url=url, url_commands=commands)
        return f"`workbench {done}`"

    return _QUOTED.sub(fix, text)


def command_line(ctx: Any, *words: str) -> str:
    """``workbench WORDS...`` for a hint, with this run's ``--project`` and ``--url``."""
    url = ctx.params.get("url") if isinstance(getattr(ctx, "params", None), dict) else None
    quoted = " ".join(shlex.quote(w) for w in words)
    done = complete(quoted, project=_project(ctx), url=url, url_commands=_url_commands(ctx))
    return f"workbench {done}"
