"""The benchmark command keeps working, and no widget of the series lacks a benchmark case.

The quick run is a smoke test: it must produce RESULTS.md with every expected row and a
valid PNG. No timing is asserted (the machine is shared and noisy); the targets are
judged by reading RESULTS.md of a full run.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNELS = [
    "MLP step",
    "max_pool2d k2 s2",
    "max_pool2d k3 s1",
    "avg_pool2d k2 s2",
    "avg_pool2d k3 s1",
    "conv2d 3x3 pad 1",
    "batch_norm train",
    "layer_norm",
    "cross_entropy",
    "relu",
    "sigmoid",
]
UNTARGETED = {"sigmoid"}
NAIVE = ["max_pool2d k2 s2", "max_pool2d k3 s1", "avg_pool2d k2 s2", "avg_pool2d k3 s1"]
QUICK_CHAINS = ["100", "1,000", "10,000"]


def _benchmarks(module: str):
    """Import benchmarks.<module> (benchmarks/ is a folder of the repository, not installed)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"benchmarks.{module}")


def _torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


# ----- the quick run ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("benchmarks")
    # --keep-openblas-env: the benchmark may drop OPENBLAS_CORETYPE for a fair timing, but
    # tests never change it.
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--keep-openblas-env",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"benchmarks/run.py --quick failed:\n{result.stderr[-4000:]}"
    return out, (out / "RESULTS.md").read_text(encoding="utf-8")


def _row(markdown: str, *first_cells: str) -> list[str]:
    """The cells of the table row whose first cells are ``first_cells`` (exactly one such row)."""
    prefix = "| " + " | ".join(first_cells) + " |"
    rows = [line for line in markdown.splitlines() if line.startswith(prefix)]
    assert len(rows) == 1, f"expected one row starting {prefix!r} in RESULTS.md, found {len(rows)}"
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


def _is_duration(cell: str) -> bool:
    number, _, unit = cell.partition(" ")
    try:
        return float(number) > 0 and unit in ("us", "ms", "s")
    except ValueError:
        return False


def test_quick_run_has_every_kernel_row(quick_run):
    _, markdown = quick_run
    for name in KERNELS:
        for dtype in ("float32", "float64"):
            cells = _row(markdown, name, dtype)
            gradlib, torch, numpy_time, verdict = cells[3], cells[4], cells[5], cells[-1]
            assert _is_duration(gradlib) and _is_duration(numpy_time), cells
            if _torch_installed():
                assert _is_duration(torch), cells
                # a kernel without a target (sigmoid) has no verdict
                assert verdict in (("n/a",) if name in UNTARGETED else ("pass", "**miss**")), cells
            else:
                assert torch == "n/a" and verdict == "n/a", cells


def test_quick_run_has_naive_engine_notebook_and_widget_rows(quick_run):
    _, markdown = quick_run
    for name in NAIVE:
        cells = _row(markdown, name, "(2, 4, 32, 32)")
        assert _is_duration(cells[2]) and _is_duration(cells[3]), cells
    for ops in QUICK_CHAINS:
        assert _is_duration(_row(markdown, ops)[1])
    first_notebook = sorted((ROOT / "notebooks").glob("*.ipynb"))[0].name
    assert _is_duration(_row(markdown, first_notebook)[1])
    for case in _benchmarks("widget_cases").widget_cases():
        cells = _row(markdown, f"`{case.name}`")
        assert cells[1] in ("while dragging", "on release"), cells
        assert _is_duration(cells[2]) and _is_duration(cells[3]), cells


def test_quick_run_records_the_machine(quick_run):
    _, markdown = quick_run
    for fact in ("- CPU: ", "- Python ", "numpy's BLAS", "- threads: ", "OPENBLAS_CORETYPE"):
        assert fact in markdown, f"RESULTS.md does not say {fact.strip('- :')!r}"
    assert f"numpy {np.__version__}" in markdown
    assert "**Targets: " in markdown


def test_quick_run_writes_a_valid_png(quick_run):
    import matplotlib.image

    out, _ = quick_run
    path = out / "results.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert image[..., :3].std() > 0.05  # not a blank canvas


# ----- widget coverage ----------------------------------------------------------------------


def test_every_widget_in_the_notebooks_is_benchmarked():
    from notebook_widgets import widget_uses

    cases = {case.widget_class for case in _benchmarks("widget_cases").widget_cases()}
    used = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        uses, problems = widget_uses(path)
        assert not problems, "widget cells that cannot be read:\n" + "\n".join(problems)
        for use in uses:
            used.setdefault(use.widget_class, []).append(f"{use.notebook} cell {use.widget_index}")
    assert used, "no widget found in notebooks/*.ipynb; the parser is broken"
    missing = {cls.__qualname__: places for cls, places in used.items() if cls not in cases}
    assert not missing, (
        "widgets the benchmarks do not time (declare them as gradlib.widgets.Widget "
        f"subclasses in gradlib/lessons/): {missing}"
    )


def _notebook(path: Path, cells: list[tuple[str, list[str]]]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(source, metadata={"tags": tags}) for source, tags in cells
    ]
    nbformat.write(nb, path)
    return path


def test_widget_parser_resolves_aliases_and_flags_what_it_cannot_read(tmp_path):
    from notebook_widgets import widget_uses

    path = _notebook(
        tmp_path / "demo.ipynb",
        [
            ("%matplotlib inline\nfrom gradlib.lessons import backprop as bp", []),
            ("boundary = bp.TrainingStep.display(snapshots)", ["static-twin"]),
            ("boundary.live()", ["widget"]),
            ("from gradlib.lessons.start import TangentLine", []),
            ("t = TangentLine.display()", ["static-twin"]),
            ("t.live()", ["widget"]),
            ("widgets.interact(lambda x: x, x=1);", ["widget"]),
            ("other = TangentLine.display()", ["static-twin"]),
            ("t.live()", ["widget"]),
            ("x = 1", []),
            ("x.live()", ["widget"]),
            ("n = nowhere.Widget.display()", ["static-twin"]),
            ("n.live()", ["widget"]),
            ("t.live()", []),  # not tagged: not a widget cell
        ],
    )
    uses, problems = widget_uses(path)
    assert [(u.class_path, u.twin_index, u.widget_index) for u in uses] == [
        ("gradlib.lessons.backprop.TrainingStep", 1, 2),
        ("gradlib.lessons.start.TangentLine", 4, 5),
    ]
    assert len(problems) == 4, problems
    assert "cell 6" in problems[0] and "exactly `<name>.live()`" in problems[0]
    assert "cell 7" in problems[1] and "must end with `t = " in problems[1]
    assert "cell 10" in problems[2] and "static-twin" in problems[2]
    assert "cell 12" in problems[3] and "not imported" in problems[3]
