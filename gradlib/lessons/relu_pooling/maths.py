"""Notebook 04, the maths: ReLU's kink, activations side by side, pooling as a linear map.

- ReLU at 0: one-sided derivatives, the interval of subgradients, the four ways to write
  ReLU and the slope each gives at 0 (``RELU_SPELLINGS``, ``slope_at``), and where inputs
  that are exactly 0 come from (``exact_zero_sources``).
- ``ACTIVATIONS``: seven activations; ``activation_curves`` gives each one's values and
  derivative (from ``backward()``, not from a formula) and ``derivative_bounds`` their range.
- Pooling on one small grid (``pool_grid``): the forward and backward of gradlib's
  ``max_pool2d`` / ``avg_pool2d``, beside ``pooling_jacobian``, the matrix J of the pooling
  built window by window from the definition. The backward is the vector-Jacobian product
  dx = J^T g, and sum(dx) = sum_o g_o (row sum of J)_o, which is the whole story of claim C9.
- ``receptive_fields``: how far back one output of a stack of layers looks, from the
  recurrence and from where its gradient lands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlib import functional as F
from gradlib import ops
from gradlib.engine import Tensor, tensor
from gradlib.language import pad, tr
from gradlib.pooling import PoolGeometry

__all__ = [
    "ACTIVATIONS",
    "PRESETS",
    "PYTORCH_SLOPE_AT_ZERO",
    "RELU_SPELLINGS",
    "GridPooling",
    "activation_curves",
    "code_without_docstring",
    "derivative_bounds",
    "elementwise_passes",
    "FRAMEWORK_RELU_AT_ZERO",
    "max_pool2d_backward_loop",
    "relu_numpy",
    "exact_zero_sources",
    "SUM_CASES",
    "gradient_sums",
    "grid_text",
    "one_sided_slopes",
    "pool_grid",
    "pooling_jacobian",
    "preset_grid",
    "receptive_field_by_gradient",
    "receptive_fields",
    "slope_at",
    "subgradient_interval",
]


# ----- ReLU at 0 -----------------------------------------------------------------------


def relu_numpy(x: Any) -> np.ndarray:
    """max(x, 0) on plain numbers, for the difference quotients below."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def one_sided_slopes(
    f: Callable[[Any], Any] = relu_numpy, x0: float = 0.0, h: float = 1e-6
) -> tuple[float, float]:
    """The slopes from the left, (f(x0) - f(x0 - h)) / h, and from the right,
    (f(x0 + h) - f(x0)) / h. A derivative exists only if both tend to the same number."""
    left = (f(x0) - f(x0 - h)) / h
    right = (f(x0 + h) - f(x0)) / h
    return float(left), float(right)


def subgradient_interval(
    f: Callable[[Any], Any] = relu_numpy,
    x0: float = 0.0,
    candidates: np.ndarray | None = None,
    ys: np.ndarray | None = None,
) -> tuple[float, float]:
    """The smallest and largest slope g among ``candidates`` with f(y) >= f(x0) + g (y - x0)
    for every y in ``ys``: the lines through (x0, f(x0)) that stay below the graph.

    For a convex f these slopes are its subgradients at x0; for ReLU at 0 they fill [0, 1].
    """
    candidates = np.linspace(-1.0, 2.0, 301) if candidates is None else candidates
    ys = np.linspace(-3.0, 3.0, 601) if ys is None else ys
    below = f(ys)[None, :] >= f(x0) + candidates[:, None] * (ys - x0)[None, :] - 1e-12
    valid = candidates[below.all(axis=1)]
    return float(valid.min()), float(valid.max())


# The same function max(x, 0), written four ways; each is a gradlib expression.
RELU_SPELLINGS: dict[str, Callable[[Tensor], Tensor]] = {
    "F.relu(x)": F.relu,
    "x.clamp(min=0)": lambda x: x.clamp(min=0.0),
    "gl.maximum(x, 0)": lambda x: ops.maximum(x, 0.0),
    "x * (x > 0)": lambda x: x * (x > 0),
}

