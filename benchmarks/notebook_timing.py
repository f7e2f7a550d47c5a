"""Wall time of each notebook run top to bottom, as a learner's "Run All" would run it.

Each notebook of both editions (notebooks/ and the Chinese notebooks/zh/) runs in a fresh
``python3`` kernel with the notebook's folder as its working directory and the fixed
environment of ``notebooks/execute.py`` (the one nbval uses).
Nothing is written back to the notebook. The time includes starting the kernel; the
part that is kernel start-up is reported beside it.

The cells are sent with jupyter_client's ``execute_interactive`` (as a front end does:
it waits for each cell's reply and for its outputs), not with nbclient: nbclient's
``NotebookClient`` sometimes waits the whole cell timeout after a widget cell although
the kernel has replied (jupyter/nbclient issue #312). Here that made notebook 01's two
widget cells take exactly the timeout each (20.00 s with timeout=20, 300 s with 300),
which would time nbclient, not the notebook.
"""

from __future__ import annotations

import importlib.util
import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_SECONDS = 300


@dataclass
class NotebookTiming:
    name: str
    seconds: float  # kernel start to the end of the last cell
    kernel_start: float  # kernel start until it is ready for the first cell


def _fixed_env() -> dict[str, str]:
    """notebooks/execute.py's FIXED_ENV, loaded from the file (it is not a package)."""
    spec = importlib.util.spec_from_file_location("execute", NOTEBOOKS / "execute.py")
    execute = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(execute)
    return dict(execute.FIXED_ENV)


def notebook_paths() -> list[Path]:
    """The English notebooks, then the Chinese edition's."""
    return sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("zh/*.ipynb"))


def time_notebook(path: Path, kernel_env: dict[str, str | None]) -> NotebookTiming:
    """Run ``path`` once; ``kernel_env`` entries are set (a None value: removed) for its kernel.

    Raises RuntimeError naming the cell if a cell fails (unless tagged raises-exception).
    """
    from jupyter_client.manager import start_new_kernel

    nb = nbformat.read(path, as_version=4)
    env = {**_fixed_env(), **kernel_env}
    saved = {name: os.environ.get(name) for name in env}
    # The kernel inherits this process's environment; this process's own libraries
    # have read theirs already, so changing it here affects the kernel only.
    _set_environ(env)
    try:
        start = time.perf_counter()
        manager, client = start_new_kernel(
            kernel_name="python3",
            cwd=str(path.parent),
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
        )
    finally:
        _set_environ(saved)
    try:
        ready = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            reply = client.execute_interactive(
                cell.source, timeout=CELL_TIMEOUT_SECONDS, output_hook=_ignore, allow_stdin=False
            )
            content = reply["content"]
            tags = cell.metadata.get("tags", [])
            if content["status"] == "error" and "raises-exception" not in tags:
                raise RuntimeError(
                    f"{path.name}: cell {index} raised {content['ename']}: {content['evalue']}"
                )
        seconds = time.perf_counter() - start
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return NotebookTiming(path.relative_to(NOTEBOOKS).as_posix(), seconds, ready - start)


def _ignore(message: dict) -> None:
    """Outputs are not kept: only the time matters here."""


def _set_environ(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
