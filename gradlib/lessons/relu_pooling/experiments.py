"""Notebook 04, the experiments on the digits: ReLU'(0), dead units, sparsity, and what
pooling buys (invariance, overfitting), plus the benchmark numbers the notebook quotes.

Every run is seeded and small (a few seconds for the whole notebook):

- ``train_mlp``: a 64-32-32-10 MLP trained with SGD, with a chosen activation, slope of
  ReLU at 0, precision, learning rate, first-layer bias or pruned units; it counts the
  pre-activations that were exactly 0 and, on request, the units that are never active.
  ``nudge`` changes the last bits of the pixels, as another processor's rounding would, and
  ``MLPRun.ends_like`` tells whether a run still ends as the notebook prints it.
- ``train_cnn``: conv 3x3 (8 channels) -> ReLU -> [2x2 max pooling] -> linear, with Adam.
- ``TRANSFORMS`` and ``feature_change``: shift, rotate and stretch 8x8 digits (bilinear
  interpolation, zeros outside) and measure how much features move.
- ``benchmark_rows``: rows of the committed benchmarks/RESULTS.md, where timings live.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from gradlib import functional as F
from gradlib.data import batches, digits_split
from gradlib.engine import Tensor, is_grad_enabled, no_grad, tensor
from gradlib.lessons import nudged
from gradlib.lessons.relu_pooling.maths import ShownText
from gradlib.nn import Conv2d, Linear, Module
from gradlib.optim import SGD, Adam

__all__ = [
    "BARELY",
    "TRANSFORMS",
    "CNNRun",
    "MLPRun",
    "SmallMLP",
    "activation_cost_ratios",
    "benchmark_rows",
    "cnn_runs",
    "dead_unit_runs",
    "gap_reduction",
    "digits",
    "feature_change",
    "max_pool_features",
    "shift",
    "stretch",
    "rotate",
    "train_cnn",
    "train_mlp",
]


@cache
def _split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return digits_split()


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The series' split of the digits, ``X_train, X_test, y_train, y_test`` (copies)."""
    return tuple(a.copy() for a in _split())  # type: ignore[return-value]


# ----- a small MLP with a chosen activation -------------------------------------------------


def _activation(name: str, grad_at_zero: float) -> Callable[[Tensor], Tensor]:
    table = {
        "relu": partial(F.relu, grad_at_zero=grad_at_zero),
        "leaky_relu": F.leaky_relu,  # negative slope 0.01, PyTorch's default
        "elu": F.elu,
        "sigmoid": F.sigmoid,
    }
    if name not in table:
        raise ValueError(f"SmallMLP: unknown activation {name!r}; choose one of {list(table)}.")
    return table[name]


