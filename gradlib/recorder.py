"""Inspecting training: per-layer activation statistics and per-parameter gradient norms.

To see *why* a network learns slowly (saturated sigmoids, dead ReLUs, gradients
that shrink toward the input), record what each layer outputs on the forward
pass and how large each parameter's gradient is after backward::

    rec = Recorder(model)                 # hooks every layer of the model
    loss = F.cross_entropy(model(X), y)   # each layer's output statistics are recorded
    loss.backward()
    rec.last("std")        # {'0': 0.61, '1': 0.35, ...}: std of each layer's output
    rec.grad_norms()       # {'0.weight': 0.012, '0.bias': 0.004, ...}
    rec.remove()           # take the hooks off again

For the flow of gradients through a deep network (notebook 05) it also gives, per
layer, the share of saturated units (Sigmoid, Tanh, ELU) and of dead ones (ReLU),
a histogram of the outputs (``histogram=(low, high, bins)``), the size of the
back-propagated gradient dL/d(output) (``keep_outputs=True``, then
``output_grad_stats()``) and the norm of each layer's weight gradient
(``weight_grad_norms()``)::

    rec = Recorder(model, types=(nn.Tanh,), keep_outputs=True, histogram=(-2, 2, 40))
    F.cross_entropy(model(X), y).backward()
    rec.last("saturated_fraction")       # {'1': 0.0, '3': 0.02, ...}
    rec.output_grad_stats("norm")        # {'1': 3e-4, '3': 1e-3, ...}: ||dL/d(output)||
    rec.histograms["1"][-1]              # 40 counts of the latest forward
    rec.weight_grad_norms()              # {'0': 2e-3, '2': 5e-3, ...}: ||dL/dW|| per Linear

Everything comes back as plain dicts and lists of floats keyed by the layer or
parameter names of ``model.named_modules()`` / ``named_parameters()``, ready to plot.
The recording uses ``Module.register_forward_hook``: after a layer's forward,
its hook list is run, and the Recorder's hook computes the statistics.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from gradlib.engine import Tensor
from gradlib.nn import ELU, HookHandle, Linear, Module, ReLU, Sigmoid, Tanh

__all__ = ["Recorder", "activation_stats", "histogram_counts"]


def activation_stats(
    values: Any, module: Module | None = None, saturation: float = 0.99
) -> dict[str, float]:
    """Summary statistics of one layer's output, as floats.

    - ``mean``, ``std``: over all entries (std with divisor n, as ``np.std``).
    - ``zero_fraction``: the share of entries that are exactly 0 (for ReLU: the
      units that pass no gradient for this input).
    - ``saturated_fraction``, only for Sigmoid, Tanh and ELU modules: the share of
      outputs within ``1 - saturation`` of the ends of the range, where the slope
      is nearly zero: |a| >= 0.99 for tanh, |2a - 1| >= 0.99 (a <= 0.005 or
      a >= 0.995) for sigmoid with the default. (Sigmoid(x) = (1 + tanh(x/2)) / 2,
      so both mark the same depth into the flat tails.) ELU saturates on its
      negative side only, towards -alpha: a <= -0.99 alpha, where its slope
      alpha e^x = a + alpha is below 0.01 alpha.
    - ``dead_fraction``, only for ReLU modules and outputs with a batch axis: the
      share of units (every position but the batch axis 0) that output 0 for every
      example of the batch. Such a unit passes no gradient at all for this batch,
      so its incoming weights do not change: a "dead" ReLU.
    """
    values = np.asarray(values.data if isinstance(values, Tensor) else values, dtype=np.float64)
    if values.size == 0:
        raise ValueError(
            "activation_stats: the layer output is empty; there is nothing to summarise."
        )
    stats = {
        "mean": float(values.mean()),
        "std": float(values.std()),
        "zero_fraction": float(np.mean(values == 0)),
    }
    if isinstance(module, Tanh):
        stats["saturated_fraction"] = float(np.mean(np.abs(values) >= saturation))
    elif isinstance(module, Sigmoid):
        stats["saturated_fraction"] = float(np.mean(np.abs(2 * values - 1) >= saturation))
    elif isinstance(module, ELU):
        stats["saturated_fraction"] = float(np.mean(values <= -saturation * module.alpha))
    elif isinstance(module, ReLU) and values.ndim >= 2:
        silent = np.all(values.reshape(len(values), -1) == 0, axis=0)
        stats["dead_fraction"] = float(np.mean(silent))
    return stats


def histogram_counts(values: Any, low: float, high: float, bins: int) -> np.ndarray:
    """How many entries of ``values`` fall in each of ``bins`` equal bins from low to high.

    Values below ``low`` count in the first bin and values above ``high`` in the last,
    so nothing is lost off the ends (a plot can mark the end bins "<= low", ">= high");
    nan values are not counted. Returns int64 counts, shape (bins,).
    """
    if not high > low or bins < 1:
        raise ValueError(
            f"histogram_counts: need low < high and bins >= 1, got low={low}, high={high}, "
            f"bins={bins}."
        )
    values = np.asarray(values.data if isinstance(values, Tensor) else values).ravel()
    values = values[~np.isnan(values)]
    # The bin of v is floor((v - low) / width); clipping first keeps inf and huge values
    # in the end bins (and away from an integer overflow).
    position = (np.clip(values, low, high) - low) * (bins / (high - low))
    index = np.minimum(position.astype(np.int64), bins - 1)
    return np.bincount(index, minlength=bins)


class Recorder:
    """Record per-layer output statistics on every forward, and gradient norms on request.

    Args:
        model: the Module to watch.
        types: record only modules of these classes (e.g. ``(nn.Sigmoid,)`` for the
            activations, ``(nn.Linear,)`` for the pre-activations). By default every
            leaf module (one without children) is recorded.
        saturation: threshold for ``saturated_fraction`` (see ``activation_stats``).
        keep_outputs: also keep each recorded layer's latest output Tensor in
            ``outputs[name]`` (for histograms) and mark it with ``retain_grad()``, so
            after ``backward()`` its ``.grad`` holds dL/d(output) (the back-propagated
            gradient at that layer; see ``output_grad_stats``).
        histogram: ``(low, high, bins)``: also count each recorded layer's outputs in
            ``bins`` equal bins from low to high on every forward (see
            ``histogram_counts``), in ``histograms``.

    Attributes:
        layers: the recorded layer names, in forward order of the model's tree.
        activations: ``{layer: {stat: [one float per forward call]}}``.
        grad_history: ``{parameter: [one float per record_grads() call]}``.
        outputs: ``{layer: latest output Tensor}`` when ``keep_outputs=True``.
        histograms: ``{layer: [counts per forward call]}`` when ``histogram`` is given.
    """

    def __init__(
        self,
        model: Module,
        types: tuple[type[Module], ...] | None = None,
        saturation: float = 0.99,
        keep_outputs: bool = False,
        histogram: tuple[float, float, int] | None = None,
    ) -> None:
        self.model, self.saturation, self.keep_outputs = model, saturation, keep_outputs
        if histogram is not None:
            histogram_counts([], *histogram)  # checks the range and the number of bins
        self.histogram = histogram
        self.enabled = True
        self.layers: list[str] = []
        self.activations: dict[str, dict[str, list[float]]] = {}
        self.grad_history: dict[str, list[float]] = {}
        self.outputs: dict[str, Tensor] = {}
        self.histograms: dict[str, list[np.ndarray]] = {}
        self._handles: list[HookHandle] = []
        for name, module in model.named_modules():
            wanted = isinstance(module, types) if types is not None else not module.children()
            if wanted:
                name = name or type(module).__name__  # the model itself, if it is one layer
                self.layers.append(name)
                self.activations[name] = {}
                self._handles.append(module.register_forward_hook(self._make_hook(name)))
        if not self.layers:
            raise ValueError(
                f"Recorder: no module of {model!r} matches types={types}; nothing to record."
            )

    def _make_hook(self, name: str):
        def hook(module: Module, inputs: tuple, output: Any) -> None:
            if not self.enabled:
                return
            for stat, value in activation_stats(output, module, self.saturation).items():
                self.activations[name].setdefault(stat, []).append(value)
            if self.histogram is not None:
                counts = histogram_counts(output, *self.histogram)
                self.histograms.setdefault(name, []).append(counts)
            if self.keep_outputs and isinstance(output, Tensor):
                if output.requires_grad:
                    output.retain_grad()
                self.outputs[name] = output

        return hook

    def last(self, stat: str = "std") -> dict[str, float]:
        """``{layer: value}`` of one statistic from the latest forward pass."""
        found = {name: s[stat][-1] for name, s in self.activations.items() if s.get(stat)}
        if not found:
            available = sorted({k for s in self.activations.values() for k in s})
            raise KeyError(
                f"Recorder.last: no layer has recorded {stat!r} (run a forward pass first; "
                f"recorded statistics: {available or 'none yet'})."
            )
        return found

    def grad_norms(self) -> dict[str, float]:
        """``{parameter name: ||grad||_2}`` for every parameter that has a gradient now."""
        return {
            name: float(np.linalg.norm(p.grad.ravel()))
            for name, p in self.model.named_parameters()
            if p.grad is not None
        }

    def weight_grad_norms(self, types: tuple[type[Module], ...] = (Linear,)) -> dict[str, float]:
        """``{layer name: ||dL/dW||_2}`` for each module of ``types`` whose weight has a
        gradient now, in the model's order: the size of each layer's update, input side first.
        """
        return {
            name: float(np.linalg.norm(module.weight.grad.ravel()))
            for name, module in self.model.named_modules()
            if isinstance(module, types) and module.weight.grad is not None
        }

    def output_grad_stats(self, stat: str = "norm") -> dict[str, float]:
        """``{layer: value}`` of the back-propagated gradient dL/d(output) of each recorded
        layer, after ``backward()`` (needs ``keep_outputs=True``).

        ``stat`` is "norm" (the 2-norm of the whole (N, ...) gradient), "std" (over its
        entries, as Glorot & Bengio 2010 plot it) or "mean_abs".
        """
        reducers = {
            "norm": lambda g: np.linalg.norm(g.ravel()),
            "std": np.std,
            "mean_abs": lambda g: np.mean(np.abs(g)),
        }
        if stat not in reducers:
            raise ValueError(
                f"Recorder.output_grad_stats: unknown stat {stat!r}; use one of {list(reducers)}."
            )
        if not self.keep_outputs:
            raise ValueError(
                "Recorder.output_grad_stats: the outputs were not kept; make the Recorder "
                "with keep_outputs=True to see dL/d(output) at each layer."
            )
        found = {
            name: float(reducers[stat](out.grad))
            for name, out in self.outputs.items()
            if out.grad is not None
        }
        if not found:
            raise KeyError(
                "Recorder.output_grad_stats: no recorded output has a gradient yet; run a "
                "forward pass and backward() on a loss first."
            )
        return found

    def record_grads(self) -> dict[str, float]:
        """Append the current gradient norms to ``grad_history`` and return them."""
        norms = self.grad_norms()
        for name, value in norms.items():
            self.grad_history.setdefault(name, []).append(value)
        return norms

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Within ``with rec.paused():`` forward passes are not recorded (e.g. evaluation)."""
        previous, self.enabled = self.enabled, False
        try:
            yield
        finally:
            self.enabled = previous

    def clear(self) -> None:
        """Forget everything recorded so far (the hooks stay)."""
        self.activations = {name: {} for name in self.layers}
        self.grad_history, self.outputs, self.histograms = {}, {}, {}

    def remove(self) -> None:
        """Take the hooks off the model; the recorded numbers stay readable."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()
