"""Notebook 03, the maths: the order of the forward and backward passes, observed with
hooks; forward mode against reverse mode (counted multiply-adds); and snapshots of a
decision boundary recorded during training."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradlib import functional as F
from gradlib.activations import softmax_array
from gradlib.engine import Context, Function, Tensor, no_grad, tensor, topological_order
from gradlib.language import display_width, tr


def below(value: float, floor: float = 1e-15) -> str:
    """``"< 1e-9"``: the smallest power of ten above ``value`` (at least ``floor``).

    Differences between two correct gradients are round-off, whose last digits
    depend on the machine's BLAS; a bound prints the same everywhere.
    """
    bound = max(floor, 10.0 ** np.ceil(np.log10(max(value, 1e-300))))
    if bound == value:
        bound *= 10
    return f"< {bound:.0e}"


# ----- the two passes, observed ----------------------------------------------------


def mlp_loss(X: np.ndarray, target: np.ndarray, W1: Any, b1: Any, W2: Any, b2: Any) -> Tensor:
    """The notebook's MLP: mean cross-entropy of relu(X W1 + b1) W2 + b2, as a gradlib graph.

    X (N, D), target (N,) class indices, W1 (D, M), b1 (M,), W2 (M, C), b2 (C,).
    """
    Z2 = F.relu(tensor(X) @ W1 + b1) @ W2 + b2
    return -F.log_softmax(Z2, dim=1)[np.arange(len(target)), target].mean()


@dataclass
class PassOrder:
    """What one forward and one backward pass of the MLP did, in order.

    ``forward``: the names of the tensors in the order the forward pass computed them;
    ``backward``: the names in the order ``backward()`` finished their gradients (a hook
    on each tensor notes it); ``inputs``: each computed tensor's named inputs, read off
    the recorded graph; ``grads``: the gradients of the four weights.
    """

    forward: list[str]
    backward: list[str]
    inputs: dict[str, list[str]]
    loss: float
    grads: dict[str, np.ndarray]

    def each_gradient_once(self) -> bool:
        """Every tensor of the forward pass had its gradient finished exactly once."""
        return sorted(self.backward) == sorted(self.forward)

    def gradient_before_inputs(self) -> bool:
        """Each tensor's gradient was finished before the gradients of its inputs."""
        finished = {name: k for k, name in enumerate(self.backward)}
        return all(finished[name] < finished[i] for name, ins in self.inputs.items() for i in ins)


def observe_passes(
    X: np.ndarray, target: np.ndarray, W1: Any, b1: Any, W2: Any, b2: Any
) -> PassOrder:
    """Run the MLP forward and backward once, noting when each named tensor is computed
    (forward) and when its gradient is complete (``register_hook``, as in PyTorch: the
    engine calls the hook the moment the tensor's whole gradient is known)."""
    forward: list[str] = []
    backward: list[str] = []
    named: dict[int, str] = {}

    def watch(name: str, t: Tensor) -> Tensor:
        forward.append(name)
        named[id(t)] = name
        t.register_hook(lambda grad: backward.append(name))
        return t

    weights = {
        name: watch(name, tensor(value, requires_grad=True))
        for name, value in zip(("W1", "b1", "W2", "b2"), (W1, b1, W2, b2))
    }
    XW1 = watch("X@W1", tensor(X) @ weights["W1"])
    Z1 = watch("Z1", XW1 + weights["b1"])
    H = watch("H", F.relu(Z1))
    HW2 = watch("H@W2", H @ weights["W2"])
    Z2 = watch("Z2", HW2 + weights["b2"])
    log_p = watch("log_p", F.log_softmax(Z2, dim=1))
    picked = watch("picked", log_p[np.arange(len(target)), target])
    mean = watch("mean", picked.mean())
    loss = watch("L", -mean)
    if backward:
        raise RuntimeError("observe_passes: a gradient was finished before backward() ran")
    inputs = {}
    for t in (XW1, Z1, H, HW2, Z2, log_p, picked, mean, loss):
        parents = t._node.parents
        inputs[named[id(t)]] = [named[id(p)] for p in parents if id(p) in named]
    loss.backward()
    grads = {name: w.grad.copy() for name, w in weights.items()}
    return PassOrder(forward, backward, inputs, loss.item(), grads)


