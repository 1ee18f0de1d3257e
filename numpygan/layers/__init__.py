"""Layers, each with its forward and backward pass side by side: the reference implementations.

These hold only the math, in plain NumPy; docs/backprop.md derives each backward
from its forward. ``numpygan.fast`` holds twins of some of them that compute the
same functions faster, and ``numpygan.models`` builds with those by default.

Layout: images are channels-last (N, H, W, C), as in the Keras tutorials the
reference models come from. Kernels follow Keras: Conv2D (kh, kw, C_in, F),
Conv2DTranspose (kh, kw, F, C_in), Dense (D_in, D_out).
"""

from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .base import Layer
from .batchnorm import BatchNormalization
from .conv2d import Conv2D
from .conv2d_transpose import Conv2DTranspose
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .instance_norm import InstanceNormalization
from .merge import Add, Concatenate
from .reshape import Flatten, Reshape

BatchNorm = BatchNormalization

__all__ = [
    "Layer", "Dense", "LeakyReLU", "ReLU", "Sigmoid", "Tanh", "Dropout", "Reshape", "Flatten",
    "Conv2D", "Conv2DTranspose", "BatchNormalization", "BatchNorm", "Embedding", "Concatenate", "Add",
    "InstanceNormalization",
]
