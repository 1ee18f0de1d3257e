"""numpygan: GANs from scratch in pure NumPy.

Every layer has a handwritten forward and backward pass; ``numpygan.gradcheck``
proves them right by central differences.
"""

__version__ = "0.1.0"