# ----- forward mode vs reverse mode ------------------------------------------------


def _counted_matmul(a: np.ndarray, b: np.ndarray, macs: list[int]) -> np.ndarray:
    """a @ b for 2-D arrays, adding its m * k * n multiply-adds to ``macs[0]``."""
    macs[0] += a.shape[0] * a.shape[1] * b.shape[1]
    return a @ b


def mlp_loss_jvp(
    X: np.ndarray,
    target: np.ndarray,
    params: list[np.ndarray],
    tangents: list[np.ndarray],
    macs: list[int] | None = None,
) -> tuple[float, float]:
    """The MLP's loss and its derivative along ``tangents``, in one forward pass.

    Forward mode with dual numbers: every quantity v travels with a tangent v_dot,
    the derivative of v along the chosen direction in parameter space (the
    tangents of W1, b1, W2, b2). Each rule is the product rule with e**2 = 0:
    (a + e a_dot)(b + e b_dot) = ab + e (a b_dot + a_dot b).

        Z1 = X W1 + b1       Z1_dot = X W1_dot + b1_dot                  (N, M)
        H  = relu(Z1)        H_dot  = [Z1 > 0] * Z1_dot                  (N, M)
        Z2 = H W2 + b2       Z2_dot = H_dot W2 + H W2_dot + b2_dot       (N, C)
        L  = mean_i -log softmax(Z2)[i, target_i]
                             L_dot  = sum((softmax(Z2) - T) / N * Z2_dot)

    T is the one-hot target (N, C). With the tangent of a single weight set to 1
    (all others 0), L_dot is dL/d(that weight): one pass per weight. ``macs`` (a
    one-element list) accumulates the multiply-adds of the five matrix products.
    """
    if macs is None:
        macs = [0]
    W1, b1, W2, b2 = params
    W1_dot, b1_dot, W2_dot, b2_dot = tangents
    Z1 = _counted_matmul(X, W1, macs) + b1
    Z1_dot = _counted_matmul(X, W1_dot, macs) + b1_dot
    H = np.maximum(Z1, 0.0)
    H_dot = (Z1 > 0) * Z1_dot
    Z2 = _counted_matmul(H, W2, macs) + b2
    Z2_dot = _counted_matmul(H_dot, W2, macs) + _counted_matmul(H, W2_dot, macs) + b2_dot
    P = softmax_array(Z2, axis=1)
    n = len(target)
    loss = -np.mean(np.log(P[np.arange(n), target]))
    T = np.eye(Z2.shape[1])[target]
    return float(loss), float(np.sum((P - T) / n * Z2_dot))


def forward_mode_gradient(
    X: np.ndarray, target: np.ndarray, params: list[np.ndarray]
) -> tuple[list[np.ndarray], int, int]:
    """The full gradient by forward mode: one ``mlp_loss_jvp`` pass per parameter entry.

    Returns (gradients shaped like ``params``, number of passes, multiply-adds).
    """
    macs = [0]
    grads = [np.zeros_like(p) for p in params]
    passes = 0
    for k, p in enumerate(params):
        for index in np.ndindex(p.shape):
            tangents = [np.zeros_like(q) for q in params]
            tangents[k][index] = 1.0
            _, grads[k][index] = mlp_loss_jvp(X, target, params, tangents, macs)
            passes += 1
    return grads, passes, macs[0]


@dataclass
class GradientCosts:
    """Multiply-adds of the full gradient of MLPs of several hidden widths."""

    widths: list[int]
    sizes: list[int]  # the number of weights of each
    reverse: list[int]  # one forward and one backward pass
    forward: list[int]  # forward mode: one pass per weight
    finite_differences: list[int]  # two forward passes per weight


