"""check on one target lints the history in a forked process while it walks: same findings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.test_check import build
from workbench.check import api, check
from workbench.results import CheckReport, Finding


def test_one_target_lints_in_a_fork_beside_the_walk_with_the_same_findings(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project, "rename_as_drop_add")
    where = tmp_path / "lint-pid"
    original = api._lint

    def recorded(cfg: object, schema: str) -> list[Finding]:
        where.write_text(str(os.getpid()))
        return original(cfg, schema)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "_lint", recorded)

    def shown(report: CheckReport) -> list[tuple[str, str, str | None, str, str]]:
        return [(f.backend, f.code, f.revision, f.severity, f.message) for f in report.findings]

    beside = check(project.cfg, ["shop"], against=["sqlite"])
    assert int(where.read_text()) != os.getpid()
    monkeypatch.setenv("WORKBENCH_CHECK_SERIAL", "1")
    serial = check(project.cfg, ["shop"], against=["sqlite"])
    assert int(where.read_text()) == os.getpid()
    assert shown(beside) == shown(serial)
    assert "WB101" in {f.code for f in beside.findings}
    assert [(r.walked, r.proven) for r in beside.runs] == [
        (r.walked, r.proven) for r in serial.runs
    ]
