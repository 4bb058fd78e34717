"""A pytest plugin that records the SQL your tests run, as a workload for ``workbench advise``.

``pytest --workbench-capture FILE`` listens to every SQLAlchemy engine
(``before_cursor_execute``) while the tests run and writes each distinct
SELECT, UPDATE and DELETE statement once to FILE, with how often it ran, in the
form ``workbench advise SCHEMA --queries FILE`` reads. Catalogue queries
(reflection, Alembic's version table) are left out; placeholders are kept
(they are bound to sampled values when the workload is proved). Under
pytest-xdist each worker records its share and the controller merges them.

The plugin is registered through the ``pytest11`` entry point, so every pytest
run in an environment with workbench installed loads it. Without the option
it does nothing and costs nothing: this module imports neither SQLAlchemy nor
the rest of workbench, and no listener is installed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

OPTION = "--workbench-capture"
_KEY: pytest.StashKey[Recorder] = pytest.StashKey()
_KINDS = re.compile(r"^\s*(?:\(\s*)*(select|with|update|delete)\b", re.I)
_CATALOGUE = re.compile(
    r"\b(?:sqlite_master|sqlite_schema|sqlite_temp_master|pg_catalog|information_schema"
    r"|alembic_version)\b|\bpg_[a-z_]+\(",
    re.I,
)
_PART = ".wb-part-"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("workbench", "workbench: capture SQL for index advice")
    group.addoption(
        OPTION,
        dest="workbench_capture",
        metavar="FILE",
        default=None,
        help="Record the SQL statements SQLAlchemy engines run during the tests to FILE, "
        "as a workload for `workbench advise SCHEMA --queries FILE`.",
    )


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("workbench_capture", None)
    if not target:
        return
    worker = getattr(config, "workerinput", {}).get("workerid")
    recorder = Recorder(Path(target), worker=worker)
    recorder.start()
    config.stash[_KEY] = recorder


def pytest_unconfigure(config: pytest.Config) -> None:
    recorder = config.stash.get(_KEY, None)
    if recorder is not None:
        recorder.stop()
        del config.stash[_KEY]


class Recorder:
    """Counts the distinct statements SQLAlchemy engines execute, and writes them out."""

    def __init__(self, path: Path, *, worker: str | None = None) -> None:
        self.path = path
        self.worker = worker
        self.counts: Counter[str] = Counter()
        self._normalize: Any = None

    def start(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        from workbench.advise.workload import normalize_placeholders, one_line

        self._normalize = lambda sql, pyformat: one_line(
            normalize_placeholders(sql, pyformat=pyformat)
        )
        event.listen(Engine, "before_cursor_execute", self.record)

    def record(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if not _KINDS.match(statement) or _CATALOGUE.search(statement):
            return
        pyformat = conn.dialect.paramstyle in ("pyformat", "format") and bool(parameters)
        self.counts[self._normalize(statement, pyformat)] += 1

    def stop(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        if event.contains(Engine, "before_cursor_execute", self.record):
            event.remove(Engine, "before_cursor_execute", self.record)
        if self.worker is not None:
            part = self.path.with_name(f"{self.path.name}{_PART}{self.worker}.json")
            part.parent.mkdir(parents=True, exist_ok=True)
            part.write_text(json.dumps(dict(self.counts)), encoding="utf-8")
            return
        counts = Counter(self.counts)
        for part in sorted(self.path.parent.glob(f"{self.path.name}{_PART}*.json")):
            counts.update(json.loads(part.read_text(encoding="utf-8")))
            part.unlink()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(render(counts), encoding="utf-8")


def render(counts: Counter[str]) -> str:
    """The workload file: most frequent statements first, each with its count."""
    total = sum(counts.values())
    lines = [
        f"-- Captured by `pytest {OPTION}`: {len(counts)} distinct statements from "
        f"{total} executions.",
        "-- Prove indexes for them with `workbench advise SCHEMA --queries THIS_FILE`.",
    ]
    for statement, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines += ["", f"-- {n} execution{'s' if n != 1 else ''}", f"{statement};"]
    return "\n".join(lines) + "\n"
