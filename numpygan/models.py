"""Builders for the reference GAN architectures.

Every generator maps z (N, latent_dim) to images (N, 28, 28, 1); every
discriminator maps images (N, 28, 28, 1) to one logit per image (N, 1) by
default — train it with ``BinaryCrossentropy(from_logits=True)``, which is the
sigmoid output of the tutorials folded into a loss that cannot overflow. Pass
``output="sigmoid"`` for the literal tutorial form (probabilities).

Generators end in ``tanh`` for data in [-1, 1] or ``sigmoid`` for [0, 1].
"""

import numpy as np

from .layers import (BatchNormalization, Conv2D, Conv2DTranspose, Dense, Dropout, Flatten, LeakyReLU,
                     Reshape, Sigmoid, Tanh)
from .sequential import Sequential

IMAGE_SHAPE = (28, 28, 1)


def _activation(name, arg="output_activation"):
    if name == "tanh":
        return Tanh()
    if name == "sigmoid":
        return Sigmoid()
    raise ValueError(f"{arg}: expected 'tanh' or 'sigmoid', received {name!r}")


def _d_output(output):
    if output == "logit":
        return []
    if output == "sigmoid":
        return [Sigmoid()]
    raise ValueError(f"output: expected 'logit' or 'sigmoid', received {output!r}")


def mlp_generator(latent_dim=100, output_activation="tanh", dropout=0.0, hidden=(256, 512, 1024),
                  image_shape=IMAGE_SHAPE, rng=None, seed=None, dtype=np.float32):
    """z (N, latent_dim) → Dense 256 → 512 → 1024 → 784 → (N, 28, 28, 1), LeakyReLU(0.2).

    ``dropout=0`` is the tutorial form; the second form uses Dropout in G as well
    (e.g. 0.3 after every hidden layer) with a tanh output.
    """
    layers = []
    for units in hidden:
        layers += [Dense(units), LeakyReLU(0.2)]
        if dropout:
            layers.append(Dropout(dropout))
    layers += [Dense(int(np.prod(image_shape))), _activation(output_activation), Reshape(image_shape)]
    return Sequential(layers, (latent_dim,), rng=rng, seed=seed, dtype=dtype, name="mlp_generator")


def mlp_discriminator(dropout=0.3, hidden=(1024, 512, 256), output="logit", image_shape=IMAGE_SHAPE,
                      rng=None, seed=None, dtype=np.float32):
    """(N, 28, 28, 1) → Flatten → Dense 1024 → 512 → 256 → 1, LeakyReLU(0.2), Dropout(0.3) after each."""
    layers = [Flatten()]
    for units in hidden:
        layers += [Dense(units), LeakyReLU(0.2)]
        if dropout:
            layers.append(Dropout(dropout))
    layers += [Dense(1)] + _d_output(output)
    return Sequential(layers, image_shape, rng=rng, seed=seed, dtype=dtype, name="mlp_discriminator")


def dcgan_discriminator(output="logit", batchnorm=False, rng=None, seed=None, dtype=np.float32, dropout=0.4,
                        filters=64, kernel_initializer=None):
    """The Keras-tutorial DCGAN critic on 28×28×1:

    Conv2D(64, 3×3, s2, same) → LeakyReLU(0.2) → Dropout(0.4) → Conv2D(64, 3×3, s2, same)
    → LeakyReLU(0.2) → Dropout(0.4) → Flatten → Dense(1).
    ``batchnorm=True`` inserts BatchNormalization after the second convolution
    (the DCGAN paper leaves the first layer of D un-normalised) and drops that
    convolution's bias: BatchNorm subtracts the batch mean, so a bias before it
    cancels exactly, gets a zero gradient and never trains. ``dropout`` sets
    both dropout rates (0 removes the layers). ``filters``: channels of both
    convolutions (64 in the tutorial). ``kernel_initializer``: default N(0, 0.02²)
    (``"normal"``, the paper's) with ``batchnorm``, else Glorot-uniform (Keras').
    """
    init = kernel_initializer or ("normal" if batchnorm else "glorot_uniform")

    def drop():  # a fresh layer each time: a layer instance caches one forward pass
        return [Dropout(dropout)] if dropout else []

    layers = [Conv2D(filters, 3, 2, "same", kernel_initializer=init), LeakyReLU(0.2)] + drop()
    layers.append(Conv2D(filters, 3, 2, "same", kernel_initializer=init, use_bias=not batchnorm))
    if batchnorm:
        layers.append(BatchNormalization())
    layers += [LeakyReLU(0.2)] + drop() + [Flatten(), Dense(1)] + _d_output(output)
    return Sequential(layers, IMAGE_SHAPE, rng=rng, seed=seed, dtype=dtype, name="dcgan_discriminator")


def dcgan_generator(latent_dim=100, output_activation="sigmoid", batchnorm=False, rng=None, seed=None,
                    dtype=np.float32, filters=128, kernel_initializer=None):
    """The Keras-tutorial DCGAN generator:

    Dense(128·7·7) → LeakyReLU(0.2) → Reshape(7, 7, 128) → Conv2DTranspose(128, 4×4, s2, same)
    → LeakyReLU(0.2) → Conv2DTranspose(128, 4×4, s2, same) → LeakyReLU(0.2)
    → Conv2D(1, 7×7, same) → sigmoid.
    ``batchnorm=True`` (use with ``output_activation="tanh"``) adds BatchNormalization
    before each hidden LeakyReLU and draws weights from N(0, 0.02²), as in the DCGAN paper;
    the layers it normalises then have no bias (BatchNorm's mean subtraction cancels it).
    ``filters``: channels of the 7×7 map and of both transposed convolutions (128 in
    the tutorial; fewer make a lighter G, cost ∝ filters²). ``kernel_initializer``
    overrides the default (``"normal"`` with ``batchnorm``, else ``"glorot_uniform"``).
    """
    init = kernel_initializer or ("normal" if batchnorm else "glorot_uniform")
    f = filters

    def block(layer):
        return [layer] + ([BatchNormalization()] if batchnorm else []) + [LeakyReLU(0.2)]

    bias = not batchnorm
    layers = (block(Dense(f * 7 * 7, kernel_initializer=init, use_bias=bias)) + [Reshape((7, 7, f))]
              + block(Conv2DTranspose(f, 4, 2, "same", kernel_initializer=init, use_bias=bias))
              + block(Conv2DTranspose(f, 4, 2, "same", kernel_initializer=init, use_bias=bias))
              + [Conv2D(1, 7, 1, "same", kernel_initializer=init), _activation(output_activation)])
    return Sequential(layers, (latent_dim,), rng=rng, seed=seed, dtype=dtype, name="dcgan_generator")
