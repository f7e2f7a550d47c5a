"""Notebook 05, the remedies: each one in one experiment, with what it fixes and what not.

- clipping: ``train_exploding`` runs a network whose gradients explode, with and without
  clipping (by norm or by value) or a weight penalty; ``one_step_sizes`` measures one
  exploding step under each remedy;
- the ReLU family: ``activation_family`` (gradients across 50 layers at each activation's
  own initialisation) and ``dead_units`` (ReLUs that stop after a large step);
- BatchNorm: ``batchnorm_backward_by_hand`` (the backward pass derived in the notebook,
  step by step), ``fold_batchnorm`` (BatchNorm at inference is an affine map),
  ``batch_dependence`` (in training a sample's output depends on its batch-mates);
- residual connections: ``residual_jacobian`` (the block Jacobian I + J_F) and
  ``stream_sizes`` (how large the sum x + F(x) + ... grows over 50 blocks);
- ``depth_table``: every remedy across 50 layers, for several activations, with
  ``normalised_growth`` (and ``bn_growth_prediction``, its ReLU + BatchNorm case in closed
  form): the growth per layer that BatchNorm or LayerNorm alone gives each activation;
- ``train_deep``: a deep ReLU net with and without BatchNorm; its ``nudge`` changes the last
  bits of the pixels, as another processor's rounding would, and ``DeepRun.ends_like`` tells
  whether a run still ends as the notebook prints it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from gradlib import functional as F
from gradlib import init, nn, optim
from gradlib.data import batches
from gradlib.engine import Context, no_grad, tensor
from gradlib.language import tr
from gradlib.lessons import nudged
from gradlib.lessons.gradient_flow.maths import (
    RECOMMENDED_INIT,
    accuracy,
    activate,
    activation_slope,
    build_mlp,
    clip_gradients,
    clip_in_place,
    digit_batch,
    gradient_angle,
    gradient_profile,
    test_digits,
    training_digits,
)
from gradlib.normalization import BatchNorm

# ----- gradient clipping and weight penalties ---------------------------------------------------


def training_batches(
    steps: int, batch_size: int = 64, seed: int = 1, drop_last: bool = False, nudge: float = 0.0
):
    """Yield ``steps`` minibatches (X, y) of the training digits, epoch after epoch, each
    epoch in a new order drawn from one generator seeded with ``seed``. ``nudge`` multiplies
    every pixel by (1 + nudge z), z drawn from a fixed normal generator: with nudge = 1e-15
    it changes only the last bits, as another processor's rounding would."""
    X_train, y_train = training_digits()
    X_train = nudged(X_train, nudge)
    order = np.random.default_rng(seed)
    taken = 0
    while True:
        for batch in batches(X_train, y_train, batch_size, seed=order, drop_last=drop_last):
            if taken == steps:
                return
            taken += 1
            yield batch


# The exploding network: 8 ReLU layers of 64 with weights N(0, (2.5 / sqrt(n))**2), 1.8 times
# He's scale, so every layer stretches the signal (and the gradient) about 1.8 times.
EXPLODING = {"depth": 8, "width": 64, "gain": 2.5, "lr": 0.05, "steps": 300, "batch": 64}
WEIGHT_DECAY = 1e-3  # lambda of the L2 penalty (lambda/2)||w||^2, and of the L1 penalty


def exploding_net(seed: int = 0) -> nn.MLP:
    """``EXPLODING``'s network: ReLU, no normalisation, weights N(0, gain**2 / fan_in)."""
    model = build_mlp(EXPLODING["depth"], EXPLODING["width"], "ReLU", "He", seed=seed)
    rng = np.random.default_rng(seed)
    for layer in model.linear_layers():
        init.normal_(layer.weight, 0.0, EXPLODING["gain"] / math.sqrt(layer.in_features), rng)
    return model


