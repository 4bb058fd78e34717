"""The tour runs every step on the packaged blog example, in its own folder only."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import runner
from workbench.cli import app
from workbench.cli.tour import STEPS


def test_the_tour_runs_every_step(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "tour"
    result = runner.invoke(app, ["tour", "--dir", str(folder)])
    assert result.exit_code == 0, result.stdout + result.stderr
    for number, step in enumerate(STEPS, 1):
        assert f"{number}. {step.title}" in result.stdout
        assert "$ workbench " + step.args[0] in result.stdout
    assert f"The tour's project is in {folder}" in result.stdout
    assert (folder / ".workbench" / "blog.sqlite3").exists()
    # Nothing written outside its folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tour"]


def test_the_tour_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    result = runner.invoke(app, ["tour", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "not empty" in result.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep"
