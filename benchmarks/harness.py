"""What every whole-process benchmark shares: finding a tool, its environment, timing a run."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def tool(name: str) -> str:
    """The console script ``name`` of this interpreter's environment (else on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"cannot find the {name!r} command: install the project with '.[dev]'.")
    return found


def child_env(bytecode: bool, cache: Path) -> dict[str, str]:
    """The one environment every compared process runs in, bytecode caching as asked."""
    env = dict(os.environ)
    for name in ("WORKBENCH_URL", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    if bytecode:
        # Caches go to a private folder, not into the source tree or the revisions.
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def child_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run ``cmd`` to completion: its wall-clock and CPU seconds, and how it ended."""
    cpu, started = child_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, child_cpu() - cpu, done


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run ``cmd``, which must succeed; its wall-clock and CPU (user + system) seconds."""
    wall, cpu, done = timed(cmd, env, cwd)
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}".rstrip()
        )
    return wall, cpu
