"""Draw the computational graph that gradlib recorded, with values and gradients.

Every op that ``Function.apply`` runs on a tensor that needs a gradient leaves a
``Node`` on its output (``tensor._node``: the Function and its input tensors).
``draw_graph(loss)`` walks those nodes with the engine's own traversal
(``gradlib.engine.topological_order``, the order ``backward`` uses), lays the
graph out in columns and draws it with matplotlib alone (no Graphviz):

- inputs on the left, the output on the right; a tensor's column is its depth,
  the longest path from it to the output, so every arrow points right;
- one box per tensor: its name and the op that made it (``a = x × y``), its
  forward value and, after ``backward()``, its gradient d(output)/d(tensor);
- on each arrow of a scalar graph, the local derivative d(out)/d(in) of that op,
  so the chain rule can be read off the picture: the gradient of a box is the sum,
  over its outgoing arrows, of (local derivative) x (gradient of the box the arrow
  points to).

``draw_graph`` keeps the artists it draws on the layout it returns (each node's box
and text lines, each edge's arrow and label), so a widget can draw a graph once and
then only change texts and colours (``gradlib.lessons.backprop.BackwardStepper``).

Intermediate tensors only keep ``.grad`` when marked with ``retain_grad()``
before ``backward()`` (as in PyTorch); give tensors a ``.name`` to label them.
``layout_graph`` computes the same layout without matplotlib (tests use it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradlib.engine import Tensor, topological_order
from gradlib.language import tr
from gradlib.plotting import PALETTE

__all__ = ["DrawnEdge", "DrawnNode", "GraphLayout", "draw_graph", "layout_graph"]

# How each op is written in a box: infix symbols for binary arithmetic, a
# function name for everything else (default: the Function's class name, lowercased).
INFIX = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "/", "Pow": "^", "MatMul": "@"}
PREFIX = {
    "Neg": "−",
    "Sigmoid": "σ",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "LogSoftmax": "log_softmax",
    "GetItem": "index",
    "Permute": "transpose",
    "AmaxAll": "max",
    "Maximum": "max",
}

# Layout in data units: column and row spacing, box size.
COLUMN_GAP = 5.0
ROW_GAP = 1.75
BOX_WIDTH = 2.7
BOX_HEIGHT = 1.35
BENT_ARRIVAL = 0.6  # a bent arrow lands this far right of its output box's left side
# Box fills: leaves that need a gradient blue, ops orange, constants grey.
FILLS = {"leaf": "#d6ecf8", "op": "#fbe7c0", "constant": "#e6e6e6"}
ARROW_COLOUR = "#555555"


@dataclass
class DrawnNode:
    """One tensor in the drawing: where it sits and what its box says."""

    tensor: Tensor
    title: str  # e.g. "a = x × y", "x", or a constant's value
    op: str | None  # the Function's name ("Mul"), None for a leaf
    kind: str  # "op", "leaf" (needs a gradient) or "constant" (does not)
    depth: int  # longest path from this tensor to the output (the output has 0)
    x: float
    y: float
    # Set by draw_graph: the box, and its text lines (title, value, then gradient if shown).
    box: Any = field(default=None, repr=False, compare=False)
    texts: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def name(self) -> str | None:
        return self.tensor.name


@dataclass
class DrawnEdge:
    """An arrow from an op's input (``source``) to its output (``target``), as node indices."""

    source: int
    target: int
    local_grad: float | None  # d(target)/d(source) for scalar graphs, else None
    # The arrow is the quadratic Bezier curve start -> control -> end: a straight line
    # (control in the middle) unless it would cross a box in a column it skips.
    start: tuple[float, float] = (0.0, 0.0)
    control: tuple[float, float] = (0.0, 0.0)
    end: tuple[float, float] = (0.0, 0.0)
    # Set by draw_graph: the arrow, and its local-derivative label (None if not shown).
    arrow: Any = field(default=None, repr=False, compare=False)
    label: Any = field(default=None, repr=False, compare=False)

    def point(self, t: float) -> tuple[float, float]:
        """The point at parameter t in [0, 1] along the arrow."""
        (x0, y0), (x1, y1), (x2, y2) = self.start, self.control, self.end
        u = 1 - t
        return (u * u * x0 + 2 * u * t * x1 + t * t * x2, u * u * y0 + 2 * u * t * y1 + t * t * y2)


