"""Every widget callback of the series, as a benchmark case, and how to find them all.

A widget cell (a notebook code cell tagged "widget") calls ``widgets.interactive(callback,
name=widgets.SomeSlider(...), ...)`` (or ``interact``), where the callback is a plain
function of a ``gradlib.lessons`` module. One update of a widget is one call of its
callback plus the redraw of its figure. ``time_update`` measures exactly that, with
matplotlib's Agg backend and the printed line captured: the call, which for the series'
callbacks (a ``gradlib.plotting.WidgetView``) already renders its figure to one PNG;
then any figure not rendered yet: one the callback returns with changes not drawn, or
one it left open in pyplot for the inline backend, which renders it with
``bbox_inches="tight"`` (as the inline backend does) and is closed.

``WIDGET_CASES`` lists the callbacks explicitly, each with its default arguments (the
widget's initial values) and a moved set (where a learner might drag the sliders).
``callbacks_in_notebooks`` parses every widget cell of every notebook and returns the
callbacks it uses, so tests/test_benchmarks.py can check that none lacks a case.
"""

from __future__ import annotations

import ast
import io
import time
import warnings
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

# The ipywidgets functions whose first argument is the callback they re-run.
INTERACT_FUNCTIONS = {"interact", "interactive", "interact_manual", "interactive_output"}
WIDGET_TAG = "widget"


@dataclass
class WidgetCase:
    callback: Callable[..., Any]
    default: dict[str, Any]
    moved: dict[str, Any]
    # Builds the arguments a notebook passes with widgets.fixed(...) (built once, not timed).
    fixed: Callable[[], dict[str, Any]] = field(default=dict)

    @property
    def name(self) -> str:
        return f"{self.callback.__module__}.{self.callback.__qualname__}"


def _training_snapshots() -> dict[str, Any]:
    """Notebook 03's ``snapshots``: a 2-16-2 MLP trained 300 steps on the moons, every 10th kept."""
    import gradlib as gl
    from gradlib import functional as F
    from gradlib.data import make_moons
    from gradlib.lessons import backprop

    X, y = make_moons(n_samples=200, noise=0.1, seed=0)
    rng = np.random.default_rng(0)
    weights = [
        gl.tensor(a, requires_grad=True)
        for a in (
            rng.standard_normal((2, 16)) * np.sqrt(2 / 2),
            np.zeros(16),
            rng.standard_normal((16, 2)) * np.sqrt(2 / 16),
            np.zeros(2),
        )
    ]

    def mlp(points: Any) -> Any:
        W1, b1, W2, b2 = weights
        return F.relu(gl.tensor(points) @ W1 + b1) @ W2 + b2

    snapshots = backprop.BoundarySnapshots(X, y)
    for step in range(301):
        loss = F.cross_entropy(mlp(X), y)
        if step % 10 == 0:
            snapshots.record(step, loss.item(), mlp)
        for p in weights:
            p.grad = None
        loss.backward()
        with gl.no_grad():
            for p in weights:
                p -= 0.5 * p.grad
    return {"snapshots": snapshots}


def widget_cases() -> list[WidgetCase]:
    """The cases; importing the lessons modules here keeps matplotlib out of module import."""
    from gradlib.lessons import backprop, derivatives, gradient_descent, start

    return [
        WidgetCase(
            start.tangent_line,
            {"x0": 1.0, "function": "x**2"},
            {"x0": -1.75, "function": "tanh(x)"},
        ),
        WidgetCase(
            derivatives.derivative_explorer,
            {"function": "sin", "h": 0.1, "precision": "float64"},
            {"function": "exp", "h": 1e-7, "precision": "float32"},
        ),
        WidgetCase(
            derivatives.directional_explorer,
            {"x0": 1.0, "y0": 0.5, "angle": 30.0},
            {"x0": -1.2, "y0": 0.8, "angle": 135.0},
        ),
        WidgetCase(
            gradient_descent.lr_explorer,
            {"lr": 0.2, "x0": 2.5},
            {"lr": 0.52, "x0": -1.5},
        ),
        WidgetCase(
            backprop.plot_training_step,
            {"step": 60},
            {"step": 240},
            fixed=_training_snapshots,
        ),
    ]


