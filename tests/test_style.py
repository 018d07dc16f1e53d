"""The code is ruff clean; a style regression fails the tests like any other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_ruff_is_clean(root):
    ruff = Path(sys.executable).parent / "ruff"
    paths = ["servicecourse", "tests", "autograde", "benchmarks", "hub"]
    done = subprocess.run(
        [str(ruff), "check", *[p for p in paths if (root / p).exists()]],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout
