"""What an adopted history's ``env.py`` names, read from its source and never run.

``init --adopt`` needs the models (``target_metadata``) and the version table an
existing ``env.py`` uses. Running it would connect to the application's
database and execute its setup, so this module parses it with :mod:`ast`
instead: the imports, the ``target_metadata`` assignment and the
``context.configure(version_table=...)`` keyword, then follows a name to the
module that defines it among the project's own folders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.config import module_file

# Packages whose base class is not the project's models.
_ORM_LIBRARIES = {"sqlmodel", "sqlalchemy", "flask_sqlalchemy", "flask_migrate"}


def read_env_py(
    env_py: Path, folders: tuple[Path, ...]
) -> tuple[str | None, str | None, list[str]]:
    """The models' import path and version table an ``env.py`` names, by reading its source.

    Returns:
        ``(models, version_table, notes)``; ``models`` is ``None`` when
        ``target_metadata`` is built at run time or not set (the notes say which).
    """
    import ast

    try:
        tree = ast.parse(env_py.read_text(encoding="utf-8"), filename=str(env_py))
    except OSError:
        return None, None, [f"{env_py} cannot be read."]
    except SyntaxError as exc:
        return None, None, [f"{env_py}:{exc.lineno} is not valid Python ({exc.msg})."]
    imports, project_modules, version_table, assigned = _scan_env_py(tree, folders)
    shown = env_py.name
    if not assigned:
        return (
            None,
            version_table,
            [f"{shown} sets no target_metadata: its models are not named there."],
        )
    value = assigned[-1]
    if isinstance(value, ast.Constant) and value.value is None:
        return (
            None,
            version_table,
            [f"{shown} sets target_metadata = None (autogenerate was never set up there)."],
        )
    local = [m for m in dict.fromkeys(project_modules) if module_file(m, folders)]
    models, notes = _models_named(value, imports, local, folders, shown)
    return models, version_table, notes


_Imports = dict[str, tuple[str, str | None]]
"""What each name env.py binds by importing is: ``(module, name imported from it or None)``."""


def _scan_env_py(
    tree: Any, folders: tuple[Path, ...]
) -> tuple[_Imports, list[str], str | None, list[Any]]:
    """What env.py imports, the modules it imports from, its version table, its target_metadata.

    Returns:
        ``(imports, modules, version_table, assigned)``: ``modules`` in the order
        imported (a ``from M import X`` counts ``M.X`` when that is a module of the
        project), ``assigned`` every value given to ``target_metadata``.
    """
    import ast

    imports: _Imports = {}
    project_modules: list[str] = []
    version_table: str | None = None
    assigned: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name == "*":
                    project_modules.append(node.module)
                    continue
                imports[alias.asname or alias.name] = (node.module, alias.name)
                submodule = f"{node.module}.{alias.name}"
                project_modules.append(
                    submodule if module_file(submodule, folders) else node.module
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                imports[bound] = (alias.name if alias.asname else bound, None)
                project_modules.append(alias.name)
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == "target_metadata" for t in node.targets):
                assigned.append(node.value)
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if (
                    keyword.arg == "version_table"
                    and isinstance(keyword.value, ast.Constant)
                    and isinstance(keyword.value.value, str)
                ):
                    version_table = keyword.value.value
    return imports, project_modules, version_table, assigned


def _models_named(
    value: Any, imports: _Imports, local: list[str], folders: tuple[Path, ...], shown: str
) -> tuple[str | None, list[str]]:
    """The import path of the models ``target_metadata = value`` names, and what was read.

    ``local``: the modules of the project env.py imports, in order.
    """
    import ast

    source = ast.unparse(value)
    dotted = _dotted(value)
    if dotted is None:
        return None, [
            f"{shown} builds target_metadata at run time ({source}), which cannot be read "
            "without running the app."
        ]
    head, *rest = dotted
    if rest and rest[-1] == "metadata":
        rest = rest[:-1]  # Base.metadata: the base names the same MetaData
    if head not in imports:
        return None, [
            f"{shown}: target_metadata = {source}, but {head} is defined in env.py itself."
        ]
    said = [f"{shown}: target_metadata = {source}."]
    module, imported = imports[head]
    if imported is None:
        # `import app.models` then app.models.Base.metadata: the longest module prefix.
        parts = [head, *rest]
        for cut in range(len(parts), 1, -1):
            candidate = ".".join(parts[:cut])
            if module_file(candidate, folders):
                attr = ".".join(parts[cut:])
                return (f"{candidate}:{attr}" if attr else candidate), said
        attr = ".".join(parts[1:])
        return (f"{head}:{attr}" if attr else head), said
    attr = ".".join([str(imported), *rest])
    submodule = f"{module}.{imported}"
    if module_file(submodule, folders):
        # `from app import models` then models.Base.metadata
        sub = ".".join(rest)
        return (f"{submodule}:{sub}" if sub else submodule), said
    if module_file(module, folders):
        return f"{module}:{attr}", said
    return _models_beside_library_base(module, str(imported), attr, local, folders, shown, source)


def _models_beside_library_base(
    module: str,
    imported: str,
    attr: str,
    local: list[str],
    folders: tuple[Path, ...],
    shown: str,
    source: str,
) -> tuple[str | None, list[str]]:
    """target_metadata comes from an installed ``module``: where the models are defined."""
    # The base comes from a library (SQLModel): the models are wherever env.py imports them.
    if local:
        candidate = local[-1]
        found = f"{candidate}:{attr}" if _binds(candidate, imported, folders) else candidate
        return found, [
            f"{shown}: target_metadata = {source}, from {module}; the models are "
            f"imported from {candidate}."
        ]
    if module.split(".")[0] not in _ORM_LIBRARIES:
        # An installed package's own base (the history ships inside a package).
        return f"{module}:{attr}", [
            f"{shown}: target_metadata = {source}, from the installed package {module}."
        ]
    return None, [
        f"{shown}: target_metadata = {source} comes from {module}, and env.py imports no "
        "module of the project that would define the models."
    ]


def _dotted(node: Any) -> list[str] | None:
    import ast

    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return list(reversed(parts))


def _binds(module: str, name: str, folders: tuple[Path, ...]) -> bool:
    """Whether ``module``'s source defines or imports ``name`` at top level."""
    import ast

    path = module_file(module, folders)
    if path is None:
        return False
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return False
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
        elif (isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name) or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ):
            return True
    return False
