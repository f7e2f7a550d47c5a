"""The kernel cases: the same computation in gradlib, PyTorch (CPU) and hand-written numpy.

Every case is forward + backward from the same inputs, in float32 and float64:

- ``MLP step``: batch 256, 64-128-128-10, ReLU, mean cross-entropy, one SGD update;
- ``max_pool2d`` / ``avg_pool2d`` on (64, 16, 32, 32): kernel 2 stride 2, kernel 3 stride 1;
- ``conv2d``: N=64, 8 -> 16 channels, 3x3, padding 1, on 16x16;
- ``batch_norm`` on (64, 16, 32, 32) in training mode, with weight and bias;
- ``layer_norm`` on (128, 128), over the last axis, with weight and bias: the widest hidden
  layer of the vanishing/exploding-gradients notebook (batch 128, width 32-128);
- ``cross_entropy`` on (256, 10);
- ``relu`` and ``sigmoid`` on (256, 1024): an activation layer's forward and backward, the
  cost notebook 04 compares.

Before anything is timed, every implementation runs once and its results (outputs and
gradients, or the loss and updated weights) must agree with gradlib's: a benchmark of
code that computes something else would measure nothing.

The naive-loop cases time ``naive_pooling`` against gradlib on a small input of their
own, since the loop would take minutes on the full one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

import gradlib as gl
from benchmarks import naive_pooling
from benchmarks import numpy_reference as ref
from gradlib import functional as F

GRADLIB, TORCH, NUMPY, NAIVE = "gradlib", "PyTorch", "numpy", "naive loop"
DTYPES = ("float32", "float64")
LEARNING_RATE = 0.01

POOL_INPUT = (64, 16, 32, 32)
NAIVE_INPUT = (2, 4, 32, 32)  # 1/128 of POOL_INPUT: N * C = 8 instead of 1024


@dataclass
class Impl:
    """One implementation: ``run()`` does forward + backward; ``result()`` the arrays it made."""

    run: Callable[[], Any]
    result: Callable[[], list[np.ndarray]]


@dataclass
class KernelCase:
    name: str  # e.g. "max_pool2d k3 s1"
    size: str  # the input, as the table shows it
    dtype: str
    target: float | None  # the largest allowed gradlib / PyTorch ratio of medians
    build: Callable[[Any], dict[str, Impl]]  # build(torch or None) -> name -> Impl

    @property
    def label(self) -> str:
        return f"{self.name} {self.dtype}"


def _torch_array(tensor: Any) -> np.ndarray:
    return tensor.detach().numpy()


def _grad_tensors(rng: np.random.Generator, dtype: str, *shapes) -> list[np.ndarray]:
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


# ----- MLP training step ----------------------------------------------------------------


def _gradlib_mlp(initial: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Impl:
    """gradlib.nn + gradlib.optim when present, else plain tensors with F.linear."""
    try:
        from gradlib import nn, optim
    except ImportError:
        nn = optim = None
    state: dict[str, Any] = {}
    inputs = gl.tensor(X)
    if nn is not None:
        model = nn.Sequential(
            nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)
        )
        params = model.parameters()
        for p, w in zip(params, initial):
            p.data = w.copy()
        optimizer = optim.SGD(params, lr=LEARNING_RATE)

        def step() -> None:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(inputs), y)
            loss.backward()
            optimizer.step()
            state["loss"] = loss

    else:
        params = [gl.tensor(w.copy(), requires_grad=True) for w in initial]

        def step() -> None:
            W1, b1, W2, b2, W3, b3 = params
            h = F.relu(F.linear(inputs, W1, b1))
            h = F.relu(F.linear(h, W2, b2))
            loss = F.cross_entropy(F.linear(h, W3, b3), y)
            for p in params:
                p.grad = None
            loss.backward()
            with gl.no_grad():
                for p in params:
                    p -= LEARNING_RATE * p.grad
            state["loss"] = loss

    return Impl(step, lambda: [state["loss"].data, params[0].data])


def build_mlp(torch: Any, dtype: str) -> dict[str, Impl]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 64)).astype(dtype)
    y = rng.integers(0, 10, size=256)
    initial = []
    for n_in, n_out in ((64, 128), (128, 128), (128, 10)):
        bound = 1 / np.sqrt(n_in)  # PyTorch's default initialisation
        initial.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype))
        initial.append(rng.uniform(-bound, bound, n_out).astype(dtype))
    impls = {GRADLIB: _gradlib_mlp(initial, X, y)}

    if torch is not None:
        tnn = torch.nn
        model = tnn.Sequential(
            tnn.Linear(64, 128), tnn.ReLU(), tnn.Linear(128, 128), tnn.ReLU(), tnn.Linear(128, 10)
        ).to(getattr(torch, dtype))
        with torch.no_grad():
            for p, w in zip(model.parameters(), initial):
                p.copy_(torch.from_numpy(w))
        optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
        X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
        torch_state: dict[str, Any] = {}
        first_weight = next(model.parameters())

        def torch_step() -> None:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X_t), y_t)
            loss.backward()
            optimizer.step()
            torch_state["loss"] = loss

        impls[TORCH] = Impl(
            torch_step, lambda: [_torch_array(torch_state["loss"]), _torch_array(first_weight)]
        )

    params = [w.copy() for w in initial]
    numpy_state: dict[str, Any] = {}

    def numpy_step() -> None:
        numpy_state["loss"] = np.asarray(ref.mlp_step(params, X, y, LEARNING_RATE))

    impls[NUMPY] = Impl(numpy_step, lambda: [numpy_state["loss"], params[0]])
    return impls


# ----- pooling --------------------------------------------------------------------------


def _pool_out_shape(shape, k: int, s: int) -> tuple[int, ...]:
    return shape[:2] + ((shape[2] - k) // s + 1, (shape[3] - k) // s + 1)


def _gradlib_pool(kind: str, x: np.ndarray, g: np.ndarray, k: int, s: int, state: dict) -> Impl:
    """gradlib's pooling forward + backward on ``x`` with upstream gradient ``g``."""
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    x_gl = gl.tensor(x, requires_grad=True)

    def gradlib_run() -> None:
        x_gl.grad = None
        out = pool(x_gl, k, s)
        out.backward(g)
        state[GRADLIB] = out

    return Impl(gradlib_run, lambda: [state[GRADLIB].data, x_gl.grad])


