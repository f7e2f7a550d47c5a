"""Notebook 07, the experiment: softmax + quadratic cost against softmax + cross-entropy on
the handwritten digits, with the same network, the same initial weights and the same
minibatches, over several learning rates and seeds, from two starts.

- ``"default"``: PyTorch's initialisation. The logits start small, so every class gets a
  probability near 1/10: the network is unsure, not wrong.
- ``"confidently wrong"``: the same weights, but the bias of class 0 in the last layer is
  raised by ``WRONG_LOGIT``, so the network starts out saying "0" with probability
  0.9995 for every image: the digits' version of Nielsen's saturated neuron.

Everything is trained here, inside the notebook's run (no results are loaded from disk):
a 64-32-10 ReLU network, minibatches of 32, plain SGD, ``EPOCHS`` epochs; the test
accuracy is measured ``EVALS_PER_EPOCH`` times per epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from gradlib.activations import softmax_array
from gradlib.data import batches, digits_split
from gradlib.engine import no_grad
from gradlib.language import pad, tr
from gradlib.lessons.cross_entropy_vs_mse.maths import COSTS, classification_cost, cost_name
from gradlib.nn import MLP
from gradlib.optim import SGD

__all__ = [
    "BATCH_SIZE",
    "EPOCHS",
    "EVALS_PER_EPOCH",
    "LEARNING_RATES",
    "SEEDS",
    "SIZES",
    "STARTS",
    "TARGET_ACCURACY",
    "VARIES_SPREAD",
    "WRONG_CLASS",
    "WRONG_LOGIT",
    "DigitsRun",
    "DigitsSweep",
    "digits",
    "digits_sweep",
    "make_network",
    "network_parameters",
    "set_network_parameters",
    "train_digits",
]

SIZES = (64, 32, 10)
BATCH_SIZE = 32
EPOCHS = 10
EVALS_PER_EPOCH = 5
LEARNING_RATES = (0.1, 0.3, 1.0, 3.0, 10.0)
SEEDS = (0, 1, 2, 3, 4)
STARTS = ("default", "confidently wrong")
WRONG_CLASS = 0
WRONG_LOGIT = 10.0
TARGET_ACCURACY = 0.9
# A row of the table whose seeds end further apart than this gets "varies", not a mean: such
# runs are leaving a plateau or diverging, and their mean even moves with the last bit of the
# arithmetic (one ulp in the initial weights moved one such mean from 74% to 68-78%).
VARIES_SPREAD = 0.3


@cache
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stratified split of ``gradlib.data.digits_split()``: 1,438 training and 359 test
    images. Read once; treat the arrays as read-only."""
    return digits_split()


def make_network(seed: int, start: str = "default") -> MLP:
    """The 64-32-10 ReLU network with the initial weights of ``seed``, at ``start``."""
    if start not in STARTS:
        raise ValueError(
            tr(
                "{function}: start must be one of {starts}, got {got!r}",
                function="make_network",
                starts=STARTS,
                got=start,
            )
        )
    model = MLP(SIZES, seed=seed)
    if start == "confidently wrong":
        model.linear_layers()[-1].bias.data[WRONG_CLASS] += WRONG_LOGIT
    return model


def network_parameters(model: MLP) -> list[np.ndarray]:
    """Copies of the network's weights and biases, in ``model.parameters()`` order."""
    return [p.data.copy() for p in model.parameters()]


def set_network_parameters(model: MLP, parameters: list[np.ndarray]) -> MLP:
    """Load weights (as from ``network_parameters``) into ``model``; returns it."""
    for p, value in zip(model.parameters(), parameters, strict=True):
        p.data[...] = value
    return model


def _accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> float:
    with no_grad():
        return float(np.mean(model(X).data.argmax(axis=1) == y))


def start_name(start: str) -> str:
    """A start's name as a learner reads it ("default", "confidently wrong" in English)."""
    return {"default": tr("default"), "confidently wrong": tr("confidently wrong")}[start]


@dataclass
class DigitsRun:
    """One training run: the test accuracy along the way and the network at the end."""

    cost: str
    lr: float
    seed: int
    start: str
    accuracy: np.ndarray  # test accuracy at epochs 0, 1/E, 2/E, ..., EPOCHS (E evals per epoch)
    train_cost: np.ndarray  # mean training cost of each epoch
    test_probabilities: np.ndarray  # softmax of the final network on the test images
    parameters: list[np.ndarray] = field(repr=False)

    @property
    def epochs(self) -> np.ndarray:
        """The epoch (a fraction) at which each entry of ``accuracy`` was measured."""
        return np.arange(len(self.accuracy)) / EVALS_PER_EPOCH

    def epochs_to(self, accuracy: float = TARGET_ACCURACY) -> float:
        """The first measured epoch with test accuracy >= ``accuracy``; inf if never."""
        reached = np.flatnonzero(self.accuracy >= accuracy)
        return float(self.epochs[reached[0]]) if reached.size else float("inf")

    @property
    def final_accuracy(self) -> float:
        return float(self.accuracy[-1])


