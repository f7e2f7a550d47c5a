"""Notebook 05, the causes: why gradients vanish or explode, measured on real networks.

- ``build_mlp``: the deep MLPs of the notebook and its widget, by the names a learner picks
  (activation "tanh", initialisation "Xavier", normalisation "BatchNorm", ...);
- ``sigmoid_chain``: the scalar chain h_l = sigmoid(w h_(l-1) - w/2), whose gradient is
  exactly (w/4)**L;
- ``jacobian_products``: the product of the layer Jacobians diag(f'(z_l)) W_l of a real
  forward pass, its norm against depth, and the bounds that decide it;
- ``gradient_profile``: one forward and backward pass of a deep MLP on a batch of digits,
  with per-layer gradient norms, activation histograms and saturated or dead units
  (from ``gradlib.recorder.Recorder``), before and after gradient clipping;
- ``nielsen_*``: Nielsen's chapter 5 experiment (per-layer gradients of sigmoid nets);
- ``glorot_statistics``: Glorot & Bengio's (2010) per-layer statistics of a deep tanh net.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from gradlib import functional as F
from gradlib import init, nn, optim
from gradlib.data import digits_split
from gradlib.engine import no_grad, tensor
from gradlib.language import tr
from gradlib.recorder import Recorder

# ----- the networks ---------------------------------------------------------------------

# What a learner picks -> gradlib's name for it.
ACTIVATIONS = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
}
ACTIVATION_MODULES = (nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.ELU)
NORMS = {"none": None, "BatchNorm": "batch", "LayerNorm": "layer"}
INITS = ("standard", "Xavier", "He", "too small", "too large")
# Weights N(0, (gain / sqrt(fan_in))**2) for the two deliberately wrong scales. For
# comparison: "standard" U[-1/sqrt(n), 1/sqrt(n)] has gain 1/sqrt(3) = 0.58, Xavier about
# 1 on square layers, He sqrt(2) = 1.41.
GAINS = {"too small": 0.25, "too large": 4.0}
# The activation each initialisation was derived for (Glorot & Bengio 2010; He et al. 2015).
RECOMMENDED_INIT = {"sigmoid": "Xavier", "tanh": "Xavier", "ReLU": "He", "LeakyReLU": "He",
                    "ELU": "He"}  # fmt: skip
N_INPUTS, N_CLASSES = 64, 10
HISTOGRAM = (-2.0, 2.0, 40)  # range and bins of the activation histograms
CLIP_MAX_NORM = 1.0  # clipping by norm: the whole gradient's norm at most 1
# Clipping by value: every entry in [-0.004, 0.004], so the exploding network's clipped
# gradient (33,930 entries) has norm at most 0.74, near CLIP_MAX_NORM. With 0.01 (norm up to
# 1.84) that network trained chaotically: its loss and accuracy after 300 steps changed with
# the last bits of the arithmetic, so with another processor's rounding.
CLIP_VALUE = 0.004


def _check_choice(what: str, value: str, options) -> None:
    if value not in options:
        raise ValueError(
            tr(
                "{what} must be one of {options}; got {value!r}.",
                what=what,
                options=", ".join(options),
                value=value,
            )
        )


def initialise_(model: nn.Module, scheme: str, seed: int | np.random.Generator = 0) -> None:
    """Re-draw every Linear weight of ``model`` (biases 0) with one of ``INITS``.

    "standard" is PyTorch's default U[-1/sqrt(n), 1/sqrt(n)] for weight and bias
    (Glorot & Bengio's "standard"); "Xavier" is their "normalised" U[+-sqrt(6/(n_in +
    n_out))]; "He" is N(0, 2/n_in); "too small" and "too large" are N(0, (g/sqrt(n_in))**2)
    with the gains g of ``GAINS``.
    """
    _check_choice("init", scheme, INITS)
    rng = np.random.default_rng(seed)
    for layer in (m for m in model.modules() if isinstance(m, nn.Linear)):
        if scheme == "standard":
            init.init_layer_(layer.weight, layer.bias, "default", rng=rng)
            continue
        if scheme == "Xavier":
            init.xavier_uniform_(layer.weight, rng=rng)
        elif scheme == "He":
            init.kaiming_normal_(layer.weight, nonlinearity="relu", rng=rng)
        else:
            init.normal_(layer.weight, 0.0, GAINS[scheme] / math.sqrt(layer.in_features), rng)
        if layer.bias is not None:
            init.zeros_(layer.bias)


class ScaleBranch(nn.Module):
    """y = factor * x: the last step of a residual branch, so the block is x + factor F(x)."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