def build_pool(torch: Any, dtype: str, kind: str, k: int, s: int) -> dict[str, Impl]:
    rng = np.random.default_rng(1)
    x, g = _grad_tensors(rng, dtype, POOL_INPUT, _pool_out_shape(POOL_INPUT, k, s))
    state: dict[str, Any] = {}
    impls = {GRADLIB: _gradlib_pool(kind, x, g, k, s, state)}

    if torch is not None:
        x_t, g_t = torch.tensor(x, requires_grad=True), torch.from_numpy(g)
        torch_pool = getattr(torch.nn.functional, f"{kind}_pool2d")

        def torch_run() -> None:
            x_t.grad = None
            out = torch_pool(x_t, k, s)
            out.backward(g_t)
            state[TORCH] = out

        impls[TORCH] = Impl(torch_run, lambda: [_torch_array(state[TORCH]), _torch_array(x_t.grad)])

    def numpy_run() -> None:
        if kind == "max":
            out, argmax = ref.max_pool2d_forward(x, k, s)
            dx = ref.max_pool2d_backward(g, argmax, x.shape, k, s)
        else:
            out = ref.avg_pool2d_forward(x, k, s)
            dx = ref.avg_pool2d_backward(g, x.shape, k, s)
        state[NUMPY] = [out, dx]

    impls[NUMPY] = Impl(numpy_run, lambda: state[NUMPY])
    return impls


def build_naive_pool(torch: Any, dtype: str, kind: str, k: int, s: int) -> dict[str, Impl]:
    """gradlib against the per-output-pixel loop, on NAIVE_INPUT (PyTorch is not involved)."""
    rng = np.random.default_rng(2)
    x, g = _grad_tensors(rng, dtype, NAIVE_INPUT, _pool_out_shape(NAIVE_INPUT, k, s))
    state: dict[str, Any] = {}

    def naive_run() -> None:
        if kind == "max":
            out, where = naive_pooling.max_pool2d_loop(x, k, s)
            dx = naive_pooling.max_pool2d_loop_backward(g, where, x.shape)
        else:
            out = naive_pooling.avg_pool2d_loop(x, k, s)
            dx = naive_pooling.avg_pool2d_loop_backward(g, x.shape, k, s)
        state[NAIVE] = [out, dx]

    return {
        GRADLIB: _gradlib_pool(kind, x, g, k, s, state),
        NAIVE: Impl(naive_run, lambda: state[NAIVE]),
    }


