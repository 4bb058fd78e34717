"""The one exception tree of workbench.

Every error the library raises on purpose is a :class:`WorkbenchError`. Its
message is one paragraph that says what went wrong and what to do next, and it
never contains a password. The CLI turns it into ``Error: ...`` on stderr and
exit code 2 (see ``workbench.cli``); anything else is a bug.
"""

from __future__ import annotations


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
