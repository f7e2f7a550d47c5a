"""ruff lint and format checks over the repository, so that `pytest` (and CI) fails on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"]
)
def test_ruff(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"ruff {' '.join(command)} failed (fix with `ruff check --fix .` / `ruff format .`):\n"
        f"{result.stdout}{result.stderr}"
    )


def test_notebook_code_has_no_unused_or_undefined_names() -> None:
    """pyflakes' rules (ruff's F) on the notebooks' code cells: an unused import or an
    undefined name in a notebook is a defect a learner reads. (The layout rules stay off:
    notebook cells favour short demonstrations over the library's line lengths.)"""
    notebooks = sorted(str(p) for p in (ROOT / "notebooks").glob("*.ipynb"))
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F", "--no-cache", *notebooks],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        "ruff found unused or undefined names in notebooks (fix with "
        f"`ruff check --select F --fix notebooks/*.ipynb`):\n{result.stdout}{result.stderr}"
    )


def test_notebook_lint_catches_an_unused_import(tmp_path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import numpy as np\nfrom gradlib.plotting import PALETTE")
        ]
    )
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F", "--no-cache", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "`gradlib.plotting.PALETTE` imported but unused" in (
        result.stdout
    )