# ----- conv2d ---------------------------------------------------------------------------


CONV_INPUT, CONV_WEIGHT, CONV_PADDING = (64, 8, 16, 16), (16, 8, 3, 3), 1


def _input_weight_bias_impls(
    torch: Any,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
    g: np.ndarray,
    gradlib_op: Callable[..., Any],
    torch_op: Callable[..., Any],
) -> dict[str, Impl]:
    """gradlib's and PyTorch's ``op(x, weight, bias)``, forward + backward with gradient g.

    Each result is [out, dx, dweight, dbias]; the PyTorch one only when torch is given.
    """
    state: dict[str, Any] = {}
    x_gl, w_gl, b_gl = (gl.tensor(a, requires_grad=True) for a in arrays)

    def gradlib_run() -> None:
        x_gl.grad = w_gl.grad = b_gl.grad = None
        out = gradlib_op(x_gl, w_gl, b_gl)
        out.backward(g)
        state[GRADLIB] = out

    impls = {
        GRADLIB: Impl(gradlib_run, lambda: [state[GRADLIB].data, x_gl.grad, w_gl.grad, b_gl.grad])
    }

    if torch is not None:
        x_t, w_t, b_t = (torch.tensor(a, requires_grad=True) for a in arrays)
        g_t = torch.from_numpy(g)

        def torch_run() -> None:
            x_t.grad = w_t.grad = b_t.grad = None
            out = torch_op(x_t, w_t, b_t)
            out.backward(g_t)
            state[TORCH] = out

        impls[TORCH] = Impl(
            torch_run,
            lambda: [_torch_array(t) for t in (state[TORCH], x_t.grad, w_t.grad, b_t.grad)],
        )
    return impls


def build_conv2d(torch: Any, dtype: str) -> dict[str, Impl]:
    rng = np.random.default_rng(3)
    x, w, b, g = _grad_tensors(rng, dtype, CONV_INPUT, CONV_WEIGHT, (16,), (64, 16, 16, 16))
    impls = _input_weight_bias_impls(
        torch,
        (x, w, b),
        g,
        lambda *xwb: F.conv2d(*xwb, padding=CONV_PADDING),
        lambda *xwb: torch.nn.functional.conv2d(*xwb, padding=CONV_PADDING),
    )
    numpy_state: list[np.ndarray] = []

    def numpy_run() -> None:
        out, xp = ref.conv2d_forward(x, w, b, CONV_PADDING)
        numpy_state[:] = [out, *ref.conv2d_backward(g, xp, w, CONV_PADDING)]

    impls[NUMPY] = Impl(numpy_run, lambda: numpy_state)
    return impls


# ----- batch norm and layer norm ------------------------------------------------------------


LAYER_NORM_INPUT = (128, 128)


def _affine_parameters(rng: np.random.Generator, dtype: str, size: int):
    """A weight near 1 and a bias near 0, as a trained normalisation layer has."""
    weight = (1 + 0.1 * rng.standard_normal(size)).astype(dtype)
    bias = (0.1 * rng.standard_normal(size)).astype(dtype)
    return weight, bias


def build_batch_norm(torch: Any, dtype: str) -> dict[str, Impl]:
    rng = np.random.default_rng(4)
    x, g = _grad_tensors(rng, dtype, POOL_INPUT, POOL_INPUT)
    weight, bias = _affine_parameters(rng, dtype, 16)
    stats_gl = [np.zeros(16, dtype), np.ones(16, dtype)]
    stats_t = [torch.from_numpy(s.copy()) for s in stats_gl] if torch is not None else []
    impls = _input_weight_bias_impls(
        torch,
        (x, weight, bias),
        g,
        lambda x, w, b: F.batch_norm(x, *stats_gl, w, b, training=True),
        lambda x, w, b: torch.nn.functional.batch_norm(x, *stats_t, w, b, training=True),
    )
    stats_np = [np.zeros(16, dtype), np.ones(16, dtype)]
    numpy_state: list[np.ndarray] = []

    def numpy_run() -> None:
        out, x_hat, inv_std = ref.batch_norm_forward(x, weight, bias, *stats_np)
        numpy_state[:] = [out, *ref.batch_norm_backward(g, x_hat, inv_std, weight)]

    impls[NUMPY] = Impl(numpy_run, lambda: numpy_state)
    return impls


