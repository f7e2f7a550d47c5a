"""Notebook 03 (Backpropagation): widget callbacks, forward-mode differentiation, checkers.

- ``mlp_loss_jvp`` / ``forward_mode_gradient``: forward-mode differentiation of
  the notebook's two-layer MLP with dual numbers, one pass per parameter, and
  ``reverse_mode_cost``: what one backward pass costs, read off the recorded graph.
  Both count multiply-adds of the matrix products; ``plot_gradient_costs`` draws them.
- ``BoundarySnapshots`` and ``plot_training_step(step, snapshots)``: the decision
  boundary of the MLP during training, computed once per recorded step so the
  training-step slider only redraws (the widget, a ``TrainingStepView``).
- The exercise data, references and checkers: ``check_linear_backward`` and
  ``BuggyLinear`` / ``gradcheck_summary`` / ``check_fixed_linear``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from gradlib.activations import softmax_array
from gradlib.engine import Context, Function, Tensor, no_grad, tensor, topological_order
from gradlib.exercises import Feedback, check_array
from gradlib.gradcheck import GradcheckResult, gradcheck
from gradlib.plotting import PALETTE, WidgetView, new_figure, widget_figure

__all__ = [
    "BoundarySnapshots",
    "BuggyLinear",
    "ReverseModeCost",
    "TrainingStepView",
    "below",
    "check_fixed_linear",
    "check_linear_backward",
    "forward_mode_gradient",
    "gradcheck_summary",
    "linear_backward_reference",
    "linear_exercise_data",
    "mlp_loss_jvp",
    "plot_gradient_costs",
    "plot_snapshot_grid",
    "plot_training_step",
    "reverse_mode_cost",
]


def below(value: float, floor: float = 1e-15) -> str:
    """``"< 1e-9"``: the smallest power of ten above ``value`` (at least ``floor``).

    Differences between two correct gradients are round-off, whose last digits
    depend on the machine's BLAS; a bound prints the same everywhere.
    """
    bound = max(floor, 10.0 ** np.ceil(np.log10(max(value, 1e-300))))
    if bound == value:
        bound *= 10
    return f"< {bound:.0e}"


# ----- forward mode vs reverse mode ------------------------------------------------


def _counted_matmul(a: np.ndarray, b: np.ndarray, macs: list[int]) -> np.ndarray:
    """a @ b for 2-D arrays, adding its m * k * n multiply-adds to ``macs[0]``."""
    macs[0] += a.shape[0] * a.shape[1] * b.shape[1]
    return a @ b


def mlp_loss_jvp(
    X: np.ndarray,
    target: np.ndarray,
    params: list[np.ndarray],
    tangents: list[np.ndarray],
    macs: list[int] | None = None,
) -> tuple[float, float]:
    """The MLP's loss and its derivative along ``tangents``, in one forward pass.

    Forward mode with dual numbers: every quantity v travels with a tangent v_dot,
    the derivative of v along the chosen direction in parameter space (the
    tangents of W1, b1, W2, b2). Each rule is the product rule with e**2 = 0:
    (a + e a_dot)(b + e b_dot) = ab + e (a b_dot + a_dot b).

        Z1 = X W1 + b1       Z1_dot = X W1_dot + b1_dot                  (N, M)
        H  = relu(Z1)        H_dot  = [Z1 > 0] * Z1_dot                  (N, M)
        Z2 = H W2 + b2       Z2_dot = H_dot W2 + H W2_dot + b2_dot       (N, C)
        L  = mean_i -log softmax(Z2)[i, target_i]
                             L_dot  = sum((softmax(Z2) - Y) / N * Z2_dot)

    Y is the one-hot target (N, C). With the tangent of a single weight set to 1
    (all others 0), L_dot is dL/d(that weight): one pass per weight. ``macs`` (a
    one-element list) accumulates the multiply-adds of the five matrix products.
    """
    if macs is None:
        macs = [0]
    W1, b1, W2, b2 = params
    W1_dot, b1_dot, W2_dot, b2_dot = tangents
    Z1 = _counted_matmul(X, W1, macs) + b1
    Z1_dot = _counted_matmul(X, W1_dot, macs) + b1_dot
    H = np.maximum(Z1, 0.0)
    H_dot = (Z1 > 0) * Z1_dot
    Z2 = _counted_matmul(H, W2, macs) + b2
    Z2_dot = _counted_matmul(H_dot, W2, macs) + _counted_matmul(H, W2_dot, macs) + b2_dot
    P = softmax_array(Z2, axis=1)
    n = len(target)
    loss = -np.mean(np.log(P[np.arange(n), target]))
    Y = np.eye(Z2.shape[1])[target]
    return float(loss), float(np.sum((P - Y) / n * Z2_dot))


def forward_mode_gradient(
    X: np.ndarray, target: np.ndarray, params: list[np.ndarray]
) -> tuple[list[np.ndarray], int, int]:
    """The full gradient by forward mode: one ``mlp_loss_jvp`` pass per parameter entry.

    Returns (gradients shaped like ``params``, number of passes, multiply-adds).
    """
    macs = [0]
    grads = [np.zeros_like(p) for p in params]
    passes = 0
    for k, p in enumerate(params):
        for index in np.ndindex(p.shape):
            tangents = [np.zeros_like(q) for q in params]
            tangents[k][index] = 1.0
            _, grads[k][index] = mlp_loss_jvp(X, target, params, tangents, macs)
            passes += 1
    return grads, passes, macs[0]


@dataclass
class ReverseModeCost:
    """What the recorded graph of a loss costs forward and backward."""

    ops: Counter = field(default_factory=Counter)  # op name -> how many (forward = backward calls)
    forward_macs: int = 0  # multiply-adds of the matrix products, forward
    backward_macs: int = 0  # and backward (one product per input that needs a gradient)


def reverse_mode_cost(loss: Tensor) -> ReverseModeCost:
    """Count the ops in ``loss``'s graph and the multiply-adds of its matrix products.

    ``loss.backward()`` walks ``topological_order(loss)`` in reverse and calls the
    backward of every recorded op exactly once, so the ops recorded by the forward
    pass are also the backward calls. A 2-D MatMul of (m, k) by (k, n) costs m k n
    multiply-adds forward; its backward costs m k n for each input that needs a
    gradient (grad @ b.T and a.T @ grad are products of the same size).
    """
    cost = ReverseModeCost()
    for t in topological_order(loss):
        if t._node is None:
            continue
        name = t._node.function.__name__
        cost.ops[name] += 1
        if name == "MatMul":
            a, b = t._node.ctx.a, t._node.ctx.b
            size = int(np.prod(a.shape)) * b.shape[-1]
            cost.forward_macs += size
            cost.backward_macs += size * sum(t._node.ctx.needs_input_grad)
    return cost


def plot_gradient_costs(
    sizes: list[int], reverse: list[int], forward: list[int], finite_differences: list[int]
) -> Figure:
    """Multiply-adds for the full gradient against the number of weights, log-log.

    One line per method (each with its own colour, marker and dash pattern), and an
    arrow at the largest network marking how many times forward mode's work is reverse
    mode's. Returns the figure.
    """
    fig, ax = new_figure(width=7.0, height=4.5)
    lines = (
        (forward, "o", "-", PALETTE["vermillion"], "forward mode (1 pass per weight)"),
        (
            finite_differences,
            "s",
            "--",
            PALETTE["orange"],
            "finite differences (2 passes per weight)",
        ),
        (reverse, "^", "-", PALETTE["blue"], "reverse mode (1 forward + 1 backward)"),
    )
    for costs, marker, dashes, colour, label in lines:
        ax.loglog(sizes, costs, marker=marker, linestyle=dashes, color=colour, label=label)
    ax.set_xticks(sizes, labels=[str(n) for n in sizes])
    ax.minorticks_off()
    ax.annotate(
        "",
        xy=(sizes[-1], forward[-1]),
        xytext=(sizes[-1], reverse[-1]),
        arrowprops={"arrowstyle": "<->", "color": PALETTE["black"]},
    )
    ax.text(
        sizes[-1] * 0.93,
        np.sqrt(forward[-1] * reverse[-1]),
        f"{forward[-1] / reverse[-1]:.0f} times",
        ha="right",
        va="center",
        fontsize=11,
    )
    ax.set_xlabel("number of weights in the MLP")
    ax.set_ylabel("multiply-adds for the full gradient")
    ax.set_title("The cost of a gradient: reverse mode vs forward mode")
    ax.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig


# ----- training snapshots and the training-step widget ---------------------------


@dataclass
class Snapshot:
    """What ``BoundarySnapshots.record`` keeps of one training step."""

    step: int
    loss: float
    accuracy: float
    probability: np.ndarray  # P(class 1) on the grid, shape (grid_size, grid_size)


class BoundarySnapshots:
    """The decision boundary of a 2-class model at recorded training steps.

    ``record(step, loss, model)`` evaluates ``model`` (a function from an (n, 2)
    array to logits of shape (n, 2)) on the data and on a fixed grid once, so
    ``plot_training_step`` only has to draw.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, grid_size: int = 80, margin: float = 0.5):
        self.X, self.y = X, y
        lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
        self.xs = np.linspace(lo[0], hi[0], grid_size)
        self.ys = np.linspace(lo[1], hi[1], grid_size)
        gx, gy = np.meshgrid(self.xs, self.ys)
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.snapshots: list[Snapshot] = []

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    def record(self, step: int, loss: float, model: Any) -> None:
        with no_grad():
            grid_logits = np.asarray(model(self.grid).data)
            data_logits = np.asarray(model(self.X).data)
        probability = softmax_array(grid_logits, axis=1)[:, 1].reshape(len(self.ys), len(self.xs))
        accuracy = float(np.mean(data_logits.argmax(axis=1) == self.y))
        self.snapshots.append(Snapshot(int(step), float(loss), accuracy, probability))

    def at(self, step: int) -> Snapshot:
        """The snapshot recorded at ``step`` (or the latest one before it)."""
        if not self.snapshots:
            raise ValueError("BoundarySnapshots: nothing recorded yet; call record() in the loop.")
        earlier = [s for s in self.snapshots if s.step <= step]
        return earlier[-1] if earlier else self.snapshots[0]