# ----- timing one update -------------------------------------------------------------------


def time_update(case: WidgetCase, kwargs: dict[str, Any], fixed: dict[str, Any]) -> float:
    """Seconds for one update: everything a learner waits for before the new figure shows.

    That is the callback with its printed line (captured here), its computation and its
    one PNG render; then, if the callback returns a figure with changes not yet drawn
    (``Figure.stale``), one render of it; and every figure it left open in pyplot,
    rendered as the inline backend does (``bbox_inches="tight"``, two draws) and closed.
    The first call of a callback also builds its figure: ``time_first_update``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    plt.close("all")
    start = time.perf_counter()
    with redirect_stdout(io.StringIO()), warnings.catch_warnings():
        # Agg's plt.show() only warns that it cannot show; the render below is the redraw.
        warnings.filterwarnings("ignore", message=".*non-interactive.*", category=UserWarning)
        returned = case.callback(**fixed, **kwargs)
        if isinstance(returned, Figure) and returned.stale:
            returned.savefig(io.BytesIO(), format="png")
        for number in plt.get_fignums():
            plt.figure(number).savefig(io.BytesIO(), format="png", bbox_inches="tight")
        plt.close("all")
    return time.perf_counter() - start


def time_first_update(case: WidgetCase, fixed: dict[str, Any]) -> float:
    """Seconds for the first update in this process, at the default values.

    It builds the widget's figure (axes, ticks, legends) and fills the lessons' caches,
    which later updates reuse: what a learner waits for when the widget cell runs. Call
    it before any other update of the case (``benchmarks/run.py`` does).
    """
    return time_update(case, case.default, fixed)


# ----- which callbacks the notebooks use ---------------------------------------------------


def _code(cell: nbformat.NotebookNode) -> ast.Module | None:
    """The cell's Python, without IPython's %magic and !shell lines (None if it won't parse)."""
    lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> full dotted name, from the import statements of one cell."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _callback_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg in ("f", "__interact_f"):
            return keyword.value
    return None


def callbacks_in_notebooks(paths: list[Path]) -> tuple[dict[str, list[str]], list[str]]:
    """Every widget callback the notebooks use, and every widget cell that could not be read.

    Returns ``(found, problems)``: found maps a callback's full name (e.g.
    "gradlib.lessons.start.tangent_line") to the places using it ("00_start_here.ipynb
    cell 17"); problems lists widget cells with no interact call, or whose callback is not
    an imported function (a lambda or a function defined in the notebook cannot be timed
    or tested outside it: move it into gradlib/lessons/).
    """
    found: dict[str, list[str]] = {}
    problems: list[str] = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        aliases: dict[str, str] = {}
        for _, cell in code_cells:
            tree = _code(cell)
            if tree is not None:
                aliases.update(_imports(tree))
        for index, cell in code_cells:
            if WIDGET_TAG not in cell.metadata.get("tags", []):
                continue
            where = f"{path.name} cell {index}"
            tree = _code(cell)
            if tree is None:
                problems.append(f"{where}: the widget cell is not valid Python")
                continue
            calls = [
                node
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and (_dotted(node.func) or "").split(".")[-1] in INTERACT_FUNCTIONS
            ]
            if not calls:
                problems.append(
                    f"{where}: a widget cell without widgets.interact(callback, ...); "
                    "benchmarks/widget_cases.py cannot find its callback"
                )
            for call in calls:
                argument = _callback_argument(call)
                dotted = _dotted(argument) if argument is not None else None
                head = dotted.split(".")[0] if dotted else None
                if head not in aliases:
                    problems.append(
                        f"{where}: the callback {ast.unparse(argument) if argument else '?'} "
                        "is not a function imported from a module; put it in gradlib/lessons/"
                    )
                    continue
                full = aliases[head] + dotted[len(head) :]
                found.setdefault(full, []).append(where)
    return found, problems