def gradient_costs_by_width(
    X: np.ndarray, target: np.ndarray, widths: list[int], classes: int = 2, seed: int = 1
) -> GradientCosts:
    """``reverse_mode_cost`` and ``forward_mode_gradient`` for a 2-layer MLP of each hidden
    width (random weights from ``default_rng(seed)``, zero biases)."""
    rng = np.random.default_rng(seed)
    costs = GradientCosts(list(widths), [], [], [], [])
    for width in widths:
        arrays = [
            rng.standard_normal((X.shape[1], width)),
            np.zeros(width),
            rng.standard_normal((width, classes)),
            np.zeros(classes),
        ]
        size = sum(a.size for a in arrays)
        leaves = [tensor(a, requires_grad=True) for a in arrays]
        graph = reverse_mode_cost(mlp_loss(X, target, *leaves))
        _, _, forward_macs = forward_mode_gradient(X, target, arrays)
        costs.sizes.append(size)
        costs.reverse.append(graph.forward_macs + graph.backward_macs)
        costs.forward.append(forward_macs)
        costs.finite_differences.append(2 * size * graph.forward_macs)
    return costs


@dataclass
class ReverseModeCost:
    """What the recorded graph of a loss costs forward and backward."""

    ops: Counter = field(default_factory=Counter)  # op name -> how many (forward = backward calls)
    forward_macs: int = 0  # multiply-adds of the matrix products, forward
    backward_macs: int = 0  # and backward (one product per input that needs a gradient)


def reverse_mode_cost(loss: Tensor) -> ReverseModeCost:
    """Count the ops in ``loss``'s graph and the multiply-adds of its matrix products.

    ``loss.backward()`` walks ``topological_order(loss)`` in reverse and calls the
    backward of every recorded op exactly once, so the ops recorded by the forward
    pass are also the backward calls. A 2-D MatMul of (m, k) by (k, n) costs m k n
    multiply-adds forward; its backward costs m k n for each input that needs a
    gradient (grad @ b.T and a.T @ grad are products of the same size).
    """
    cost = ReverseModeCost()
    for t in topological_order(loss):
        if t._node is None:
            continue
        name = t._node.function.__name__
        cost.ops[name] += 1
        if name == "MatMul":
            a, b = t._node.ctx.a, t._node.ctx.b
            size = int(np.prod(a.shape)) * b.shape[-1]
            cost.forward_macs += size
            cost.backward_macs += size * sum(t._node.ctx.needs_input_grad)
    return cost


# ----- training snapshots and the training-step widget ---------------------------


@dataclass
class Snapshot:
    """What ``BoundarySnapshots.record`` keeps of one training step."""

    step: int
    loss: float
    accuracy: float
    probability: np.ndarray  # P(class 1) on the grid, shape (grid_size, grid_size)


class BoundarySnapshots:
    """The decision boundary of a 2-class model at recorded training steps.

    ``record(step, loss, model)`` evaluates ``model`` (a function from an (n, 2)
    array to logits of shape (n, 2)) on the data and on a fixed grid once, so
    ``plot_training_step`` only has to draw.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, grid_size: int = 80, margin: float = 0.5):
        self.X, self.y = X, y
        lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
        self.xs = np.linspace(lo[0], hi[0], grid_size)
        self.ys = np.linspace(lo[1], hi[1], grid_size)
        gx, gy = np.meshgrid(self.xs, self.ys)
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.snapshots: list[Snapshot] = []

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    def record(self, step: int, loss: float, model: Any) -> None:
        with no_grad():
            grid_logits = np.asarray(model(self.grid).data)
            data_logits = np.asarray(model(self.X).data)
        probability = softmax_array(grid_logits, axis=1)[:, 1].reshape(len(self.ys), len(self.xs))
        accuracy = float(np.mean(data_logits.argmax(axis=1) == self.y))
        self.snapshots.append(Snapshot(int(step), float(loss), accuracy, probability))

    def at(self, step: int) -> Snapshot:
        """The snapshot recorded at ``step`` (or the latest one before it)."""
        if not self.snapshots:
            raise ValueError(
                tr("BoundarySnapshots: nothing recorded yet; call record() in the loop.")
            )
        earlier = [s for s in self.snapshots if s.step <= step]
        return earlier[-1] if earlier else self.snapshots[0]


# ----- training in numpy, for the widget ------------------------------------------------------


def he_init(hidden: int, inputs: int = 2, classes: int = 2, seed: int = 0) -> list[np.ndarray]:
    """[W1 (inputs, hidden), b1, W2 (hidden, classes), b2]: He initialisation (normal, variance
    2 / fan_in) from ``default_rng(seed)``, W1 drawn first, biases 0. With hidden = 16 and
    seed 0 these are the notebook's starting weights."""
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((inputs, hidden)) * np.sqrt(2 / inputs)
    W2 = rng.standard_normal((hidden, classes)) * np.sqrt(2 / hidden)
    return [W1, np.zeros(hidden), W2, np.zeros(classes)]


