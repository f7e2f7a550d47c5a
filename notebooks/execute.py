"""Re-execute the series' notebooks in place, the same way every time.

Usage (from the repository root or anywhere)::

    python notebooks/execute.py                      # every notebooks/*.ipynb
    python notebooks/execute.py notebooks/01_derivatives_and_gradients.ipynb [...]

Each notebook runs top to bottom in a fresh ``python3`` kernel whose working
directory is ``notebooks/`` (as under nbval and JupyterLab), with a fixed
environment: ``PYTHONHASHSEED=0`` so set and dict orders repeat, matplotlib's
inline backend, and no per-cell timing recorded in the file. The executed
notebook replaces the old one only when every cell succeeded (cells tagged
``raises-exception`` may raise). On an error the script names the notebook and
the cell, prints the traceback, leaves the file untouched and exits with 1.

Run it after changing gradlib or a notebook, then commit the new outputs: nbval
compares them in CI.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

NOTEBOOKS = Path(__file__).resolve().parent
CELL_TIMEOUT_SECONDS = 120

# The kernel inherits this process's environment; these entries make runs repeatable.
FIXED_ENV = {
    "PYTHONHASHSEED": "0",
    # One BLAS thread, as under pytest (tests/conftest.py): a different thread count may
    # change the last bits of a matrix product.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    # The inline backend even when the shell sets another (CI often sets MPLBACKEND=Agg,
    # which would drop every figure from the outputs).
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    # Silences a debugpy notice on Python 3.11 that would otherwise reach the console.
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def _cell_label(cell: nbformat.NotebookNode, index: int) -> str:
    first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index} ({cell.cell_type}, starts {first_line[:60]!r})"


def _strip_timing(nb: nbformat.NotebookNode) -> None:
    """Remove per-cell execution timestamps, which change on every run."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)  # written by some Jupyter extensions


def execute_notebook(path: Path) -> float:
    """Execute ``path`` in place; return the seconds it took. Raises on a failing cell."""
    nb = nbformat.read(path, as_version=4)
    seconds = run(nb, path.parent, path.name)
    nbformat.write(nb, path)
    return seconds


def run(nb: nbformat.NotebookNode, directory: Path, name: str) -> float:
    """Execute ``nb`` (in memory) in a fresh kernel whose working directory is ``directory``;
    return the seconds it took. Raises naming ``name`` and the cell on a failing cell."""
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    current = {"index": -1}

    def remember_cell(cell: nbformat.NotebookNode, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(directory)}},
        on_cell_start=remember_cell,
    )
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        index = current["index"]
        where = _cell_label(nb.cells[index], index) if index >= 0 else "the kernel"
        raise RuntimeError(f"{name}: {where} failed:\n{error}") from None
    seconds = time.perf_counter() - start
    _strip_timing(nb)
    nbformat.validate(nb)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/*.ipynb)"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print(f"No notebooks found in {NOTEBOOKS}.", file=sys.stderr)
        return 1
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"Not a file: {', '.join(missing)}", file=sys.stderr)
        return 1

    os.environ.update(FIXED_ENV)

    for path in paths:
        try:
            seconds = execute_notebook(path.resolve())
        except RuntimeError as error:
            print(error, file=sys.stderr)
            print(f"{path.name} was left unchanged.", file=sys.stderr)
            return 1
        print(f"{path.name}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
