"""The one exception tree of workbench.

Every error the library raises on purpose is a :class:`WorkbenchError`. Its
message is one paragraph that says what went wrong and what to do next, and it
never contains a password. The CLI turns it into ``Error: ...`` on stderr and
exit code 2 (see ``workbench.cli``); anything else is a bug.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path


class WorkbenchError(Exception):
    """An error the user can act on: bad input, an unreachable database, a failed migration."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """The whole paragraph: the problem, then what to do about it."""
        return f"{self.message} {self.hint}" if self.hint else self.message


class ProjectError(WorkbenchError):
    """No project, a malformed ``[tool.workbench]`` table, or an unknown schema."""


class UserCodeError(WorkbenchError):
    """An exception raised by the user's code (models, ``env.py``, a revision), not by workbench.

    ``path`` and ``line`` say where in the user's files it was raised, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        super().__init__(message, hint=hint)


class SchemaLoadError(UserCodeError):
    """A schema module that fails to import, or that declares no tables."""


class ModelDefect(SchemaLoadError):
    """Models that import, but that ``backends`` cannot create as declared.

    ``check`` reports it as a finding beside the walk of the history (which
    does not need the models); the commands that build from the models stop.
    """

    def __init__(
        self,
        problem: str,
        place: tuple[str, int | None],
        *,
        backends: tuple[str, ...],
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        """What is wrong, without the place (the message starts with ``file:line: ``)."""
        self.backends = backends
        path, line = place
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}", path=path, line=line, hint=hint)


class DatabaseError(WorkbenchError):
    """A malformed URL, an unreachable server, a refused login."""


class RevisionError(WorkbenchError):
    """An unknown revision, several heads, or a database stamped with a revision we lack."""


class MigrationFailed(WorkbenchError):
    """A revision raised while being applied; its transaction was rolled back."""

    def __init__(self, message: str, *, revision: str | None = None, hint: str | None = None):
        self.revision = revision
        super().__init__(message, hint=hint)


class Refused(WorkbenchError):
    """The operation would destroy data or is otherwise unsafe, and was not confirmed."""


class SeedError(WorkbenchError):
    """Rows that cannot be seeded: an impossible count, an unsupported column, a failed CHECK."""


_OURS = Path(__file__).resolve().parent


def _is_library(path: Path) -> bool:
    """Installed or standard-library code: neither workbench's nor the user's."""
    text = str(path)
    if text.startswith("<"):
        return True  # <frozen importlib._bootstrap>, <string>
    if "site-packages" in path.parts or "dist-packages" in path.parts:
        return True
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        lib = Path(prefix) / "lib"
        if lib in path.parents:
            return True
    return False


def user_code_error(exc: BaseException, root: Path) -> UserCodeError | None:
    """``exc`` as the user's error when it was raised in the user's code, else ``None``.

    The traceback's innermost frame that is not installed library code
    decides: in workbench's own files it is a workbench bug; in any other file
    (the project's models, ``env.py``, a revision, a package of theirs) it is
    theirs to fix, reported with its file, line and exception. A
    ``SyntaxError`` names the file it could not parse.
    """
    where: tuple[Path, int] | None = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        path = Path(frame.f_code.co_filename)
        if _is_library(path):
            continue
        resolved = path.resolve()
        where = None if _OURS in resolved.parents else (resolved, line)
    if isinstance(exc, SyntaxError) and exc.filename and not exc.filename.startswith("<"):
        candidate = Path(exc.filename).resolve()
        if _OURS not in candidate.parents:
            where = (candidate, exc.lineno or 0)
    if where is None:
        return None
    try:
        shown = where[0].relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(where[0])
    if isinstance(exc, SystemExit):
        what = f"called sys.exit({exc.code!r})"
    else:
        reason = " ".join(str(exc).split())
        if len(reason) > 400:
            reason = reason[:400] + "..."
        what = f"raised {type(exc).__name__}" + (f": {reason}" if reason else "")
    return UserCodeError(
        f"your code at {shown}:{where[1]} {what}.",
        path=shown,
        line=where[1],
        hint="Fix it there (run with --traceback to see the whole traceback), then run the "
        "command again. A missing package: install it in this environment.",
    )