class SmallMLP(Module):
    """64 -> hidden -> hidden -> 10 with ``activation`` after each hidden layer.

    ``grad_at_zero`` is relu'(0) (only for ReLU). ``zero_inputs`` counts the pre-
    activations that were exactly 0 in the training forward passes so far (not in those
    under ``no_grad``): the only places where relu'(0) is ever used.
    """

    def __init__(
        self,
        activation: str = "relu",
        grad_at_zero: float = 0.0,
        hidden: int = 32,
        seed: int = 0,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.first = Linear(64, hidden, rng=rng)
        self.second = Linear(hidden, hidden, rng=rng)
        self.out = Linear(hidden, 10, rng=rng)
        for p in self.parameters():
            p.data = p.data.astype(dtype)
        self.act = _activation(activation, grad_at_zero)
        self.zero_inputs = 0

    def hidden_inputs(self, x: Any) -> list[np.ndarray]:
        """The pre-activations of both hidden layers (no graph, for counting)."""
        with no_grad():
            z1 = self.first(x)
            z2 = self.second(self.act(z1))
        return [z1.data, z2.data]

    def forward(self, x: Any) -> Tensor:
        z1 = self.first(x)
        z2 = self.second(self.act(z1))
        if is_grad_enabled():  # training steps only, not evaluations
            self.zero_inputs += int((z1.data == 0).sum() + (z2.data == 0).sum())
        return self.out(self.act(z2))


@dataclass
class MLPRun:
    """What one training run of ``train_mlp`` gives back."""

    model: SmallMLP
    losses: np.ndarray  # one per minibatch
    train_accuracy: float
    test_accuracy: float
    dead_steps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    dead_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    epochs: int = 0

    @property
    def final_loss(self) -> float:
        """The mean training loss of the last 10 minibatches."""
        return float(self.losses[-10:].mean())

    def ends_like(self, other: MLPRun) -> bool:
        """Whether two runs end alike as notebook 04 prints them: the same number of units
        never active on the 300 probe digits, the same final loss to 3 significant digits
        and the same test accuracy to 0.1%."""
        probe = _split()[0][:300]

        def printed(run: MLPRun) -> tuple[int, str, str]:
            return (
                run.never_active(probe.astype(run.model.first.weight.data.dtype)),
                f"{run.final_loss:.3g}",
                f"{run.test_accuracy:.1%}",
            )

        return printed(self) == printed(other)

    def never_active(self, X: np.ndarray) -> int:
        """Hidden units whose pre-activation is <= 0 on every row of X (dead, for ReLU)."""
        return sum(int((z <= 0).all(axis=0).sum()) for z in self.model.hidden_inputs(X))

    def still_pruned(self, units: int) -> int:
        """How many of the first ``units`` first-layer units still have all-zero weights
        and bias (the pruned units that never came back)."""
        weight, bias = self.model.first.weight.data[:units], self.model.first.bias.data[:units]
        return int(((weight == 0).all(axis=1) & (bias == 0)).sum())

    def zero_fraction(self, X: np.ndarray) -> float:
        """The share of hidden activations that are exactly 0 on the rows of X."""
        outputs = [self.model.act(tensor(z)).data for z in self.model.hidden_inputs(X)]
        return float(np.mean([np.mean(o == 0) for o in outputs]))


def accuracy(model: Callable[[Any], Tensor], X: np.ndarray, y: np.ndarray) -> float:
    with no_grad():
        return float(np.mean(model(X).data.argmax(axis=1) == y))


def train_mlp(
    activation: str = "relu",
    grad_at_zero: float = 0.0,
    dtype: Any = np.float64,
    lr: float = 0.1,
    epochs: int = 10,
    hidden: int = 32,
    seed: int = 0,
    first_bias: float | None = None,
    pruned: int = 0,
    probe_every: int = 0,
    nudge: float = 0.0,
) -> MLPRun:
    """Train ``SmallMLP`` on the digits with SGD (minibatches of 32); same seed, same run.

    ``first_bias`` sets every bias of the first layer (a bad start: -1 makes every
    first-layer unit negative on every digit). ``pruned`` zeroes the weights and bias of
    the first ``pruned`` units of the first layer, so their pre-activation is exactly 0.
    ``probe_every`` > 0 counts, every that many steps, the units never active on 300
    training digits (``dead_steps``, ``dead_counts``). ``nudge`` multiplies every training
    pixel by (1 + nudge z), z drawn from a fixed normal generator: with nudge = 1e-15 it
    changes only the last bits, as another processor's rounding would, to test whether a
    run depends on them.
    """
    X_train, X_test, y_train, y_test = _split()
    X_train = nudged(X_train, nudge)
    X_train, X_test = X_train.astype(dtype), X_test.astype(dtype)
    model = SmallMLP(activation, grad_at_zero, hidden, seed, dtype)
    if first_bias is not None:
        model.first.bias.data[:] = first_bias
    if pruned:
        model.first.weight.data[:pruned] = 0
        model.first.bias.data[:pruned] = 0
    optimiser = SGD(model.parameters(), lr=lr)
    probe = X_train[:300]
    run = MLPRun(model, np.zeros(0), 0.0, 0.0, epochs=epochs)
    losses, dead_steps, dead_counts = [], [], []
    order = np.random.default_rng(seed + 100)
    step = 0
    with np.errstate(over="ignore", invalid="ignore"):  # a divergent run is reported, not raised
        for _ in range(epochs):
            for xb, yb in batches(X_train, y_train, 32, seed=order):
                if probe_every and step % probe_every == 0:
                    dead_steps.append(step)
                    dead_counts.append(run.never_active(probe))
                loss = F.cross_entropy(model(xb), yb)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                losses.append(loss.item())
                step += 1
    if probe_every:
        dead_steps.append(step)
        dead_counts.append(run.never_active(probe))
    run.losses = np.array(losses)
    run.train_accuracy = accuracy(model, X_train, y_train)
    run.test_accuracy = accuracy(model, X_test, y_test)
    run.dead_steps, run.dead_counts = np.array(dead_steps), np.array(dead_counts)
    return run


# The runs at learning rate 1.0 stop after 4 epochs (180 steps): there training is chaotic,
# and a change in the last bit of one product (another processor's rounding) changes how a
# 10-epoch run ends, while after 4 epochs it is still too small to show in any printed digit.
DEAD_CAUSES = {
    ShownText("learning rate 1.0"): {"lr": 1.0, "epochs": 4},
    ShownText("first-layer bias -1"): {"first_bias": -1.0, "epochs": 10},
}
DEAD_ACTIVATIONS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu"}


def dead_unit_runs(probe_every: int = 15) -> dict[str, dict[str, MLPRun]]:
    """cause -> activation -> run: ``train_mlp`` with each cause of dead units (a learning
    rate of 1.0, for 4 epochs; every first-layer bias -1, at learning rate 0.1, for 10) and
    each activation, counting the units never active on 300 training digits every
    ``probe_every`` steps."""
    return {
        cause: {
            name: train_mlp(activation, probe_every=probe_every, **settings)
            for name, activation in DEAD_ACTIVATIONS.items()
        }
        for cause, settings in DEAD_CAUSES.items()
    }


# ----- a small CNN, with and without pooling -----------------------------------------------


@dataclass
class CNNRun:
    """One ``train_cnn`` run: accuracies at the checkpoints, and the final net."""

    pool: bool
    seed: int
    history: dict[int, tuple[float, float]]  # epoch -> (train accuracy, test accuracy)
    predict: Callable[[np.ndarray], np.ndarray]  # (N, 8, 8) images -> digits, final net
    parameters: int

    def gap(self, epoch: int | None = None) -> float:
        """Train minus test accuracy after ``epoch`` (the last by default): the overfitting."""
        train, test = self.history[max(self.history) if epoch is None else epoch]
        return train - test


def train_cnn(
    pool: bool, seed: int = 0, epochs: int = 20, checkpoints: tuple[int, ...] = (10, 20)
) -> CNNRun:
    """conv 3x3 (8 channels, padding 1) -> ReLU -> [max_pool2d 2] -> linear to 10, trained
    with Adam (lr 0.01) in minibatches of 64; train and test accuracy recorded after each
    epoch in ``checkpoints`` (and the last). Without pooling the linear layer sees
    8 x 8 x 8 = 512 features, with it 8 x 4 x 4 = 128."""
    X_train, X_test, y_train, y_test = _split()
    rng = np.random.default_rng(seed)
    conv = Conv2d(1, 8, 3, padding=1, rng=rng)
    linear = Linear(8 * (16 if pool else 64), 10, rng=rng)

    def net(x: Any) -> Tensor:
        h = F.relu(conv(tensor(np.asarray(x)).reshape(-1, 1, 8, 8)))
        if pool:
            h = F.max_pool2d(h, 2)
        return linear(h.reshape(h.shape[0], -1))

    params = conv.parameters() + linear.parameters()
    optimiser = Adam(params, lr=0.01)
    order = np.random.default_rng(seed + 100)
    history = {}
    for epoch in range(1, epochs + 1):
        for xb, yb in batches(X_train, y_train, 64, seed=order):
            loss = F.cross_entropy(net(xb), yb)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        if epoch in checkpoints or epoch == epochs:
            history[epoch] = (accuracy(net, X_train, y_train), accuracy(net, X_test, y_test))

    def predict(images: np.ndarray) -> np.ndarray:
        with no_grad():
            return net(images.reshape(len(images), 64)).data.argmax(axis=1)

    return CNNRun(pool, seed, history, predict, sum(p.data.size for p in params))


def cnn_runs(checkpoints: tuple[int, ...] = (10, 20), seeds: int = 4) -> dict[bool, list[CNNRun]]:
    """pooling (False, True) -> one ``train_cnn`` run per seed 0 .. seeds - 1, trained for
    max(checkpoints) epochs and measured at each checkpoint."""
    return {
        pool: [train_cnn(pool, seed, max(checkpoints), checkpoints) for seed in range(seeds)]
        for pool in (False, True)
    }


def gap_reduction(
    without: list[CNNRun], with_pool: list[CNNRun], epoch: int | None = None
) -> tuple[float, float]:
    """The mean over seeds of (gap without pooling - gap with pooling) after ``epoch``,
    paired by seed, and its standard error."""
    paired = np.array([a.gap(epoch) - b.gap(epoch) for a, b in zip(without, with_pool)])
    return float(paired.mean()), float(paired.std(ddof=1) / np.sqrt(len(paired)))


# ----- shifting, rotating and stretching digits --------------------------------------------


def _warp(images: np.ndarray, matrix: np.ndarray, centre: float = 3.5) -> np.ndarray:
    """Images (N, 8, 8) moved by the 2x2 ``matrix`` about the centre: output pixel p takes
    the input at matrix^-1 (p - c) + c, interpolated bilinearly, 0 outside the image."""
    size = images.shape[-1]
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    source = np.einsum("ij,jhw->ihw", np.linalg.inv(matrix), np.stack([rows, cols]) - centre)
    source_r, source_c = source + centre
    r0, c0 = np.floor(source_r).astype(int), np.floor(source_c).astype(int)
    out = np.zeros(images.shape, dtype=np.float64)
    for dr, wr in ((0, 1 - (source_r - r0)), (1, source_r - r0)):
        for dc, wc in ((0, 1 - (source_c - c0)), (1, source_c - c0)):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < size) & (c >= 0) & (c < size)
            picked = images[:, np.clip(r, 0, size - 1), np.clip(c, 0, size - 1)]
            out += wr * wc * np.where(inside, picked, 0.0)
    return out


