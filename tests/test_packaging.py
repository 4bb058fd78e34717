"""The wheel holds every subpackage and data file: an editable install would hide a gap."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools would reuse a stale build/ folder in the checkout.
    source = tmp_path_factory.mktemp("source") / "workbench"
    ignore = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__")
    shutil.copytree(REPO, source, ignore=ignore)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("workbench-*.whl")
    return built


def _packages_in_tree() -> set[str]:
    found = set()
    for init in (REPO / "workbench").rglob("__init__.py"):
        parts = init.parent.relative_to(REPO).parts
        if "templates" not in parts:
            found.add(".".join(parts))
    return found


def test_every_subpackage_is_in_the_wheel_and_imports_from_it(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path)
    in_wheel = {
        name.rsplit("/", 1)[0].replace("/", ".") for name in names if name.endswith("__init__.py")
    }
    missing = _packages_in_tree() - in_wheel
    assert not missing, f"packages missing from the wheel: {sorted(missing)}"
    for data in ("workbench/py.typed", "workbench/templates/env.py.tmpl"):
        assert data in names
    assert any(n.startswith("workbench/examples/schemas/") for n in names)
    assert any(n.endswith(".mako") and "examples/migrations" in n for n in names)

    modules = sorted(in_wheel)
    script = (
        "import importlib, sys\n"
        f"root = {str(tmp_path)!r}\n"
        f"for name in {modules!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    assert module.__file__.startswith(root), (name, module.__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
