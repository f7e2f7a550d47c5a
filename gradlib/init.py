"""Weight initialisers (as ``torch.nn.init``): how large the starting weights are.

The scale of the initial weights decides whether signals and gradients keep
their size through a deep network or shrink/grow layer by layer (notebook 05).
Every scheme draws from a zero-mean distribution whose spread depends on the
layer's fans:

- fan_in: inputs feeding one output unit; fan_out: outputs fed by one input.
  A Linear weight (out, in) has fan_in = in, fan_out = out; a Conv2d weight
  (out, in, kh, kw) has fan_in = in * kh * kw, fan_out = out * kh * kw.

- ``default_uniform_``: Glorot's "standard" init, PyTorch's Linear/Conv default:
  U[-1/sqrt(fan_in), 1/sqrt(fan_in)], so Var[w] = 1 / (3 fan_in).
- ``xavier_uniform_`` (Glorot's "normalised" init): U[-b, b] with
  b = gain sqrt(6 / (fan_in + fan_out)), so Var[w] = gain^2 2 / (fan_in + fan_out).
- ``xavier_normal_``: N(0, std^2) with the same variance.
- ``kaiming_uniform_`` (He): U[-b, b] with b = gain sqrt(3 / fan_in), Var[w] = gain^2 / fan_in.
- ``kaiming_normal_`` (He): N(0, std^2) with std = gain / sqrt(fan_in); for ReLU
  (gain sqrt(2)) Var[w] = 2 / fan_in.

Each function fills ``tensor.data`` in place (no graph is recorded) and returns
the tensor. ``rng`` is a ``numpy.random.Generator`` or an int seed; the global
``np.random`` state is never used.
"""

from __future__ import annotations

import math

import numpy as np

from gradlib.engine import Tensor

__all__ = [
    "SCHEMES",
    "calculate_gain",
    "default_uniform_",
    "fan_in_and_fan_out",
    "init_layer_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

Rng = int | np.random.Generator | None


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for a nonlinearity (``torch.nn.init.calculate_gain``).

    A nonlinearity changes the variance of what passes through it; the gain
    undoes that so activations keep their scale. ReLU zeroes half of a symmetric
    input, halving the second moment, hence sqrt(2).

    linear, conv, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);
    leaky_relu with negative slope a (default 0.01): sqrt(2 / (1 + a^2)).
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of 'linear', "
        "'conv2d', 'sigmoid', 'tanh', 'relu', 'leaky_relu'."
    )