# The residual choices of the lab: name -> (residual connections, branches scaled by 1/sqrt(L)).
RESIDUALS = {"none": (False, False), "x + F(x)": (True, False), "x + F(x)/√L": (True, True)}


def build_mlp(
    depth: int,
    width: int,
    activation: str = "tanh",
    init: str = "standard",
    norm: str = "none",
    residual: bool = False,
    seed: int = 0,
    n_in: int = N_INPUTS,
    scaled_branches: bool = False,
) -> nn.MLP:
    """An MLP with ``depth`` hidden layers of ``width`` units for the 10 digit classes.

    Each hidden layer is Linear -> [norm] -> activation (``gradlib.nn.MLP``); with
    ``residual=True`` every hidden layer whose input is as wide as its output becomes
    x + layer(x), the branch F = activation(norm(W x + b)) ending in the activation. With
    ``scaled_branches=True`` as well, each block is x + F(x) / sqrt(depth) (the 1/sqrt(L)
    scaling of deep residual networks). The same arguments give the same weights, and a
    deeper network starts with the same first layers as a shallower one of the same width.
    """
    _check_choice("activation", activation, ACTIVATIONS)
    _check_choice("norm", norm, NORMS)
    if scaled_branches and not residual:
        raise ValueError(
            tr("scaled_branches=True scales residual branches: set residual=True too.")
        )
    model = nn.MLP(
        [n_in] + [width] * depth + [N_CLASSES],
        activation=ACTIVATIONS[activation],
        norm=NORMS[norm],
        residual=residual,
        seed=seed,
    )
    initialise_(model, init, seed)
    if scaled_branches:
        for block in (m for m in model.modules() if isinstance(m, nn.Residual)):
            block.block.append(ScaleBranch(1 / math.sqrt(depth)))
    return model


@cache
def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X_train, X_test, y_train, y_test = digits_split()
    for array in (X_train, X_test, y_train, y_test):
        array.flags.writeable = False  # shared by every caller
    return X_train, X_test, y_train, y_test


def training_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,438 training digits of ``gradlib.data.digits_split`` and their labels (read-only)."""
    X_train, _, y_train, _ = _digits()
    return X_train, y_train


def digit_batch(size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """The first ``size`` training digits (pixels in [0, 1]) and their labels (read-only)."""
    X_train, _, y_train, _ = _digits()
    return X_train[:size], y_train[:size]


def test_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 359 held-out digits of ``gradlib.data.digits_split`` (read-only)."""
    _, X_test, _, y_test = _digits()
    return X_test, y_test


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """The share of ``X`` that ``model`` classifies right, in evaluation mode."""
    was_training = model.training
    model.eval()
    with no_grad(), np.errstate(all="ignore"):
        predicted = model(X).data.argmax(axis=1)
    model.train(was_training)
    return float(np.mean(predicted == y))


# ----- section 1: a chain of sigmoid units ---------------------------------------------------


def sigmoid_chain(w: float, depth: int) -> np.ndarray:
    """|dh_L/dh_0| for L = 1..depth in the chain h_l = sigmoid(w h_(l-1) - w/2), h_0 = 1/2.

    The bias -w/2 holds every unit at z = 0, where sigmoid' = 1/4 is largest, so each
    link multiplies the gradient by w/4 exactly: dh_L/dh_0 = (w/4)**L. Computed with
    gradlib's backward, one chain per length.
    """
    grads = []
    for length in range(1, depth + 1):
        h0 = tensor(0.5, requires_grad=True)
        h = h0
        for _ in range(length):
            h = F.sigmoid(w * h - w / 2)
        h.backward()
        grads.append(abs(float(h0.grad)))
    return np.array(grads)


# ----- section 1: the product of Jacobians ---------------------------------------------------


def activation_slope(activation: str, z: np.ndarray) -> np.ndarray:
    """f'(z) for one of ``ACTIVATIONS`` (PyTorch's values at the kinks: relu'(0) = 0)."""
    _check_choice("activation", activation, ACTIVATIONS)
    if activation == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if activation == "tanh":
        return 1 - np.tanh(z) ** 2
    if activation == "ReLU":
        return (z > 0).astype(float)
    if activation == "LeakyReLU":
        return np.where(z > 0, 1.0, 0.01)
    return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))  # ELU, alpha = 1


MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "ReLU": 1.0, "LeakyReLU": 1.0, "ELU": 1.0}


