"""Exceptions raised by the user's code, reported as theirs: file, line, and what to do.

Workbench imports the user's models and reads and runs their revisions. When
that code raises (a bad import, a missing package, a revision's bug), the
error names the user's file and line, never "a bug in workbench".
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from workbench.errors import SchemaLoadError, UserCodeError


def user_code_error(
    exc: BaseException, doing: str, folders: tuple[Path, ...], *, fix: str
) -> UserCodeError:
    """Report ``exc``, raised by the user's code while ``doing``, with their file and line.

    A missing package is named, with where to install it.
    """
    path, line = user_frame(exc, folders)
    where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
    if (
        isinstance(exc, ModuleNotFoundError)
        and exc.name
        and not _inside_any_project_folder(exc.name.split(".")[0], folders)
    ):
        return UserCodeError(
            f"{where}{doing} failed: the package {exc.name.split('.')[0]!r} is not installed "
            f"(ModuleNotFoundError: {_one_line(exc)})",
            path=path,
            line=line,
            hint=f"Install it in the environment workbench runs in ({sys.executable} -m pip "
            f"install ...), or run workbench from the project's own environment.",
        )
    if isinstance(exc, SyntaxError) and exc.filename and not path:
        path, line = exc.filename, exc.lineno
        where = f"{path}:{line}: "
    return UserCodeError(
        f"{where}{doing} failed: {type(exc).__name__}: {_one_line(exc)}",
        path=path,
        line=line,
        hint=f"This is raised by your code, not by workbench: fix it (or the {fix}) and run "
        "the command again; --traceback shows the whole traceback.",
    )


def schema_import_error(
    exc: BaseException, where: str, shown: str, folders: tuple[Path, ...]
) -> SchemaLoadError:
    """A schema module at ``shown`` raised ``exc`` (at ``where``, ``file:line``) on import.

    A package that is not installed is named as such, and ``sys.exit()`` as a call.
    """
    top = (getattr(exc, "name", None) or "").split(".")[0]
    if (
        isinstance(exc, ModuleNotFoundError)
        and top
        and not _inside_any_project_folder(top, folders)
    ):
        return SchemaLoadError(
            f"{where}: ModuleNotFoundError: {_one_line(exc)} The schema module imports it, but "
            f"the package {top!r} is not installed here.",
            hint=f"Install it in the environment workbench runs in ({sys.executable} -m pip "
            "install ...), or run workbench from the project's own environment.",
        )
    what = (
        f"called sys.exit({exc.code!r}) while it was imported."
        if isinstance(exc, SystemExit)
        else f"{type(exc).__name__}: {_one_line(exc)}"
    )
    return SchemaLoadError(
        f"{where}: {what}",
        hint=f"The schema module {shown} must import cleanly; fix the error above.",
    )


def user_frame(exc: BaseException, folders: tuple[Path, ...]) -> tuple[str | None, int | None]:
    """The deepest frame of ``exc``'s traceback in the user's files, else outside workbench."""
    import workbench

    ours = Path(workbench.__file__).resolve().parent
    inside: tuple[str, int] | None = None
    outside: tuple[str, int] | None = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if name.startswith("<"):
            continue
        file = Path(name).resolve()
        if ours in file.parents:
            continue
        if (
            _under(file, folders)
            and ".venv" not in file.parts
            and "site-packages" not in file.parts
        ):
            inside = (_rel_to(file, folders), lineno)
        else:
            outside = (str(file), lineno)
    found = inside or outside
    return (found[0], found[1]) if found else (None, None)


def _rel_to(file: Path, folders: tuple[Path, ...]) -> str:
    for folder in folders:
        if folder in file.parents:
            return file.relative_to(folder).as_posix()
    return str(file)


def _under(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path == f or f in path.parents for f in folders)


def _inside_any_project_folder(top: str, folders: tuple[Path, ...]) -> bool:
    """Whether the project itself has a module ``top``."""
    return any((f / top).is_dir() or (f / f"{top}.py").is_file() for f in folders)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if text.endswith(".") else text + "."
