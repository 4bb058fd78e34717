"""The typer app, its global options, and the one place errors become exit codes.

Command modules register on :data:`app`; each parses its arguments, calls one
library function, renders the typed result and returns an exit code. Heavy
libraries (SQLAlchemy, Alembic, SQLModel) are imported inside commands so that
``workbench --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

try:  # typer 0.2x vendors click as typer._click; earlier releases use click itself.
    from typer._click import exceptions as _click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as _click_exceptions  # type: ignore[no-redef]

from workbench import __version__
from workbench.cli._typer_compat import plain_cli_coercion
from workbench.compat import command_line_rest
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from rich.console import Console

    from workbench.config import Config

EXIT_OK = 0
"""The command did what it was asked and found nothing wrong."""
EXIT_FINDINGS = 1
"""The command ran and found problems (check, lint, diagram --check)."""
EXIT_ERROR = 2
"""Bad input or an error; the message says what to do next."""
EXIT_INTERRUPTED = 130


@dataclass
class State:
    """Global options, shared with every command through the click context."""

    project: Path | None = None
    traceback: bool = False


_PASS_THROUGH = (
    typer.Exit,
    typer.Abort,
    _click_exceptions.ClickException,
    getattr(_click_exceptions, "Exit", typer.Exit),
    getattr(_click_exceptions, "Abort", typer.Abort),
)
"""Exceptions that carry their own exit code (usage errors, --help, Exit)."""


class WorkbenchGroup(TyperGroup):
    """Turns a ``WorkbenchError`` into ``Error: ...`` and exit code 2, the one place that does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from workbench.cli._help import plain_metavars

        plain_metavars(self)

    def invoke(self, ctx: Any) -> Any:
        rest = command_line_rest(ctx)
        as_json = "--json" in rest
        global _json_stdout
        try:
            if not as_json:
                return super().invoke(ctx)
            # The one JSON document owns stdout: what the user's code prints while it
            # runs (a revision's print(), an app's logging to stdout) goes to stderr.
            _json_stdout = sys.stdout
            try:
                with contextlib.redirect_stdout(sys.stderr):
                    return super().invoke(ctx)
            finally:
                _json_stdout = None
        except WorkbenchError as exc:
            if _state(ctx).traceback:
                raise
            from workbench.cli._hints import carry

            fail(carry(exc.text, ctx, rest), as_json=as_json)
        except KeyboardInterrupt:
            if _state(ctx).traceback:
                raise
            typer.echo(
                "Interrupted: nothing was left half-done (scratch databases are dropped, "
                "the running revision was rolled back).",
                err=True,
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except _PASS_THROUGH:
            raise
        except BrokenPipeError:
            _reader_gone()
        except (Exception, SystemExit) as exc:
            if _state(ctx).traceback:
                raise
            from workbench.errors import user_code_error

            theirs = user_code_error(exc, _state(ctx).project or Path.cwd())
            if theirs is not None:
                fail(theirs.text, as_json=as_json)
            if isinstance(exc, SystemExit):
                raise
            fail(
                f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())}. This is a "
                "bug in workbench: run the command again with --traceback and report the output.",
                as_json=as_json,
            )


