"""Layers and models (as ``torch.nn``): Module, Parameter, Linear, Conv2d, ..., MLP.

A ``Module`` holds Parameters (the tensors an optimiser updates) and other
Modules (its children), and computes ``forward(x)``. Calling ``model(x)`` runs
``forward`` and then the module's forward hooks. Children and parameters are
registered by assigning them as attributes in ``__init__``::

    class TwoLayer(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(64, 32)      # registered as a child
            self.out = Linear(32, 10)

        def forward(self, x):
            return self.out(F.relu(self.hidden(x)))

    TwoLayer().named_parameters()   # [('hidden.weight', ...), ('hidden.bias', ...), ...]

Each layer's maths lives in ``gradlib.functional``; a module only stores the
parameters and passes them in. Every layer takes an ``rng`` (a
``numpy.random.Generator`` or an int seed) for its initial weights, and ``MLP``
takes a ``seed``, so a model can be rebuilt identically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from gradlib import functional as F
from gradlib.engine import HookHandle, Tensor, as_tensor
from gradlib.init import init_layer_

__all__ = [
    "ELU",
    "GELU",
    "MLP",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "Flatten",
    "HookHandle",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MaxPool2d",
    "Module",
    "Parameter",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "Softplus",
    "Tanh",
]

Rng = int | np.random.Generator | None


class Parameter(Tensor):
    """A Tensor that a Module learns: ``requires_grad=True``, floating point.

    Assigning one to a Module attribute registers it, so ``module.parameters()``
    (and so an optimiser) finds it. Integer data is converted to float64.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True):
        array = np.asarray(data.data if isinstance(data, Tensor) else data)
        if array.dtype.kind != "f":
            array = array.astype(np.float64)
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model.

    Attributes:
        training: True in training mode (the default), False after ``eval()``.
            BatchNorm uses batch statistics in training and running ones in eval.

    Registration is explicit and small: ``__setattr__`` files an attribute whose
    value is a Parameter under ``_parameters`` and one whose value is a Module
    under ``_modules``; ``register_buffer`` files state that is not learned (such as
    BatchNorm's running mean) under ``_buffers``. Everything else is an ordinary
    attribute.
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ bypasses our __setattr__, which needs these to exist.
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_forward_hooks", [])
        self.training = True

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign {name!r} before Module.__init__ has run; "
                "call super().__init__() first thing in your __init__."
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._buffers.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._buffers.pop(name, None)
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def add_module(self, name: str, module: Module) -> None:
        """Register a child under a name that need not be an identifier (Sequential uses "0")."""
        if not isinstance(module, Module):
            raise TypeError(
                f"add_module: {name!r} must be a Module, got {type(module).__name__}; "
                "wrap a function in a Module subclass with a forward method."
            )
        if "." in name or name == "":
            raise ValueError(f"add_module: module name {name!r} must be non-empty without dots.")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def register_buffer(self, name: str, tensor: Tensor) -> None:
        """Register state that is saved with the model but not learned (no gradient)."""
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> HookHandle:
        """Call ``hook(module, inputs, output)`` after every forward (as PyTorch).

        ``inputs`` is the tuple of positional arguments. If the hook returns
        something other than None, that replaces the output. Hooks run in the
        order they were registered; ``handle.remove()`` takes one off again.
        """
        self._forward_hooks.append(hook)
        return HookHandle(self._forward_hooks, hook)

    # ----- running ----------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward method; define forward(self, x) to say "
            "what the module computes."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        output = self.forward(*args, **kwargs)
        for hook in self._forward_hooks:
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ----- walking the tree --------------------------------------------------------
    def named_children(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())

    def children(self) -> list[Module]:
        return list(self._modules.values())

    def named_modules(self, prefix: str = "") -> list[tuple[str, Module]]:
        """This module (name ``prefix``, "" at the top) and all below it, with dotted names.

        A module reachable along two paths is listed once, under its first name.
        """
        found: list[tuple[str, Module]] = []
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            found.append((name, module))
            children = [
                (f"{name}.{child}" if name else child, m) for child, m in module._modules.items()
            ]
            stack.extend(reversed(children))  # reversed so the first child is visited first
        return found

    def modules(self) -> list[Module]:
        return [m for _, m in self.named_modules()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """Every parameter with its dotted path, e.g. ``('0.weight', ...)``; shared ones once."""
        found: list[tuple[str, Parameter]] = []
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    found.append((f"{module_name}.{name}" if module_name else name, p))
        return found

    def parameters(self) -> list[Parameter]:
        """Every parameter, in a fixed order (a list: PyTorch returns a one-use generator)."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, Tensor]]:
        found = []
        for module_name, module in self.named_modules():
            for name, b in module._buffers.items():
                found.append((f"{module_name}.{name}" if module_name else name, b))
        return found

    def buffers(self) -> list[Tensor]:
        return [b for _, b in self.named_buffers()]

    # ----- modes and gradients ------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every module below it; returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): BatchNorm uses its running statistics."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the gradients of all parameters (set ``.grad`` to None, as PyTorch)."""
        for p in self.parameters():
            p.grad = None

    # ----- printing -------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown inside ``Name(...)``; layers override it."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules:
            return head + ")"
        lines = [
            f"({name}): {module!r}".replace("\n", "\n  ") for name, module in self._modules.items()
        ]
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _check_last_axis(layer: str, x: Tensor, expected: int, what: str) -> None:
    if x.ndim == 0 or x.shape[-1] != expected:
        raise ValueError(
            f"{layer}: input has shape {x.shape}, but its last axis must be {what} = {expected}. "
            "Check the layer sizes (or flatten images first with nn.Flatten())."
        )


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, (int, np.integer)) else tuple(value)


# ----- layers with weights -------------------------------------------------------------


class Linear(Module):
    """y = x W^T + b (``F.linear``), with PyTorch's layout.

    Shapes: x (N, in_features) (or (..., in_features)) -> y (N, out_features);
    weight (out_features, in_features), bias (out_features,).

    ``init`` names a scheme from ``gradlib.init.SCHEMES``; "default" is PyTorch's
    U[-1/sqrt(in_features), 1/sqrt(in_features)] for weight and bias (Glorot's
    "standard" initialisation). ``init_scale`` is the spread of "normal" and
    "uniform" (see ``gradlib.init.init_layer_``).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "default",
        init_scale: float | None = None,
        rng: Rng = None,
    ) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.zeros((out_features, in_features)))
        self.bias = Parameter(np.zeros(out_features)) if bias else None
        init_layer_(self.weight, self.bias, init, init_scale, rng)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        _check_last_axis("Linear", x, self.in_features, "in_features")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Conv2d(Module):
    """2-D cross-correlation of images with learned filters (``F.conv2d``).

    Shapes: x (N, in_channels, H, W) -> y (N, out_channels, H_out, W_out) with
    H_out = (H + 2 padding - kernel_h) // stride + 1 (W likewise);
    weight (out_channels, in_channels, kernel_h, kernel_w), bias (out_channels,).
    Default init as PyTorch: U[-1/sqrt(fan_in), 1/sqrt(fan_in)], fan_in =
    in_channels * kernel_h * kernel_w.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        init: str = "default",
        init_scale: float | None = None,
        rng: Rng = None,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride, self.padding = stride, padding
        self.weight = Parameter(np.zeros((out_channels, in_channels, *self.kernel_size)))
        self.bias = Parameter(np.zeros(out_channels)) if bias else None
        init_layer_(self.weight, self.bias, init, init_scale, rng)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d: input has shape {x.shape}, expected (N, {self.in_channels}, H, W): "
                f"a batch of images with in_channels = {self.in_channels} channels. A batch of "
                "flat 8x8 images X of shape (N, 64) becomes X.reshape(-1, 1, 8, 8)."
            )
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}"
        )