def build_layer_norm(torch: Any, dtype: str) -> dict[str, Impl]:
    rng = np.random.default_rng(6)
    features = LAYER_NORM_INPUT[-1]
    x, g = _grad_tensors(rng, dtype, LAYER_NORM_INPUT, LAYER_NORM_INPUT)
    weight, bias = _affine_parameters(rng, dtype, features)
    impls = _input_weight_bias_impls(
        torch,
        (x, weight, bias),
        g,
        lambda x, w, b: F.layer_norm(x, features, w, b),
        lambda x, w, b: torch.nn.functional.layer_norm(x, (features,), w, b),
    )
    numpy_state: list[np.ndarray] = []

    def numpy_run() -> None:
        out, x_hat, inv_std = ref.layer_norm_forward(x, weight, bias)
        numpy_state[:] = [out, *ref.layer_norm_backward(g, x_hat, inv_std, weight)]

    impls[NUMPY] = Impl(numpy_run, lambda: numpy_state)
    return impls


# ----- activations ----------------------------------------------------------------------

ACTIVATION_INPUT = (256, 1024)
ACTIVATIONS = {
    # name: (gradlib op, PyTorch op name, numpy forward, numpy backward from (g, x, out))
    "relu": (F.relu, "relu", ref.relu_forward, lambda g, x, out: ref.relu_backward(g, x)),
    "sigmoid": (
        F.sigmoid,
        "sigmoid",
        ref.sigmoid_forward,
        lambda g, x, out: ref.sigmoid_backward(g, out),
    ),
}


def build_activation(torch: Any, dtype: str, name: str) -> dict[str, Impl]:
    """``name`` applied to one layer's pre-activations, forward + backward: [out, dx]."""
    gradlib_op, torch_name, numpy_forward, numpy_backward = ACTIVATIONS[name]
    rng = np.random.default_rng(7)
    x, g = _grad_tensors(rng, dtype, ACTIVATION_INPUT, ACTIVATION_INPUT)
    state: dict[str, Any] = {}
    x_gl = gl.tensor(x, requires_grad=True)

    def gradlib_run() -> None:
        x_gl.grad = None
        out = gradlib_op(x_gl)
        out.backward(g)
        state[GRADLIB] = out

    impls = {GRADLIB: Impl(gradlib_run, lambda: [state[GRADLIB].data, x_gl.grad])}
    if torch is not None:
        x_t, g_t = torch.tensor(x, requires_grad=True), torch.from_numpy(g)
        torch_op = getattr(torch.nn.functional, torch_name)

        def torch_run() -> None:
            x_t.grad = None
            out = torch_op(x_t)
            out.backward(g_t)
            state[TORCH] = out

        impls[TORCH] = Impl(torch_run, lambda: [_torch_array(state[TORCH]), _torch_array(x_t.grad)])

    def numpy_run() -> None:
        out = numpy_forward(x)
        state[NUMPY] = [out, numpy_backward(g, x, out)]

    impls[NUMPY] = Impl(numpy_run, lambda: state[NUMPY])
    return impls


# ----- cross-entropy ------------------------------------------------------------------------


