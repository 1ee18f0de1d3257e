"""numpygan: GANs from scratch in pure NumPy.

Every layer has a handwritten forward and backward pass; ``numpygan.gradcheck``
proves them right by central differences.
"""

from . import initializers, layers, losses, models, optimizers
from .gradcheck import gradcheck
from .parameter import Parameter
from .sequential import Sequential

__version__ = "0.1.0"

__all__ = ["layers", "losses", "optimizers", "initializers", "models", "gradcheck", "Parameter", "Sequential"]
