"""numpygan: GANs from scratch in pure NumPy.

Every layer has a handwritten forward and backward pass; ``numpygan.gradcheck``
proves them right by central differences.
"""

from . import runtime  # first: it sets OpenBLAS's thread timeout before NumPy loads  # noqa: I001
from . import fast, initializers, layers, losses, models, optimizers  # noqa: E402
from .runtime import flush_denormals, get_flush_denormal, set_flush_denormal  # noqa: E402
from .gradcheck import gradcheck  # noqa: E402
from .models import use_reference_layers  # noqa: E402
from .model import Model  # noqa: E402
from .parameter import Parameter  # noqa: E402
from .sequential import Sequential  # noqa: E402

__version__ = "0.1.0"

__all__ = ["layers", "losses", "optimizers", "fast", "runtime", "initializers", "models", "gradcheck", "Parameter",
           "Sequential", "Model", "use_reference_layers", "flush_denormals", "get_flush_denormal",
           "set_flush_denormal"]
