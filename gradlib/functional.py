"""``gradlib.functional`` (import it as ``F``): the functions of ``torch.nn.functional``.

Names, argument names and behaviour mirror PyTorch so that what a learner
writes here carries over. Each function accepts Tensors or plain numpy arrays.
The code lives in one module per concept; this module gathers it.
"""

from gradlib.activations import elu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh

__all__ = ["elu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "tanh"]
