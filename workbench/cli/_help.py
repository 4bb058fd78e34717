"""Help that shows flags as flags and values by what they mean.

Typer renders each option's Python type as its metavar: ``--yes <bool>`` for a
flag that takes no value, ``--rows <list[str]>`` for a repeatable option. This
pass, run once over the command tree, gives flags no metavar at all, and every
other parameter without an explicit one its name in capitals (``--url URL``,
``--against AGAINST ...`` when repeatable, ``{SCHEMA}`` in the usage line).
Options whose values have a form say it themselves with ``metavar=``
(``--rename TABLE.OLD=NEW ...``).
"""

from __future__ import annotations

from typing import Any


def plain_metavars(command: Any) -> None:
    """Give every parameter of ``command`` and its subcommands a metavar a user can read."""
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "argument":
            # Typer prints an argument's Python type beside its name (``SCHEMA <str>``);
            # the name and the help say what it is.
            param.display_type_rich = _no_type
        if getattr(param, "metavar", None) is not None:
            continue
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
            continue
        long = [o for o in getattr(param, "opts", ()) if o.startswith("--")]
        name = (long[0][2:] if long else param.name or "value").upper().replace("-", "_")
        repeated = getattr(param, "multiple", False) or getattr(param, "nargs", 1) != 1
        is_option = getattr(param, "param_type_name", "") == "option"
        # An argument's own "..." is added by typer.
        param.metavar = f"{name} ..." if repeated and is_option else name
    _flag_help(command)
    for sub in (getattr(command, "commands", None) or {}).values():
        plain_metavars(sub)


def _no_type(ctx: Any) -> None:
    return None


def _flag_help(command: Any) -> None:
    """``--help`` is made per context, outside ``params``: make it a flag in help too."""
    made = getattr(command, "get_help_option", None)
    if made is None:
        return

    def get_help_option(ctx: Any) -> Any:
        option = made(ctx)
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option
