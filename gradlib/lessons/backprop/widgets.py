"""Notebook 03, the widgets: step through the backward pass of one neuron with a loss
(``BackwardStepper``); train the MLP yourself, with a learning rate and a width you choose,
and look at its decision boundary at any step (``TrainingStep``)."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gradlib.activations import softmax_array
from gradlib.language import tr
from gradlib.lessons.backprop.figures import boundary_lines, draw_boundary, unit_lines
from gradlib.lessons.backprop.maths import (
    BoundarySnapshots,
    Snapshot,
    TrainingRun,
    dead_mask,
    mlp_logits,
    neuron_loss,
    train_mlp,
)
from gradlib.plotting import PALETTE, widget_figure
from gradlib.widgets import IntSlider, LogSlider, Slider, Widget

# The notebook trains for TRAINING_STEPS steps and records the boundary every RECORD_EVERY.
TRAINING_STEPS = 300
RECORD_EVERY = 10


class TrainingStep(Widget):
    """The MLP relu(X W1 + b1) W2 + b2 trained on the moons by full-batch gradient descent
    (``train_mlp``: the numpy backward pass of section 4) with the chosen learning rate and
    number of hidden units, from He-initialised weights (seed 0). The figure shows, at the
    chosen step, the class-1 probability (orange = class 1, blue = class 0, black line = the
    boundary P = 0.5) with the data, each hidden unit's line w . x + b = 0 where its ReLU
    switches (green; grey and dashed when the unit is dead), and in the corner the loss every
    10 steps with this step marked, on one fixed scale (0 to LOSS_TOP) for every run. A new
    learning rate or width trains again (about 10-30 ms); a new step only redraws."""

    controls = {
        "step": IntSlider(60, 0, TRAINING_STEPS, step=RECORD_EVERY, label="step"),
        # powers of 2 from 1/32 to 11.3, so that 0.5 (the notebook's rate) is on the scale
        "lr": LogSlider(0.5, -5, 3.5, step=0.5, label="learning rate", base=2.0),
        "hidden": IntSlider(16, 1, 32, label="hidden units"),
    }
    moved = {"step": 240, "lr": 8.0, "hidden": 2}

    CACHED_RUNS = 16  # runs kept, so that going back to a setting does not train again
    # The loss inset's scale, the same for every run so that runs compare by eye; it holds
    # every start (0.6 to 1.1) and a diverging run leaves through its top.
    LOSS_TOP = 1.2

    def __init__(self, X: np.ndarray, target: np.ndarray) -> None:
        super().__init__()
        # The grid, the data and the drawing helpers of the snapshots; no snapshot is recorded.
        self.grid = BoundarySnapshots(X, target)
        self.X, self.target = X, target
        self.runs: dict[tuple[int, float], TrainingRun] = {}

    @classmethod
    def example(cls) -> TrainingStep:
        """The notebook's data: 200 points of the two moons (noise 0.1, seed 0)."""
        from gradlib.data import make_moons

        X, target = make_moons(n_samples=200, noise=0.1, seed=0)
        return cls(X, target)

    def run(self, hidden: int, lr: float) -> TrainingRun:
        """The training run for these settings, trained on first use."""
        key = (int(hidden), float(lr))
        if key not in self.runs:
            if len(self.runs) >= self.CACHED_RUNS:
                self.runs.pop(next(iter(self.runs)))  # the oldest
            self.runs[key] = train_mlp(
                self.X, self.target, int(hidden), float(lr), TRAINING_STEPS, RECORD_EVERY
            )
        return self.runs[key]

    def snapshot(self, hidden: int, lr: float, step: int) -> tuple[Snapshot, np.ndarray]:
        """The boundary, loss and accuracy at ``step``, and which hidden units are dead."""
        run = self.run(hidden, lr)
        weights = run.weights_at(step)
        with np.errstate(all="ignore"):
            grid_logits = mlp_logits(self.grid.grid, weights)
            data_logits = mlp_logits(self.X, weights)
            probability = softmax_array(grid_logits, axis=1)[:, 1]
        shape = (len(self.grid.ys), len(self.grid.xs))
        accuracy = float(np.mean(data_logits.argmax(axis=1) == self.target))
        snap = Snapshot(int(step), run.loss_at(step), accuracy, probability.reshape(shape))
        return snap, dead_mask(self.X, weights)

    def build(self) -> Figure:
        fig, ax = widget_figure(
            width=6.2,
            height=3.8,
            margins={"left": 0.1, "right": 0.97, "bottom": 0.145, "top": 0.91},
        )
        first, _ = self.snapshot(hidden=16, lr=0.5, step=0)  # any snapshot: update() replaces it
        self.image, self.boundary = draw_boundary(ax, self.grid, first)
        from matplotlib.collections import LineCollection

        # each hidden unit's switching line; drawn under the boundary
        self.live_lines = LineCollection(
            [],
            colors=PALETTE["green"],
            linewidths=0.8,
            alpha=0.8,
            zorder=1.5,
            label=tr("a unit's w·x + b = 0"),
        )
        self.dead_lines = LineCollection(
            [],
            colors="#808080",
            linewidths=1.0,
            linestyles="--",
            zorder=1.5,
            label=tr("a dead unit's"),
        )
        ax.add_collection(self.live_lines)
        ax.add_collection(self.dead_lines)
        # an explicit title height skips matplotlib's measuring of the tick labels beneath it
        self.title = ax.set_title("", y=1.01)
        ax.legend(loc="lower left", fontsize=9, ncols=2)
        # The loss curve as a small inset: two y ticks give its range, and the x label the
        # steps' (tick labels are most of a redraw's cost, so no more than that).
        inset = ax.inset_axes((0.71, 0.7, 0.27, 0.26))
        steps = np.arange(0, TRAINING_STEPS + 1, RECORD_EVERY)
        (self.loss_curve,) = inset.plot(steps, np.zeros(len(steps)), color=PALETTE["vermillion"])
        (self.marker,) = inset.plot([], [], "o", color=PALETTE["black"], markersize=6)
        inset.tick_params(labelsize=9, length=2, pad=1)
        inset.set_xticks([])
        inset.grid(False)
        pad = 0.06 * TRAINING_STEPS  # room for the marker at either end
        inset.set_xlim(-pad, TRAINING_STEPS + pad)
        # the labels inside the inset, on its white: outside it they sat on the boundary plot
        inset.text(
            0.97,
            0.93,
            tr("loss, step 0 to {steps}", steps=TRAINING_STEPS),
            transform=inset.transAxes,
            ha="right",
            va="top",
            fontsize=9.5,
        )
        inset.set_ylim(0.0, self.LOSS_TOP)  # fixed: set once, the same for every run
        inset.set_yticks([0.0, 1.0], labels=["0", "1"])
        self.inset = inset
        return fig

    def update(self, step: int, lr: float, hidden: int) -> str:
        snap, dead_units = self.snapshot(hidden, lr, step)
        dead = int(dead_units.sum())
        run = self.run(hidden, lr)
        W1, b1, _, _ = run.weights_at(step)
        with np.errstate(all="ignore"):
            lines = unit_lines(W1, b1, self.image.get_extent())
        self.live_lines.set_segments(
            [s for s, d in zip(lines, dead_units) if s is not None and not d]
        )
        self.dead_lines.set_segments([s for s, d in zip(lines, dead_units) if s is not None and d])
        self.image.set_data(snap.probability)
        finite = bool(np.all(np.isfinite(snap.probability)))
        self.boundary.set_segments(boundary_lines(self.grid, snap.probability) if finite else [])
        loss = (
            tr("loss {loss:.3f}", loss=snap.loss)
            if np.isfinite(snap.loss)
            else tr("loss overflowed")
        )
        # a short title: every glyph is drawn again on every update
        self.title.set_text(
            tr(
                "Step {step}: {loss}, accuracy {accuracy:.1f}%",
                step=snap.step,
                loss=loss,
                accuracy=100 * snap.accuracy,
            )
        )
        losses = np.where(np.isfinite(run.losses), run.losses, np.nan)
        self.loss_curve.set_ydata(losses)
        self.marker.set_data([snap.step], [snap.loss if np.isfinite(snap.loss) else np.nan])
        units = (
            tr("{hidden} hidden unit", hidden=hidden)
            if hidden == 1
            else tr("{hidden} hidden units", hidden=hidden)
        )
        return tr(
            "learning rate {lr:.3g}, {units}, step {step}: {loss}, training "
            "accuracy {accuracy:.1f}%, {dead} of {units} dead",
            lr=lr,
            units=units,
            step=snap.step,
            loss=loss,
            accuracy=100 * snap.accuracy,
            dead=dead,
        )


