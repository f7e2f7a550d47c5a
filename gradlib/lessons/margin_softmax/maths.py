"""Notebook 08, the maths: a network with a 2-D feature layer trained on the digits with
softmax cross-entropy and with three margin losses, and the geometry of its features.

Every run trains the same small network, ``feature_model``: 64 pixels -> 48 ReLU units ->
2 features x, then a linear classifier without bias, whose weight W (10, 2) holds one
vector W_j per digit. The loss is the only thing that changes (``LossSetting``):

    softmax     cross_entropy(W x, y), logits W_j . x = |W_j| |x| cos(theta_j)
    L-Softmax   the target logit becomes |W_y| |x| psi(theta_y)  (integer m; Liu et al. 2016)
    SM-Softmax  cross_entropy(W x - m one_hot(y), y)       (m in logit units; Liang et al. 2017)
    AM-Softmax  cross_entropy(s (cos - m one_hot(y)), y)   (m in cosine units; Wang et al. 2018)

``geometry`` measures what the papers draw: the direction of each class's features, how
far (in angle) the features of a class spread around it, and the angle to the nearest
other class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from gradlib import functional as F
from gradlib import nn, optim
from gradlib.data import digits_split
from gradlib.engine import Tensor, no_grad
from gradlib.lessons import nudged
from gradlib.losses import large_margin_psi

__all__ = [
    "AM_SCALES",
    "CLASSES",
    "FEATURE_WIDTHS",
    "LEARNING_RATE",
    "LOSS_NAMES",
    "LSOFTMAX_BLEND_MIN",
    "MARGIN_LEVELS",
    "SEEDS",
    "STEPS",
    "TABLE_SETTINGS",
    "Geometry",
    "LossSetting",
    "Run",
    "Runs",
    "am_feasible_margin",
    "am_logits_reference",
    "boundary_angles",
    "classifier_parameter_count",
    "digits",
    "feature_model",
    "geometry",
    "lsoftmax_blend",
    "lsoftmax_boundary",
    "margin_winner",
    "seed_differences",
    "tighter_than",
    "train",
    "widget_settings",
]

CLASSES = 10
FEATURE_WIDTHS = (64, 48, 2)  # pixels -> hidden ReLU units -> the 2-D features
STEPS = 300  # full-batch Adam steps per run
LEARNING_RATE = 0.01
LSOFTMAX_BLEND_MIN = 1.0  # L-Softmax's lambda_min: lambda falls from 100 to 1, then stays
SEEDS = (0, 1, 2)
LOSS_NAMES = ("softmax", "L-Softmax", "SM-Softmax", "AM-Softmax")
AM_SCALES = (10.0, 30.0)

# The margin lab's "margin level" 0..3, per loss: level 0 is no margin (for L-Softmax m = 1
# and for SM-Softmax m = 0 are plain softmax; for AM-Softmax m = 0 is normalised softmax).
MARGIN_LEVELS: dict[str, tuple[float, ...]] = {
    "L-Softmax": (1, 2, 3, 4),
    "SM-Softmax": (0.0, 2.0, 5.0, 10.0),
    "AM-Softmax": (0.0, 0.1, 0.2, 0.35),
}


# ----- the parameters of a softmax classifier ---------------------------------------------


def classifier_parameter_count(features: int, classes: int, bias: bool = True) -> int:
    """Number of parameters of the classifier layer ``nn.Linear(features, classes)``,
    counted on a real layer (its weight is (classes, features), its bias (classes,))."""
    layer = nn.Linear(features, classes, bias=bias, rng=0)
    return sum(p.data.size for p in layer.parameters())


# ----- the losses ------------------------------------------------------------------------


def lsoftmax_blend(step: int) -> float:
    """L-Softmax's lambda at training step ``step``: max(1, 100 / (1 + 0.1 step)**2).

    It starts at 100 (the target logit is then 100/101 plain softmax) and falls to 1 by
    step 90, then stays at ``LSOFTMAX_BLEND_MIN`` = 1 (half plain logit, half psi), so the
    margin is switched on gradually, as the paper does (its lambda = max(lambda_min,
    base (1 + gamma t)**-power)). Without the floor, lambda would fall to 0.1 by step 300
    and the runs became chaotic: a 1e-15 change of the pixels, as another processor's
    rounding makes, grew to a different test accuracy by the last step.
    """
    return max(LSOFTMAX_BLEND_MIN, 100.0 / (1.0 + 0.1 * step) ** 2)


@dataclass(frozen=True)
class LossSetting:
    """One loss with its margin m (and scale s for AM-Softmax)."""

    name: str  # one of LOSS_NAMES
    m: float = 0.0  # L-Softmax: an integer >= 1; SM-Softmax: logit units; AM: cosine units
    s: float = 0.0  # AM-Softmax only

    def __post_init__(self) -> None:
        if self.name not in LOSS_NAMES:
            raise ValueError(f"LossSetting: unknown loss {self.name!r}; use one of {LOSS_NAMES}")
        if self.name == "AM-Softmax" and self.s <= 0:
            raise ValueError("LossSetting: AM-Softmax needs a scale s > 0")
        if self.name == "L-Softmax" and (self.m < 1 or self.m != int(self.m)):
            raise ValueError(f"LossSetting: L-Softmax needs an integer m >= 1, got {self.m}")

    @property
    def label(self) -> str:
        """How a table or a title names it: "L-Softmax m=2", "AM-Softmax s=30 m=0.35"."""
        if self.name == "softmax":
            return "softmax"
        if self.name == "L-Softmax":
            return f"L-Softmax m={int(self.m)}"
        if self.name == "SM-Softmax":
            return f"SM-Softmax m={self.m:g}"
        return f"AM-Softmax s={self.s:g} m={self.m:g}"

    @property
    def is_softmax(self) -> bool:
        """True when the loss is exactly softmax cross-entropy on W x: softmax itself,
        L-Softmax with m = 1 (psi = cos) and SM-Softmax with m = 0."""
        return (
            self.name == "softmax"
            or (self.name == "L-Softmax" and self.m == 1)
            or (self.name == "SM-Softmax" and self.m == 0)
        )

    @property
    def normalised(self) -> bool:
        """True when the loss sees only directions (features and weights L2-normalised)."""
        return self.name == "AM-Softmax"

    def loss(self, features: Tensor, weight: Tensor, target: np.ndarray, step: int) -> Tensor:
        """The training loss of features (N, 2) with class weights W (C, 2) at ``step``."""
        if self.name == "softmax":
            return F.cross_entropy(features @ weight.T, target)
        if self.name == "L-Softmax":
            blend = lsoftmax_blend(step)
            return F.large_margin_softmax_loss(
                features, weight, target, margin=int(self.m), blend=blend
            )
        if self.name == "SM-Softmax":
            return F.soft_margin_softmax_loss(features @ weight.T, target, margin=self.m)
        return F.am_softmax_loss(features, weight, target, s=self.s, m=self.m)

    def predict(self, features: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """The predicted class of each feature: argmax_j W_j . x, or argmax_j cos(theta_j)
        for AM-Softmax. The margins are for training only: at test time none is added."""
        if self.normalised:
            features = features / np.linalg.norm(features, axis=1, keepdims=True)
            weight = weight / np.linalg.norm(weight, axis=1, keepdims=True)
        return np.argmax(features @ weight.T, axis=1)


# The geometry table: softmax, and each margin loss at the settings the notebook compares
# (AM-Softmax at two feasible margins with s = 10, and at the paper's s = 30, m = 0.35).
TABLE_SETTINGS = (
    LossSetting("softmax"),
    LossSetting("L-Softmax", 2),
    LossSetting("L-Softmax", 3),
    LossSetting("SM-Softmax", 2.0),
    LossSetting("AM-Softmax", 0.1, 10.0),
    LossSetting("AM-Softmax", 0.2, 10.0),
    LossSetting("AM-Softmax", 0.35, 30.0),
)


def widget_settings() -> list[LossSetting]:
    """Every setting the margin lab can show: softmax, and each margin level of L-Softmax,
    SM-Softmax and AM-Softmax (at each scale of ``AM_SCALES``)."""
    settings = [LossSetting("softmax")]
    for name in ("L-Softmax", "SM-Softmax"):
        settings += [LossSetting(name, m) for m in MARGIN_LEVELS[name]]
    for s in AM_SCALES:
        settings += [LossSetting("AM-Softmax", m, s) for m in MARGIN_LEVELS["AM-Softmax"]]
    return settings


def _same_run(setting: LossSetting) -> LossSetting:
    """The setting whose run this one reuses: the settings that are exactly softmax
    cross-entropy (the tests check it) are not trained twice."""
    return LossSetting("softmax") if setting.is_softmax else setting


# ----- training ----------------------------------------------------------------------------


@cache
def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return digits_split()


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed split of the digits: X_train (1438, 64), X_test (359, 64), y_train, y_test
    (copies, so a caller may change them)."""
    return tuple(a.copy() for a in _digits())


