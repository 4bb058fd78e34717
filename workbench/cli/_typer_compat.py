"""The private names of typer the command line relies on, in one place (see workbench.compat)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


def plain_cli_coercion() -> bool:
    """Coerce plain CLI parameters (``str``, ``int``, ``bool``, ``Path``, lists) without pydantic.

    typer 0.2x converts every parameter through a pydantic ``TypeAdapter``,
    importing pydantic (0.1 to 0.25 s) in every command. For the plain types
    workbench's commands use, click has already split the command line into
    strings, so the conversion is ``str``, ``int``, a boolean word or
    ``Path`` (whose checks typer still makes, in ``coerce_cli_path``); every
    other annotation (choices, numbers with bounds, dates, files) still goes
    through typer. Patches typer's private ``typer.core.build_runtime_param``;
    returns ``False`` (nothing changed) when a typer release no longer has the
    names it needs: this is speed, not correctness, so typer's own path is a
    safe fallback.
    """
    try:
        from typer import _coercion, _param_types
        from typer import core as typer_core
    except ImportError:
        return False
    original = getattr(typer_core, "build_runtime_param", None)
    base = getattr(_coercion, "RuntimeParam", None)
    coerce_path = getattr(_param_types, "coerce_cli_path", None)
    if original is None or base is None or coerce_path is None:
        return False
    if getattr(original, "__wrapped_by_workbench__", False):
        return True
    # typer 0.2x vendors click as typer._click; its errors are what it renders.
    bad_parameter: Any = getattr(_coercion, "BadParameter", None)
    if bad_parameter is None:
        return False
    converters = _converters(coerce_path)
    plain_param = _plain_param_class(base, bad_parameter)

    def build(descriptor: Any) -> Any:
        annotation = descriptor.annotation
        many = False
        if descriptor.is_list:
            args: tuple[Any, ...] = getattr(annotation, "__args__", ())
            annotation, many = (args[0] if len(args) == 1 else None), True
        if not _is_plain(descriptor, annotation, converters):
            return original(descriptor)
        return plain_param(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            convert=converters[annotation],
            many=many,
        )

    build.__wrapped_by_workbench__ = True  # type: ignore[attr-defined]
    typer_core.build_runtime_param = build  # type: ignore[attr-defined]
    return True


_TRUTH = {
    **dict.fromkeys(("1", "true", "t", "yes", "y", "on"), True),
    **dict.fromkeys(("0", "false", "f", "no", "n", "off", ""), False),
}
"""The boolean words click accepts, as typer's pydantic path reads them."""


def _to_str(value: Any, info: Any, param: Any, ctx: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


def _to_int(value: Any, info: Any, param: Any, ctx: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("an integer")
    try:
        return int(value)
    except ValueError:
        raise ValueError("an integer") from None


def _to_bool(value: Any, info: Any, param: Any, ctx: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUTH:
        return _TRUTH[value.strip().lower()]
    raise ValueError("a boolean (true or false)")


def _converters(coerce_path: Any) -> dict[Any, Any]:
    """The plain types' converters; a ``Path`` still gets typer's checks, in ``coerce_path``."""

    def to_path(value: Any, info: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            value = Path(value)
        if not isinstance(value, Path):
            raise ValueError("a path")
        return coerce_path(value, info, path_type=Path, param=param, ctx=ctx)

    return {str: _to_str, int: _to_int, bool: _to_bool, Path: to_path}


def _plain_param_class(base: Any, bad_parameter: Any) -> Any:
    """A subclass of typer's ``RuntimeParam`` that converts with one plain converter."""

    @dataclass(frozen=True)
    class PlainRuntimeParam(base):  # type: ignore[misc]
        convert: Any = None
        many: bool = False

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            info = self.parameter_info
            try:
                if self.many:
                    return [self.convert(item, info, param, ctx) for item in value]
                return self.convert(value, info, param, ctx)
            except ValueError as exc:
                raise bad_parameter(f"{value!r} is not {exc}.", ctx=ctx, param=param) from None

    return PlainRuntimeParam


def _is_plain(descriptor: Any, annotation: Any, converters: dict[Any, Any]) -> bool:
    """Whether a parameter is a plain type with nothing typer itself must check or convert."""
    info = descriptor.parameter_info
    return (
        annotation in converters
        and descriptor.file_annotation is None
        and getattr(info, "parser", None) is None
        and getattr(info, "click_type", None) is None
        and getattr(info, "min", None) is None
        and getattr(info, "max", None) is None
        and getattr(info, "path_type", None) is None
        and not getattr(info, "allow_dash", False)
        and not descriptor.is_choice
        and (annotation is Path or not descriptor.is_path)
    )