# PyTorch 2.13 (CPU), the same four spellings at x = 0 (torch.relu, clamp, torch.maximum,
# x * (x > 0)). Measured by tests/test_torch_core.py::test_relu_written_four_ways_at_zero.
PYTORCH_SLOPE_AT_ZERO: dict[str, float] = {
    "F.relu(x)": 0.0,
    "x.clamp(min=0)": 1.0,
    "gl.maximum(x, 0)": 0.5,
    "x * (x > 0)": 0.0,
}


def _pad(text: str, spec: str) -> str:
    """``format(text, spec)``, with a width counted in columns (``gradlib.language.pad``)."""
    match = re.fullmatch(r"([<>^]?)(\d+)s?", spec)
    return pad(text, int(match[2]), match[1] or "<") if match else format(text, spec)


class ShownText(str):
    """A label kept in English in a module constant (a dict key the notebook looks up, a
    setting's name) that a notebook cell prints or draws: it compares and hashes as the
    English text, and shows itself translated (``tr``) when it is formatted or printed, so
    in the reader's language once ``set_language`` has run. A width in a format spec
    (``f"{name:18s}"``) counts columns, so Chinese labels keep a table aligned; with ASCII
    text the output is exactly ``format(str, spec)``."""

    def shown(self) -> str:
        return tr(str.__str__(self))

    def __str__(self) -> str:
        return self.shown()

    def __format__(self, spec: str) -> str:
        return _pad(self.shown(), spec)


class PaddedText(ShownText):
    """Text already in the reader's language (``tr`` applied when it was made): formatted
    with a width counted in columns, like ``ShownText``."""

    def shown(self) -> str:
        return str.__str__(self)


# relu'(0) in other frameworks, as their code and documentation define it.
FRAMEWORK_RELU_AT_ZERO: dict[str, tuple[float, str]] = {
    "PyTorch torch.relu": (0.0, ShownText("measured: tests/test_torch_core.py")),
    "TensorFlow tf.nn.relu": (0.0, ShownText("its gradient kernel ReluGrad is g * (x > 0)")),
    "JAX jax.nn.relu": (0.0, ShownText("its custom JVP selects g where x > 0, else 0")),
}


def slope_at(fn: Callable[[Tensor], Tensor], x0: float = 0.0, dtype: Any = np.float64) -> float:
    """d fn / dx at ``x0`` from gradlib's ``backward()``."""
    x = tensor(np.array([x0], dtype=dtype), requires_grad=True)
    fn(x).sum().backward()
    return float(x.grad[0])


@dataclass(frozen=True)
class ZeroCount:
    """How many inputs of a ReLU were exactly 0 in one setting."""

    source: str
    zeros: int
    total: int

    @property
    def fraction(self) -> float:
        return self.zeros / self.total


def exact_zero_sources(seed: int = 0) -> list[ZeroCount]:
    """Count the ReLU inputs that are exactly 0 in five settings, on the 1,797 digits.

    1. the pre-activations W x + b of a fresh 64-32 layer, float64 and float32: real-valued
       weights almost never cancel to exactly 0;
    2. a ReLU of a ReLU (e.g. ReLU, max pooling, ReLU): every unit the first one cut is 0;
    3. zero padding: a 3x3 convolution without bias, padding 1, over the digits; a window
       that sees only padding and blank background gives exactly 0;
    4. integer inputs (the raw pixel counts 0..16) with ternary weights in {-1, 0, 1} and an
       integer bias, as in a quantised network: sums of integers hit 0 often;
    5. pruned units, whose weights and bias are all 0: z = 0 on every input.
    """
    from gradlib.data import load_digits
    from gradlib.nn import Linear

    X, _ = load_digits()
    raw, _ = load_digits(normalize=False)
    rng = np.random.default_rng(seed)
    layer = Linear(64, 32, rng=rng)
    W, b = layer.weight.data, layer.bias.data
    counts = []

    def count(source: str, z: np.ndarray) -> None:
        counts.append(ZeroCount(PaddedText(source), int((z == 0).sum()), z.size))

    for dtype in (np.float64, np.float32):
        z = X.astype(dtype) @ W.T.astype(dtype) + b.astype(dtype)
        count(tr("W x + b of a fresh layer ({dtype})", dtype=np.dtype(dtype).name), z)
    count(tr("the input of a ReLU after a ReLU"), np.maximum(X @ W.T + b, 0.0))
    kernels = rng.uniform(-1 / 3, 1 / 3, size=(8, 1, 3, 3))
    images = X.reshape(-1, 1, 8, 8)
    count(tr("3x3 conv, zero padding, no bias"), F.conv2d(images, kernels, padding=1).data)
    ternary = rng.integers(-1, 2, size=(32, 64)).astype(np.float64)
    bias = rng.integers(-8, 9, size=32).astype(np.float64)
    count(tr("integer pixels, weights in {-1, 0, 1}"), raw @ ternary.T + bias)
    count(tr("8 pruned units (weights and bias 0)"), X @ np.zeros((64, 8)) + np.zeros(8))
    return counts