# ----- stepping through the backward pass -----------------------------------------------------


class _BlitCanvas(FigureCanvasAgg):
    """An Agg canvas that draws the still parts of its figure once and afterwards only the
    artists in ``moving`` (set animated, so a full draw leaves them out), over a copy of the
    still parts: matplotlib's blitting. A stepper update changes about twenty texts of a
    figure of a hundred artists; drawing only those keeps it fast enough to drag."""

    def __init__(self, figure: Figure, moving: list) -> None:
        super().__init__(figure)
        self.moving = moving
        self.background = None

    def draw(self) -> None:
        if self.background is None:
            super().draw()  # everything not animated
            self.background = self.copy_from_bbox(self.figure.bbox)
        else:
            self.restore_region(self.background)
        renderer = self.get_renderer()
        for artist in self.moving:
            if artist.get_visible():
                artist.draw(renderer)


def _number(value: float) -> str:
    """Three significant digits, short enough for a box: 0.182, −1.64, 7.3e−5."""
    if value == 0 or 0.01 <= abs(value) < 1000:
        text = f"{value:.3g}"
    else:
        mantissa, exponent = f"{value:.1e}".split("e")  # no 10**exponent: it underflows
        text = f"{float(mantissa):g}e{int(exponent)}"
    return text.replace("-", "−")