def _reader_gone() -> NoReturn:
    """Whoever read our output went away (``workbench lint --help | head``): stop quietly,
    as Python's documentation recommends for SIGPIPE, rather than call it a bug."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(1)


def fail(text: str, *, as_json: bool = False) -> NoReturn:
    """Report an error (on stderr, or as the JSON document) and exit with code 2.

    Whatever credential the text carries (a URL's password, ``password=...``)
    is replaced by ``***`` first: the last line of defence of every error path.
    """
    from workbench.db import redact_text

    text = redact_text(text)
    if as_json:
        typer.echo(json.dumps({"ok": False, "error": text}, indent=2))
    typer.echo(f"Error: {text}", err=True)
    raise typer.Exit(EXIT_ERROR)


def _state(ctx: Any) -> State:
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, State) else State()


# Plain str/int parameters skip typer's pydantic adapters (0.1-0.25 s a command).
plain_cli_coercion()

app = typer.Typer(
    name="workbench",
    cls=WorkbenchGroup,
    help=(
        "Schema design and migration workbench: generate Alembic migrations from SQLModel or "
        "SQLAlchemy models, apply them up and down on SQLite and PostgreSQL, and prove in CI "
        "that every one round-trips without losing data.\n\n"
        "Start with `workbench tour`, or `workbench init` in a new folder."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"workbench {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            help="The project directory (default: the nearest one upward from here whose "
            "pyproject.toml has [tool.workbench]).",
            file_okay=False,
        ),
    ] = None,
    traceback: Annotated[
        bool,
        typer.Option("--traceback", help="Show the full Python traceback of an error."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    ctx.obj = State(project=project, traceback=traceback)
    # A SIGTERM (CI timeout, `kill`) unwinds like Ctrl-C, so scratch databases are
    # dropped and the running revision rolls back.
    if hasattr(signal, "SIGTERM") and ctx.resilient_parsing is False:
        signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def config(ctx: typer.Context) -> Config:
    """The project of this run: ``--project``, else discovered upward from the working folder."""
    from workbench.config import discover, load

    state = _state(ctx)
    if state.project is not None:
        if not state.project.is_dir():
            raise WorkbenchError(f"--project {state.project}: no such directory.")
        return load(state.project)
    return discover(Path.cwd())


_consoles: dict[bool, Console] = {}


def console(err: bool = False) -> Console:
    """The rich console for stdout (or stderr); created on first use."""
    if err not in _consoles:
        from rich.console import Console

        made = Console(stderr=err, highlight=False, soft_wrap=True)
        if not made.is_terminal:
            # Piped or captured output: do not squeeze tables into 80 columns.
            made = Console(stderr=err, highlight=False, soft_wrap=True, width=200)
        _consoles[err] = made
    return _consoles[err]


def say(text: str = "", *, style: str | None = None, err: bool = False) -> None:
    """Print plain text (never interpreted as rich markup), styled on a terminal.

    Piped or captured output carries no style, so it is written directly,
    sparing a command that only prints lines the import of rich (about 20 ms).
    """
    stream = sys.stderr if err else sys.stdout
    if err not in _consoles and not (style and stream.isatty()):
        typer.echo(text, err=err)
        return
    console(err).print(text, style=style, markup=False, highlight=False)


def shown_target(target: str, root: Path) -> str:
    """A target for display: the embedded SQLite file relative to the project."""
    prefix = "sqlite:///"
    if target.startswith(prefix):
        path = Path(target[len(prefix) :])
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return target
    return target


_json_stdout: Any = None
"""The real stdout of a ``--json`` run (``sys.stdout`` is stderr while it runs)."""


def emit_json(document: Any) -> None:
    """Print the one JSON document of a ``--json`` run on stdout."""
    typer.echo(json.dumps(document, indent=2, default=str), file=_json_stdout or sys.stdout)


# --- what several commands share -----------------------------------------------------------

SchemaArg = Annotated[str, typer.Argument(help="The schema: a module name in schemas/, like blog.")]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Target database URL (default: $WORKBENCH_URL, else [tool.workbench], else "
        ".workbench/SCHEMA.sqlite3).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]
SqlOpt = Annotated[
    bool, typer.Option("--sql", help="Print the SQL instead of running it (nothing is changed).")
]
YesOpt = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Do not ask before dropping data (tables, columns, narrowed values) in the target.",
    ),
]


def interactive() -> bool:
    """Whether to ask questions: stdin and stdout are a terminal.

    ``WORKBENCH_INTERACTIVE=1`` (or ``0``) forces it either way, for scripts and tests.
    """
    forced = os.environ.get("WORKBENCH_INTERACTIVE", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    return sys.stdin.isatty() and sys.stdout.isatty()


@contextlib.contextmanager
def asking() -> Iterator[None]:
    """Ctrl-C or end of input at a question interrupts the command like Ctrl-C anywhere."""
    try:
        yield
    except typer.Abort:
        raise KeyboardInterrupt from None


_set_aside: list[Any] = []
"""Commands :func:`build_only` took off :data:`app`, for :func:`full_command`."""
_whole: list[Any] = []
"""The click group of every command, once :func:`full_command` has built it."""


def build_only(name: str) -> None:
    """Leave only the command ``name`` on :data:`app`, so typer builds just that one.

    For the console script of a run that names its command (see ``workbench.cli``).
    """
    from typer.main import get_command_name

    def named(info: Any) -> str:
        return str(info.name or get_command_name(info.callback.__name__))

    keep = [info for info in app.registered_commands if named(info) == name]
    _set_aside.extend(info for info in app.registered_commands if named(info) != name)
    app.registered_commands = keep


def thinned() -> bool:
    """Whether this run built only its own command (:func:`build_only`)."""
    return bool(_set_aside or _whole)


def full_command() -> Any:
    """The click group of every command, also in a run :func:`build_only` thinned."""
    if not _whole:
        import workbench.cli

        workbench.cli._register_all()
        app.registered_commands = [*_set_aside, *app.registered_commands]
        _set_aside.clear()
        _whole.append(typer.main.get_command(app))
    return _whole[0]


def main() -> None:
    """Run :data:`app` with the commands registered on it (``workbench.cli.main``
    registers them)."""
    # Windows consoles default to a legacy code page; our output is UTF-8.
    if os.name == "nt":  # pragma: no cover
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(encoding="utf-8")
    try:
        app(prog_name="workbench")
    except BrokenPipeError:
        _reader_gone()