# ----- pooling ----------------------------------------------------------------------------


class MaxPool2d(Module):
    """The largest value in each window (``F.max_pool2d``); stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Any) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean of each window (``F.avg_pool2d``); stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x: Any) -> Tensor:
        return F.avg_pool2d(
            x, self.kernel_size, self.stride, self.padding, count_include_pad=self.count_include_pad
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


# ----- normalisation ------------------------------------------------------------------------


class _BatchNorm(Module):
    """Shared code of BatchNorm1d and BatchNorm2d (``F.batch_norm``).

    In training mode each channel is normalised with the mean and biased
    variance of the batch, and the running estimates are updated in place:
    running = (1 - momentum) * running + momentum * batch statistic (the variance
    unbiased, as PyTorch). In eval mode the running estimates are used, so the
    output for one example does not depend on the rest of the batch.
    ``affine=True`` adds a learned scale ``weight`` (gamma, ones) and shift
    ``bias`` (beta, zeros) per channel.
    """

    expected_dims: tuple[int, ...] = ()
    layout = ""

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ) -> None:
        super().__init__()
        self.num_features, self.affine = num_features, affine
        self.eps, self.momentum = eps, momentum
        self.weight = Parameter(np.ones(num_features)) if affine else None
        self.bias = Parameter(np.zeros(num_features)) if affine else None
        self.register_buffer("running_mean", Tensor(np.zeros(num_features)))
        self.register_buffer("running_var", Tensor(np.ones(num_features)))

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        name = type(self).__name__
        if x.ndim not in self.expected_dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: input has shape {x.shape}, expected {self.layout} with C = "
                f"num_features = {self.num_features}."
            )
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) features or (N, C, L) sequences, per channel C."""

    expected_dims = (2, 3)
    layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images, per channel C (statistics over N, H, W)."""

    expected_dims = (4,)
    layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalise each example over its last axes (``F.layer_norm``); no batch statistics.

    ``normalized_shape`` is the shape of those last axes (an int for one axis).
    Training and eval behave the same. ``elementwise_affine=True`` adds a learned
    ``weight`` (ones) and ``bias`` (zeros) of that shape.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape)) if elementwise_affine else None

    def forward(self, x: Any) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


# ----- activations and shapes ---------------------------------------------------------------


class ReLU(Module):
    """max(x, 0), elementwise (``F.relu``)."""

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x (``F.leaky_relu``)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1) (``F.elu``)."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)) (``F.sigmoid``); its slope is at most 1/4."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x) (``F.tanh``); its slope is at most 1."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class GELU(Module):
    """x Phi(x), Phi the standard normal CDF (``F.gelu``); approximate='tanh' for the tanh form."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, x where beta x > threshold (``F.softplus``): a smooth ReLU."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Flatten(Module):
    """Merge axes start_dim..end_dim into one: (N, C, H, W) -> (N, C * H * W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# ----- containers ----------------------------------------------------------------------------


class Sequential(Module):
    """Modules applied one after another; children are named "0", "1", ...

    ``model[i]`` is a layer, ``model[a:b]`` a Sequential of some layers (sharing
    their parameters), ``len(model)`` and ``for layer in model`` work as for a list.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self

    def __getitem__(self, index: int | slice) -> Module:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x