def _boundary_lines(snapshots: BoundarySnapshots, probability: np.ndarray) -> list[np.ndarray]:
    """The decision boundary P(class 1) = 0.5 as (n, 2) line pieces, traced with contourpy
    (the engine of matplotlib's ``contour``), so a widget can move an existing line."""
    import contourpy

    generator = contourpy.contour_generator(
        snapshots.xs, snapshots.ys, probability, line_type="Separate"
    )
    return generator.lines(0.5)


def _draw_boundary(ax: Any, snapshots: BoundarySnapshots, snap: Snapshot) -> tuple[Any, Any]:
    """P(class 1) as a blue-white-orange background, the P = 0.5 line, and the data.

    Returns the background image and the boundary line, for a widget to update.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list(
        "blue_orange", [PALETTE["blue"], "#ffffff", PALETTE["orange"]]
    )
    extent = (snapshots.xs[0], snapshots.xs[-1], snapshots.ys[0], snapshots.ys[-1])
    image = ax.imshow(
        snap.probability,
        origin="lower",
        extent=extent,
        cmap=cmap,
        vmin=0,
        vmax=1,
        alpha=0.55,
        aspect="auto",
        interpolation="bilinear",
    )
    boundary = LineCollection(
        _boundary_lines(snapshots, snap.probability), colors="black", linewidths=2.0, zorder=2
    )
    ax.add_collection(boundary)
    X, y = snapshots.X, snapshots.y
    for label, marker, colour in ((0, "o", PALETTE["blue"]), (1, "^", PALETTE["orange"])):
        ax.scatter(
            X[y == label, 0],
            X[y == label, 1],
            marker=marker,
            s=22,
            color=colour,
            edgecolor="black",
            linewidth=0.5,
            label=f"class {label}",
        )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    # whole-number ticks only: laying out tick labels is most of a redraw's cost
    ax.set_xticks(np.arange(np.ceil(extent[0]), extent[1]))
    ax.set_yticks(np.arange(np.ceil(extent[2]), extent[3]))
    ax.set_xlabel("feature x₁")
    ax.set_ylabel("feature x₂")
    ax.grid(False)
    return image, boundary


class TrainingStepView(WidgetView):
    """The figure of ``plot_training_step`` for one ``BoundarySnapshots``: the boundary and
    the data, and in the corner the loss curve with the current step marked."""

    def __init__(self, snapshots: BoundarySnapshots) -> None:
        super().__init__()
        self.snapshots = snapshots

    def build(self) -> Figure:
        fig, ax = widget_figure(
            width=7.5, height=5.0, margins={"left": 0.1, "right": 0.97, "bottom": 0.12, "top": 0.92}
        )
        self.image, self.boundary = _draw_boundary(ax, self.snapshots, self.snapshots.snapshots[0])
        # an explicit title height skips matplotlib's measuring of the tick labels beneath it
        self.title = ax.set_title("", y=1.01)
        ax.legend(loc="lower left", fontsize=11)
        # The loss curve as a small inset: two y ticks give its range, and the x label the
        # steps' (tick labels are most of a redraw's cost, so no more than that).
        inset = ax.inset_axes((0.71, 0.7, 0.27, 0.26))
        (self.loss_curve,) = inset.plot([], [], color=PALETTE["vermillion"])
        (self.marker,) = inset.plot([], [], "o", color=PALETTE["black"], markersize=6)
        inset.tick_params(labelsize=9, length=2, pad=1)
        inset.set_xticks([])
        inset.grid(False)
        self.inset_xlabel = inset.set_xlabel("", fontsize=10, labelpad=2)
        inset.set_ylabel("loss", fontsize=10, labelpad=0)
        self.inset = inset
        return fig

    def update(self, snap: Snapshot) -> None:
        self.image.set_data(snap.probability)
        self.boundary.set_segments(_boundary_lines(self.snapshots, snap.probability))
        self.title.set_text(
            f"Step {snap.step}: loss {snap.loss:.3f}, accuracy {100 * snap.accuracy:.1f}%"
        )
        # Every update: more steps may have been recorded since the figure was built.
        steps, losses = self.snapshots.steps, [s.loss for s in self.snapshots.snapshots]
        self.loss_curve.set_data(steps, losses)
        self.marker.set_data([snap.step], [snap.loss])
        first, last, top = steps[0], steps[-1], max(losses)
        pad = 0.06 * max(last - first, 1)  # room for the marker at either end
        self.inset.set_xlim(first - pad, last + pad)
        self.inset.set_ylim(0.0, 1.12 * top)
        self.inset.set_yticks([0.0, top], labels=["0", f"{top:.2f}"])
        self.inset_xlabel.set_text(f"step {first} to {last}")


@lru_cache(maxsize=4)
def _training_step_view(snapshots: BoundarySnapshots) -> TrainingStepView:
    """One figure per ``BoundarySnapshots`` (usually the notebook's only one), kept."""
    return TrainingStepView(snapshots)


def plot_training_step(step: int, snapshots: BoundarySnapshots) -> Figure:
    """Widget: the decision boundary at a training step, and where that step is on the loss curve.

    Prints the step's loss and training accuracy; shows the class-1 probability
    (orange = class 1, blue = class 0, black line = the boundary P = 0.5) with the
    data, and in the corner the loss over all recorded steps with this step marked.
    Returns the figure, which it has already shown: write ``fig = plot_training_step(...)``
    in a notebook, or Jupyter shows the returned figure a second time.
    """
    snap = snapshots.at(step)
    print(f"step {snap.step}: loss {snap.loss:.3f}, training accuracy {100 * snap.accuracy:.1f}%")
    return _training_step_view(snapshots).show(snap=snap)


def plot_snapshot_grid(snapshots: BoundarySnapshots, steps: tuple[int, ...]) -> None:
    """The decision boundary at a few training steps, side by side.

    The first panel names the classes; a colour bar on the right reads the background,
    the predicted probability of class 1 (the same scale in every panel).
    """
    fig, axes = new_figure(
        ncols=len(steps), width=3.3 * len(steps) + 0.8, height=3.6, layout="constrained"
    )
    for ax, step in zip(axes, steps):
        snap = snapshots.at(step)
        image, _ = _draw_boundary(ax, snapshots, snap)
        ax.set_title(f"step {snap.step}: loss {snap.loss:.2f}", fontsize=12)
        if ax is not axes[0]:
            ax.set_ylabel("")
    axes[0].legend(loc="lower right", fontsize=9, framealpha=0.9, handletextpad=0.2)
    colorbar = fig.colorbar(image, ax=list(axes), fraction=0.02, pad=0.01)
    colorbar.set_label("P(class 1)")
    colorbar.set_ticks([0, 0.5, 1])
    plt.show()


# ----- exercise 1: the backward of a linear layer --------------------------------


def linear_exercise_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X (4, 3), W (3, 2), b (2,) and dY = dL/dY (4, 2) for Y = X W + b."""
    rng = np.random.default_rng(3)
    X = np.round(rng.uniform(-2, 2, (4, 3)), 1)
    W = np.round(rng.uniform(-2, 2, (3, 2)), 1)
    b = np.array([0.5, -1.0])
    dY = np.round(rng.uniform(-1, 1, (4, 2)), 1)
    return X, W, b, dY


def linear_backward_reference(
    X: np.ndarray, W: np.ndarray, b: np.ndarray, dY: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y = X W + b:  dX = dY W^T (N, D), dW = X^T dY (D, M), db = dY summed over rows (M,)."""
    return dY @ W.T, X.T @ dY, dY.sum(axis=0)


def _linear_mistake(name: str, answer: Any, expected: np.ndarray, n: int) -> str | None:
    """The two slips the generic checker words poorly: db summed over the wrong axis, and
    a mean over the n rows where the chain rule asks for a sum."""
    try:
        got = np.asarray(answer.data if isinstance(answer, Tensor) else answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if name == "db" and got.shape == (n,) and expected.shape != (n,):
        return (
            f"db has shape {got.shape}, expected {expected.shape}: you summed over the wrong "
            "axis. b is added to every row of X W, so its gradient adds dY up over the rows: "
            "sum over axis 0."
        )
    if got.shape == expected.shape and np.allclose(got, expected / n, rtol=1e-4, atol=1e-6):
        return (
            f"{name} is off by a constant factor, 1/N = {1 / n:g} times the reference: a mean "
            f"over the {n} rows instead of a sum? The chain rule adds up what each row "
            "contributes; any 1/N of the loss is already inside dY."
        )
    return None


def check_linear_backward(dX: Any, dW: Any, db: Any) -> Feedback:
    """Exercise 1: the learner's dX, dW, db for ``linear_exercise_data()``, checked one by one."""
    X, W, b, dY = linear_exercise_data()
    reference = linear_backward_reference(X, W, b, dY)
    answers = (dX, dW, db)
    names = ("dX", "dW", "db")
    if all(a is None or a is Ellipsis for a in answers):
        return Feedback(False, "dX, dW and db are still empty; replace the placeholders.")
    for answer, expected, name in zip(answers, reference, names):
        verdict = check_array(answer, expected, name=name)
        if not verdict:
            mistake = _linear_mistake(name, answer, expected, len(X))
            return Feedback(False, mistake) if mistake else verdict
    return Feedback(
        True, "dX (4, 3), dW (3, 2) and db (2,) all match the reference, entry by entry."
    )


# ----- exercise 2: find the bug with gradcheck -----------------------------------


class BuggyLinear(Function):
    """out = x @ w.T + b, with PyTorch's weight layout: w has shape (out_features, in_features).

    x (N, in), w (out, in), b (out,) -> out (N, out). Its backward has one bug.
    """

    @staticmethod
    def forward(ctx: Context, x, w, b):
        ctx.x, ctx.w = x, w
        return x @ w.T + b

    @staticmethod
    def backward(ctx, grad):
        dx = grad @ ctx.w  # (N, out) @ (out, in) -> (N, in)
        dw = ctx.x.T @ grad  # (in, N) @ (N, out) -> (in, out)
        db = grad.sum(axis=0)  # (out,)
        return dx, dw, db


def gradcheck_summary(result: GradcheckResult, names: tuple[str, ...]) -> str:
    """One line per input: ok, or where backward and finite differences disagree.

    Unlike ``print(result)`` it leaves out the tiny errors of the inputs that pass
    (their last digits depend on the machine), so a notebook prints the same everywhere.
    """
    lines = ["gradcheck passed" if result.passed else "gradcheck FAILED"]
    for check in result.inputs:
        line = f"  input {check.index} ({names[check.index]}, shape {check.shape}): "
        if check.passed:
            line += "ok"
        else:
            line += (
                f"MISMATCH, worst at entry {check.worst}: backward gives {check.analytic:.4g}, "
                f"finite differences {check.numerical:.4g}"
            )
        lines.append(line)
    return "\n".join(lines)


def _bug_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return [
        (rng.standard_normal((5, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)),
        (rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)),
    ]


def check_fixed_linear(function_class: Any) -> Feedback:
    """Exercise 2: gradcheck the learner's fixed Function on a square and a non-square weight."""
    name = getattr(function_class, "__name__", "your Function")
    input_names = ("x", "w", "b")
    for number, (x, w, b) in enumerate(_bug_cases(), start=1):
        try:
            out = function_class.apply(tensor(x), tensor(w), tensor(b))
            result = gradcheck(function_class.apply, x, w, b)
        except NotImplementedError:
            return Feedback(
                False,
                f"{name}.backward is still empty (it raises NotImplementedError); "
                "write the fixed backward.",
            )
        except Exception as error:  # the learner's code: report it, do not crash the notebook
            return Feedback(
                False,
                f"{name} raised {type(error).__name__} with w of shape {w.shape}: {error}",
            )
        forward_ok = check_array(out, x @ w.T + b, name="the forward output")
        if not forward_ok:
            return Feedback(False, f"{name}.forward changed: {forward_ok.message}")
        for check in result.inputs:
            if not check.passed:
                return Feedback(
                    False,
                    f"gradcheck still fails for input {check.index} ({input_names[check.index]}, "
                    f"shape {check.shape}) on test case {number} (w of shape {w.shape}): "
                    f"at entry {check.worst} backward gives {check.analytic:.4g}, "
                    f"finite differences {check.numerical:.4g}.",
                )
    return Feedback(
        True,
        f"gradcheck passes for x, w and b, with a square weight (3, 3) and a non-square "
        f"one (2, 3); {name}.backward is right.",
    )