@dataclass
class GraphLayout:
    """The nodes (inputs first, in the engine's topological order) and edges of a drawing."""

    nodes: list[DrawnNode]
    edges: list[DrawnEdge] = field(default_factory=list)

    def node(self, name: str) -> DrawnNode:
        """The node of the tensor called ``name``."""
        for n in self.nodes:
            if n.tensor.name == name:
                return n
        known = ", ".join(repr(n.tensor.name) for n in self.nodes if n.tensor.name)
        raise KeyError(f"graph has no tensor named {name!r}; named tensors: {known or 'none'}.")

    def backward_order(self) -> list[DrawnNode]:
        """The nodes in the order ``backward()`` visits them: reversed topological order."""
        return [n for n in reversed(self.nodes) if n.kind != "constant"]

    def uses(self, node: DrawnNode) -> list[DrawnEdge]:
        """The arrows out of ``node``: one per use of its tensor by a later op."""
        index = self.nodes.index(node)
        return [e for e in self.edges if e.source == index]


def _fmt(value: float) -> str:
    return f"{value:.4g}".replace("-", "−")


def _short(t: Tensor, constant: bool) -> str | None:
    """How a tensor is referred to inside another box's formula, if it has a short form."""
    if t.name:
        return t.name
    if constant and t.data.size == 1:
        return _fmt(float(t.data.reshape(())))
    return None


def _title(t: Tensor, constant: bool, parent_short: list[str | None]) -> str:
    if t._node is None:
        if t.name:
            return t.name
        if constant and t.data.size == 1:
            return "const"
        return "constant" if constant else "leaf"
    op = t._node.function.__name__
    if all(parent_short) and op in INFIX and len(parent_short) == 2:
        expr = f"{parent_short[0]} {INFIX[op]} {parent_short[1]}"
    elif all(parent_short) and op not in INFIX:
        expr = f"{PREFIX.get(op, op.lower())}({', '.join(parent_short)})"
    else:
        expr = INFIX.get(op) or PREFIX.get(op, op.lower())
    return f"{t.name} = {expr}" if t.name else expr


def _local_grads(t: Tensor) -> list[float | None]:
    """d(t)/d(input) for each input of a one-element op output, from the op's own backward."""
    node = t._node
    # The op's backward with grad = 1 returns exactly the local partial derivatives.
    grads = node.function.backward(node.ctx, np.ones_like(t.data))
    if not isinstance(grads, tuple):
        grads = (grads,)
    return [None if g is None or np.size(g) != 1 else float(np.reshape(g, ())) for g in grads]