# ----- activations side by side ----------------------------------------------------------

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "relu": F.relu,
    "leaky_relu (0.1)": lambda x: F.leaky_relu(x, 0.1),
    "elu": F.elu,
    "gelu": F.gelu,
    "softplus": F.softplus,
}
CURVE_X = np.linspace(-4.0, 4.0, 801)  # includes 0 exactly (index 400)


def activation_curves(xs: np.ndarray = CURVE_X) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (values, derivatives) at ``xs``; the derivatives come from ``backward()``."""
    curves = {}
    for name, fn in ACTIVATIONS.items():
        x = tensor(xs, requires_grad=True)
        y = fn(x)
        y.sum().backward()  # each output depends on its own input only: the grad is f'(x)
        curves[name] = (y.data.copy(), x.grad.copy())
    return curves


def derivative_bounds(xs: np.ndarray = CURVE_X) -> dict[str, tuple[float, float, float]]:
    """name -> (smallest derivative, largest derivative, derivative at 0) over ``xs``."""
    zero = int(np.argmin(np.abs(xs)))
    return {
        name: (float(d.min()), float(d.max()), float(d[zero]))
        for name, (_, d) in activation_curves(xs).items()
    }


class _Counted(np.ndarray):
    """An array that records the numpy operations (ufuncs such as exp or multiply, and
    functions such as where) made on it: each one is a pass over every element."""

    calls: list[str] = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _Counted.calls.append(ufunc.__name__)
        plain = [i.view(np.ndarray) if isinstance(i, _Counted) else i for i in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) for o in kwargs["out"])
        return _counted(getattr(ufunc, method)(*plain, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ not in ("shape", "ndim", "result_type"):
            _Counted.calls.append(func.__name__)
        plain = [a.view(np.ndarray) if isinstance(a, _Counted) else a for a in args]
        return _counted(func(*plain, **kwargs))


def _counted(value: Any) -> Any:
    return value.view(_Counted) if isinstance(value, np.ndarray) else value


def elementwise_passes(function: type, *args: Any, size: int = 1000) -> tuple[list[str], list[str]]:
    """The numpy operations that ``function``'s forward (given ``args`` after the input) and
    backward run on an array of ``size`` numbers, e.g. ``(["maximum"], ["greater",
    "multiply"])`` for ReLU. Each is one pass over the array: the cost of an activation
    counted, not timed."""
    from gradlib.engine import Context

    ctx = Context()
    _Counted.calls = []
    function.forward(ctx, np.linspace(-3, 3, size).view(_Counted), *args)
    forward = list(_Counted.calls)
    for name, value in vars(ctx).items():  # what forward saved is counted in backward too
        setattr(ctx, name, _counted(value))
    _Counted.calls = []
    function.backward(ctx, np.ones(size).view(_Counted))
    return forward, list(_Counted.calls)


# ----- pooling on one grid --------------------------------------------------------------

GRID = 6  # the pooling lab's input is GRID x GRID

PRESETS = ("random integers", "many ties", "a plateau", "a single peak", "a NaN")


def preset_grid(preset: str, seed: int = 0, size: int = GRID) -> np.ndarray:
    """A size x size input for the pooling lab.

    - "random integers": 0..9;
    - "many ties": integers 0..2, so most windows hold their maximum twice or more;
    - "a plateau": every value 5, so every window is one big tie;
    - "a single peak": a 9 among integers 0..2 (near the centre);
    - "a NaN": random integers with one NaN, which counts as every window's maximum.
    """
    rng = np.random.default_rng(seed)
    if preset == "random integers":
        return rng.integers(0, 10, (size, size)).astype(np.float64)
    if preset == "many ties":
        return rng.integers(0, 3, (size, size)).astype(np.float64)
    if preset == "a plateau":
        return np.full((size, size), 5.0)
    if preset == "a single peak":
        grid = rng.integers(0, 3, (size, size)).astype(np.float64)
        grid[size // 2 - 1, size // 2] = 9.0
        return grid
    if preset == "a NaN":
        grid = rng.integers(0, 10, (size, size)).astype(np.float64)
        grid[1, 2] = np.nan
        return grid
    raise ValueError(f"preset_grid: unknown preset {preset!r}; choose one of {list(PRESETS)}.")


def _geometry(shape: tuple[int, int], kernel: int, stride: int, padding: int) -> PoolGeometry:
    return PoolGeometry("pool_grid", (1, 1, *shape), kernel, stride, padding)


def pooling_jacobian(
    x: np.ndarray,
    mode: str,
    kernel: int,
    stride: int,
    padding: int = 0,
    count_include_pad: bool = True,
) -> np.ndarray:
    """The matrix J with out = J x_padded, built window by window from the definition.

    Rows are the outputs o (row-major), columns the cells of the zero-padded input (row-
    major, padding included), so J has shape (H_out * W_out, (H + 2p) * (W + 2p)):

    - mean, count_include_pad=True: J[o, i] = 1 / kernel**2 for every cell i of window o,
      padding included (its zeros are averaged in, so it takes a share of the gradient);
    - mean, count_include_pad=False: J[o, i] = 1 / n_o for the n_o real cells of window o,
      0 on its padding;
    - max: J[o, i] = 1 for the window's maximum i and 0 elsewhere: max pooling is linear
      in x as long as no maximum changes place. Ties go to the first maximum in row-major
      order; a NaN is the maximum (the last NaN, as in PyTorch); padding is -inf.

    The backward of the pooling is dx = J^T g, a vector-Jacobian product: each output
    sends g_o back along its row of J. This is a plain loop over output pixels, the way a
    textbook writes it; gradlib's pooling loops over the kernel's offsets instead.
    """
    if mode not in ("max", "mean"):
        raise ValueError(f"pooling_jacobian: mode must be 'max' or 'mean', got {mode!r}.")
    height, width = x.shape
    geo = _geometry(x.shape, kernel, stride, padding)
    padded_h, padded_w = geo.padded
    real = np.zeros(geo.padded, dtype=bool)
    real[padding : padding + height, padding : padding + width] = True
    values = np.full(geo.padded, -np.inf)
    values[real] = x.ravel()
    out_h, out_w = geo.out
    jacobian = np.zeros((out_h * out_w, padded_h * padded_w))
    for o in range(out_h * out_w):
        top, left = (o // out_w) * stride, (o % out_w) * stride
        rows, cols = np.mgrid[top : top + kernel, left : left + kernel]
        cells = (rows * padded_w + cols).ravel()  # the window, row-major
        if mode == "mean":
            inside = real[rows, cols].ravel()
            if count_include_pad:  # the padding's zeros are inputs of the average
                jacobian[o, cells] = 1.0 / (kernel * kernel)
            else:  # an average of the real cells only
                jacobian[o, cells[inside]] = 1.0 / inside.sum()
        else:
            window = values[rows, cols].ravel()
            nans = np.flatnonzero(np.isnan(window))
            best = nans[-1] if len(nans) else int(np.argmax(window))  # argmax: the first max
            if window[best] == -np.inf:  # nothing but -inf: the first real cell, as gradlib
                best = int(np.flatnonzero(real[rows, cols].ravel())[0])
            jacobian[o, cells[best]] = 1.0
    return jacobian


@dataclass(frozen=True)
class GridPooling:
    """One pooling of one H x W grid, forward and backward, with everything the figures need.

    ``out`` and ``dx`` come from gradlib (``F.max_pool2d`` / ``F.avg_pool2d`` and
    ``backward()``); ``jacobian`` and ``dx_padded`` (J^T g over the padded grid, so the
    share that lands on padding is visible) from ``pooling_jacobian``.
    """

    mode: str
    kernel: int
    stride: int
    padding: int
    count_include_pad: bool
    x: np.ndarray  # (H, W)
    out: np.ndarray  # (H_out, W_out)
    upstream: np.ndarray  # (H_out, W_out): g = dL/d out
    dx: np.ndarray  # (H, W): gradlib's input gradient
    jacobian: np.ndarray  # (H_out * W_out, padded cells)
    dx_padded: np.ndarray  # (H + 2p, W + 2p): J^T g

    @property
    def windows(self) -> list[tuple[int, int]]:
        """The top-left corner of every window, in padded coordinates, row-major."""
        out_h, out_w = self.out.shape
        return [(r * self.stride, c * self.stride) for r in range(out_h) for c in range(out_w)]

    @property
    def real(self) -> np.ndarray:
        """True on the cells of the padded grid that are input, False on padding."""
        p = self.padding
        mask = np.zeros(self.dx_padded.shape, dtype=bool)
        mask[p : p + self.x.shape[0], p : p + self.x.shape[1]] = True
        return mask

    @property
    def upstream_sum(self) -> float:
        return float(self.upstream.sum())

    @property
    def input_sum(self) -> float:
        return float(self.dx.sum())

    @property
    def lost_to_padding(self) -> float:
        return float(self.dx_padded[~self.real].sum())

    @property
    def row_sums(self) -> np.ndarray:
        """Row sums of J restricted to the real cells: how much of each g_o reaches the input."""
        return self.jacobian[:, self.real.ravel()].sum(axis=1).reshape(self.out.shape)

    @property
    def received_nothing(self) -> np.ndarray:
        """True on the input cells whose gradient is exactly 0."""
        return self.dx == 0


def pool_grid(
    x: np.ndarray,
    mode: str = "max",
    kernel: int = 2,
    stride: int | None = None,
    padding: int = 0,
    count_include_pad: bool = True,
    upstream: np.ndarray | None = None,
) -> GridPooling:
    """Pool the grid ``x`` (H, W) with gradlib, backpropagate ``upstream`` (ones by default)
    and build the Jacobian of the same pooling from its definition."""
    x = np.asarray(x, dtype=np.float64)
    stride = kernel if stride is None else stride
    xt = tensor(x[None, None], requires_grad=True)
    if mode == "max":
        out = F.max_pool2d(xt, kernel, stride, padding)
    elif mode == "mean":
        out = F.avg_pool2d(xt, kernel, stride, padding, count_include_pad=count_include_pad)
    else:
        raise ValueError(f"pool_grid: mode must be 'max' or 'mean', got {mode!r}.")
    g = np.ones(out.shape[2:]) if upstream is None else np.asarray(upstream, dtype=np.float64)
    if g.shape != out.shape[2:]:
        raise ValueError(f"pool_grid: upstream has shape {g.shape}, the output {out.shape[2:]}.")
    out.backward(g[None, None])
    jacobian = pooling_jacobian(x, mode, kernel, stride, padding, count_include_pad)
    geo = _geometry(x.shape, kernel, stride, padding)
    return GridPooling(
        mode=mode,
        kernel=kernel,
        stride=stride,
        padding=padding,
        count_include_pad=count_include_pad,
        x=x,
        out=out.data[0, 0].copy(),
        upstream=g,
        dx=xt.grad[0, 0].copy(),
        jacobian=jacobian,
        dx_padded=(jacobian.T @ g.ravel()).reshape(geo.padded),
    )


def max_pool2d_backward_loop(
    grad: np.ndarray, x: np.ndarray, kernel: int, stride: int
) -> np.ndarray:
    """dL/dx of max_pool2d (no padding), the textbook way: one Python step per output pixel.

    For every sample n, channel c and output pixel (r, s): find the first maximum of its
    window and add grad[n, c, r, s] there. Correct and easy to read, and about a hundred
    times slower than gradlib's ``MaxPool2d.backward``, which loops over the kernel's
    offsets and lets numpy handle all windows at once (benchmarks/RESULTS.md).
    """
    dx = np.zeros_like(x)
    samples, channels, out_h, out_w = grad.shape
    for n in range(samples):
        for c in range(channels):
            for r in range(out_h):
                for s in range(out_w):
                    top, left = r * stride, s * stride
                    window = x[n, c, top : top + kernel, left : left + kernel]
                    i, j = np.unravel_index(np.argmax(window), window.shape)  # the first max
                    dx[n, c, top + i, left + j] += grad[n, c, r, s]
    return dx


def code_without_docstring(function: Callable[..., Any]) -> str:
    """The source of ``function`` (dedented) without its docstring, to print in a notebook."""
    import ast
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(function))
    body = ast.parse(source).body[0].body
    lines = source.splitlines()
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        del lines[body[0].lineno - 1 : body[0].end_lineno]
    return "\n".join(lines)


# Ten poolings of a 6x6 grid for claim C9: (name, preset, mode, kernel, stride, padding,
# count_include_pad). The names say what each one tests.
SUM_CASES = (
    (ShownText("max k2 s2"), "random integers", "max", 2, 2, 0, True),
    (ShownText("max k3 s1 (overlap)"), "random integers", "max", 3, 1, 0, True),
    (ShownText("max k2 s1 p1"), "random integers", "max", 2, 1, 1, True),
    (ShownText("max k2 s2, a plateau"), "a plateau", "max", 2, 2, 0, True),
    (ShownText("max k2 s1, a NaN"), "a NaN", "max", 2, 1, 0, True),
    (ShownText("mean k2 s2"), "random integers", "mean", 2, 2, 0, True),
    (ShownText("mean k3 s1 (overlap)"), "random integers", "mean", 3, 1, 0, True),
    (ShownText("mean k2 s3 (gaps)"), "random integers", "mean", 2, 3, 0, True),
    (ShownText("mean k3 s2 p1, pad not counted"), "random integers", "mean", 3, 2, 1, False),
    (ShownText("mean k3 s2 p1, pad counted"), "random integers", "mean", 3, 2, 1, True),
)


def gradient_sums(seed: int = 1) -> dict[str, GridPooling]:
    """Each case of ``SUM_CASES`` pooled with a random positive upstream gradient."""
    rng = np.random.default_rng(seed)
    results = {}
    for name, preset, mode, kernel, stride, padding, counted in SUM_CASES:
        side = (GRID + 2 * padding - kernel) // stride + 1
        upstream = rng.uniform(0.5, 1.5, (side, side))
        x = preset_grid(preset, seed)
        results[name] = pool_grid(x, mode, kernel, stride, padding, counted, upstream)
    return results


def grid_text(grid: np.ndarray, digits: int = 2, width: int | None = None) -> str:
    """A small grid as aligned text, one row per line: '1', '0.25', 'nan' (no numpy repr)."""

    def cell(value: float) -> str:
        if np.isnan(value):
            return "nan"
        if value == int(value):
            return str(int(value))
        return f"{value:.{digits}f}"

    cells = [[cell(v) for v in row] for row in np.asarray(grid, dtype=np.float64)]
    width = width or max(len(c) for row in cells for c in row)
    return "\n".join("  ".join(c.rjust(width) for c in row) for row in cells)


# ----- receptive fields -------------------------------------------------------------------


def receptive_fields(layers: Sequence[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """(name, receptive field, jump) after each layer of ``layers`` = [(name, kernel, stride)].

    The recurrence: a layer with kernel k and stride s, on a map whose neighbouring cells
    are ``jump`` input pixels apart, sees k cells, i.e. (k - 1) * jump more pixels:
    field += (k - 1) * jump, then jump *= s.
    """
    field, jump, rows = 1, 1, []
    for name, kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
        rows.append((name, field, jump))
    return rows


def receptive_field_by_gradient(layers: Sequence[tuple[str, int, int]], size: int = 48) -> int:
    """The receptive field measured: backpropagate from the centre output of the stack
    (convolutions with weights 1, mean pooling) and count the input rows that get a
    nonzero gradient. Positive weights, so no gradient cancels by accident."""
    x = tensor(np.ones((1, 1, size, size)), requires_grad=True)
    h = x
    for name, kernel, stride in layers:
        if name.startswith("conv"):
            h = F.conv2d(h, np.ones((1, 1, kernel, kernel)), stride=stride)
        else:
            h = F.avg_pool2d(h, kernel, stride)
    centre = np.zeros(h.shape)
    centre[0, 0, h.shape[2] // 2, h.shape[3] // 2] = 1.0
    h.backward(centre)
    return int((np.abs(x.grad[0, 0]).sum(axis=1) > 0).sum())
