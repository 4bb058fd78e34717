"""Make a new workbench project, or complete one, without touching what exists."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from workbench.config import STATE_DIR
from workbench.errors import ProjectError
from workbench.results import InitResult

WORKBENCH_TABLE = """
[tool.workbench]
# One module per schema, one Alembic script directory per schema, committed diagrams.
schemas = "schemas"
migrations = "migrations"
diagrams = "diagrams"
# Target databases (default: a SQLite file per schema under .workbench/).
# url = "postgresql://app@localhost/app"
# [tool.workbench.urls]
# blog = "postgresql://app:${BLOG_DB_PASSWORD}@localhost/blog"
"""


def init(directory: Path) -> InitResult:
    """Make ``directory`` a workbench project; a second run adds only what is missing.

    Creates ``pyproject.toml`` (or adds ``[tool.workbench]`` to an existing one),
    ``schemas/`` with one commented example schema, ``migrations/``,
    ``diagrams/`` and a ``.gitignore`` entry for ``.workbench/``.

    Example:
        >>> init(Path("shop"))  # doctest: +SKIP
    """
    root = directory.resolve()
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{directory} exists and is not a directory.")
    root.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    kept: list[Path] = []

    pyproject = root / "pyproject.toml"
    if not pyproject.exists():
        pyproject.write_text(
            f'[project]\nname = "{_project_name(root)}"\nversion = "0.1.0"\n'
            'requires-python = ">=3.11"\n' + WORKBENCH_TABLE,
            encoding="utf-8",
        )
        created.append(pyproject)
    else:
        text = pyproject.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProjectError(
                f"{pyproject} is not valid TOML ({exc}); init leaves it alone.",
                hint="Fix it, then run `workbench init` again.",
            ) from None
        if isinstance(data.get("tool", {}).get("workbench"), dict):
            kept.append(pyproject)
        else:
            pyproject.write_text(text.rstrip("\n") + "\n" + WORKBENCH_TABLE, encoding="utf-8")
            created.append(pyproject)

    for folder in ("schemas", "migrations", "diagrams"):
        path = root / folder
        if path.is_dir():
            kept.append(path)
        else:
            path.mkdir(parents=True)
            created.append(path)

    example = root / "schemas" / "example.py"
    schemas_present = any(p.suffix == ".py" for p in (root / "schemas").iterdir())
    if not schemas_present:
        source = resources.files("workbench") / "templates" / "example_schema.py"
        example.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        created.append(example)
    elif example.exists():
        kept.append(example)

    gitignore = root / ".gitignore"
    line = f"{STATE_DIR}/"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if line in existing.splitlines():
        kept.append(gitignore)
    else:
        prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
        comment = "# workbench's embedded SQLite databases\n"
        gitignore.write_text(prefix + comment + line + "\n", encoding="utf-8")
        created.append(gitignore)
    return InitResult(root=root, created=tuple(created), kept=tuple(kept))


def _project_name(root: Path) -> str:
    name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in root.name).strip("-")
    return name or "workbench-project"