def layout_graph(
    output: Tensor, show_constants: bool = True, column_gap: float = COLUMN_GAP
) -> GraphLayout:
    """Place every tensor that ``output`` was computed from; no drawing.

    Nodes are the tensors that need a gradient, in the engine's topological order
    (``gradlib.engine.topological_order``), plus, if ``show_constants``, the
    constant inputs of their ops. Columns are depths (longest path to the output);
    within a column each tensor sits next to the ops that use it, in argument order.
    ``column_gap`` is the distance between columns, in the units of ``BOX_WIDTH``.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"layout_graph: expected a gradlib Tensor, got {type(output).__name__}.")
    if not output.requires_grad:
        raise ValueError(
            "layout_graph: this tensor records no graph (requires_grad is False). Create its "
            "inputs with requires_grad=True, outside no_grad(), then draw the result."
        )
    order = topological_order(output)
    tensors: list[Tensor] = []
    constant: dict[int, bool] = {}
    for t in order:
        if t._node is not None and show_constants:
            for p in t._node.parents:
                if not p.requires_grad and id(p) not in constant:
                    constant[id(p)] = True
                    tensors.append(p)
        constant[id(t)] = False
        tensors.append(t)
    index = {id(t): i for i, t in enumerate(tensors)}

    edges: list[DrawnEdge] = []
    for t in tensors:
        if t._node is None:
            continue
        local = _local_grads(t) if t.data.size == 1 else [None] * len(t._node.parents)
        for p, g in zip(t._node.parents, local):
            if id(p) in index:
                edges.append(DrawnEdge(index[id(p)], index[id(t)], g))

    # Depth = longest path to the output. Walking outputs before inputs (reverse
    # topological order) means a tensor's depth is final before its inputs use it.
    depth = [0] * len(tensors)
    consumers: list[list[tuple[int, int, int]]] = [[] for _ in tensors]
    for t in reversed(tensors):
        if t._node is None:
            continue
        i = index[id(t)]
        parents = [p for p in t._node.parents if id(p) in index]
        for k, p in enumerate(parents):
            j = index[id(p)]
            depth[j] = max(depth[j], depth[i] + 1)
            consumers[j].append((i, k, len(parents)))

    # Rows, column by column from the output: each tensor wants to sit beside the ops
    # that use it, its k-th input spread around the op in argument order; then the
    # column is pushed apart to at least one row between boxes.
    columns: dict[int, list[int]] = {}
    for j, d in enumerate(depth):
        columns.setdefault(d, []).append(j)
    row = [0.0] * len(tensors)
    for d in range(1, max(depth) + 1):
        column = columns[d]
        wanted = {
            j: float(np.mean([row[i] + (k - (n - 1) / 2) for i, k, n in consumers[j]]))
            for j in column
        }
        column.sort(key=lambda j: wanted[j])
        placed: list[float] = []
        for j in column:
            placed.append(wanted[j] if not placed else max(wanted[j], placed[-1] + 1.0))
        shift = np.mean([wanted[j] for j in column]) - np.mean(placed)
        for j, r in zip(column, placed):
            row[j] = r + shift

    max_depth = max(depth)
    nodes = []
    for j, t in enumerate(tensors):
        is_constant = constant[id(t)]
        parent_short = (
            [_short(p, constant.get(id(p), not p.requires_grad)) for p in t._node.parents]
            if t._node is not None
            else []
        )
        kind = "constant" if is_constant else ("leaf" if t._node is None else "op")
        nodes.append(
            DrawnNode(
                tensor=t,
                title=_title(t, is_constant, parent_short),
                op=None if t._node is None else t._node.function.__name__,
                kind=kind,
                depth=depth[j],
                x=float((max_depth - depth[j]) * column_gap),
                y=float(-row[j] * ROW_GAP) + 0.0,  # + 0.0 turns -0.0 into 0.0
            )
        )
    for e in edges:
        _route(e, nodes)
    return GraphLayout(nodes=nodes, edges=edges)


def _clearance(
    start: tuple[float, float], end: tuple[float, float], nodes: list[DrawnNode], margin: float
) -> tuple[float, float, int]:
    """How far the middle of the straight arrow start -> end must rise (up) or sink (down)
    to pass every box it would cross, and on which side of them it starts (+1 above)."""
    (x0, y0), (x2, y2) = start, end
    up = down = 0.0
    source_above = 0
    for n in nodes:
        if not x0 < n.x < x2:
            continue
        t = (n.x - x0) / (x2 - x0)
        line_y = y0 + t * (y2 - y0)
        top, bottom = n.y + BOX_HEIGHT / 2 + margin, n.y - BOX_HEIGHT / 2 - margin
        if bottom < line_y < top:
            lift = 2 * t * (1 - t)
            up = max(up, (top - line_y) / lift)
            down = max(down, (line_y - bottom) / lift)
            source_above += 1 if y0 >= n.y else -1
    return up, down, source_above


def _route(edge: DrawnEdge, nodes: list[DrawnNode], margin: float = 0.3) -> None:
    """Set the arrow's ends and bend it around the boxes of any column it skips.

    The control point sits above (or below) the middle, so the curve's x is still
    linear in t and at a box's x (parameter t) the curve is lifted by 2 t (1 - t) c,
    where c is the control point's height over the straight line.

    A straight arrow runs from the right side of its input's box to the left side of
    its output's box. A bent one lands on the top (or bottom) edge of its output's
    box instead: on the left side it would cut through the straight arrows arriving
    there, and through their labels.
    """
    a, b = nodes[edge.source], nodes[edge.target]
    start, end = (a.x + BOX_WIDTH / 2, a.y), (b.x - BOX_WIDTH / 2, b.y)
    up, down, source_above = _clearance(start, end, nodes, margin)
    if up == down == 0.0:
        edge.start, edge.end = start, end
        edge.control = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        return
    # Pass on the side the arrow starts from: it then crosses no arrow into the blocking box.
    if source_above != 0:
        side = 1 if source_above > 0 else -1
    else:
        side = 1 if up <= down else -1
    end = (b.x - BOX_WIDTH / 2 + BENT_ARRIVAL, b.y + side * BOX_HEIGHT / 2)
    up, down, _ = _clearance(start, end, nodes, margin)
    bend = up if side > 0 else -down
    edge.start, edge.end = start, end
    edge.control = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + float(bend))


def _value_lines(t: Tensor, show_grads: bool) -> list[tuple[str, str]]:
    """(text, colour) lines under a box's title: value, then gradient if known."""
    lines = []
    if t.data.size == 1:
        lines.append((tr("value {value}", value=_fmt(float(t.data.reshape(())))), PALETTE["blue"]))
    else:
        lines.append((tr("shape {shape}", shape=t.data.shape), PALETTE["blue"]))
    if show_grads and t.grad is not None:
        if t.grad.size == 1:
            grad = _fmt(float(t.grad.reshape(())))
            lines.append((tr("grad {grad}", grad=grad), PALETTE["vermillion"]))
        else:
            norm = float(np.sqrt(np.sum(t.grad.astype(np.float64) ** 2)))
            lines.append((tr("‖grad‖ {norm}", norm=_fmt(norm)), PALETTE["vermillion"]))
    return lines