@dataclass
class JacobianProduct:
    """The Jacobians J_l = dh_l/dh_(l-1) = diag(f'(z_l)) W_l of one forward pass, multiplied.

    ``norms[l - 1]`` is the spectral norm (largest singular value) of J_l ... J_1, the
    most that l layers can stretch a gradient passing back through them.
    """

    activation: str
    init: str
    norms: np.ndarray  # (depth,)
    largest_singular_value: float  # of W_l, mean over the layers
    rms_slope: float  # sqrt(mean f'(z)**2) over all units of all layers
    gain: float  # sqrt(n Var[W]): what W does to a typical vector's length
    backward_gap: float  # max |J^T g - gradlib's backward| / max |gradlib's backward|

    @property
    def per_layer(self) -> float:
        """The measured growth per layer: ||J_L ... J_1|| ** (1/L)."""
        return float(self.norms[-1] ** (1 / len(self.norms)))

    @property
    def bound(self) -> float:
        """No layer can stretch more than sigma_max(W) * max |f'|."""
        return self.largest_singular_value * MAX_SLOPE[self.activation]

    @property
    def typical(self) -> float:
        """A typical vector's growth per layer: gain(W) * rms f'."""
        return self.gain * self.rms_slope


def jacobian_products(
    activation: str, init: str, depth: int = 50, width: int = 64, seed: int = 0
) -> JacobianProduct:
    """Multiply the layer Jacobians of a plain MLP on one digit, and check the product
    against gradlib: J^T g must be what ``backward()`` gives for dL/dh_L = g."""
    model = build_mlp(depth, width, activation, init, seed=seed)
    hidden = model.linear_layers()[:-1]
    x = digit_batch(1)[0]  # the first digit: (1, 64)
    h, product = x[0], np.eye(x.shape[1])
    norms, singular, slopes = [], [], []
    for layer in hidden:
        W, b = layer.weight.data, layer.bias.data
        z = W @ h + b
        slope = activation_slope(activation, z)
        product = (slope[:, None] * W) @ product  # J_l (J_(l-1) ... J_1)
        norms.append(np.linalg.norm(product, 2))
        singular.append(np.linalg.norm(W, 2))
        slopes.append(slope)
        h = activate(activation, z)
    # The same chain rule, from gradlib: L = g . h_L, so dL/dx = J^T g.
    g = np.random.default_rng(seed).standard_normal(width)
    x_tensor = tensor(x, requires_grad=True)
    out = model[: len(model) - 1](x_tensor)  # every layer but the output one
    (out * g).sum().backward()
    by_backward = x_tensor.grad[0]
    gap = np.abs(product.T @ g - by_backward).max() / np.abs(by_backward).max()
    fan_var = np.mean([layer.weight.data.var() * layer.in_features for layer in hidden])
    return JacobianProduct(
        activation=activation,
        init=init,
        norms=np.array(norms),
        largest_singular_value=float(np.mean(singular)),
        rms_slope=float(np.sqrt(np.mean(np.concatenate(slopes) ** 2))),
        gain=float(np.sqrt(fan_var)),
        backward_gap=float(gap),
    )


def activate(activation: str, z: np.ndarray) -> np.ndarray:
    """f(z) for one of ``ACTIVATIONS``, on a numpy array (gradlib's module, no graph)."""
    module = nn.ACTIVATIONS[ACTIVATIONS[activation]]()
    return module(z).data


# ----- the profile of one network: per-layer gradients and activations ------------------------