@dataclass
class TrainingRun:
    losses: np.ndarray  # the training loss at every step taken (the last may be inf or nan)
    grad_norms: np.ndarray  # the gradient's norm before any clipping, per step
    blew_up_at: int | None  # the step whose loss was no longer finite, if any
    test_accuracy: float
    weight_norm: float  # ||all Linear weights|| at the end

    def ends_like(self, other: TrainingRun) -> bool:
        """Whether two runs end alike as notebook 05 prints them: blown up at the same step,
        or the same last loss to 2 decimals and the same test accuracy to 1%."""

        def printed(run: TrainingRun) -> tuple[int | None, str, str]:
            return run.blew_up_at, f"{run.losses[-1]:.2f}", f"{100 * run.test_accuracy:.0f}"

        return printed(self) == printed(other)


def train_exploding(
    clip: str = "none",
    weight_decay: float = 0.0,
    l1: float = 0.0,
    steps: int | None = None,
    seed: int = 0,
    nudge: float = 0.0,
) -> TrainingRun:
    """SGD on the digits with ``EXPLODING``'s network and learning rate.

    ``clip``: "none", "by norm" (the whole gradient to norm <= ``CLIP_MAX_NORM`` = 1) or
    "by value" (every entry into [-``CLIP_VALUE``, ``CLIP_VALUE``] = [-0.004, 0.004]), as
    ``maths.clip_gradients``. ``weight_decay``: lambda of the L2 penalty
    (SGD's weight_decay, the gradient of (lambda/2)||w||^2); ``l1``: lambda of the L1
    penalty lambda sum|w| (its gradient lambda sign(w)). The run stops at the first step
    whose loss is not finite: that is the explosion. ``nudge`` changes the last bits of the
    pixels (see ``training_batches``).
    """
    steps = EXPLODING["steps"] if steps is None else steps
    model = exploding_net(seed)
    opt = optim.SGD(model.parameters(), lr=EXPLODING["lr"], weight_decay=weight_decay)
    weights = [layer.weight for layer in model.linear_layers()]
    losses, norms, blew_up_at = [], [], None
    with np.errstate(all="ignore"):  # the explosion is the experiment: no warnings
        for xb, yb in training_batches(steps, EXPLODING["batch"], seed + 1, nudge=nudge):
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            if l1:
                loss = loss + l1 * optim.l1_penalty(weights)
            losses.append(loss.item())
            if not np.isfinite(losses[-1]):
                blew_up_at = len(losses) - 1
                break
            loss.backward()
            norms.append(_total_norm(model.parameters()))
            clip_in_place(model.parameters(), clip)
            opt.step()
        weight_norm = _total_norm([w.data for w in weights])
    return TrainingRun(
        np.array(losses), np.array(norms), blew_up_at, accuracy(model, *test_digits()), weight_norm
    )


def _total_norm(arrays) -> float:
    """The norm of several arrays (or of Tensors' gradients) read as one long vector."""
    parts = [a.grad if hasattr(a, "grad") and not isinstance(a, np.ndarray) else a for a in arrays]
    return float(math.sqrt(sum(float(np.sum(np.square(p))) for p in parts)))


@dataclass
class OneStep:
    """The size of the first update of the exploding network under each remedy."""

    gradient_norm: float  # ||dL/dw|| over all parameters
    plain: float  # ||lr g||
    l2: float  # ||lr (g + lambda w)||
    l1: float  # ||lr (g + lambda sign(w))||
    clipped: float  # ||lr clip_by_norm(g)||
    weight_norm: float  # ||w||, for scale
    angle_by_norm: float  # degrees between g and g clipped by norm
    angle_by_value: float  # degrees between g and g clipped by value


def one_step_sizes(seed: int = 0) -> OneStep:
    """One step of the exploding network on its first batch, with each remedy applied."""
    xb, yb = next(training_batches(1, EXPLODING["batch"], seed + 1))
    model = exploding_net(seed)
    params = model.parameters()
    F.cross_entropy(model(xb), yb).backward()
    g = [p.grad.copy() for p in params]
    w = [p.data for p in params]
    lr, lam = EXPLODING["lr"], WEIGHT_DECAY
    by_norm, by_value = _clipped(params, g, "by norm"), _clipped(params, g, "by value")
    return OneStep(
        gradient_norm=_total_norm(g),
        plain=lr * _total_norm(g),
        l2=lr * _total_norm([gi + lam * wi for gi, wi in zip(g, w)]),
        l1=lr * _total_norm([gi + lam * np.sign(wi) for gi, wi in zip(g, w)]),
        clipped=lr * _total_norm(by_norm),
        weight_norm=_total_norm(w),
        angle_by_norm=gradient_angle(g, by_norm),
        angle_by_value=gradient_angle(g, by_value),
    )