@dataclass
class TrainingRun:
    """Full-batch gradient descent on the notebook's MLP: the loss and the weights at every
    ``record_every``-th step (0, record_every, 2 record_every, ...)."""

    hidden: int
    lr: float
    record_every: int
    losses: np.ndarray  # the loss at each recorded step
    weights: list[list[np.ndarray]]  # [W1, b1, W2, b2] at each recorded step

    @property
    def steps(self) -> np.ndarray:
        return np.arange(len(self.losses)) * self.record_every

    def _index(self, step: int) -> int:
        """The latest recorded step at or before ``step``."""
        return min(max(step, 0) // self.record_every, len(self.weights) - 1)

    def weights_at(self, step: int) -> list[np.ndarray]:
        return self.weights[self._index(step)]

    def loss_at(self, step: int) -> float:
        return float(self.losses[self._index(step)])

    @property
    def diverged(self) -> bool:
        return not np.all(np.isfinite(self.losses))


def mlp_logits(points: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """relu(points W1 + b1) W2 + b2, in numpy."""
    W1, b1, W2, b2 = weights
    return np.maximum(points @ W1 + b1, 0.0) @ W2 + b2


def dead_mask(X: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """For each hidden unit, True when it is 0 for every point of X: relu' is 0 there for
    every point, so no gradient reaches its weights and they never change again."""
    W1, b1, _, _ = weights
    return np.all(X @ W1 + b1 <= 0, axis=0)


def dead_units(X: np.ndarray, weights: list[np.ndarray]) -> int:
    """How many hidden units are dead (``dead_mask``)."""
    return int(np.sum(dead_mask(X, weights)))


def train_mlp(
    X: np.ndarray,
    target: np.ndarray,
    hidden: int,
    lr: float,
    steps: int = 300,
    record_every: int = 10,
    seed: int = 0,
) -> TrainingRun:
    """Train relu(X W1 + b1) W2 + b2 on the mean cross-entropy by full-batch gradient descent,
    from ``he_init(hidden, seed=seed)``, with the backward pass of the notebook's section 4
    written in numpy (no graph is recorded, so a whole run takes milliseconds).

    dZ2 = (P - T)/N, dW2 = H^T dZ2, db2 = sum of dZ2's rows, dH = dZ2 W2^T,
    dZ1 = dH * [Z1 > 0], dW1 = X^T dZ1, db1 = sum of dZ1's rows; then w <- w - lr dL/dw.
    A run whose loss overflows keeps going with inf/nan, which ``diverged`` reports.
    """
    n, classes = len(target), int(target.max()) + 1
    W1, b1, W2, b2 = he_init(hidden, X.shape[1], classes, seed)
    T = np.eye(classes)[target]
    rows = np.arange(n)
    losses, recorded = [], []
    with np.errstate(all="ignore"):  # a learning rate far too large may overflow
        for step in range(steps + 1):
            Z1 = X @ W1 + b1
            H = np.maximum(Z1, 0.0)
            Z2 = H @ W2 + b2
            E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))  # softmax, computed stably
            total = E.sum(axis=1, keepdims=True)
            if step % record_every == 0:
                losses.append(-np.mean(np.log(E[rows, target] / total[:, 0])))
                recorded.append([W1, b1, W2, b2])
            if step == steps:
                break
            dZ2 = (E / total - T) / n
            dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
            W1, b1 = W1 - lr * (X.T @ dZ1), b1 - lr * dZ1.sum(axis=0)
            W2, b2 = W2 - lr * (H.T @ dZ2), b2 - lr * dZ2.sum(axis=0)
    return TrainingRun(hidden, lr, record_every, np.array(losses), recorded)


def training_outcomes(
    X: np.ndarray, target: np.ndarray, settings: list[tuple[int, float]], steps: int = 300
) -> str:
    """A table: for each (hidden units, learning rate), the loss after 50 and ``steps`` steps,
    the final training accuracy and how many hidden units died."""
    lines = [tr("hidden units   lr      loss at 50   loss at 300   accuracy   dead units")]
    for hidden, lr in settings:
        run = train_mlp(X, target, hidden, lr, steps)
        final = run.weights_at(steps)
        accuracy = np.mean(mlp_logits(X, final).argmax(axis=1) == target)
        lines.append(
            tr(
                "{hidden:12d}   {lr:<6.3g}  {early:10.3f}   {late:11.3f}   {accuracy:8.1%}   "
                "{dead:4d} of {hidden}",
                hidden=hidden,
                lr=lr,
                early=run.loss_at(50),
                late=run.loss_at(steps),
                accuracy=accuracy,
                dead=dead_units(X, final),
            )
        )
    return "\n".join(lines)


# ----- the patterns of the backward flow (cs231n's gates) ----------------------------------


@dataclass
class Gate:
    """One gate of the backward flow, after ``out.backward(upstream)``: its input leaves,
    its output ``out`` (named z), and how to read it."""

    title: str  # e.g. "add distributes"
    rule: str  # what each input gets, in words
    inputs: tuple[Tensor, ...]
    out: Tensor
    upstream: float

    def grads(self) -> tuple[float, ...]:
        """dL/d(input) for each input, as Python floats."""
        return tuple(float(t.grad) for t in self.inputs)

    def line(self) -> str:
        """``add distributes: z = x + y = 0.5; dL/dx = 3, dL/dy = 3 (each input gets g)``"""
        grads = ", ".join(f"dL/d{t.name} = {float(t.grad):g}" for t in self.inputs)
        return tr(
            "{title}:{pad} z = {z:g};  {grads}   ({rule})",
            title=self.title,
            pad=" " * max(0, 19 - display_width(self.title)),
            z=float(self.out.data),
            grads=grads,
            rule=self.rule,
        )


GATE_INPUTS = (2.0, -1.5)  # x, y: exact binary fractions, so every gradient prints exactly


def gate_examples(upstream: float = 3.0) -> dict[str, Gate]:
    """The five patterns on x = 2, y = -1.5, each graph's output z getting dL/dz =
    ``upstream`` from above: add, multiply, max, ReLU (open at x, closed at y) and a copy
    (x used twice, in z = x y + x)."""
    from gradlib.ops import maximum

    made = {
        "add": (tr("add distributes"), tr("each input gets g"), lambda x, y: (x + y, (x, y))),
        "multiply": (
            tr("multiply swaps"),
            tr("x gets g·y, y gets g·x"),
            lambda x, y: (x * y, (x, y)),
        ),
        "max": (
            tr("max routes"),
            tr("the larger gets g, the other 0"),
            lambda x, y: (maximum(x, y), (x, y)),
        ),
        "relu open": (
            tr("ReLU gates: open"),
            tr("g passes where input > 0"),
            lambda x, y: (F.relu(x), (x,)),
        ),
        "relu closed": (
            tr("ReLU gates: closed"),
            tr("0 where input < 0"),
            lambda x, y: (F.relu(y), (y,)),
        ),
        "copy": (
            tr("a copy sums"),
            tr("x gets g·y + g from its two uses"),
            lambda x, y: (_copy(x, y), (x, y)),
        ),
    }
    gates = {}
    for key, (title, rule, op) in made.items():
        x, y = (tensor(v, requires_grad=True) for v in GATE_INPUTS)
        x.name, y.name = "x", "y"
        out, inputs = op(x, y)
        out.name = "z"
        out.retain_grad()
        out.backward(np.array(upstream))
        gates[key] = Gate(title, rule, inputs, out, upstream)
    return gates


def _copy(x: Tensor, y: Tensor) -> Tensor:
    """z = p + x with p = x y: x is used twice."""
    p = x * y
    p.name = "p"
    p.retain_grad()
    return p + x


# ----- one neuron with a loss, stepped through by the widget ----------------------------------


def neuron_loss(w: float, x: float, b: float, target: float = 1.0) -> Tensor:
    """L = (sigmoid(w x + b) - target)**2 as a graph of named scalars p = w x, z = p + b,
    s = sigmoid(z), e = s - target, L = e**2, after ``L.backward()`` (every gradient kept)."""
    w_, x_, b_ = (tensor(float(v), requires_grad=True) for v in (w, x, b))
    p = w_ * x_
    z = p + b_
    s = F.sigmoid(z)
    e = s - target
    loss = e**2
    for t, name in ((w_, "w"), (x_, "x"), (b_, "b"), (p, "p"), (z, "z"), (s, "s"), (e, "e")):
        t.name = name
        t.retain_grad()
    loss.name = "L"
    loss.retain_grad()
    loss.backward()
    return loss


def neuron_table(settings: list[tuple[float, float, float]]) -> str:
    """For each (w, x, b) of ``neuron_loss``: z, s, the sigmoid's local derivative ds/dz,
    the loss and the gradients dL/dz and dL/dw, one row each."""
    lines = ["    w      x      b  |      z       s    ds/dz       L      dL/dz      dL/dw"]
    for w, x, b in settings:
        loss = neuron_loss(w, x, b)
        named = {t.name: t for t in topological_order(loss)}
        z, s = named["z"], named["s"]
        s_value = float(s.data)
        lines.append(
            f"{w:5.1f}  {x:5.1f}  {b:5.1f}  | {float(z.data):6.2f}  {s_value:6.4f}  "
            f"{s_value * (1 - s_value):7.4f}  {float(loss.data):6.4f}  {float(z.grad):9.3g}  "
            f"{float(named['w'].grad):9.3g}"
        )
    return "\n".join(lines)


# ----- beyond two layers: the backward recursion of an L-layer MLP ----------------------------


@dataclass
class DeepMLP:
    """An L-layer ReLU MLP after ``loss.backward()``, indexed by layer l = 1 .. L:
    Z[l] = H[l-1] W[l] + b[l], H[l] = relu(Z[l]) for l < L, H[0] = X, logits Z[L]; every
    Z[l] and H[l] keeps its gradient. ``T`` is the one-hot target."""

    W: dict[int, Tensor]
    b: dict[int, Tensor]
    Z: dict[int, Tensor]
    H: dict[int, Tensor]
    loss: Tensor
    T: np.ndarray

    @property
    def depth(self) -> int:
        return len(self.W)


def deep_mlp(
    X: np.ndarray, target: np.ndarray, widths: tuple[int, ...] = (2, 16, 16, 16, 2), seed: int = 0
) -> DeepMLP:
    """The MLP with layer widths ``widths`` (input first), He-initialised from
    ``default_rng(seed)`` with small random biases, its mean cross-entropy on (X, target)
    recorded by gradlib and backpropagated."""
    rng = np.random.default_rng(seed)
    depth = len(widths) - 1
    W, b, Z, H = {}, {}, {}, {0: tensor(X)}
    for layer in range(1, depth + 1):
        fan_in, fan_out = widths[layer - 1], widths[layer]
        W[layer] = tensor(
            rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in), requires_grad=True
        )
        b[layer] = tensor(0.1 * rng.standard_normal(fan_out), requires_grad=True)
        Z[layer] = (H[layer - 1] @ W[layer] + b[layer]).retain_grad()
        if layer < depth:
            H[layer] = F.relu(Z[layer]).retain_grad()
    loss = -F.log_softmax(Z[depth], dim=1)[np.arange(len(target)), target].mean()
    loss.backward()
    T = np.eye(widths[-1])[target]
    return DeepMLP(W, b, Z, H, loss, T)


# ----- gradient-checking pitfalls ----------------------------------------------------------


class ScaledCube(Function):
    """out = scale * x**3, entry by entry;  dL/dx = grad * 3 scale x**2.

    With ``wrong=True`` the backward returns grad * 2 scale x**2, a third too small: at
    scale 1e-6 that wrong gradient is off by less than gradcheck's absolute tolerance."""

    @staticmethod
    def forward(ctx: Context, x, scale, wrong=False):
        ctx.x, ctx.scale, ctx.factor = x, scale, 2.0 if wrong else 3.0
        return scale * x**3

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor * ctx.scale * ctx.x**2


def scaled_cube(scale: float, wrong: bool = False) -> Any:
    """x -> scale * x**3 as a gradlib function (for ``gl.gradcheck``)."""
    return lambda x: ScaledCube.apply(x, scale, wrong)