class Residual(Module):
    """A skip connection around ``block``: y = x + block(x) (He et al. 2016).

    dy/dx = I + J_block: the identity carries the gradient past the block
    unchanged, so it cannot vanish there even when J_block is tiny. The block
    must keep the shape of x.
    """

    def __init__(self, block: Module) -> None:
        super().__init__()
        self.block = block

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        out = self.block(x)
        if out.shape != x.shape:
            raise ValueError(
                f"Residual: the block maps shape {x.shape} to {out.shape}, but x + block(x) "
                "needs the block to keep the shape; wrap only layers whose input and output "
                "widths are equal."
            )
        return x + out


ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
}
NORMS: dict[str, type[Module]] = {"batch": BatchNorm1d, "layer": LayerNorm}


class MLP(Sequential):
    """A multilayer perceptron built from a list of widths, e.g. ``MLP([64, 128, 128, 10])``.

    Each hidden layer is Linear -> [norm] -> activation; the last layer is a
    Linear with no activation (it outputs logits). With ``residual=True`` a
    hidden layer whose input and output widths are equal becomes
    ``Residual(Sequential(Linear, [norm], activation))``. So [64, 128, 128, 10]
    with the defaults is Linear(64, 128), ReLU, Linear(128, 128), ReLU,
    Linear(128, 10), with parameter names "0.weight", "0.bias", "2.weight", ...

    Args:
        sizes: layer widths, input first and output last (at least two).
        activation: "relu", "leaky_relu", "elu", "sigmoid" or "tanh".
        init: a scheme of ``gradlib.init.SCHEMES`` for every Linear ("default" is
            PyTorch's; see ``gradlib.init.init_layer_``).
        norm: None, "batch" (BatchNorm1d) or "layer" (LayerNorm), after each hidden Linear.
        residual: wrap equal-width hidden layers in skip connections.
        seed: int or Generator for the initial weights; the same seed builds the
            same network.
        init_scale: std of init="normal", half-width of init="uniform" (default 1.0).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        init: str = "default",
        norm: str | None = None,
        residual: bool = False,
        seed: Rng = None,
        init_scale: float | None = None,
    ) -> None:
        super().__init__()
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"MLP: sizes must list at least an input and an output width, all positive, "
                f"got {sizes}; e.g. [64, 128, 10]."
            )
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"MLP: unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}."
            )
        if norm is not None and norm not in NORMS:
            raise ValueError(f"MLP: norm must be None, 'batch' or 'layer', got {norm!r}.")
        self.sizes, self.activation, self.init, self.norm = sizes, activation, init, norm
        self.residual = residual
        rng = np.random.default_rng(seed)
        for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
            layers = [Linear(n_in, n_out, init=init, init_scale=init_scale, rng=rng)]
            if norm is not None:
                layers.append(NORMS[norm](n_out))
            layers.append(ACTIVATIONS[activation]())
            if residual and n_in == n_out:
                self.append(Residual(Sequential(*layers)))
            else:
                for layer in layers:
                    self.append(layer)
        self.append(Linear(sizes[-2], sizes[-1], init=init, init_scale=init_scale, rng=rng))

    def linear_layers(self) -> list[Linear]:
        """The Linear layers in order, input side first (e.g. to plot per-layer gradients)."""
        return [m for m in self.modules() if isinstance(m, Linear)]