def _clipped(params, grads: list[np.ndarray], clip: str) -> list[np.ndarray]:
    """Copies of ``grads`` clipped as ``clip_gradients`` clips (gradlib's optim functions)."""
    for p, g in zip(params, grads):
        p.grad = g.copy()
    clip_gradients(params, clip)
    return [p.grad.copy() for p in params]


def steps_to_halve(lr: float, weight_decay: float) -> float:
    """How many steps weight decay alone takes to halve a weight: w <- (1 - lr lambda) w."""
    return math.log(2) / -math.log1p(-lr * weight_decay)


# ----- the ReLU family ------------------------------------------------------------------------


@dataclass
class FamilyRow:
    activation: str
    init: str
    first_to_last: float  # back-propagated ||dL/dh_1|| / ||dL/dh_depth||
    spread: float  # max / min of the back-propagated norms over the layers
    saturated: float  # share of saturated outputs (nan: cannot saturate)
    dead: float  # share of dead units (nan: not ReLU)
    positive: float  # share of units with z > 0
    slope_one_if_positive: float  # among those, the share whose slope f'(z) is exactly 1
    largest_slope: float  # the largest f'(z) of any unit


def activation_family(depth: int = 50, width: int = 64) -> list[FamilyRow]:
    """Each activation with the initialisation derived for it (Xavier for sigmoid and tanh,
    He for the ReLU family), ``depth`` layers, one batch of digits."""
    rows = []
    for activation, scheme in RECOMMENDED_INIT.items():
        profile = gradient_profile(depth, width, activation, scheme)
        z = _pre_activations(build_mlp(depth, width, activation, scheme))
        slopes = activation_slope(activation, z)
        rows.append(
            FamilyRow(
                activation,
                scheme,
                profile.first_to_last,
                profile.spread,
                profile.saturated_share,
                profile.dead_share,
                float(np.mean(z > 0)),
                float(np.mean(slopes[z > 0] == 1.0)),
                float(slopes.max()),
            )
        )
    return rows


def _pre_activations(model: nn.MLP) -> np.ndarray:
    """z of every hidden unit on the default batch of digits, as one flat array."""
    found = []

    def keep(module, inputs, output):
        found.append(output.data.ravel())

    handles = [layer.register_forward_hook(keep) for layer in model.linear_layers()[:-1]]
    model(digit_batch()[0])
    for handle in handles:
        handle.remove()
    return np.concatenate(found)


@dataclass
class DeadUnits:
    lr: float
    dead_before: float  # share of hidden ReLU units silent on all training digits, at the start
    dead_after: float  # after the training
    test_accuracy: float


def dead_units(lr: float, steps: int = 100, depth: int = 4, width: int = 64) -> DeadUnits:
    """Train a He-initialised ReLU net with plain SGD at learning rate ``lr``; count the
    units that output 0 on every one of the 1,438 training digits, before and after."""
    X_train, _ = training_digits()
    model = build_mlp(depth, width, "ReLU", "He")
    before = _dead_share(model, X_train)
    opt = optim.SGD(model.parameters(), lr=lr)
    with np.errstate(all="ignore"):
        for xb, yb in training_batches(steps, 64, seed=0):
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    return DeadUnits(lr, before, _dead_share(model, X_train), accuracy(model, *test_digits()))


def _dead_share(model: nn.MLP, X: np.ndarray) -> float:
    from gradlib.recorder import Recorder

    rec = Recorder(model, types=(nn.ReLU,))
    with np.errstate(all="ignore"):
        model(X)
    rec.remove()
    return float(np.mean(list(rec.last("dead_fraction").values())))


# ----- BatchNorm ------------------------------------------------------------------------------