def _derivative_of(output: Tensor) -> str:
    """ "df" for an output named f, "d(loss)" for a longer name, "d(output)" without one."""
    if not output.name:
        return "d(output)"
    return f"d{output.name}" if len(output.name) == 1 else f"d({output.name})"


def _edge_label(layout: GraphLayout, edge: DrawnEdge, stacked: bool = False) -> str:
    """``∂a/∂x = −3``, or on two lines when ``stacked`` (for arrows between close columns)."""
    src, dst = layout.nodes[edge.source].tensor, layout.nodes[edge.target].tensor
    joint = "\n" if stacked else " = "
    if src.name and dst.name:
        # plain Unicode rather than mathtext: mathtext parsing would dominate a widget redraw
        return f"∂{dst.name}/∂{src.name}{joint}{_fmt(edge.local_grad)}"
    return f"local{joint}{_fmt(edge.local_grad)}"


def draw_graph(
    output: Tensor,
    ax: Any = None,
    show_grads: bool = True,
    show_local_grads: bool = True,
    show_constants: bool = True,
    legend: bool = True,
    fontsize: float = 12,
    column_gap: float = COLUMN_GAP,
    stacked_labels: bool = False,
) -> GraphLayout:
    """Draw the graph ``output`` was computed from; returns its ``GraphLayout``.

    Boxes show each tensor's forward value (blue; its shape if it has more than
    one entry) and, if ``show_grads`` and the tensor kept one, its gradient
    d(output)/d(tensor) (vermillion; the norm for arrays). Leaves needing a gradient are blue
    boxes, ops orange, constants grey. If ``show_local_grads`` and the graph is
    scalar, each arrow carries the local derivative d(out)/d(in) (green).
    ``legend`` explains the three colours below the graph. Without ``ax`` a new
    figure sized to the graph is made. ``column_gap`` spaces the columns (``layout_graph``);
    ``stacked_labels`` writes each local derivative on two lines (name, then number), which
    fits the shorter arrows of a small ``column_gap``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
    from matplotlib.path import Path

    from gradlib.plotting import use_style

    layout = layout_graph(output, show_constants=show_constants, column_gap=column_gap)
    xs = [n.x for n in layout.nodes]
    # a bent arrow reaches furthest from its chord at its middle
    ys = [n.y for n in layout.nodes] + [e.point(0.5)[1] for e in layout.edges]
    x_lo, x_hi = min(xs) - BOX_WIDTH / 2 - 0.3, max(xs) + BOX_WIDTH / 2 + 0.3
    y_lo, y_hi = min(ys) - BOX_HEIGHT / 2 - 0.3, max(ys) + BOX_HEIGHT / 2 + 0.3
    if ax is None:
        use_style()
        inches_per_unit = 0.62
        wanted = (x_hi - x_lo) * inches_per_unit
        width = min(16.0, max(5.0, wanted))
        # A graph too wide for 16 inches is drawn smaller: shrink the text with the boxes.
        inches_per_unit *= width / max(wanted, width)
        fontsize *= width / max(wanted, width)
        height = max(2.5, (y_hi - y_lo) * inches_per_unit + 1.2)
        fig, ax = plt.subplots(figsize=(width, height))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.1, top=0.9)

    for n in layout.nodes:
        n.box = ax.add_patch(
            FancyBboxPatch(
                (n.x - BOX_WIDTH / 2, n.y - BOX_HEIGHT / 2),
                BOX_WIDTH,
                BOX_HEIGHT,
                boxstyle="round,pad=0.02,rounding_size=0.2",
                facecolor=FILLS[n.kind],
                edgecolor=PALETTE["black"],
                linewidth=1.2,
                zorder=2,
            )
        )
        lines = [(n.title, PALETTE["black"])] + _value_lines(n.tensor, show_grads)
        step = BOX_HEIGHT / (len(lines) + 0.6)
        top = n.y + step * (len(lines) - 1) / 2
        for k, (text, colour) in enumerate(lines):
            n.texts.append(
                ax.text(
                    n.x,
                    top - k * step,
                    text,
                    ha="center",
                    va="center",
                    color=colour,
                    fontsize=fontsize,
                    fontweight="bold" if k == 0 else "normal",
                    zorder=3,
                )
            )

    for e in layout.edges:
        path = Path([e.start, e.control, e.end], [Path.MOVETO, Path.CURVE3, Path.CURVE3])
        e.arrow = ax.add_patch(
            FancyArrowPatch(
                path=path,
                arrowstyle="-|>",
                mutation_scale=16,
                color=ARROW_COLOUR,
                linewidth=1.4,
                zorder=1,
            )
        )
        if show_local_grads and e.local_grad is not None:
            # a little left of the middle, so labels of arrows into one box do not collide
            e.label = ax.text(
                *e.point(0.45),
                _edge_label(layout, e, stacked_labels),
                ha="center",
                va="center",
                fontsize=fontsize - 1,
                color=PALETTE["green"],
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
                zorder=4,
            )

    if legend:
        handles = [Patch(color=PALETTE["blue"], label=tr("value (forward pass)"))]
        if show_grads:
            label = tr("grad = {top}/d(box) (backward)", top=_derivative_of(output))
            handles.append(Patch(color=PALETTE["vermillion"], label=label))
        if show_local_grads and any(e.local_grad is not None for e in layout.edges):
            label = tr("local derivative d(out)/d(in)")
            handles.append(Patch(color=PALETTE["green"], label=label))
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=len(handles),
            frameon=False,
            fontsize=fontsize - 1,
            handlelength=1.0,
        )
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")
    ax.axis("off")
    return layout