def feature_model(seed: int) -> tuple[nn.Sequential, nn.Linear]:
    """The network 64 -> 48 (ReLU) -> 2 features, and the classifier nn.Linear(2, 10)
    without bias (its weight (10, 2) holds W_j, one row per class), initialised from
    ``seed`` as PyTorch would (U[-1/sqrt(fan_in), 1/sqrt(fan_in)])."""
    rng = np.random.default_rng(seed)
    pixels, hidden, width = FEATURE_WIDTHS
    features = nn.Sequential(
        nn.Linear(pixels, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, width, rng=rng)
    )
    classifier = nn.Linear(width, CLASSES, bias=False, rng=rng)
    return features, classifier


@dataclass
class Run:
    """One trained network: its setting, seed, the 2-D features of the training and the
    test digits with their labels, the class weights W (10, 2), and the loss at every step."""

    setting: LossSetting
    seed: int
    train_features: np.ndarray  # (1438, 2)
    train_labels: np.ndarray  # (1438,)
    test_features: np.ndarray  # (359, 2)
    test_labels: np.ndarray  # (359,)
    weight: np.ndarray  # (10, 2)
    losses: np.ndarray  # (STEPS,)
    _geometry: dict[str, Geometry] = field(default_factory=dict, repr=False)

    def features(self, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """The "train" or "test" features and their labels."""
        if split not in ("train", "test"):
            raise ValueError(f"Run: split is 'train' or 'test', got {split!r}")
        if split == "train":
            return self.train_features, self.train_labels
        return self.test_features, self.test_labels

    def geometry(self, split: str = "train") -> Geometry:
        """The geometry of the "train" or "test" features (computed once)."""
        if split not in self._geometry:
            features, labels = self.features(split)
            predicted = self.setting.predict(features, self.weight)
            self._geometry[split] = geometry(features, labels, predicted)
        return self._geometry[split]

    def ends_like(self, other: Run, tol: float = 1e-6) -> bool:
        """True when ``other`` (the same setting and seed, e.g. trained on nudged pixels)
        ended where this run did: class weights and features within ``tol`` (relative to
        the largest feature) and every training and test digit given the same class."""
        scale = np.abs(self.train_features).max()
        close = all(
            np.abs(a - b).max() <= tol * scale
            for a, b in (
                (self.weight, other.weight),
                (self.train_features, other.train_features),
                (self.test_features, other.test_features),
            )
        )
        return close and all(
            np.array_equal(
                self.setting.predict(self.features(split)[0], self.weight),
                other.setting.predict(other.features(split)[0], other.weight),
            )
            for split in ("train", "test")
        )


def train(setting: LossSetting, seed: int, steps: int = STEPS, nudge: float = 0.0) -> Run:
    """Train ``feature_model(seed)`` with ``setting``'s loss: full-batch Adam, lr 0.01,
    ``steps`` steps on the 1,438 training digits (float64). About a quarter of a second.

    ``nudge`` multiplies every training pixel by (1 + nudge z), z drawn from a fixed normal
    generator: with nudge = 1e-15 it changes only the last bits, as another processor's
    rounding would, to test whether a run depends on them.
    """
    X_train, X_test, y_train, y_test = _digits()
    X_train = nudged(X_train, nudge)
    features, classifier = feature_model(seed)
    optimiser = optim.Adam(features.parameters() + classifier.parameters(), lr=LEARNING_RATE)
    losses = np.empty(steps)
    for step in range(steps):
        optimiser.zero_grad()
        loss = setting.loss(features(X_train), classifier.weight, y_train, step)
        loss.backward()
        optimiser.step()
        losses[step] = loss.item()
    with no_grad():
        train_features, test_features = features(X_train).data, features(X_test).data
    weight = classifier.weight.data.copy()
    return Run(setting, seed, train_features, y_train, test_features, y_test, weight, losses)


class Runs:
    """Trained runs, one per (setting, seed), each trained once.

    ``runs.get(setting, seed)`` trains on first use; ``train_all`` trains a list up front.
    Settings that are exactly softmax (L-Softmax m = 1, SM-Softmax m = 0) share its run.
    """

    def __init__(self) -> None:
        self._runs: dict[tuple[LossSetting, int], Run] = {}

    def get(self, setting: LossSetting, seed: int = 0) -> Run:
        key = (_same_run(setting), seed)
        if key not in self._runs:
            self._runs[key] = train(*key)
        return self._runs[key]

    def train_all(self, settings: list[LossSetting], seeds: tuple[int, ...] = SEEDS) -> Runs:
        for setting in settings:
            for seed in seeds:
                self.get(setting, seed)
        return self

    def __len__(self) -> int:
        """How many networks were trained."""
        return len(self._runs)

    def across_seeds(
        self, setting: LossSetting, split: str = "train", seeds: tuple[int, ...] = SEEDS
    ) -> list[Geometry]:
        return [self.get(setting, seed).geometry(split) for seed in seeds]


def seed_differences(
    runs: Runs,
    setting: LossSetting,
    baseline: LossSetting,
    measure: str = "spread",
    split: str = "train",
    seeds: tuple[int, ...] = SEEDS,
) -> list[float]:
    """``setting``'s ``measure`` minus ``baseline``'s, seed by seed (the same initial weights
    for both). ``measure`` is a ``Geometry`` attribute: "spread" (degrees), "smallest_gap"
    (degrees), "accuracy" (in percentage points)."""
    scale = 100.0 if measure.endswith("accuracy") else 1.0
    return [
        scale * (getattr(runs.get(setting, seed).geometry(split), measure)
                 - getattr(runs.get(baseline, seed).geometry(split), measure))
        for seed in seeds
    ]  # fmt: skip


def tighter_than(
    runs: Runs, setting: LossSetting, baseline: LossSetting, seeds: tuple[int, ...] = SEEDS
) -> bool:
    """True when ``setting``'s training features have a smaller mean angular spread than
    ``baseline``'s in every seed (the same initial weights for both, seed by seed)."""
    return all(d < 0 for d in seed_differences(runs, setting, baseline, "spread", "train", seeds))


# ----- the geometry of 2-D features --------------------------------------------------------


def _angle_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle in degrees between unit vectors (rows of u and v, broadcast)."""
    return np.degrees(np.arccos(np.clip(np.sum(u * v, axis=-1), -1.0, 1.0)))


@dataclass(frozen=True)
class Geometry:
    """Where the features of each class lie, in the angles the classifier uses.

    All angles are in degrees; arrays have one entry per class 0..9.
    """

    directions: np.ndarray  # (10,) angle of each class's mean direction, in [0, 360)
    spreads: np.ndarray  # (10,) mean angle between a class's features and its mean direction
    nearest: np.ndarray  # (10,) angle from each class's direction to the nearest other one
    length_ratios: np.ndarray  # (10,) 90th / 10th percentile of a class's feature lengths
    accuracy: float  # fraction classified right by the trained classifier
    centre_accuracy: float  # fraction whose nearest class centre (Euclidean) is their own

    @property
    def spread(self) -> float:
        """Intra-class angular spread: the mean of ``spreads`` over the classes."""
        return float(np.mean(self.spreads))

    @property
    def smallest_gap(self) -> float:
        """Smallest inter-class angle: between the two closest class directions."""
        return float(np.min(self.nearest))

    @property
    def length_ratio(self) -> float:
        return float(np.median(self.length_ratios))


def geometry(features: np.ndarray, labels: np.ndarray, predicted: np.ndarray) -> Geometry:
    """Measure 2-D features (N, 2) of classes ``labels`` (N,); ``predicted`` gives the accuracy.

    A class's direction is the mean of its features' unit vectors x / |x|, normalised; its
    spread is the mean angle between those unit vectors and the direction. Its centre is
    the mean of its features; ``centre_accuracy`` classifies each feature by the nearest
    centre, which works as well as the classifier only when each class is a compact blob.
    """
    lengths = np.linalg.norm(features, axis=1)
    units = features / lengths[:, None]
    means, spreads, ratios = [], [], []
    for c in range(CLASSES):
        mine = units[labels == c]
        mean = mine.mean(axis=0)
        mean /= np.linalg.norm(mean)
        means.append(mean)
        spreads.append(_angle_between(mine, mean).mean())
        low, high = np.percentile(lengths[labels == c], [10, 90])
        ratios.append(high / low)
    means = np.array(means)
    centres = np.array([features[labels == c].mean(axis=0) for c in range(CLASSES)])
    distances = np.linalg.norm(features[:, None, :] - centres[None, :, :], axis=2)
    between = _angle_between(means[:, None, :], means[None, :, :])
    np.fill_diagonal(between, np.inf)
    directions = np.degrees(np.arctan2(means[:, 1], means[:, 0])) % 360
    return Geometry(
        directions,
        np.array(spreads),
        between.min(axis=1),
        np.array(ratios),
        float(np.mean(predicted == labels)),
        float(np.mean(np.argmin(distances, axis=1) == labels)),
    )


# ----- margins in angles -------------------------------------------------------------------


def lsoftmax_boundary(angle_between: float, m: int) -> float:
    """Where class 1 starts to win under L-Softmax, for two class vectors of equal length
    ``angle_between`` degrees apart: the angle theta from W_1 at which
    psi(theta) = cos(angle_between - theta), found by bisection (degrees).

    Plain softmax (m = 1) splits the angle in half; a margin m asks for a smaller angle.
    """
    gap = math.radians(angle_between)

    def wins(theta: float) -> bool:
        return float(large_margin_psi(np.array(theta), m)) > math.cos(gap - theta)

    low, high = 0.0, gap  # class 1 wins at theta = 0 and loses at theta = gap
    for _ in range(60):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if wins(middle) else (low, middle)
    return math.degrees(0.5 * (low + high))


def am_feasible_margin(classes: int) -> float:
    """The largest AM-Softmax margin that a feature exactly on its class vector can meet
    when ``classes`` class vectors are spread evenly around a circle (2-D features):
    cos(0) - m > cos(360 deg / classes), so m < 1 - cos(2 pi / classes)."""
    return 1.0 - math.cos(2 * math.pi / classes)


def am_logits_reference(
    features: np.ndarray, weight: np.ndarray, target: np.ndarray, s: float, m: float
) -> np.ndarray:
    """AM-Softmax's logits s (cos_j - m [j = y]) for features (N, D), weights W (C, D) and
    targets (N,): what ``am_softmax_loss`` feeds to cross-entropy (the exercise's answer)."""
    x_hat = features / np.linalg.norm(features, axis=1, keepdims=True)
    w_hat = weight / np.linalg.norm(weight, axis=1, keepdims=True)
    cos = x_hat @ w_hat.T
    cos[np.arange(len(target)), target] -= m
    return s * cos


# ----- decision regions in the feature plane ------------------------------------------------


def boundary_angles(setting: LossSetting, weight: np.ndarray, resolution: float = 0.25) -> list:
    """The directions (degrees) where the predicted class changes: the decision boundaries.

    Every loss here predicts from W x (or from the cosines), with no bias, so its regions
    are wedges from the origin and each boundary is a ray. Found on a circle of directions
    ``resolution`` degrees apart.
    """
    angles = np.arange(0.0, 360.0, resolution)
    circle = np.column_stack([np.cos(np.radians(angles)), np.sin(np.radians(angles))])
    classes = setting.predict(circle, weight)
    changes = np.flatnonzero(classes != np.roll(classes, 1))
    return [float(angles[i] - resolution / 2) for i in changes]


def margin_winner(setting: LossSetting, weight: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each point x (P, 2): the class that wins there *by the margin*, or -1.

    Class c wins by the margin when its margin logit beats every other class's plain
    logit: W_c . x - m for SM-Softmax, cos_c - m for AM-Softmax, |W_c| |x| psi(theta_c)
    (blended with lambda at the last training step) for L-Softmax. Where no class does,
    every class's loss term is still pushing: that is the margin zone between classes.
    For softmax the margin is 0 and every point has a winner.
    """
    if setting.normalised:
        points = points / np.maximum(np.linalg.norm(points, axis=1, keepdims=True), 1e-12)
        weight = weight / np.linalg.norm(weight, axis=1, keepdims=True)
    plain = points @ weight.T  # (P, C)
    if setting.name == "L-Softmax":
        lengths = np.linalg.norm(points, axis=1, keepdims=True) * np.linalg.norm(weight, axis=1)
        cos = np.clip(plain / np.maximum(lengths, 1e-12), -1.0, 1.0)
        psi_logit = lengths * large_margin_psi(np.arccos(cos), int(setting.m))
        blend = lsoftmax_blend(STEPS - 1)
        margined = (blend * plain + psi_logit) / (1 + blend)
    else:
        margined = plain - setting.m  # softmax has m = 0
    top = np.argsort(plain, axis=1)[:, -2:]  # the two largest plain logits
    rows = np.arange(len(points))
    first, second = plain[rows, top[:, 1]], plain[rows, top[:, 0]]
    best_other = np.where(  # the largest plain logit among the other classes, for each class
        np.arange(weight.shape[0])[None, :] == top[:, 1:2], second[:, None], first[:, None]
    )
    wins = margined > best_other
    return np.where(wins.any(axis=1), np.argmax(wins, axis=1), -1)