@dataclass
class FlowProfile:
    """One forward and backward pass of a deep MLP on a batch, layer by layer.

    Layers count from the input: hidden layers 1..depth, then the output layer.
    """

    weight_grad: np.ndarray  # ||dL/dW_l|| per Linear layer (depth + 1), as the update sees it
    weight_grad_unclipped: np.ndarray  # the same before clipping
    backprop_grad: np.ndarray  # ||dL/dh_l|| at each hidden layer's output (depth,)
    activation_std: np.ndarray  # std of each hidden layer's output (depth,)
    saturated: np.ndarray  # share of saturated outputs per hidden layer (nan: cannot saturate)
    dead: np.ndarray  # share of dead units per hidden layer (nan: not a ReLU)
    histograms: np.ndarray  # (depth, bins): share of each layer's outputs per bin of HISTOGRAM
    loss: float
    clip_scale: float  # by norm: the factor every gradient was multiplied by (1: untouched)
    clip_angle: float  # degrees between the gradient before and after clipping

    @property
    def first_to_last(self) -> float:
        """||dL/dh_1|| / ||dL/dh_depth||, the back-propagated gradient at the first hidden
        layer against the last: << 1 vanishing, >> 1 exploding toward the input."""
        return float(self.backprop_grad[0] / self.backprop_grad[-1])

    @property
    def weight_first_to_last(self) -> float:
        """||dL/dW_1|| / ||dL/dW_depth|| before clipping: the first hidden layer's update
        against the last hidden layer's (the same layers as ``first_to_last``)."""
        return float(self.weight_grad_unclipped[0] / self.weight_grad_unclipped[-2])

    @property
    def spread(self) -> float:
        """max / min of the back-propagated gradient norms over the hidden layers."""
        return float(self.backprop_grad.max() / self.backprop_grad.min())

    @property
    def saturated_share(self) -> float:
        """The share of saturated outputs over all hidden layers (nan if none can saturate)."""
        return float(np.mean(self.saturated)) if not np.isnan(self.saturated).all() else np.nan

    @property
    def dead_share(self) -> float:
        """The share of dead units over all hidden layers (nan if not ReLU)."""
        return float(np.mean(self.dead)) if not np.isnan(self.dead).all() else np.nan