def fan_in_and_fan_out(tensor: Tensor | np.ndarray) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in) or (out, in, *kernel)."""
    shape = np.shape(tensor.data if isinstance(tensor, Tensor) else tensor)
    if len(shape) < 2:
        raise ValueError(
            f"fan_in_and_fan_out: a weight needs at least 2 dimensions (out, in, ...), got "
            f"shape {shape}. A bias has no fan of its own: initialise it with uniform_ or "
            "zeros_ using its layer's fan_in."
        )
    receptive_field = int(np.prod(shape[2:]))  # 1 for a Linear weight
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Write ``values`` into the tensor's array in place, keeping its dtype."""
    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"init: expected a Tensor or Parameter (e.g. layer.weight), "
            f"got {type(tensor).__name__}."
        )
    tensor.data[...] = values
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, rng: Rng = None) -> Tensor:
    """Fill with U[a, b] (PyTorch's default range is [0, 1])."""
    return _fill(tensor, np.random.default_rng(rng).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, rng: Rng = None) -> Tensor:
    """Fill with N(mean, std^2)."""
    return _fill(tensor, np.random.default_rng(rng).normal(mean, std, tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros (the usual start for a bias)."""
    return _fill(tensor, 0.0)


def default_uniform_(tensor: Tensor, rng: Rng = None) -> Tensor:
    """U[-1/sqrt(fan_in), 1/sqrt(fan_in)]: Glorot & Bengio's "standard" initialisation.

    It is what ``nn.Linear`` and ``nn.Conv2d`` use by default in PyTorch (written
    there as ``kaiming_uniform_(w, a=sqrt(5))``, which gives the same bound).
    Var[w] = 1 / (3 fan_in), so each layer scales the variance of a signal by
    about 1/3 (times the activation's effect): it shrinks with depth.
    """
    fan_in, _ = fan_in_and_fan_out(tensor)
    bound = 1.0 / math.sqrt(fan_in)
    return uniform_(tensor, -bound, bound, rng)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng: Rng = None) -> Tensor:
    """U[-b, b] with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot's "normalised" init).

    Var[w] = gain^2 * 2 / (fan_in + fan_out): a compromise between keeping the
    forward signal (Var = 1/fan_in) and the backward gradient (Var = 1/fan_out)
    at constant variance through a linear (or tanh near 0) network.
    """
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng: Rng = None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)): xavier_uniform_'s variance."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, rng)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}.")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: Rng = None,
) -> Tensor:
    """U[-b, b] with b = sqrt(3) * gain / sqrt(fan) (He et al. 2015), as PyTorch.

    ``a`` is the negative slope of a leaky ReLU; the defaults (a = 0, leaky_relu)
    give ReLU's gain sqrt(2), so Var[w] = 2 / fan_in.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: Rng = None,
) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan) (He et al. 2015): Var[w] = 2 / fan_in for ReLU.

    With this variance the second moment of a ReLU network's pre-activations
    stays the same from layer to layer, however deep the network.
    """
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng)


SCHEMES = (
    "default",
    "normal",
    "uniform",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
)


def init_layer_(
    weight: Tensor,
    bias: Tensor | None,
    scheme: str = "default",
    scale: float | None = None,
    rng: Rng = None,
) -> None:
    """Initialise one layer's weight and bias by the name of a scheme (used by nn.Linear/Conv2d).

    - ``"default"``: weight and bias U[-1/sqrt(fan_in), 1/sqrt(fan_in)], as PyTorch.
    - ``"normal"``: weight N(0, scale^2); ``"uniform"``: weight U[-scale, scale]
      (``scale`` defaults to 1.0; make it large or small to see gradients explode
      or vanish).
    - ``"xavier_uniform"``, ``"xavier_normal"``: gain 1 (Glorot's formula as published).
    - ``"kaiming_uniform"``, ``"kaiming_normal"``: ReLU's gain, Var[w] = 2 / fan_in
      (He's formula, whatever the activation, so its effect on e.g. tanh can be seen).

    Every scheme except ``"default"`` starts the bias at zero, so only the weights
    set the scale.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"init: unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}.")
    if scale is not None and scheme not in ("normal", "uniform"):
        raise ValueError(
            f"init: scale sets the spread of 'normal' and 'uniform' only; scheme {scheme!r} "
            "computes its own from the layer's fans. Pass scale=None."
        )
    rng = np.random.default_rng(rng)
    scale = 1.0 if scale is None else float(scale)
    if scheme == "default":
        default_uniform_(weight, rng)
    elif scheme == "normal":
        normal_(weight, 0.0, scale, rng)
    elif scheme == "uniform":
        uniform_(weight, -scale, scale, rng)
    elif scheme == "xavier_uniform":
        xavier_uniform_(weight, 1.0, rng)
    elif scheme == "xavier_normal":
        xavier_normal_(weight, 1.0, rng)
    elif scheme == "kaiming_uniform":
        kaiming_uniform_(weight, nonlinearity="relu", rng=rng)
    else:
        kaiming_normal_(weight, nonlinearity="relu", rng=rng)
    if bias is not None:
        if scheme == "default":
            bound = 1.0 / math.sqrt(fan_in_and_fan_out(weight)[0])
            uniform_(bias, -bound, bound, rng)
        else:
            zeros_(bias)
