"""Small data sets for the notebooks: handwritten digits, 2-D toy sets, minibatches.

Everything here is plain numpy and seeded, so a notebook gets the same data on
every run. Features are float64 and class labels int64 (what
``F.cross_entropy`` expects as targets).

- ``load_digits()``: the 1,797 8x8 handwritten digits of the UCI "Optical
  Recognition of Handwritten Digits" data set (CC BY 4.0), shipped with gradlib
  in ``digits.npz`` (see ``README.md`` in this folder for source and licence).
- ``digits_split()``: a fixed, stratified train/test split of them.
- ``batches()``: minibatches of (X, y) for a training loop.
- ``make_blobs``, ``make_moons``, ``make_spirals``: 2-D classification toy sets.
- ``make_regression_with_outliers``: a noisy line with a few gross outliers.

Each ``seed`` argument takes an int or a ``numpy.random.Generator``; the global
``np.random`` state is never used.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import numpy as np

__all__ = [
    "batches",
    "digits_split",
    "load_digits",
    "make_blobs",
    "make_moons",
    "make_regression_with_outliers",
    "make_spirals",
]

Seed = int | np.random.Generator | None
DIGITS_FILE = "digits.npz"
N_DIGITS = 1797


def load_digits(normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits as ``(X, y)``.

    Returns:
        X: float64, shape (1797, 64): each row is an 8x8 image read row by row
            (``X[i].reshape(8, 8)`` to show it). Pixels count the "on" pixels of a
            4x4 block, 0..16; ``normalize=True`` divides by 16 so they lie in [0, 1].
        y: int64, shape (1797,): the digit, 0..9 (each class has 174..183 images).

    The file is read on each call (it is 45 kB), so the arrays are yours to change.
    """
    with resources.files(__name__).joinpath(DIGITS_FILE).open("rb") as f, np.load(f) as archive:
        pixels, labels = archive["pixels"], archive["labels"]
    X = pixels.astype(np.float64)
    if normalize:
        X /= 16.0
    return X, labels.astype(np.int64)