def gradient_angle(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    """The angle in degrees between two gradients, each a list of arrays read as one vector."""
    a = np.concatenate([g.ravel() for g in before])
    b = np.concatenate([g.ravel() for g in after])
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


CLIPPING = ("none", "by value", "by norm")


def clip_in_place(params: list, clip: str) -> float:
    """Clip the gradients of ``params`` in place ("none", "by value", "by norm"); return the
    factor clipping by norm scaled them by (1 otherwise). Training calls this."""
    _check_choice("clip", clip, CLIPPING)
    if clip == "by norm":
        total = optim.clip_grad_norm_(params, CLIP_MAX_NORM)
        return min(1.0, CLIP_MAX_NORM / (total + 1e-6))
    if clip == "by value":
        optim.clip_grad_value_(params, CLIP_VALUE)
    return 1.0


def clip_gradients(params: list, clip: str) -> tuple[float, float]:
    """``clip_in_place``, and measure it: (the factor clipping by norm scaled the gradients
    by, the angle in degrees clipping turned them)."""
    _check_choice("clip", clip, CLIPPING)
    before = [p.grad.copy() for p in params]
    scale = clip_in_place(params, clip)
    return scale, gradient_angle(before, [p.grad for p in params]) if clip != "none" else 0.0


def gradient_profile(
    depth: int = 20,
    width: int = 64,
    activation: str = "tanh",
    init: str = "standard",
    norm: str = "none",
    residual: bool = False,
    clip: str = "none",
    batch: int = 128,
    seed: int = 0,
    histograms: bool = True,
    scaled_branches: bool = False,
) -> FlowProfile:
    """Build the MLP, run one batch of digits forward and backward with a Recorder on its
    activations, clip the gradients if asked, and return the per-layer numbers
    (``histograms=False`` skips the activation histograms, which are then empty).

    h_l is each hidden layer's output: the activation's output, or for a residual block
    x + F(x), whose gradient is the gradient at F's activation (divided by the branch's
    scale 1/sqrt(depth) when ``scaled_branches``)."""
    model = build_mlp(
        depth, width, activation, init, norm, residual, seed, N_INPUTS, scaled_branches
    )
    X, y = digit_batch(batch)
    rec = Recorder(
        model,
        types=ACTIVATION_MODULES,
        keep_outputs=True,
        histogram=HISTOGRAM if histograms else None,
    )
    with np.errstate(all="ignore"):  # "too large" can overflow: shown as such, not warned
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        params, linear = model.parameters(), model.linear_layers()
        unclipped = np.array([np.linalg.norm(layer.weight.grad) for layer in linear])
        finite = all(np.isfinite(p.grad).all() for p in params)
        scale, angle = clip_gradients(params, clip) if finite else (1.0, 0.0)
        clipped = np.array([np.linalg.norm(layer.weight.grad) for layer in linear])
        backprop = np.array(list(rec.output_grad_stats("norm").values()))
    if scaled_branches:  # dL/d(activation) = scale * dL/dh inside a scaled branch
        in_branch = np.array([".block." in name for name in rec.layers])
        backprop = np.where(in_branch, backprop * math.sqrt(depth), backprop)
    stats = rec.activations
    return FlowProfile(
        weight_grad=clipped,
        weight_grad_unclipped=unclipped,
        backprop_grad=backprop,
        activation_std=np.array([stats[n]["std"][-1] for n in rec.layers]),
        saturated=np.array([stats[n].get("saturated_fraction", [np.nan])[-1] for n in rec.layers]),
        dead=np.array([stats[n].get("dead_fraction", [np.nan])[-1] for n in rec.layers]),
        histograms=np.array([h[-1] / h[-1].sum() for h in rec.histograms.values()]).reshape(
            -1, HISTOGRAM[2]
        ),
        loss=float(loss.item()),
        clip_scale=scale,
        clip_angle=angle,
    )


# ----- section 2: Nielsen's experiment ---------------------------------------------------------

# Nielsen, Neural Networks and Deep Learning, ch. 5: ||dC/db_l|| per hidden layer at
# initialisation, sigmoid nets on MNIST (see REFERENCES.md).
NIELSEN_PUBLISHED = {
    3: (0.012, 0.060, 0.283),  # [784, 30, 30, 30, 10]
    4: (0.003, 0.017, 0.070, 0.285),  # [784, 30, 30, 30, 30, 10]
}
NIELSEN_WIDTH, NIELSEN_IMAGES = 30, 1000


def nielsen_net(hidden_layers: int, seed: int = 0) -> nn.MLP:
    """Nielsen's network2 on the digits: [64, 30, ..., 30, 10] sigmoid units, weights
    N(0, 1/n_in), biases N(0, 1)."""
    model = build_mlp(hidden_layers, NIELSEN_WIDTH, "sigmoid", seed=seed)
    rng = np.random.default_rng(seed)
    for layer in model.linear_layers():
        init.normal_(layer.weight, 0.0, 1 / math.sqrt(layer.in_features), rng)
        init.normal_(layer.bias, 0.0, 1.0, rng)
    return model


def nielsen_cost(model: nn.Module, X: np.ndarray, y: np.ndarray):
    """Nielsen's cross-entropy cost: sigmoid outputs, -sum_j [y_j ln a_j + (1-y_j) ln(1-a_j)]
    over the 10 outputs, averaged over the images (from logits, stably)."""
    one_hot = np.eye(N_CLASSES)[y]
    return F.binary_cross_entropy_with_logits(model(X), one_hot, reduction="sum") / len(X)


def nielsen_bias_gradients(model: nn.Module, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """||dC/db_l|| for each hidden layer l (Nielsen's ||delta^l||), C averaged over X."""
    model.zero_grad()
    nielsen_cost(model, X, y).backward()
    return np.array([np.linalg.norm(layer.bias.grad) for layer in model.linear_layers()[:-1]])


def nielsen_gradients(hidden_layers: int, seeds: range = range(10)) -> np.ndarray:
    """Per-layer ||dC/db_l|| at initialisation on the first 1,000 training digits, one row
    per random initialisation: shape (len(seeds), hidden_layers)."""
    X, y = digit_batch(NIELSEN_IMAGES)
    return np.array([nielsen_bias_gradients(nielsen_net(hidden_layers, s), X, y) for s in seeds])


@dataclass
class NielsenTraining:
    bias_grad: np.ndarray  # (epochs, layers): ||dC/db_l|| on the 1,000 images, before each step
    bias_moved: np.ndarray  # ||b_l(end) - b_l(start)|| of every Linear layer, output layer last
    test_accuracy: float
    classes_predicted: int  # how many different digits the trained net predicts on the test set


def nielsen_step(
    model: nn.Module, X: np.ndarray, y: np.ndarray, lr: float, l2: float
) -> np.ndarray:
    """One step of Nielsen's network2 on all of X (one mini-batch of n = len(X) images):
    w <- (1 - lr l2 / n) w - lr dC/dw, b <- b - lr dC/db, C his cost averaged over X.
    Returns each hidden layer's ||dC/db_l|| before the step."""
    norms = nielsen_bias_gradients(model, X, y)  # also leaves dC/dw in .grad
    with no_grad():
        for layer in model.linear_layers():  # his L2 penalty (l2 / 2n) ||w||^2: weights only
            layer.weight.data = (1 - lr * l2 / len(X)) * layer.weight.data - lr * layer.weight.grad
            layer.bias.data = layer.bias.data - lr * layer.bias.grad
    return norms


# Nielsen's script for his chapter 5 plots (fig/generate_gradient.py in his repository
# mnielsen/neural-networks-and-deep-learning) trains on the first 1,000 MNIST images with
# net.SGD(training_data, 1, 1000, 0.1, lmbda=5.0) per epoch, 500 epochs: one gradient step per
# epoch on all 1,000 images (a mini-batch of 1,000), eta 0.1, L2 lambda 5, and records the
# bias gradients before each step.
NIELSEN_TRAINING = {"epochs": 500, "lr": 0.1, "l2": 5.0}


def train_nielsen(
    hidden_layers: int = 4,
    epochs: int = NIELSEN_TRAINING["epochs"],
    lr: float = NIELSEN_TRAINING["lr"],
    l2: float = NIELSEN_TRAINING["l2"],
    seed: int = 0,
) -> NielsenTraining:
    """Nielsen's chapter 5 training on the 1,000 digits: each epoch one full-batch gradient
    step, w <- (1 - lr l2 / n) w - lr dC/dw and b <- b - lr dC/db (his network2 with
    mini-batch size n = 1,000), recording each hidden layer's ||dC/db_l|| before the step."""
    X, y = digit_batch(NIELSEN_IMAGES)
    model = nielsen_net(hidden_layers, seed)
    linear = model.linear_layers()
    start = [layer.bias.data.copy() for layer in linear]
    history = [nielsen_step(model, X, y, lr, l2) for _ in range(epochs)]
    moved = [np.linalg.norm(layer.bias.data - b0) for layer, b0 in zip(linear, start)]
    X_test, y_test = test_digits()
    with no_grad():
        predicted = model(X_test).data.argmax(axis=1)
    return NielsenTraining(
        np.array(history),
        np.array(moved),
        float(np.mean(predicted == y_test)),
        int(np.unique(predicted).size),
    )


# ----- section 3: Glorot & Bengio's statistics --------------------------------------------------


@dataclass
class LayerStatistics:
    """Per-layer statistics of a deep tanh net at initialisation (median over seeds)."""

    init: str
    backprop_std: np.ndarray  # std of dL/dz_l at each hidden layer's pre-activation
    weight_grad_std: np.ndarray  # std of the entries of dL/dW_l, hidden layers
    activation_std: np.ndarray  # std of each hidden layer's tanh output
    saturated: np.ndarray  # share of outputs with |tanh| >= 0.99
    backprop_samples: list[np.ndarray]  # dL/dz_l of the first seed, for histograms
    activation_histograms: np.ndarray  # (layers, bins) shares over [-1, 1] of the first seed


def glorot_statistics(
    init: str,
    activation: str = "tanh",
    hidden_layers: int = 5,
    width: int = 256,
    batch: int = 256,
    seeds: range = range(5),
    bins: int = 50,
) -> LayerStatistics:
    """Glorot & Bengio's experiment on the digits: a deep net (5 hidden layers of tanh in
    their paper, 1000 units; here 256) at initialisation, one batch, per layer."""
    X, y = digit_batch(batch)
    rows = []
    for seed in seeds:
        model = build_mlp(hidden_layers, width, activation, init, seed=seed)
        linear = set(model.linear_layers())
        types = (nn.Linear, nn.ACTIVATIONS[ACTIVATIONS[activation]])
        rec = Recorder(model, types=types, keep_outputs=True, histogram=(-1.0, 1.0, bins))
        F.cross_entropy(model(X), y).backward()
        modules = dict(model.named_modules())
        pre = [n for n in rec.layers if modules[n] in linear][:-1]  # hidden pre-activations
        post = [n for n in rec.layers if modules[n] not in linear]
        stats = rec.output_grad_stats("std")
        rows.append(
            {
                "backprop": [stats[n] for n in pre],
                "weight": [layer.weight.grad.std() for layer in model.linear_layers()[:-1]],
                "activation": [rec.activations[n]["std"][-1] for n in post],
                "saturated": [rec.activations[n]["saturated_fraction"][-1] for n in post],
                "samples": [rec.outputs[n].grad.ravel().copy() for n in pre],
                "histograms": [rec.histograms[n][-1] / rec.histograms[n][-1].sum() for n in post],
            }
        )

    def median(key: str) -> np.ndarray:
        return np.median(np.array([row[key] for row in rows]), axis=0)

    return LayerStatistics(
        init=init,
        backprop_std=median("backprop"),
        weight_grad_std=median("weight"),
        activation_std=median("activation"),
        saturated=median("saturated"),
        backprop_samples=rows[0]["samples"],
        activation_histograms=np.array(rows[0]["histograms"]),
    )
