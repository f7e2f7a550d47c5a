"""Which widgets a notebook shows, read from its cells (for the hygiene, benchmark and browser
tests).

A notebook shows a widget in two cells, the pattern of ``gradlib.widgets``:

    tangent = start.TangentLine.display()   # tagged static-twin: numbers and figure
    tangent.live()                          # tagged widget: the controls

``widget_uses`` finds every cell tagged ``widget``, checks that it is ``<name>.live()``
right after a static twin that assigns ``<name> = <module>.<Class>.display(...)``, and
resolves ``<module>.<Class>`` through the notebook's imports to the widget class itself.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import nbformat

WIDGET_TAG = "widget"
TWIN_TAG = "static-twin"


@dataclass
class WidgetUse:
    notebook: str
    twin_index: int
    widget_index: int
    variable: str
    class_path: str  # e.g. "gradlib.lessons.start.TangentLine"

    @property
    def widget_class(self) -> type:
        module, _, name = self.class_path.rpartition(".")
        return getattr(importlib.import_module(module), name)


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def parse_cell(cell: nbformat.NotebookNode) -> ast.Module | None:
    """The cell's Python without IPython's %magic and !shell lines (None if it won't parse)."""
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


def imports(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Local name -> full dotted name, from every import statement in the notebook."""
    names = {}
    for cell in nb.cells:
        tree = parse_cell(cell) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Import):
                for alias in node.names:
                    names[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _twin_assignment(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    """(variable, dotted class) of a cell whose last statement is ``v = X.display(...)``."""
    tree = parse_cell(cell)
    if tree is None or not tree.body:
        return None
    last = tree.body[-1]
    if not (
        isinstance(last, ast.Assign)
        and len(last.targets) == 1
        and isinstance(last.targets[0], ast.Name)
        and isinstance(last.value, ast.Call)
        and isinstance(last.value.func, ast.Attribute)
        and last.value.func.attr == "display"
    ):
        return None
    dotted = _dotted(last.value.func.value)
    return (last.targets[0].id, dotted) if dotted else None


def _live_call(cell: nbformat.NotebookNode) -> str | None:
    """The variable of a cell that is exactly ``v.live()``, else None."""
    tree = parse_cell(cell)
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if (
        isinstance(call, ast.Call)
        and not call.args
        and not call.keywords
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "live"
        and isinstance(call.func.value, ast.Name)
    ):
        return call.func.value.id
    return None


def widget_uses(path: Path) -> tuple[list[WidgetUse], list[str]]:
    """Every widget the notebook shows, and the problems that keep a widget cell from being
    read (each names the cell)."""
    nb = nbformat.read(path, as_version=4)
    aliases = imports(nb)
    uses, problems = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or WIDGET_TAG not in _tags(cell):
            continue
        where = f"{path.name} cell {index}"
        variable = _live_call(cell)
        if variable is None:
            problems.append(f"{where}: a widget cell must be exactly `<name>.live()`")
            continue
        twin = nb.cells[index - 1] if index > 0 else None
        if twin is None or twin.cell_type != "code" or TWIN_TAG not in _tags(twin):
            problems.append(
                f"{where}: needs a code cell tagged '{TWIN_TAG}' right before it, "
                f"`{variable} = <module>.<Widget>.display()`"
            )
            continue
        assignment = _twin_assignment(twin)
        if assignment is None or assignment[0] != variable:
            problems.append(
                f"{path.name} cell {index - 1}: the static twin must end with "
                f"`{variable} = <module>.<Widget>.display(...)`"
            )
            continue
        head, _, rest = assignment[1].partition(".")
        if head not in aliases:
            problems.append(
                f"{where}: {assignment[1]} is not imported from a module; widgets are "
                "declared in gradlib/lessons/"
            )
            continue
        class_path = aliases[head] + ("." + rest if rest else "")
        use = WidgetUse(path.name, index - 1, index, variable, class_path)
        try:
            use.widget_class  # noqa: B018 (resolving it is the check)
        except (ImportError, AttributeError) as error:
            problems.append(f"{where}: cannot import {class_path}: {error}")
            continue
        uses.append(use)
    return uses, problems
