"""Output into a pipe whose reader has gone (``workbench ... | head``) ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize("args", [["history", "blog"], ["lint", "blog"], ["lint", "--help"]])
def test_a_closed_pipe_is_not_called_a_bug(args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "workbench", "--project", str(REPO), *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert "bug in workbench" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1
