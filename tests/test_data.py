"""gradlib.data: the shipped digits file, the split, minibatches and the toy sets."""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pytest

from gradlib import data

FILE_SHA256 = "b4c04d2faf5adbc6b097c7e51c174aeda68704685214cacc55ed26582dd95023"
ARRAYS_SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_file_checksums_match_the_readme():
    package = resources.files("gradlib.data")
    raw = package.joinpath("digits.npz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == FILE_SHA256
    with package.joinpath("digits.npz").open("rb") as f, np.load(f) as archive:
        assert sorted(archive.files) == ["labels", "pixels"]
        pixels, labels = archive["pixels"], archive["labels"]
    assert pixels.dtype == np.uint8 and labels.dtype == np.uint8
    content = hashlib.sha256(pixels.tobytes() + labels.tobytes()).hexdigest()
    assert content == ARRAYS_SHA256
    readme = package.joinpath("README.md").read_text(encoding="utf-8")
    assert FILE_SHA256 in readme and ARRAYS_SHA256 in readme
    assert "CC BY 4.0" in readme and "10.24432/C50P49" in readme


def test_load_digits_shapes_dtypes_and_ranges():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == CLASS_COUNTS
    assert sum(CLASS_COUNTS) == 1797
    raw, y_raw = data.load_digits(normalize=False)
    assert raw.dtype == np.float64 and raw.max() == 16.0
    assert np.array_equal(raw, np.round(raw))  # counts of pixels: integers
    np.testing.assert_array_equal(raw / 16, X)
    np.testing.assert_array_equal(y_raw, y)


def test_load_digits_matches_scikit_learn_copy_when_available():
    sklearn_datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn not installed")
    bunch = sklearn_datasets.load_digits()
    X, y = data.load_digits(normalize=False)
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_load_digits_returns_fresh_arrays():
    X1, _ = data.load_digits()
    X1[0, 0] = 123.0
    X2, _ = data.load_digits()
    assert X2[0, 0] != 123.0


def test_digits_split_is_stratified_disjoint_and_deterministic():
    X_train, X_test, y_train, y_test = data.digits_split()
    assert X_train.shape == (1438, 64) and X_test.shape == (359, 64)
    assert y_train.dtype == np.int64
    expected_test = [round(0.2 * n) for n in CLASS_COUNTS]
    assert np.bincount(y_test, minlength=10).tolist() == expected_test
    assert (np.bincount(y_train) + np.bincount(y_test)).tolist() == CLASS_COUNTS
    # Together the two parts are the whole data set, each image once.
    X, _ = data.load_digits()
    together = np.vstack([X_train, X_test])
    assert sorted(map(bytes, together)) == sorted(map(bytes, X))
    again = data.digits_split()
    for a, b in zip((X_train, X_test, y_train, y_test), again):
        np.testing.assert_array_equal(a, b)
    other = data.digits_split(seed=1)
    assert not np.array_equal(other[3], y_test)
    assert len(data.digits_split(test_fraction=0.5)[1]) == sum(round(0.5 * n) for n in CLASS_COUNTS)


def test_digits_split_rejects_a_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction"):
        data.digits_split(test_fraction=1.5)


def test_batches_cover_the_data_once_in_a_seeded_order():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    parts = list(data.batches(X, y, batch_size=4, seed=0))
    assert [len(yb) for _, yb in parts] == [4, 4, 2]
    seen = np.concatenate([yb for _, yb in parts])
    assert sorted(seen.tolist()) == list(range(10))
    assert seen.tolist() != list(range(10))  # shuffled
    for Xb, yb in parts:
        np.testing.assert_array_equal(Xb, X[yb])  # rows stay paired with labels
    again = np.concatenate([yb for _, yb in data.batches(X, y, 4, seed=0)])
    np.testing.assert_array_equal(seen, again)
    in_order = np.concatenate([yb for _, yb in data.batches(X, y, 4, shuffle=False)])
    assert in_order.tolist() == list(range(10))
    assert [len(yb) for _, yb in data.batches(X, y, 4, seed=0, drop_last=True)] == [4, 4]


def test_batches_with_one_generator_change_order_between_epochs_but_not_runs():
    X, y = np.zeros((12, 1)), np.arange(12)

    def two_epochs():
        rng = np.random.default_rng(5)
        return [np.concatenate([yb for _, yb in data.batches(X, y, 5, seed=rng)]) for _ in range(2)]

    first, second = two_epochs()
    assert not np.array_equal(first, second)
    for a, b in zip(two_epochs(), (first, second)):
        np.testing.assert_array_equal(a, b)


def test_batches_errors_name_the_problem():
    with pytest.raises(ValueError, match="10 rows but y has 9"):
        list(data.batches(np.zeros((10, 2)), np.zeros(9), 2))
    with pytest.raises(ValueError, match="batch_size"):
        list(data.batches(np.zeros((10, 2)), np.zeros(10), 0))


@pytest.mark.parametrize(
    ("make", "n", "classes"),
    [(data.make_blobs, 300, 3), (data.make_moons, 200, 2), (data.make_spirals, 300, 3)],
)
def test_toy_sets_shapes_dtypes_balance_and_determinism(make, n, classes):
    X, y = make()
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [n // classes] * classes
    X2, y2 = make()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(seed=1)
    assert not np.array_equal(X, X3)
    assert y[: classes * 3].tolist() != sorted(y[: classes * 3].tolist())  # rows are shuffled


def test_toy_sets_follow_their_formulas_without_noise():
    X, y = data.make_moons(n_samples=50, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5

    X, y = data.make_blobs(n_samples=90, centers=3, std=0.0)
    centres = np.array([X[y == k][0] for k in range(3)])
    np.testing.assert_allclose(np.hypot(centres[:, 0], centres[:, 1]), 4.0)
    np.testing.assert_allclose(centres[0], [0.0, 4.0], atol=1e-12)
    X, y = data.make_blobs(n_samples=10, centers=[[1.0, 2.0], [-3.0, 0.5]], std=0.0, seed=3)
    np.testing.assert_array_equal(X[y == 1], np.tile([-3.0, 0.5], (5, 1)))

    X, y = data.make_spirals(n_samples=30, classes=3, noise=0.0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() == pytest.approx(1.0) and radius.min() == 0.0
    angle = np.arctan2(X[:, 0], X[:, 1])  # the arms are (r sin t, r cos t)
    arm1 = (y == 1) & (radius > 0)
    expected = 4 * radius[arm1] + 2 * np.pi / 3
    np.testing.assert_allclose(np.cos(angle[arm1]), np.cos(expected), atol=1e-12)


def test_blobs_spread_matches_std():
    X, y = data.make_blobs(n_samples=30000, centers=3, std=0.5, seed=2)
    for k in range(3):
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, rtol=0.05)


def test_regression_with_outliers():
    x, y = data.make_regression_with_outliers()
    assert x.shape == (100,) and y.shape == (100,)
    assert x.dtype == np.float64 and y.dtype == np.float64
    assert 0 <= x.min() and x.max() <= 5
    residual = y - (2.0 * x + 1.0)
    outliers = residual > 5  # noise is 0.5, outliers are pushed up by 10..20
    assert outliers.sum() == 10
    assert np.all((residual[outliers] > 10 - 2) & (residual[outliers] < 20 + 2))
    assert np.abs(residual[~outliers]).max() < 5 * 0.5
    # Least squares is pulled toward the outliers; the clean points give back the line.
    slope, intercept = np.polyfit(x[~outliers], y[~outliers], 1)
    assert slope == pytest.approx(2.0, abs=0.2) and intercept == pytest.approx(1.0, abs=0.5)
    assert np.polyfit(x, y, 1)[1] > intercept + 0.5
    x2, y2 = data.make_regression_with_outliers()
    np.testing.assert_array_equal(y, y2)
    _, y_clean = data.make_regression_with_outliers(outlier_fraction=0.0, noise=0.0)
    x_clean, _ = data.make_regression_with_outliers(outlier_fraction=0.0, noise=0.0)
    np.testing.assert_allclose(y_clean, 2.0 * x_clean + 1.0)


def test_importing_gradlib_does_not_load_digits_or_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys, gradlib, gradlib.data, gradlib.nn, gradlib.optim, gradlib.recorder\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "assert 'sklearn' not in sys.modules, 'sklearn imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