def batchnorm_backward_by_hand(
    x: np.ndarray, gamma: np.ndarray, grad: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dx, dL/dgamma, dL/dbeta of y = gamma x_hat + beta in training, for x of shape
    (N, C), one line per step of the derivation (statistics over the batch axis 0):

        mu = mean(x),  var = mean((x - mu)**2),  s = sqrt(var + eps),  x_hat = (x - mu) / s
        dL/dbeta  = sum_i g_i
        dL/dgamma = sum_i g_i x_hat_i
        dL/dx_k   = (gamma / s) (g_k - mean_i g_i - x_hat_k mean_i(g_i x_hat_i))
    """
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    s = np.sqrt(var + eps)
    x_hat = (x - mu) / s
    d_beta = grad.sum(axis=0)
    d_gamma = (grad * x_hat).sum(axis=0)
    d_x = gamma / s * (grad - grad.mean(axis=0) - x_hat * (grad * x_hat).mean(axis=0))
    return d_x, d_gamma, d_beta


def batchnorm_backward_by_gradlib(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, grad: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same three gradients from gradlib's ``BatchNorm.backward``, called on arrays."""
    ctx = Context()
    BatchNorm.forward(ctx, x, None, None, gamma, beta, training=True, eps=eps)
    return BatchNorm.backward(ctx, grad)


def fold_batchnorm(linear: nn.Linear, bn: nn.BatchNorm1d) -> tuple[np.ndarray, np.ndarray]:
    """Linear followed by BatchNorm in evaluation mode, as one Linear: (W', b') with

        BN(W x + b) = gamma (W x + b - mean) / sqrt(var + eps) + beta = W' x + b',
        W' = diag(a) W,  b' = a (b - mean) + beta,  a = gamma / sqrt(var + eps)

    (mean and var: BatchNorm's running estimates).
    """
    a = bn.weight.data / np.sqrt(bn.running_var.data + bn.eps)
    W = a[:, None] * linear.weight.data
    b = a * (linear.bias.data - bn.running_mean.data) + bn.bias.data
    return W, b


@dataclass
class BatchDependence:
    """One sample's BatchNorm output in training mode, inside two different batches."""

    in_first_batch: np.ndarray
    in_second_batch: np.ndarray
    in_eval_mode: tuple[np.ndarray, np.ndarray]  # the same sample in both batches, eval mode
    scaled_batch_gap: float  # max |BN(2 X) - BN(X)| in training: BN ignores the batch's scale
    midpoint_gap: float  # max |BN((X + Y)/2) - (BN(X) + BN(Y))/2| in training: not affine
    midpoint_gap_eval: float  # the same in evaluation mode (0 up to rounding: affine)


def batch_dependence(features: int = 4, batch: int = 8, seed: int = 0) -> BatchDependence:
    """Put sample 0 in two batches that differ only in the other samples; then test
    whether BatchNorm, as a function of the whole batch, keeps midpoints (an affine map
    A(X) = a X + b does: A((X + Y)/2) = (A(X) + A(Y))/2), in training and in evaluation mode.
    The running statistics used in evaluation mode are BatchNorm's starting ones (0 and 1)
    updated by the two training batches: any fixed values would do."""
    rng = np.random.default_rng(seed)
    sample = rng.standard_normal((1, features))
    first = np.vstack([sample, rng.standard_normal((batch - 1, features))])
    second = np.vstack([sample, 3 + 2 * rng.standard_normal((batch - 1, features))])
    bn = nn.BatchNorm1d(features)
    outputs = [bn(first).data[0], bn(second).data[0]]
    middle = (first + second) / 2
    bn.eval()
    evaluated = (bn(first).data[0], bn(second).data[0])
    eval_gap = _midpoint_gap(bn, first, second, middle)
    bn.train()
    twice = bn(2 * first).data
    return BatchDependence(
        outputs[0],
        outputs[1],
        evaluated,
        float(np.abs(twice - bn(first).data).max()),
        _midpoint_gap(bn, first, second, middle),
        eval_gap,
    )


def _midpoint_gap(bn, first: np.ndarray, second: np.ndarray, middle: np.ndarray) -> float:
    """max |BN(midpoint) - midpoint of BN(first), BN(second)|: 0 for an affine map."""
    return float(np.abs(bn(middle).data - (bn(first).data + bn(second).data) / 2).max())


def bn_growth_prediction() -> float:
    """Gradient growth per layer of a wide ReLU + BatchNorm net at initialisation,
    sqrt(pi / (pi - 1)) = 1.211 (Yang et al. 2019 give pi / (pi - 1) for the squared norm):
    ``normalised_growth("ReLU", "BatchNorm")`` in closed form. relu' passes half the units,
    rms relu'(z) = 1/sqrt(2); BatchNorm divides by the batch standard deviation of relu(z),
    sqrt((pi - 1) / (2 pi)) for z ~ N(0, 1), smaller than its root mean square 1/sqrt(2)
    because a ReLU's output has a mean, which the batch standard deviation leaves out."""
    return math.sqrt(math.pi / (math.pi - 1))


# ----- residual connections -------------------------------------------------------------------


@dataclass
class ResidualJacobian:
    block: np.ndarray  # d(x + F(x))/dx, from gradlib's backward, one row per output
    branch: np.ndarray  # dF/dx alone
    gap: float  # max |block - (I + branch)|


def residual_jacobian(width: int = 6, seed: int = 0) -> ResidualJacobian:
    """The Jacobian of one residual block y = x + tanh(W x + b), row by row from backward."""
    branch = nn.Sequential(nn.Linear(width, width, rng=seed), nn.Tanh())
    block = nn.Residual(branch)
    x = np.random.default_rng(seed).standard_normal(width)

    def jacobian(module) -> np.ndarray:
        rows = []
        for i in range(width):
            xt = tensor(x, requires_grad=True)
            module(xt)[i].backward()
            rows.append(xt.grad)
        return np.array(rows)

    J, J_F = jacobian(block), jacobian(branch)
    return ResidualJacobian(J, J_F, float(np.abs(J - (np.eye(width) + J_F)).max()))


# ----- every remedy across depth ----------------------------------------------------------------

# name -> (normalisation, residual connections, branches scaled by 1/sqrt(depth))
ARCHITECTURES = {
    "plain": ("none", False, False),
    "BatchNorm": ("BatchNorm", False, False),
    "LayerNorm": ("LayerNorm", False, False),
    "residual": ("none", True, False),
    "residual, branches/√L": ("none", True, True),
    "residual + BatchNorm": ("BatchNorm", True, False),
    "residual + LayerNorm": ("LayerNorm", True, False),
}
FLAT = 10.0  # "flat": every layer's gradient norm within a factor 10 of every other's


@dataclass
class DepthResult:
    """One cell of ``depth_table``: medians over the random draws."""

    spread: float  # max / min of ||dL/dh_l|| over the hidden layers
    per_layer: float  # growth toward the input: (||dL/dh_1|| / ||dL/dh_L||) ** (1 / (L - 1))


def depth_table(
    activations=("sigmoid", "tanh", "ReLU", "ELU"),
    depth: int = 50,
    width: int = 64,
    init: str = "standard",
    seeds: range = range(3),
) -> dict[tuple[str, str], DepthResult]:
    """{(activation, architecture): DepthResult} for every architecture of ``ARCHITECTURES``:
    the spread of the back-propagated gradient norms ||dL/dh_l|| over the ``depth`` hidden
    layers, and their growth per layer toward the input (medians over ``seeds``)."""
    table = {}
    for activation in activations:
        for name, (norm, residual, scaled) in ARCHITECTURES.items():
            profiles = [
                gradient_profile(
                    depth,
                    width,
                    activation,
                    init,
                    norm,
                    residual,
                    seed=s,
                    histograms=False,
                    scaled_branches=scaled,
                )
                for s in seeds
            ]
            table[activation, name] = DepthResult(
                float(np.median([p.spread for p in profiles])),
                float(np.median([p.first_to_last ** (1 / (depth - 1)) for p in profiles])),
            )
    return table


def normalised_growth(activation: str, norm: str) -> float:
    """The predicted growth per layer, toward the input, of ||dL/dh|| in a deep MLP whose
    hidden layers are h = f(N(W h_prev)) with N BatchNorm or LayerNorm, at initialisation:

        BatchNorm: rms f'(z) / std f(z)     LayerNorm: rms f'(z) / rms f(z)     z ~ N(0, 1)

    Back through one layer: f' scales the gradient by rms f'(z) (z is standardised, so about
    N(0, 1)); W^T stretches it by the weights' gain s; the normaliser divides it by the size of
    W h_prev that it removed, s std(h_prev) over the batch (BatchNorm) or s rms(h_prev) over
    the features (LayerNorm: W turns h's mean into a spread over the units). The gain cancels.
    Expectations over z ~ N(0, 1) by the midpoint rule on a fine grid.
    """
    if norm not in ("BatchNorm", "LayerNorm"):
        raise ValueError(tr("norm must be BatchNorm or LayerNorm; got {norm!r}.", norm=norm))
    edges = np.linspace(-12.0, 12.0, 200_001)
    z = (edges[1:] + edges[:-1]) / 2  # midpoints: the kinks at 0 fall on an edge, not a point
    weight = np.exp(-(z**2) / 2)
    weight /= weight.sum()
    slope = activation_slope(activation, z)
    h = activate(activation, z)
    rms_slope = math.sqrt(np.sum(weight * slope**2))
    second = np.sum(weight * h**2)
    mean = np.sum(weight * h)
    size = math.sqrt(second - mean**2) if norm == "BatchNorm" else math.sqrt(second)
    return rms_slope / size


def stream_sizes(
    activation: str = "ReLU",
    depth: int = 50,
    width: int = 64,
    blocks: tuple[int, ...] = (1, 10, 25, 50),
) -> dict[str, np.ndarray]:
    """The size (root mean square over the batch of 128 digits) of the residual stream
    x_l = x_(l-1) + F(x_(l-1)) after the given blocks, at initialisation, for the residual
    architectures of ``ARCHITECTURES`` (PyTorch's default initialisation)."""
    X, _ = digit_batch()
    sizes = {}
    for name, (norm, residual, scaled) in ARCHITECTURES.items():
        if not residual:
            continue
        model = build_mlp(depth, width, activation, "standard", norm, True, 0, 64, scaled)
        outputs = _residual_outputs(model, X)
        sizes[name] = np.array([np.sqrt(np.mean(outputs[b - 1] ** 2)) for b in blocks])
    return sizes


def _residual_outputs(model: nn.Module, X: np.ndarray) -> list[np.ndarray]:
    """The output x + F(x) of every residual block of ``model`` on X, in order."""
    outputs = []
    for block in (m for m in model.modules() if isinstance(m, nn.Residual)):
        block.register_forward_hook(lambda module, inputs, out: outputs.append(out.data))
    with no_grad():
        model(X)
    return outputs


# ----- C8: does a deep ReLU net need BatchNorm? ------------------------------------------------


class DeepRun(NamedTuple):
    """What ``train_deep`` gives back: the last training loss and the test accuracy."""

    loss: float
    test_accuracy: float

    def ends_like(self, other: DeepRun) -> bool:
        """Whether two runs end alike as notebook 05 prints them: the same training loss to
        2 decimals and the same test accuracy to 0.1%."""
        return (f"{self.loss:.2f}", f"{self.test_accuracy:.1%}") == (
            f"{other.loss:.2f}",
            f"{other.test_accuracy:.1%}",
        )


# The C8 net has 10 layers: at 20, with SGD + momentum at learning rate 0.01, training is
# chaotic with and without BatchNorm (a last-bit nudge of the pixels changes how it ends).
def train_deep(
    norm: str = "none",
    depth: int = 10,
    width: int = 64,
    steps: int = 300,
    lr: float = 0.01,
    seed: int = 0,
    nudge: float = 0.0,
) -> DeepRun:
    """A ``depth``-layer ReLU net, He-initialised, trained with SGD + momentum 0.9 on
    batches of 64 training digits; returns (last training loss, test accuracy). ``nudge``
    changes the last bits of the pixels (see ``training_batches``)."""
    model = build_mlp(depth, width, "ReLU", "He", norm, seed=seed)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss = None
    for xb, yb in training_batches(steps, 64, seed + 1, drop_last=True, nudge=nudge):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    return DeepRun(float(loss.item()), accuracy(model, *test_digits()))