def build_cross_entropy(torch: Any, dtype: str) -> dict[str, Impl]:
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((256, 10)).astype(dtype)
    target = rng.integers(0, 10, size=256)
    state: dict[str, Any] = {}
    logits_gl = gl.tensor(logits, requires_grad=True)

    def gradlib_run() -> None:
        logits_gl.grad = None
        loss = F.cross_entropy(logits_gl, target)
        loss.backward()
        state[GRADLIB] = loss

    impls = {GRADLIB: Impl(gradlib_run, lambda: [state[GRADLIB].data, logits_gl.grad])}

    if torch is not None:
        logits_t, target_t = torch.tensor(logits, requires_grad=True), torch.from_numpy(target)

        def torch_run() -> None:
            logits_t.grad = None
            loss = torch.nn.functional.cross_entropy(logits_t, target_t)
            loss.backward()
            state[TORCH] = loss

        impls[TORCH] = Impl(
            torch_run, lambda: [_torch_array(state[TORCH]), _torch_array(logits_t.grad)]
        )

    def numpy_run() -> None:
        loss, log_p = ref.cross_entropy_forward(logits, target)
        state[NUMPY] = [np.asarray(loss), ref.cross_entropy_backward(log_p, target)]

    impls[NUMPY] = Impl(numpy_run, lambda: state[NUMPY])
    return impls


# ----- the list --------------------------------------------------------------------------


def kernel_cases() -> list[KernelCase]:
    """Every kernel case, float32 and float64, with its target (None: no target)."""
    pool_size = str(POOL_INPUT)
    specs = [
        ("MLP step", "batch 256, 64-128-128-10", 1.0, build_mlp),
        ("max_pool2d k2 s2", pool_size, 1.5, partial(build_pool, kind="max", k=2, s=2)),
        ("max_pool2d k3 s1", pool_size, 2.5, partial(build_pool, kind="max", k=3, s=1)),
        ("avg_pool2d k2 s2", pool_size, 1.5, partial(build_pool, kind="avg", k=2, s=2)),
        ("avg_pool2d k3 s1", pool_size, 2.5, partial(build_pool, kind="avg", k=3, s=1)),
        ("conv2d 3x3 pad 1", f"{CONV_INPUT}, 8->16 ch", 3.0, build_conv2d),
        ("batch_norm train", pool_size, 1.5, build_batch_norm),
        # Layer norm does batch norm's work per sample instead of per channel (statistics,
        # then a per-feature affine map), so it gets the same target.
        ("layer_norm", f"{LAYER_NORM_INPUT}, over the last axis", 1.5, build_layer_norm),
        ("cross_entropy", "(256, 10)", 1.5, build_cross_entropy),
        # Activations, for notebook 04's cost comparison. relu is a compare and a multiply
        # in any library: the target bounds the engine's price. sigmoid's time is numpy's
        # exp, which is not vectorised like PyTorch's on every CPU: no target.
        ("relu", str(ACTIVATION_INPUT), 1.5, partial(build_activation, name="relu")),
        ("sigmoid", str(ACTIVATION_INPUT), None, partial(build_activation, name="sigmoid")),
    ]
    return [
        KernelCase(name, size, dtype, target, partial(build, dtype=dtype))
        for name, size, target, build in specs
        for dtype in DTYPES
    ]


def naive_cases() -> list[KernelCase]:
    """The slow reference against gradlib, float64 only, on NAIVE_INPUT."""
    return [
        KernelCase(
            f"{kind}_pool2d k{k} s{s}",
            str(NAIVE_INPUT),
            "float64",
            None,
            partial(build_naive_pool, dtype="float64", kind=kind, k=k, s=s),
        )
        for kind in ("max", "avg")
        for k, s in ((2, 2), (3, 1))
    ]


# ----- agreement -----------------------------------------------------------------------------


def check_agreement(case: KernelCase, impls: dict[str, Impl]) -> None:
    """Run every implementation once and require its results to match gradlib's.

    The error is the largest absolute difference relative to the largest value, per array.
    """
    tolerance = 1e-3 if case.dtype == "float32" else 1e-8
    for impl in impls.values():
        impl.run()
    expected = impls[GRADLIB].result()
    for name, impl in impls.items():
        got = impl.result()
        for index, (a, b) in enumerate(zip(got, expected)):
            a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
            if a.shape != b.shape:
                raise AssertionError(
                    f"{case.label}: {name} result {index} has shape {a.shape}, gradlib's {b.shape}"
                )
            scale = max(float(np.abs(b).max(initial=0.0)), 1e-30)
            error = float(np.abs(a - b).max(initial=0.0)) / scale
            if not error <= tolerance:
                raise AssertionError(
                    f"{case.label}: {name} disagrees with gradlib on result {index} "
                    f"(relative error {error:.2e} > {tolerance:.0e}); the benchmark would "
                    "compare different computations."
                )