STEPPER_COLUMN_GAP = 4.4
PENDING = "#9a9a9a"  # a gradient not computed yet
USED = "#fff0a8"  # the local derivatives the current step multiplies


class BackwardStepper(Widget):
    """One neuron with a loss, L = (sigmoid(w x + b) - 1)**2, drawn as its computational
    graph (``neuron_loss``): move w, x and b, and step the backward pass one node at a time.
    Every box shows its value; the gradients computed so far stay on the picture, the rest
    show "grad ?"; the current node is framed, and the line above the graph writes its
    gradient as upstream gradient x local derivative (a sum of such products for a value
    used twice). The figure is drawn once; an update sets texts and colours."""

    controls = {
        "w": Slider(-1.0, -3.0, 3.0, step=0.1, label="weight w"),
        "x": Slider(2.0, -3.0, 3.0, step=0.1, label="input x"),
        "b": Slider(0.5, -3.0, 3.0, step=0.1, label="bias b"),
        "step": IntSlider(4, 0, 8, label="backward step"),
    }
    moved = {"w": 2.3, "x": -1.4, "b": 1.2, "step": 8}
    # The graph drawn: a function of w, x, b returning the loss L (named tensors, backward
    # done), with as many nodes that need a gradient as the step slider has steps.
    expression = staticmethod(neuron_loss)

    def build(self) -> Figure:
        from matplotlib.patches import FancyBboxPatch

        from gradlib.graphplot import BOX_HEIGHT, BOX_WIDTH, draw_graph

        fig, ax = widget_figure(
            width=11.4,
            height=2.9,
            margins={"left": 0.005, "right": 0.995, "bottom": 0.1, "top": 0.86},
        )
        self.layout = draw_graph(
            self.expression(**{k: v for k, v in self.defaults().items() if k != "step"}),
            ax=ax,
            fontsize=10.5,
            show_constants=False,
            column_gap=STEPPER_COLUMN_GAP,
        )
        self.order = self.layout.backward_order()
        if len(self.order) != self.controls["step"].max:
            raise RuntimeError("BackwardStepper: the step slider must end at the last node")
        self.frame = ax.add_patch(
            FancyBboxPatch(
                (0, 0),
                BOX_WIDTH + 0.3,
                BOX_HEIGHT + 0.3,
                boxstyle="round,pad=0.02,rounding_size=0.25",
                facecolor="none",
                edgecolor=PALETTE["vermillion"],
                linewidth=3.0,
                zorder=5,
            )
        )
        self.equation = fig.text(0.5, 0.93, "", ha="center", va="center", fontsize=13)
        moving = [self.frame, self.equation]
        for node in self.layout.nodes:
            moving.extend(node.texts[1:])  # value and gradient; the title stays
        moving.extend(e.label for e in self.layout.edges if e.label is not None)
        for artist in moving:
            artist.set_animated(True)
        _BlitCanvas(fig, moving)
        return fig

    def update(self, w: float, x: float, b: float, step: int) -> str:
        from gradlib.graphplot import BOX_HEIGHT, BOX_WIDTH, layout_graph

        fresh = layout_graph(
            self.expression(w, x, b), show_constants=False, column_gap=STEPPER_COLUMN_GAP
        )
        value = {n.name: float(n.tensor.data) for n in fresh.nodes}
        grad = {n.name: float(n.tensor.grad) for n in fresh.nodes}
        names = [n.name for n in fresh.nodes]
        local = {(names[e.source], names[e.target]): e.local_grad for e in fresh.edges}
        shown = self.layout.nodes

        for node in shown:
            node.texts[1].set_text(tr("value {value}", value=_number(value[node.name])))
        done = {n.name for n in self.order[:step]}
        for node in self.order:
            text = node.texts[2]
            text.set_fontweight("normal")
            if node.name in done:
                text.set_text(tr("grad {grad}", grad=_number(grad[node.name])))
                text.set_color(PALETTE["vermillion"])
            else:
                text.set_text(tr("grad ?"))
                text.set_color(PENDING)
        for edge in self.layout.edges:
            source, target = shown[edge.source].name, shown[edge.target].name
            # two short lines fit between boxes that are close together
            edge.label.set_text(f"∂{target}/∂{source}\n{_number(local[(source, target)])}")
            edge.label.set_fontweight("normal")
            edge.label.get_bbox_patch().set_facecolor("white")

        loss = f"L = {_number(value['L'])}"
        if step == 0:
            self.frame.set_visible(False)
            says = tr(
                "Forward pass done, {loss}: every value is known, no gradient yet.", loss=loss
            )
        else:
            current = self.order[step - 1]
            self.frame.set_visible(True)
            self.frame.set_x(current.x - BOX_WIDTH / 2 - 0.15)
            self.frame.set_y(current.y - BOX_HEIGHT / 2 - 0.15)
            uses = self.layout.uses(current)
            if not uses:
                rule = tr("∂L/∂L = 1, the seed of the backward pass ({loss})", loss=loss)
            else:
                symbols, numbers = [], []
                for edge in uses:
                    consumer = shown[edge.target]
                    consumer.texts[2].set_fontweight("bold")
                    edge.label.set_fontweight("bold")
                    edge.label.get_bbox_patch().set_facecolor(USED)
                    up, here = grad[consumer.name], local[(current.name, consumer.name)]
                    symbols.append(f"∂L/∂{consumer.name} × ∂{consumer.name}/∂{current.name}")
                    numbers.append(f"{_number(up)} × {_number(here)}")
                rule = (
                    f"∂L/∂{current.name} = {' + '.join(symbols)} = {' + '.join(numbers)} "
                    f"= {_number(grad[current.name])}"
                )
            current.texts[2].set_fontweight("bold")
            says = tr(
                "Step {step} of {count}, {name}: {rule}",
                step=step,
                count=len(self.order),
                name=current.name,
                rule=rule,
            )
        self.equation.set_text(says)
        return tr(
            "w = {w:.1f}, x = {x:.1f}, b = {b:.1f}. {says}",
            w=w,
            x=x,
            b=b,
            says=says.replace("−", "-"),
        )