def train_digits(
    cost: str, lr: float, seed: int, start: str = "default", epochs: int = EPOCHS
) -> DigitsRun:
    """Train the network of ``seed`` with ``cost`` by SGD at ``lr``, minibatches of 32.

    The minibatch order comes from ``seed`` too, so the two costs see the same batches.
    """
    if cost not in COSTS:
        raise ValueError(
            tr(
                "{function}: cost must be one of {costs}, got {got!r}",
                function="train_digits",
                costs=COSTS,
                got=cost,
            )
        )
    X_train, X_test, y_train, y_test = digits()
    model = make_network(seed, start)
    optimizer = SGD(model.parameters(), lr=lr)
    order = np.random.default_rng(seed)
    n_batches = -(-len(y_train) // BATCH_SIZE)
    # after which batches of an epoch the test accuracy is measured: E evenly spaced ones
    measure = set(np.linspace(0, n_batches, EVALS_PER_EPOCH + 1)[1:].round().astype(int) - 1)
    accuracy, train_cost = [_accuracy(model, X_test, y_test)], []
    for _ in range(epochs):
        total = 0.0
        for k, (X, y) in enumerate(batches(X_train, y_train, BATCH_SIZE, seed=order)):
            loss = classification_cost(model(X), y, cost)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            if k in measure:
                accuracy.append(_accuracy(model, X_test, y_test))
        train_cost.append(total / len(y_train))
    with no_grad():
        probabilities = softmax_array(model(X_test).data, axis=1)
    return DigitsRun(
        cost,
        lr,
        seed,
        start,
        np.array(accuracy),
        np.array(train_cost),
        probabilities,
        network_parameters(model),
    )


@dataclass
class DigitsSweep:
    """Runs for every (start, cost, learning rate, seed)."""

    runs: dict[tuple[str, str, float, int], DigitsRun]
    learning_rates: tuple[float, ...]
    seeds: tuple[int, ...]
    starts: tuple[str, ...]

    def run(self, start: str, cost: str, lr: float, seed: int) -> DigitsRun:
        return self.runs[start, cost, lr, seed]

    @property
    def epochs(self) -> float:
        """How many epochs each run trained."""
        return float(next(iter(self.runs.values())).epochs[-1])

    def group(self, start: str, cost: str, lr: float) -> list[DigitsRun]:
        return [self.runs[start, cost, lr, seed] for seed in self.seeds]

    def epochs_to(self, start: str, cost: str, lr: float) -> np.ndarray:
        """Epochs to ``TARGET_ACCURACY`` for each seed (inf where never reached)."""
        return np.array([run.epochs_to() for run in self.group(start, cost, lr)])

    def median_epochs(self, start: str, cost: str, lr: float) -> float:
        return float(np.median(self.epochs_to(start, cost, lr)))

    def final_accuracies(self, start: str, cost: str, lr: float) -> np.ndarray:
        return np.array([run.final_accuracy for run in self.group(start, cost, lr)])

    def best_lr(self, start: str, cost: str) -> float:
        """The learning rate with the fewest median epochs to the target (ties: the higher
        mean final accuracy)."""
        return min(
            self.learning_rates,
            key=lambda lr: (
                self.median_epochs(start, cost, lr),
                -self.final_accuracies(start, cost, lr).mean(),
            ),
        )

    def accuracy_curves(self, start: str, cost: str, lr: float) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, accuracy of shape (seeds, measurements))."""
        group = self.group(start, cost, lr)
        return group[0].epochs, np.stack([run.accuracy for run in group])

    def table(self, start: str) -> str:
        """Epochs to the target accuracy per seed, their median, and the final accuracy.

        The final accuracy is the mean over seeds in whole percent, or "varies" when the seeds
        end more than ``VARIES_SPREAD`` apart: whole percent and "varies" keep the table the
        same on machines whose matrix products round differently in the last bit.
        """
        seeds = f"{tr('seeds')} {' '.join(map(str, self.seeds))}"
        lines = [
            tr(
                "start: {start}. Epochs to {target:.0%} test accuracy per seed "
                "('-' = not within {epochs:g}), median, final test accuracy (mean over seeds)",
                start=start_name(start),
                target=TARGET_ACCURACY,
                epochs=self.epochs,
            ),
            f"{'lr':>5}  {pad(tr('cost'), 13)}  {pad(seeds, 31)}"
            f"{pad(tr('median'), 7, '>')}  {pad(tr('final'), 6, '>')}",
        ]
        for lr in self.learning_rates:
            for cost in COSTS:
                per_seed = " ".join(
                    f"{e:5.1f}" if np.isfinite(e) else "    -"
                    for e in (self.epochs_to(start, cost, lr))
                )
                median = self.median_epochs(start, cost, lr)
                median_text = f"{median:7.1f}" if np.isfinite(median) else "      -"
                finals = self.final_accuracies(start, cost, lr)
                varies = finals.max() - finals.min() > VARIES_SPREAD
                final = tr("varies") if varies else f"{finals.mean():.0%}"
                name = pad(cost_name(cost), 13)
                lines.append(f"{lr:5g}  {name}  {per_seed:<31s}{median_text}  {pad(final, 6, '>')}")
        return "\n".join(lines)


def digits_sweep(
    learning_rates: tuple[float, ...] = LEARNING_RATES,
    seeds: tuple[int, ...] = SEEDS,
    starts: tuple[str, ...] = STARTS,
    epochs: int = EPOCHS,
) -> DigitsSweep:
    """Train every combination of start, cost, learning rate and seed."""
    runs = {
        (start, cost, lr, seed): train_digits(cost, lr, seed, start, epochs)
        for start in starts
        for lr in learning_rates
        for cost in COSTS
        for seed in seeds
    }
    return DigitsSweep(runs, tuple(learning_rates), tuple(seeds), tuple(starts))
