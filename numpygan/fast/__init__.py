"""Fast twins: the same functions as the reference layers and optimizers, computed for speed.

The reference classes in ``numpygan.layers`` and ``numpygan.optimizers`` hold
only the math. Each class here subclasses its reference, keeps its arguments,
weights, state and results, and overrides only how forward, backward or step
compute them:

=================== ==============================================================================
``Dense``           dW written straight into the gradient after ``zero_grad()`` (``parameter.py``)
``Conv2D``          per kernel tap when that intermediate is smaller; threaded copies
``Conv2DTranspose`` phase by phase: one im2col of T×T blocks and one GEMM, bias inside it
``LeakyReLU``       branch-free max(x, αx) and mask arithmetic, in row blocks on threads
``ReLU``            the fast LeakyReLU with α = 0
``Sigmoid``         subnormal outputs and gradients set to 0
``Dropout``         mask drawn into a reused buffer, applied in row blocks on threads
``Adam``, ``SGD``   in-place passes over cache-sized blocks, large parameters on threads
=================== ==============================================================================

``tests/test_fast_twins.py`` checks every twin against its reference in float64
(output, dx and every parameter gradient, or several optimizer steps, to 1e-12
relative), and the gradient-check suite checks both. ``numpygan.models`` builds
these twins unless ``numpygan.use_reference_layers()`` is in effect. For
convenience the layers without a twin (BatchNormalization, InstanceNormalization,
Tanh, Reshape, Flatten, Embedding, Concatenate, Add) are importable from here
too: they are the reference classes.
"""

from ..layers import Add, BatchNormalization, Concatenate, Embedding, Flatten, InstanceNormalization, Reshape, Tanh
from .activations import LeakyReLU, ReLU, Sigmoid
from .adam import Adam
from .conv2d import Conv2D
from .conv2d_transpose import Conv2DTranspose
from .dense import Dense
from .dropout import Dropout
from .sgd import SGD

BatchNorm = BatchNormalization

__all__ = ["Dense", "Conv2D", "Conv2DTranspose", "LeakyReLU", "ReLU", "Sigmoid", "Dropout", "Adam", "SGD",
           "BatchNormalization", "BatchNorm", "Tanh", "Reshape", "Flatten",
           "InstanceNormalization", "Embedding", "Concatenate", "Add"]
