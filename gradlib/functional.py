"""``gradlib.functional`` (import it as ``F``): the functions of ``torch.nn.functional``.

Names, argument names and behaviour mirror PyTorch so that what a learner
writes here carries over. Each function accepts Tensors or plain numpy arrays.
The code lives in one module per concept; this module gathers it.
"""

from gradlib.activations import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from gradlib.conv import conv2d, linear
from gradlib.losses import (
    am_softmax_loss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    huber_loss,
    l1_loss,
    large_margin_softmax_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    pseudo_huber_loss,
    smooth_l1_loss,
    soft_margin_softmax_loss,
)
from gradlib.normalization import batch_norm, layer_norm
from gradlib.pooling import avg_pool2d, max_pool2d

__all__ = [
    "am_softmax_loss",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "elu",
    "gelu",
    "hinge_loss",
    "huber_loss",
    "l1_loss",
    "large_margin_softmax_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "multi_margin_loss",
    "nll_loss",
    "pseudo_huber_loss",
    "relu",
    "sigmoid",
    "smooth_l1_loss",
    "soft_margin_softmax_loss",
    "softmax",
    "softplus",
    "tanh",
]
