"""numpygan: GANs from scratch in pure NumPy.

Every layer has a handwritten forward and backward pass; ``numpygan.gradcheck``
proves them right by central differences.
"""

import os

# OpenBLAS's idle threads busy-wait ~2^28 cycles (~0.1 s) for the next matrix product,
# holding the cores that numpygan.parallel's element-wise threads need; 2^20 cycles
# (~0.3 ms) still bridge the gaps between the products of one step. OpenBLAS reads
# this when NumPy is first imported, so it only takes effect if that happens below.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")

from . import initializers, layers, losses, models, optimizers  # noqa: E402
from .denormals import flush_denormals, get_flush_denormal, set_flush_denormal  # noqa: E402
from .gradcheck import gradcheck  # noqa: E402
from .model import Model  # noqa: E402
from .parameter import Parameter  # noqa: E402
from .sequential import Sequential  # noqa: E402

__version__ = "0.1.0"

__all__ = ["layers", "losses", "optimizers", "initializers", "models", "gradcheck", "Parameter", "Sequential", "Model",
           "flush_denormals", "get_flush_denormal", "set_flush_denormal"]