def digits_split(
    test_fraction: float = 0.2, seed: Seed = 0, normalize: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A stratified train/test split of the digits: ``X_train, X_test, y_train, y_test``.

    Each class contributes ``round(test_fraction * its count)`` images to the test
    set, so both parts have the same class proportions; with the defaults the test
    set has 359 images and the training set 1,438. The order inside each part
    is shuffled. Same seed, same split.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(
            f"digits_split: test_fraction must be between 0 and 1 (exclusive), got {test_fraction}."
        )
    X, y = load_digits(normalize=normalize)
    rng = np.random.default_rng(seed)
    test_parts = []
    for label in range(10):
        members = rng.permutation(np.flatnonzero(y == label))
        test_parts.append(members[: round(test_fraction * len(members))])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[np.concatenate(test_parts)] = True
    train = rng.permutation(np.flatnonzero(~is_test))
    test = rng.permutation(np.flatnonzero(is_test))
    return X[train], X[test], y[train], y[test]


def batches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    seed: Seed = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield minibatches ``(X[idx], y[idx])`` that together cover the data once (one epoch).

    With ``shuffle=True`` the order is a random permutation drawn from ``seed``.
    Pass one Generator made before the training loop (``rng =
    np.random.default_rng(0)``) to get a different order each epoch that is still
    the same on every run; an int seed gives the same order on every call. The
    last batch is smaller when ``batch_size`` does not divide the data, unless
    ``drop_last=True``.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(
            f"batches: X has {len(X)} rows but y has {len(y)} labels; they must match "
            "(did you pass X_train with y_test?)."
        )
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batches: batch_size must be a positive integer, got {batch_size!r}.")
    order = np.random.default_rng(seed).permutation(len(y)) if shuffle else np.arange(len(y))
    stop = len(y) - len(y) % batch_size if drop_last else len(y)
    for start in range(0, stop, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


# ----- 2-D toy sets ------------------------------------------------------------------


def _class_sizes(n_samples: int, classes: int) -> np.ndarray:
    """Split n_samples as evenly as possible; the first classes take the remainder."""
    if n_samples < classes:
        raise ValueError(f"need at least one sample per class: n_samples={n_samples} < {classes}")
    sizes = np.full(classes, n_samples // classes)
    sizes[: n_samples % classes] += 1
    return sizes


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    order = rng.permutation(len(y))
    return X[order], y[order]


def make_blobs(
    n_samples: int = 300, centers: int | np.ndarray = 3, std: float = 1.0, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters in 2-D: ``X`` float64 (n, 2), ``y`` int64 (n,) in 0..k-1.

    ``centers`` is a number k, placing the centres evenly on a circle of radius 4
    (the first at the top), or an array of shape (k, 2) of centres. Each point is
    its centre plus N(0, std^2) noise in each coordinate. Rows are shuffled.
    """
    if np.ndim(centers) == 0:
        k = int(centers)
        angles = np.pi / 2 + 2 * np.pi * np.arange(k) / k
        centre_xy = 4.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    else:
        centre_xy = np.asarray(centers, dtype=np.float64)
        if centre_xy.ndim != 2 or centre_xy.shape[1] != 2:
            raise ValueError(
                f"make_blobs: centers must be a number or an array of shape (k, 2), "
                f"got shape {centre_xy.shape}."
            )
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(centre_xy)), _class_sizes(n_samples, len(centre_xy)))
    X = centre_xy[y] + std * rng.standard_normal((n_samples, 2))
    return _shuffled(X, y.astype(np.int64), rng)


def make_moons(
    n_samples: int = 200, noise: float = 0.1, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: ``X`` float64 (n, 2), ``y`` int64 (n,) in {0, 1}.

    Class 0 lies on the upper half of the unit circle, (cos t, sin t) for t in
    [0, pi]; class 1 on the lower half circle (1 - cos t, 0.5 - sin t), shifted
    so the two hook into each other. Gaussian noise of std ``noise`` is added.
    No straight line separates them.
    """
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n_samples, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    return _shuffled(X, y, rng)


def make_spirals(
    n_samples: int = 300, classes: int = 3, noise: float = 0.2, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class: ``X`` float64 (n, 2), ``y`` int64 (n,).

    Arm j has radius r from 0 to 1 and angle t = 4 r + 2 pi j / classes, plus
    N(0, noise^2) on the angle, at (r sin t, r cos t). A linear model fails on it;
    a small MLP with a hidden layer of a few dozen units does well.
    """
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n_samples, classes)
    parts = []
    for j, n in enumerate(sizes):
        r = np.linspace(0.0, 1.0, n)
        t = 4 * r + 2 * np.pi * j / classes + noise * rng.standard_normal(n)
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    y = np.repeat(np.arange(classes, dtype=np.int64), sizes)
    return _shuffled(np.vstack(parts), y, rng)


def make_regression_with_outliers(
    n_samples: int = 100,
    outlier_fraction: float = 0.1,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 0.5,
    seed: Seed = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Points on a noisy line, some of them gross outliers: ``x`` (n,), ``y`` (n,) float64.

    x is uniform on [0, 5] and y = slope * x + intercept + N(0, noise^2). Then
    ``round(outlier_fraction * n)`` randomly chosen points are pushed up by 10 to
    20 (far beyond the noise), all in the same direction, so a least-squares fit
    is pulled toward them while an L1 or Huber fit is not.
    """
    if not 0 <= outlier_fraction <= 1:
        raise ValueError(
            f"make_regression_with_outliers: outlier_fraction must be in [0, 1], "
            f"got {outlier_fraction}."
        )
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 5.0, n_samples)
    y = slope * x + intercept + noise * rng.standard_normal(n_samples)
    outliers = rng.choice(n_samples, size=round(outlier_fraction * n_samples), replace=False)
    y[outliers] += rng.uniform(10.0, 20.0, len(outliers))
    return x, y
