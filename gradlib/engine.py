"""The autodiff engine: Tensor, Function, backward and no_grad.

A ``Tensor`` wraps a numpy array. Every differentiable operation is a
``Function``: a class with a ``forward`` that computes on plain numpy arrays and
a ``backward`` that, given ``grad = dL/d(output)``, returns ``dL/d(input)`` for
each input. ``Function.apply`` runs the forward and, when an input needs a
gradient, records a ``Node`` that remembers the op, its context and its inputs.

``Tensor.backward()`` is the whole of backpropagation:

1. sort the graph topologically (iteratively, so a chain of 100,000 ops works;
   Python's recursion limit is about 1,000);
2. walk it once from the output back to the inputs, calling each op's backward
   and adding up the gradients that reach a tensor along different paths.

Because every backward works on numpy arrays, a notebook can call one directly,
without the engine, to watch a derivation at work::

    ctx = Context()
    y = Exp.forward(ctx, x)          # x is a numpy array
    dx = Exp.backward(ctx, dy)       # dy = dL/dy, same shape as y
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Context",
    "Function",
    "HookHandle",
    "Node",
    "Tensor",
    "as_tensor",
    "is_grad_enabled",
    "no_grad",
    "tensor",
    "topological_order",
    "unbroadcast",
]

_grad_enabled = True


class no_grad:
    """Context manager (and decorator) that stops the engine from recording a graph.

    Use it for evaluation and for parameter updates::

        with gradlib.no_grad():
            w -= lr * w.grad        # not an op to differentiate
    """

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc_info: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        return wrapper


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _grad_enabled


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the backward of numpy broadcasting.

    If ``x`` of shape (1, 3) was broadcast to (4, 3) in the forward pass, each of
    its entries was used 4 times, so its gradient is the sum over those 4 uses.
    Leading axes that broadcasting added are summed away; axes of size 1 are
    summed with ``keepdims``.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Context:
    """What an op's forward saves for its backward (like PyTorch's ``ctx``).

    An op stores whatever it needs as attributes: ``ctx.x = x``. The engine adds
    ``ctx.needs_input_grad``, one bool per tensor input, so a backward can skip
    work nobody needs.
    """

    needs_input_grad: tuple[bool, ...] = ()


class Function:
    """One differentiable operation: ``forward`` and ``backward`` side by side.

    Subclasses define two static methods on numpy arrays:

    - ``forward(ctx, *inputs, **options) -> output``
    - ``backward(ctx, grad) -> one gradient per tensor input`` (a tuple, or a
      single array when there is one input; ``None`` where no gradient is
      needed). Each gradient has exactly its input's shape; the engine checks.

    Positional arguments that are Tensors are the op's inputs; anything else
    (an axis, an index array) is passed through to ``forward`` unchanged.

    A new array that a backward returns may become a leaf's ``.grad`` as it is,
    without a copy, so a backward keeps no reference to it (except in ctx, which the
    engine checks).
    """

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        ctx = Context()
        arrays, parents = [], []
        for a in args:  # one pass: this runs for every op, so it is kept lean
            if isinstance(a, Tensor):
                parents.append(a)
                a = a.data
            arrays.append(a)
        result = Tensor._from_op(cls.forward(ctx, *arrays, **kwargs))
        if _grad_enabled:
            needs_grad = tuple([p.requires_grad for p in parents])
            if any(needs_grad):
                ctx.needs_input_grad = needs_grad
                result.requires_grad = True
                result._node = Node(cls, ctx, tuple(parents))
        return result


class Node:
    """A recorded op in the graph: which Function, its context, its input tensors."""

    __slots__ = ("function", "ctx", "parents")

    def __init__(self, function: type[Function], ctx: Context, parents: tuple[Tensor, ...]):
        self.function = function
        self.ctx = ctx
        self.parents = parents

    def __repr__(self) -> str:
        return f"<{self.function.__name__} node>"


def _check_numeric(data: np.ndarray, where: str) -> None:
    if data.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: data of dtype {data.dtype} is not numeric; gradlib works on bool, "
            "integer and floating-point numbers. Convert strings or objects first, "
            "e.g. np.asarray(values, dtype=float)."
        )


class Tensor:
    """A numpy array that can remember how it was computed, for backpropagation.

    Attributes:
        data: the numpy array.
        grad: dL/d(this tensor) as a numpy array of the same shape, filled in by
            ``backward()`` for tensors with ``requires_grad=True`` that were created
            by the user (leaves) or marked with ``retain_grad()``; ``None`` before.
        requires_grad: whether gradients flow to this tensor.
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "_retain_grad", "_hooks", "name")
    # Make numpy defer to Tensor: `ndarray + Tensor` calls Tensor.__radd__, and
    # `np.exp(tensor)` raises instead of silently dropping the graph.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        if isinstance(data, Tensor):
            data = data.data
        array = np.array(data, dtype=dtype)  # a copy, as torch.tensor: no shared memory
        _check_numeric(array, "tensor")
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"tensor: requires_grad=True needs floating-point data, but the data has dtype "
                f"{array.dtype}; gradients of integers are not defined. Pass floats "
                "(e.g. [1.0, 2.0]) or dtype=np.float64."
            )
        self.data = array
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._node: Node | None = None
        self._retain_grad = False
        self._hooks: list[Callable[[Tensor], Any]] | None = None
        self.name: str | None = None

    @classmethod
    def _from_op(cls, array: np.ndarray) -> Tensor:
        """Wrap an op's output without re-validating it (the hot path)."""
        t = cls.__new__(cls)
        t.data = array if isinstance(array, np.ndarray) else np.asarray(array)
        t.grad = None
        t.requires_grad = False
        t._node = None
        t._retain_grad = False
        t._hooks = None
        t.name = None
        return t

    # ----- basic properties -------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user created (not the result of a recorded op)."""
        return self._node is None

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape, or its length along ``dim`` (as ``torch.Tensor.size``)."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only a one-element tensor has a single value, this one has shape "
                f"{self.shape}; index it or reduce it first (e.g. .sum())."
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # Lets matplotlib and np.asarray read a Tensor's values.
        return self.data if dtype is None else self.data.astype(dtype)

    def detach(self) -> Tensor:
        """The same values, cut from the graph (no gradient flows through)."""
        return Tensor._from_op(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: dtype {self.dtype} is not floating-point; "
                "gradients need float data."
            )
        self.requires_grad = requires_grad
        return self

    def register_hook(self, hook: Callable[[Tensor], Any]) -> HookHandle:
        """Call ``hook(grad)`` when backward has computed this tensor's whole gradient.

        As in PyTorch: ``grad`` is a Tensor; a hook may return a replacement gradient
        (or None to keep it). Returns a handle whose ``remove()`` unregisters it.
        Notebooks use hooks to watch the order in which backward reaches tensors.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: this tensor does not require grad, so backward never "
                "reaches it; create it with requires_grad=True."
            )
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return HookHandle(self._hooks, hook)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this intermediate tensor too (leaves always keep it)."""
        self._retain_grad = True
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        extra = ""
        if self.data.dtype != np.float64 and self.data.dtype.kind == "f":
            extra += f", dtype={self.data.dtype}"
        if self._node is not None:
            extra += f", grad_fn={self._node.function.__name__}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ----- backpropagation ---------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Backpropagate: fill ``.grad`` of every leaf this tensor depends on.

        ``grad`` is dL/d(self). A one-element tensor (a loss) needs none: it is 1.
        Gradients add up across calls, as in PyTorch; reset them with
        ``zero_grad()`` between steps.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad, so there is nothing to "
                "backpropagate. Create the inputs with requires_grad=True, and do not "
                "compute the loss inside no_grad()."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {self.shape}; only a one-element "
                    "tensor (a scalar loss) can start backward without a gradient. Reduce "
                    "it first (y.sum() or y.mean()) or pass grad= with shape "
                    f"{self.shape}."
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward: grad has shape {grad.shape} but the tensor has shape "
                    f"{self.shape}; they must match."
                )

        grads: dict[int, np.ndarray] = {id(self): grad}
        unshared: set[int] = set()  # tensors whose gradient in `grads` nothing else refers to
        for t in reversed(_topological_order(self)):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if t._hooks:
                g = _run_hooks(t._hooks, g)
                unshared.discard(id(t))  # a hook may have kept the array it was shown
            if t._node is None or t._retain_grad:
                # .grad must be an array of its own, as it may later change in place. The
                # gradient is often shared: a backward may hand one array to several inputs
                # (Add does) or return a view of its grad, and a hook may keep it. Then
                # .grad gets a copy; an unshared one (a leaf's, see _backward_one) it keeps.
                if t.grad is not None:
                    t.grad = t.grad + g.astype(t.dtype, copy=False)  # a new array
                elif t._node is None and id(t) in unshared and g.dtype == t.dtype:
                    t.grad = g
                else:
                    t.grad = g.astype(t.dtype, copy=True)
            if t._node is not None:
                _backward_one(t._node, g, grads, unshared)

    # ----- operators (defined in gradlib.ops) ------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return ops.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    # In-place updates (`w -= lr * w.grad`), as PyTorch: they change ``data`` and keep the
    # tensor (a leaf stays a leaf with requires_grad). Without them Python would rebind
    # `w` to a new tensor that no longer requires grad. They are not recorded, so they are
    # allowed only where no graph is being built: inside no_grad(), or on a tensor that
    # does not require grad.
    def _in_place(self, op: str, update: Any, other: Any) -> Tensor:
        if _grad_enabled and self.requires_grad:
            raise RuntimeError(
                f"{op}: an in-place update of a tensor that requires grad is not recorded "
                "in the graph, so gradients would be wrong. Do parameter updates inside "
                "`with gradlib.no_grad():`, or write `w = w - ...` to record the op."
            )
        try:
            update(self.data, _data(other), out=self.data, casting="same_kind")
        except TypeError:  # e.g. subtracting floats from an integer tensor
            raise TypeError(
                f"{op}: cannot store the result in this tensor's dtype {self.dtype}; "
                "convert it first (e.g. tensor(x, dtype=np.float64))."
            ) from None
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place("+=", np.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place("-=", np.subtract, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place("*=", np.multiply, other)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    # Comparisons give boolean tensors (masks) with no gradient.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _data(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _data(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _data(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _data(other))

    __hash__ = object.__hash__

    # ----- methods that mirror torch.Tensor --------------------------------------
    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return ops.sum(self, dim, keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return ops.mean(self, dim, keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False):
        return ops.max(self, dim, keepdim)

    def min(self, dim: int | None = None, keepdim: bool = False):
        return ops.min(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.argmax(self, dim, keepdim)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        return ops.clamp(self, min, max)

    def relu(self) -> Tensor:
        from gradlib.activations import relu

        return relu(self)

    def sigmoid(self) -> Tensor:
        from gradlib.activations import sigmoid

        return sigmoid(self)

    def tanh(self) -> Tensor:
        from gradlib.activations import tanh

        return tanh(self)

    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        return ops.reshape(self, *shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return ops.unsqueeze(self, dim)

    def squeeze(self, dim: int | None = None) -> Tensor:
        return ops.squeeze(self, dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return ops.permute(self, *dims)

    @property
    def T(self) -> Tensor:  # noqa: N802 - numpy and PyTorch spell it this way
        return ops.permute(self, *reversed(range(self.ndim)))


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a Tensor from a list, number or numpy array (as ``torch.tensor``).

    Floats default to float64, which gradient checks need; float32 data stays
    float32 through every op. Integer and bool data are fine for targets, indices
    and masks, but cannot require a gradient.
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """``x`` if it is a Tensor; otherwise a constant Tensor holding it.

    A Python number takes the floating dtype of ``like`` (so ``float32_tensor * 2``
    stays float32).
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float)) and like.dtype.kind == "f":
        return Tensor._from_op(np.asarray(x, dtype=like.dtype))
    array = np.asarray(x)
    _check_numeric(array, "tensor")
    return Tensor._from_op(array)


class HookHandle:
    """Returned by ``register_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _run_hooks(hooks: list[Callable[[Tensor], Any]], grad: np.ndarray) -> np.ndarray:
    for hook in list(hooks):
        replacement = hook(Tensor._from_op(grad))
        if replacement is not None:
            new = np.asarray(replacement.data if isinstance(replacement, Tensor) else replacement)
            if new.shape != grad.shape:
                raise RuntimeError(
                    f"register_hook: a hook returned a gradient of shape {new.shape} for a "
                    f"tensor of shape {grad.shape}; it must keep the shape."
                )
            grad = new.astype(grad.dtype, copy=False)
    return grad


def topological_order(root: Tensor) -> list[Tensor]:
    """The tensors ``root`` depends on that need a gradient, inputs first.

    ``backward()`` visits them in the reverse of this order.
    """
    return _topological_order(root)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor that ``root`` depends on and needs a gradient, inputs first.

    Iterative depth-first search: each tensor is visited once (linear time) and
    is appended only after all of its inputs, so the reversed list visits a
    tensor before any of the tensors it was computed from.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        if t._node is not None:
            for parent in t._node.parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _backward_one(
    node: Node, grad: np.ndarray, grads: dict[int, np.ndarray], unshared: set[int]
) -> None:
    """Run one op's backward and add each input's gradient into ``grads``.

    ``unshared`` collects the tensors whose gradient is an array nothing else refers to:
    a sum made here, or (for a leaf) an array the backward made for that input alone.
    """
    input_grads = node.function.backward(node.ctx, grad)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    if len(input_grads) != len(node.parents):
        raise RuntimeError(
            f"{node.function.__name__}.backward returned {len(input_grads)} gradients "
            f"for {len(node.parents)} tensor inputs."
        )
    for parent, g in zip(node.parents, input_grads):
        if g is None or not parent.requires_grad:
            continue
        if g.shape != parent.data.shape:
            raise RuntimeError(
                f"{node.function.__name__}.backward returned a gradient of shape {g.shape} "
                f"for an input of shape {parent.data.shape}; a gradient must have its "
                "input's shape (did the op forget unbroadcast?)."
            )
        key = id(parent)
        if key in grads:
            grads[key] = grads[key] + g
            unshared.add(key)
        else:
            grads[key] = g
            if (
                parent._node is None
                and g.nbytes >= _CHECK_SHARING_FROM_BYTES
                and _made_for_this_input(g, grad, input_grads, node.ctx)
            ):
                unshared.add(key)


# A leaf's gradient is checked for sharing only from this size up: the check costs about
# as much as copying 128 KiB, so a smaller gradient is simply copied.
_CHECK_SHARING_FROM_BYTES = 128 * 1024


def _made_for_this_input(g: np.ndarray, grad: np.ndarray, input_grads: tuple, ctx: Context) -> bool:
    """Whether a backward made ``g`` (one of its ``input_grads``) for that input alone.

    So g must be writable (a broadcast view is not) and share no memory with the gradient
    the backward was given (Add passes that on, reshape returns a view of it), with any
    array saved in ctx, or with the other gradients returned: among all of those, g only
    overlaps itself.
    """
    if not g.flags.writeable:
        return False
    arrays = [grad, *vars(ctx).values(), *input_grads]
    return sum(isinstance(a, np.ndarray) and np.may_share_memory(g, a) for a in arrays) == 1


from gradlib import ops  # noqa: E402  (ops builds on Tensor and Function above)