def _moved(size: int, by: int) -> tuple[slice, slice]:
    """Where a row (or column) range lands and where it comes from, moved ``by`` places."""
    return slice(max(by, 0), size + min(by, 0)), slice(max(-by, 0), size - max(by, 0))


def shift(images: np.ndarray, down: int = 0, right: int = 1) -> np.ndarray:
    """Move every image ``down`` rows and ``right`` columns; what comes in is 0."""
    out = np.zeros_like(images)
    (rows_to, rows_from), (cols_to, cols_from) = (
        _moved(images.shape[1], down),
        _moved(images.shape[2], right),
    )
    out[:, rows_to, cols_to] = images[:, rows_from, cols_from]
    return out


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate about the image centre (counter-clockwise as drawn)."""
    t = np.deg2rad(degrees)
    return _warp(images, np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]))


def stretch(images: np.ndarray, wider: float = 1.25) -> np.ndarray:
    """Stretch horizontally by the factor ``wider`` about the centre."""
    return _warp(images, np.array([[1.0, 0.0], [0.0, wider]]))


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    ShownText("shift 1 px right"): partial(shift, down=0, right=1),
    ShownText("shift 1 px down"): partial(shift, down=1, right=0),
    ShownText("rotate 10 deg"): partial(rotate, degrees=10.0),
    ShownText("rotate 20 deg"): partial(rotate, degrees=20.0),
    ShownText("stretch x1.25"): partial(stretch, wider=1.25),
}

# "Barely changes": a feature vector that moves by less than a tenth of its length.
BARELY = 0.1


def max_pool_features(images: np.ndarray) -> np.ndarray:
    """2x2 max pooling (stride 2) of 8x8 images: (N, 8, 8) -> (N, 4, 4)."""
    return F.max_pool2d(images[:, None], 2).data[:, 0]


def feature_change(
    images: np.ndarray, transform: Callable[[np.ndarray], np.ndarray], features: Callable
) -> float:
    """Mean over the images of |f(T x) - f(x)| / |f(x)|: how far the features move under
    the transform T, relative to their size (0: invariant)."""
    before = features(images).reshape(len(images), -1)
    after = features(transform(images)).reshape(len(images), -1)
    return float(np.mean(np.linalg.norm(after - before, axis=1) / np.linalg.norm(before, axis=1)))


# ----- the committed benchmark results -----------------------------------------------------

RESULTS = Path(__file__).resolve().parents[3] / "benchmarks" / "RESULTS.md"
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def seconds(text: str) -> float:
    """'6.35 ms' -> 0.00635."""
    number, unit = text.split()
    return float(number) * _UNITS[unit]


def activation_cost_ratios(path: Path = RESULTS) -> dict[str, float]:
    """dtype -> (sigmoid's time) / (relu's time), forward + backward, from the rows named
    "relu" and "sigmoid" of the Kernels table of benchmarks/RESULTS.md ({} if it has none)."""
    times: dict[tuple[str, str], float] = {}
    for row in benchmark_rows("Kernels", path):
        name = row.get("kernel", "").split()[0].lower() if row.get("kernel") else ""
        if name in ("relu", "sigmoid") and row.get("gradlib"):
            times[name, row.get("dtype", "")] = seconds(row["gradlib"])
    return {
        dtype: times["sigmoid", dtype] / times["relu", dtype]
        for (name, dtype) in times
        if name == "relu" and ("sigmoid", dtype) in times
    }


def benchmark_rows(section: str, path: Path = RESULTS) -> list[dict[str, str]]:
    """The rows of the table under the heading that starts with ``section`` in
    benchmarks/RESULTS.md, as dicts keyed by the table's header. [] when the file or the
    section is missing (gradlib installed without its repository)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(section)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not match:
        return []
    lines = [line for line in match.group(1).splitlines() if line.startswith("|")]
    if len(lines) < 3:
        return []
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, (cell.strip() for cell in line.strip("|").split("|"))))
        for line in lines[2:]
    ]
